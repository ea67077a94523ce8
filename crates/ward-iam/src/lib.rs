//! IAM policy semantics for Ward: the one implementation that the rule language's built-ins
//! (`wildcard`, `action_matches`, `allows`) and the Cedar backend's least-privilege analysis
//! share.
//!
//! The semantics, as AWS evaluates policies:
//! - **Names.** Action names compare ASCII case-insensitively (`s3:getobject` is
//!   `s3:GetObject`); ARNs, condition values and tag values compare case-sensitively
//!   ([`pattern`]). `*` matches any run of characters, `?` exactly one.
//! - **Statements.** Exactly one of `Action` / `NotAction`; at most one of `Resource` /
//!   `NotResource` (none only in trust policies, where the resource is the role). `NotAction`
//!   and `NotResource` name everything but their patterns. An element that is neither a
//!   string nor a list of strings, an `Effect` other than `Allow` / `Deny`, a statement that
//!   is not an object: an error naming the statement, never a statement that quietly matches
//!   nothing ([`policy::read_elements`]).
//! - **Decisions.** An explicit `Deny` that applies wins over any `Allow`; nothing applies:
//!   not allowed. Conditions are not evaluated: a conditional `Allow` counts as allowing and a
//!   conditional `Deny` denies nothing, so access is over-approximated, never hidden
//!   ([`policy::may_allow`] for one request, [`access`] for principals and PHI resources).
//!
//! Modules: [`pattern`] (wildcards), [`policy`] (statements and one-request decisions),
//! [`catalog`] (the IAM action catalogue), [`resource_policy`] (bucket and key policies and
//! whom they name), [`access`] (the effective grants of roles and users on PHI-bearing
//! resources).

pub mod access;
mod arn_index;
pub mod catalog;
mod cohort;
pub mod pattern;
pub mod policy;
pub mod resource_policy;

pub use access::{
    CONFIGURATION_KEYS, CohortGrants, Grant, ManagedPolicies, PhiConfig, PhiIndex, PrincipalAccess,
    ReachCache, ResourceGrants, analyze, groups_of, phi_services, principal_label,
};
pub use catalog::{ActionCatalog, IamAction};
pub use policy::{Effect, Statement, StatementRef};
pub use resource_policy::{Named, ResourcePolicy, account_of_arn};
