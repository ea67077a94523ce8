//! The contract between Ward's backends and whoever runs them: [`Backend`], what one
//! evaluation takes ([`EvalOptions`]) and gives ([`Evaluation`]), its operational errors, and
//! the stable order of findings. Every way of writing controls (the rule language in
//! `ward-engine`, Cedar, WASM plugins) implements it; the run (`ward-run`) and the AWS
//! Config rule path (`ward-aws`) call it. No evaluator lives here.

pub mod progress;
pub mod timings;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::Value;
use ward_model::{FieldNeeds, Finding, Inventory, Resource, RuleInfo, Status, TypesRead};

/// Options of one evaluation.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// The evaluation time (RFC 3339). Default: the latest capture time in the inventory.
    pub as_of: Option<String>,
    /// Parameter overrides: rule id -> parameter name -> value (JSON, or a string to convert).
    pub params: BTreeMap<String, BTreeMap<String, Value>>,
    /// Evaluate only these rules (all when `None`).
    pub only: Option<BTreeSet<String>>,
    /// Where backends record the wall time of their stages (`ward check --timings`).
    pub timings: Option<std::sync::Arc<timings::Timings>>,
    /// Evaluate only these resources, as (type, id) (all when `None`). The rest of the
    /// inventory stays visible to lookups: a Config rule change event evaluates its item
    /// with the resources its rules read around it, and only the item.
    pub targets: Option<BTreeSet<(String, String)>>,
    /// The most evaluation steps a rule of the rule language may take for one resource
    /// (default [`DEFAULT_STEP_BUDGET`]); past it, that finding is `ERROR` and names the rule
    /// and the budget, instead of a run that never ends.
    pub step_budget: Option<u64>,
    /// Where backends count the (control, resource) pairs they decide, for a caller that
    /// shows progress ([`progress::EvalProgress`]).
    pub progress: Option<std::sync::Arc<progress::EvalProgress>>,
}

/// The default step budget of one rule for one resource: about a second of evaluation, a
/// thousand times what the most expensive rule of the HIPAA pack takes on an account of
/// 20,000 resources.
pub const DEFAULT_STEP_BUDGET: u64 = 20_000_000;

impl EvalOptions {
    /// Whether `resource` is one to evaluate.
    pub fn targets(&self, resource: &Resource) -> bool {
        self.targets.as_ref().is_none_or(|t| {
            t.contains(&(resource.resource_type.clone(), resource.resource_id.clone()))
        })
    }
}

/// A way of expressing controls that turns an inventory into findings.
pub trait Backend: Sync {
    /// The backend's name, recorded in each finding.
    fn name(&self) -> &str;
    /// The rules it holds, in a stable order.
    fn rules(&self) -> Vec<RuleInfo>;
    /// Evaluates its rules over the inventory: all of them, or those of `options.only`.
    /// `options.params` may name other backends' rules: a backend reads only its own (the
    /// caller has checked that every rule named exists somewhere).
    fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError>;
    /// What its rules read of each configuration item; the importer skips the rest. The
    /// default, everything, is always correct.
    fn field_needs(&self) -> FieldNeeds {
        FieldNeeds::everything()
    }
    /// What the rules of `only` read (all its rules when `None`). By default a backend none
    /// of whose rules is selected reads nothing, and one with some selected reads what all
    /// its rules read.
    fn field_needs_of(&self, only: Option<&BTreeSet<String>>) -> FieldNeeds {
        match only {
            Some(only) if !self.rules().iter().any(|r| only.contains(&r.id)) => {
                FieldNeeds::names(Vec::new())
            }
            _ => self.field_needs(),
        }
    }
    /// The resources one of its rules reads besides the one it evaluates, from the compiled
    /// rule; `None` when the backend cannot tell (its caller then assumes the worst).
    fn types_read(&self, _rule: &str) -> Option<TypesRead> {
        None
    }
}

/// The result of evaluating a set of rules.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// Rules that selected no resource at all: reported, never a silent pass.
    pub rules_without_resources: Vec<String>,
    /// The evaluation time used.
    pub as_of: Option<String>,
}

impl Evaluation {
    /// Merges another evaluation's results, keeping the stable order.
    pub fn merge(&mut self, other: Evaluation) {
        // The smaller list is moved into the larger, grown once: a large estate's findings
        // are hundreds of megabytes, not worth a copy or a doubling.
        let mut other_findings = other.findings;
        if other_findings.len() > self.findings.len() {
            std::mem::swap(&mut self.findings, &mut other_findings);
        }
        self.findings.reserve_exact(other_findings.len());
        self.findings.extend(other_findings);
        sort_findings(&mut self.findings);
        self.rules_without_resources
            .extend(other.rules_without_resources);
        self.rules_without_resources.sort();
        if self.as_of.is_none() {
            self.as_of = other.as_of;
        }
    }
}

/// Operational errors of the engine (never a failed control: that is a finding).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("unknown rule `{0}` in a parameter")]
    UnknownRule(String),
    #[error("rule `{rule}` has no parameter `{param}`")]
    UnknownParam {
        rule: String,
        param: String,
        known: Vec<String>,
    },
    #[error("parameter `{rule}.{param}`: {message}")]
    BadParam {
        rule: String,
        param: String,
        message: String,
    },
    #[error("`{0}` is not an RFC 3339 time")]
    BadTime(String),
}

/// The stable order of findings: rule, resource (type, id, account, region), status.
/// On every core and in place (a stable sort would copy them all into a buffer): the
/// findings of a large estate are hundreds of thousands, and a (rule, resource) pair has
/// one finding, so no two compare equal but for the message, ordered last.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.par_sort_unstable_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// Counts of findings by status.
pub fn status_counts(findings: &[Finding]) -> BTreeMap<Status, usize> {
    let mut counts = BTreeMap::new();
    for f in findings {
        *counts.entry(f.status).or_insert(0) += 1;
    }
    counts
}

/// Parses an RFC 3339 time, a plain date (taken as midnight UTC), a date and time without
/// zone (UTC), or the `Feb 21, 2022 6:37:48 PM` form AWS Config writes some times in.
pub fn parse_time(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>()
        && let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Some(z.timestamp());
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Some(z.timestamp());
    }
    // AWS Config renders some timestamps the way Java's DateFormat does, in UTC:
    // `Feb 21, 2022 6:37:48 PM`.
    if let Ok(dt) = jiff::civil::DateTime::strptime("%b %d, %Y %I:%M:%S %p", text.trim())
        && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Some(z.timestamp());
    }
    None
}
