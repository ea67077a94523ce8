//! Round trips and tampering, on bundles built in memory and edited with the zip crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Cursor, Read, Write};
use std::path::Path;

use ward_report::FindingsDocument;
use ward_report::controls::{CitationCatalogue, ControlsReport, RuleCitations};
use zip::write::SimpleFileOptions;

use super::*;
use crate::keys::{SigningKey, generate};

const CATALOGUE: &str = "version: 1\ntitle: test\ncitations:\n  - id: 164.312(b)\n    title: Audit controls\n    safeguard: Technical\n    kind: standard\n";

fn evidence_bytes(key: Option<&SigningKey>, as_of: &str) -> Vec<u8> {
    let doc = FindingsDocument::new(
        "0.1.0",
        Some(as_of.to_string()),
        Vec::new(),
        &["r1".to_string()],
        0,
        vec!["r1".to_string()],
        Vec::new(),
    );
    let catalogue = CitationCatalogue::from_yaml(CATALOGUE, "c.yaml").unwrap();
    let rules = vec![RuleCitations {
        rule: "r1".into(),
        title: "Rule one".into(),
        citations: vec!["164.312(b)".into()],
    }];
    let controls = ControlsReport::build(&catalogue, &rules, &doc);
    let evidence = Evidence {
        ward_version: "0.1.0",
        doc: &doc,
        controls: &controls,
        rules: rule_sources_relative([
            (Path::new("/abs/pack/r1.ward"), "rule r1 {}"),
            (Path::new("/abs/pack/lib/x.ward"), "def x = 1"),
        ]),
        inputs: vec![InputFile {
            path: "snap.json".into(),
            size: 2,
            sha256: sha256_hex(b"{}"),
        }],
        inventory: Some(ward_model::Inventory::new().to_snapshot()),
        waiver_files: Vec::new(),
        parameters: Some(Parameters::default()),
        inventory_left_out: None,
    };
    build(&evidence, key).unwrap()
}

/// The bundle's entries, name to bytes, in zip order.
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

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn edit(bytes: &[u8], f: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> Vec<u8> {
    let mut e = entries(bytes);
    f(&mut e);
    rezip(&e)
}

fn kinds(v: &Verification) -> Vec<(String, String)> {
    v.problems
        .iter()
        .map(|p| (p.kind().to_string(), p.path().to_string()))
        .collect()
}

#[test]
fn same_evidence_same_bytes_and_sorted_members() {
    let key = generate().unwrap();
    let a = evidence_bytes(Some(&key), "2026-11-20T09:15:00.000Z");
    let b = evidence_bytes(Some(&key), "2026-11-20T09:15:00.000Z");
    assert_eq!(a, b);
    let names: Vec<String> = entries(&a).into_iter().map(|(n, _)| n).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(
        names,
        [
            "controls.json",
            "controls.md",
            "findings.json",
            "inputs.json",
            "inventory.json",
            "manifest.json",
            "manifest.sig",
            "parameters.json",
            "report.html",
            "rules/lib/x.ward",
            "rules/r1.ward",
            "waivers.json"
        ]
    );
    // the entries carry the run's time, not the wall clock
    let mut archive = zip::ZipArchive::new(Cursor::new(&a)).unwrap();
    let t = archive.by_index(0).unwrap().last_modified().unwrap();
    assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2026, 11, 20, 9));
}

#[test]
fn a_fresh_bundle_verifies() {
    let key = generate().unwrap();
    let bytes = evidence_bytes(Some(&key), "2026-11-20T09:15:00Z");
    let v = verify(&bytes, None).unwrap();
    assert!(v.ok(), "{v:?}");
    assert!(matches!(
        v.signature,
        SignatureCheck::Valid { trusted: false, .. }
    ));
    assert_eq!(v.matching, v.manifest.as_ref().unwrap().members.len());
    let v = verify(&bytes, Some(&key.verifying_key())).unwrap();
    assert!(v.ok());
    assert!(matches!(
        v.signature,
        SignatureCheck::Valid { trusted: true, .. }
    ));
    // the manifest records the signer and what was left out
    let m = v.manifest.unwrap();
    assert_eq!(
        m.signer.unwrap().fingerprint,
        keys::fingerprint(&key.verifying_key())
    );
    assert!(
        m.left_out
            .iter()
            .any(|l| l.what.contains("raw input files"))
    );
}

#[test]
fn unsigned_bundle_verifies_only_without_a_trusted_key() {
    let bytes = evidence_bytes(None, "2026-11-20T09:15:00Z");
    let v = verify(&bytes, None).unwrap();
    assert!(v.ok());
    assert_eq!(v.signature, SignatureCheck::Unsigned);
    let key = generate().unwrap();
    let v = verify(&bytes, Some(&key.verifying_key())).unwrap();
    assert!(!v.ok());
}

#[test]
fn each_tampering_is_named() {
    let key = generate().unwrap();
    let good = evidence_bytes(Some(&key), "2026-11-20T09:15:00Z");
    let trusted = key.verifying_key();

    let changed = edit(&good, |e| {
        e.iter_mut().find(|(n, _)| n == "findings.json").unwrap().1 = b"{}".to_vec();
    });
    let v = verify(&changed, Some(&trusted)).unwrap();
    assert!(!v.ok());
    assert_eq!(kinds(&v), [("CHANGED".into(), "findings.json".into())]);
    assert!(matches!(v.signature, SignatureCheck::Valid { .. }));

    let added = edit(&good, |e| e.push(("extra.txt".into(), b"hi".to_vec())));
    let v = verify(&added, Some(&trusted)).unwrap();
    assert_eq!(kinds(&v), [("ADDED".into(), "extra.txt".into())]);
    assert!(!v.ok());

    let removed = edit(&good, |e| e.retain(|(n, _)| n != "rules/r1.ward"));
    let v = verify(&removed, Some(&trusted)).unwrap();
    assert_eq!(kinds(&v), [("REMOVED".into(), "rules/r1.ward".into())]);

    // a manifest edited to match a changed member: the signature catches it
    let forged = edit(&good, |e| {
        e.iter_mut().find(|(n, _)| n == "findings.json").unwrap().1 = b"{}".to_vec();
        let m = &mut e.iter_mut().find(|(n, _)| n == MANIFEST).unwrap().1;
        let mut manifest: Manifest = serde_json::from_slice(m).unwrap();
        let entry = manifest
            .members
            .iter_mut()
            .find(|m| m.path == "findings.json")
            .unwrap();
        entry.sha256 = sha256_hex(b"{}");
        entry.size = 2;
        *m = manifest.to_bytes().unwrap();
    });
    let v = verify(&forged, None).unwrap();
    assert!(v.problems.is_empty());
    assert!(
        matches!(v.signature, SignatureCheck::Invalid { .. }),
        "{v:?}"
    );
    assert!(!v.ok());

    let unsigned = edit(&good, |e| e.retain(|(n, _)| n != SIGNATURE));
    let v = verify(&unsigned, None).unwrap();
    assert!(matches!(v.signature, SignatureCheck::Missing { .. }));
    assert!(!v.ok());

    let corrupt = edit(&good, |e| {
        let sig = &mut e.iter_mut().find(|(n, _)| n == SIGNATURE).unwrap().1;
        sig[0] ^= 1;
    });
    let v = verify(&corrupt, None).unwrap();
    assert!(matches!(v.signature, SignatureCheck::Invalid { .. }));

    let short = edit(&good, |e| {
        e.iter_mut()
            .find(|(n, _)| n == SIGNATURE)
            .unwrap()
            .1
            .truncate(10);
    });
    let v = verify(&short, None).unwrap();
    assert!(
        matches!(&v.signature, SignatureCheck::Invalid { reason } if reason.contains("10 bytes"))
    );

    let other = generate().unwrap();
    let v = verify(&good, Some(&other.verifying_key())).unwrap();
    assert!(matches!(v.signature, SignatureCheck::WrongKey { .. }));
    assert!(!v.ok());

    // re-signed by someone else with their key in the manifest: only a trusted key tells
    let resigned = edit(&good, |e| {
        let m = &mut e.iter_mut().find(|(n, _)| n == MANIFEST).unwrap().1;
        let mut manifest: Manifest = serde_json::from_slice(m).unwrap();
        manifest.signer = Some(keys::signer(&other.verifying_key()));
        *m = manifest.to_bytes().unwrap();
        let sig = ed25519_dalek::Signer::sign(&other, m).to_bytes().to_vec();
        e.iter_mut().find(|(n, _)| n == SIGNATURE).unwrap().1 = sig;
    });
    let v = verify(&resigned, None).unwrap();
    assert!(v.ok());
    assert!(
        matches!(&v.signature, SignatureCheck::Valid { trusted: false, fingerprint } if *fingerprint == keys::fingerprint(&other.verifying_key()))
    );
    let v = verify(&resigned, Some(&trusted)).unwrap();
    assert!(matches!(v.signature, SignatureCheck::WrongKey { .. }));

    let no_manifest = edit(&good, |e| e.retain(|(n, _)| n != MANIFEST));
    let v = verify(&no_manifest, None).unwrap();
    assert!(v.manifest_problem.unwrap().contains("missing"));
}

#[test]
fn not_a_zip_is_an_error() {
    assert!(matches!(
        verify(b"not a zip", None),
        Err(BundleError::Zip(_))
    ));
    let good = evidence_bytes(None, "2026-11-20T09:15:00Z");
    let truncated = &good[..good.len() / 2];
    assert!(verify(truncated, None).is_err());
}

#[test]
fn rule_names_are_relative_to_the_pack() {
    let r = rule_sources_relative([(Path::new("<builtin>/policies/hipaa/a.ward"), "x")]);
    assert_eq!(r[0].name, "a.ward");
    let r = rule_sources_relative([
        (Path::new("policies/hipaa/a.ward"), "x"),
        (Path::new("policies/hipaa/lib/b.ward"), "y"),
        (Path::new("policies/shared/c.ward"), "z"),
    ]);
    let names: Vec<_> = r.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["hipaa/a.ward", "hipaa/lib/b.ward", "shared/c.ward"]);
}

#[test]
fn member_paths_are_checked() {
    let doc = FindingsDocument::new("0.1.0", None, Vec::new(), &[], 0, Vec::new(), Vec::new());
    let catalogue = CitationCatalogue::from_yaml(CATALOGUE, "c.yaml").unwrap();
    let controls = ControlsReport::build(&catalogue, &[], &doc);
    let evidence = Evidence {
        ward_version: "0.1.0",
        doc: &doc,
        controls: &controls,
        rules: vec![RuleSource {
            name: "../escape.ward".into(),
            text: String::new(),
        }],
        inputs: Vec::new(),
        inventory: None,
        waiver_files: Vec::new(),
        parameters: None,
        inventory_left_out: Some("--no-snapshot".into()),
    };
    assert!(matches!(
        build(&evidence, None),
        Err(BundleError::BadMemberPath(_))
    ));
}
