//! The Cedar backend's place in a run: `*.cedar` files from the policy directories (or the
//! built-in pack's `cedar/` directory) become one more backend of the [`ControlSet`].

use std::path::PathBuf;

use ward_cedar::control::Validation;
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
    // The built-in pack's policies are validated by the tests, not at every start.
    let validation = if dirs.is_empty() {
        Validation::AlreadyValidated
    } else {
        Validation::Full
    };
    let backend = CedarBackend::from_sources_with(&sources, validation).map_err(|e| match e {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    /// What lets a run skip Cedar's validator for the built-in pack
    /// ([`Validation::AlreadyValidated`]): its policies validate against the schema, with no
    /// error and no warning.
    #[test]
    fn the_builtin_cedar_controls_validate() {
        let sources = builtin_sources();
        assert!(sources.len() >= 4, "{} Cedar files", sources.len());
        let validated = match CedarBackend::from_sources_with(&sources, Validation::Full) {
            Ok(b) => b,
            Err(CedarLoadError::Invalid(diags)) => panic!(
                "{}",
                diags
                    .iter()
                    .map(|d| format!("{d:?}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            Err(e) => panic!("{e}"),
        };
        let trusted =
            CedarBackend::from_sources_with(&sources, Validation::AlreadyValidated).unwrap();
        let ids = |b: &CedarBackend| {
            b.controls()
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&validated), ids(&trusted));
    }
}
