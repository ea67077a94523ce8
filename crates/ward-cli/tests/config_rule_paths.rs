//! What the AWS Config custom rule path reads, computed from the compiled rules: the types a
//! rule reads through imported `def`s, change events that need other resources, and the
//! rules refused because they need account facts the path cannot read (the table in
//! docs/aws.md is kept true here).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(not(feature = "aws"))]
compile_error!(
    "these tests need ward-cli's `aws` feature: run the README's test command, `cargo test --workspace --all-features`"
);

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;
use ward_aws::config_rule::{self, Controls, RuleEvent};
use ward_run::backends::{ControlSet, LoadOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bucket_event() -> RuleEvent {
    let item = json!({
        "configurationItemVersion": "1.3",
        "awsAccountId": "111122223333",
        "configurationItemCaptureTime": "2026-11-20T10:00:00.000Z",
        "configurationItemStatus": "OK",
        "resourceType": "AWS::S3::Bucket",
        "resourceId": "clinic-trail-logs",
        "awsRegion": "us-east-1",
        "configuration": {"name": "clinic-trail-logs"},
        "supplementaryConfiguration": {}
    });
    let invoking = json!({
        "messageType": "ConfigurationItemChangeNotification",
        "configurationItem": item,
        "notificationCreationTime": "2026-11-20T10:00:05.000Z"
    });
    let event = json!({
        "invokingEvent": invoking.to_string(),
        "ruleParameters": "{}",
        "eventLeftScope": false,
        "configRuleName": "ward-log-bucket-protected",
        "accountId": "111122223333"
    });
    RuleEvent::parse(&event.to_string()).unwrap()
}

#[test]
fn types_read_follow_imported_defs() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    // `ward-log-bucket-protected` names no trail or load balancer in its own file: they are
    // read through `log_bucket_names()` of lib/ward-controls.ward.
    let file =
        std::fs::read_to_string(root().join("policies/hipaa/ward-log-bucket-protected.ward"))
            .unwrap();
    assert!(!file.contains("AWS::CloudTrail::Trail"));
    let read = controls.types_read("ward-log-bucket-protected");
    for t in [
        "AWS::CloudTrail::Trail",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
    ] {
        assert!(read.types.contains(t), "{t} missing from {read:?}");
    }
    // A rule over its own item only.
    assert!(!controls.types_read("restricted-ssh").reads_others());
}

#[test]
fn scoped_least_privilege_reads_the_types_it_judges() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    // Every PHI-bearing type for the unscoped control; EC2 instances alone (beside the
    // principals and their policies) for the one scoped to them (`@scopeTypes`): its entity
    // store holds no bucket, table or key.
    let every = controls.types_read("ward-phi-least-privilege");
    let instances = controls.types_read("ward-production-instance-access");
    for t in [
        "AWS::IAM::Role",
        "AWS::IAM::User",
        "AWS::IAM::Policy",
        "AWS::EC2::Instance",
    ] {
        assert!(every.types.contains(t), "{t} missing from {every:?}");
        assert!(
            instances.types.contains(t),
            "{t} missing from {instances:?}"
        );
    }
    for t in ["AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::KMS::Key"] {
        assert!(every.types.contains(t), "{t} missing from {every:?}");
        assert!(!instances.types.contains(t), "{t} in {instances:?}");
    }
}

#[test]
fn a_change_event_whose_rule_reads_other_resources_needs_them() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let event = bucket_event();
    let plan = config_rule::plan(&controls, &event, &[]).unwrap();
    assert!(config_rule::needs_aws(&controls, &event, &plan));
    let err = ward_aws::runtime()
        .unwrap()
        .block_on(config_rule::evaluate_event(&controls, &event, &plan, None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ward-log-bucket-protected reads"), "{err}");
    assert!(err.contains("`AWS::CloudTrail::Trail`"), "{err}");

    // A rule that reads only the changed item needs no AWS access.
    let plan = config_rule::plan(&controls, &event, &["s3-bucket-logging-enabled".into()]).unwrap();
    assert!(!config_rule::needs_aws(&controls, &event, &plan));
}

/// Every rule the Config rule path refuses, with the facts it names, is the table of
/// docs/aws.md ("Account facts"), and no other rule is refused.
#[test]
fn rules_over_unreadable_facts_are_refused_as_documented() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let event = bucket_event();
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in controls.rules() {
        match config_rule::plan(&controls, &event, std::slice::from_ref(&rule.id)) {
            Ok(_) => {}
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains("account facts"), "{}: {text}", rule.id);
                let facts = text
                    .split('`')
                    .filter(|t| t.starts_with("Ward::"))
                    .map(str::to_string)
                    .collect();
                refused.insert(rule.id.clone(), facts);
            }
        }
    }
    assert!(refused.contains_key("guardduty-enabled-centralized"));
    assert!(!refused.contains_key("iam-user-unused-credentials-check"));
    let doc = std::fs::read_to_string(root().join("docs/aws.md")).unwrap();
    let table: BTreeMap<String, Vec<String>> = doc
        .lines()
        .skip_while(|l| !l.starts_with("| rule | the fact it needs |"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let facts = cells[2]
                .split(", ")
                .map(|f| f.trim_matches('`').to_string())
                .collect();
            (cells[1].trim_matches('`').to_string(), facts)
        })
        .collect();
    let expected: String = refused
        .iter()
        .map(|(r, f)| {
            let facts: Vec<String> = f.iter().map(|f| format!("`{f}`")).collect();
            format!("| `{r}` | {} |\n", facts.join(", "))
        })
        .collect();
    assert_eq!(
        table, refused,
        "docs/aws.md's table of refused rules is stale; it should read:\n{expected}"
    );
}

/// A change event's item is evaluated among the resources read around it, and alone: the
/// other resources are read, never evaluated (a rule with an account-wide `def` would
/// otherwise do that work once per resource of the account, per event). The finding is the
/// one the whole run gives.
#[test]
fn targets_evaluate_only_the_item_with_the_rest_visible() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let (inventory, report) = ward_run::import_inputs(&[root().join("examples/clinic/estate")]);
    assert!(!report.has_errors());
    let rule = "ward-log-bucket-protected".to_string();
    let whole = controls
        .evaluate(
            &inventory,
            &ward_engine::EvalOptions {
                only: Some([rule.clone()].into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(whole.findings.len() > 1);
    for f in &whole.findings {
        let target = (f.resource.resource_type.clone(), f.resource.id.clone());
        let one = controls
            .evaluate(
                &inventory,
                &ward_engine::EvalOptions {
                    only: Some([rule.clone()].into()),
                    targets: Some([target].into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(one.findings.len(), 1, "{}", f.resource.id);
        assert_eq!(one.findings[0].status, f.status, "{}", f.resource.id);
        assert_eq!(one.findings[0].message, f.message, "{}", f.resource.id);
    }
}
