//! `ward report`: the self-contained HTML report of the shipped example, read as text and
//! rendered by a real browser (headless Chromium) when one is installed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{EXAMPLE, ward};
use serde_json::Value;

const PLANTED: &str = "<script>alert('planted')</script>";

/// The example's findings, with a `<script>` planted in the first failing finding's message
/// and evidence, saved in `dir`; returns the path and the document.
fn planted_findings(dir: &Path) -> (PathBuf, Value) {
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--as-of",
        "2026-11-20T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let mut doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failing = doc["findings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["status"] == "NON_COMPLIANT")
        .unwrap();
    failing["message"] = Value::String(format!("planted {PLANTED} message"));
    failing["evidence"][0]["value"] = Value::String(PLANTED.to_string());
    failing["resource"]["id"] = Value::String(format!("res-{PLANTED}"));
    let path = dir.join("run.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    (path, doc)
}

fn render(findings: &Path, out: &Path) -> String {
    let run = ward(&[
        "report",
        "--findings",
        findings.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    std::fs::read_to_string(out).unwrap()
}

/// Every `attr="..."` value in the page.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn example_report_is_self_contained_escaped_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let (findings, doc) = planted_findings(dir.path());
    let html = render(&findings, &dir.path().join("report.html"));

    // Self-contained: nothing to fetch.
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script", "<link", "<img", "<iframe", "@import", "url(", " src=",
    ] {
        assert!(!lower.contains(banned), "the report contains `{banned}`");
    }
    for href in attribute_values(&html, "href") {
        assert!(href.starts_with('#'), "external link `{href}`");
    }
    // Internal links lead somewhere.
    let ids: std::collections::BTreeSet<&str> = attribute_values(&html, "id").into_iter().collect();
    for href in attribute_values(&html, "href") {
        assert!(ids.contains(&href[1..]), "link `{href}` has no target");
    }

    // The planted script is shown as text, escaped, wherever it was planted.
    assert!(html.contains(&format!("planted {} message", escape(PLANTED))));
    assert!(html.contains(&escape(&format!("\"{PLANTED}\""))));
    assert!(html.contains(&format!("res-{}", escape(PLANTED))));

    // The run in the header, and every failing finding by its resource and fingerprint.
    assert!(html.contains("2026-11-20T00:00:00Z"));
    assert!(html.contains(&format!(
        "{} resources",
        doc["summary"]["resources"].as_u64().unwrap()
    )));
    let mut failing = 0;
    for f in doc["findings"].as_array().unwrap() {
        let status = f["status"].as_str().unwrap();
        if status == "NON_COMPLIANT" || status == "ERROR" || status == "WAIVED" {
            failing += 1;
            let fingerprint = f["fingerprint"].as_str().unwrap();
            let card_start = html
                .find(&format!("id=\"f-{fingerprint}\""))
                .unwrap_or_else(|| panic!("no finding card for {fingerprint}"));
            let card =
                &html[card_start..card_start + html[card_start..].find("</article>").unwrap()];
            let id = escape(f["resource"]["id"].as_str().unwrap());
            assert!(card.contains(&id), "card {fingerprint} does not name {id}");
            assert!(card.contains(&escape(f["message"].as_str().unwrap())));
            for e in f["evidence"].as_array().unwrap() {
                assert!(card.contains(&escape(e["path"].as_str().unwrap())));
            }
        }
    }
    let summary = &doc["summary"];
    let counted = ["non_compliant", "error", "waived"]
        .iter()
        .map(|k| summary[*k].as_u64().unwrap_or(0))
        .sum::<u64>();
    assert_eq!(failing, counted);
    assert_eq!(
        html.matches("<article class=\"finding").count(),
        failing as usize
    );
    // Every rule has its section, and every citation of the catalogue its row.
    for r in doc["summary"]["by_rule"].as_array().unwrap() {
        let rule = r["rule"].as_str().unwrap();
        assert!(html.contains(&format!("id=\"rule-{rule}\"")), "{rule}");
    }
    assert!(html.contains("Attestations to collect"));

    // Deterministic: the same result gives the same bytes.
    let again = render(&findings, &dir.path().join("again.html"));
    assert_eq!(html, again);
}

#[test]
fn report_runs_from_snapshots_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let run = ward(&[
        "report",
        "--snapshot",
        EXAMPLE,
        "--rule",
        "restricted-ssh",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("id=\"rule-restricted-ssh\""));
    // Only the selected rule ran: no other rule section.
    assert_eq!(html.matches("<section class=\"rule\"").count(), 1);
    let bad = ward(&["report", "--findings", "no/such/file.json"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Chromium on the PATH; when missing, installed with apt-get where this runs as root with
/// apt (Debian's `chromium` package, as `.ci/run` does), else `None`.
fn chromium() -> Option<PathBuf> {
    if let Some(found) = chromium_on_path() {
        return Some(found);
    }
    ward_aws::testing::apt_install(&["chromium"]);
    chromium_on_path()
}

fn chromium_on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

#[test]
fn example_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        panic!(
            "Chromium is not installed, and this test renders report.html in it: it installs it \
             itself only as root with apt-get; install it (Debian/Ubuntu: `apt-get install \
             chromium`) and run the tests again"
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let (findings, doc) = planted_findings(dir.path());
    let page = dir.path().join("report.html");
    render(&findings, &page);
    let url = format!("file://{}", page.display());
    let base = |profile: &str| {
        let mut c = Command::new(&browser);
        c.args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join(profile).display()
        ));
        c
    };

    // The DOM after parsing: the title and the failing resources are there, and the planted
    // script stayed text (no script element came out of it).
    let dom = base("dom").arg("--dump-dom").arg(&url).output().unwrap();
    assert!(dom.status.success(), "{dom:?}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<title>HIPAA Security Rule"),
        "{}",
        &dom[..dom.len().min(500)]
    );
    assert!(!dom.contains("<script"));
    assert!(dom.contains("&lt;script&gt;"));
    let first_failing = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "NON_COMPLIANT")
        .unwrap();
    assert!(dom.contains(first_failing["fingerprint"].as_str().unwrap()));

    // A screenshot: a real PNG of some size.
    let png = dir.path().join("shot.png");
    let shot = base("shot")
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,1500")
        .arg(&url)
        .output()
        .unwrap();
    assert!(shot.status.success(), "{shot:?}");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(bytes.len() > 20_000, "a {} byte screenshot", bytes.len());
}
