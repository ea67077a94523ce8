//! No secret in any output: `ward check` over a snapshot with planted secrets
//! (`tests/data/secrets/`), in every output format, must never print a planted value, and the
//! JSON document must list where each one was (docs/redaction.md).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use common::ward;
use serde_json::Value;

const SNAPSHOT: &str = "tests/data/secrets";
const AS_OF: &str = "2026-11-21T00:00:00Z";

/// The output formats, as extra `ward check` arguments. Adding a format is one line; `{out}`
/// stands for a fresh temporary directory whose files are scanned too (a format that writes
/// a compressed container, such as a zip bundle, must have its members extracted there).
const FORMATS: &[&[&str]] = &[
    &["--format", "text"],
    &["--format", "text", "--verbose"],
    &["--format", "json"],
    &["--format", "sarif", "--output", "{out}/ward.sarif"],
    &["--format", "junit", "--output", "{out}/ward.xml"],
    &["--format", "csv", "--output", "{out}/ward.csv"],
    &["--format", "markdown", "--output", "{out}/ward.md"],
    // The evidence bundle: every member (report.html, the inventory, rule sources...) is
    // unpacked and searched.
    &["--format", "json", "--bundle", "{out}/evidence.zip"],
];

/// The user data of `i-0planted0000userd` as planted (base64 of a script with an AWS key).
fn planted_user_data() -> String {
    let text = std::fs::read_to_string(common::root().join(SNAPSHOT).join("config-snapshot.json"))
        .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["configurationItems"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|i| i["configuration"]["userData"].as_str())
        .unwrap()
        .to_string()
}

/// Every planted secret value.
fn planted() -> Vec<String> {
    let mut values: Vec<String> = [
        "Lambda-Pl4nted-Pw!",
        "UrlPl4ntedPw",
        "RepoPl4ntedPw",
        "AKIAPLANTEDCODEBLD01",
        "cOdEbUiLd/PlantedSecretKey0123456789ABCD",
        "AKIAPLANTEDUSERDATA7",
        "uSeRdAtA/PlantedSecretKey",
        "plantedPrivateKeyBodyDoNotLeak",
        "BEGIN RSA PRIVATE KEY",
        "RdsPl4ntedPw",
        "ghp_PlantedGithubToken0123456789abcdefABCD",
        // In gzip-compressed user data, and that user data itself.
        "GzipPl4ntedPw",
        "H4sIAAAAAAAC/1NW1E/KzNNPSizO4EqtKMgvKlFwcYoPcAwODvcPcrFVd6/KLAjIMckrSU0JKFfnKq4sLknNTS7JUSguSQSqBWlIzOECAJmu2EdGAAAA",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.push(planted_user_data());
    values
}

/// (resource id, path) of each planted secret.
const EXPECTED: &[(&str, &str)] = &[
    (
        "intake-api",
        "configuration.environment.variables.DB_PASSWORD",
    ),
    (
        "intake-api",
        "configuration.environment.variables.DATABASE_URL",
    ),
    (
        "2b8f0a52-7d1e-4c3a-9e61-4b1d2f3a5c7e",
        "configuration.source.location",
    ),
    (
        "2b8f0a52-7d1e-4c3a-9e61-4b1d2f3a5c7e",
        "configuration.environment.environmentVariables[0].value",
    ),
    (
        "2b8f0a52-7d1e-4c3a-9e61-4b1d2f3a5c7e",
        "configuration.environment.environmentVariables[1].value",
    ),
    ("i-0planted0000userd", "configuration.userData"),
    ("i-0planted00gzipusr", "configuration.userData"),
    (
        "arn:aws:ecs:us-east-1:111122223333:task-definition/portal-web:3",
        "configuration.ContainerDefinitions[0].Environment[0].Value",
    ),
    (
        "db-PLANTED0000000000000000",
        "configuration.masterUserPassword",
    ),
    ("riverside-planted-bucket", "tags.DeployHook"),
];

fn check(extra: &[&str], out_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let out_dir = out_dir.to_str().unwrap();
    let mut args = vec!["check", "--snapshot", SNAPSHOT, "--as-of", AS_OF];
    let extra: Vec<String> = extra.iter().map(|a| a.replace("{out}", out_dir)).collect();
    args.extend(extra.iter().map(String::as_str));
    let out = ward(&args);
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "ward {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut outputs = vec![
        ("stdout".to_string(), out.stdout),
        ("stderr".to_string(), out.stderr),
    ];
    for entry in walk(Path::new(out_dir)) {
        let bytes = std::fs::read(&entry).unwrap();
        if entry.extension().is_some_and(|e| e == "zip") {
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            for i in 0..archive.len() {
                let mut member = archive.by_index(i).unwrap();
                let mut content = Vec::new();
                std::io::Read::read_to_end(&mut member, &mut content).unwrap();
                let name = format!("{}:{}", entry.display(), member.name().unwrap());
                outputs.push((name, content));
            }
        } else {
            outputs.push((entry.display().to_string(), bytes));
        }
    }
    outputs
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn planted_secrets_appear_in_no_output() {
    let secrets = planted();
    // Both ways of reading: only the fields the controls read (the default), and every field.
    let all_fields: Vec<Vec<&str>> = FORMATS
        .iter()
        .map(|f| [&["--all-fields"][..], f].concat())
        .collect();
    let runs = FORMATS
        .iter()
        .copied()
        .chain(all_fields.iter().map(Vec::as_slice));
    for format in runs {
        let dir = tempfile::tempdir().unwrap();
        let outputs = check(format, dir.path());
        // Standard output is empty when every format went to a file; files never are.
        let to_file = format.contains(&"--output");
        for (name, bytes) in outputs {
            assert!(
                !bytes.is_empty() || name == "stderr" || (name == "stdout" && to_file),
                "{format:?}: {name} is empty"
            );
            for secret in &secrets {
                assert!(
                    !contains(&bytes, secret),
                    "{format:?}: {name} contains the planted secret `{secret}`"
                );
            }
        }
    }
}

#[test]
fn every_planted_secret_is_listed_in_redactions() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = check(&["--format", "json", "--all-fields"], dir.path());
    let doc: Value = serde_json::from_slice(&outputs[0].1).unwrap();
    let redactions = doc["redactions"].as_array().unwrap();
    let listed: Vec<(String, String)> = redactions
        .iter()
        .map(|r| {
            (
                r["resource_id"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (id, path) in EXPECTED {
        assert!(
            listed.contains(&(id.to_string(), path.to_string())),
            "{id} {path} is not in redactions: {listed:#?}"
        );
    }
    assert_eq!(
        listed.len(),
        EXPECTED.len(),
        "unexpected redactions: {listed:#?}"
    );
    for r in redactions {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["resource_type", "resource_id", "path", "kind"]);
    }

    // Names and URL shapes survive: the rules that read them still fail the project.
    let status = |rule: &str, id: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["resource"]["id"] == id)
            .map(|f| f["status"].as_str().unwrap().to_string())
    };
    let project = "2b8f0a52-7d1e-4c3a-9e61-4b1d2f3a5c7e";
    assert_eq!(
        status("codebuild-project-envvar-awscred-check", project).as_deref(),
        Some("NON_COMPLIANT")
    );
    assert_eq!(
        status("codebuild-project-source-repo-url-check", project).as_deref(),
        Some("NON_COMPLIANT")
    );
    // The redacted values reach the evidence as markers, not as values.
    let json = String::from_utf8_lossy(&outputs[0].1);
    assert!(json.contains("[REDACTED:"), "no marker in any evidence");
}

/// By default the fields no control reads are skipped unread: each planted secret is then
/// either redacted (its field was read) or outside the fields the document says were read.
#[test]
fn a_default_run_redacts_what_it_reads_and_names_what_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = check(&["--format", "json"], dir.path());
    let doc: Value = serde_json::from_slice(&outputs[0].1).unwrap();
    let listed: Vec<(String, String)> = doc["redactions"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| {
                    (
                        r["resource_id"].as_str().unwrap().to_string(),
                        r["path"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let read = &doc["fields_read"];
    let keys: Vec<&str> = read["configuration_keys"]
        .as_array()
        .expect("a default run records the fields it read")
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(keys.contains(&"ipPermissions"), "{keys:?}");
    let mut skipped = 0;
    for (id, path) in EXPECTED {
        if listed.contains(&(id.to_string(), path.to_string())) {
            continue;
        }
        // Not redacted: its first configuration key must be one the run did not read.
        let first = path
            .strip_prefix("configuration.")
            .and_then(|rest| rest.split(['.', '[']).next())
            .unwrap_or_else(|| panic!("{id} {path} was read but not redacted"));
        assert!(
            !keys.contains(&first),
            "{id} {path}: `{first}` was read, yet the secret is not in redactions"
        );
        skipped += 1;
    }
    for item in &listed {
        assert!(
            EXPECTED.contains(&(item.0.as_str(), item.1.as_str())),
            "unexpected redaction {item:?}"
        );
    }
    // The fields the rules read still carry their secrets, which are redacted: the CodeBuild
    // environment and source URL (read by two rules), the tag.
    assert!(listed.len() >= 4, "{listed:#?}");
    assert!(
        skipped >= 1,
        "the planted secrets are all in fields some rule reads"
    );
}

#[test]
fn the_text_report_says_how_many_values_were_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = check(&["--format", "text", "--all-fields"], dir.path());
    let text = String::from_utf8_lossy(&outputs[0].1);
    assert!(
        text.contains(&format!(
            "{} secret value(s) redacted from the input (see redactions in --format json)",
            EXPECTED.len()
        )),
        "{text}"
    );
}
