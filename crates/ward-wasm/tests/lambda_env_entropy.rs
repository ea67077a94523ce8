//! The example plugin (`plugins/examples/lambda-env-entropy`), built for wasm32 and run by
//! the host: its declaration, its findings, its parameters.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/plugins.rs"]
mod plugins;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use ward_backend::{Backend, EngineError, EvalOptions};
use ward_model::{Finding, Inventory, Resource, Severity, Status};
use ward_wasm::{Limits, PluginHost, WasmBackend};

const SECRET: &str = "iZ9Ea01cYQry2Q8PYSrUW8qg8Bxjqt0OGILNJIG_2Fw";

fn backend() -> WasmBackend {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = host
        .load_file(&plugins::plugin("lambda-env-entropy"), None)
        .unwrap();
    WasmBackend::new(vec![plugin]).unwrap()
}

fn lambdas(functions: &[(&str, Value)]) -> Inventory {
    let mut inventory = Inventory::new();
    for (name, configuration) in functions {
        let mut r = Resource::new("AWS::Lambda::Function", *name);
        r.account_id = Some("111122223333".into());
        r.aws_region = Some("us-east-1".into());
        r.configuration = configuration.clone().into();
        inventory.insert(r);
    }
    inventory
}

fn env(variables: Value) -> Value {
    json!({"functionName": "f", "environment": {"variables": variables, "error": null}})
}

fn by_id(findings: &[Finding]) -> BTreeMap<String, &Finding> {
    findings
        .iter()
        .map(|f| (f.resource.id.clone(), f))
        .collect()
}

#[test]
fn declares_its_control() {
    let backend = backend();
    let plugin = &backend.plugins()[0];
    assert_eq!(plugin.name(), "lambda-env-entropy");
    assert_eq!(plugin.interface_version(), "1.0.0");
    assert_eq!(plugin.sha256().len(), 64);
    let rules = backend.rules();
    assert_eq!(rules.len(), 1);
    let rule = &rules[0];
    assert_eq!(rule.id, "lambda-env-secret-entropy");
    assert_eq!(rule.backend, "wasm");
    assert_eq!(rule.severity, Severity::High);
    assert_eq!(rule.citations, ["164.312(a)(1)", "164.312(a)(2)(iv)"]);
    assert_eq!(rule.resource_types, ["AWS::Lambda::Function"]);
    let params: Vec<(&str, &str, Option<&Value>)> = rule
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.ty.as_str(), p.default.as_ref()))
        .collect();
    assert_eq!(
        params,
        [
            ("minLength", "number", Some(&json!(20))),
            ("minEntropy", "number", Some(&json!(4.2))),
            ("minHexEntropy", "number", Some(&json!(3.0))),
        ]
    );
    assert!(
        rule.remediation
            .as_deref()
            .unwrap()
            .contains("Secrets Manager")
    );
    assert!(
        rule.reference
            .as_deref()
            .unwrap()
            .starts_with("WASM plugin `lambda-env-entropy` 0.1.0 (")
    );
}

#[test]
fn flags_secret_looking_values_by_entropy_never_repeating_them() {
    let inventory = lambdas(&[
        (
            "webhook",
            env(json!({"REMINDER_WINDOW_HOURS": "24", "PROVIDER_CALLBACK_REF": SECRET})),
        ),
        (
            "ocr",
            env(
                json!({"OUTPUT_BUCKET": "riverside-clinical-documents-111122223333",
                        "CALLBACK_URL": "https://api.smsprovider.example/v2/callbacks"}),
            ),
        ),
        (
            "redacted",
            env(json!({"DB_PASSWORD": "[REDACTED:password]", "STAGE": "prod"})),
        ),
        ("bare", env(json!({}))),
        ("unrecorded", Value::Null),
        (
            "hex",
            env(json!({"BUILD_REF": "a0681d6156b2c4b870b56c05f20f2b86"})),
        ),
    ]);
    let evaluation = backend()
        .evaluate(&inventory, &EvalOptions::default())
        .unwrap();
    let f = by_id(&evaluation.findings);
    assert_eq!(f["webhook"].status, Status::NonCompliant);
    assert_eq!(
        f["webhook"].message,
        "1 environment variable(s) hold values that look like secrets: \
         `PROVIDER_CALLBACK_REF` (43 characters, 4.94 bits/character)"
    );
    assert_eq!(
        serde_json::to_value(&f["webhook"].evidence).unwrap(),
        json!([{"path": "configuration.environment.variables.PROVIDER_CALLBACK_REF",
                "value": {"length": 43, "entropyBitsPerCharacter": 4.94}}])
    );
    assert_eq!(f["ocr"].status, Status::Compliant, "{}", f["ocr"].message);
    assert_eq!(f["redacted"].status, Status::Compliant);
    assert!(
        f["redacted"]
            .message
            .contains("1 value(s) under sensitive names were already redacted")
    );
    assert_eq!(f["bare"].status, Status::NotApplicable);
    assert_eq!(f["unrecorded"].status, Status::NonCompliant);
    assert_eq!(f["hex"].status, Status::NonCompliant);
    let all = serde_json::to_string(&evaluation.findings).unwrap();
    assert!(!all.contains(SECRET));
    assert!(!all.contains("a0681d6156b2c4b870b56c05f20f2b86"));
    assert!(evaluation.findings.iter().all(|f| f.backend == "wasm"));
}

#[test]
fn parameters_override_the_defaults() {
    let inventory = lambdas(&[("webhook", env(json!({"PROVIDER_CALLBACK_REF": SECRET})))]);
    let backend = backend();
    let with = |name: &str, value: &str| EvalOptions {
        params: [(
            "lambda-env-secret-entropy".to_string(),
            [(name.to_string(), Value::String(value.into()))].into(),
        )]
        .into(),
        ..EvalOptions::default()
    };
    let relaxed = backend
        .evaluate(&inventory, &with("minEntropy", "5.5"))
        .unwrap();
    assert_eq!(relaxed.findings[0].status, Status::Compliant);
    let long = backend
        .evaluate(&inventory, &with("minLength", "50"))
        .unwrap();
    assert_eq!(long.findings[0].status, Status::Compliant);
    assert_eq!(
        backend
            .evaluate(&inventory, &with("minEntropy", "lots"))
            .unwrap_err(),
        EngineError::BadParam {
            rule: "lambda-env-secret-entropy".into(),
            param: "minEntropy".into(),
            message: "expected a number, found `lots`".into()
        }
    );
    assert!(matches!(
        backend
            .evaluate(&inventory, &with("nope", "1"))
            .unwrap_err(),
        EngineError::UnknownParam { .. }
    ));
    // Other backends' rules are not ours to check.
    let other = EvalOptions {
        params: [("restricted-ssh".to_string(), BTreeMap::new())].into(),
        ..EvalOptions::default()
    };
    assert!(backend.evaluate(&inventory, &other).is_ok());
}

#[test]
fn a_type_without_resources_is_listed() {
    let evaluation = backend()
        .evaluate(&Inventory::new(), &EvalOptions::default())
        .unwrap();
    assert!(evaluation.findings.is_empty());
    assert_eq!(
        evaluation.rules_without_resources,
        ["lambda-env-secret-entropy"]
    );
}

#[test]
fn many_resources_one_compilation() {
    // 300 functions through one loaded plugin: one Component, one pre-instantiation, a
    // fresh instance per call; the findings come back in the stable order.
    let functions: Vec<(String, Value)> = (0..300)
        .map(|i| {
            let value = if i % 3 == 0 { SECRET } else { "ordinary" };
            (format!("fn-{i:03}"), env(json!({"VALUE": value})))
        })
        .collect();
    let refs: Vec<(&str, Value)> = functions
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    let evaluation = backend()
        .evaluate(&lambdas(&refs), &EvalOptions::default())
        .unwrap();
    assert_eq!(evaluation.findings.len(), 300);
    let failing = evaluation
        .findings
        .iter()
        .filter(|f| f.status == Status::NonCompliant)
        .count();
    assert_eq!(failing, 100);
    let ids: Vec<&str> = evaluation
        .findings
        .iter()
        .map(|f| f.resource.id.as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}
