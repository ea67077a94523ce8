//! `--waivers`: the shipped example's waiver file over the example estate (applied, expired
//! and stale waivers, at the capture time and before it), exit codes, the per-citation view,
//! and malformed files refused with their locations before anything is evaluated.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;

use serde_json::Value;

const WAIVERS: &str = "examples/clinic/waivers.yaml";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn check_json(extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = vec!["check", "--snapshot", EXAMPLE, "--format", "json"];
    args.extend_from_slice(extra);
    let out = ward(&args);
    let doc =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (out.status.code(), doc, stderr(&out))
}

fn finding<'a>(doc: &'a Value, rule: &str, id: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["resource"]["id"] == id)
        .unwrap_or_else(|| panic!("no finding of {rule} for {id}"))
}

fn states(doc: &Value) -> Vec<(String, String, u64)> {
    doc["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["id"].as_str().unwrap().to_string(),
                w["state"].as_str().unwrap().to_string(),
                w["findings"].as_u64().unwrap(),
            )
        })
        .collect()
}

const BASTION: &str = "sg-f92669b1becefdac4";
const DASHBOARD_BUCKET: &str = "riverside-community-dashboard-444455556666";

#[test]
fn at_the_capture_time_three_apply_one_has_expired_and_one_is_stale() {
    let (code, doc, err) = check_json(&["--waivers", WAIVERS]);
    assert_eq!(code, Some(1), "other findings still fail: {err}");
    assert_eq!(doc["as_of"], "2026-11-20T03:43:33.840Z");
    assert_eq!(
        states(&doc),
        [
            ("WVR-2026-001".into(), "APPLIED".into(), 1),
            ("WVR-2026-002".into(), "APPLIED".into(), 1),
            ("WVR-2026-003".into(), "APPLIED".into(), 1),
            ("WVR-2026-004".into(), "EXPIRED".into(), 1),
            ("WVR-2025-019".into(), "STALE".into(), 0),
        ]
    );
    // Applied by a tag and account selector: WAIVED, with the waiver and the original status.
    let f = finding(&doc, "s3-bucket-public-read-prohibited", DASHBOARD_BUCKET);
    assert_eq!(f["status"], "WAIVED");
    assert_eq!(f["waiver"]["id"], "WVR-2026-002");
    assert_eq!(
        f["waiver"]["approver"],
        "privacy-officer@riversidefamilyclinic.example"
    );
    assert_eq!(f["waiver"]["expires"], "2027-03-31");
    assert_eq!(f["waiver"]["original_status"], "NON_COMPLIANT");
    assert_eq!(f["waiver"]["file"], WAIVERS);
    assert_eq!(f["waiver"]["line"], 21);
    assert!(
        !f["evidence"].as_array().unwrap().is_empty(),
        "evidence kept"
    );
    // By an id wildcard and by an ARN wildcard.
    assert_eq!(
        finding(
            &doc,
            "s3-bucket-logging-enabled",
            "riverside-s3-access-logs-111122223333"
        )["status"],
        "WAIVED"
    );
    let alb = "arn:aws:elasticloadbalancing:us-east-1:444455556666:loadbalancer/app/bi-dashboard-alb/0e17a174dc74623a";
    assert_eq!(finding(&doc, "alb-waf-enabled", alb)["status"], "WAIVED");
    // Not a neighbour the selector does not name.
    let ehr_alb = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/ehr-web-alb/9e0438a2d609dd0c";
    assert_eq!(
        finding(&doc, "alb-waf-enabled", ehr_alb)["status"],
        "NON_COMPLIANT"
    );
    // The expired waiver no longer applies.
    let sg = finding(&doc, "restricted-ssh", BASTION);
    assert_eq!(sg["status"], "NON_COMPLIANT");
    assert!(sg.get("waiver").is_none());
    // Counted as waived, not as failing.
    assert_eq!(doc["summary"]["waived"], 3);
    let by_rule = doc["summary"]["by_rule"].as_array().unwrap();
    let read = by_rule
        .iter()
        .find(|r| r["rule"] == "s3-bucket-public-read-prohibited")
        .unwrap();
    assert_eq!(read["waived"], 1);
    assert_eq!(read["non_compliant"], 0);
    // Warnings for the expired and the stale waiver.
    assert!(
        err.contains("warning: waiver `WVR-2026-004` (examples/clinic/waivers.yaml:44, rule `restricted-ssh`) expired on 2026-10-31"),
        "{err}"
    );
    assert!(
        err.contains("warning: waiver `WVR-2025-019` (examples/clinic/waivers.yaml:54, rule `ec2-stopped-instance`) is stale"),
        "{err}"
    );
}

#[test]
fn before_its_expiry_the_bastion_waiver_applies_and_on_the_day_after_it_does_not() {
    let (_, doc, _) = check_json(&["--waivers", WAIVERS, "--as-of", "2026-10-31T23:59:59Z"]);
    let sg = finding(&doc, "restricted-ssh", BASTION);
    assert_eq!(sg["status"], "WAIVED");
    assert_eq!(sg["waiver"]["id"], "WVR-2026-004");
    assert_eq!(states(&doc)[3].1, "APPLIED");

    let (_, doc, err) = check_json(&["--waivers", WAIVERS, "--as-of", "2026-11-01T00:00:00Z"]);
    assert_eq!(
        finding(&doc, "restricted-ssh", BASTION)["status"],
        "NON_COMPLIANT"
    );
    assert_eq!(states(&doc)[3].1, "EXPIRED");
    assert!(err.contains("WVR-2026-004"), "{err}");
}

#[test]
fn waived_findings_do_not_fail_the_run() {
    // Every failing finding of the two rules run is waived: exit 0.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all-albs.yaml");
    std::fs::write(
        &file,
        "version: 1\nwaivers:\n  - id: ALB\n    rule: alb-waf-enabled\n    resource:\n      arn: arn:aws:elasticloadbalancing:us-east-1:*:loadbalancer/app/*\n    reason: WAF is out of scope for this test\n    approver: test\n    expires: 2030-01-01\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let args = [
        "--rule",
        "alb-waf-enabled",
        "--rule",
        "s3-bucket-public-read-prohibited",
    ];
    let mut with = vec!["--waivers", file, "--waivers", WAIVERS];
    with.extend_from_slice(&args);
    let (code, doc, err) = check_json(&with);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(doc["summary"]["non_compliant"], 0);
    assert_eq!(doc["summary"]["waived"], 3);
    // Only the waivers of the rules that ran are reported; the first matching waiver (file
    // order) is the one a finding carries, and every waiver matching it counts it.
    assert_eq!(
        states(&doc),
        [
            ("ALB".into(), "APPLIED".into(), 2),
            ("WVR-2026-002".into(), "APPLIED".into(), 1),
            ("WVR-2026-003".into(), "APPLIED".into(), 1),
        ]
    );
    let alb = "arn:aws:elasticloadbalancing:us-east-1:444455556666:loadbalancer/app/bi-dashboard-alb/0e17a174dc74623a";
    assert_eq!(finding(&doc, "alb-waf-enabled", alb)["waiver"]["id"], "ALB");
    assert!(!err.contains("warning"), "{err}");

    // Without the waivers, the same run fails.
    let mut without = vec!["check", "--snapshot", EXAMPLE];
    without.extend_from_slice(&args);
    assert_eq!(ward(&without).status.code(), Some(1));
}

#[test]
fn the_text_report_shows_waived_findings_and_the_waivers_section() {
    let out = ward(&["check", "--snapshot", EXAMPLE, "--waivers", WAIVERS]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("    WAIVED AWS::S3::Bucket {DASHBOARD_BUCKET}\n")),
        "{text}"
    );
    assert!(text.contains(
        "waived by `WVR-2026-002` (approved by privacy-officer@riversidefamilyclinic.example, expires 2027-03-31; was NON_COMPLIANT): the community dashboard bucket"
    ));
    assert!(
        text.contains("    9 compliant, 0 non-compliant, 0 not applicable, 0 error, 1 waived\n"),
        "{text}"
    );
    assert!(
        text.contains("\nwaivers: 3 applied, 1 expired, 1 stale\n"),
        "{text}"
    );
    assert!(text.contains("  warning: waiver `WVR-2026-004` (examples/clinic/waivers.yaml:44, rule `restricted-ssh`) expired on 2026-10-31: it no longer applies (1 finding(s) it covered fail again)\n"));
    assert!(text.contains("  warning: waiver `WVR-2025-019` (examples/clinic/waivers.yaml:54, rule `ec2-stopped-instance`) is stale: it matches no failing finding\n"));
    let summary = text.lines().last().unwrap();
    assert!(summary.ends_with(", 0 error, 3 waived"), "{summary}");
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let run = || {
        ward(&[
            "check",
            "--snapshot",
            EXAMPLE,
            "--waivers",
            WAIVERS,
            "--format",
            "json",
        ])
        .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn in_the_controls_report_a_waived_resource_neither_passes_nor_fails() {
    let out = ward(&[
        "controls",
        "--snapshot",
        EXAMPLE,
        "--format",
        "json",
        "--rule",
        "s3-bucket-public-read-prohibited",
        "--waivers",
        WAIVERS,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "164.312(e)(1)")
        .unwrap();
    let rule = &c["rules"][0];
    assert_eq!(rule["rule"], "s3-bucket-public-read-prohibited");
    assert_eq!(rule["waived"], 1);
    assert_eq!(rule["non_compliant"], 0);
    let compliant = rule["compliant"].as_u64().unwrap();
    assert_eq!(c["resources"]["failing"], 0);
    assert_eq!(c["resources"]["passing"].as_u64().unwrap(), compliant);
    assert_eq!(c["status"], "MET");

    // A saved result carries its waivers already: --waivers with --findings is refused.
    let out = ward(&["controls", "--findings", "x.json", "--waivers", WAIVERS]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_malformed_waiver_file_is_refused_with_its_location_and_nothing_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(common::root().join(WAIVERS))
        .unwrap()
        .replace("    expires: 2027-01-15\n", "    expires: 15/01/2027\n")
        .replace("rule: restricted-ssh", "rule: restricted-shh");
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap();
    let out = ward(&["check", "--snapshot", EXAMPLE, "--waivers", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing was evaluated");
    let err = stderr(&out);
    assert!(err.contains("ward::waivers::bad-date"), "{err}");
    assert!(
        err.contains("`expires` of waiver `WVR-2026-003` is not a date: `15/01/2027`"),
        "{err}"
    );
    assert!(err.contains(&format!("[{path}:41:14]")), "{err}");
    assert!(
        err.contains("expires: 15/01/2027"),
        "source line shown: {err}"
    );
    assert!(err.contains("ward::waivers::unknown-rule"), "{err}");
    assert!(err.contains("did you mean `restricted-ssh`?"), "{err}");
    assert!(err.contains(&format!("[{path}:45:11]")), "{err}");
    assert!(
        err.contains("error: 2 problem(s) in the waiver files; nothing was evaluated"),
        "{err}"
    );

    // A missing file, too.
    let out = ward(&["check", "--snapshot", EXAMPLE, "--waivers", "no-such.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the waiver file `no-such.yaml`"),
        "{}",
        stderr(&out)
    );
}
