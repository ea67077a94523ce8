//! How far a run has got, for a caller that shows progress (`ward check` on a terminal):
//! the stage, the import's counters and the evaluation's. The run counts; it never prints.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use ward_engine::progress::EvalProgress;
use ward_import::ImportProgress;

/// Given in [`RunRequest::progress`](crate::run::RunRequest), read from another thread while
/// [`run`](crate::run::run) runs.
#[derive(Debug, Default)]
pub struct RunProgress {
    stage: AtomicU8,
    /// Files, bytes and items read.
    pub import: ImportProgress,
    /// The backend evaluating, and its (control, resource) pairs decided.
    pub evaluation: Arc<EvalProgress>,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStage {
    /// Loading the controls (and checking parameters, rules and waivers).
    Loading,
    /// Reading the inputs.
    Importing,
    /// Deciding the controls.
    Evaluating,
    /// Applying the waivers and assembling the findings document.
    Finishing,
}

impl RunStage {
    const ALL: [RunStage; 4] = [
        RunStage::Loading,
        RunStage::Importing,
        RunStage::Evaluating,
        RunStage::Finishing,
    ];
}

impl RunProgress {
    pub fn new() -> RunProgress {
        RunProgress::default()
    }

    /// The stage the run is in.
    pub fn stage(&self) -> RunStage {
        let index = usize::from(self.stage.load(Ordering::Relaxed));
        RunStage::ALL
            .get(index)
            .copied()
            .unwrap_or(RunStage::Finishing)
    }

    pub(crate) fn enter(&self, stage: RunStage) {
        self.stage.store(stage as u8, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::run::{RunRequest, run};

    /// A run of the example estate with progress: every counter ends at its total, the last
    /// backend evaluated is the rule language, and the findings are those of a run without.
    #[test]
    fn a_run_counts_up_to_its_totals() {
        let estate =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/clinic/estate");
        let progress = Arc::new(RunProgress::new());
        assert_eq!(progress.stage(), RunStage::Loading);
        let request = RunRequest {
            snapshots: vec![estate],
            progress: Some(Arc::clone(&progress)),
            ..RunRequest::default()
        };
        let mut stage_at_import = None;
        let counted = run(&request, &mut |_| stage_at_import = Some(progress.stage())).unwrap();
        assert_eq!(stage_at_import, Some(RunStage::Importing));
        assert_eq!(progress.stage(), RunStage::Finishing);

        let import = progress.import.counts();
        assert_eq!(import.files_done, import.files_total);
        assert_eq!(import.files_total as usize, counted.input_files.len());
        assert!(import.bytes_total > 0);
        assert_eq!(import.bytes_read, import.bytes_total);
        assert!(import.items_read > 0);

        let evaluation = progress.evaluation.view();
        assert_eq!(evaluation.backend, ward_engine::LANG_BACKEND);
        assert!(evaluation.pairs_total > 0);
        assert_eq!(evaluation.pairs_done, evaluation.pairs_total);
        // Every rule-language finding is one pair.
        let lang_findings = counted
            .doc
            .findings
            .iter()
            .filter(|f| f.backend == ward_engine::LANG_BACKEND)
            .count();
        assert_eq!(evaluation.pairs_total as usize, lang_findings);

        let plain = run(
            &RunRequest {
                progress: None,
                ..request.clone()
            },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(plain.doc.findings.len(), counted.doc.findings.len());
        assert_eq!(
            serde_json::to_string(&plain.doc.findings).unwrap(),
            serde_json::to_string(&counted.doc.findings).unwrap()
        );

        // Cedar alone: one pair per principal or resource decided, each a finding; the rule
        // language, with nothing to do, does not show itself.
        let progress = Arc::new(RunProgress::new());
        let cedar = run(
            &RunRequest {
                rules: vec!["ward-phi-least-privilege".into()],
                progress: Some(Arc::clone(&progress)),
                ..request.clone()
            },
            &mut |_| {},
        )
        .unwrap();
        let evaluation = progress.evaluation.view();
        assert_eq!(evaluation.backend, "cedar");
        assert_eq!(evaluation.step, "ward-phi-least-privilege");
        assert!(evaluation.pairs_total > 0);
        assert_eq!(evaluation.pairs_done, evaluation.pairs_total);
        assert_eq!(evaluation.pairs_total as usize, cedar.doc.findings.len());
    }
}
