//! The evidence bundle end to end: `ward keygen`, `ward check --bundle`, `ward bundle`, and
//! `ward verify` catching each kind of tampering, on the shipped example estate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{EXAMPLE, stdout, ward};
use zip::write::SimpleFileOptions;

const AS_OF: &str = "2026-11-20T09:15:00Z";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One key pair and one signed bundle of the example, made once for the tests that only read.
struct Fixture {
    _dir: tempfile::TempDir,
    key: PathBuf,
    public: PathBuf,
    bundle: PathBuf,
    bytes: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("ward.key");
        let out = ward(&["keygen", "--out", s(&key)]);
        assert!(out.status.success(), "{}", stderr(&out));
        let bundle = dir.path().join("evidence.zip");
        let out = ward(&[
            "check",
            "--snapshot",
            EXAMPLE,
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--bundle",
            s(&bundle),
            "--sign-key",
            s(&key),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("wrote the evidence bundle"));
        let bytes = std::fs::read(&bundle).unwrap();
        Fixture {
            public: dir.path().join("ward.key.pub"),
            key,
            bundle,
            bytes,
            _dir: dir,
        }
    })
}

fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data)
        })
        .collect()
}

fn member(bytes: &[u8], name: &str) -> Vec<u8> {
    entries(bytes)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no member {name}"))
        .1
}

/// A change to a bundle's entries.
type Edit = dyn FnOnce(&mut Vec<(String, Vec<u8>)>);

/// Rewrites the fixture's bundle with `f` applied to its entries; returns the new file.
fn tampered(dir: &Path, f: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> PathBuf {
    let mut e = entries(&fixture().bytes);
    f(&mut e);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in &e {
        zip.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    let path = dir.join("tampered.zip");
    std::fs::write(&path, zip.finish().unwrap().into_inner()).unwrap();
    path
}

fn verify(bundle: &Path, public: Option<&Path>) -> (Option<i32>, String) {
    let mut args = vec!["verify", s(bundle)];
    if let Some(p) = public {
        args.extend(["--public-key", s(p)]);
    }
    let out = ward(&args);
    (
        out.status.code(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

#[test]
fn same_inputs_and_as_of_give_the_same_bytes() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again.zip");
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--as-of",
        AS_OF,
        "--bundle",
        s(&again),
        "--sign-key",
        s(&f.key),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&again).unwrap(), f.bytes);
}

#[test]
fn a_fresh_bundle_verifies_with_and_without_the_trusted_key() {
    let f = fixture();
    let (code, text) = verify(&f.bundle, Some(&f.public));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("valid, by the trusted key SHA256:"), "{text}");
    assert!(text.contains("verdict: VERIFIED"), "{text}");
    let (code, text) = verify(&f.bundle, None);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("NOT AUTHENTICATED"), "{text}");
}

#[test]
fn the_bundle_holds_the_run() {
    let f = fixture();
    let names: Vec<String> = entries(&f.bytes).into_iter().map(|(n, _)| n).collect();
    for expected in [
        "findings.json",
        "controls.json",
        "controls.md",
        "report.html",
        "inputs.json",
        "inventory.json",
        "waivers.json",
        "parameters.json",
        "manifest.json",
        "manifest.sig",
        "rules/restricted-ssh.ward",
        "rules/lib/network.ward",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    // findings.json is the JSON document `ward check --format json` printed
    let printed = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    assert_eq!(member(&f.bytes, "findings.json"), printed.stdout);
    // the rule sources are the pack's files, byte for byte
    assert_eq!(
        member(&f.bytes, "rules/restricted-ssh.ward"),
        std::fs::read(common::root().join("policies/hipaa/restricted-ssh.ward")).unwrap()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&member(&f.bytes, "manifest.json")).unwrap();
    assert_eq!(manifest["as_of"], AS_OF);
    assert_eq!(manifest["ward_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        manifest["members"].as_array().unwrap().len(),
        names.len() - 2
    );
    assert!(
        manifest["signer"]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    // every input file is listed with its digest, and no raw input is in the bundle
    let inputs: serde_json::Value =
        serde_json::from_slice(&member(&f.bytes, "inputs.json")).unwrap();
    let files = inputs["files"].as_array().unwrap();
    assert!(files.iter().any(|f| {
        f["path"]
            .as_str()
            .unwrap()
            .ends_with("credential-report.csv")
    }));
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with(".csv") || n.contains("AWSLogs"))
    );
    let inventory: serde_json::Value =
        serde_json::from_slice(&member(&f.bytes, "inventory.json")).unwrap();
    assert!(inventory["resources"].as_array().unwrap().len() > 50);
    let params: serde_json::Value =
        serde_json::from_slice(&member(&f.bytes, "parameters.json")).unwrap();
    assert_eq!(params["as_of"], AS_OF);
    assert_eq!(params["parameters"]["policies"][0], "<builtin>");
}

#[test]
fn each_tampering_is_caught_and_named() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Box<Edit>, &str)> = vec![
        (
            "change a member",
            Box::new(|e| {
                let m = e.iter_mut().find(|(n, _)| n == "findings.json").unwrap();
                m.1 = String::from_utf8(m.1.clone())
                    .unwrap()
                    .replacen("NON_COMPLIANT", "COMPLIANT", 1)
                    .into_bytes();
            }),
            "CHANGED    findings.json",
        ),
        (
            "add a member",
            Box::new(|e| e.push(("rules/extra.ward".into(), b"rule extra {}".to_vec()))),
            "ADDED      rules/extra.ward",
        ),
        (
            "remove a member",
            Box::new(|e| e.retain(|(n, _)| n != "controls.md")),
            "REMOVED    controls.md",
        ),
        (
            "change manifest.json",
            Box::new(|e| {
                let m = e.iter_mut().find(|(n, _)| n == "manifest.json").unwrap();
                m.1 = String::from_utf8(m.1.clone())
                    .unwrap()
                    .replacen("\"ward_version\": \"", "\"ward_version\": \"9", 1)
                    .into_bytes();
            }),
            "INVALID: the signature does not match `manifest.json`",
        ),
        (
            "remove the signature",
            Box::new(|e| e.retain(|(n, _)| n != "manifest.sig")),
            "MISSING: the manifest names signer SHA256:",
        ),
        (
            "corrupt the signature",
            Box::new(|e| {
                let m = e.iter_mut().find(|(n, _)| n == "manifest.sig").unwrap();
                m.1[5] ^= 0x40;
            }),
            "INVALID: the signature does not match",
        ),
    ];
    for (what, edit, expected) in cases {
        let path = tampered(dir.path(), edit);
        let (code, text) = verify(&path, Some(&f.public));
        assert_eq!(code, Some(1), "{what}: {text}");
        assert!(
            text.contains(expected),
            "{what}: expected `{expected}` in\n{text}"
        );
        assert!(text.contains("verdict: NOT VERIFIED"), "{what}: {text}");
    }
}

#[test]
fn a_wrong_public_key_is_caught() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.key");
    assert!(ward(&["keygen", "--out", s(&other)]).status.success());
    let (code, text) = verify(&f.bundle, Some(&dir.path().join("other.key.pub")));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("WRONG KEY: signed by SHA256:"), "{text}");
    // a private key where a public key belongs is a usage error
    let (code, text) = verify(&f.bundle, Some(&other));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("is not an Ed25519 public key"), "{text}");
}

#[test]
fn an_unsigned_bundle_fails_when_a_key_is_expected() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("unsigned.zip");
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--as-of",
        AS_OF,
        "--bundle",
        s(&bundle),
        "--no-snapshot",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let bytes = std::fs::read(&bundle).unwrap();
    assert!(
        !entries(&bytes)
            .iter()
            .any(|(n, _)| n == "inventory.json" || n == "manifest.sig")
    );
    let manifest = String::from_utf8(member(&bytes, "manifest.json")).unwrap();
    assert!(manifest.contains("--no-snapshot was given"), "{manifest}");
    let (code, text) = verify(&bundle, None);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("not signed"), "{text}");
    let (code, text) = verify(&bundle, Some(&f.public));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("MISSING: the bundle is not signed"), "{text}");
}

#[test]
fn not_a_zip_is_a_clear_error() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.zip");
    std::fs::write(&truncated, &f.bytes[..f.bytes.len() / 2]).unwrap();
    let text_file = dir.path().join("notes.txt");
    std::fs::write(&text_file, "not a bundle").unwrap();
    for path in [&truncated, &text_file] {
        let (code, text) = verify(path, None);
        assert_eq!(code, Some(2), "{text}");
        assert!(text.contains("not a readable zip file"), "{text}");
    }
    let (code, text) = verify(&dir.path().join("absent.zip"), None);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("cannot read"), "{text}");
}

#[test]
fn bundle_from_a_saved_result() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run.json");
    let printed = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    std::fs::write(&run, &printed.stdout).unwrap();
    let make = |out: &Path| {
        ward(&[
            "bundle",
            "--findings",
            s(&run),
            "--snapshot",
            EXAMPLE,
            "--out",
            s(out),
            "--sign-key",
            s(&f.key),
        ])
    };
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    for p in [&a, &b] {
        let out = make(p);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(bytes, std::fs::read(&b).unwrap());
    assert_eq!(member(&bytes, "findings.json"), printed.stdout);
    // the same members as `check --bundle`, but the parameters are not known
    assert_eq!(
        member(&bytes, "inventory.json"),
        member(&f.bytes, "inventory.json")
    );
    assert_eq!(
        member(&bytes, "controls.json"),
        member(&f.bytes, "controls.json")
    );
    let manifest = String::from_utf8(member(&bytes, "manifest.json")).unwrap();
    assert!(manifest.contains("the parameter overrides"), "{manifest}");
    let (code, text) = verify(&a, Some(&f.public));
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let out = ward(&["keygen", "--out", s(&key)]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("fingerprint: SHA256:"));
    let private = std::fs::read_to_string(&key).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    let public = std::fs::read_to_string(dir.path().join("k.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let again = ward(&["keygen", "--out", s(&key)]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), private);
    // a bad signing key stops `check --bundle` before anything is evaluated
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--bundle",
        s(&dir.path().join("x.zip")),
        "--sign-key",
        s(&dir.path().join("k.pub")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not an Ed25519 private key"),
        "{}",
        stderr(&out)
    );
}
