//! Replays what the `snapshot_import` fuzz target found (`fuzz/regressions/snapshot_import/`),
//! on stable, as the target runs it: every input read with every field and with a
//! projection. Each once crashed or hung the importer; now each must end in a report.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use ward_model::{FieldNeeds, Inventory};

fn replay(data: &[u8]) {
    for needs in [
        FieldNeeds::everything(),
        FieldNeeds::names(["ipPermissions".to_string(), "encrypted".to_string()]),
    ] {
        let mut inventory = Inventory::new();
        inventory.set_field_needs(needs);
        let mut report = ward_import::import_reader("fuzz.json", data, &mut inventory);
        report.attribute_facts(&mut inventory);
        inventory.synthesize_accounts();
        serde_json::to_string(&inventory.to_snapshot()).unwrap();
    }
}

#[test]
fn every_snapshot_import_regression_ends_in_a_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/snapshot_import");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "README.md") {
            continue;
        }
        replay(&std::fs::read(&path).unwrap());
    }
}

/// JSON nested far past serde_json's recursion limit is an error with its location.
#[test]
fn deep_json_is_an_error_not_an_overflow() {
    let deep = 100_000;
    for text in [
        format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        format!(
            r#"{{"configurationItems":[{{"resourceType":"AWS::S3::Bucket","resourceId":"b","configuration":{}1{}}}]}}"#,
            r#"{"a":"#.repeat(deep),
            "}".repeat(deep)
        ),
    ] {
        let mut inventory = Inventory::new();
        let report = ward_import::import_reader("deep.json", text.as_bytes(), &mut inventory);
        let message = report
            .diagnostics()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(report.has_errors(), "{message}");
        assert!(message.contains("recursion limit"), "{message}");
        replay(text.as_bytes());
    }
}
