//! Live AWS against real endpoints on loopback: `ward collect`, `ward config-rule` and
//! `ward remediate` against a moto server (PyPI `moto[server]`, installed into a venv under
//! the target directory when missing, started per test on a free port, killed on drop), and
//! `PutEvaluations` through a recording endpoint that forwards every other Config call to
//! moto. The `ward` child gets dummy credentials in its own environment only.
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

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{root, stdout};
use serde_json::{Value, json};
use ward_aws::config_rule::{self, RuleEvent};
use ward_aws::testing::{self, Moto, Recorder, plant};
use ward_model::Status;
use ward_run::backends::{ControlSet, LoadOptions};

fn ward_aws(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ward"));
    cmd.args(args).current_dir(root()).env("NO_COLOR", "1");
    for (k, v) in testing::child_env() {
        cmd.env(k, v);
    }
    cmd.output().expect("run ward")
}

/// `ward collect` against `url` into `inventory`, with `args` between.
fn collect_into(url: &str, inventory: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "collect",
        "--endpoint-url",
        url,
        "--region",
        testing::REGION,
    ];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", inventory.to_str().unwrap()]);
    ward_aws(&all)
}

/// `ward remediate` against moto with `options`, planning only or applying with `evidence`.
fn remediate_args(url: &str, options: &[&str], apply: Option<&Path>) -> Vec<String> {
    let mut a: Vec<String> = [
        "remediate",
        "--endpoint-url",
        url,
        "--region",
        testing::REGION,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(options.iter().map(|s| s.to_string()));
    if let Some(evidence) = apply {
        a.extend([
            "--apply".to_string(),
            "--evidence".to_string(),
            evidence.display().to_string(),
        ]);
    }
    a
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    ward_aws::runtime().unwrap().block_on(f)
}

fn reference() -> PathBuf {
    let items = root().join("tests/data/reference/config-items");
    assert!(
        items.is_dir(),
        "reference data not found at {} (it is part of the repository)",
        items.display()
    );
    items
}

/// The captured Lambda events of the reference data.
fn event_samples() -> Vec<PathBuf> {
    let r = reference().join("cloud-custodian/tests/data");
    [
        "config/app-elb-config-event.json",
        "config/poll-evaluation.json",
        "config/rds-from-rule.json",
        "config/s3-from-rule.json",
        "cwe/event-config-rule-instance.json",
        "cwe/event-config-rule-security-group.json",
    ]
    .iter()
    .map(|p| r.join(p))
    .collect()
}

fn findings_of(check: &Value, rule: &str, id: &str) -> Vec<String> {
    check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule && f["resource"]["id"] == id)
        .map(|f| f["status"].as_str().unwrap().to_string())
        .collect()
}

async fn admin_policy(c: &ward_aws::Clients, name: &str, admin: bool) {
    let doc = if admin {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    } else {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
    };
    c.iam
        .create_policy()
        .policy_name(name)
        .policy_document(doc.to_string())
        .send()
        .await
        .expect("CreatePolicy");
}

#[test]
fn collect_against_moto_finds_the_planted_problems() {
    let moto = Moto::start();
    let (sg, instance, volume) = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        let sg = plant::open_ssh_group(&c, "ward-open-ssh").await;
        let (instance, volume) = plant::instance_with_unencrypted_volume(&c).await;
        admin_policy(&c, "ward-admin", true).await;
        c.iam
            .create_user()
            .user_name("ward-user")
            .send()
            .await
            .expect("CreateUser");
        (sg, instance, volume)
    });
    // moto runs no advanced query: the recorder answers `SelectResourceConfig` from moto's
    // own listing (see `Recorder`).
    let recorder = Recorder::start(Some(moto.url.clone()), Box::new(|_, _| None));
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.json");
    let out = collect_into(
        &recorder.url,
        &inv,
        &["--resource-type", "AWS::IAM::Policy"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&inv).unwrap()).unwrap();
    assert_eq!(doc["wardInventoryVersion"], "1");
    assert_eq!(doc["collection"]["complete"], true);
    assert_eq!(
        doc["collection"]["sources"],
        json!(["config", "ec2", "iam-credential-report"])
    );
    let types: Vec<&str> = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resourceType"].as_str().unwrap())
        .collect();
    for t in [
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::Volume",
        "AWS::EC2::Instance",
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::NetworkAcl",
        "AWS::IAM::Policy",
        "Ward::IAM::CredentialReportUser",
    ] {
        assert!(types.contains(&t), "no {t} in the collected inventory");
    }
    let check = ward_aws(&[
        "check",
        "--snapshot",
        inv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let findings: Value = serde_json::from_str(&stdout(&check)).unwrap();
    assert_eq!(
        findings_of(&findings, "restricted-ssh", &sg),
        ["NON_COMPLIANT"]
    );
    assert_eq!(
        findings_of(&findings, "encrypted-volumes", &volume),
        ["NON_COMPLIANT"]
    );
    // The instance, converted from DescribeInstances, is read by the instance rules.
    assert_eq!(
        findings_of(&findings, "ec2-instance-profile-attached", &instance),
        ["NON_COMPLIANT"]
    );
    let admin: Vec<&Value> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule"] == "iam-policy-no-statements-with-admin-access"
                && f["status"] == "NON_COMPLIANT"
        })
        .collect();
    assert_eq!(admin.len(), 1, "the planted admin policy is found");
    assert!(
        !stderr(&check).contains("partial"),
        "a complete inventory is not called partial"
    );
    let selects: Vec<String> = recorder
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.target.ends_with(".SelectResourceConfig"))
        .map(|r| r.body["Expression"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        selects,
        [format!(
            "SELECT {} WHERE resourceType IN ('AWS::IAM::Policy')",
            ward_aws::collect::SELECT_PROPERTIES
        )],
        "one advanced query reads the Config types"
    );
}

#[test]
fn a_failed_call_makes_the_inventory_partial_and_check_says_so() {
    let moto = Moto::start();
    // Config refuses the advanced query; EC2 is still read.
    let recorder = Recorder::serve(
        Some(moto.url.clone()),
        Box::new(|operation, _| {
            (operation == "SelectResourceConfig").then(|| {
                (
                    400,
                    json!({"__type": "AccessDeniedException",
                           "message": "not authorized to perform config:SelectResourceConfig"})
                    .to_string(),
                )
            })
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("partial.json");
    let out = collect_into(
        &recorder.url,
        &inv,
        &[
            "--source",
            "config",
            "--source",
            "ec2",
            "--resource-type",
            "AWS::EC2::SecurityGroup",
            "--max-attempts",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("PARTIAL"), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&inv).unwrap()).unwrap();
    assert_eq!(doc["collection"]["complete"], false);
    let problem = &doc["collection"]["problems"][0];
    assert_eq!(problem["operation"], "SelectResourceConfig");
    assert_eq!(problem["resourceType"], "AWS::EC2::SecurityGroup");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{problem}"
    );
    // What was read is still there.
    assert!(
        doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resourceType"] == "AWS::EC2::SecurityGroup")
    );
    let check = ward_aws(&["check", "--snapshot", inv.to_str().unwrap()]);
    assert!(
        stderr(&check).contains("this inventory is partial"),
        "{}",
        stderr(&check)
    );
}

/// Every captured event sample: the evaluation of each Ward rule for the event's resource
/// type matches `ward check` on the same event file.
#[test]
fn captured_events_evaluate_like_check() {
    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let mut compared = 0;
    for path in event_samples() {
        let text = std::fs::read_to_string(&path).unwrap();
        let event = RuleEvent::parse(&text).unwrap();
        if event.message_type == config_rule::MessageType::Scheduled {
            // Needs AWS Config: covered against moto below.
            let plan = config_rule::plan(&controls, &event, &["restricted-ssh".into()]).unwrap();
            let err =
                block_on(config_rule::evaluate_event(&controls, &event, &plan, None)).unwrap_err();
            assert!(err.to_string().contains("no AWS access"), "{err}");
            continue;
        }
        let item = event.invoking_event["configurationItem"].clone();
        let rtype = item["resourceType"].as_str().unwrap().to_string();
        let id = item["resourceId"].as_str().unwrap().to_string();
        let (inventory, report) = ward_run::import_inputs(std::slice::from_ref(&path));
        assert!(!report.has_errors(), "{}", path.display());
        let rules: Vec<String> = controls
            .rules()
            .iter()
            .filter(|r| r.resource_types.contains(&rtype))
            .map(|r| r.id.clone())
            .collect();
        assert!(!rules.is_empty(), "no rule for {rtype}");
        for rule in rules {
            let plan = config_rule::plan(&controls, &event, std::slice::from_ref(&rule)).unwrap();
            if config_rule::needs_aws(&controls, &event, &plan) {
                // The rule reads other resources: without AWS access the event is an error
                // naming them, never an evaluation decided by their absence.
                let err = block_on(config_rule::evaluate_event(&controls, &event, &plan, None))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(&format!("{rule} reads")), "{err}");
                assert!(err.contains("besides the changed"), "{err}");
                continue;
            }
            let evals =
                block_on(config_rule::evaluate_event(&controls, &event, &plan, None)).unwrap();
            assert_eq!(evals.len(), 1, "{rule} on {}", path.display());
            let e = &evals[0];
            assert_eq!(e.compliance_resource_type, rtype);
            assert_eq!(e.compliance_resource_id, id);
            let options = ward_engine::EvalOptions {
                only: Some([rule.clone()].into()),
                ..Default::default()
            };
            let check = controls.evaluate(&inventory, &options).unwrap();
            let on_item: Vec<_> = check
                .findings
                .iter()
                .filter(|f| f.resource.id == id && f.resource.resource_type == rtype)
                .collect();
            let expected = match on_item.first().map(|f| f.status) {
                Some(Status::Compliant) => "COMPLIANT",
                Some(Status::NonCompliant | Status::Error) => "NON_COMPLIANT",
                _ => "NOT_APPLICABLE",
            };
            assert_eq!(
                e.compliance_type,
                expected,
                "{rule} on {}: {:?}",
                path.display(),
                e.annotation
            );
            if expected == "NON_COMPLIANT" {
                let a = e.annotation.as_deref().unwrap();
                assert!((1..=256).contains(&a.chars().count()));
                let msg: String = on_item[0].message.chars().take(100).collect();
                assert!(a.contains(&msg), "{a} vs {msg}");
            }
            let capture = item["configurationItemCaptureTime"].as_str().unwrap();
            assert_eq!(
                e.ordering_timestamp.trim_end_matches('Z').split('.').next(),
                capture.trim_end_matches('Z').split('.').next(),
                "ordering timestamp is the capture time"
            );
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} comparisons");
}

#[test]
fn captured_events_through_the_cli() {
    let samples = reference().join("cloud-custodian/tests/data");
    let sg = samples.join("cwe/event-config-rule-security-group.json");
    let out = ward_aws(&[
        "config-rule",
        "--event",
        sg.to_str().unwrap(),
        "--rule",
        "restricted-ssh",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let e = &doc["evaluations"][0];
    assert_eq!(e["ComplianceResourceType"], "AWS::EC2::SecurityGroup");
    assert_eq!(e["ComplianceResourceId"], "sg-e2fb6999");
    assert_eq!(e["ComplianceType"], "NON_COMPLIANT");
    assert!(e["Annotation"].as_str().unwrap().contains("22"));
    assert_eq!(doc["evaluations"].as_array().unwrap().len(), 1);

    let rds = samples.join("config/rds-from-rule.json");
    for rule in ["rds-instance-public-access-check", "rds-storage-encrypted"] {
        let out = ward_aws(&[
            "config-rule",
            "--event",
            rds.to_str().unwrap(),
            "--rule",
            rule,
            "--format",
            "json",
        ]);
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(
            doc["evaluations"][0]["ComplianceType"], "NON_COMPLIANT",
            "{rule}"
        );
    }
    let elb = samples.join("config/app-elb-config-event.json");
    let out = ward_aws(&[
        "config-rule",
        "--event",
        elb.to_str().unwrap(),
        "--rule",
        "elb-logging-enabled",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["evaluations"][0]["ComplianceType"], "NON_COMPLIANT");
    // The captured event's rule name is no Ward rule and it has no wardRules: a clear error.
    let out = ward_aws(&["config-rule", "--event", elb.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`custodian-app-elb-checker` is not a Ward rule id"),
        "{}",
        stderr(&out)
    );
    // An id the pack does not have: the same error whichever rules are loaded.
    let out = ward_aws(&[
        "config-rule",
        "--event",
        sg.to_str().unwrap(),
        "--rule",
        "restricted-ssh",
        "--rule",
        "no-such-rule",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        format!(
            "error: `{}`: unknown Ward rule `no-such-rule` (see `ward rules`)",
            sg.display()
        ),
    );
}

fn edited_event(path: &Path, edit: impl Fn(&mut Value, &mut Value)) -> tempfile::NamedTempFile {
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut invoking: Value =
        serde_json::from_str(event["invokingEvent"].as_str().unwrap()).unwrap();
    edit(&mut event, &mut invoking);
    event["invokingEvent"] = Value::String(invoking.to_string());
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), event.to_string()).unwrap();
    file
}

#[test]
fn left_scope_deleted_and_rule_parameters() {
    let sg =
        reference().join("cloud-custodian/tests/data/cwe/event-config-rule-security-group.json");
    let run = |file: &Path, extra: &[&str]| {
        let mut args = vec![
            "config-rule",
            "--event",
            file.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        ward_aws(&args)
    };
    let left = edited_event(&sg, |e, _| e["eventLeftScope"] = json!(true));
    let out = run(left.path(), &["--rule", "restricted-ssh"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["evaluations"][0]["ComplianceType"], "NOT_APPLICABLE");

    let deleted = edited_event(&sg, |_, i| {
        i["configurationItem"]["configurationItemStatus"] = json!("ResourceDeleted");
        i["configurationItem"]["configuration"] = Value::Null;
    });
    let out = run(deleted.path(), &["--rule", "restricted-ssh"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["evaluations"][0]["ComplianceType"], "NOT_APPLICABLE");
    assert_eq!(
        doc["evaluations"][0]["Annotation"],
        "the resource was deleted"
    );

    // wardRules picks the rules; a parameter of one of them applies to it.
    let params = edited_event(&sg, |e, _| {
        e["ruleParameters"] = json!(
            json!({"wardRules": "restricted-common-ports", "blockedPorts": "22,3389"}).to_string()
        );
    });
    let out = run(params.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["evaluations"][0]["ComplianceType"], "NON_COMPLIANT");
    // With the default blocked ports, SSH is not one of them.
    let defaults = edited_event(&sg, |e, _| {
        e["ruleParameters"] = json!(json!({"wardRules": "restricted-common-ports"}).to_string());
    });
    let doc: Value = serde_json::from_str(&stdout(&run(defaults.path(), &[]))).unwrap();
    assert_eq!(doc["evaluations"][0]["ComplianceType"], "COMPLIANT");

    let unknown = edited_event(&sg, |e, _| {
        e["ruleParameters"] =
            json!(json!({"wardRules": "restricted-ssh", "blockedPortz": "22"}).to_string());
    });
    let out = run(unknown.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown rule parameter `blockedPortz`"),
        "{}",
        stderr(&out)
    );
    let ill_typed = edited_event(&sg, |e, _| {
        e["ruleParameters"] = json!(
            json!({"wardRules": "restricted-common-ports", "blockedPorts": "twenty-two"})
                .to_string()
        );
    });
    let out = run(ill_typed.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("restricted-common-ports.blockedPorts"),
        "{}",
        stderr(&out)
    );
}

/// The captured scheduled event, against moto behind the recording endpoint: 250 IAM
/// policies listed through Config, 250 evaluations put in batches of at most 100.
#[test]
fn scheduled_run_puts_250_evaluations() {
    let moto = Moto::start();
    block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        for i in 0..250 {
            admin_policy(&c, &format!("ward-policy-{i:03}"), i % 2 == 0).await;
        }
    });
    let recorder = Recorder::start(Some(moto.url.clone()), Box::new(|_, _| None));
    let poll = reference().join("cloud-custodian/tests/data/config/poll-evaluation.json");
    let out = ward_aws(&[
        "config-rule",
        "--event",
        poll.to_str().unwrap(),
        "--rule",
        "iam-policy-no-statements-with-admin-access",
        "--put",
        "--endpoint-url",
        &recorder.url,
        "--region",
        testing::REGION,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let evals = doc["evaluations"].as_array().unwrap();
    assert_eq!(evals.len(), 250);
    assert!(
        evals
            .iter()
            .all(|e| e["OrderingTimestamp"] == "2020-05-03T13:55:44.576Z")
    );
    let non = evals
        .iter()
        .filter(|e| e["ComplianceType"] == "NON_COMPLIANT")
        .count();
    assert_eq!(non, 125);
    let puts = recorder.puts();
    let sizes: Vec<usize> = puts
        .iter()
        .map(|p| p.body["Evaluations"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert!(puts.iter().all(|p| {
        p.body["ResultToken"]
            .as_str()
            .unwrap()
            .starts_with("eyJlbmNyeXB0ZWREYXRh")
    }));
    let accepted = recorder.accepted();
    let unique: std::collections::BTreeSet<_> = accepted.iter().collect();
    assert_eq!(accepted.len(), 250);
    assert_eq!(unique.len(), 250);
    assert!(
        stderr(&out).contains("sent 250 evaluation(s)"),
        "{}",
        stderr(&out)
    );
}

/// An oversized notification: the item is fetched with GetResourceConfigHistory.
#[test]
fn oversized_item_is_fetched_from_config() {
    let moto = Moto::start();
    let recorder = Recorder::start(Some(moto.url.clone()), Box::new(|_, _| None));
    let id = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        admin_policy(&c, "ward-oversized-admin", true).await;
        let c = testing::clients(&recorder.url, testing::quick_retry()).await;
        let types = ["AWS::IAM::Policy".to_string()].into();
        let listed = ward_aws::collect::config_resources(&c, &types)
            .await
            .unwrap();
        listed[0].resource_id.clone()
    });
    let event = json!({
        "invokingEvent": json!({
            "configurationItemSummary": {
                "changeType": "CREATE",
                "configurationItemVersion": "1.3",
                "configurationItemCaptureTime": "2026-01-02T03:04:05.678Z",
                "configurationStateId": 1,
                "awsAccountId": "123456789012",
                "configurationItemStatus": "ResourceDiscovered",
                "resourceType": "AWS::IAM::Policy",
                "resourceId": id,
                "resourceName": "ward-oversized-admin",
                "ARN": "arn:aws:iam::123456789012:policy/ward-oversized-admin",
                "awsRegion": "global",
                "availabilityZone": "Not Applicable",
                "configurationStateMd5Hash": "",
                "resourceCreationTime": "2026-01-02T03:04:05.678Z"
            },
            "s3DeliverySummary": {"s3BucketLocation": "bucket/key"},
            "notificationCreationTime": "2026-01-02T03:05:00.000Z",
            "messageType": "OversizedConfigurationItemChangeNotification",
            "recordVersion": "1.0"
        }).to_string(),
        "ruleParameters": json!({"wardRules": "iam-policy-no-statements-with-admin-access"}).to_string(),
        "resultToken": "token",
        "eventLeftScope": false,
        "configRuleName": "admin-policies",
        "accountId": "123456789012"
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), event.to_string()).unwrap();
    let out = ward_aws(&[
        "config-rule",
        "--event",
        file.path().to_str().unwrap(),
        "--endpoint-url",
        &moto.url,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["evaluations"][0]["ComplianceResourceId"], json!(id));
    assert_eq!(doc["evaluations"][0]["ComplianceType"], "NON_COMPLIANT");
    assert_eq!(
        doc["evaluations"][0]["OrderingTimestamp"],
        "2026-01-02T03:04:05.678Z"
    );
}

#[test]
fn remediate_apply_removes_the_world_open_ssh_rule_and_nothing_else() {
    let moto = Moto::start();
    let (sg, other) = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        (
            plant::open_ssh_group(&c, "ward-remediate").await,
            plant::open_ssh_group(&c, "ward-untouched").await,
        )
    });
    let options = ["--group-id", sg.as_str()];
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence.json");
    let plan_args = remediate_args(&moto.url, &options, None);
    let out = ward_aws(&plan_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("RevokeSecurityGroupIngress"));
    assert!(
        stdout(&out).contains("tcp port 22 0.0.0.0/0"),
        "{}",
        stdout(&out)
    );
    // The plan changed nothing.
    let before = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        plant::ingress(&c, &sg).await
    });
    assert_eq!(before.len(), 2);

    let apply_args = remediate_args(&moto.url, &options, Some(&evidence));
    let out = ward_aws(&apply_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (after, untouched) = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        (
            plant::ingress(&c, &sg).await,
            plant::ingress(&c, &other).await,
        )
    });
    assert_eq!(
        after,
        [("tcp".to_string(), 443, 443, vec!["10.0.0.0/8".to_string()])]
    );
    assert_eq!(untouched.len(), 2, "another group is not touched");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&evidence).unwrap()).unwrap();
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["actions"][0]["call"], "RevokeSecurityGroupIngress");
    assert_eq!(doc["actions"][0]["result"]["status"], "ok");
    assert_eq!(
        doc["before"][&sg]["ipPermissions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        doc["after"][&sg]["ipPermissions"].as_array().unwrap().len(),
        1
    );
    // Nothing left to do.
    let out = ward_aws(&plan_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// The plan revokes what the failing findings' evidence names: the world sources (IPv4 and
/// IPv6) of the permissions that open SSH or a blocked port, nothing else of them, and no
/// other permission.
#[test]
fn remediate_revokes_what_the_findings_evidence_names_and_nothing_else() {
    let moto = Moto::start();
    let sg = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        plant::group_with(
            &c,
            "ward-mixed",
            &[
                ("tcp", 20, 25, &["0.0.0.0/0", "10.0.0.0/8", "::/0"]),
                ("tcp", 3389, 3389, &["0.0.0.0/0"]),
                ("tcp", 443, 443, &["0.0.0.0/0"]),
            ],
        )
        .await
    });
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence.json");
    let base = [
        "remediate",
        "--endpoint-url",
        &moto.url,
        "--region",
        testing::REGION,
        "--group-id",
        &sg,
    ];
    let out = ward_aws(&base);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let plan = stdout(&out);
    for expected in ["because restricted-ssh", "because restricted-common-ports"] {
        assert!(plan.contains(expected), "{plan}");
    }
    let mut apply = base.to_vec();
    apply.extend(["--apply", "--evidence", evidence.to_str().unwrap()]);
    let out = ward_aws(&apply);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        plant::ingress(&c, &sg).await
    });
    assert_eq!(
        after,
        [
            ("tcp".to_string(), 20, 25, vec!["10.0.0.0/8".to_string()]),
            ("tcp".to_string(), 443, 443, vec!["0.0.0.0/0".to_string()]),
        ]
    );
    let out = ward_aws(&base);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// Side doors (issue 25): an answer the SDK cannot parse, and an error answer that is not an
/// AWS error, both carrying a secret. The failure is summarised (status, what to check) and
/// the secret reaches neither stderr, nor the inventory file, nor `ward check`'s output.
#[test]
fn an_answer_that_cannot_be_read_is_summarised_never_dumped() {
    const SECRET: &str = "WardSideDoorSecret7f3a9c";
    let recorder = Recorder::serve(
        None,
        Box::new(|operation, _| match operation {
            // Results must be strings: an object fails the SDK's parser.
            "SelectResourceConfig" => Some((
                200,
                json!({"Results": [{"resourceType": "AWS::Lambda::Function",
                    "configuration": {"environment": {"variables": {"DB_PASSWORD": SECRET}}}}]})
                .to_string(),
            )),
            _ => Some((400, format!("<html>not an AWS error: {SECRET}</html>"))),
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.json");
    let out = collect_into(
        &recorder.url,
        &inv,
        &[
            "--source",
            "config",
            "--resource-type",
            "AWS::Lambda::Function",
            "--max-attempts",
            "1",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains(SECRET), "{err}");
    assert!(
        err.contains("the answer could not be read as this API's answer (not shown)"),
        "{err}"
    );
    assert!(err.contains("not an AWS error (not shown)"), "{err}");
    assert!(err.lines().all(|l| l.chars().count() < 600), "{err}");
    let file = std::fs::read_to_string(&inv).unwrap();
    assert!(!file.contains(SECRET), "{file}");
    let check = ward_aws(&["check", "--snapshot", inv.to_str().unwrap()]);
    assert!(!stderr(&check).contains(SECRET), "{}", stderr(&check));
    assert!(!stdout(&check).contains(SECRET));
}

/// `ward collect`'s progress line (`src/progress.rs`): nothing on a captured stderr (and
/// `--quiet` changes nothing there); on a terminal a line, the warnings printed above it and
/// the line cleared before the summary.
#[test]
fn collect_shows_its_progress_on_a_terminal_only() {
    let item = json!({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
        "accountId": "111122223333", "awsRegion": testing::REGION,
        "configuration": {"groupId": "sg-1", "ipPermissions": []}});
    let recorder = Recorder::serve(
        None,
        Box::new(move |operation, _| match operation {
            "SelectResourceConfig" => Some((
                200,
                json!({"Results": [item.to_string()], "QueryInfo": {"SelectFields": []}})
                    .to_string(),
            )),
            _ => Some((
                400,
                json!({"__type": "AccessDeniedException", "message": "not for this test"})
                    .to_string(),
            )),
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.json");
    let args = [
        "--source",
        "config",
        "--resource-type",
        "AWS::EC2::SecurityGroup",
        "--max-attempts",
        "1",
    ];
    let plain = collect_into(&recorder.url, &inv, &args);
    let quiet = collect_into(&recorder.url, &inv, &[&args[..], &["--quiet"]].concat());
    assert_eq!(plain.status.code(), Some(1), "{}", stderr(&plain));
    // The same but for the recorder's request ids.
    let without_request_ids = |text: String| -> Vec<String> {
        text.lines()
            .map(|l| l.split(" (request id ").next().unwrap_or(l).to_string())
            .collect()
    };
    assert_eq!(
        without_request_ids(stderr(&plain)),
        without_request_ids(stderr(&quiet))
    );
    let err = stderr(&plain);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("warning: `sts:GetCallerIdentity` failed: "),
        "{err}"
    );
    assert!(lines[1].starts_with("collected 1 resource(s) from config in "));
    assert!(lines[2].starts_with("error: the inventory is PARTIAL"));
    assert!(!err.contains('\r') && !err.contains("collecting"), "{err}");

    let mut all = vec![
        "collect",
        "--endpoint-url",
        &recorder.url,
        "--region",
        testing::REGION,
    ];
    all.extend_from_slice(&args);
    all.extend_from_slice(&["--out", inv.to_str().unwrap()]);
    let shown = common::ward_on_terminal(&all, &testing::child_env());
    assert_eq!(shown.status.code(), Some(1));
    let transcript = String::from_utf8(shown.stdout).unwrap();
    assert!(transcript.contains("collecting"), "{transcript:?}");
    for line in transcript.split('\n') {
        let drawn = line.rsplit("\x1b[2K").next().unwrap_or(line);
        assert!(
            !(drawn.contains("collecting") && drawn.contains("warning:")),
            "{line:?}"
        );
    }
    // The same lines as on a captured stderr, in the same order, once the line is gone.
    let printed: Vec<&str> = transcript
        .split("\r\n")
        .map(|l| l.rsplit("\x1b[2K").next().unwrap_or(l))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(printed.len(), 3, "{transcript:?}");
    assert!(printed[0].starts_with("warning: `sts:GetCallerIdentity` failed: "));
    assert!(printed[2].starts_with("error: the inventory is PARTIAL"));
}

/// `ward remediate --access-keys`: the keys the failing findings name are deactivated (never
/// deleted), a user carrying the opt-out tag is left alone, and the evidence records each
/// user's keys before and after. moto's keys are created now, so the test asks for keys
/// younger than a day (`maxAccessKeyAge=-1`: every active key is too old).
#[test]
fn remediate_access_keys_deactivates_the_failing_keys_and_nothing_else() {
    let moto = Moto::start();
    let (stale, kept) = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        (
            plant::user_with_key(&c, "leaky-ci", &[]).await,
            plant::user_with_key(
                &c,
                "break-glass",
                &[("ward:no-remediate", "reviewed 2026-12")],
            )
            .await,
        )
    });
    let options = [
        "--access-keys",
        "--param",
        "access-keys-rotated.maxAccessKeyAge=-1",
    ];
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence.json");
    let plan_args = remediate_args(&moto.url, &options, None);
    let out = ward_aws(&plan_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "deactivate access key {stale} (key 1 of user leaky-ci"
        )),
        "{text}"
    );
    assert!(text.contains("access-keys-rotated: IAM user leaky-ci has active access key(s) not rotated within -1 days"), "{text}");
    assert!(
        text.contains(
            "skipped user break-glass: opted out by its tag ward:no-remediate=reviewed 2026-12"
        ),
        "{text}"
    );
    // The plan changed nothing.
    let keys = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        plant::access_keys(&c, "leaky-ci").await
    });
    assert_eq!(keys, [(stale.clone(), "Active".to_string())]);

    let apply_args = remediate_args(&moto.url, &options, Some(&evidence));
    let out = ward_aws(&apply_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (after, untouched) = block_on(async {
        let c = testing::clients(&moto.url, testing::quick_retry()).await;
        (
            plant::access_keys(&c, "leaky-ci").await,
            plant::access_keys(&c, "break-glass").await,
        )
    });
    assert_eq!(
        after,
        [(stale.clone(), "Inactive".to_string())],
        "deactivated, not deleted"
    );
    assert_eq!(untouched, [(kept, "Active".to_string())]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&evidence).unwrap()).unwrap();
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["actions"][0]["call"], "UpdateAccessKey");
    assert_eq!(doc["actions"][0]["accessKeyId"], stale.as_str());
    assert_eq!(doc["actions"][0]["result"]["status"], "ok");
    assert_eq!(doc["before"]["leaky-ci"][0]["status"], "Active");
    assert_eq!(doc["after"]["leaky-ci"][0]["status"], "Inactive");

    // Nothing left to do: the key is inactive now, whatever the report still says.
    let out = ward_aws(&plan_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

/// `--user`, `--max-keys` and `--access-keys` go together; `--group-id` does not.
#[test]
fn remediate_access_keys_refuses_security_group_options() {
    let out = ward_aws(&["remediate", "--access-keys", "--group-id", "sg-0123"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    let out = ward_aws(&["remediate", "--user", "someone"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--access-keys"), "{}", stderr(&out));
}
