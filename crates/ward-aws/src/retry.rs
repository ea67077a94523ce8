//! Retries. Every call goes through the SDK's standard retry mode (throttling and transient
//! errors, exponential backoff with jitter, a retry quota); on top of that Ward retries what
//! the SDK cannot see as a failure: the `FailedEvaluations` of `PutEvaluations`, and a
//! throttled or failed `PutEvaluations` batch once the SDK has given up on it.

use std::time::Duration;

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::AwsError;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call in the SDK (1 = no retry).
    pub sdk_attempts: u32,
    /// Ward's own rounds for partial answers and for a batch the SDK gave up on.
    pub rounds: u32,
    /// The first backoff; each round doubles it, up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            sdk_attempts: 5,
            rounds: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait before round `round` (0-based) of Ward's own retries.
    pub fn backoff(&self, round: u32) -> Duration {
        let factor = 1u32.checked_shl(round.min(16)).unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    pub(crate) async fn sleep(&self, round: u32) {
        tokio::time::sleep(self.backoff(round)).await;
    }
}

/// An SDK error as one line: the service's error code and message when it answered, else the
/// whole error chain (no credentials, connection refused...).
pub(crate) fn describe<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match (e.code(), e.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => DisplayErrorContext(err).to_string(),
            }
        }
        _ => DisplayErrorContext(err).to_string(),
    }
}

pub(crate) fn call_error<E, R>(
    service: &'static str,
    operation: &'static str,
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    AwsError::Call {
        service,
        operation,
        message: describe(err),
    }
}

/// Error codes AWS uses for throttling.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
];

/// Whether a failed call may succeed when sent again: throttling (HTTP 429 or a throttling
/// code), a server error (5xx), a timeout or a connection that failed.
pub(crate) fn is_retryable(
    err: &aws_smithy_runtime_api::client::result::SdkError<
        impl ProvideErrorMetadata + std::error::Error + 'static,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool {
    use aws_smithy_runtime_api::client::result::SdkError;
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(r) => {
            let status = r.raw().status().as_u16();
            status == 429 || status >= 500
        }
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            status == 429
                || status >= 500
                || s.err().code().is_some_and(|c| THROTTLING.contains(&c))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
            ..RetryPolicy::default()
        };
        let waits: Vec<u128> = (0..5).map(|r| p.backoff(r).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 700, 700]);
        assert_eq!(p.backoff(40).as_millis(), 700);
    }
}
