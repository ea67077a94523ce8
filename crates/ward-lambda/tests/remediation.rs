//! Remediation in the Config rule Lambda, against moto on loopback (through the recording
//! endpoint, which answers `PutEvaluations` and records every call): a Config rule with
//! `wardRemediate=true` revokes exactly the world sources its evaluation found, after the
//! evaluation; a tagged group, a compliant group and a rule without the parameter are left
//! alone; a revocation EC2 refuses is reported once, not retried.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};
use ward_aws::remediate::{self, PlanOptions};
use ward_aws::testing::{self, Moto, Recorder, plant};
use ward_aws::{AwsError, Clients};
use ward_lambda::{ControlsByRules, EvidenceStore, HandleError};
use ward_run::backends::{ControlSet, LoadOptions};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    ward_aws::runtime().unwrap().block_on(f)
}

fn remediating(rules: &str) -> Value {
    json!({"wardRules": rules, "wardRemediate": "true"})
}

/// The revocation calls the endpoint saw, as (call, group, the call's other fields).
fn revocations(recorder: &Recorder) -> Vec<(String, String, Value)> {
    recorder
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.operation.starts_with("RevokeSecurityGroup"))
        .map(|r| {
            let mut fields = r.body.clone();
            let group = fields["GroupId"].as_str().unwrap_or("").to_string();
            for noise in ["Action", "Version", "GroupId"] {
                fields.as_object_mut().unwrap().remove(noise);
            }
            (r.operation.clone(), group, fields)
        })
        .collect()
}

/// The evaluations Config accepted, with their annotations.
fn put(recorder: &Recorder) -> Vec<Value> {
    recorder
        .puts()
        .iter()
        .flat_map(|p| {
            p.body["Evaluations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

struct Setup {
    // Dropped last: the recorder forwards to it.
    recorder: Recorder,
    _moto: Moto,
}

fn setup() -> Setup {
    let moto = Moto::start();
    let recorder = Recorder::start(Some(moto.url.clone()), Box::new(|_, _| None));
    Setup {
        recorder,
        _moto: moto,
    }
}

async fn clients(url: &str) -> Clients {
    testing::clients(url, testing::quick_retry()).await
}

fn handle(
    controls: &ControlsByRules,
    c: &Clients,
    store: &EvidenceStore,
    event: &Value,
) -> Result<Value, HandleError> {
    block_on(ward_lambda::handle(controls, Some(c), store, event))
}

#[test]
fn a_world_open_group_loses_exactly_its_world_ssh_source_and_the_annotation_says_so() {
    let s = setup();
    let c = block_on(clients(&s.recorder.url));
    let (sg, event) = block_on(async {
        c.s3.create_bucket()
            .bucket("ward-evidence")
            .send()
            .await
            .expect("CreateBucket");
        let sg = plant::group_with(
            &c,
            "ward-open",
            &[
                ("tcp", 22, 22, &["0.0.0.0/0", "10.0.0.0/8", "::/0"]),
                ("tcp", 443, 443, &["0.0.0.0/0"]),
            ],
        )
        .await;
        let event = plant::change_event(
            &c,
            &sg,
            "restricted-ssh",
            remediating("restricted-ssh"),
            "t-1",
        )
        .await;
        (sg, event)
    });
    let store = EvidenceStore {
        bucket: Some("ward-evidence".into()),
        prefix: "evidence/".into(),
    };
    let controls = ControlsByRules::new(LoadOptions::default());
    let result = handle(&controls, &c, &store, &event).unwrap();

    // One call: port 22's world sources, IPv4 and IPv6; not 10.0.0.0/8, not port 443.
    let calls = revocations(&s.recorder);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let (call, group, fields) = &calls[0];
    assert_eq!(
        (call.as_str(), group.as_str()),
        ("RevokeSecurityGroupIngress", sg.as_str())
    );
    assert_eq!(
        fields,
        &json!({
            "IpPermissions.1.IpProtocol": "tcp",
            "IpPermissions.1.FromPort": "22",
            "IpPermissions.1.ToPort": "22",
            "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0",
            "IpPermissions.1.Ipv6Ranges.1.CidrIpv6": "::/0",
        })
    );
    let after = block_on(plant::ingress(&c, &sg));
    assert_eq!(
        after,
        [
            ("tcp".to_string(), 22, 22, vec!["10.0.0.0/8".to_string()]),
            ("tcp".to_string(), 443, 443, vec!["0.0.0.0/0".to_string()]),
        ]
    );

    // The evaluation is what was found (NON_COMPLIANT), its annotation what was done.
    let evaluations = put(&s.recorder);
    assert_eq!(evaluations.len(), 1);
    assert_eq!(evaluations[0]["ComplianceType"], "NON_COMPLIANT");
    let annotation = evaluations[0]["Annotation"].as_str().unwrap();
    assert!(
        annotation.starts_with("Ward revoked ingress tcp port 22 0.0.0.0/0, ::/0. Was: "),
        "{annotation}"
    );
    assert!(annotation.chars().count() <= 256);
    assert_eq!(result["remediation"]["calls"], 1);
    assert_eq!(result["remediation"]["failed"], 0);

    // The evidence: in the log (the line is printed) and as an S3 object.
    let location = result["remediation"]["evidence"]["s3"].as_str().unwrap();
    let key = location.strip_prefix("s3://ward-evidence/").unwrap();
    assert!(key.starts_with("evidence/123456789012/us-east-1/"), "{key}");
    let object = block_on(async {
        let got =
            c.s3.get_object()
                .bucket("ward-evidence")
                .key(key)
                .send()
                .await
                .expect("GetObject");
        got.body.collect().await.unwrap().into_bytes()
    });
    let evidence: Value = serde_json::from_slice(&object).unwrap();
    assert_eq!(evidence["configRuleName"], "restricted-ssh");
    assert_eq!(evidence["complete"], true);
    assert_eq!(
        evidence["before"][&sg]["ipPermissions"][0]["ipv6Ranges"][0]["cidrIpv6"],
        "::/0"
    );
    assert_eq!(
        evidence["after"][&sg]["ipPermissions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The change Config records next is compliant; nothing more is revoked.
    let again = block_on(plant::change_event(
        &c,
        &sg,
        "restricted-ssh",
        remediating("restricted-ssh"),
        "t-2",
    ));
    let result = handle(&controls, &c, &store, &again).unwrap();
    assert_eq!(result["summary"]["COMPLIANT"], 1);
    assert_eq!(result["remediation"]["groups"], 0);
    assert_eq!(revocations(&s.recorder).len(), 1);
}

#[test]
fn tagged_and_compliant_groups_and_rules_without_the_parameter_are_left_alone() {
    let s = setup();
    let c = block_on(clients(&s.recorder.url));
    let (tagged, fine, open) = block_on(async {
        let tagged = plant::open_ssh_group(&c, "ward-bastion").await;
        plant::tag(
            &c,
            &tagged,
            remediate::DEFAULT_OPT_OUT_TAG,
            "approved bastion, CHG-1042",
        )
        .await;
        let fine = plant::group_with(&c, "ward-fine", &[("tcp", 22, 22, &["10.0.0.0/8"])]).await;
        let open = plant::open_ssh_group(&c, "ward-not-asked").await;
        (tagged, fine, open)
    });
    let controls = ControlsByRules::new(LoadOptions::default());
    let store = EvidenceStore::default();
    let event = |sg: &str, params: Value| {
        block_on(plant::change_event(&c, sg, "restricted-ssh", params, "t"))
    };

    let result = handle(
        &controls,
        &c,
        &store,
        &event(&tagged, remediating("restricted-ssh")),
    )
    .unwrap();
    assert_eq!(result["summary"]["NON_COMPLIANT"], 1);
    assert_eq!(
        result["remediation"]["skipped"][0]["groupId"],
        json!(tagged)
    );
    let annotation = put(&s.recorder)[0]["Annotation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        annotation.starts_with(
            "Ward did not remediate: opted out by its tag ward:no-remediate=approved bastion, CHG-1042. Was: "
        ),
        "{annotation}"
    );

    let result = handle(
        &controls,
        &c,
        &store,
        &event(&fine, remediating("restricted-ssh")),
    )
    .unwrap();
    assert_eq!(result["summary"]["COMPLIANT"], 1);
    assert_eq!(result["remediation"]["groups"], 0);

    let result = handle(
        &controls,
        &c,
        &store,
        &event(&open, json!({"wardRules": "restricted-ssh"})),
    )
    .unwrap();
    assert_eq!(result["summary"]["NON_COMPLIANT"], 1);
    assert_eq!(result["remediation"], Value::Null);
    let result = handle(
        &controls,
        &c,
        &store,
        &event(
            &open,
            json!({"wardRules": "restricted-ssh", "wardRemediate": "false"}),
        ),
    )
    .unwrap();
    assert_eq!(result["remediation"], Value::Null);

    assert_eq!(revocations(&s.recorder), []);
    assert_eq!(block_on(plant::ingress(&c, &tagged)).len(), 2);
    assert_eq!(block_on(plant::ingress(&c, &open)).len(), 2);
}

#[test]
fn a_revocation_ec2_refuses_is_reported_once_and_the_evaluation_still_sent() {
    let moto = Moto::start();
    let refused = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>ward-test</RequestID></Response>"#;
    let recorder = Recorder::serve(
        Some(moto.url.clone()),
        Box::new(move |operation, _| match operation {
            "PutEvaluations" => Some((200, r#"{"FailedEvaluations":[]}"#.to_string())),
            "RevokeSecurityGroupIngress" => Some((403, refused.to_string())),
            _ => None,
        }),
    );
    let c = block_on(clients(&recorder.url));
    let sg = block_on(plant::open_ssh_group(&c, "ward-refused"));
    let event = block_on(plant::change_event(
        &c,
        &sg,
        "restricted-ssh",
        remediating("restricted-ssh"),
        "t",
    ));
    let controls = ControlsByRules::new(LoadOptions::default());
    let result = handle(&controls, &c, &EvidenceStore::default(), &event).unwrap();
    assert_eq!(revocations(&recorder).len(), 1, "refused once, not retried");
    assert_eq!(result["remediation"]["failed"], 1);
    let evaluations = put(&recorder);
    assert_eq!(evaluations[0]["ComplianceType"], "NON_COMPLIANT");
    let annotation = evaluations[0]["Annotation"].as_str().unwrap();
    assert!(
        annotation.starts_with("Ward's revocation failed for ingress tcp port 22 0.0.0.0/0: "),
        "{annotation}"
    );
    assert!(annotation.contains("UnauthorizedOperation"), "{annotation}");
    assert_eq!(block_on(plant::ingress(&c, &sg)).len(), 2);
}

/// Two world-open SSH groups, `PREFIX-a` and `PREFIX-b`, by id.
fn two_open_groups(c: &Clients, prefix: &str) -> Vec<String> {
    let mut groups = block_on(async {
        vec![
            plant::open_ssh_group(c, &format!("{prefix}-a")).await,
            plant::open_ssh_group(c, &format!("{prefix}-b")).await,
        ]
    });
    groups.sort();
    groups
}

#[test]
fn the_cap_changes_the_first_groups_by_id_and_lists_the_others() {
    let moto = Moto::start();
    let c = block_on(clients(&moto.url));
    let groups = two_open_groups(&c, "ward-cap");
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let options = PlanOptions {
        opt_out_tag: Some(remediate::DEFAULT_OPT_OUT_TAG.into()),
        max_groups: Some(1),
        rules: Some(vec!["restricted-ssh".into()]),
    };
    let plan = block_on(remediate::plan(
        &c,
        &controls,
        &groups,
        &Default::default(),
        &options,
    ))
    .unwrap();
    assert_eq!(plan.actions.len(), 1);
    assert_eq!(plan.actions[0].group_id, groups[0]);
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].group_id, groups[1]);
    assert_eq!(plan.skipped[0].rules, ["restricted-ssh"]);
    assert!(
        plan.skipped[0].reason.contains("cap of 1 group"),
        "{:?}",
        plan.skipped
    );
}

#[test]
fn remediation_parameters_ward_does_not_read_are_refused() {
    let controls = ControlsByRules::new(LoadOptions::default());
    let event = |params: Value| {
        let item = json!({
            "configurationItemCaptureTime": "2026-12-01T10:00:00.000Z",
            "configurationItemStatus": "OK",
            "resourceType": "AWS::EC2::SecurityGroup",
            "resourceId": "sg-0123456789abcdef0",
            "awsAccountId": "123456789012",
            "awsRegion": "us-east-1",
            "configuration": {"groupId": "sg-0123456789abcdef0", "ipPermissions": []}
        });
        json!({
            "invokingEvent": json!({"configurationItem": item,
                "messageType": "ConfigurationItemChangeNotification",
                "notificationCreationTime": "2026-12-01T10:00:05.000Z"}).to_string(),
            "ruleParameters": params.to_string(),
            "configRuleName": "restricted-ssh",
        })
    };
    let refused = |params: Value| match block_on(ward_lambda::handle(
        &controls,
        None,
        &EvidenceStore::default(),
        &event(params),
    )) {
        Err(HandleError::Aws(AwsError::Param(message) | AwsError::Remediation(message))) => message,
        other => panic!("expected a parameter error, got {other:?}"),
    };
    assert!(refused(json!({"wardRemediate": "yes"})).contains("`wardRemediate` is `yes`"));
    assert!(
        refused(json!({"wardRules": "encrypted-volumes", "wardRemediate": "true"}))
            .contains("does not remediate")
    );
    assert!(
        refused(json!({"wardRemediate": "true", "wardRemediateMaxGroups": "0"}))
            .contains("at least 1")
    );
    assert!(refused(json!({"wardRemediate": "true"})).contains("no AWS access"));
    // Without remediation turned on, its other parameters are not rule parameters either.
    let ok = block_on(ward_lambda::handle(
        &controls,
        None,
        &EvidenceStore::default(),
        &event(json!({"wardRemediateMaxGroups": "3"})),
    ))
    .unwrap();
    assert_eq!(ok["summary"]["COMPLIANT"], 1);
}

/// The built-in controls, except that the findings on one group carry no evidence: the
/// planner cannot tell which sources to revoke there (as with a rule whose evidence names no
/// source).
struct EvidenceWithheld<'a> {
    inner: &'a ControlSet,
    group: String,
}

impl ward_aws::config_rule::Controls for EvidenceWithheld<'_> {
    fn rules(&self) -> &[ward_model::RuleInfo] {
        ControlSet::rules(self.inner)
    }

    fn evaluate(
        &self,
        inventory: &ward_model::Inventory,
        options: &ward_engine::EvalOptions,
    ) -> Result<ward_engine::Evaluation, ward_engine::EngineError> {
        let mut evaluation = ControlSet::evaluate(self.inner, inventory, options)?;
        for f in evaluation
            .findings
            .iter_mut()
            .filter(|f| f.resource.id == self.group)
        {
            f.evidence.clear();
        }
        Ok(evaluation)
    }
}

/// A group whose fix cannot be planned is reported as an error for it alone: the other group
/// is planned and revoked as usual, and `ward remediate`'s text names the failure.
#[test]
fn a_group_whose_fix_cannot_be_planned_does_not_stop_the_others() {
    let moto = Moto::start();
    let c = block_on(clients(&moto.url));
    let groups = two_open_groups(&c, "ward-plan");
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let withheld = EvidenceWithheld {
        inner: &controls,
        group: groups[1].clone(),
    };
    let options = PlanOptions {
        opt_out_tag: None,
        max_groups: None,
        rules: Some(vec!["restricted-ssh".into()]),
    };
    let plan = block_on(remediate::plan(
        &c,
        &withheld,
        &groups,
        &Default::default(),
        &options,
    ))
    .unwrap();
    assert_eq!(plan.actions.len(), 1, "{:?}", plan.skipped);
    assert_eq!(plan.actions[0].group_id, groups[0]);
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].group_id, groups[1]);
    assert!(plan.skipped[0].error);
    assert!(
        plan.skipped[0]
            .reason
            .contains("Ward could not plan its fix: security group"),
        "{}",
        plan.skipped[0].reason
    );
    let text = plan.to_text();
    assert!(
        text.starts_with(&format!(
            "error: {}: Ward could not plan its fix",
            groups[1]
        )),
        "{text}"
    );
    let evidence = block_on(remediate::apply(&c, &plan)).unwrap();
    assert_eq!(evidence["complete"], json!(true), "{evidence}");
}
