#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The Cedar backend through the `ward` binary: the schema command, Cedar findings in a
//! check of the example estate, and diagnostics of a bad Cedar policy stopping the run.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ward(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

#[test]
fn schema_prints_in_both_formats() {
    let out = ward(&["cedar", "schema"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("namespace AWS::S3 {"));
    assert!(text.contains("entity Bucket in [AWS::Account"));
    assert!(text.contains("action \"s3:GetObject\" in [Action::\"s3:Read\"]"));
    let out = ward(&["cedar", "schema", "--format", "json"]);
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["AWS::S3"]["entityTypes"]["Bucket"].is_object());
    assert!(json["AWS"]["entityTypes"]["Account"].is_object());
}

#[test]
fn least_privilege_names_the_planted_grant_and_its_statement() {
    let out = ward(&[
        "check",
        "--snapshot",
        "examples/clinic/estate",
        "--rule",
        "ward-phi-least-privilege",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let dev = findings
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("role/developer-role ")
        })
        .expect("a finding for developer-role");
    assert_eq!(dev["status"], "NON_COMPLIANT");
    assert_eq!(dev["backend"], "cedar");
    let message = dev["message"].as_str().unwrap();
    assert!(
        message.contains(
            "s3:* (all 94 s3 actions that apply to each) on riverside-ehr-backups-111122223333, riverside-ehr-documents-111122223333 via inline policy developer-s3, statement 0 (Sid \"DevBuckets\")"
        ),
        "{message}"
    );
    // The intended grants stay quiet.
    for quiet in [
        "role/ehr-app-instance-role",
        "role/external-auditor",
        "user/jwhite-contractor",
    ] {
        let f = findings
            .iter()
            .find(|f| {
                f["message"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{quiet} "))
            })
            .unwrap();
        assert_eq!(f["status"], "COMPLIANT", "{quiet}: {}", f["message"]);
    }
}

#[test]
fn a_bad_cedar_policy_stops_the_run_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.cedar"),
        "@id(\"bad\") @title(\"t\") @severity(\"low\") @hipaa(\"164.312(b)\")\n\
         permit (principal, action == Ward::Action::\"comply\", resource is AWS::S3::Bucket)\n\
         when { resource has configuration && resource.configuration.nmae == \"x\" };\n",
    )
    .unwrap();
    let out = ward(&[
        "check",
        "--snapshot",
        "examples/clinic/estate",
        "--policies",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("attribute `configuration.nmae`"), "{err}");
    assert!(err.contains("bad.cedar:3"), "{err}");
    assert!(err.contains("nothing was evaluated"), "{err}");
}
