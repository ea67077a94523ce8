//! Findings: what every backend produces and every reporter reads.

use std::fmt;
use std::sync::Arc;

use crate::json::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::resource::ResourceRef;

/// Version of the findings JSON document (`docs/findings-format.md`).
pub const FINDINGS_FORMAT_VERSION: &str = "1";

/// The outcome of one rule for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Compliant,
    NonCompliant,
    NotApplicable,
    /// The rule could not be evaluated for this resource (a runtime error in the rule,
    /// a plugin trap); never counted as a pass.
    Error,
    /// NON_COMPLIANT (or ERROR), but covered by a reviewed, unexpired waiver: kept visible
    /// with the waiver (`Finding::waiver`), and it does not fail the run.
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compliant => "COMPLIANT",
            Status::NonCompliant => "NON_COMPLIANT",
            Status::NotApplicable => "NOT_APPLICABLE",
            Status::Error => "ERROR",
            Status::Waived => "WAIVED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a failing control matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value that decided a finding, with the JSON path it was read from.
///
/// Paths are written from the resource root: `configuration.ipPermissions[0].fromPort`,
/// `supplementaryConfiguration.BucketPolicy.policyText.Statement[1].Effect`, `tags.env`.
/// A path into another resource starts with that resource: `AWS::EC2::SecurityGroup/sg-1:configuration.groupName`.
/// `value` is `null` with `absent: true` when the field was not there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub path: String,
    pub value: Json,
    #[serde(default, skip_serializing_if = "is_false")]
    pub absent: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The result of one rule for one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule id, e.g. `restricted-ssh`.
    pub rule: String,
    /// Which backend produced it: `ward-lang`, `cedar`, `wasm`.
    pub backend: String,
    /// Shared by the resource's findings ([`crate::Resource::shared_ref`]).
    pub resource: Arc<ResourceRef>,
    pub status: Status,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// HIPAA citations, e.g. `164.312(b)`: one list per rule, shared by its findings.
    pub citations: Arc<[String]>,
    pub severity: Severity,
    /// Stable identity of (rule, resource): the same across runs, whatever the status.
    pub fingerprint: String,
    /// The waiver that turned this finding into `WAIVED` (boxed: most findings have none,
    /// and a large estate has hundreds of thousands of findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<AppliedWaiver>>,
}

/// The waiver behind a `WAIVED` finding, as the finding carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    /// The waiver's id in its file.
    pub id: String,
    pub reason: String,
    pub approver: String,
    /// The expiry date (`YYYY-MM-DD`, inclusive).
    pub expires: String,
    /// The waiver file and the line the waiver starts on.
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The status the rule gave before the waiver applied.
    pub original_status: Status,
}

/// What became of one waiver in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverOutcome {
    pub id: String,
    pub rule: String,
    pub state: WaiverState,
    /// How many findings it waived (`APPLIED`) or would have waived (`EXPIRED`).
    pub findings: usize,
    pub reason: String,
    pub approver: String,
    pub expires: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WaiverState {
    /// Unexpired and matched at least one failing finding.
    Applied,
    /// Past its expiry at the evaluation time: it no longer applies.
    Expired,
    /// Unexpired but matched no failing finding: the exception may be obsolete.
    Stale,
}

/// `FILE:LINE` of a waiver (just `FILE` when the line is unknown).
fn waiver_location(file: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    }
}

impl AppliedWaiver {
    /// `FILE:LINE` of the waiver (just `FILE` when the line is unknown).
    pub fn location(&self) -> String {
        waiver_location(&self.file, self.line)
    }
}

impl WaiverOutcome {
    /// `FILE:LINE` of the waiver (just `FILE` when the line is unknown).
    pub fn location(&self) -> String {
        waiver_location(&self.file, self.line)
    }
}

impl WaiverState {
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Applied => "APPLIED",
            WaiverState::Expired => "EXPIRED",
            WaiverState::Stale => "STALE",
        }
    }
}

/// A secret found in the input and removed before anything was evaluated or written: where
/// it was and what kind of secret it looked like (never the value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Redaction {
    pub resource_type: String,
    pub resource_id: String,
    /// The JSON path of the redacted value, e.g. `configuration.environment.variables.DB_PASSWORD`.
    pub path: String,
    /// What it looked like: `password`, `aws-secret-access-key`, `private-key`, `token`, ...
    pub kind: String,
}

impl Finding {
    /// The fingerprint of a (rule, resource) pair: SHA-256 over the rule id and the
    /// resource's account, region, type and id, hex, first 32 characters.
    pub fn fingerprint_of(rule: &str, resource: &ResourceRef) -> String {
        let mut hasher = Sha256::new();
        for part in [
            rule,
            resource.account.as_deref().unwrap_or(""),
            resource.region.as_deref().unwrap_or(""),
            &resource.resource_type,
            &resource.id,
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hex::encode(hasher.finalize());
        digest.chars().take(32).collect()
    }

    /// The order findings are reported in: by rule, then resource, then status.
    pub fn sort_key(&self) -> (&str, &ResourceRef, Status) {
        (&self.rule, &self.resource, self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_depends_on_identity() {
        let r = ResourceRef {
            resource_type: "AWS::S3::Bucket".into(),
            id: "logs".into(),
            arn: None,
            account: Some("1".into()),
            region: Some("us-east-1".into()),
        };
        let a = Finding::fingerprint_of("s3-bucket-logging-enabled", &r);
        assert_eq!(a, Finding::fingerprint_of("s3-bucket-logging-enabled", &r));
        assert_ne!(
            a,
            Finding::fingerprint_of("s3-bucket-versioning-enabled", &r)
        );
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn status_spelling() {
        assert_eq!(
            serde_json::to_string(&Status::NonCompliant).unwrap(),
            "\"NON_COMPLIANT\""
        );
        assert_eq!(Severity::parse("high"), Some(Severity::High));
    }
}
