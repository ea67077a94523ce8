//! Markdown (`ward check --format markdown`): a summary for a pull request comment, a CI
//! job summary or a wiki page.
//!
//! The totals; one table per rule with failing findings (`NON_COMPLIANT` and `ERROR`, with
//! their evidence); the `WAIVED` findings with the waiver's id, approver, expiry and reason;
//! what became of each waiver (applied, expired, stale); per-rule counts; rules that selected
//! no resource; input problems; redactions. `COMPLIANT` and `NOT_APPLICABLE` findings are
//! counted, not listed. Text from the input is escaped so that it cannot break a table or
//! inject markup.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ward_model::{Finding, Status};

use crate::FindingsDocument;
use crate::rule_info::{self, RuleInfo};

/// The Markdown report of a run. `rules` gives rule titles.
pub fn render_markdown(doc: &FindingsDocument, rules: &[RuleInfo]) -> String {
    let mut out = String::new();
    let s = &doc.summary;
    out.push_str("# Ward findings\n\n");
    match &doc.as_of {
        Some(t) => {
            let _ = writeln!(
                out,
                "Ward {}, evaluated as of {}.\n",
                cell(&doc.ward_version),
                cell(t)
            );
        }
        None => {
            let _ = writeln!(out, "Ward {}.\n", cell(&doc.ward_version));
        }
    }
    out.push_str("| | count |\n|---|---:|\n");
    for (label, n) in [
        ("resources", s.resources),
        ("rules", s.rules),
        ("findings", s.findings),
        ("compliant", s.compliant),
        ("**non-compliant**", s.non_compliant),
        ("**error** (could not be evaluated)", s.error),
        ("waived", s.waived),
        ("not applicable", s.not_applicable),
    ] {
        let _ = writeln!(out, "| {label} | {n} |");
    }
    out.push('\n');

    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &doc.findings {
        by_rule.entry(&f.rule).or_default().push(f);
    }

    let failing: Vec<(&str, Vec<&Finding>)> = by_rule
        .iter()
        .map(|(rule, fs)| {
            let bad: Vec<&Finding> = fs
                .iter()
                .copied()
                .filter(|f| matches!(f.status, Status::NonCompliant | Status::Error))
                .collect();
            (*rule, bad)
        })
        .filter(|(_, bad)| !bad.is_empty())
        .collect();
    out.push_str("## Failing findings\n\n");
    if failing.is_empty() {
        out.push_str("None: no resource is non-compliant and every rule could be evaluated.\n\n");
    }
    for (rule, bad) in &failing {
        let info = rule_info::find(rules, rule);
        let head = bad.first();
        let title = info
            .map(|i| format!(": {}", cell(&i.title)))
            .unwrap_or_default();
        let severity = head.map(|f| f.severity.as_str()).unwrap_or("");
        let citations = head.map(|f| f.citations.join(", ")).unwrap_or_default();
        let _ = writeln!(out, "### `{}`{title}\n", code(rule));
        let _ = writeln!(
            out,
            "Severity {severity}; HIPAA {}; {} failing.\n",
            cell(&citations),
            bad.len()
        );
        out.push_str("| status | resource | account | region | message | evidence |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for f in bad {
            let r = &f.resource;
            let _ = writeln!(
                out,
                "| {} | {} `{}` | {} | {} | {} | {} |",
                f.status.as_str(),
                cell(&r.resource_type),
                code(&r.id),
                cell(r.account.as_deref().unwrap_or("")),
                cell(r.region.as_deref().unwrap_or("")),
                cell(&f.message),
                evidence(f)
            );
        }
        if let Some(rem) = info.and_then(|i| i.remediation.as_deref()) {
            let _ = writeln!(out, "\nRemediation: {}", cell(rem));
        }
        out.push('\n');
    }

    let waived: Vec<&Finding> = doc
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if !waived.is_empty() {
        out.push_str("## Waived findings\n\n");
        out.push_str("Failing findings covered by a reviewed, unexpired waiver: they do not fail the run.\n\n");
        out.push_str(
            "| rule | resource | was | waiver | approver | expires | reason | message |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for f in waived {
            let w = f.waiver.as_ref();
            let _ = writeln!(
                out,
                "| `{}` | {} `{}` | {} | {} | {} | {} | {} | {} |",
                code(&f.rule),
                cell(&f.resource.resource_type),
                code(&f.resource.id),
                w.map(|w| w.original_status.as_str()).unwrap_or(""),
                w.map(|w| format!("`{}`", code(&w.id))).unwrap_or_default(),
                cell(w.map(|w| w.approver.as_str()).unwrap_or("")),
                cell(w.map(|w| w.expires.as_str()).unwrap_or("")),
                cell(w.map(|w| w.reason.as_str()).unwrap_or("")),
                cell(&f.message)
            );
        }
        out.push('\n');
    }

    if !doc.waivers.is_empty() {
        out.push_str("## Waivers\n\n");
        out.push_str("| waiver | rule | state | findings | approver | expires | reason | file |\n");
        out.push_str("|---|---|---|---:|---|---|---|---|\n");
        for w in &doc.waivers {
            let state = w.state.as_str();
            let file = w.location();
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {state} | {} | {} | {} | {} | {} |",
                code(&w.id),
                code(&w.rule),
                w.findings,
                cell(&w.approver),
                cell(&w.expires),
                cell(&w.reason),
                cell(&file)
            );
        }
        out.push('\n');
    }

    out.push_str("## Per rule\n\n");
    out.push_str("| rule | compliant | non-compliant | error | waived | not applicable |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|\n");
    for r in &s.by_rule {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            code(&r.rule),
            r.compliant,
            r.non_compliant,
            r.error,
            r.waived,
            r.not_applicable
        );
    }
    out.push('\n');

    if !s.rules_without_resources.is_empty() {
        out.push_str("## Rules with no resource in the inventory\n\n");
        out.push_str("Nothing was checked for these: their resource types are absent.\n\n");
        for r in &s.rules_without_resources {
            let _ = writeln!(out, "- `{}`", code(r));
        }
        out.push('\n');
    }

    if !doc.input_problems.is_empty() {
        out.push_str("## Input problems\n\n");
        for p in &doc.input_problems {
            let mut at = String::new();
            if let Some(i) = p.item {
                at.push_str(&format!(" item {i}"));
            }
            if let Some(id) = &p.resource_id {
                at.push_str(&format!(" (`{}`)", code(id)));
            }
            let _ = writeln!(
                out,
                "- {} in `{}`{at}: {}",
                cell(&p.severity),
                code(&p.file),
                cell(&p.message)
            );
        }
        out.push('\n');
    }

    if !doc.redactions.is_empty() {
        out.push_str("## Redacted secrets\n\n");
        out.push_str("Removed from the input before evaluation (the values are not kept).\n\n");
        out.push_str("| resource | path | kind |\n|---|---|---|\n");
        for r in &doc.redactions {
            let _ = writeln!(
                out,
                "| {} `{}` | `{}` | {} |",
                cell(&r.resource_type),
                code(&r.resource_id),
                code(&r.path),
                cell(&r.kind)
            );
        }
        out.push('\n');
    }
    out
}

fn evidence(f: &Finding) -> String {
    f.evidence
        .iter()
        .map(|e| {
            let value = if e.absent {
                "<absent>".to_string()
            } else {
                e.value.to_string()
            };
            format!("`{}` = `{}`", code(&e.path), code(&value))
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Text for a table cell or a line: Markdown and HTML punctuation escaped, line breaks as
/// `<br>`, so input text cannot break the table or add markup.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span in a table: backticks and pipes cannot be escaped there by
/// backslash in every renderer, so they are replaced (`'` and `¦`), and lines are joined.
pub fn code(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}
