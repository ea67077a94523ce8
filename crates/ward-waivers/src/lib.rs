//! Waivers: reviewed, expiring exceptions to rules (`docs/waivers.md`).
//!
//! A waiver file is YAML:
//!
//! ```yaml
//! version: 1
//! waivers:
//!   - id: W-2026-014
//!     rule: s3-bucket-versioning-enabled
//!     resource:
//!       id: clinic-scratch-*
//!       account: "111122223333"
//!     reason: scratch buckets hold no PHI and are rebuilt nightly
//!     approver: jane.doe@clinic.example
//!     expires: 2027-03-31
//!     ticket: SEC-412
//! ```
//!
//! [`WaiverSet::add_file`] reads a file, checking everything (unknown and missing fields,
//! dates, rule ids, duplicate ids, waivers without a selector) and reporting every problem
//! with its line and column as a [`WaiverDiagnostic`]. [`WaiverSet::apply`] turns the failing
//! findings a waiver covers into `WAIVED` and says what became of each waiver: applied,
//! expired or stale. Expiry is compared with the evaluation date given to it, never the
//! wall clock.

mod diagnostic;
mod parse;
mod pattern;

use std::collections::BTreeMap;

pub use diagnostic::WaiverDiagnostic;
pub use pattern::Pattern;

use jiff::civil::Date;
use ward_model::{
    AppliedWaiver, Finding, Inventory, ResourceRef, Status, WaiverOutcome, WaiverState,
};

/// Version of the waiver file format (its `version` field).
pub const WAIVERS_FORMAT_VERSION: u32 = 1;

/// Which resources a waiver covers: every field given must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    /// The resource id; `*` matches any run of characters.
    pub id: Option<Pattern>,
    /// The resource ARN; `*` matches any run of characters.
    pub arn: Option<Pattern>,
    /// A tag the resource carries, `key=value` (exact).
    pub tag: Option<(String, String)>,
    /// The account id (exact).
    pub account: Option<String>,
}

impl Selector {
    fn is_empty(&self) -> bool {
        self.id.is_none() && self.arn.is_none() && self.tag.is_none() && self.account.is_none()
    }

    /// Whether the resource matches every field given.
    pub fn matches(&self, resource: &ResourceRef, tags: &dyn TagLookup) -> bool {
        if let Some(p) = &self.id
            && !p.matches(&resource.id)
        {
            return false;
        }
        if let Some(p) = &self.arn
            && !resource.arn.as_deref().is_some_and(|arn| p.matches(arn))
        {
            return false;
        }
        if let Some(account) = &self.account
            && resource.account.as_deref() != Some(account.as_str())
        {
            return false;
        }
        if let Some((key, value)) = &self.tag {
            let tagged = tags
                .tags(resource)
                .and_then(|t| t.get(key))
                .is_some_and(|v| v == value);
            if !tagged {
                return false;
            }
        }
        true
    }
}

/// One reviewed exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub id: String,
    pub rule: String,
    pub selector: Selector,
    pub reason: String,
    pub approver: String,
    /// The last day it applies (inclusive, UTC).
    pub expires: Date,
    pub ticket: Option<String>,
    /// The file it was read from, as given.
    pub file: String,
    /// The line its entry starts on (1-based).
    pub line: usize,
}

impl Waiver {
    /// Expired at `as_of`: the evaluation date is after the expiry date.
    pub fn is_expired(&self, as_of: Date) -> bool {
        as_of > self.expires
    }

    fn applied(&self, original_status: Status) -> AppliedWaiver {
        AppliedWaiver {
            id: self.id.clone(),
            reason: self.reason.clone(),
            approver: self.approver.clone(),
            expires: self.expires.to_string(),
            file: self.file.clone(),
            line: Some(self.line),
            original_status,
        }
    }

    fn outcome(&self, state: WaiverState, findings: usize) -> WaiverOutcome {
        WaiverOutcome {
            id: self.id.clone(),
            rule: self.rule.clone(),
            state,
            findings,
            reason: self.reason.clone(),
            approver: self.approver.clone(),
            expires: self.expires.to_string(),
            file: self.file.clone(),
            line: Some(self.line),
        }
    }
}

/// Where a tag selector finds a resource's tags (findings carry no tags).
pub trait TagLookup {
    fn tags(&self, resource: &ResourceRef) -> Option<&BTreeMap<String, String>>;
}

impl TagLookup for Inventory {
    /// The tags of the finding's own resource: the same type and id in another account or
    /// Region is another resource, whose tags must not waive this one.
    fn tags(&self, resource: &ResourceRef) -> Option<&BTreeMap<String, String>> {
        self.with_id(&resource.resource_type, &resource.id)
            .find(|r| r.account_id == resource.account && r.aws_region == resource.region)
            .map(|r| &r.tags)
    }
}

/// No tags known: a tag selector matches nothing.
pub struct NoTags;

impl TagLookup for NoTags {
    fn tags(&self, _: &ResourceRef) -> Option<&BTreeMap<String, String>> {
        None
    }
}

/// The waivers of one or more files, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaiverSet {
    waivers: Vec<Waiver>,
}

impl WaiverSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one waiver file (`text`, named `file` in diagnostics) and adds its waivers.
    /// `rules` are the rule ids a waiver may name. On any problem nothing is added and every
    /// problem found is returned; ids must be unique across all files added.
    pub fn add_file(
        &mut self,
        text: &str,
        file: &str,
        rules: &[String],
    ) -> Result<(), Vec<WaiverDiagnostic>> {
        let waivers = parse::parse_file(text, file, rules, &self.waivers)?;
        self.waivers.extend(waivers);
        Ok(())
    }

    pub fn waivers(&self) -> &[Waiver] {
        &self.waivers
    }

    pub fn is_empty(&self) -> bool {
        self.waivers.is_empty()
    }

    /// Applies the waivers to `findings` at the evaluation date `as_of`: a NON_COMPLIANT or
    /// ERROR finding that an unexpired waiver matches becomes WAIVED, carrying the first such
    /// waiver (file order) and its original status. Returns one outcome per waiver, in file
    /// order: APPLIED (it matched a failing finding), EXPIRED (past its date: it applies to
    /// nothing; `findings` counts those it would have matched), or STALE (it matched no
    /// failing finding).
    pub fn apply(
        &self,
        findings: &mut [Finding],
        as_of: Date,
        tags: &dyn TagLookup,
    ) -> Vec<WaiverOutcome> {
        let mut counts = vec![0usize; self.waivers.len()];
        for finding in findings.iter_mut() {
            let original = match finding.status {
                Status::NonCompliant | Status::Error => finding.status,
                _ => continue,
            };
            let mut first: Option<&Waiver> = None;
            for (waiver, count) in self.waivers.iter().zip(counts.iter_mut()) {
                if waiver.rule != finding.rule || !waiver.selector.matches(&finding.resource, tags)
                {
                    continue;
                }
                *count += 1;
                if first.is_none() && !waiver.is_expired(as_of) {
                    first = Some(waiver);
                }
            }
            if let Some(waiver) = first {
                finding.status = Status::Waived;
                finding.waiver = Some(Box::new(waiver.applied(original)));
            }
        }
        self.waivers
            .iter()
            .zip(counts)
            .map(|(waiver, count)| {
                let state = if waiver.is_expired(as_of) {
                    WaiverState::Expired
                } else if count > 0 {
                    WaiverState::Applied
                } else {
                    WaiverState::Stale
                };
                waiver.outcome(state, count)
            })
            .collect()
    }
}

/// The evaluation date of an evaluation time: its day in UTC.
pub fn evaluation_date(as_of: jiff::Timestamp) -> Date {
    as_of.to_zoned(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests;
