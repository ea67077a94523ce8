//! One answer on every path. For every rule of the pack and every resource of the example
//! estate that AWS Config records, a change-triggered Config rule event carrying that
//! resource's item is evaluated with the rest of the estate served by an AWS Config endpoint
//! on loopback (the tests' recorder answering `SelectResourceConfig` from the estate, as
//! AWS's advanced query would: whole items, tags and relationships, paged). Its evaluation
//! must be the one `ward check` gives that resource on the whole estate.
//!
//! A rule the Config rule path refuses (it reads account facts AWS Config does not record,
//! `docs/aws.md`) is not compared: the refusal itself is checked, and the count of refusals
//! is held so that a rule cannot silently move there.
//!
//! The Config rule path loads only the rules an event runs: every rule loaded so gives,
//! byte for byte, the plan, the reads and the evaluations of every control loaded.
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

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::{EXAMPLE, root};
use serde_json::{Value, json};
use ward_aws::config_rule::{self, ConfigEvaluation, Controls, RuleEvent};
use ward_aws::testing::{self, Recorder};
use ward_engine::EvalOptions;
use ward_model::{ACCOUNT_TYPE, Inventory, Resource, Status};
use ward_run::backends::{ControlSet, LoadOptions};

fn estate() -> Inventory {
    let mut inventory = Inventory::new();
    let report = ward_import::import_path(&root().join(EXAMPLE), &mut inventory);
    assert!(!report.has_errors(), "the example estate imports");
    inventory.synthesize_accounts();
    inventory
}

/// Whether AWS Config records resources of this type (the others are Ward's account facts
/// and the synthesized account).
fn recorded_by_config(resource_type: &str) -> bool {
    resource_type.starts_with("AWS::") && resource_type != ACCOUNT_TYPE
}

/// The resource as a configuration item (Config's spelling: tags as a map in a change
/// event, relationships with their names).
fn item(r: &Resource) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("source");
    obj.entry("configurationItemStatus").or_insert(json!("OK"));
    v
}

/// The resource as an advanced query result: tags as `[{key, value}]`, relationships
/// without a name (the schema's `relationships.*` has none).
fn select_result(r: &Resource) -> String {
    let mut v = item(r);
    let obj = v.as_object_mut().unwrap();
    let tags: Vec<Value> = r
        .tags
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    obj.insert("tags".into(), Value::Array(tags));
    if let Some(Value::Array(rels)) = obj.get_mut("relationships") {
        for rel in rels {
            rel.as_object_mut().unwrap().remove("relationshipName");
        }
    }
    v.to_string()
}

fn change_event(r: &Resource) -> RuleEvent {
    let invoking = json!({
        "configurationItem": item(r),
        "notificationCreationTime": "2026-01-02T03:04:05.678Z",
        "messageType": "ConfigurationItemChangeNotification",
        "recordVersion": "1.3"
    });
    let event = json!({
        "invokingEvent": invoking.to_string(),
        "ruleParameters": "{}",
        "resultToken": "token",
        "eventLeftScope": false,
        "accountId": r.account_id.clone().unwrap_or_default(),
    });
    RuleEvent::parse(&event.to_string()).unwrap()
}

/// An AWS Config endpoint that answers `SelectResourceConfig` from `served`, paged by the
/// query's `Limit`; every query it answered is counted.
fn config_endpoint(served: Vec<(String, String)>, queries: Arc<Mutex<usize>>) -> Recorder {
    Recorder::serve(
        None,
        Box::new(move |operation, body| {
            if operation != "SelectResourceConfig" {
                return Some((
                    400,
                    json!({"__type": "InvalidParameterValueException",
                           "message": format!("this endpoint answers SelectResourceConfig, not {operation}")})
                    .to_string(),
                ));
            }
            *queries.lock().unwrap() += 1;
            let expression = body["Expression"].as_str().unwrap_or("");
            let (_, wanted) = expression
                .split_once("WHERE resourceType IN (")
                .expect("a query by resource type");
            let types: Vec<&str> = wanted.split('\'').skip(1).step_by(2).collect();
            let matching: Vec<&String> = served
                .iter()
                .filter(|(t, _)| types.contains(&t.as_str()))
                .map(|(_, r)| r)
                .collect();
            let limit = body["Limit"].as_u64().unwrap_or(100) as usize;
            let start: usize = body["NextToken"]
                .as_str()
                .map(|t| t.parse().unwrap())
                .unwrap_or(0);
            let end = (start + limit).min(matching.len());
            let mut answer = json!({
                "Results": matching[start..end],
                "QueryInfo": {"SelectFields": [{"Name": "resourceId"}]}
            });
            if end < matching.len() {
                answer["NextToken"] = json!(end.to_string());
            }
            Some((200, answer.to_string()))
        }),
    )
}

fn assert_none_differ(differences: &[String], compared: usize) {
    assert!(
        differences.is_empty(),
        "{} of {compared} evaluations differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

fn expected(statuses: &[Status]) -> &'static str {
    if statuses
        .iter()
        .any(|s| matches!(s, Status::NonCompliant | Status::Error))
    {
        "NON_COMPLIANT"
    } else if statuses.contains(&Status::Compliant) {
        "COMPLIANT"
    } else {
        "NOT_APPLICABLE"
    }
}

/// The pack, the estate, `ward check`'s statuses on it by (rule, type, id), and an AWS
/// Config endpoint serving the estate.
struct Fixture {
    controls: ControlSet,
    estate: Inventory,
    check: BTreeMap<(String, String, String), Vec<Status>>,
    queries: Arc<Mutex<usize>>,
    _endpoint: Recorder,
    runtime: ward_aws::Runtime,
    clients: ward_aws::Clients,
}

impl Fixture {
    fn new() -> Fixture {
        let controls = ControlSet::load(&LoadOptions::default()).unwrap();
        let estate = estate();
        let mut check: BTreeMap<(String, String, String), Vec<Status>> = BTreeMap::new();
        for f in controls
            .evaluate(&estate, &EvalOptions::default())
            .unwrap()
            .findings
        {
            check
                .entry((
                    f.rule.clone(),
                    f.resource.resource_type.clone(),
                    f.resource.id.clone(),
                ))
                .or_default()
                .push(f.status);
        }
        let served: Vec<(String, String)> = estate
            .iter()
            .filter(|r| recorded_by_config(&r.resource_type))
            .map(|r| (r.resource_type.clone(), select_result(r)))
            .collect();
        let queries = Arc::new(Mutex::new(0));
        let endpoint = config_endpoint(served, queries.clone());
        let runtime = ward_aws::runtime().unwrap();
        let clients = runtime.block_on(testing::clients(&endpoint.url, testing::quick_retry()));
        Fixture {
            controls,
            estate,
            check,
            queries,
            _endpoint: endpoint,
            runtime,
            clients,
        }
    }

    /// What `ward check` says of `rule` on the resource, as a Config evaluation would.
    fn expected(&self, rule: &str, resource_type: &str, id: &str) -> &'static str {
        let key = (rule.to_string(), resource_type.to_string(), id.to_string());
        expected(self.check.get(&key).map(Vec::as_slice).unwrap_or_default())
    }

    fn evaluate(&self, event: &RuleEvent, plan: &config_rule::Plan) -> Vec<ConfigEvaluation> {
        self.evaluate_with(&self.controls, event, plan)
    }

    fn evaluate_with(
        &self,
        controls: &ControlSet,
        event: &RuleEvent,
        plan: &config_rule::Plan,
    ) -> Vec<ConfigEvaluation> {
        self.runtime
            .block_on(config_rule::evaluate_event(
                controls,
                event,
                plan,
                Some(&self.clients),
            ))
            .unwrap_or_else(|e| panic!("{:?}: {e}", plan.rules))
    }

    /// The scheduled notification of the estate's account, at `ward check`'s time.
    fn scheduled_event(&self) -> RuleEvent {
        // The time `ward check` evaluates at: the newest capture time of the estate.
        let now = self.estate.latest_capture_time().unwrap().to_string();
        RuleEvent::parse(
            &json!({
                "invokingEvent": json!({
                    "awsAccountId": "111122223333",
                    "notificationCreationTime": now,
                    "messageType": "ScheduledNotification",
                    "recordVersion": "1.0"
                })
                .to_string(),
                "ruleParameters": "{}",
                "resultToken": "token",
                "eventLeftScope": false,
                "accountId": "111122223333",
            })
            .to_string(),
        )
        .unwrap()
    }
}

#[test]
fn every_change_event_evaluates_like_check_on_the_whole_estate() {
    let fx = Fixture::new();
    let mut compared = 0;
    let mut fetched_others = 0;
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let mut differences = Vec::new();
    let mut resources = 0;
    for r in fx
        .estate
        .iter()
        .filter(|r| recorded_by_config(&r.resource_type))
    {
        let rules: Vec<String> = fx
            .controls
            .rules()
            .iter()
            .filter(|rule| rule.resource_types.contains(&r.resource_type))
            .map(|rule| rule.id.clone())
            .collect();
        if rules.is_empty() {
            continue;
        }
        resources += 1;
        let event = change_event(r);
        for rule in rules {
            let plan = match config_rule::plan(&fx.controls, &event, std::slice::from_ref(&rule)) {
                Ok(plan) => plan,
                Err(e) => {
                    let e = e.to_string();
                    assert!(
                        e.contains("account facts that AWS Config does not record"),
                        "{rule}: {e}"
                    );
                    *refused.entry(rule).or_default() += 1;
                    continue;
                }
            };
            if config_rule::needs_aws(&fx.controls, &event, &plan) {
                fetched_others += 1;
            }
            let evals = fx.evaluate(&event, &plan);
            assert_eq!(evals.len(), 1, "{rule} on {}", r.resource_id);
            let want = fx.expected(&rule, &r.resource_type, &r.resource_id);
            if evals[0].compliance_type != want {
                differences.push(format!(
                    "{rule} on {} {}: the change event says {} ({}), `ward check` {want}",
                    r.resource_type,
                    r.resource_id,
                    evals[0].compliance_type,
                    evals[0].annotation.as_deref().unwrap_or("")
                ));
            }
            compared += 1;
        }
    }
    assert_none_differ(&differences, compared);
    eprintln!(
        "{compared} evaluations of {resources} resources compared; {fetched_others} read other resources in {} queries; refused: {refused:?}",
        fx.queries.lock().unwrap()
    );
    assert!(resources > 150, "only {resources} resources");
    assert!(compared > 400, "only {compared} evaluations");
    assert!(
        fetched_others > 50,
        "only {fetched_others} read other resources"
    );
    // The rules over facts AWS Config does not record (docs/aws.md's table).
    assert!(refused.len() <= 3, "refused: {refused:?}");
}

/// The same for scheduled runs: every rule over Config-recorded types, run as a periodic
/// Config rule, reads the resources of its types and of the types it reads from the
/// endpoint, and decides each as `ward check` does. Rules over the account itself or the
/// IAM credential report (and those that may read any type, which read it too) read those
/// from IAM and STS, which this endpoint does not serve: `crates/ward-cli/tests/aws.rs` runs
/// such runs against moto.
#[test]
fn every_scheduled_run_evaluates_like_check_on_the_whole_estate() {
    let fx = Fixture::new();
    let event = fx.scheduled_event();

    let mut compared = 0;
    let mut rules_run = 0;
    let mut not_served = Vec::new();
    let mut differences = Vec::new();
    for rule in fx.controls.rules() {
        let Ok(plan) = config_rule::plan(&fx.controls, &event, std::slice::from_ref(&rule.id))
        else {
            continue; // refused: checked by the change-event test
        };
        // A rule that may read any type (`lookup_arn`) reads every type some rule reads,
        // the credential report included.
        let reads = Controls::types_read(&fx.controls, &rule.id);
        if reads.any_type
            || rule
                .resource_types
                .iter()
                .chain(reads.types.iter())
                .any(|t| !recorded_by_config(t))
        {
            not_served.push(rule.id.clone());
            continue;
        }
        rules_run += 1;
        let evals = fx.evaluate(&event, &plan);
        let expected_targets = fx
            .estate
            .iter()
            .filter(|r| rule.resource_types.contains(&r.resource_type))
            .count();
        assert_eq!(evals.len(), expected_targets, "{}", rule.id);
        for e in &evals {
            let want = fx.expected(
                &rule.id,
                &e.compliance_resource_type,
                &e.compliance_resource_id,
            );
            if e.compliance_type != want {
                differences.push(format!(
                    "{} on {} {}: the scheduled run says {} ({}), `ward check` {want}",
                    rule.id,
                    e.compliance_resource_type,
                    e.compliance_resource_id,
                    e.compliance_type,
                    e.annotation.as_deref().unwrap_or("")
                ));
            }
            compared += 1;
        }
    }
    assert_none_differ(&differences, compared);
    eprintln!(
        "{rules_run} rules, {compared} evaluations compared in {} queries; not served here: {not_served:?}",
        fx.queries.lock().unwrap()
    );
    assert!(rules_run > 100, "only {rules_run} rules ran");
    assert!(compared > 500, "only {compared} evaluations");
    assert!(not_served.len() < 30, "not served: {not_served:?}");
}

/// Every rule of the pack loaded alone, as the Config rule path loads it
/// (`ward_run::aws::controls_for_event`), on the change event of every resource of its
/// types and on a scheduled run: the same plan (or refusal), the same need of AWS access
/// and byte-identical evaluations as with every control loaded.
#[test]
fn every_rule_loaded_alone_answers_as_every_control_does() {
    let fx = Fixture::new();
    let scheduled = fx.scheduled_event();
    let mut compared = 0;
    let mut loaded_whole = Vec::new();
    let mut differences = Vec::new();
    for rule in fx.controls.rules() {
        let explicit = std::slice::from_ref(&rule.id);
        let alone =
            ward_run::aws::controls_for_event(&LoadOptions::default(), &scheduled, explicit)
                .unwrap();
        assert_eq!(alone.rule(&rule.id), Some(rule));
        if alone.rules().len() == fx.controls.rules().len() {
            // A rule that may read any type reads what every rule reads.
            loaded_whole.push(rule.id.clone());
        } else {
            assert!(
                alone.rules().len() < 5,
                "{}: {:?}",
                rule.id,
                alone.rule_ids()
            );
        }
        let events = fx
            .estate
            .iter()
            .filter(|r| recorded_by_config(&r.resource_type))
            .filter(|r| rule.resource_types.contains(&r.resource_type))
            .map(change_event)
            .chain([scheduled.clone()]);
        for event in events {
            let plans = [&alone, &fx.controls]
                .map(|c| config_rule::plan(c, &event, explicit).map_err(|e| e.to_string()));
            if plans[0] != plans[1] {
                differences.push(format!("{}: plans {plans:?}", rule.id));
                continue;
            }
            let Ok(plan) = &plans[0] else { continue };
            let needs = [&alone, &fx.controls].map(|c| config_rule::needs_aws(c, &event, plan));
            let reads = [&alone, &fx.controls].map(|c| Controls::types_read(c, &rule.id));
            if needs[0] != needs[1] || reads[0] != reads[1] {
                differences.push(format!("{}: needs {needs:?}, reads {reads:?}", rule.id));
                continue;
            }
            let served = !reads[0].any_type
                && rule
                    .resource_types
                    .iter()
                    .chain(reads[0].types.iter())
                    .all(|t| recorded_by_config(t));
            if event.message_type == config_rule::MessageType::Scheduled && !served {
                continue; // IAM and STS are not served here (see the scheduled test)
            }
            let [a, w] = [&alone, &fx.controls]
                .map(|c| serde_json::to_string(&fx.evaluate_with(c, &event, plan)).unwrap());
            if a != w {
                differences.push(format!("{}:\n  alone {a}\n  every {w}", rule.id));
            }
            compared += 1;
        }
    }
    assert_none_differ(&differences, compared);
    eprintln!("{compared} evaluations compared; loaded with every control: {loaded_whole:?}");
    assert!(compared > 500, "only {compared} evaluations");
    // The rules that may read any type (`lookup_arn`): the three log-bucket principal rules
    // (auditors, writers, readers) look attached policies up by ARN, the other two a key or a
    // replication role.
    assert!(loaded_whole.len() <= 5, "{loaded_whole:?}");
}
