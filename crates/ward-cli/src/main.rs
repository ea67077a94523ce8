//! `ward`: evaluate HIPAA controls over AWS inventories.
//!
//! Exit codes: 0 nothing non-compliant, 1 something non-compliant (or a rule could not be
//! evaluated for a resource: ERROR findings fail closed), 2 a usage or input error.

mod cmd;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cmd::bundle::BundleArgs;
use cmd::check::CheckArgs;
use cmd::collect::CollectArgs;
use cmd::config_rule::ConfigRuleArgs;
use cmd::controls::ControlsArgs;
use cmd::keygen::KeygenArgs;
use cmd::remediate::RemediateArgs;
use cmd::report::ReportArgs;
use cmd::rules::RulesFormat;
use cmd::verify::VerifyArgs;

#[derive(Parser)]
#[command(
    name = "ward",
    version,
    about = "Policy-as-code for HIPAA controls on AWS",
    long_about = "Ward evaluates HIPAA controls, written as rules, over an inventory of AWS \
resources (AWS Config snapshots, Config API output, Config rule events) and reports, resource \
by resource, what is compliant, with the evidence that decided it.\n\n\
Start with the shipped example:\n  ward check --snapshot examples/clinic/estate",
    after_help = "Exit codes: 0 nothing non-compliant, 1 findings, 2 usage or input error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate rules over one or more inventory files
    #[command(after_help = "Examples:\n  ward check --snapshot snapshot.json.gz\n  \
ward check --snapshot exports/ --policies policies/hipaa --format json\n  \
ward check --snapshot snap.json --param restricted-common-ports.blockedPorts=22,3389")]
    Check(CheckArgs),
    /// Report per HIPAA citation: the rules behind it, resources passing and failing, and the
    /// attestations to collect for citations no rule covers
    #[command(
        after_help = "Examples:\n  ward controls --snapshot examples/clinic/estate\n  \
ward controls --snapshot exports/ --format markdown > controls.md\n  \
ward check --snapshot snap.json --format json > run.json; ward controls --findings run.json"
    )]
    Controls(ControlsArgs),
    /// Write a self-contained HTML report for an auditor: the run per HIPAA citation, then
    /// rule by rule each failing or waived finding with its evidence
    #[command(after_help = "Examples:\n  \
ward report --snapshot examples/clinic/estate --out report.html\n  \
ward check --snapshot snap.json --format json > run.json; ward report --findings run.json --out report.html")]
    Report(ReportArgs),
    /// Run the test cases beside each rule (NAME.tests.yaml next to NAME.ward)
    Test {
        /// Directories (or files) holding rules and their tests
        #[arg(default_value = "policies")]
        dirs: Vec<PathBuf>,
    },
    /// Print a rule's title, rationale, citations, parameters, remediation and source
    Explain {
        /// The rule id, e.g. restricted-ssh
        rule: String,
        /// Rule directories (default: the built-in HIPAA pack)
        #[arg(long = "policies", value_name = "DIR")]
        policies: Vec<PathBuf>,
    },
    /// List the rules of a pack
    Rules {
        /// Rule directories (default: the built-in HIPAA pack)
        #[arg(long = "policies", value_name = "DIR")]
        policies: Vec<PathBuf>,
        /// Output format: one line per rule, or a Markdown table
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Write an evidence bundle from a saved `ward check --format json` result
    #[command(
        after_help = "Examples:\n  ward check --snapshot estate/ --format json > run.json\n  \
ward bundle --findings run.json --snapshot estate/ --out evidence.zip --sign-key ward.key\n\n\
Or in one step: ward check --snapshot estate/ --bundle evidence.zip --sign-key ward.key"
    )]
    Bundle(BundleArgs),
    /// Check an evidence bundle: every member against the manifest, and the signature
    #[command(
        after_help = "Examples:\n  ward verify evidence.zip --public-key ward.key.pub\n\n\
Exit codes: 0 verified, 1 a member was added, removed or changed, or the signature does not \
hold, 2 the bundle or key cannot be read."
    )]
    Verify(VerifyArgs),
    /// Make an Ed25519 key pair for signing evidence bundles (KEY and KEY.pub)
    #[command(after_help = "Examples:\n  ward keygen --out ward.key")]
    Keygen(KeygenArgs),
    /// Read an inventory live from AWS (Config, EC2, the IAM credential report) into a file
    /// `ward check` reads
    #[command(
        after_help = "Examples:\n  ward collect --region eu-west-1 --out inventory.json\n  \
ward collect --profile audit --aggregator org --source config --out org.json\n  \
ward collect --source ec2 --source credential-report --out account.json\n\n\
Exit codes: 0 complete, 1 written but PARTIAL (a call failed after its retries; the file says \
so and `ward check` warns), 2 nothing written."
    )]
    Collect(CollectArgs),
    /// Evaluate an AWS Config custom rule event and print (or --put) the evaluations
    #[command(
        name = "config-rule",
        after_help = "Examples:\n  ward config-rule --event event.json --format json\n  \
ward config-rule --event event.json --rule restricted-ssh\n  \
ward config-rule --event event.json --put --region eu-west-1\n\n\
The Ward rules run are --rule, else the rule parameter wardRules, else the Config rule's name \
(docs/aws.md). Exit codes: 0 nothing non-compliant, 1 something NON_COMPLIANT, 2 an error."
    )]
    ConfigRule(ConfigRuleArgs),
    /// Revoke the security-group rules that fail restricted-ssh, restricted-common-ports and
    /// vpc-default-security-group-closed (prints the plan; --apply carries it out)
    #[command(after_help = "Examples:\n  ward remediate --region eu-west-1\n  \
ward remediate --group-id sg-0123 --apply --evidence remediation.json")]
    Remediate(RemediateArgs),
    /// The Cedar backend: `ward cedar schema` prints the schema Cedar controls are validated against
    #[command(
        subcommand,
        after_help = "Examples:\n  ward cedar schema\n  ward cedar schema --format json > ward.cedarschema.json"
    )]
    Cedar(cmd::cedar::CedarCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::exit_code(match cli.command {
        Command::Check(args) => cmd::check::check(args),
        Command::Controls(args) => cmd::controls::controls(args),
        Command::Report(args) => cmd::report::report(args),
        Command::Test { dirs } => cmd::test::test(&dirs),
        Command::Explain { rule, policies } => cmd::explain::explain(&rule, &policies),
        Command::Rules { policies, format } => cmd::rules::list_rules(&policies, format),
        Command::Bundle(args) => cmd::bundle::bundle(args),
        Command::Verify(args) => cmd::verify::verify(args),
        Command::Keygen(args) => cmd::keygen::keygen(args),
        Command::Collect(args) => cmd::collect::collect(args),
        Command::ConfigRule(args) => cmd::config_rule::config_rule(args),
        Command::Remediate(args) => cmd::remediate::remediate(args),
        Command::Cedar(command) => cmd::cedar::cedar(command),
    })
}
