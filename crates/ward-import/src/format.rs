//! The input formats the importer recognizes.

use std::fmt;

/// The format detected for one input file. Detection looks at the content (the top-level
/// keys, and gzip's magic bytes), never at the file name; the name only tells which API
/// operation a recorded response with no resource came from, and which query an EC2
/// `describe-snapshots` output answers (the output does not say: only a file named
/// `ec2-describe-snapshots-public.json` is read, as the account's public snapshots).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// An AWS Config snapshot as delivered to S3: `{"fileVersion", "configSnapshotId",
    /// "configurationItems": [...]}`, plain or gzip.
    ConfigSnapshot,
    /// `aws configservice get-resource-config-history` (`configurationItems`) or
    /// `batch-get-resource-config` (`baseConfigurationItems`) output, or a boto3 recording of it.
    ConfigApiItems,
    /// `aws configservice select-resource-config` output: `{"Results": ["<json>", ...]}`.
    SelectResourceConfig,
    /// A Config rule Lambda event (`invokingEvent`), or the invoking event itself.
    ConfigRuleEvent,
    /// A single configuration item (an object with `resourceType`).
    ConfigurationItem,
    /// A JSON array of configuration items.
    ConfigurationItemList,
    /// Ward's own inventory snapshot (`wardInventoryVersion`).
    WardInventory,
    /// `ec2.DescribeSecurityGroups` output (`SecurityGroups`), plain or a placebo recording.
    Ec2Api,
    /// `rds.DescribeDBInstances` (`DBInstances`) or `rds.ModifyDBInstance` (`DBInstance`) output.
    RdsApi,
    /// `s3.ListBuckets` output (`Buckets`).
    S3Api,
    /// An API response recognized as describing no resource. The string names the operation
    /// (`ec2.RevokeSecurityGroupIngress`, `s3.GetBucketLogging`, `config.PutEvaluations`,
    /// taken from a placebo file name `<service>.<Operation>_<n>.json` when the content does
    /// not tell) or is `aws-api-response` when nothing tells.
    NoResources(String),
    /// An account-level fact: the response of the named AWS CLI operation
    /// (`iam get-account-password-policy`, `iam get-credential-report`, ...), imported as
    /// a `Ward::` pseudo resource.
    AccountFacts(&'static str),
    /// A service fact AWS Config does not record (ElastiCache clusters, EMR clusters, WAFv2
    /// logging, ...): the response of the named AWS CLI operation, imported as `Ward::`
    /// pseudo resources.
    ServiceFacts(&'static str),
    /// The IAM credential report as CSV (the decoded `Content` of `get-credential-report`).
    CredentialReportCsv,
}

impl Format {
    /// The value written to each imported resource's `source.format`.
    pub fn source_format(&self) -> &'static str {
        match self {
            Format::ConfigSnapshot => "config-snapshot",
            Format::ConfigApiItems => "config-api",
            Format::SelectResourceConfig => "config-select",
            Format::ConfigRuleEvent => "config-rule-event",
            Format::ConfigurationItem | Format::ConfigurationItemList => "config-item",
            Format::WardInventory => "ward-inventory",
            Format::Ec2Api => "ec2-api",
            Format::RdsApi => "rds-api",
            Format::S3Api => "s3-api",
            Format::NoResources(_) => "none",
            Format::AccountFacts(_) => "aws-account-facts",
            Format::ServiceFacts(_) => "aws-service-facts",
            Format::CredentialReportCsv => "iam-credential-report",
        }
    }

    /// What the user reads: `AWS Config snapshot`, `EC2 API response`, ...
    pub fn description(&self) -> String {
        match self {
            Format::ConfigSnapshot => "AWS Config snapshot".into(),
            Format::ConfigApiItems => "AWS Config API configuration items".into(),
            Format::SelectResourceConfig => "AWS Config select-resource-config output".into(),
            Format::ConfigRuleEvent => "AWS Config rule event".into(),
            Format::ConfigurationItem => "AWS Config configuration item".into(),
            Format::ConfigurationItemList => "list of AWS Config configuration items".into(),
            Format::WardInventory => "Ward inventory snapshot".into(),
            Format::Ec2Api => "EC2 DescribeSecurityGroups response".into(),
            Format::RdsApi => "RDS DB instance response".into(),
            Format::S3Api => "S3 ListBuckets response".into(),
            Format::NoResources(op) => format!("`{op}` response (no resources)"),
            Format::AccountFacts(op) => format!("`aws {op}` output (account-level facts)"),
            Format::ServiceFacts(op) => format!("`aws {op}` output (service facts)"),
            Format::CredentialReportCsv => "IAM credential report (CSV)".into(),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// The accepted formats, for the help of an unknown-format diagnostic.
pub(crate) const ACCEPTED: &str = "accepted inputs: an AWS Config snapshot (`configurationItems`, \
plain or gzip), `get-resource-config-history` / `batch-get-resource-config` output \
(`configurationItems` / `baseConfigurationItems`), `select-resource-config` output (`Results`), \
a Config rule event (`invokingEvent`) or invoking event (`configurationItem`), a configuration \
item (`resourceType`) or a JSON array of them, a Ward inventory (`wardInventoryVersion`), and \
EC2/RDS/S3 API responses or their placebo recordings (`SecurityGroups`, `DBInstances`, \
`DBInstance`, `Buckets`), and account-level facts: the IAM credential report (CSV, or the \
`get-credential-report` JSON), `get-account-password-policy`, `get-account-summary`, \
`list-virtual-mfa-devices`, `get-ebs-encryption-by-default`, EC2 `describe-snapshots \
--owner-ids self --restorable-by-user-ids all` (in a file named \
`ec2-describe-snapshots-public.json`), GuardDuty `list-detectors`, Security Hub \
`describe-hub` and `describe-configuration-recorder-status` output; and service \
facts Config does not record: ElastiCache `describe-cache-clusters` / \
`describe-replication-groups`, DynamoDB `describe-limits`, Application Auto Scaling \
`describe-scalable-targets` / `describe-scaling-policies`, EMR `describe-cluster` / \
`describe-security-configuration`, WAFv2 `get-logging-configuration` / \
`list-logging-configurations`, Elastic Beanstalk `describe-configuration-settings` and EC2 \
`describe-snapshot-attribute`";
