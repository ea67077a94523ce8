//! `ward check --format F --output FILE ...`: every format of the example estate in one run,
//! each read back with a real parser; the pairing rules of `--format` and `--output`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "../../ward-report/tests/support/sarif_schema.rs"]
mod sarif_schema;

use std::collections::BTreeMap;

use common::{EXAMPLE, stdout, ward};
use quick_xml::events::Event;
use sarif_schema::sarif_schema;
use serde_json::Value;

/// Element name -> how many, and the `<testsuite>` attributes by suite name.
#[allow(clippy::type_complexity)]
fn junit_shape(
    text: &str,
) -> (
    BTreeMap<String, usize>,
    BTreeMap<String, BTreeMap<String, String>>,
) {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut counts = BTreeMap::new();
    let mut suites = BTreeMap::new();
    let mut depth = 0i64;
    loop {
        let event = reader.read_event().unwrap();
        let start = match &event {
            Event::Start(e) => {
                depth += 1;
                Some(e.clone())
            }
            Event::Empty(e) => Some(e.clone()),
            Event::End(_) => {
                depth -= 1;
                None
            }
            Event::Eof => break,
            _ => None,
        };
        if let Some(e) = start {
            let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
            *counts.entry(name.clone()).or_insert(0) += 1;
            if name == "testsuite" {
                let attrs: BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.unescape_value().unwrap().into_owned(),
                        )
                    })
                    .collect();
                suites.insert(attrs["name"].clone(), attrs);
            }
        }
    }
    assert_eq!(depth, 0, "unbalanced XML");
    (counts, suites)
}

#[test]
fn every_format_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (sarif, junit, csv_file, md, json_file) = (
        path("ward.sarif"),
        path("ward.xml"),
        path("ward.csv"),
        path("ward.md"),
        path("ward.json"),
    );
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--format",
        "sarif",
        "--output",
        &sarif,
        "--format",
        "junit",
        "--output",
        &junit,
        "--format",
        "csv",
        "-o",
        &csv_file,
        "--format",
        "markdown",
        "--output",
        &md,
        "--format",
        "json",
        "--output",
        &json_file,
        "--format",
        "text",
    ]);
    // Exit codes are those of a plain run: the estate has findings.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = ward(&["check", "--snapshot", EXAMPLE]);
    assert_eq!(stdout(&out), stdout(&plain), "text still goes to stdout");

    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    let json_stdout = ward(&["check", "--snapshot", EXAMPLE, "--format", "json"]);
    assert_eq!(
        std::fs::read_to_string(&json_file).unwrap(),
        stdout(&json_stdout),
        "--output writes the bytes stdout gets"
    );
    let findings = doc["findings"].as_array().unwrap();
    let count = |status: &str| findings.iter().filter(|f| f["status"] == status).count();
    let failing = count("NON_COMPLIANT") + count("ERROR") + count("WAIVED");
    assert!(failing > 0);

    // SARIF: valid against the official schema; one result per failing finding, located
    // at the rule's definition in the pack.
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), failing);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        doc["summary"]["by_rule"].as_array().unwrap().len()
    );
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let rule = r["ruleId"].as_str().unwrap();
        // A rule-language rule or a Cedar control of the pack.
        assert!(
            uri == format!("policies/hipaa/{rule}.ward")
                || uri == format!("policies/hipaa/cedar/{rule}.cedar"),
            "{uri}"
        );
        // The location is a file of the repository, and the line is the rule's.
        let text = std::fs::read_to_string(common::root().join(uri)).unwrap();
        let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap() as usize;
        assert!(
            text.lines().nth(line - 1).unwrap().contains(rule),
            "{uri}:{line}"
        );
    }
    let ssh = rules.iter().find(|r| r["id"] == "restricted-ssh").unwrap();
    assert!(
        ssh["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Remediation:")
    );
    assert!(
        ssh["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().starts_with("HIPAA 164."))
    );

    // JUnit: a suite per rule, a case per finding, a failure per NON_COMPLIANT.
    let (counts, suites) = junit_shape(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(counts["testsuites"], 1);
    assert_eq!(counts["testsuite"], rules.len());
    assert_eq!(counts["testcase"], findings.len());
    assert_eq!(counts["failure"], count("NON_COMPLIANT"));
    assert_eq!(counts.get("error").copied().unwrap_or(0), count("ERROR"));
    assert_eq!(
        counts.get("skipped").copied().unwrap_or(0),
        count("NOT_APPLICABLE") + count("WAIVED")
    );
    for r in doc["summary"]["by_rule"].as_array().unwrap() {
        let suite = &suites[r["rule"].as_str().unwrap()];
        assert_eq!(suite["failures"], r["non_compliant"].to_string());
    }

    // CSV: a row per finding, in the document's order, fields intact.
    let mut reader = csv::Reader::from_path(&csv_file).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(findings) {
        assert_eq!(&row[0], f["rule"].as_str().unwrap());
        assert_eq!(&row[1], f["status"].as_str().unwrap());
        assert_eq!(&row[4], f["resource"]["id"].as_str().unwrap());
        assert_eq!(&row[8], f["message"].as_str().unwrap());
        assert_eq!(&row[11], f["fingerprint"].as_str().unwrap());
    }

    // Markdown: the totals and the failing rules.
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains(&format!(
        "| **non-compliant** | {} |",
        doc["summary"]["non_compliant"]
    )));
    assert!(md.contains("### `restricted-ssh`"));

    // Same input, same bytes.
    let again = dir.path().join("again.sarif").display().to_string();
    ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--format",
        "sarif",
        "--output",
        &again,
    ]);
    assert_eq!(
        std::fs::read(&sarif).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn format_and_output_pairing_errors_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.sarif").display().to_string();
    for (args, expected) in [
        (
            vec!["--format", "json", "--format", "csv"],
            "would all go to standard output",
        ),
        (
            vec!["--output", file.as_str(), "--format", "sarif"],
            "must follow the `--format` it is for",
        ),
        (
            vec![
                "--format",
                "sarif",
                "--output",
                file.as_str(),
                "--output",
                "y",
            ],
            "has two outputs",
        ),
        (
            vec![
                "--format",
                "sarif",
                "--output",
                file.as_str(),
                "--format",
                "csv",
                "--output",
                file.as_str(),
            ],
            "is given twice",
        ),
        (vec!["--format", "yaml"], "invalid value 'yaml'"),
    ] {
        let mut all = vec!["check", "--snapshot", EXAMPLE];
        all.extend(args.iter().copied());
        let out = ward(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!dir.path().join("x.sarif").exists(), "nothing written");
    }
    // A format without an output goes to stdout, wherever it stands.
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--format",
        "csv",
        "--format",
        "sarif",
        "--output",
        &file,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("rule,status,severity,"));
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
}

#[test]
fn an_unwritable_output_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("no-such-dir/x.sarif").display().to_string();
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--format",
        "sarif",
        "--output",
        &file,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}
