//! The import's progress counters (`ImportProgress`): they reach their totals exactly, and
//! counting changes nothing of what is imported.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use ward_import::{ImportCounts, ImportProgress, import_paths, import_paths_with_progress};
use ward_model::Inventory;

fn snapshot(first: usize, count: usize) -> Value {
    let items: Vec<Value> = (first..first + count)
        .map(|i| {
            json!({
                "configurationItemCaptureTime": "2024-03-01T10:00:00.000Z",
                "awsAccountId": "111122223333",
                "configurationItemStatus": "OK",
                "resourceType": "AWS::EC2::SecurityGroup",
                "resourceId": format!("sg-{i}"),
                "awsRegion": "us-east-1",
                "configuration": {"groupId": format!("sg-{i}"), "ipPermissions": []}
            })
        })
        .collect();
    json!({"fileVersion": "1.0", "configurationItems": items})
}

#[test]
fn the_counters_reach_their_totals_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("a.json");
    std::fs::write(&plain, snapshot(0, 300).to_string()).unwrap();
    let gzip = dir.path().join("b.json.gz");
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(snapshot(300, 200).to_string().as_bytes())
        .unwrap();
    std::fs::write(&gzip, encoder.finish().unwrap()).unwrap();
    // Cut in the middle of its last item: the items before it are read, the rest is not.
    let broken = dir.path().join("c.json");
    let text = snapshot(500, 10).to_string();
    let cut = text.rfind("sg-509").unwrap();
    std::fs::write(&broken, &text[..cut]).unwrap();
    let missing = dir.path().join("missing.json");
    let paths: Vec<PathBuf> = vec![dir.path().to_path_buf(), missing];

    let progress = ImportProgress::new();
    let mut counted = Inventory::new();
    let report = import_paths_with_progress(&paths, &mut counted, &progress);

    let size = |p: &PathBuf| std::fs::metadata(p).unwrap().len();
    let bytes = size(&plain) + size(&gzip) + size(&broken);
    assert_eq!(
        progress.counts(),
        ImportCounts {
            files_total: 3,
            files_done: 3,
            bytes_total: bytes,
            bytes_read: bytes,
            items_read: 300 + 200 + 9,
        }
    );
    assert_eq!(report.resources(), 509);

    // Counting changes nothing: the same report and inventory as without.
    let mut plain_inventory = Inventory::new();
    let without = import_paths(&paths, &mut plain_inventory);
    assert_eq!(
        format!("{:?}", report.files),
        format!("{:?}", without.files)
    );
    assert_eq!(counted.len(), plain_inventory.len());
}

#[test]
fn nothing_to_read_counts_nothing() {
    let progress = ImportProgress::new();
    let dir = tempfile::tempdir().unwrap();
    let report = import_paths_with_progress(
        &[dir.path().to_path_buf()],
        &mut Inventory::new(),
        &progress,
    );
    assert!(report.files.is_empty());
    assert_eq!(progress.counts(), ImportCounts::default());
}
