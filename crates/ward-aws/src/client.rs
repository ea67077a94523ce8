//! The SDK clients, configured once: the standard credential chain (environment, profile,
//! SSO, web identity, container and instance roles), `--region`, `--profile`,
//! `--endpoint-url`, the SDK's standard retry mode, and one rustls (ring) HTTPS client shared
//! by every service.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_smithy_http_client::tls;

use crate::AwsError;
use crate::retry::RetryPolicy;

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// The Region (else `AWS_REGION` / the profile's).
    pub region: Option<String>,
    /// A named profile of the shared config and credentials files.
    pub profile: Option<String>,
    /// Send every call to this endpoint (moto, LocalStack, a VPC endpoint).
    pub endpoint_url: Option<String>,
    /// Retries: the SDK's attempts per call, and Ward's own for partial answers.
    pub retry: RetryPolicy,
}

/// The clients of one run, all in one account and Region.
#[derive(Debug, Clone)]
pub struct Clients {
    pub config: aws_sdk_config::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    /// Only for the remediation evidence object. Path-style addressing when an endpoint
    /// override is set (moto, LocalStack: no bucket subdomains on loopback).
    pub s3: aws_sdk_s3::Client,
    pub region: String,
    pub retry: RetryPolicy,
}

impl Clients {
    /// Loads the configuration (credentials are resolved lazily, on the first call).
    pub async fn load(options: &AwsOptions) -> Result<Clients, AwsError> {
        let mut loader = loader(&options.retry);
        if let Some(region) = &options.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        Clients::from_sdk(&loader.load().await, options.retry.clone())
    }

    /// The clients of a loaded SDK configuration.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, retry: RetryPolicy) -> Result<Clients, AwsError> {
        let region = sdk
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or(AwsError::NoRegion)?;
        Ok(Clients {
            config: aws_sdk_config::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
            sts: aws_sdk_sts::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(sdk)
                    .force_path_style(sdk.endpoint_url().is_some())
                    // A checksum only where S3 requires one: a small JSON body needs no
                    // aws-chunked trailer, which S3-compatible endpoints may not read.
                    .request_checksum_calculation(
                        aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                    )
                    .build(),
            ),
            region,
            retry,
        })
    }

    /// The account the credentials belong to (`sts:GetCallerIdentity`).
    pub async fn account_id(&self) -> Result<String, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| crate::retry::call_error("sts", "GetCallerIdentity", &e))?;
        out.account().map(str::to_string).ok_or(AwsError::Call {
            service: "sts",
            operation: "GetCallerIdentity",
            message: "the answer names no account".into(),
        })
    }
}

/// The SDK configuration loader with Ward's HTTPS client and retry settings.
pub(crate) fn loader(retry: &RetryPolicy) -> aws_config::ConfigLoader {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let retry_config = RetryConfig::standard()
        .with_max_attempts(retry.sdk_attempts.max(1))
        .with_initial_backoff(retry.initial_backoff)
        .with_max_backoff(retry.max_backoff.max(Duration::from_millis(1)));
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(retry_config)
}

/// The partition of a Region: `aws`, `aws-cn` or `aws-us-gov`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}
