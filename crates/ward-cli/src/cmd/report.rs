//! `ward report`: the self-contained HTML report for an auditor, from a run or a saved
//! result.

use std::path::PathBuf;

use ward_report::html::render_html;

use super::{Outcome, RunArgs, fail, run_outcome, write_stdout};

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
pub(crate) fn report(args: ReportArgs) -> Outcome {
    let (controls, doc, input_errors) = super::controls::controls_of(
        &args.run,
        args.findings.as_deref(),
        args.citations.as_deref(),
    )?;
    let html = render_html(&doc, &controls);
    match &args.out {
        Some(path) => std::fs::write(path, html.as_bytes())
            .map_err(|e| fail(format!("cannot write `{}`: {e}", path.display())))?,
        None => write_stdout(&html)?,
    }
    run_outcome(input_errors, &doc)
}
