//! What reporters may know about a rule beyond its findings: title, descriptions,
//! remediation and where it is defined. The CLI fills it from every loaded backend;
//! reporters that get none fall back to what the findings carry. The type itself is
//! `ward_model::RuleInfo`, re-exported here.

pub use ward_model::rule::{RuleInfo, SourceLocation, find};
