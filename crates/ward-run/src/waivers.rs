//! Waivers in a run: reading the `--waivers` files before anything is evaluated, and applying
//! them to the findings at the evaluation time (`docs/waivers.md`).

use std::path::PathBuf;

use ward_model::Inventory;
use ward_report::FindingsDocument;
use ward_waivers::{WaiverDiagnostic, WaiverSet, evaluation_date};

/// Why the waiver files cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WaiverFilesError {
    #[error("cannot read the waiver file `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Every problem of every file, with its location.
    #[error("{} problem(s) in the waiver files", .0.len())]
    Invalid(Vec<WaiverDiagnostic>),
}

/// Reads every waiver file; `rules` are the rule ids a waiver may name. All problems of all
/// files are collected.
pub fn load_waivers(paths: &[PathBuf], rules: &[String]) -> Result<WaiverSet, WaiverFilesError> {
    let mut set = WaiverSet::new();
    let mut problems = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| WaiverFilesError::Read {
            path: path.display().to_string(),
            source,
        })?;
        if let Err(diags) = set.add_file(&text, &path.display().to_string(), rules) {
            problems.extend(diags);
        }
    }
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(WaiverFilesError::Invalid(problems))
    }
}

/// Applies the waivers to the document at its evaluation time (`as_of`), records their
/// outcomes (those of rules that ran) and counts the findings again. Tag selectors read the
/// resources' tags from `inventory`.
pub fn apply_waivers(
    set: &WaiverSet,
    doc: &mut FindingsDocument,
    inventory: &Inventory,
) -> Result<(), String> {
    let Some(as_of) = doc.as_of.as_deref() else {
        return Err(
            "the inputs carry no capture time to check waiver expiry against; give --as-of"
                .to_string(),
        );
    };
    let time = ward_engine::builtins::parse_time(as_of)
        .map_err(|_| format!("the evaluation time `{as_of}` is not an RFC 3339 time"))?;
    let mut outcomes = set.apply(&mut doc.findings, evaluation_date(time), inventory);
    outcomes.retain(|o| doc.summary.by_rule.iter().any(|r| r.rule == o.rule));
    doc.waivers = outcomes;
    doc.resummarize();
    Ok(())
}
