//! Live AWS for Ward: collect an inventory through the AWS APIs (`collect`), back AWS Config
//! custom rules (`config_rule`), revoke the security-group rules the seed controls flag
//! (`remediate`) and deactivate the access keys the key rules flag (`remediate_keys`).
//!
//! This is the only crate that depends on the AWS SDK (and tokio). Everything it reads is
//! turned into AWS Config configuration items and normalized by `ward-import`, so rules see
//! the same resources whether they come from a snapshot file, the Config API or EC2.
//!
//! The functions here are `async`; [`runtime`] gives the single-threaded runtime the CLI
//! drives them with.

#![forbid(unsafe_code)]

pub mod client;
pub mod collect;
pub mod config_rule;
pub mod convert;
pub mod remediate;
pub mod remediate_keys;
mod retry;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::{AwsOptions, Clients};
pub use retry::RetryPolicy;

use std::path::PathBuf;

/// Why a live AWS operation could not be carried out. A failed control is never one of
/// these: it is a finding (or a `NON_COMPLIANT` evaluation).
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("no AWS Region: give `--region`, set `AWS_REGION`, or name one in the profile")]
    NoRegion,
    /// A call that failed after its retries.
    #[error("`{service}:{operation}` failed: {message}")]
    Call {
        service: &'static str,
        operation: &'static str,
        message: String,
    },
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The Config rule event is not one Ward can evaluate.
    #[error("invalid Config rule event: {0}")]
    Event(String),
    /// Which Ward rules a Config rule runs could not be decided.
    #[error("{0}")]
    RuleSelection(String),
    /// A rule parameter from the event that no selected rule has, or of the wrong type.
    #[error("{0}")]
    Param(String),
    #[error(transparent)]
    Engine(#[from] ward_backend::EngineError),
    /// A scheduled run could not read every resource it needs: nothing was evaluated.
    #[error("the resources to evaluate could not all be read: {0}")]
    Incomplete(String),
    #[error("`--put` needs the event's `resultToken`; this event has none")]
    NoResultToken,
    /// Some evaluations were not accepted by `PutEvaluations` after every retry.
    #[error("{failed} of {total} evaluation(s) were not accepted by PutEvaluations: {message}")]
    PutFailed {
        failed: usize,
        total: usize,
        message: String,
    },
    /// What a remediation needs is not there (a group that no longer exists...).
    #[error("{0}")]
    Remediation(String),
}

/// The runtime [`runtime`] makes, for callers that keep one without depending on tokio.
pub use tokio::runtime::Runtime;

/// The single-threaded tokio runtime the CLI runs these functions on.
pub fn runtime() -> Result<Runtime, AwsError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(AwsError::Runtime)
}

/// The current UTC time as Config writes it (`2024-01-02T03:04:05.678Z`).
pub fn now_rfc3339() -> String {
    format_timestamp(jiff::Timestamp::now())
}

pub(crate) fn format_timestamp(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
