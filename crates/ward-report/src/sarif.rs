//! SARIF 2.1.0 (`ward check --format sarif`), as GitHub code scanning reads it.
//!
//! One run. `tool.driver.rules` has every rule that ran, with its title, description,
//! remediation (as `help`), default level and, in `properties`, its severity, HIPAA
//! citations (also as tags) and `security-severity`. Only failing findings become results:
//! `NON_COMPLIANT` and `ERROR`, and `WAIVED` ones with a `suppressions` entry (kind
//! `external`, the waiver's reason as justification, its approver and expiry as properties).
//! `COMPLIANT` and `NOT_APPLICABLE` findings are counted in the run's properties only.
//!
//! Each result's physical location is the rule's definition (file and line): code scanning
//! needs a file in the repository, and the AWS resource has none; the resource itself is a
//! logical location (kind `resource`, its ARN or `type/account/region/id`). The finding's
//! fingerprint is the result's `partialFingerprints["wardFindingFingerprint/v1"]`, so an
//! alert follows its resource across runs. See `docs/output-formats.md`.

use serde_json::{Map, Value, json};
use ward_model::{Finding, Severity, Status};

use crate::FindingsDocument;
use crate::rule_info::{self, RuleInfo};

/// The `$schema` of the documents written.
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of Ward's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "wardFindingFingerprint/v1";

/// How many tags a rule gets (GitHub code scanning shows 10).
const MAX_TAGS: usize = 10;

/// The prefix the built-in pack's files carry; stripped in URIs (`policies/hipaa/...`).
const BUILTIN_PREFIX: &str = "<builtin>/";

/// The SARIF log of a run. `rules` gives titles, descriptions, remediation and rule
/// locations (from the pack); a rule missing from it is described from its findings only.
pub fn render_sarif(doc: &FindingsDocument, rules: &[RuleInfo]) -> String {
    let mut text = serde_json::to_string_pretty(&sarif_log(doc, rules))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// The SARIF log as a JSON value.
pub fn sarif_log(doc: &FindingsDocument, rules: &[RuleInfo]) -> Value {
    // The rules that ran, in the summary's (sorted) order, then any rule only findings name.
    let mut ids: Vec<&str> = doc
        .summary
        .by_rule
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    for f in &doc.findings {
        if !ids.contains(&f.rule.as_str()) {
            ids.push(&f.rule);
        }
    }
    let descriptors: Vec<Value> = ids
        .iter()
        .map(|id| {
            let first = doc.findings.iter().find(|f| f.rule == *id);
            descriptor(id, rule_info::find(rules, id), first)
        })
        .collect();
    let results: Vec<Value> = doc
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.status,
                Status::NonCompliant | Status::Error | Status::Waived
            )
        })
        .map(|f| {
            let index = ids.iter().position(|id| *id == f.rule);
            result(f, index, rule_info::find(rules, &f.rule))
        })
        .collect();
    let notifications: Vec<Value> = doc
        .input_problems
        .iter()
        .map(|p| {
            let mut text = p.file.clone();
            if let Some(i) = p.item {
                text.push_str(&format!(" item {i}"));
            }
            if let Some(id) = &p.resource_id {
                text.push_str(&format!(" ({id})"));
            }
            text.push_str(": ");
            text.push_str(&p.message);
            json!({
                "level": if p.severity == "error" { "error" } else { "warning" },
                "message": {"text": text},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": path_to_uri(&p.file)}}}],
            })
        })
        .collect();
    let s = &doc.summary;
    let mut run_properties = Map::new();
    if let Some(as_of) = &doc.as_of {
        run_properties.insert("asOf".into(), json!(as_of));
    }
    run_properties.insert(
        "summary".into(),
        json!({
            "resources": s.resources,
            "rules": s.rules,
            "findings": s.findings,
            "compliant": s.compliant,
            "nonCompliant": s.non_compliant,
            "notApplicable": s.not_applicable,
            "error": s.error,
            "waived": s.waived,
            "rulesWithoutResources": s.rules_without_resources,
        }),
    );
    let mut invocation = Map::new();
    invocation.insert(
        "executionSuccessful".into(),
        json!(!doc.input_problems.iter().any(|p| p.severity == "error")),
    );
    if !notifications.is_empty() {
        invocation.insert("toolExecutionNotifications".into(), json!(notifications));
    }
    json!({
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "Ward",
                "fullName": format!("Ward {} (HIPAA controls on AWS)", doc.ward_version),
                "version": doc.ward_version,
                "semanticVersion": doc.ward_version,
                "rules": descriptors,
            }},
            "invocations": [invocation],
            "results": results,
            "properties": run_properties,
        }],
    })
}

/// The SARIF level of a failing finding of this severity.
pub fn level_of(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score (critical > 9.0, high 7.0-8.9, medium 4.0-6.9,
/// low 0.1-3.9); none for `info`.
fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

fn descriptor(id: &str, info: Option<&RuleInfo>, first: Option<&Finding>) -> Value {
    let severity = info
        .map(|i| i.severity)
        .or(first.map(|f| f.severity))
        .unwrap_or(Severity::Medium);
    let citations: Vec<String> = info
        .map(|i| i.citations.clone())
        .or(first.map(|f| f.citations.to_vec()))
        .unwrap_or_default();
    let title = info.map_or(id, |i| i.title.as_str());
    let full = info
        .and_then(|i| i.description.as_deref().or(i.rationale.as_deref()))
        .unwrap_or(title);
    let mut d = Map::new();
    d.insert("id".into(), json!(id));
    d.insert("name".into(), json!(id));
    d.insert("shortDescription".into(), json!({"text": title}));
    d.insert("fullDescription".into(), json!({"text": full}));
    if let Some(i) = info {
        let mut text = String::new();
        let mut markdown = format!("**{}**\n\n", i.title);
        if let Some(r) = &i.rationale {
            text.push_str(&format!("Why: {r}\n"));
            markdown.push_str(&format!("{r}\n\n"));
        }
        if let Some(r) = &i.remediation {
            text.push_str(&format!("Remediation: {r}\n"));
            markdown.push_str(&format!("**Remediation:** {r}\n\n"));
        }
        if !citations.is_empty() {
            text.push_str(&format!("HIPAA: {}\n", citations.join(", ")));
            markdown.push_str(&format!("**HIPAA:** {}\n", citations.join(", ")));
        }
        if !text.is_empty() {
            d.insert(
                "help".into(),
                json!({"text": text.trim_end(), "markdown": markdown.trim_end()}),
            );
        }
    }
    d.insert(
        "defaultConfiguration".into(),
        json!({"level": level_of(severity)}),
    );
    // GitHub keeps at most 10 tags per rule (and rejects more than 20): the full list of
    // citations is in `hipaa`.
    let mut tags = vec!["security".to_string(), "HIPAA".to_string()];
    tags.extend(citations.iter().map(|c| format!("HIPAA {c}")));
    tags.truncate(MAX_TAGS);
    let mut props = Map::new();
    props.insert("tags".into(), json!(tags));
    props.insert("severity".into(), json!(severity.as_str()));
    props.insert("hipaa".into(), json!(citations));
    if let Some(score) = security_severity(severity) {
        props.insert("security-severity".into(), json!(score));
    }
    props.insert("precision".into(), json!("very-high"));
    if let Some(src) = info.and_then(|i| i.source.as_ref()) {
        props.insert(
            "source".into(),
            json!(format!("{}:{}", path_to_uri(&src.file), src.line)),
        );
    }
    d.insert("properties".into(), Value::Object(props));
    Value::Object(d)
}

fn result(f: &Finding, rule_index: Option<usize>, info: Option<&RuleInfo>) -> Value {
    let r = &f.resource;
    let level = match f.status {
        Status::Error => "error",
        _ => level_of(f.severity),
    };
    let mut place = format!("{} `{}`", r.resource_type, r.id);
    match (&r.account, &r.region) {
        (Some(a), Some(g)) => place.push_str(&format!(" (account {a}, {g})")),
        (Some(a), None) => place.push_str(&format!(" (account {a})")),
        (None, Some(g)) => place.push_str(&format!(" ({g})")),
        (None, None) => {}
    }
    let what = match f.status {
        Status::Error => format!("could not be evaluated: {}", f.message),
        _ => f.message.clone(),
    };
    let qualified = r.arn.clone().unwrap_or_else(|| {
        format!(
            "{}/{}/{}/{}",
            r.resource_type,
            r.account.as_deref().unwrap_or(""),
            r.region.as_deref().unwrap_or(""),
            r.id
        )
    });
    let mut location = Map::new();
    if let Some(src) = info.and_then(|i| i.source.as_ref()) {
        location.insert(
            "physicalLocation".into(),
            json!({
                "artifactLocation": {"uri": path_to_uri(&src.file)},
                "region": {"startLine": src.line.max(1)},
            }),
        );
    }
    location.insert(
        "logicalLocations".into(),
        json!([{"name": r.id, "fullyQualifiedName": qualified, "kind": "resource"}]),
    );
    let mut res = Map::new();
    res.insert("ruleId".into(), json!(f.rule));
    if let Some(i) = rule_index {
        res.insert("ruleIndex".into(), json!(i));
    }
    res.insert("kind".into(), json!("fail"));
    res.insert("level".into(), json!(level));
    res.insert(
        "message".into(),
        json!({"text": format!("{place}: {what}")}),
    );
    res.insert("locations".into(), json!([location]));
    res.insert(
        "partialFingerprints".into(),
        json!({FINGERPRINT_KEY: f.fingerprint}),
    );
    if f.status == Status::Waived {
        res.insert("suppressions".into(), json!([suppression(f)]));
    }
    let mut props = Map::new();
    props.insert("status".into(), json!(f.status.as_str()));
    props.insert("severity".into(), json!(f.severity.as_str()));
    props.insert("resourceType".into(), json!(r.resource_type));
    props.insert("resourceId".into(), json!(r.id));
    if let Some(arn) = &r.arn {
        props.insert("arn".into(), json!(arn));
    }
    if let Some(a) = &r.account {
        props.insert("account".into(), json!(a));
    }
    if let Some(g) = &r.region {
        props.insert("region".into(), json!(g));
    }
    props.insert("hipaa".into(), json!(f.citations));
    props.insert("evidence".into(), json!(f.evidence));
    props.insert("backend".into(), json!(f.backend));
    res.insert("properties".into(), Value::Object(props));
    Value::Object(res)
}

fn suppression(f: &Finding) -> Value {
    let mut s = Map::new();
    s.insert("kind".into(), json!("external"));
    s.insert("status".into(), json!("accepted"));
    match &f.waiver {
        Some(w) => {
            s.insert("justification".into(), json!(w.reason));
            if let Some(line) = w.line {
                s.insert(
                    "location".into(),
                    json!({"physicalLocation": {
                        "artifactLocation": {"uri": path_to_uri(&w.file)},
                        "region": {"startLine": line.max(1)},
                    }}),
                );
            }
            s.insert(
                "properties".into(),
                json!({
                    "waiver": w.id,
                    "approver": w.approver,
                    "expires": w.expires,
                    "file": w.file,
                    "originalStatus": w.original_status.as_str(),
                }),
            );
        }
        None => {
            s.insert("justification".into(), json!("waived"));
        }
    }
    Value::Object(s)
}

/// A file name as a URI reference: a relative path stays relative (with `/` separators,
/// percent-encoded), an absolute one becomes a `file://` URI, and the built-in pack's
/// `<builtin>/policies/hipaa/NAME.ward` becomes `policies/hipaa/NAME.ward`.
pub fn path_to_uri(file: &str) -> String {
    let file = file.strip_prefix(BUILTIN_PREFIX).unwrap_or(file);
    let file = file.replace('\\', "/");
    let file = file.strip_prefix("./").unwrap_or(&file);
    let absolute = file.starts_with('/');
    let mut out = String::new();
    if absolute {
        out.push_str("file://");
    }
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            path_to_uri("<builtin>/policies/hipaa/restricted-ssh.ward"),
            "policies/hipaa/restricted-ssh.ward"
        );
        assert_eq!(path_to_uri("./my rules/a:b.ward"), "my%20rules/a%3Ab.ward");
        assert_eq!(path_to_uri("/abs/x.ward"), "file:///abs/x.ward");
        assert_eq!(path_to_uri("dir\\x.ward"), "dir/x.ward");
    }

    #[test]
    fn levels() {
        assert_eq!(level_of(Severity::Critical), "error");
        assert_eq!(level_of(Severity::Medium), "warning");
        assert_eq!(level_of(Severity::Info), "note");
    }
}
