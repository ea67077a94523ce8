//! One run, as `ward check`, `ward controls` and `ward report` make it: load the controls,
//! check the parameters, rules and waivers asked for, import what the controls read,
//! evaluate, apply the waivers, and assemble the findings document. Typed errors, no
//! printing: the caller reports (the import's diagnostics through `on_import`, as soon as
//! the inputs are read), and shows progress, if it does, from the counters of
//! [`RunRequest::progress`].

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use ward_engine::EvalOptions;
use ward_engine::timings::{Timings, timed};
use ward_import::ImportReport;
use ward_model::{FieldNeeds, Inventory};
use ward_report::FindingsDocument;

use crate::backends::{ControlSet, LoadError, LoadOptions};
use crate::progress::{RunProgress, RunStage};
use crate::waivers::WaiverFilesError;
use crate::{import_inputs_counting, input_problems, parse_param_overrides};

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Where the controls come from (and the timings to record into).
    pub load: LoadOptions,
    /// Inventory files or directories.
    pub snapshots: Vec<PathBuf>,
    /// `RULE.KEY=VALUE` parameter overrides.
    pub params: Vec<String>,
    /// Only these rules (all when empty).
    pub rules: Vec<String>,
    /// Waiver files.
    pub waivers: Vec<PathBuf>,
    /// The evaluation time (RFC 3339); default: the inputs' latest capture time.
    pub as_of: Option<String>,
    /// Read every configuration field, not only those the controls read.
    pub all_fields: bool,
    /// The most evaluation steps one rule may take for one resource (default
    /// [`ward_engine::DEFAULT_STEP_BUDGET`]).
    pub step_budget: Option<u64>,
    /// The Ward version the document records.
    pub version: String,
    /// Where the run counts how far it has got, for a caller that shows it (read from
    /// another thread).
    pub progress: Option<Arc<RunProgress>>,
}

/// A finished run.
pub struct RunOutcome {
    pub controls: ControlSet,
    pub doc: FindingsDocument,
    /// The normalized inventory that was evaluated (for the evidence bundle).
    pub inventory: Inventory,
    /// Whether some input could not be read (the rest was evaluated).
    pub input_errors: bool,
    /// Every input file read, as the importer named it.
    pub input_files: Vec<String>,
}

/// Why a run stopped before it had a document.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("give at least one --snapshot FILE (or directory) to evaluate")]
    NoInput,
    #[error(transparent)]
    Load(LoadError),
    #[error("{0}")]
    Params(String),
    #[error("unknown rule `{0}` (see `ward rules`)")]
    UnknownRule(String),
    #[error(transparent)]
    Waivers(WaiverFilesError),
    #[error("{0}")]
    Evaluate(ward_engine::EngineError),
    #[error("{0}")]
    ApplyWaivers(String),
}

/// Runs `request`; `on_import` sees the import's report as soon as the inputs are read.
pub fn run(
    request: &RunRequest,
    on_import: &mut dyn FnMut(&ImportReport),
) -> Result<RunOutcome, RunError> {
    if request.snapshots.is_empty() {
        return Err(RunError::NoInput);
    }
    // Counted into a progress nobody reads when none is asked for: a few relaxed atomic adds.
    let progress = request.progress.clone().unwrap_or_default();
    progress.enter(RunStage::Loading);
    let timings: Option<&Timings> = request.load.timings.as_deref();
    let controls = timed(timings, "load controls", || ControlSet::load(&request.load))
        .map_err(RunError::Load)?;
    let params = parse_param_overrides(&request.params).map_err(RunError::Params)?;
    if let Some(unknown) = request.rules.iter().find(|r| controls.rule(r).is_none()) {
        return Err(RunError::UnknownRule(unknown.clone()));
    }
    let all_rules = controls.rule_ids();
    let waivers =
        crate::waivers::load_waivers(&request.waivers, &all_rules).map_err(RunError::Waivers)?;
    // Only what the controls read is kept; the rest is skipped unread (docs/performance.md).
    let only: Option<BTreeSet<String>> =
        (!request.rules.is_empty()).then(|| request.rules.iter().cloned().collect());
    let needs = if request.all_fields {
        FieldNeeds::everything()
    } else {
        controls.field_needs_of(only.as_ref())
    };
    let fields_read = needs.record();
    progress.enter(RunStage::Importing);
    let (inventory, report) = timed(timings, "import", || {
        import_inputs_counting(&request.snapshots, needs, &progress.import)
    });
    on_import(&report);
    let options = EvalOptions {
        as_of: request.as_of.clone(),
        params,
        only,
        timings: request.load.timings.clone(),
        targets: None,
        step_budget: request.step_budget,
        progress: request.progress.as_ref().map(|p| Arc::clone(&p.evaluation)),
    };
    progress.enter(RunStage::Evaluating);
    let evaluation = timed(timings, "evaluate", || {
        controls.evaluate(&inventory, &options)
    })
    .map_err(RunError::Evaluate)?;
    progress.enter(RunStage::Finishing);
    let rule_ids: Vec<String> = all_rules
        .iter()
        .filter(|id| options.only.as_ref().is_none_or(|o| o.contains(*id)))
        .cloned()
        .collect();
    let mut doc = FindingsDocument::new(
        &request.version,
        evaluation.as_of,
        evaluation.findings,
        &rule_ids,
        inventory.len(),
        evaluation.rules_without_resources,
        input_problems(&report),
    );
    if !request.waivers.is_empty() {
        timed(timings, "waivers", || {
            crate::waivers::apply_waivers(&waivers, &mut doc, &inventory)
        })
        .map_err(RunError::ApplyWaivers)?;
    }
    // Secrets were replaced at import (docs/redaction.md); say where.
    doc.redactions = report.redactions();
    // The WASM plugins that ran, with their SHA-256 (docs/plugins.md).
    doc.plugins = controls.plugins().to_vec();
    doc.fields_read = fields_read;
    Ok(RunOutcome {
        controls,
        doc,
        inventory,
        input_errors: report.has_errors(),
        input_files: report.files.iter().map(|f| f.path.clone()).collect(),
    })
}
