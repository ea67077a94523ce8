//! `ward controls`: the per-citation report of a run, in its three formats, from a fresh
//! evaluation and from a saved result.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

mod common;
use common::*;

use serde_json::Value;
use ward_report::controls::CitationCatalogue;

fn controls_json(extra: &[&str]) -> Value {
    let mut args = vec!["controls", "--format", "json"];
    args.extend_from_slice(extra);
    let out = ward(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn pack_citations() -> BTreeSet<String> {
    let pack = ward_run::builtin_pack().unwrap();
    pack.rules
        .iter()
        .flat_map(|r| r.meta.hipaa.iter().cloned())
        .collect()
}

#[test]
fn every_citation_of_the_catalogue_is_reported_and_the_uncovered_ones_are_attestations() {
    let doc = controls_json(&["--snapshot", "examples/clinic/estate"]);
    let catalogue = CitationCatalogue::from_yaml(ward_run::BUILTIN_CITATIONS, "builtin").unwrap();
    let reported: Vec<&Value> = doc["citations"].as_array().unwrap().iter().collect();
    assert_eq!(reported.len(), catalogue.citations.len());
    let covered = pack_citations();
    for c in &reported {
        let id = c["id"].as_str().unwrap();
        let status = c["status"].as_str().unwrap();
        if covered.contains(id) {
            assert_ne!(status, "ATTESTATION", "{id} has rules");
            assert!(!c["rules"].as_array().unwrap().is_empty(), "{id}");
            let process = catalogue.get(id).unwrap().process;
            assert_eq!(c.get("attestation").is_some(), process, "{id}");
        } else {
            assert_eq!(status, "ATTESTATION", "{id} has no rule");
            assert!(
                c["attestation"].as_str().is_some_and(|a| !a.is_empty()),
                "{id}"
            );
        }
    }
    // Every citation a rule uses is in the catalogue: none is reported as unknown.
    assert!(doc.get("unknown_citations").is_none(), "{doc:#}");
    let summary = &doc["summary"];
    assert_eq!(
        summary["automated"].as_u64().unwrap() + summary["attestations"].as_u64().unwrap(),
        catalogue.citations.len() as u64
    );
    // The example has open SSH: transmission security is not met, with failing resources.
    let transmission = reported
        .iter()
        .find(|c| c["id"] == "164.312(e)(1)")
        .unwrap();
    assert_eq!(transmission["status"], "NOT_MET");
    assert!(transmission["resources"]["failing"].as_u64().unwrap() > 0);
    // Risk analysis is a process: whatever rules cite it, its attestation is listed.
    let risk_analysis = reported
        .iter()
        .find(|c| c["id"] == "164.308(a)(1)(ii)(A)")
        .unwrap();
    assert!(
        risk_analysis["attestation"]
            .as_str()
            .unwrap()
            .contains("risk analysis")
    );
    let sanctions = reported
        .iter()
        .find(|c| c["id"] == "164.308(a)(1)(ii)(C)")
        .unwrap();
    assert_eq!(sanctions["status"], "ATTESTATION");
}

#[test]
fn text_and_markdown_name_citations_rules_and_attestations() {
    let text = stdout(&ward(&["controls", "--snapshot", "examples/clinic/estate"]));
    assert!(text.contains("Technical safeguards"), "{text}");
    assert!(
        text.contains("164.312(e)(1) Transmission security"),
        "{text}"
    );
    assert!(text.contains("restricted-ssh"), "{text}");
    assert!(
        text.contains("Attestations to collect (no automated rule, or a process meets"),
        "{text}"
    );
    assert!(
        text.contains("164.308(a)(1)(ii)(A) Risk analysis"),
        "{text}"
    );

    let md = stdout(&ward(&[
        "controls",
        "--snapshot",
        "examples/clinic/estate",
        "--format",
        "markdown",
    ]));
    assert!(md.starts_with("# HIPAA Security Rule"), "{md}");
    assert!(md.contains("| citation | title | kind | status |"), "{md}");
    assert!(
        md.contains("| 164.312(b) | Audit controls | standard |"),
        "{md}"
    );
    assert!(md.contains("## Attestations to collect"), "{md}");
}

#[test]
fn a_saved_result_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("run.json");
    let out = ward(&[
        "check",
        "--snapshot",
        "examples/clinic/estate",
        "--format",
        "json",
    ]);
    std::fs::write(&saved, &out.stdout).unwrap();
    let fresh = controls_json(&["--snapshot", "examples/clinic/estate"]);
    let from_file = controls_json(&["--findings", saved.to_str().unwrap()]);
    assert_eq!(fresh, from_file);
}

#[test]
fn a_bad_saved_result_is_an_error_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("run.json");
    std::fs::write(&saved, "{\"findings\": [}").unwrap();
    let out = ward(&["controls", "--findings", saved.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a `ward check --format json` result"),
        "{err}"
    );
    assert!(err.contains("line 1 column"), "{err}");
}

#[test]
fn a_citation_missing_from_the_catalogue_fails_ward_test() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("made-up.ward"),
        "rule made-up {\n  title: \"x\"\n  severity: low\n  resource: AWS::S3::Bucket\n  hipaa: [\"164.312(z)\"]\n  assert exists(configuration) else \"no configuration\"\n}\n",
    )
    .unwrap();
    let out = ward(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("rule `made-up` cites `164.312(z)`, which is not in the citation catalogue"),
        "{text}"
    );
}
