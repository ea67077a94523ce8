#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Validation diagnostics, by what the user sees: a corpus of bad policies
//! (`tests/data/bad/*.cedar`), each starting with `// expect: MESSAGE | SPAN` lines: some
//! diagnostic's message contains MESSAGE and its span starts with the text SPAN. Every
//! expected problem of a file is reported at once.

use std::path::PathBuf;

use miette::Diagnostic;
use ward_cedar::{CedarBackend, CedarLoadError, CedarSource};

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_bad_policy_is_a_diagnostic_with_its_span() {
    let mut failures = Vec::new();
    let files = corpus();
    assert!(files.len() >= 9);
    for (name, text) in files {
        let source = CedarSource {
            name: name.clone(),
            text: text.clone(),
        };
        let diags = match CedarBackend::from_sources(&[source]) {
            Err(CedarLoadError::Invalid(d)) => d,
            Err(e) => panic!("{name}: {e}"),
            Ok(_) => {
                failures.push(format!("{name}: loaded without a diagnostic"));
                continue;
            }
        };
        let seen: Vec<(String, String)> = diags
            .iter()
            .map(|d| {
                let label = d.labels().unwrap().next().unwrap();
                let spanned = text
                    .get(label.offset()..label.offset() + label.len().max(1))
                    .unwrap_or("")
                    .to_string();
                (d.to_string(), spanned)
            })
            .collect();
        for line in text.lines().filter_map(|l| l.strip_prefix("// expect: ")) {
            let (message, span) = line.split_once(" | ").unwrap();
            let hit = seen
                .iter()
                .any(|(m, s)| m.contains(message) && s.starts_with(span.trim()));
            if !hit {
                failures.push(format!(
                    "{name}: no diagnostic `{message}` at `{span}`; got {seen:#?}"
                ));
            }
        }
        // The file name is the diagnostic's source name.
        for d in &diags {
            assert!(d.location.starts_with(&name), "{}", d.location);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_pack_controls_load() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies/hipaa/cedar");
    let backend = CedarBackend::from_dirs(&[dir]).unwrap();
    let ids: Vec<&str> = backend.controls().iter().map(|c| c.id.as_str()).collect();
    assert!(ids.contains(&"ward-phi-least-privilege"), "{ids:?}");
}
