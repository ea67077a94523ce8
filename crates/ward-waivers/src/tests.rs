#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use ward_model::{Resource, Severity};

const RULES: &[&str] = &["s3-bucket-versioning-enabled", "restricted-ssh"];

fn rules() -> Vec<String> {
    RULES.iter().map(|r| r.to_string()).collect()
}

fn set(text: &str) -> WaiverSet {
    let mut set = WaiverSet::new();
    if let Err(diags) = set.add_file(text, "waivers.yaml", &rules()) {
        panic!(
            "{}",
            diags
                .iter()
                .map(WaiverDiagnostic::to_plain)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    set
}

fn errors(text: &str) -> Vec<String> {
    let mut set = WaiverSet::new();
    set.add_file(text, "w.yaml", &rules())
        .expect_err("should not parse")
        .iter()
        .map(WaiverDiagnostic::to_plain)
        .collect()
}

fn finding(rule: &str, id: &str, account: &str, status: Status) -> Finding {
    let resource = ResourceRef {
        resource_type: "AWS::S3::Bucket".into(),
        id: id.into(),
        arn: Some(format!("arn:aws:s3:::{id}")),
        account: Some(account.into()),
        region: Some("us-east-1".into()),
    };
    Finding {
        rule: rule.into(),
        backend: "ward-lang".into(),
        fingerprint: Finding::fingerprint_of(rule, &resource),
        resource: resource.into(),
        status,
        message: "m".into(),
        evidence: Vec::new(),
        citations: Vec::new().into(),
        severity: Severity::Medium,
        waiver: None,
    }
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

const TWO: &str = r#"version: 1
waivers:
  - id: W-1
    rule: s3-bucket-versioning-enabled
    resource:
      id: scratch-*
      account: "111122223333"
    reason: scratch buckets hold no PHI
    approver: jane@clinic.example
    expires: 2027-03-31
    ticket: SEC-1
  - id: W-2
    rule: restricted-ssh
    resource: {arn: "arn:aws:s3:::nothing-*"}
    reason: bastion
    approver: joe@clinic.example
    expires: 2027-01-01
"#;

#[test]
fn reads_waivers_with_their_lines() {
    let s = set(TWO);
    let w = &s.waivers()[0];
    assert_eq!(w.id, "W-1");
    assert_eq!(w.line, 3);
    assert_eq!(w.expires, date("2027-03-31"));
    assert_eq!(w.ticket.as_deref(), Some("SEC-1"));
    assert_eq!(w.selector.account.as_deref(), Some("111122223333"));
    assert_eq!(s.waivers()[1].line, 12);
    assert_eq!(s.waivers()[1].ticket, None);
}

#[test]
fn patterns() {
    let p = Pattern::new("scratch-*");
    assert!(p.matches("scratch-"));
    assert!(p.matches("scratch-a1"));
    assert!(!p.matches("xscratch-a1"));
    let p = Pattern::new("a*b*c");
    assert!(p.matches("abc"));
    assert!(p.matches("aXbYbc"));
    assert!(!p.matches("ab"));
    assert!(!Pattern::new("ab*bc").matches("abc"));
    assert!(Pattern::new("exact").matches("exact"));
    assert!(!Pattern::new("exact").matches("exactly"));
    assert!(Pattern::new("*-logs").matches("clinic-logs"));
    assert!(Pattern::new("arn:aws:s3:::*").matches("arn:aws:s3:::b"));
}

#[test]
fn applies_to_failing_findings_only_and_keeps_the_original_status() {
    let s = set(TWO);
    let mut findings = vec![
        finding(
            "s3-bucket-versioning-enabled",
            "scratch-1",
            "111122223333",
            Status::NonCompliant,
        ),
        finding(
            "s3-bucket-versioning-enabled",
            "scratch-2",
            "111122223333",
            Status::Error,
        ),
        finding(
            "s3-bucket-versioning-enabled",
            "scratch-3",
            "111122223333",
            Status::Compliant,
        ),
        // Other account: not covered.
        finding(
            "s3-bucket-versioning-enabled",
            "scratch-4",
            "444455556666",
            Status::NonCompliant,
        ),
        // Other rule: not covered.
        finding(
            "restricted-ssh",
            "scratch-5",
            "111122223333",
            Status::NonCompliant,
        ),
    ];
    let outcomes = s.apply(&mut findings, date("2026-11-20"), &NoTags);
    let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Waived,
            Status::Waived,
            Status::Compliant,
            Status::NonCompliant,
            Status::NonCompliant
        ]
    );
    let w = findings[1].waiver.as_ref().unwrap();
    assert_eq!(w.id, "W-1");
    assert_eq!(w.original_status, Status::Error);
    assert_eq!(w.expires, "2027-03-31");
    assert_eq!(w.line, Some(3));
    assert!(findings[2].waiver.is_none());
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0].state, WaiverState::Applied);
    assert_eq!(outcomes[0].findings, 2);
    assert_eq!(outcomes[1].state, WaiverState::Stale);
    assert_eq!(outcomes[1].findings, 0);
}

#[test]
fn expiry_is_inclusive_and_an_expired_waiver_applies_to_nothing() {
    let s = set(TWO);
    let fresh = || {
        vec![finding(
            "s3-bucket-versioning-enabled",
            "scratch-1",
            "111122223333",
            Status::NonCompliant,
        )]
    };
    let mut on_the_day = fresh();
    let outcomes = s.apply(&mut on_the_day, date("2027-03-31"), &NoTags);
    assert_eq!(on_the_day[0].status, Status::Waived);
    assert_eq!(outcomes[0].state, WaiverState::Applied);

    let mut after = fresh();
    let outcomes = s.apply(&mut after, date("2027-04-01"), &NoTags);
    assert_eq!(after[0].status, Status::NonCompliant);
    assert!(after[0].waiver.is_none());
    assert_eq!(outcomes[0].state, WaiverState::Expired);
    assert_eq!(outcomes[0].findings, 1, "would have waived one");
    // W-2 expired too (2027-01-01), though it matches nothing.
    assert_eq!(outcomes[1].state, WaiverState::Expired);
}

#[test]
fn the_evaluation_date_is_the_utc_day() {
    let t: jiff::Timestamp = "2027-03-31T23:30:00-05:00".parse().unwrap();
    assert_eq!(evaluation_date(t), date("2027-04-01"));
}

#[test]
fn the_first_unexpired_waiver_is_carried_and_both_count() {
    let text = r#"version: 1
waivers:
  - id: OLD
    rule: s3-bucket-versioning-enabled
    resource: {id: scratch-1}
    reason: r
    approver: a
    expires: 2020-01-01
  - id: A
    rule: s3-bucket-versioning-enabled
    resource: {id: scratch-*}
    reason: r
    approver: a
    expires: 2030-01-01
  - id: B
    rule: s3-bucket-versioning-enabled
    resource: {account: "111122223333"}
    reason: r
    approver: a
    expires: 2030-01-01
"#;
    let s = set(text);
    let mut findings = vec![finding(
        "s3-bucket-versioning-enabled",
        "scratch-1",
        "111122223333",
        Status::NonCompliant,
    )];
    let outcomes = s.apply(&mut findings, date("2026-01-01"), &NoTags);
    assert_eq!(findings[0].waiver.as_ref().unwrap().id, "A");
    let states: Vec<WaiverState> = outcomes.iter().map(|o| o.state).collect();
    assert_eq!(
        states,
        [
            WaiverState::Expired,
            WaiverState::Applied,
            WaiverState::Applied
        ]
    );
}

#[test]
fn tag_selectors_read_the_inventory() {
    let text = r#"version: 1
waivers:
  - id: T
    rule: s3-bucket-versioning-enabled
    resource: {tag: env=scratch}
    reason: r
    approver: a
    expires: 2030-01-01
"#;
    let s = set(text);
    let mut inventory = Inventory::new();
    let bucket = |id: &str, account: &str, env: &str| {
        let mut r = Resource::new("AWS::S3::Bucket", id);
        r.account_id = Some(account.into());
        r.aws_region = Some("us-east-1".into());
        r.tags.insert("env".into(), env.into());
        r
    };
    // Another account's b2, added first, carries the tag: it must not waive account 1's b2.
    inventory.insert(bucket("b2", "2", "scratch"));
    inventory.insert(bucket("b1", "1", "scratch"));
    inventory.insert(bucket("b2", "1", "prod"));
    let mut findings = vec![
        finding(
            "s3-bucket-versioning-enabled",
            "b1",
            "1",
            Status::NonCompliant,
        ),
        finding(
            "s3-bucket-versioning-enabled",
            "b2",
            "1",
            Status::NonCompliant,
        ),
        finding(
            "s3-bucket-versioning-enabled",
            "b3",
            "1",
            Status::NonCompliant,
        ),
    ];
    s.apply(&mut findings, date("2026-01-01"), &inventory);
    let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
    assert_eq!(
        statuses,
        [Status::Waived, Status::NonCompliant, Status::NonCompliant]
    );
    // Without the inventory, a tag selector matches nothing.
    let mut findings = vec![finding(
        "s3-bucket-versioning-enabled",
        "b1",
        "1",
        Status::NonCompliant,
    )];
    let outcomes = s.apply(&mut findings, date("2026-01-01"), &NoTags);
    assert_eq!(outcomes[0].state, WaiverState::Stale);
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"version: 1
waivers:
  - id: W-1
    rule: s3-bucket-versioning-enabld
    resource: {id: b}
    reason: r
    approver: a
    expires: 2027-02-30
  - id: W-1
    rule: restricted-ssh
    resource: {id: b}
    reason: r
    approver: a
    expires: 2027-02-01
"#;
    let e = errors(text);
    assert_eq!(
        e,
        [
            "w.yaml:4:11: waiver `W-1` names the unknown rule `s3-bucket-versioning-enabld`",
            "w.yaml:8:14: `expires` of waiver `W-1` is not a date: `2027-02-30`",
        ]
    );
}

#[test]
fn ids_are_unique_across_files() {
    let mut s = set(TWO);
    let again = "version: 1\nwaivers:\n  - id: W-2\n    rule: restricted-ssh\n    resource: {id: x}\n    reason: r\n    approver: a\n    expires: 2027-01-01\n";
    let e: Vec<String> = s
        .add_file(again, "more.yaml", &rules())
        .unwrap_err()
        .iter()
        .map(|d| format!("{} | {}", d.to_plain(), d.help.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        e,
        [
            "more.yaml:3:9: waiver id `W-2` is used twice | first used at waivers.yaml:12; give every waiver its own id"
        ]
    );
    assert_eq!(s.waivers().len(), 2, "nothing of the bad file was added");
}

#[test]
fn a_diagnostic_renders_with_its_source_span() {
    let mut set = WaiverSet::new();
    let diags = set
        .add_file(
            "version: 1\nwaivers:\n  - id: W-1\n    rule: restricted-ssh\n    resource: {id: b}\n    reason: r\n    approver: a\n    expires: soon\n",
            "w.yaml",
            &rules(),
        )
        .unwrap_err();
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none());
    let mut out = String::new();
    handler.render_report(&mut out, &diags[0]).unwrap();
    assert!(out.contains("ward::waivers::bad-date"), "{out}");
    assert!(out.contains("[w.yaml:8:14]"), "{out}");
    assert!(out.contains("expires: soon"), "{out}");
    assert!(out.contains("not a date"), "{out}");
}

#[test]
fn one_leading_document_marker_is_fine() {
    let s = set(&format!("# reviewed 2026-11-01\n---\n{TWO}"));
    assert_eq!(s.waivers().len(), 2);
    assert_eq!(s.waivers()[0].line, 5);
}
