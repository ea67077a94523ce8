//! The Lambda handler, called directly (not through the runtime loop) with the captured
//! Config rule events of the reference data: its evaluations are those of
//! `ward config-rule` and of `ward check` on the same item.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use serde_json::{Value, json};
use ward_model::Status;
use ward_run::backends::{ControlSet, LoadOptions};

fn samples() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/reference/config-items/cloud-custodian/tests/data");
    assert!(
        dir.is_dir(),
        "reference data not found at {} (it is part of the repository)",
        dir.display()
    );
    dir
}

fn with_rules(path: &str, rules: &str) -> Value {
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(samples().join(path)).unwrap()).unwrap();
    event["ruleParameters"] = Value::String(json!({ "wardRules": rules }).to_string());
    event
}

fn handle(controls: &ControlSet, event: &Value) -> Result<Value, ward_aws::AwsError> {
    ward_aws::runtime()
        .unwrap()
        .block_on(ward_lambda::handle(controls, None, event))
}

#[test]
fn captured_change_events_give_the_evaluations_of_check() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let cases = [
        (
            "cwe/event-config-rule-security-group.json",
            "restricted-ssh",
            "NON_COMPLIANT",
        ),
        (
            "cwe/event-config-rule-instance.json",
            "ec2-instance-no-public-ip",
            "",
        ),
        (
            "config/rds-from-rule.json",
            "rds-storage-encrypted",
            "NON_COMPLIANT",
        ),
        (
            "config/rds-from-rule.json",
            "rds-instance-public-access-check",
            "NON_COMPLIANT",
        ),
        ("config/s3-from-rule.json", "s3-bucket-logging-enabled", ""),
        (
            "config/app-elb-config-event.json",
            "elb-logging-enabled",
            "NON_COMPLIANT",
        ),
    ];
    for (path, rule, expected) in cases {
        let event = with_rules(path, rule);
        let out = handle(&controls, &event).unwrap();
        assert_eq!(out["wardRules"], json!([rule]));
        let evals = out["evaluations"].as_array().unwrap();
        assert_eq!(evals.len(), 1, "{path}");
        let status = evals[0]["ComplianceType"].as_str().unwrap();
        if !expected.is_empty() {
            assert_eq!(status, expected, "{rule} on {path}");
        }
        // The same as `ward check` on the event file.
        let (inventory, _) = ward_run::import_inputs(&[samples().join(path)]);
        let options = ward_engine::EvalOptions {
            only: Some([rule.to_string()].into()),
            ..Default::default()
        };
        let findings = controls.evaluate(&inventory, &options).unwrap().findings;
        let f = findings
            .iter()
            .find(|f| f.resource.id == evals[0]["ComplianceResourceId"].as_str().unwrap())
            .unwrap();
        let check = match f.status {
            Status::Compliant => "COMPLIANT",
            Status::NonCompliant | Status::Error => "NON_COMPLIANT",
            _ => "NOT_APPLICABLE",
        };
        assert_eq!(status, check, "{rule} on {path}");
        assert!(out["sent"].is_null(), "nothing is sent without AWS access");
    }
}

#[test]
fn a_config_rule_named_after_a_ward_rule_runs_it() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(samples().join("cwe/event-config-rule-security-group.json"))
            .unwrap(),
    )
    .unwrap();
    event["configRuleName"] = json!("restricted-ssh");
    let out = handle(&controls, &event).unwrap();
    assert_eq!(out["summary"]["NON_COMPLIANT"], 1);
}

#[test]
fn events_that_cannot_be_handled_are_clear_errors() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    // The captured rule names no Ward rule.
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(samples().join("config/app-elb-config-event.json")).unwrap(),
    )
    .unwrap();
    let err = handle(&controls, &event).unwrap_err().to_string();
    assert!(err.contains("wardRules"), "{err}");
    // A scheduled run needs AWS Config.
    let err = handle(
        &controls,
        &with_rules("config/poll-evaluation.json", "restricted-ssh"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no AWS access"), "{err}");
    // Not an event at all.
    let err = handle(&controls, &json!({"hello": "world"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a Config rule event"), "{err}");
}
