//! `ward controls`: a run (or a saved result) per HIPAA citation of the pack's catalogue.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use ward_report::FindingsDocument;
use ward_report::controls::ControlsReport;
use ward_run::{controls_report, load_catalogue};

use super::{Failed, Outcome, RunArgs, color_enabled, fail, run, run_outcome, write_stdout};

#[derive(clap::Args)]
pub(crate) struct ControlsArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Read a saved `ward check --format json` result instead of evaluating snapshots
    #[arg(long, value_name = "FILE", conflicts_with_all = ["snapshots", "waivers"])]
    pub(crate) findings: Option<PathBuf>,
    /// The citation catalogue (default: citations.yaml of the first --policies directory
    /// that has one, else the built-in HIPAA catalogue)
    #[arg(long, value_name = "FILE")]
    pub(crate) citations: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ControlsFormat::Text)]
    pub(crate) format: ControlsFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ControlsFormat {
    Text,
    Json,
    Markdown,
}

/// `ward controls`: the run (or a saved result) per HIPAA citation. Exit codes as `check`.
pub(crate) fn controls(args: ControlsArgs) -> Outcome {
    let (report, doc, input_errors) = controls_of(
        &args.run,
        args.findings.as_deref(),
        args.citations.as_deref(),
    )?;
    let text = match args.format {
        ControlsFormat::Text => report.render_text(color_enabled()),
        ControlsFormat::Json => report.to_json(),
        ControlsFormat::Markdown => report.render_markdown(),
    };
    write_stdout(&text)?;
    run_outcome(input_errors, &doc)
}

/// The per-citation report of a run (or of a saved result, `findings`), with the findings
/// document and whether some input could not be read. Only the rules that ran count: those
/// in the document's summary (the `--rule` selection, or the saved run's rules).
pub(crate) fn controls_of(
    run_args: &RunArgs,
    findings: Option<&Path>,
    citations: Option<&Path>,
) -> Result<(ControlsReport, FindingsDocument, bool), Failed> {
    let catalogue = load_catalogue(&run_args.policies, citations).map_err(fail)?;
    let (controls, doc, input_errors) = match findings {
        Some(path) => {
            let controls = super::load_controls(&run_args.load_options(None))?;
            let doc = read_findings(path).map_err(fail)?;
            (controls, doc, false)
        }
        None => {
            let run = run(run_args)?;
            super::Run::print_timings(run.timings.as_deref(), run.started);
            (run.controls, run.doc, run.input_errors)
        }
    };
    let report = controls_report(&catalogue, &controls, &doc);
    Ok((report, doc, input_errors))
}

/// Reads a saved `ward check --format json` result (`FindingsDocument::from_json`).
pub(crate) fn read_findings(path: &Path) -> Result<FindingsDocument, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    FindingsDocument::from_json(&text, &path.display().to_string())
}
