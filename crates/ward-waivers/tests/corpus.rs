//! The corpus of malformed waiver files (`tests/data/waivers/*.yaml`): each must be refused,
//! and the problems reported must be exactly those of `NAME.expected`, one
//! `line:column: message` per line. `WARD_BLESS=1` rewrites the expectations (review them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use ward_waivers::WaiverSet;

/// The rule ids the corpus may name.
const RULES: &[&str] = &["s3-bucket-versioning-enabled", "restricted-ssh"];

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/waivers")
}

#[test]
fn every_malformed_waiver_file_is_refused_with_its_locations() {
    let rules: Vec<String> = RULES.iter().map(|r| r.to_string()).collect();
    let bless = std::env::var_os("WARD_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus is there");
    let mut failures = Vec::new();
    for path in cases {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut set = WaiverSet::new();
        let Err(diags) = set.add_file(&text, &name, &rules) else {
            failures.push(format!("{name}: was accepted"));
            continue;
        };
        assert!(set.is_empty(), "{name}: nothing is added from a bad file");
        let actual: String = diags
            .iter()
            .map(|d| {
                let at = d
                    .location
                    .strip_prefix(&format!("{name}:"))
                    .unwrap_or_else(|| panic!("{} is not in {name}", d.location));
                format!("{at}: {}\n", d.message)
            })
            .collect();
        let expected_path = path.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{name}: no {}", expected_path.display()));
        if expected != actual {
            failures.push(format!(
                "{name}:\n  expected:\n{expected}  actual:\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
