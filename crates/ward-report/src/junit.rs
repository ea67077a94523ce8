//! JUnit XML (`ward check --format junit`), as CI dashboards read it (Jenkins, GitLab,
//! Azure DevOps, the JUnit report actions).
//!
//! `<testsuites>` holds one `<testsuite>` per rule (`name` the rule id, with its severity and
//! HIPAA citations as `<properties>`), and each suite one `<testcase>` per resource
//! (`classname` `ward.RULE`, `name` `TYPE ID`, with account and Region when known):
//!
//! - `COMPLIANT`: a passing test case;
//! - `NON_COMPLIANT`: `<failure message="..." type="NON_COMPLIANT">` with the evidence;
//! - `ERROR`: `<error message="..." type="ERROR">` with the evidence;
//! - `WAIVED`: `<skipped message="waived by ...: REASON">` naming the waiver, its approver
//!   and expiry;
//! - `NOT_APPLICABLE`: `<skipped message="not applicable: ...">`.
//!
//! Counts (`tests`, `failures`, `errors`, `skipped`) are on every suite and on the root.
//! Attribute values are single-line (line breaks become spaces); element text keeps them.
//! Characters XML 1.0 cannot carry are replaced by U+FFFD.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use ward_model::{Finding, Status};

use crate::FindingsDocument;
use crate::rule_info::{self, RuleInfo};

/// The JUnit XML report of a run. `rules` gives rule titles (as a suite property).
pub fn render_junit(doc: &FindingsDocument, rules: &[RuleInfo]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; the results are ignored for that reason.
    let _ = write_doc(&mut w, doc, rules);
    let mut text = String::from_utf8_lossy(&w.into_inner()).into_owned();
    text.push('\n');
    text
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, f: &Finding) {
        self.tests += 1;
        match f.status {
            Status::NonCompliant => self.failures += 1,
            Status::Error => self.errors += 1,
            Status::Waived | Status::NotApplicable => self.skipped += 1,
            Status::Compliant => {}
        }
    }

    fn attrs<'a>(&self, start: BytesStart<'a>) -> BytesStart<'a> {
        start.with_attributes([
            ("tests", self.tests.to_string().as_str()),
            ("failures", self.failures.to_string().as_str()),
            ("errors", self.errors.to_string().as_str()),
            ("skipped", self.skipped.to_string().as_str()),
            ("time", "0"),
        ])
    }
}

fn write_doc(
    w: &mut Writer<Vec<u8>>,
    doc: &FindingsDocument,
    rules: &[RuleInfo],
) -> std::io::Result<()> {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for r in &doc.summary.by_rule {
        by_rule.entry(&r.rule).or_default();
    }
    for f in &doc.findings {
        by_rule.entry(&f.rule).or_default().push(f);
    }
    let mut total = Counts::default();
    for f in &doc.findings {
        total.add(f);
    }
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = total.attrs(BytesStart::new("testsuites").with_attributes([("name", "ward")]));
    w.write_event(Event::Start(root))?;
    for (rule, findings) in &by_rule {
        let mut counts = Counts::default();
        for f in findings {
            counts.add(f);
        }
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", attr(rule).as_str()));
        let mut suite = counts.attrs(suite);
        if let Some(t) = &doc.as_of {
            suite.push_attribute(("timestamp", attr(t).as_str()));
        }
        w.write_event(Event::Start(suite))?;
        write_properties(w, findings.first().copied(), rule_info::find(rules, rule))?;
        for f in findings {
            write_case(w, f)?;
        }
        if findings.is_empty()
            && doc
                .summary
                .rules_without_resources
                .iter()
                .any(|r| r == rule)
        {
            text_element(
                w,
                "system-out",
                "no resource of this rule's types in the inventory: nothing was checked",
            )?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(())
}

fn write_properties(
    w: &mut Writer<Vec<u8>>,
    first: Option<&Finding>,
    info: Option<&RuleInfo>,
) -> std::io::Result<()> {
    let mut props: Vec<(&str, String)> = Vec::new();
    if let Some(i) = info {
        props.push(("title", i.title.clone()));
    }
    let severity = info
        .map(|i| i.severity)
        .or(first.map(|f| f.severity))
        .map(|s| s.as_str().to_string());
    if let Some(s) = severity {
        props.push(("severity", s));
    }
    let citations = info
        .map(|i| i.citations.clone())
        .or(first.map(|f| f.citations.to_vec()))
        .unwrap_or_default();
    for c in citations {
        props.push(("hipaa", c));
    }
    if props.is_empty() {
        return Ok(());
    }
    w.write_event(Event::Start(BytesStart::new("properties")))?;
    for (name, value) in props {
        let p = BytesStart::new("property")
            .with_attributes([("name", name), ("value", attr(&value).as_str())]);
        w.write_event(Event::Empty(p))?;
    }
    w.write_event(Event::End(BytesEnd::new("properties")))?;
    Ok(())
}

fn case_name(f: &Finding) -> String {
    let r = &f.resource;
    let mut name = format!("{} {}", r.resource_type, r.id);
    match (&r.account, &r.region) {
        (Some(a), Some(g)) => name.push_str(&format!(" ({a}, {g})")),
        (Some(a), None) => name.push_str(&format!(" ({a})")),
        (None, Some(g)) => name.push_str(&format!(" ({g})")),
        (None, None) => {}
    }
    name
}

/// The evidence as lines of `path = value`.
fn evidence_text(f: &Finding) -> String {
    let mut out = String::new();
    if let Some(arn) = &f.resource.arn {
        out.push_str(&format!("resource: {arn}\n"));
    }
    if !f.citations.is_empty() {
        out.push_str(&format!("HIPAA: {}\n", f.citations.join(", ")));
    }
    for e in &f.evidence {
        let value = if e.absent {
            "<absent>".to_string()
        } else {
            e.value.to_string()
        };
        out.push_str(&format!("{} = {value}\n", e.path));
    }
    out.push_str(&format!("fingerprint: {}", f.fingerprint));
    out
}

fn write_case(w: &mut Writer<Vec<u8>>, f: &Finding) -> std::io::Result<()> {
    let case = BytesStart::new("testcase").with_attributes([
        ("classname", attr(&format!("ward.{}", f.rule)).as_str()),
        ("name", attr(&case_name(f)).as_str()),
        ("time", "0"),
    ]);
    let (tag, message, body) = match f.status {
        Status::Compliant => {
            w.write_event(Event::Empty(case))?;
            return Ok(());
        }
        Status::NonCompliant => ("failure", f.message.clone(), Some(evidence_text(f))),
        Status::Error => ("error", f.message.clone(), Some(evidence_text(f))),
        Status::NotApplicable => ("skipped", format!("not applicable: {}", f.message), None),
        Status::Waived => {
            let m = match &f.waiver {
                Some(wv) => format!(
                    "waived by `{}` (approved by {}, expires {}): {}",
                    wv.id, wv.approver, wv.expires, wv.reason
                ),
                None => "waived".to_string(),
            };
            let body = format!("{}\n{}", f.message, evidence_text(f));
            ("skipped", m, Some(body))
        }
    };
    w.write_event(Event::Start(case))?;
    let mut el = BytesStart::new(tag);
    el.push_attribute(("message", attr(&message).as_str()));
    if tag != "skipped" {
        el.push_attribute(("type", f.status.as_str()));
    }
    match body {
        Some(text) => {
            w.write_event(Event::Start(el))?;
            w.write_event(Event::Text(BytesText::new(&clean(&text))))?;
            w.write_event(Event::End(BytesEnd::new(tag)))?;
        }
        None => w.write_event(Event::Empty(el))?,
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))?;
    Ok(())
}

fn text_element(w: &mut Writer<Vec<u8>>, tag: &str, text: &str) -> std::io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(tag)))?;
    w.write_event(Event::Text(BytesText::new(&clean(text))))?;
    w.write_event(Event::End(BytesEnd::new(tag)))?;
    Ok(())
}

/// Text XML 1.0 can carry: control characters other than tab and line breaks become U+FFFD.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// An attribute value: clean, on one line (a parser would turn line breaks into spaces).
fn attr(text: &str) -> String {
    clean(text)
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect()
}
