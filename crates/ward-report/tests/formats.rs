//! The SARIF, JUnit, CSV and Markdown renderings of one document holding every status, with
//! text that tries to break each format; each rendering is read back with a real parser
//! (the official SARIF 2.1.0 schema, quick-xml, the csv crate).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/sarif_schema.rs"]
mod sarif_schema;

use std::collections::BTreeMap;

use quick_xml::events::Event;
use sarif_schema::sarif_schema;
use serde_json::{Value, json};
use ward_model::{AppliedWaiver, Evidence, Finding, ResourceRef, Severity, Status};
use ward_report::FindingsDocument;
use ward_report::csv::{CSV_COLUMNS, render_csv};
use ward_report::junit::render_junit;
use ward_report::markdown::render_markdown;
use ward_report::rule_info::{RuleInfo, SourceLocation};
use ward_report::sarif::{FINGERPRINT_KEY, render_sarif};

/// A message with everything a format must escape: a comma, quotes, a line break, markup,
/// a pipe, an ampersand and a control character.
const NASTY: &str = "port 22, \"open\" to <0.0.0.0/0> & more | see\nnext line \u{1}end";

fn finding(rule: &str, id: &str, status: Status, severity: Severity) -> Finding {
    let resource = ResourceRef {
        resource_type: "AWS::EC2::SecurityGroup".into(),
        id: id.into(),
        arn: Some(format!(
            "arn:aws:ec2:us-east-1:111122223333:security-group/{id}"
        )),
        account: Some("111122223333".into()),
        region: Some("us-east-1".into()),
    };
    Finding {
        rule: rule.into(),
        backend: "ward-lang".into(),
        fingerprint: Finding::fingerprint_of(rule, &resource),
        resource: resource.into(),
        status,
        message: format!("{} {NASTY}", status.as_str()),
        evidence: vec![
            Evidence {
                path: "configuration.ipPermissions[0].fromPort".into(),
                value: json!(22).into(),
                absent: false,
            },
            Evidence {
                path: "configuration.description".into(),
                value: Value::Null.into(),
                absent: true,
            },
        ],
        citations: ["164.312(e)(1)".to_string(), "164.312(a)(1)".to_string()].into(),
        severity,
        waiver: None,
    }
}

fn document() -> FindingsDocument {
    let mut findings = vec![
        finding("restricted-ssh", "sg-1", Status::Compliant, Severity::High),
        finding(
            "restricted-ssh",
            "sg-2",
            Status::NonCompliant,
            Severity::High,
        ),
        finding("restricted-ssh", "sg-3", Status::Error, Severity::High),
        finding(
            "restricted-ssh",
            "sg-4",
            Status::NotApplicable,
            Severity::High,
        ),
        finding("restricted-ssh", "sg-5", Status::Waived, Severity::High),
        finding("vpc-sg-open", "sg-2", Status::NonCompliant, Severity::Low),
    ];
    findings[4].waiver = Some(Box::new(AppliedWaiver {
        id: "W-7".into(),
        reason: "vendor bastion, \"temporary\", see ticket\nSEC-12".into(),
        approver: "ciso@example.org".into(),
        expires: "2027-01-31".into(),
        file: "waivers.yaml".into(),
        line: Some(3),
        original_status: Status::NonCompliant,
    }));
    let rules = vec![
        "restricted-ssh".to_string(),
        "vpc-sg-open".to_string(),
        "no-such-resources".to_string(),
    ];
    FindingsDocument::new(
        "0.1.0",
        Some("2026-11-20T09:15:00Z".into()),
        findings,
        &rules,
        5,
        vec!["no-such-resources".into()],
        Vec::new(),
    )
}

fn rule_infos() -> Vec<RuleInfo> {
    let mut rule = RuleInfo::new(
        "restricted-ssh",
        "ward-lang",
        "Security groups do not allow SSH from anywhere",
        Severity::High,
    );
    rule.citations = vec!["164.312(e)(1)".into()];
    rule.description = Some("Checks ingress rules for port 22.".into());
    rule.rationale = Some("Open SSH invites brute force.".into());
    rule.remediation = Some("Remove 0.0.0.0/0 from port 22.".into());
    rule.source = Some(SourceLocation {
        file: "<builtin>/policies/hipaa/restricted-ssh.ward".into(),
        line: 4,
    });
    vec![rule]
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let text = render_sarif(&document(), &rule_infos());
    let log: Value = serde_json::from_str(&text).unwrap();
    let schema = sarif_schema();
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "not the OASIS SARIF 2.1.0 schema"
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // And the schema does reject a broken log (the validator is not vacuous).
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_results_rules_and_suppressions() {
    let log: Value = serde_json::from_str(&render_sarif(&document(), &rule_infos())).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["no-such-resources", "restricted-ssh", "vpc-sg-open"]);
    let ssh = &rules[1];
    assert_eq!(
        ssh["shortDescription"]["text"],
        "Security groups do not allow SSH from anywhere"
    );
    assert_eq!(
        ssh["fullDescription"]["text"],
        "Checks ingress rules for port 22."
    );
    assert!(
        ssh["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Remove 0.0.0.0/0")
    );
    assert_eq!(ssh["properties"]["security-severity"], "8.0");
    assert_eq!(ssh["defaultConfiguration"]["level"], "error");
    let tags: Vec<&str> = ssh["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"HIPAA 164.312(e)(1)"), "{tags:?}");
    // A rule with no metadata is described from its findings.
    assert_eq!(rules[2]["properties"]["severity"], "low");
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "note");

    // Only NON_COMPLIANT, ERROR and WAIVED become results.
    let results = run["results"].as_array().unwrap();
    let statuses: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["properties"]["resourceId"].as_str().unwrap(),
                r["properties"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("sg-2", "NON_COMPLIANT"),
            ("sg-3", "ERROR"),
            ("sg-5", "WAIVED"),
            ("sg-2", "NON_COMPLIANT")
        ]
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(
            r["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .unwrap()
                .len(),
            32
        );
        let logical = &r["locations"][0]["logicalLocations"][0];
        assert!(
            logical["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:ec2:")
        );
        assert!(r["message"]["text"].as_str().unwrap().contains("sg-"));
    }
    // The rule's definition is the physical location (what code scanning needs).
    let physical = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "policies/hipaa/restricted-ssh.ward"
    );
    assert_eq!(physical["region"]["startLine"], 4);
    assert_eq!(results[1]["level"], "error");
    assert_eq!(results[3]["level"], "note");

    let waived = &results[2];
    let s = &waived["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert_eq!(
        s["justification"],
        "vendor bastion, \"temporary\", see ticket\nSEC-12"
    );
    assert_eq!(s["properties"]["approver"], "ciso@example.org");
    assert_eq!(s["properties"]["waiver"], "W-7");
    assert_eq!(
        s["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "waivers.yaml"
    );
    assert!(results[0].get("suppressions").is_none());
    assert_eq!(run["properties"]["summary"]["waived"], 1);
}

/// A parsed XML element.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn one<'a>(&'a self, name: &'a str) -> &'a Element {
        let v: Vec<&Element> = self.all(name).collect();
        assert_eq!(v.len(), 1, "one <{name}> in <{}>", self.name);
        v[0]
    }
    fn attr(&self, name: &str) -> &str {
        self.attrs
            .get(name)
            .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
    }
}

fn parse_xml(text: &str) -> Element {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    let element = |e: &quick_xml::events::BytesStart| Element {
        name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.unescape_value().unwrap().into_owned(),
                )
            })
            .collect(),
        ..Element::default()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(element(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => {
                let text = t.decode().unwrap();
                let text = quick_xml::escape::unescape(&text).unwrap();
                stack.last_mut().unwrap().text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                let c = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                stack.last_mut().unwrap().text.push_str(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().unwrap()
}

#[test]
fn junit_parses_with_a_suite_per_rule_and_a_case_per_resource() {
    let text = render_junit(&document(), &rule_infos());
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let root = parse_xml(&text);
    assert_eq!(root.name, "testsuites");
    assert_eq!(
        (
            root.attr("tests"),
            root.attr("failures"),
            root.attr("errors"),
            root.attr("skipped")
        ),
        ("6", "2", "1", "2")
    );
    let suites: Vec<&Element> = root.all("testsuite").collect();
    let names: Vec<&str> = suites.iter().map(|s| s.attr("name")).collect();
    assert_eq!(
        names,
        ["no-such-resources", "restricted-ssh", "vpc-sg-open"]
    );
    assert_eq!(suites[0].attr("tests"), "0");
    assert!(
        suites[0]
            .one("system-out")
            .text
            .contains("nothing was checked")
    );

    let ssh = suites[1];
    assert_eq!(
        (
            ssh.attr("tests"),
            ssh.attr("failures"),
            ssh.attr("errors"),
            ssh.attr("skipped")
        ),
        ("5", "1", "1", "2")
    );
    let props: Vec<(&str, &str)> = ssh
        .one("properties")
        .all("property")
        .map(|p| (p.attr("name"), p.attr("value")))
        .collect();
    assert!(props.contains(&("severity", "high")), "{props:?}");
    assert!(props.contains(&("hipaa", "164.312(e)(1)")), "{props:?}");
    let cases: Vec<&Element> = ssh.all("testcase").collect();
    assert_eq!(cases.len(), 5);
    assert_eq!(
        cases[0].attr("name"),
        "AWS::EC2::SecurityGroup sg-1 (111122223333, us-east-1)"
    );
    assert_eq!(cases[0].attr("classname"), "ward.restricted-ssh");
    assert!(cases[0].children.is_empty(), "a compliant case is a pass");

    let failure = cases[1].one("failure");
    assert_eq!(failure.attr("type"), "NON_COMPLIANT");
    // The message survives whole (line breaks become spaces in an attribute; the control
    // character becomes U+FFFD).
    assert_eq!(
        failure.attr("message"),
        "NON_COMPLIANT port 22, \"open\" to <0.0.0.0/0> & more | see next line \u{FFFD}end"
    );
    assert!(
        failure
            .text
            .contains("configuration.ipPermissions[0].fromPort = 22")
    );
    assert!(
        failure
            .text
            .contains("configuration.description = <absent>")
    );
    assert!(failure.text.contains("HIPAA: 164.312(e)(1), 164.312(a)(1)"));

    let error = cases[2].one("error");
    assert_eq!(error.attr("type"), "ERROR");
    assert!(
        cases[3]
            .one("skipped")
            .attr("message")
            .starts_with("not applicable: ")
    );
    let waived = cases[4].one("skipped");
    assert_eq!(
        waived.attr("message"),
        "waived by `W-7` (approved by ciso@example.org, expires 2027-01-31): vendor bastion, \"temporary\", see ticket SEC-12"
    );
    assert!(waived.text.contains("fromPort = 22"));
}

#[test]
fn csv_parses_back_field_for_field() {
    let doc = document();
    let text = render_csv(&doc).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), doc.findings.len(), "every status has a row");
    let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
    for (row, f) in rows.iter().zip(&doc.findings) {
        assert_eq!(&row[col("rule")], f.rule);
        assert_eq!(&row[col("status")], f.status.as_str());
        assert_eq!(&row[col("resource_id")], f.resource.id);
        assert_eq!(&row[col("message")], f.message, "commas, quotes, newlines");
        assert_eq!(&row[col("fingerprint")], f.fingerprint);
        assert_eq!(&row[col("citations")], "164.312(e)(1); 164.312(a)(1)");
        assert_eq!(
            &row[col("evidence")],
            "configuration.ipPermissions[0].fromPort = 22; configuration.description = <absent>"
        );
    }
    let waived = &rows[4];
    assert_eq!(&waived[col("status")], "WAIVED");
    assert_eq!(&waived[col("waiver_id")], "W-7");
    assert_eq!(
        &waived[col("waiver_reason")],
        "vendor bastion, \"temporary\", see ticket\nSEC-12"
    );
    assert_eq!(&waived[col("waiver_approver")], "ciso@example.org");
    assert_eq!(&waived[col("waiver_expires")], "2027-01-31");
    assert_eq!(&waived[col("waiver_file")], "waivers.yaml:3");
    assert_eq!(&waived[col("original_status")], "NON_COMPLIANT");
    assert_eq!(&rows[1][col("waiver_id")], "");
}

/// The cells of a Markdown table row, split on unescaped pipes.
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in line.trim().trim_matches('|').chars() {
        match c {
            '|' if !escaped => out.push(String::new()),
            c => {
                escaped = c == '\\' && !escaped;
                out.last_mut().unwrap().push(c);
            }
        }
    }
    out
}

#[test]
fn markdown_tables_hold_their_shape_and_name_the_waiver() {
    let text = render_markdown(&document(), &rule_infos());
    assert!(text.contains("### `restricted-ssh`: Security groups do not allow SSH from anywhere"));
    assert!(text.contains("## Waived findings"));
    assert!(text.contains("ciso@example.org"));
    assert!(text.contains("`W-7`"));
    assert!(text.contains("Remediation: Remove 0.0.0.0/0 from port 22."));
    assert!(!text.contains("<0.0.0.0/0>"), "markup is escaped");
    // Every table row has as many cells as its header.
    let mut width = None;
    for line in text.lines() {
        if !line.starts_with('|') {
            width = None;
            continue;
        }
        let n = cells(line).len();
        match width {
            None => width = Some(n),
            Some(w) => assert_eq!(n, w, "row with a wrong cell count: {line}"),
        }
    }
    // Listed: failing and waived; the compliant and not-applicable ones are only counted.
    assert!(text.contains("`sg-2`") && text.contains("`sg-3`") && text.contains("`sg-5`"));
    assert!(!text.contains("`sg-1`") && !text.contains("`sg-4`"));
    assert!(text.contains("`no-such-resources`"));
}

#[test]
fn same_document_same_bytes() {
    let (a, b) = (document(), document());
    let r = rule_infos();
    assert_eq!(render_sarif(&a, &r), render_sarif(&b, &r));
    assert_eq!(render_junit(&a, &r), render_junit(&b, &r));
    assert_eq!(render_csv(&a).unwrap(), render_csv(&b).unwrap());
    assert_eq!(render_markdown(&a, &r), render_markdown(&b, &r));
}
