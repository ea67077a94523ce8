//! `ward report`: the self-contained HTML report for an auditor, from a run or a saved
//! result.

use std::path::PathBuf;
use std::process::ExitCode;

use ward_cli::{load_catalogue, load_policies, rule_citations};
use ward_report::controls::ControlsReport;
use ward_report::html::render_html;

use super::controls::read_findings;
use super::{RunArgs, report_pack_error, run, run_exit_code, write_stdout};

#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Read a saved `ward check --format json` result instead of evaluating snapshots
    #[arg(long, value_name = "FILE", conflicts_with = "snapshots")]
    pub(crate) findings: Option<PathBuf>,
    /// The citation catalogue (default: citations.yaml of the first --policies directory
    /// that has one, else the built-in HIPAA catalogue)
    #[arg(long, value_name = "FILE")]
    pub(crate) citations: Option<PathBuf>,
    /// Write the HTML there (default: standard output)
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// `ward report`: writes `report.html`. Exit codes as `check` (1 when something failed).
pub(crate) fn report(args: ReportArgs) -> ExitCode {
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
            match read_findings(path) {
                Ok(doc) => (pack, doc, false),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        None => match run(&args.run) {
            Ok(run) => (run.pack, run.doc, run.input_errors),
            Err(code) => return code,
        },
    };
    // Only the rules that ran count: those of the saved result, or the --rule selection.
    let mut rules = rule_citations(&pack);
    let ran: std::collections::BTreeSet<&str> = doc
        .summary
        .by_rule
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    rules.retain(|r| ran.contains(r.rule.as_str()));
    let controls = ControlsReport::build(&catalogue, &rules, &doc);
    let html = render_html(&doc, &controls);
    match &args.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, html.as_bytes()) {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        None => {
            if let Err(code) = write_stdout(&html) {
                return code;
            }
        }
    }
    run_exit_code(input_errors, &doc)
}
