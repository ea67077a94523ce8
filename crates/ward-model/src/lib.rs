//! Ward's contracts: the normalized inventory every importer produces, and the findings
//! every backend produces and every reporter reads. No I/O lives here but [`walk`], the one
//! sorted directory walk every reader of rule and inventory directories shares.
//!
//! The inventory model mirrors AWS Config's configuration item, so a rule written against
//! Config's documentation works unchanged. See `docs/inventory-format.md`.

pub mod finding;
pub mod inventory;
pub mod json;
pub mod param_type;
pub mod plugin;
pub mod projection;
pub mod resource;
pub mod rule;
pub mod shape;
pub mod walk;

pub use finding::{
    AppliedWaiver, Evidence, FINDINGS_FORMAT_VERSION, Finding, Redaction, Severity, Status,
    WaiverOutcome, WaiverState,
};
pub use inventory::{ACCOUNT_TYPE, INVENTORY_FORMAT_VERSION, Insert, Inventory, InventorySnapshot};
pub use json::{Json, Object};
pub use param_type::ParamType;
pub use plugin::PluginRecord;
pub use projection::{FieldNeeds, FieldsRead};
pub use resource::{Relationship, Resource, ResourceKey, ResourceRef, Source};
pub use rule::{ParamInfo, RuleInfo, SourceLocation, TypesRead};
pub use shape::{ResourceCatalog, ResourceShape, Shape, ValueWrappers};
