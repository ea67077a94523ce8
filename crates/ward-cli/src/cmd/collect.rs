//! `ward collect`: read an inventory live from AWS (Config, EC2, the IAM credential report)
//! and write it as a Ward inventory file for `ward check`.

use std::path::PathBuf;
use std::time::Duration;

use ward_aws::collect::{CollectOptions, collect as collect_live};
use ward_aws::{AwsOptions, Clients, RetryPolicy};

use super::{Exit, Outcome, fail};
use crate::progress::CollectProgressLine;

/// How to reach AWS: shared by `collect`, `config-rule` and `remediate`.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct AwsArgs {
    /// The AWS Region (default: AWS_REGION or the profile's)
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// A named profile from the shared AWS config and credentials files
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// Send every AWS call to this endpoint (a VPC endpoint, moto, LocalStack)
    #[arg(long = "endpoint-url", value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// Attempts per AWS call, throttling and server errors included (the SDK's standard
    /// retry mode, exponential backoff with jitter)
    #[arg(long = "max-attempts", value_name = "N", default_value_t = 5)]
    pub(crate) max_attempts: u32,
}

impl AwsArgs {
    pub(crate) fn options(&self) -> AwsOptions {
        AwsOptions {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            retry: RetryPolicy {
                sdk_attempts: self.max_attempts.max(1),
                ..RetryPolicy::default()
            },
        }
    }
}

#[derive(clap::Args)]
pub(crate) struct CollectArgs {
    /// Where to write the inventory (a Ward inventory file, docs/inventory-format.md)
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// What to read: `config` (AWS Config's recorded items), `ec2` (EC2 directly, for
    /// accounts without Config), `credential-report` (IAM). Repeatable; default: all three.
    #[arg(long = "source", value_enum, value_name = "SOURCE")]
    pub(crate) sources: Vec<SourceKind>,
    /// Read Config items through this Config aggregator (all its accounts and Regions)
    #[arg(long, value_name = "NAME")]
    pub(crate) aggregator: Option<String>,
    /// Config resource types to list (repeatable; default: every type the rules can read)
    #[arg(long = "resource-type", value_name = "TYPE")]
    pub(crate) resource_types: Vec<String>,
    /// No progress line. Without it, a line on stderr shows the resources read and the call
    /// being made, and is cleared at the end; it is shown only when stderr is a terminal
    #[arg(long, short)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SourceKind {
    Config,
    Ec2,
    CredentialReport,
}

/// Exit codes: 0 complete, 1 written but partial (some call failed after its retries), 2
/// nothing written.
pub(crate) fn collect(args: CollectArgs) -> Outcome {
    let all = args.sources.is_empty();
    let has = |k: SourceKind| all || args.sources.contains(&k);
    let options = CollectOptions {
        config: has(SourceKind::Config) || args.aggregator.is_some(),
        aggregator: args.aggregator.clone(),
        ec2: has(SourceKind::Ec2),
        credential_report: has(SourceKind::CredentialReport),
        resource_types: args.resource_types.clone(),
    };
    let runtime = ward_aws::runtime().map_err(fail)?;
    let collection = runtime.block_on(async {
        let clients = Clients::load(&args.aws.options()).await?;
        let progress_line = CollectProgressLine::start(args.quiet);
        Ok::<_, ward_aws::AwsError>(collect_live(&clients, &options, &progress_line).await)
    });
    let collection = collection.map_err(fail)?;
    let text = serde_json::to_string_pretty(&collection.to_document())
        .map_err(|e| fail(format!("cannot write the inventory: {e}")))?
        + "\n";
    std::fs::write(&args.out, text)
        .map_err(|e| fail(format!("cannot write `{}`: {e}", args.out.display())))?;
    eprintln!(
        "collected {} resource(s) from {} in {} into `{}`",
        collection.resources.len(),
        collection.sources.join(", "),
        collection.region,
        args.out.display()
    );
    if !collection.is_complete() {
        eprintln!(
            "error: the inventory is PARTIAL: {} call(s) failed after retries (listed above and in `collection.problems`)",
            collection.problems.len()
        );
    }
    Ok(Exit::flagged_if(!collection.is_complete()))
}

/// A retry policy for tests and replays that must not wait long.
#[allow(dead_code)]
pub(crate) fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}
