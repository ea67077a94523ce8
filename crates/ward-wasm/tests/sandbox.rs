//! The sandbox: every way the hostile plugin (`plugins/testing/hostile`) misbehaves ends as
//! an `ERROR` finding for that control and resource, within its limits, and every other
//! resource and control still runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/plugins.rs"]
mod plugins;

use serde_json::json;
use ward_backend::{Backend, EvalOptions};
use ward_model::{Finding, Inventory, Resource, Status};
use ward_wasm::{Limits, PluginHost, WasmBackend};

/// Small limits, so the endless loop and the memory bomb end quickly.
fn limits() -> Limits {
    Limits {
        memory_bytes: 16 << 20,
        fuel: 20_000_000,
        ..Limits::default()
    }
}

fn buckets(ids: &[&str]) -> Inventory {
    let mut inventory = Inventory::new();
    for id in ids {
        let mut r = Resource::new("AWS::S3::Bucket", *id);
        r.account_id = Some("111122223333".into());
        r.aws_region = Some("us-east-1".into());
        r.configuration = json!({"name": id}).into();
        inventory.insert(r);
    }
    inventory
}

fn hostile(limits: Limits) -> WasmBackend {
    let host = PluginHost::new(limits).unwrap();
    let plugin = host.load_file(&plugins::plugin("hostile"), None).unwrap();
    WasmBackend::new(vec![plugin]).unwrap()
}

fn finding<'a>(findings: &'a [Finding], rule: &str, id: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.rule == rule && f.resource.id == id)
        .unwrap_or_else(|| panic!("no finding for {rule} / {id}"))
}

/// (control, what the ERROR message says)
const CASES: &[(&str, &str)] = &[
    (
        "hostile-panic",
        "it trapped: wasm trap: wasm `unreachable` instruction executed",
    ),
    (
        "hostile-loop",
        "it ran out of fuel (the limit is 20000000 units per call)",
    ),
    (
        "hostile-memory",
        "it exceeded its memory limit: it asked for",
    ),
    ("hostile-recursion", "it exhausted its call stack"),
    (
        "hostile-evidence-not-json",
        "returned malformed output: the evidence value at `configuration.name` is not JSON",
    ),
    (
        "hostile-wrong-resource",
        "returned malformed output: a finding for resource #7, but the plugin was given 1 resource(s)",
    ),
    (
        "hostile-undeclared-control",
        "returned malformed output: a finding for control `not-a-declared-control`, which the plugin did not declare",
    ),
    (
        "hostile-huge-message",
        "returned malformed output: a message of 1048576 bytes (the limit is 4096)",
    ),
    (
        "hostile-missing-finding",
        "returned malformed output: no finding for the resource",
    ),
    (
        "hostile-duplicate-finding",
        "returned malformed output: two findings for the same resource",
    ),
    (
        "hostile-err",
        "reported an error: cannot evaluate `bad-apple`",
    ),
];

#[test]
fn each_misbehaviour_is_an_error_for_its_resource_and_the_rest_runs() {
    let backend = hostile(limits());
    let inventory = buckets(&["bad-apple", "good-one", "good-two"]);
    let evaluation = backend
        .evaluate(&inventory, &EvalOptions::default())
        .unwrap();
    let findings = &evaluation.findings;
    // Every control of the plugin, for every bucket.
    assert_eq!(findings.len(), 12 * 3);
    for (control, expected) in CASES {
        let bad = finding(findings, control, "bad-apple");
        assert_eq!(bad.status, Status::Error, "{control}: {}", bad.message);
        assert!(
            bad.message.starts_with("plugin `hostile` ("),
            "{control}: {}",
            bad.message
        );
        assert!(
            bad.message.contains(expected),
            "{control}: expected `{expected}` in `{}`",
            bad.message
        );
        assert!(bad.message.len() < 2048, "{control}: a short message");
        assert_eq!(bad.backend, "wasm");
        assert_eq!(*bad.citations, ["164.308(a)(1)(ii)(D)".to_string()]);
        for good in ["good-one", "good-two"] {
            let f = finding(findings, control, good);
            assert_eq!(
                f.status,
                Status::Compliant,
                "{control}/{good}: {}",
                f.message
            );
            assert_eq!(f.message, format!("`{good}` is fine"));
        }
    }
}

#[test]
fn every_call_gets_a_fresh_instance() {
    let backend = hostile(limits());
    let inventory = buckets(&["a", "b", "c", "d"]);
    let only = Some(["hostile-state".to_string()].into_iter().collect());
    let evaluation = backend
        .evaluate(
            &inventory,
            &EvalOptions {
                only,
                ..EvalOptions::default()
            },
        )
        .unwrap();
    assert_eq!(evaluation.findings.len(), 4);
    for f in &evaluation.findings {
        assert_eq!(f.message, "call 1 of this instance", "{}", f.resource.id);
    }
}

#[test]
fn the_default_limits_stop_an_endless_loop_and_a_memory_bomb() {
    let backend = hostile(Limits::default());
    let inventory = buckets(&["bad-apple"]);
    let only = Some(
        ["hostile-loop", "hostile-memory"]
            .map(String::from)
            .into_iter()
            .collect(),
    );
    let evaluation = backend
        .evaluate(
            &inventory,
            &EvalOptions {
                only,
                ..EvalOptions::default()
            },
        )
        .unwrap();
    let loop_ = finding(&evaluation.findings, "hostile-loop", "bad-apple");
    assert_eq!(loop_.status, Status::Error);
    assert!(
        loop_
            .message
            .contains("ran out of fuel (the limit is 500000000 units"),
        "{}",
        loop_.message
    );
    let memory = finding(&evaluation.findings, "hostile-memory", "bad-apple");
    assert_eq!(memory.status, Status::Error);
    assert!(
        memory.message.contains("the limit is 65536 KiB"),
        "{}",
        memory.message
    );
}

#[test]
fn same_input_same_findings() {
    let backend = hostile(limits());
    let inventory = buckets(&["bad-apple", "good-one"]);
    let a = backend
        .evaluate(&inventory, &EvalOptions::default())
        .unwrap();
    let b = backend
        .evaluate(&inventory, &EvalOptions::default())
        .unwrap();
    assert_eq!(
        serde_json::to_string(&a.findings).unwrap(),
        serde_json::to_string(&b.findings).unwrap()
    );
}
