//! Rule-language diagnostics as the user sees them (`tests/data/lang-diagnostics/`): each
//! case's `ward rules --policies CASE.ward` stderr, without colour, is its `CASE.stderr`;
//! the case raises the code its name starts with; every code the language raises (found in
//! `ward-lang`'s source) has a case. `WARD_BLESS=1` rewrites the expectations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{root, ward};

const CORPUS: &str = "tests/data/lang-diagnostics";

/// The codes `ward-lang` raises: the first string literal of every `LangDiagnostic::new(...)`
/// and `.error(...)` call in its source that is a code (lower case and hyphens).
fn codes_in_source() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    // Below `src/`: the checker is split into modules in `src/check/`.
    let walk = ward_model::walk::walk_files(&root().join("crates/ward-lang/src"), &|p| {
        ward_model::walk::has_suffix(p, ".rs")
    });
    assert!(walk.problems.is_empty(), "{:?}", walk.problems);
    for file in walk.files {
        let text = std::fs::read_to_string(file).unwrap();
        for opener in ["LangDiagnostic::new(", ".error("] {
            for (at, _) in text.match_indices(opener) {
                let rest = &text[at + opener.len()..];
                let call = &rest[..rest.find(';').unwrap_or(rest.len()).min(400)];
                if let Some(literal) = call.split('"').nth(1)
                    && !literal.is_empty()
                    && literal.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    codes.insert(literal.to_string());
                }
            }
        }
    }
    codes
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join(CORPUS))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ward"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_diagnostic_renders_as_its_expectation() {
    let codes = codes_in_source();
    assert!(codes.len() >= 20, "codes found in ward-lang: {codes:?}");
    let bless = std::env::var_os("WARD_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let relative = format!("{CORPUS}/{name}.ward");
        let out = ward(&["rules", "--policies", &relative]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        // The code the case is named after: the longest one its name starts with.
        let code = codes
            .iter()
            .filter(|c| name == **c || name.starts_with(&format!("{c}-")))
            .max_by_key(|c| c.len())
            .unwrap_or_else(|| panic!("{name}: its name starts with no diagnostic code"));
        assert!(
            stderr.contains(&format!("ward::{code}")),
            "{name} does not raise ward::{code}:\n{stderr}"
        );
        covered.insert(code.clone());
        let expected_path = root().join(CORPUS).join(format!("{name}.stderr"));
        if bless {
            std::fs::write(&expected_path, &stderr).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run WARD_BLESS=1 cargo test -p ward-cli --test lang_diagnostics and review it",
                expected_path.display()
            )
        });
        if expected != stderr {
            failures.push(format!(
                "--- {name}: expected\n{expected}\n--- got\n{stderr}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases render differently (WARD_BLESS=1 rewrites them):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let missing: Vec<&String> = codes.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "diagnostic codes with no case in {CORPUS}: {missing:?}"
    );
}
