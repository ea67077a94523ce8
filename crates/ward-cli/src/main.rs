//! `ward`: evaluate HIPAA controls over AWS inventories.
//!
//! Exit codes: 0 nothing non-compliant, 1 something non-compliant (or a rule could not be
//! evaluated for a resource: ERROR findings fail closed), 2 a usage or input error.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ward_cli::{
    import_inputs, input_problems, load_catalogue, load_policies, parse_param_overrides,
    rule_citations, rule_tests,
};
use ward_engine::{EvalOptions, evaluate};
use ward_lang::{Pack, PackError};
use ward_report::controls::ControlsReport;
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
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// In text output, list compliant and not-applicable findings too
    #[arg(long, short)]
    verbose: bool,
}

#[derive(clap::Args)]
struct ControlsArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Read a saved `ward check --format json` result instead of evaluating snapshots
    #[arg(long, value_name = "FILE", conflicts_with = "snapshots")]
    findings: Option<PathBuf>,
    /// The citation catalogue (default: citations.yaml of the first --policies directory
    /// that has one, else the built-in HIPAA catalogue)
    #[arg(long, value_name = "FILE")]
    citations: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ControlsFormat::Text)]
    format: ControlsFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum ControlsFormat {
    Text,
    Json,
    Markdown,
}

/// What to evaluate: shared by `check` and `controls`.
#[derive(clap::Args)]
struct RunArgs {
    /// An inventory file or a directory of them: AWS Config snapshot (.json or .json.gz),
    /// Config API output, a Config rule event, a Ward inventory, or account-level facts
    /// (credential report CSV, password policy, account summary...). Repeatable.
    #[arg(long = "snapshot", value_name = "FILE")]
    snapshots: Vec<PathBuf>,
    /// Rule directories (default: the built-in HIPAA pack). Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// Override a rule parameter: RULE.KEY=VALUE (lists as 1,2,3 or JSON). Repeatable.
    #[arg(long = "param", value_name = "RULE.KEY=VALUE")]
    params: Vec<String>,
    /// Evaluation time (RFC 3339) for ages; default: the snapshot's latest capture time
    #[arg(long = "as-of", value_name = "TIME")]
    as_of: Option<String>,
    /// Only these rules (repeatable)
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
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
        Command::Controls(args) => controls(args),
        Command::Test { dirs } => test(&dirs),
        Command::Explain { rule, policies } => explain(&rule, &policies),
        Command::Rules { policies, format } => list_rules(&policies, format),
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

/// A finished evaluation: the document, and whether some input could not be read.
struct Run {
    pack: Pack,
    doc: FindingsDocument,
    input_errors: bool,
}

/// Loads the pack, imports the inputs and evaluates; an `Err` is the exit code after the
/// problem was reported.
fn run(args: &RunArgs) -> Result<Run, ExitCode> {
    if args.snapshots.is_empty() {
        eprintln!("error: give at least one --snapshot FILE (or directory) to evaluate");
        return Err(ExitCode::from(2));
    }
    let pack = load_policies(&args.policies).map_err(report_pack_error)?;
    let params = parse_param_overrides(&args.params).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    for r in &args.rules {
        if pack.rule(r).is_none() {
            eprintln!("error: unknown rule `{r}` (see `ward rules`)");
            return Err(ExitCode::from(2));
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
    let evaluation = evaluate(&pack, &inventory, &options).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
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
    Ok(Run {
        pack,
        doc,
        input_errors: report.has_errors(),
    })
}

fn write_stdout(text: &str) -> Result<(), ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .map_err(|_| ExitCode::from(2))
}

/// 2 when some input could not be read, 1 when something failed, else 0.
fn run_exit_code(input_errors: bool, doc: &FindingsDocument) -> ExitCode {
    if input_errors {
        eprintln!("error: some input could not be read (see above); the rest was evaluated");
        return ExitCode::from(2);
    }
    if doc.summary.non_compliant > 0 || doc.summary.error > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let Run {
        doc, input_errors, ..
    } = match run(&args.run) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let text = match args.format {
        Format::Json => doc.to_json(),
        Format::Text => render_text(&doc, color_enabled(), args.verbose),
    };
    if let Err(code) = write_stdout(&text) {
        return code;
    }
    run_exit_code(input_errors, &doc)
}

/// `ward controls`: the run (or a saved result) per HIPAA citation. Exit codes as `check`.
fn controls(args: ControlsArgs) -> ExitCode {
    let catalogue = match load_catalogue(&args.run.policies, args.citations.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (pack, doc, input_errors) = match &args.findings {
        Some(path) => {
            let pack = match load_policies(&args.run.policies) {
                Ok(p) => p,
                Err(e) => return report_pack_error(e),
            };
            let doc = match read_findings(path) {
                Ok(doc) => doc,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            (pack, doc, false)
        }
        None => match run(&args.run) {
            Ok(run) => (run.pack, run.doc, run.input_errors),
            Err(code) => return code,
        },
    };
    let mut rules = rule_citations(&pack);
    // With a saved result, only the rules it ran count (a rule with no finding is still
    // listed in its summary).
    if args.findings.is_some() {
        let ran: std::collections::BTreeSet<&str> = doc
            .summary
            .by_rule
            .iter()
            .map(|r| r.rule.as_str())
            .collect();
        rules.retain(|r| ran.contains(r.rule.as_str()));
    } else if !args.run.rules.is_empty() {
        rules.retain(|r| args.run.rules.contains(&r.rule));
    }
    let report = ControlsReport::build(&catalogue, &rules, &doc);
    let text = match args.format {
        ControlsFormat::Text => report.render_text(color_enabled()),
        ControlsFormat::Json => report.to_json(),
        ControlsFormat::Markdown => report.render_markdown(),
    };
    if let Err(code) = write_stdout(&text) {
        return code;
    }
    run_exit_code(input_errors, &doc)
}

fn read_findings(path: &Path) -> Result<FindingsDocument, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let doc: FindingsDocument = serde_json::from_str(&text).map_err(|e| {
        format!(
            "`{}` is not a `ward check --format json` result: {e}",
            path.display()
        )
    })?;
    if doc.format_version != ward_model::FINDINGS_FORMAT_VERSION {
        return Err(format!(
            "`{}` has findings format version `{}`; this Ward reads version `{}`",
            path.display(),
            doc.format_version,
            ward_model::FINDINGS_FORMAT_VERSION
        ));
    }
    Ok(doc)
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
    // Citations with their titles from the pack's catalogue (the built-in one by default).
    let catalogue = load_catalogue(policies, None).ok();
    out.push_str("HIPAA:\n");
    for c in &m.hipaa {
        let title = catalogue.as_ref().and_then(|cat| cat.get(c)).map_or(
            "(not in the citation catalogue)".to_string(),
            |cit| {
                format!(
                    "{} ({} safeguard, {})",
                    cit.title,
                    cit.safeguard,
                    cit.kind.as_str()
                )
            },
        );
        out.push_str(&format!("  {c:<22} {title}\n"));
    }
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

fn list_rules(policies: &[PathBuf], format: RulesFormat) -> ExitCode {
    let pack = match load_policies(policies) {
        Ok(p) => p,
        Err(e) => return report_pack_error(e),
    };
    if let RulesFormat::Markdown = format {
        return match write_stdout(&ward_cli::rules_markdown(&pack)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        };
    }
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
