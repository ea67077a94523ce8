//! `ward`: evaluate HIPAA controls over AWS inventories.
//!
//! Exit codes: 0 nothing non-compliant, 1 something non-compliant (or a rule could not be
//! evaluated for a resource: ERROR findings fail closed), 2 a usage or input error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ward_cli::{import_inputs, input_problems, load_policies, parse_param_overrides, rule_tests};
use ward_engine::{EvalOptions, evaluate};
use ward_lang::PackError;
use ward_report::{FindingsDocument, render_text};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Parser)]
#[command(
    name = "ward",
    version,
    about = "Policy-as-code for HIPAA controls on AWS",
    long_about = "Ward evaluates HIPAA controls, written as rules, over an inventory of AWS \
resources (AWS Config snapshots, Config API output, Config rule events) and reports, resource \
by resource, what is compliant, with the evidence that decided it.\n\n\
Start with the shipped example:\n  ward check --snapshot examples/clinic/snapshot.json",
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
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// An inventory file or a directory of them: AWS Config snapshot (.json or .json.gz),
    /// Config API output, a Config rule event, or a Ward inventory. Repeatable.
    #[arg(long = "snapshot", value_name = "FILE", required = true)]
    snapshots: Vec<PathBuf>,
    /// Rule directories (default: the built-in HIPAA pack). Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// Override a rule parameter: RULE.KEY=VALUE (lists as 1,2,3 or JSON). Repeatable.
    #[arg(long = "param", value_name = "RULE.KEY=VALUE")]
    params: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Evaluation time (RFC 3339) for ages; default: the snapshot's latest capture time
    #[arg(long = "as-of", value_name = "TIME")]
    as_of: Option<String>,
    /// Only these rules (repeatable)
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// In text output, list compliant and not-applicable findings too
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Test { dirs } => test(&dirs),
        Command::Explain { rule, policies } => explain(&rule, &policies),
        Command::Rules { policies } => list_rules(&policies),
    }
}

fn report_pack_error(e: PackError) -> ExitCode {
    match e {
        PackError::Invalid(diags) => {
            let n = diags.len();
            for d in diags {
                eprintln!("{:?}", miette::Report::new(d));
            }
            eprintln!("error: {n} problem(s) in the rules; nothing was evaluated");
        }
        other => eprintln!("error: {other}"),
    }
    ExitCode::from(2)
}

fn color_enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn check(args: CheckArgs) -> ExitCode {
    let pack = match load_policies(&args.policies) {
        Ok(p) => p,
        Err(e) => return report_pack_error(e),
    };
    let params = match parse_param_overrides(&args.params) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for r in &args.rules {
        if pack.rule(r).is_none() {
            eprintln!("error: unknown rule `{r}` (see `ward rules`)");
            return ExitCode::from(2);
        }
    }
    let (inventory, report) = import_inputs(&args.snapshots);
    for d in report.diagnostics() {
        if d.level != ward_import::Level::Info {
            eprintln!("{:?}", miette::Report::new(d.clone()));
        }
    }
    let options = EvalOptions {
        as_of: args.as_of.clone(),
        params,
        only: (!args.rules.is_empty()).then(|| args.rules.iter().cloned().collect()),
    };
    let evaluation = match evaluate(&pack, &inventory, &options) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let rule_ids: Vec<String> = pack
        .rules
        .iter()
        .map(|r| r.id.clone())
        .filter(|id| options.only.as_ref().is_none_or(|o| o.contains(id)))
        .collect();
    let doc = FindingsDocument::new(
        VERSION,
        evaluation.as_of,
        evaluation.findings,
        &rule_ids,
        inventory.len(),
        evaluation.rules_without_resources,
        input_problems(&report),
    );
    let text = match args.format {
        Format::Json => doc.to_json(),
        Format::Text => render_text(&doc, color_enabled(), args.verbose),
    };
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(text.as_bytes()).is_err() {
        return ExitCode::from(2);
    }
    if report.has_errors() {
        eprintln!("error: some input could not be read (see above); the rest was evaluated");
        return ExitCode::from(2);
    }
    if doc.summary.non_compliant > 0 || doc.summary.error > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn test(dirs: &[PathBuf]) -> ExitCode {
    match rule_tests::run(dirs) {
        Ok(run) => {
            print!("{}", run.render());
            if run.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => report_pack_error(e),
    }
}

fn explain(rule_id: &str, policies: &[PathBuf]) -> ExitCode {
    let pack = match load_policies(policies) {
        Ok(p) => p,
        Err(e) => return report_pack_error(e),
    };
    let Some(rule) = pack.rule(rule_id) else {
        let ids: Vec<&str> = pack.rules.iter().map(|r| r.id.as_str()).collect();
        let hint = ward_lang::diagnostic::did_you_mean(rule_id, ids.iter().copied());
        eprintln!("error: unknown rule `{rule_id}`: {hint}");
        return ExitCode::from(2);
    };
    let m = &rule.meta;
    let mut out = String::new();
    out.push_str(&format!("{}\n  {}\n\n", rule.id, m.title));
    out.push_str(&format!("severity:   {}\n", m.severity));
    out.push_str(&format!("resources:  {}\n", rule.resource_types.join(", ")));
    out.push_str(&format!("HIPAA:      {}\n", m.hipaa.join(", ")));
    if !m.frameworks.is_empty() {
        out.push_str(&format!("frameworks: {}\n", m.frameworks.join(", ")));
    }
    if let Some(s) = &m.source {
        out.push_str(&format!("source:     {s}\n"));
    }
    out.push_str(&format!("defined at: {}\n", pack.location(rule)));
    if !rule.params.is_empty() {
        out.push_str("\nparameters:\n");
        for p in &rule.params {
            let default = p
                .default
                .as_ref()
                .map_or("(optional, no default)".to_string(), |d| format!("= {d}"));
            out.push_str(&format!("  {}: {} {default}\n", p.name, p.ty));
        }
    }
    for (title, text) in [
        ("description", &m.description),
        ("rationale", &m.rationale),
        ("remediation", &m.remediation),
    ] {
        if let Some(t) = text {
            out.push_str(&format!("\n{title}:\n  {t}\n"));
        }
    }
    print!("{out}");
    ExitCode::SUCCESS
}

fn list_rules(policies: &[PathBuf]) -> ExitCode {
    let pack = match load_policies(policies) {
        Ok(p) => p,
        Err(e) => return report_pack_error(e),
    };
    for r in &pack.rules {
        println!(
            "{:<48} {:<8} {}",
            r.id,
            r.meta.severity.as_str(),
            r.meta.title
        );
    }
    ExitCode::SUCCESS
}
