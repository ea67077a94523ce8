//! Replays what the `rule_parser` fuzz target found (`fuzz/regressions/rule_parser/`), on
//! stable, as the fuzz target runs it: parse and check the file, and evaluate it when valid.
//! Each input once crashed, overflowed or hung Ward; now each must end in a result.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use ward_engine::EvalOptions;
use ward_lang::{PackError, SourceFile, load_pack_sources};
use ward_model::{Inventory, Resource};

fn inventory() -> Inventory {
    let mut inventory = Inventory::new();
    let mut sg = Resource::new("AWS::EC2::SecurityGroup", "sg-1");
    sg.configuration = serde_json::json!({"ipPermissions": [
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": ["0.0.0.0/0"]}]})
    .into();
    inventory.insert(sg);
    inventory.insert(Resource::new("AWS::S3::Bucket", "b"));
    inventory
}

fn replay(text: &str) {
    let file = SourceFile::new("fuzz.ward", "fuzz.ward", text);
    let loaded = load_pack_sources(vec![file], &mut |path| {
        Err(PackError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("no imports here"),
        })
    });
    if let Ok(pack) = loaded {
        let _ = ward_engine::evaluate(&pack, &inventory(), &EvalOptions::default());
    }
}

#[test]
fn every_rule_parser_regression_ends_in_a_result() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/rule_parser");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "README.md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            replay(text);
        }
    }
}

/// Inputs too large to keep as files, made here: nesting far past the limits.
#[test]
fn deep_nesting_is_a_diagnostic_not_an_overflow() {
    let deep = 100_000;
    for expr in [
        format!("{}1{}", "(".repeat(deep), ")".repeat(deep)),
        format!("{}1{}", "[".repeat(deep), "]".repeat(deep)),
        format!("{}true", "not ".repeat(deep)),
        format!("{}1", "- ".repeat(deep)),
        format!("1{}", " + 1".repeat(deep)),
        format!("a{}", ".b".repeat(deep)),
        format!(
            "{}1{}",
            "if true then ".repeat(deep),
            " else 2".repeat(deep)
        ),
    ] {
        let text = format!(
            "rule r {{\n  title: \"t\"\n  severity: low\n  resource: AWS::S3::Bucket\n  hipaa: [\"164.312(b)\"]\n  assert {expr} == 1 else \"m\"\n}}\n"
        );
        let file = SourceFile::new("deep.ward", "deep.ward", text.as_str());
        let loaded = load_pack_sources(vec![file], &mut |path| {
            Err(PackError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("no imports here"),
            })
        });
        match loaded {
            Err(PackError::Invalid(diags)) => assert!(
                diags.iter().any(|d| d.code == "ward::limit"),
                "{}: {diags:?}",
                &expr[..20]
            ),
            other => panic!(
                "{}: expected a limit diagnostic, got {other:?}",
                &expr[..20]
            ),
        }
    }
    replay(&"(".repeat(10_000_000));
}
