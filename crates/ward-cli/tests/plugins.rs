//! WASM plugins through the `ward` binary: `--plugin`, a pack's `plugins.yaml` (with a
//! pinned SHA-256), the findings document's plugin list, the bundle, and a hostile plugin
//! beside the real pack (the run goes on; its ERROR findings fail it with exit 1).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(not(feature = "wasm"))]
compile_error!(
    "these tests need ward-cli's `wasm` feature: run the README's test command, `cargo test --workspace --all-features`"
);

mod common;
#[path = "../../ward-wasm/tests/support/plugins.rs"]
mod plugins;

use std::path::Path;

use common::{EXAMPLE, stdout, ward};
use serde_json::Value;

fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn json_run(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = ward(args);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            stdout(&out),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn findings_of<'a>(doc: &'a Value, rule: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn the_example_plugin_runs_beside_the_pack_on_the_example_estate() {
    let plugin = plugins::plugin("lambda-env-entropy");
    let plugin_arg = plugin.to_str().unwrap();
    let (code, doc, stderr) = json_run(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--plugin",
        plugin_arg,
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    // Both backends' findings, each saying which produced it.
    let backends: std::collections::BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["backend"].as_str().unwrap())
        .collect();
    assert!(
        backends.contains("ward-lang") && backends.contains("wasm"),
        "{backends:?}"
    );
    let lambda = findings_of(&doc, "lambda-env-secret-entropy");
    let status = |id: &str| {
        lambda
            .iter()
            .find(|f| f["resource"]["id"] == id)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no finding for {id}"))
    };
    assert_eq!(status("appointment-webhook"), "NON_COMPLIANT");
    assert_eq!(status("intake-ocr"), "COMPLIANT");
    let webhook = lambda
        .iter()
        .find(|f| f["resource"]["id"] == "appointment-webhook")
        .unwrap();
    assert_eq!(webhook["backend"], "wasm");
    assert_eq!(webhook["severity"], "high");
    let message = webhook["message"].as_str().unwrap();
    assert!(
        message.contains("`PROVIDER_CALLBACK_REF` (43 characters"),
        "{message}"
    );
    assert_eq!(
        webhook["evidence"][0]["path"],
        "configuration.environment.variables.PROVIDER_CALLBACK_REF"
    );
    assert_eq!(webhook["evidence"][0]["value"]["length"], 43);
    // The value itself is nowhere in the output.
    let secret = "iZ9Ea01cYQry2Q8PYSrUW8qg8Bxjqt0OGILNJIG_2Fw";
    assert!(!doc.to_string().contains(secret));
    // The document names the plugin, its SHA-256 and interface version.
    let plugins = doc["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0]["file"], plugin_arg);
    assert_eq!(plugins[0]["sha256"], sha256(&plugin).as_str());
    assert_eq!(plugins[0]["interface_version"], "1.0.0");
    assert_eq!(plugins[0]["name"], "lambda-env-entropy");
    assert_eq!(
        plugins[0]["rules"],
        serde_json::json!(["lambda-env-secret-entropy"])
    );
    // The summary counts the plugin's rule like any other.
    let by_rule = doc["summary"]["by_rule"].as_array().unwrap();
    assert!(
        by_rule
            .iter()
            .any(|r| r["rule"] == "lambda-env-secret-entropy" && r["non_compliant"] == 1)
    );
}

#[test]
fn parameters_reach_the_plugin() {
    let plugin = plugins::plugin("lambda-env-entropy");
    let (code, doc, stderr) = json_run(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--plugin",
        plugin.to_str().unwrap(),
        "--rule",
        "lambda-env-secret-entropy",
        "--param",
        "lambda-env-secret-entropy.minEntropy=5.5",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let lambda = findings_of(&doc, "lambda-env-secret-entropy");
    assert_eq!(lambda.len(), 2);
    assert!(lambda.iter().all(|f| f["status"] == "COMPLIANT"));
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--plugin",
        plugin.to_str().unwrap(),
        "--param",
        "lambda-env-secret-entropy.minEntropy=lots",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "parameter `lambda-env-secret-entropy.minEntropy`: expected a number, found `lots`"
        ),
        "{err}"
    );
}

/// A pack directory: the HIPAA pack's rules copied, a plugins.yaml naming the plugins.
fn pack_with(plugins_yaml: &str, files: &[(&str, &Path)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    copy_dir(&root.join("policies/hipaa"), dir.path());
    for (name, from) in files {
        std::fs::create_dir_all(dir.path().join(name).parent().unwrap()).unwrap();
        std::fs::copy(from, dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("plugins.yaml"), plugins_yaml).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_hostile_plugin_beside_the_real_pack_fails_only_its_own_findings() {
    let hostile = plugins::plugin("hostile");
    let entropy = plugins::plugin("lambda-env-entropy");
    let pack = pack_with(
        &format!(
            "plugins:\n  - file: plugins/hostile.wasm\n  - file: plugins/entropy.wasm\n    sha256: sha256:{}\n",
            sha256(&entropy)
        ),
        &[
            ("plugins/hostile.wasm", hostile.as_path()),
            ("plugins/entropy.wasm", entropy.as_path()),
        ],
    );
    let (code, doc, stderr) = json_run(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--policies",
        pack.path().to_str().unwrap(),
        "--plugin-fuel",
        "20000000",
        "--plugin-memory",
        "16",
        "--format",
        "json",
    ]);
    // Exit 1: findings failed (the hostile plugin's ERRORs among them); the run went on.
    assert_eq!(code, Some(1), "{stderr}");
    // The example estate has no bucket starting with `bad`: every hostile control is
    // COMPLIANT for every bucket, and the pack's rules and the entropy plugin ran too.
    let buckets = findings_of(&doc, "hostile-panic");
    assert!(!buckets.is_empty());
    assert!(buckets.iter().all(|f| f["status"] == "COMPLIANT"));
    assert_eq!(findings_of(&doc, "lambda-env-secret-entropy").len(), 2);
    assert!(!findings_of(&doc, "restricted-ssh").is_empty());
    let plugins = doc["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 2);
    assert_eq!(plugins[0]["name"], "hostile");
    assert_eq!(plugins[1]["sha256"], sha256(&entropy).as_str());
}

#[test]
fn a_hostile_plugin_s_errors_are_findings_and_the_rest_runs() {
    // An estate of its own with a `bad` bucket.
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(
        &snapshot,
        serde_json::json!({
            "fileVersion": "1.0",
            "configurationItems": [
                {"resourceType": "AWS::S3::Bucket", "resourceId": "bad-apple",
                 "awsAccountId": "111122223333", "awsRegion": "us-east-1",
                 "configurationItemCaptureTime": "2026-11-20T09:15:00.000Z",
                 "configurationItemStatus": "OK",
                 "configuration": {"name": "bad-apple"}, "supplementaryConfiguration": {}, "tags": {}},
                {"resourceType": "AWS::S3::Bucket", "resourceId": "good-one",
                 "awsAccountId": "111122223333", "awsRegion": "us-east-1",
                 "configurationItemCaptureTime": "2026-11-20T09:15:00.000Z",
                 "configurationItemStatus": "OK",
                 "configuration": {"name": "good-one"}, "supplementaryConfiguration": {}, "tags": {}}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let hostile = plugins::plugin("hostile");
    let (code, doc, stderr) = json_run(&[
        "check",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--plugin",
        hostile.to_str().unwrap(),
        "--plugin-fuel",
        "20000000",
        "--plugin-memory",
        "16",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    let errors: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["backend"] == "wasm" && f["status"] == "ERROR")
        .collect();
    // Eleven misbehaving controls, each an ERROR for the bad bucket only.
    assert_eq!(errors.len(), 11, "{errors:#?}");
    assert!(errors.iter().all(|f| f["resource"]["id"] == "bad-apple"));
    let loop_ = errors.iter().find(|f| f["rule"] == "hostile-loop").unwrap();
    assert!(
        loop_["message"]
            .as_str()
            .unwrap()
            .contains("ran out of fuel (the limit is 20000000 units per call)")
    );
    // The good bucket is COMPLIANT for every hostile control, and the pack's rules ran.
    let good: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["backend"] == "wasm" && f["resource"]["id"] == "good-one")
        .collect();
    assert_eq!(good.len(), 12);
    assert!(good.iter().all(|f| f["status"] == "COMPLIANT"));
    assert_eq!(doc["summary"]["error"], 11);
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["backend"] == "ward-lang")
    );
}

#[test]
fn refused_plugins_stop_the_run_with_exit_2() {
    let entropy = plugins::plugin("lambda-env-entropy");
    // A pinned SHA-256 that does not match.
    let pack = pack_with(
        &format!(
            "plugins:\n  - file: entropy.wasm\n    sha256: {}\n",
            "0".repeat(64)
        ),
        &[("entropy.wasm", entropy.as_path())],
    );
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--policies",
        pack.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entropy.wasm` has SHA-256 "), "{err}");
    assert!(
        err.contains(&format!("but {} was pinned", "0".repeat(64))),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    // Not WebAssembly.
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--plugin",
        "examples/clinic/waivers.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "error: plugin `examples/clinic/waivers.yaml` is not a WebAssembly module or component"
        ),
        "{err}"
    );
    // A plugin control with the id of a rule of the pack: twice the same id.
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--plugin",
        entropy.to_str().unwrap(),
        "--plugin",
        entropy.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("control `lambda-env-secret-entropy` is declared by two plugins"),
        "{err}"
    );
}

#[test]
fn rules_and_explain_show_plugin_controls() {
    let entropy = plugins::plugin("lambda-env-entropy");
    let pack = pack_with(
        "plugins:\n  - file: entropy.wasm\n",
        &[("entropy.wasm", entropy.as_path())],
    );
    let out = ward(&[
        "explain",
        "lambda-env-secret-entropy",
        "--policies",
        pack.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("Lambda environment variables hold no secret-looking values"),
        "{text}"
    );
    assert!(text.contains("WASM plugin `lambda-env-entropy`"), "{text}");
}

#[test]
fn the_bundle_records_the_plugin_s_sha256() {
    let entropy = plugins::plugin("lambda-env-entropy");
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("evidence.zip");
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--plugin",
        entropy.to_str().unwrap(),
        "--bundle",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = std::fs::File::open(&bundle).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut findings = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("findings.json").unwrap(), &mut findings)
        .unwrap();
    let doc: Value = serde_json::from_str(&findings).unwrap();
    assert_eq!(doc["plugins"][0]["sha256"], sha256(&entropy).as_str());
    assert_eq!(doc["plugins"][0]["interface_version"], "1.0.0");
}
