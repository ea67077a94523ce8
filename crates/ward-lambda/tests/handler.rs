//! The Lambda handler, called directly (not through the runtime loop) with the captured
//! Config rule events of the reference data: its evaluations are those of
//! `ward config-rule` and of `ward check` on the same item, and loading only the rules an
//! event runs answers exactly as loading every control does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use serde_json::{Value, json};
use ward_aws::config_rule::RuleEvent;
use ward_lambda::{ControlsByRules, EvidenceStore, HandleError};
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

fn handle(controls: &ControlsByRules, event: &Value) -> Result<Value, HandleError> {
    ward_aws::runtime().unwrap().block_on(ward_lambda::handle(
        controls,
        None,
        &EvidenceStore::default(),
        event,
    ))
}

fn by_rules() -> ControlsByRules {
    ControlsByRules::new(LoadOptions::default())
}

#[test]
fn captured_change_events_give_the_evaluations_of_check() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let by_rules = by_rules();
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
        let out = handle(&by_rules, &event).unwrap();
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
    let controls = by_rules();
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
    let controls = by_rules();
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

/// Every captured event, run by every rule of the pack over its item's type (and a few
/// rules that are not, and ids that are no rule): the handler, which loads only the rules
/// the event asks for, answers byte for byte what every control loaded answers, errors
/// included.
#[test]
fn loading_only_the_rules_of_an_event_answers_as_every_control_does() {
    let every = ControlSet::load(&LoadOptions::default()).unwrap();
    let runtime = ward_aws::runtime().unwrap();
    let mut compared = 0;
    for path in [
        "cwe/event-config-rule-security-group.json",
        "cwe/event-config-rule-instance.json",
        "config/rds-from-rule.json",
        "config/s3-from-rule.json",
        "config/app-elb-config-event.json",
        "config/poll-evaluation.json",
    ] {
        let captured: Value =
            serde_json::from_str(&std::fs::read_to_string(samples().join(path)).unwrap()).unwrap();
        let item_type = RuleEvent::parse(&captured.to_string())
            .unwrap()
            .invoking_event
            .get("configurationItem")
            .and_then(|i| i["resourceType"].as_str())
            .map(str::to_string);
        let mut selections: Vec<String> = every
            .rules()
            .iter()
            .filter(|r| {
                item_type
                    .as_ref()
                    .is_none_or(|t| r.resource_types.contains(t))
            })
            .map(|r| r.id.clone())
            .collect();
        if path.contains("security-group") {
            // Two rules; a Cedar control; one that may read any type (so every control is
            // loaded); ids that are no rule.
            selections.extend(
                [
                    "restricted-ssh,rds-storage-encrypted",
                    "ward-phi-rds-protection",
                    "s3-bucket-replication-enabled",
                    "no-such-rule",
                    "restricted-ssh no-such-rule",
                ]
                .map(str::to_string),
            );
        }
        for ward_rules in selections {
            let event = with_rules(path, &ward_rules);
            let alone = handle(&by_rules(), &event).map_err(|e| e.to_string());
            let parsed = RuleEvent::parse(&event.to_string()).unwrap();
            let whole = runtime
                .block_on(ward_lambda::handle_with(
                    &every,
                    None,
                    &EvidenceStore::default(),
                    &parsed,
                ))
                .map_err(|e| e.to_string());
            assert_eq!(
                alone.map(|v| v.to_string()),
                whole.map(|v| v.to_string()),
                "{ward_rules} on {path}"
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} comparisons");
}

/// A warm container loads each set of rules once, and only those rules: the rule and the
/// files it imports, not the pack.
#[test]
fn a_warm_container_loads_each_set_of_rules_once() {
    let controls = by_rules();
    let ssh = with_rules(
        "cwe/event-config-rule-security-group.json",
        "restricted-ssh",
    );
    for _ in 0..3 {
        assert_eq!(
            handle(&controls, &ssh).unwrap()["summary"]["NON_COMPLIANT"],
            1
        );
    }
    assert_eq!(controls.loads(), 1);
    let event = RuleEvent::parse(&ssh.to_string()).unwrap();
    let loaded = controls.for_event(&event).unwrap();
    assert_eq!(loaded.rule_ids(), ["restricted-ssh"]);
    assert_eq!(loaded.backends().count(), 1, "no Cedar, no plugins");
    let rds = with_rules("config/rds-from-rule.json", "rds-storage-encrypted");
    handle(&controls, &rds).unwrap();
    handle(&controls, &ssh).unwrap();
    assert_eq!(controls.loads(), 2);
}
