//! A plugin that misbehaves on purpose, for Ward's sandbox tests
//! (`crates/ward-wasm/tests/sandbox.rs`).
//!
//! Every control evaluates `AWS::S3::Bucket`. It misbehaves for a bucket whose id starts
//! with `bad` and answers COMPLIANT for any other, so a test can show the other resources
//! still run. It implements the raw interface, not the SDK's `Plugin` trait, because the
//! SDK makes most of these mistakes impossible.

use std::sync::atomic::{AtomicU32, Ordering};

use ward_plugin_sdk::raw::{self, Control, Evidence, Finding, PluginInfo, Request, Severity, Status};

struct Hostile;

/// The controls, and how each misbehaves.
const CONTROLS: &[(&str, &str)] = &[
    ("hostile-panic", "panics (a trap)"),
    ("hostile-loop", "loops forever (fuel)"),
    ("hostile-memory", "allocates without end (memory limit)"),
    ("hostile-recursion", "recurses without end (stack overflow)"),
    ("hostile-evidence-not-json", "returns evidence whose value is not JSON"),
    ("hostile-wrong-resource", "returns a finding for a resource it was not given"),
    ("hostile-undeclared-control", "returns a finding for a control it did not declare"),
    ("hostile-huge-message", "returns a message of a mebibyte"),
    ("hostile-missing-finding", "returns no finding"),
    ("hostile-duplicate-finding", "returns two findings for one resource"),
    ("hostile-err", "returns an error"),
    ("hostile-state", "counts its calls in a global: a fresh instance per call says 1"),
];

impl raw::Guest for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "hostile".into(),
            version: "0.1.0".into(),
            controls: CONTROLS
                .iter()
                .map(|(id, what)| Control {
                    id: (*id).into(),
                    title: format!("A plugin control that {what}"),
                    severity: Severity::Low,
                    citations: vec!["164.308(a)(1)(ii)(D)".into()],
                    description: format!("For the sandbox tests: {what}."),
                    remediation: String::new(),
                    resource_types: vec!["AWS::S3::Bucket".into()],
                    params: Vec::new(),
                })
                .collect(),
        }
    }

    fn evaluate(request: Request) -> Result<Vec<Finding>, String> {
        static CALLS: AtomicU32 = AtomicU32::new(0);
        let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        let mut out = Vec::new();
        for (i, r) in request.resources.iter().enumerate() {
            let index = i as u32;
            let ok = |message: String| Finding {
                control: request.control.clone(),
                resource: index,
                status: Status::Compliant,
                message,
                evidence: Vec::new(),
            };
            if request.control == "hostile-state" {
                out.push(ok(format!("call {calls} of this instance")));
                continue;
            }
            if !r.id.starts_with("bad") {
                out.push(ok(format!("`{}` is fine", r.id)));
                continue;
            }
            match request.control.as_str() {
                "hostile-panic" => panic!("the plugin gave up on `{}`", r.id),
                "hostile-loop" => loop_forever(),
                "hostile-memory" => {
                    let mut hoard: Vec<Vec<u8>> = Vec::new();
                    loop {
                        hoard.push(vec![1u8; 1 << 20]);
                        std::hint::black_box(&hoard);
                    }
                }
                "hostile-recursion" => {
                    let depth = recurse(std::hint::black_box(1));
                    out.push(ok(format!("depth {depth}")));
                }
                "hostile-evidence-not-json" => out.push(Finding {
                    evidence: vec![Evidence {
                        path: "configuration.name".into(),
                        value: "this is {not JSON".into(),
                    }],
                    ..ok("evidence".into())
                }),
                "hostile-wrong-resource" => out.push(Finding {
                    resource: index + 7,
                    ..ok("someone else's".into())
                }),
                "hostile-undeclared-control" => out.push(Finding {
                    control: "not-a-declared-control".into(),
                    ..ok("undeclared".into())
                }),
                "hostile-huge-message" => out.push(ok("x".repeat(1 << 20))),
                "hostile-missing-finding" => {}
                "hostile-duplicate-finding" => {
                    out.push(ok("once".into()));
                    out.push(ok("twice".into()));
                }
                "hostile-err" => return Err(format!("cannot evaluate `{}`", r.id)),
                other => return Err(format!("unknown control `{other}`")),
            }
        }
        Ok(out)
    }
}

#[inline(never)]
fn loop_forever() -> ! {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

/// Recursion on the WebAssembly call stack (no locals in linear memory, so it is the
/// engine's stack limit that stops it, not the shadow stack running out of memory).
#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let deeper = recurse(std::hint::black_box(n + 1));
    std::hint::black_box(deeper).wrapping_add(n)
}

ward_plugin_sdk::bindings::export_raw!(Hostile with_types_in ward_plugin_sdk::bindings);
