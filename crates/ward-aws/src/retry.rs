//! Retries. Every call goes through the SDK's standard retry mode (throttling and transient
//! errors, exponential backoff with jitter, a retry quota); on top of that Ward retries what
//! the SDK cannot see as a failure: the `FailedEvaluations` of `PutEvaluations`, and a
//! throttled or failed `PutEvaluations` batch once the SDK has given up on it.

use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
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

/// The longest AWS error message kept in a summary, in characters.
const MESSAGE_MAX: usize = 300;

/// An SDK error as one line a person can act on: the HTTP status, AWS's error code and
/// message, the request id, and what to do next. Built from the error's parts, never from
/// its `Debug` form: that carries the raw response, and a response the SDK could not parse
/// may be a configuration item with secrets in it. The one place the workspace turns an AWS
/// call failure into text.
pub(crate) fn describe<E>(
    err: &aws_smithy_runtime_api::client::result::SdkError<E, HttpResponse>,
) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let (what, advice) = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            let mut what = format!("HTTP {status}");
            match e.code() {
                Some(code) => {
                    what.push(' ');
                    what.push_str(&bounded(code, 80));
                }
                None => what.push_str(", an answer that is not an AWS error (not shown)"),
            }
            if let Some(message) = e.message().filter(|m| !m.is_empty()) {
                what.push_str(": ");
                what.push_str(&bounded(message, MESSAGE_MAX));
            }
            if let Some(id) = request_id(service.raw()) {
                what.push_str(&format!(" (request id {})", bounded(id, 80)));
            }
            (what, advice_for(e.code(), status))
        }
        SdkError::ResponseError(r) => (
            format!(
                "HTTP {}: the answer could not be read as this API's answer (not shown)",
                r.raw().status().as_u16()
            ),
            Some("check that --endpoint-url points at the AWS service the call is for"),
        ),
        SdkError::TimeoutError(_) => (
            "the call timed out".to_string(),
            Some("retry later, or check the network and --endpoint-url"),
        ),
        SdkError::DispatchFailure(d) => (
            format!(
                "the request could not be sent: {}",
                chain(
                    d.as_connector_error()
                        .map(|e| e as &(dyn std::error::Error + 'static))
                )
            ),
            Some("check --endpoint-url, --region, the network and the credentials"),
        ),
        SdkError::ConstructionFailure(_) => (
            "the request could not be built".to_string(),
            Some("check the credentials and the region (--profile, --region)"),
        ),
        _ => ("the call failed".to_string(), None),
    };
    match advice {
        Some(advice) => format!("{what}; {advice}"),
        None => what,
    }
}

/// The request id AWS gave the answer.
fn request_id(raw: &HttpResponse) -> Option<&str> {
    ["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"]
        .iter()
        .find_map(|h| raw.headers().get(*h))
}

/// What to do about an error AWS answered.
fn advice_for(code: Option<&str>, status: u16) -> Option<&'static str> {
    let code = code.unwrap_or_default();
    if THROTTLING.contains(&code) || status == 429 {
        Some("still throttled after the retries: run again later or raise --max-attempts")
    } else if code.contains("AccessDenied")
        || code.contains("Unauthorized")
        || code.contains("NotAuthorized")
    {
        Some("the credentials lack the IAM permission for this call (docs/aws.md lists them)")
    } else if matches!(
        code,
        "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "SignatureDoesNotMatch"
            | "InvalidSignatureException"
    ) {
        Some("the credentials are invalid or expired: renew them (--profile)")
    } else if status >= 500 {
        Some("AWS answered with a server error after the retries: run again later")
    } else {
        None
    }
}

/// An error and its sources, by their `Display` only.
fn chain(err: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut parts = Vec::new();
    let mut next = err;
    while let Some(e) = next {
        parts.push(bounded(&e.to_string(), MESSAGE_MAX));
        next = e.source();
    }
    if parts.is_empty() {
        "no cause given".to_string()
    } else {
        parts.join(": ")
    }
}

/// `text` cut to `max` characters, control characters made spaces.
fn bounded(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

pub(crate) fn call_error<E>(
    service: &'static str,
    operation: &'static str,
    err: &aws_smithy_runtime_api::client::result::SdkError<E, HttpResponse>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
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
        HttpResponse,
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
