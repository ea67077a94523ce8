//! The Cedar backend's place in a run: `*.cedar` files from the policy directories (or the
//! built-in pack's `cedar/` directory) become one more backend of the [`ControlSet`].

use std::path::PathBuf;

use ward_cedar::{CedarBackend, CedarLoadError, CedarSource};

use crate::backends::{ControlSource, LoadError};
use crate::{BUILTIN_PREFIX, embedded};

/// The built-in pack's Cedar controls, named `<builtin>/policies/hipaa/cedar/NAME.cedar`.
pub fn builtin_sources() -> Vec<CedarSource> {
    embedded::EMBEDDED_CEDAR
        .iter()
        .map(|(rel, text)| CedarSource {
            name: format!("{BUILTIN_PREFIX}/{rel}"),
            text: (*text).to_string(),
        })
        .collect()
}

/// The `*.cedar` files below `dirs`, or the built-in ones when `dirs` is empty.
pub fn sources(dirs: &[PathBuf]) -> Result<Vec<CedarSource>, LoadError> {
    if dirs.is_empty() {
        return Ok(builtin_sources());
    }
    ward_cedar::sources_in(dirs).map_err(|e| LoadError::Other(e.to_string()))
}

/// The Cedar backend of the rule directories (or the built-in pack), with its source files;
/// `None` when there are no Cedar policies. Independent of the rule language: it loads
/// while the rules are parsed.
pub fn load_cedar(
    dirs: &[PathBuf],
) -> Result<Option<(CedarBackend, Vec<ControlSource>)>, LoadError> {
    let sources = sources(dirs)?;
    if sources.is_empty() {
        return Ok(None);
    }
    let backend = CedarBackend::from_sources(&sources).map_err(|e| match e {
        CedarLoadError::Invalid(diags) => LoadError::Invalid {
            what: "the Cedar policies".to_string(),
            diagnostics: diags.into_iter().map(miette::Report::new).collect(),
        },
        other => LoadError::Other(other.to_string()),
    })?;
    let files = sources
        .into_iter()
        .map(|s| ControlSource {
            path: PathBuf::from(s.name),
            text: s.text,
        })
        .collect();
    Ok(Some((backend, files)))
}
