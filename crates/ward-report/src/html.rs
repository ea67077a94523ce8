//! `report.html`: one self-contained page for an auditor (inline CSS, no script, no web
//! font, no external reference), readable offline and printable.
//!
//! Order: the run (version, evaluation time, inventory, counts), the HIPAA citations by
//! safeguard and the attestations to collect, then rule by rule the failing, error and waived
//! findings with their evidence; waivers, redactions and input problems follow. Every piece of
//! text from the findings is escaped: resource data is untrusted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use ward_model::{Evidence, Finding, Json, Severity, Status, WaiverState};

use crate::FindingsDocument;
use crate::controls::{CitationReport, CitationStatus, ControlsReport};

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An `id` attribute value (and its `#` link) for any text: letters, digits, `-` and `_`
/// are kept, the rest becomes `_` followed by the code point.
fn anchor(prefix: &str, text: &str) -> String {
    let mut out = String::from(prefix);
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else {
            let _ = write!(out, "_{:x}", u32::from(c));
        }
    }
    out
}

const CSS: &str = r#"
:root {
  --ink: #1d232b; --muted: #5b6573; --faint: #8a93a0; --rule: #d9dee5; --band: #f4f6f8;
  --pass: #17694a; --pass-bg: #e6f2ec;
  --fail: #a4262c; --fail-bg: #fbeaea;
  --error: #6b3fa0; --error-bg: #f1ebf8;
  --waived: #8a5a00; --waived-bg: #fdf3dc;
  --na: #5b6573; --na-bg: #eef0f3;
  --attest: #1f5c99; --attest-bg: #e8f0f9;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 -apple-system, "Segoe UI", "Helvetica Neue", Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
}
main { max-width: 1120px; margin: 0 auto; padding: 40px 40px 64px; }
h1, h2, h3, h4 { line-height: 1.25; margin: 0; font-weight: 600; }
h1 { font-size: 26px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 48px 0 6px; padding-bottom: 8px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 28px 0 10px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.06em; }
p { margin: 8px 0; }
a { color: var(--attest); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono, pre {
  font-family: "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
  font-size: 13px;
}
pre { margin: 0; white-space: pre-wrap; word-break: break-all; }
.lead { color: var(--muted); margin-top: 6px; }
.note { color: var(--muted); font-size: 14px; }
header.report { border-bottom: 1px solid var(--rule); padding-bottom: 24px; }
.eyebrow { font-size: 12px; font-weight: 600; letter-spacing: 0.12em; text-transform: uppercase; color: var(--muted); margin-bottom: 6px; }
dl.facts { display: grid; grid-template-columns: 1.1fr 1.5fr 1.1fr 0.8fr; gap: 0; margin: 22px 0 0; border: 1px solid var(--rule); border-radius: 6px; overflow: hidden; }
dl.facts div { padding: 10px 14px; border-right: 1px solid var(--rule); }
dl.facts div:last-child { border-right: 0; }
dl.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.06em; }
dl.facts dd { margin: 2px 0 0; font-size: 15px; font-weight: 600; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 18px 0 0; }
.tile { border: 1px solid var(--rule); border-top-width: 4px; border-radius: 6px; padding: 10px 14px; }
.tile .n { font-size: 28px; font-weight: 650; line-height: 1.1; font-variant-numeric: tabular-nums; }
.tile .l { font-size: 13px; color: var(--muted); }
.tile.fail { border-top-color: var(--fail); } .tile.fail .n { color: var(--fail); }
.tile.error { border-top-color: var(--error); } .tile.error .n { color: var(--error); }
.tile.waived { border-top-color: var(--waived); } .tile.waived .n { color: var(--waived); }
.tile.pass { border-top-color: var(--pass); } .tile.pass .n { color: var(--pass); }
.tile.na { border-top-color: var(--faint); } .tile.na .n { color: var(--na); }
.tile.attest { border-top-color: var(--attest); border-top-style: dotted; } .tile.attest .n { color: var(--attest); }
.tiles-label { margin: 22px 0 0; font-size: 13px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.06em; }
nav.toc { margin: 24px 0 0; font-size: 14px; }
nav.toc a { margin-right: 18px; }
table { width: 100%; border-collapse: collapse; margin: 8px 0 0; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--rule); }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.05em; border-bottom: 1.5px solid var(--faint); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.zero { color: var(--faint); }
tbody tr:nth-child(even) td { background: #fafbfc; }
.badge {
  display: inline-block; white-space: nowrap; font-size: 11.5px; font-weight: 700; letter-spacing: 0.04em;
  padding: 1px 7px; border-radius: 3px; border: 1.5px solid currentColor; line-height: 1.5;
}
.badge::before { margin-right: 4px; font-weight: 700; }
.s-pass { color: var(--pass); background: var(--pass-bg); }
.s-pass::before { content: "\2713"; }
.s-fail { color: #fff; background: var(--fail); border-color: var(--fail); }
.s-fail::before { content: "\2717"; }
.s-error { color: #fff; background: var(--error); border-color: var(--error); }
.s-error::before { content: "!"; }
.s-waived { color: var(--waived); background: var(--waived-bg); border-style: dashed; }
.s-waived::before { content: "W"; }
.s-na { color: var(--na); background: var(--na-bg); border-color: #b9c0c9; }
.s-na::before { content: "\2013"; }
.s-attest { color: var(--attest); background: var(--attest-bg); border-style: dotted; }
.s-attest::before { content: "\270E"; }
.sev { display: inline-block; font-size: 11.5px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); border: 1px solid var(--rule); border-radius: 3px; padding: 0 6px; }
.sev-critical, .sev-high { color: var(--ink); border-color: var(--ink); }
.kind { color: var(--faint); font-size: 12px; }
.rules-cell { width: 44%; }
.rules-cell code { font-size: 12.5px; }
.rules-cell .rl { display: inline-block; margin-right: 14px; }
.rules-cell .failing { font-size: 13px; }
.rules-cell details.quiet { margin: 2px 0 0; }
.rules-cell details.quiet summary { font-size: 13px; }
.rules-cell details.quiet a { display: inline-block; margin-right: 10px; }
table.citations td:first-child { white-space: nowrap; }
.failing { color: var(--fail); font-weight: 600; white-space: nowrap; }
ul.attest { padding-left: 0; list-style: none; margin: 8px 0 0; }
ul.attest li { padding: 10px 0; border-bottom: 1px solid var(--rule); }
ul.attest .what { color: var(--muted); margin-top: 2px; }
section.rule { margin: 36px 0 0; padding-top: 18px; border-top: 1px solid var(--rule); }
.rule-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.rule-head h4 { font-size: 17px; }
.rule-meta { color: var(--muted); font-size: 14px; margin: 4px 0 0; }
.rule-meta code { color: var(--ink); }
.counts { margin: 8px 0 0; font-size: 14px; color: var(--muted); }
.counts b { color: var(--ink); font-variant-numeric: tabular-nums; }
article.finding { margin: 14px 0 0; border: 1px solid var(--rule); border-left: 4px solid var(--fail); border-radius: 4px; padding: 12px 16px 14px; break-inside: avoid; }
article.finding.st-error { border-left-color: var(--error); }
article.finding.st-waived { border-left-color: var(--waived); border-left-style: dashed; }
.finding-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.finding-head .rid { font-weight: 600; word-break: break-all; }
.finding-head .rtype { color: var(--muted); font-size: 13px; }
dl.where { display: flex; flex-wrap: wrap; gap: 2px 24px; margin: 6px 0 0; font-size: 13px; }
dl.where div { display: flex; gap: 8px; min-width: 0; }
dl.where dt { color: var(--muted); }
dl.where dd { margin: 0; word-break: break-all; }
.message { margin: 8px 0 0; font-weight: 500; }
table.evidence { margin-top: 8px; font-size: 13px; }
table.evidence th, table.evidence td { padding: 4px 10px; }
table.evidence th { border-bottom-width: 1px; }
table.evidence td { background: #fff !important; }
table.evidence td.path { width: 45%; word-break: break-all; }
.absent { font-style: italic; color: var(--fail); font-family: inherit; font-size: 13px; }
.waiver { margin: 10px 0 0; padding: 8px 12px; background: var(--waived-bg); border-radius: 4px; font-size: 13px; }
.waiver b { color: var(--waived); }
details { margin: 12px 0 0; }
summary { cursor: pointer; color: var(--muted); font-size: 14px; }
details table { font-size: 13px; }
footer { margin-top: 56px; padding-top: 14px; border-top: 1px solid var(--rule); color: var(--muted); font-size: 13px; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  section.rule { break-inside: auto; }
  nav.toc { display: none; }
  details::details-content { content-visibility: visible; }
  a { color: inherit; }
  tbody tr:nth-child(even) td { background: none; }
}
@page { margin: 16mm 14mm; }
"#;

/// The label and CSS class of a finding status.
fn status_badge(status: Status) -> String {
    let class = match status {
        Status::Compliant => "s-pass",
        Status::NonCompliant => "s-fail",
        Status::NotApplicable => "s-na",
        Status::Error => "s-error",
        Status::Waived => "s-waived",
    };
    format!(
        r#"<span class="badge {class}">{}</span>"#,
        status.as_str().replace('_', " ")
    )
}

fn citation_badge(status: CitationStatus) -> String {
    let class = match status {
        CitationStatus::Met => "s-pass",
        CitationStatus::NotMet => "s-fail",
        CitationStatus::NotEvaluated => "s-na",
        CitationStatus::Attestation => "s-attest",
    };
    format!(
        r#"<span class="badge {class}">{}</span>"#,
        status.as_str().replace('_', " ")
    )
}

fn severity_tag(severity: Option<Severity>) -> String {
    match severity {
        Some(s) => format!(r#"<span class="sev sev-{0}">{0}</span>"#, s.as_str()),
        None => String::new(),
    }
}

/// A count in a table cell, faint when zero.
fn num_cell(n: usize) -> String {
    if n == 0 {
        r#"<td class="num zero">0</td>"#.to_string()
    } else {
        format!(r#"<td class="num">{n}</td>"#)
    }
}

fn is_failing(status: Status) -> bool {
    matches!(status, Status::NonCompliant | Status::Error)
}

/// What the report knows of one rule.
struct RuleView<'a> {
    id: &'a str,
    title: &'a str,
    severity: Option<Severity>,
    citations: Vec<&'a str>,
    findings: Vec<&'a Finding>,
    evaluated: bool,
}

impl RuleView<'_> {
    fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    fn failing(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| is_failing(f.status))
            .count()
    }
}

fn rule_views<'a>(doc: &'a FindingsDocument, controls: &'a ControlsReport) -> Vec<RuleView<'a>> {
    let mut titles: BTreeMap<&str, &str> = BTreeMap::new();
    let mut cited: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &controls.citations {
        for r in &c.rules {
            titles.entry(&r.rule).or_insert(&r.title);
            cited.entry(&r.rule).or_default().push(&c.id);
        }
    }
    let mut ids: BTreeSet<&str> = doc
        .summary
        .by_rule
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    let mut findings: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &doc.findings {
        ids.insert(&f.rule);
        findings.entry(&f.rule).or_default().push(f);
    }
    let mut views: Vec<RuleView> = ids
        .into_iter()
        .map(|id| {
            let list = findings.remove(id).unwrap_or_default();
            let first = list.first();
            let citations = match first {
                Some(f) => f.citations.iter().map(String::as_str).collect(),
                None => cited.get(id).cloned().unwrap_or_default(),
            };
            RuleView {
                id,
                title: titles.get(id).copied().unwrap_or(""),
                severity: first.map(|f| f.severity),
                citations,
                findings: list,
                evaluated: !doc.summary.rules_without_resources.iter().any(|r| r == id),
            }
        })
        .collect();
    // Rules with something to act on first (most severe first), then the rest, by id.
    views.sort_by(|a, b| {
        let key = |v: &RuleView| {
            (
                v.failing() == 0,
                std::cmp::Reverse(v.severity),
                v.id.to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    views
}

/// Renders the report. The same document and controls report give the same bytes.
pub fn render_html(doc: &FindingsDocument, controls: &ControlsReport) -> String {
    let mut out = String::with_capacity(64 * 1024 + doc.findings.len() * 600);
    let views = rule_views(doc, controls);
    let title = format!("{}: compliance report", controls.catalogue);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"Ward {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape_html(&doc.ward_version),
        escape_html(&title)
    );
    header(&mut out, doc, controls, &views);
    citations_section(&mut out, controls);
    attestations_section(&mut out, controls);
    rules_section(&mut out, &views);
    waivers_section(&mut out, doc);
    redactions_section(&mut out, doc);
    problems_section(&mut out, doc, controls);
    let _ = write!(
        out,
        "<footer>Produced by Ward {} from the findings document (format {}){}. \
A resource is failing under a citation when any rule of the citation finds it non-compliant \
or cannot evaluate it; an absent field never passes. Waived findings are exceptions a person \
approved: they are listed with the waiver and are neither passing nor failing.</footer>\n\
</main>\n</body>\n</html>\n",
        escape_html(&doc.ward_version),
        escape_html(&doc.format_version),
        doc.as_of
            .as_deref()
            .map(|t| format!(", evaluated as of {}", escape_html(t)))
            .unwrap_or_default()
    );
    out
}

fn header(out: &mut String, doc: &FindingsDocument, controls: &ControlsReport, views: &[RuleView]) {
    let s = &doc.summary;
    let accounts: BTreeSet<&str> = doc
        .findings
        .iter()
        .filter_map(|f| f.resource.account.as_deref())
        .collect();
    let regions: BTreeSet<&str> = doc
        .findings
        .iter()
        .filter_map(|f| f.resource.region.as_deref())
        .filter(|r| !r.is_empty() && *r != "global")
        .collect();
    let _ = write!(
        out,
        "<header class=\"report\">\n<div class=\"eyebrow\">Compliance evidence report</div>\n\
<h1>{}</h1>\n<p class=\"lead\">Automated evaluation of AWS resource configuration against \
HIPAA Security Rule safeguards, resource by resource, with the evidence that decided each \
result.</p>\n<dl class=\"facts\">\n",
        escape_html(&controls.catalogue)
    );
    let evaluated = doc.as_of.as_deref().unwrap_or("not recorded");
    let facts = [
        ("Evaluated as of", escape_html(evaluated)),
        (
            "Inventory",
            format!(
                "{} resources, {} account{}{}",
                s.resources,
                accounts.len(),
                if accounts.len() == 1 { "" } else { "s" },
                if regions.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} region{}",
                        regions.len(),
                        if regions.len() == 1 { "" } else { "s" }
                    )
                }
            ),
        ),
        (
            "Rules run",
            format!(
                "{} rules, {} findings",
                s.rules.max(views.len()),
                s.findings
            ),
        ),
        ("Ward version", escape_html(&doc.ward_version)),
    ];
    for (k, v) in facts {
        let _ = writeln!(out, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    }
    out.push_str("</dl>\n");
    let c = &controls.summary;
    let _ = write!(
        out,
        "<div class=\"tiles-label\">HIPAA citations ({} in the catalogue)</div>\n<div class=\"tiles\">\n",
        c.citations
    );
    for (class, n, label) in [
        ("fail", c.not_met, "not met"),
        ("pass", c.met, "met"),
        ("na", c.not_evaluated, "not evaluated (no resource)"),
        ("attest", c.attestations, "no automated rule"),
    ] {
        tile(out, class, n, label);
    }
    tile(
        out,
        "attest",
        controls.attestations().len(),
        "attestations to collect",
    );
    out.push_str("</div>\n");
    let _ = write!(
        out,
        "<div class=\"tiles-label\">Findings (one per rule and resource)</div>\n<div class=\"tiles\">\n"
    );
    for (class, n, label) in [
        ("fail", s.non_compliant, "non-compliant"),
        ("error", s.error, "could not be evaluated"),
        ("waived", s.waived, "waived"),
        ("pass", s.compliant, "compliant"),
        ("na", s.not_applicable, "not applicable"),
    ] {
        tile(out, class, n, label);
    }
    out.push_str("</div>\n");
    out.push_str(
        "<nav class=\"toc\"><a href=\"#citations\">Citations</a><a href=\"#attestations\">Attestations</a>\
<a href=\"#rules\">Rules and findings</a>",
    );
    if !doc.waivers.is_empty() {
        out.push_str("<a href=\"#waivers\">Waivers</a>");
    }
    if !doc.redactions.is_empty() {
        out.push_str("<a href=\"#redactions\">Redacted from the evidence</a>");
    }
    if !doc.input_problems.is_empty() || !controls.unknown_citations.is_empty() {
        out.push_str("<a href=\"#problems\">Input problems</a>");
    }
    out.push_str("</nav>\n</header>\n");
}

fn tile(out: &mut String, class: &str, n: usize, label: &str) {
    let _ = writeln!(
        out,
        "<div class=\"tile {class}\"><div class=\"n\">{n}</div><div class=\"l\">{}</div></div>",
        escape_html(label)
    );
}

fn citations_section(out: &mut String, controls: &ControlsReport) {
    let s = &controls.summary;
    let _ = write!(
        out,
        "<section id=\"citations\">\n<h2>Summary by HIPAA citation</h2>\n<p class=\"note\">{} \
citations: {} covered by automated rules ({} met, {} not met, {} not evaluated), {} with no \
automated rule. Resources are counted once per citation: failing when any of its rules finds \
them non-compliant or cannot evaluate them, passing when every rule that applies finds them \
compliant.</p>\n",
        s.citations, s.automated, s.met, s.not_met, s.not_evaluated, s.attestations
    );
    let mut groups: Vec<(&str, Vec<&CitationReport>)> = Vec::new();
    for c in &controls.citations {
        match groups.iter_mut().find(|(g, _)| *g == c.safeguard) {
            Some((_, list)) => list.push(c),
            None => groups.push((&c.safeguard, vec![c])),
        }
    }
    for (safeguard, citations) in groups {
        let _ = write!(
            out,
            "<h3>{} safeguards</h3>\n<table class=\"citations\">\n<thead><tr><th>Citation</th>\
<th>Standard or specification</th><th>Status</th><th class=\"num\">Passing</th>\
<th class=\"num\">Failing</th><th>Rules</th></tr></thead>\n<tbody>\n",
            escape_html(safeguard)
        );
        for c in citations {
            let rules = if c.rules.is_empty() {
                "<span class=\"note\">no automated rule</span>".to_string()
            } else {
                // The rules with the most failures first, at most SHOWN of them; the rest
                // (failing or not) behind a disclosure.
                const SHOWN: usize = 5;
                let mut ranked: Vec<_> = c.rules.iter().collect();
                ranked.sort_by_key(|r| std::cmp::Reverse(r.non_compliant + r.error));
                let mut cell = String::new();
                let mut rest = Vec::new();
                let mut rest_failing = 0;
                for (i, r) in ranked.into_iter().enumerate() {
                    let failing = r.non_compliant + r.error;
                    let link = format!(
                        "<a href=\"#{}\"><code>{}</code></a>",
                        anchor("rule-", &r.rule),
                        escape_html(&r.rule)
                    );
                    let item = if failing > 0 {
                        format!(
                            "<span class=\"rl\">{link}&nbsp;<span class=\"failing\">{failing}&nbsp;failing</span></span> "
                        )
                    } else {
                        format!("<span class=\"rl\">{link}</span> ")
                    };
                    if failing > 0 && i < SHOWN {
                        cell.push_str(&item);
                    } else {
                        rest_failing += usize::from(failing > 0);
                        rest.push(item);
                    }
                }
                if !rest.is_empty() {
                    let plural = |n: usize| if n == 1 { "" } else { "s" };
                    let what = if rest.len() == c.rules.len() {
                        format!("{} rule{}, none failing", rest.len(), plural(rest.len()))
                    } else if rest_failing > 0 {
                        format!(
                            "and {} more rule{} ({rest_failing} with failures)",
                            rest.len(),
                            plural(rest.len())
                        )
                    } else {
                        format!(
                            "and {} rule{} with no failure",
                            rest.len(),
                            plural(rest.len())
                        )
                    };
                    let _ = write!(
                        cell,
                        "<details class=\"quiet\"><summary>{what}</summary>{}</details>",
                        rest.concat()
                    );
                }
                cell
            };
            let _ = writeln!(
                out,
                "<tr id=\"{}\"><td class=\"mono\">{}</td><td>{} <span class=\"kind\">{}</span></td>\
<td>{}</td>{}{}<td class=\"rules-cell\">{}</td></tr>",
                anchor("cite-", &c.id),
                escape_html(&c.id),
                escape_html(&c.title),
                c.kind.as_str(),
                citation_badge(c.status),
                num_cell(c.resources.passing),
                num_cell(c.resources.failing),
                rules
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn attestations_section(out: &mut String, controls: &ControlsReport) {
    let list = controls.attestations();
    let _ = write!(
        out,
        "<section id=\"attestations\">\n<h2>Attestations to collect</h2>\n<p class=\"note\">\
No configuration check can show these, or a process meets them and rules only add evidence. \
Collect the evidence named for each ({}).</p>\n<ul class=\"attest\">\n",
        list.len()
    );
    for c in list {
        let note = if c.rules.is_empty() {
            String::new()
        } else {
            format!(" &middot; rules add evidence: {}", citation_badge(c.status))
        };
        let _ = writeln!(
            out,
            "<li><code>{}</code> <b>{}</b> <span class=\"kind\">{} &middot; {} safeguard</span>{note}\
<div class=\"what\">{}</div></li>",
            escape_html(&c.id),
            escape_html(&c.title),
            c.kind.as_str(),
            escape_html(&c.safeguard),
            escape_html(
                c.attestation
                    .as_deref()
                    .unwrap_or("Evidence of the process.")
            )
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn rules_section(out: &mut String, views: &[RuleView]) {
    let _ = write!(
        out,
        "<section id=\"rules\">\n<h2>Rules and findings</h2>\n<p class=\"note\">Rules with \
non-compliant or unevaluable resources come first, most severe first. Each such finding is \
shown with the resource and the values that decided it; compliant and not-applicable \
resources are counted and listed under each rule.</p>\n<table class=\"rules\">\n<thead><tr>\
<th>Rule</th><th>Severity</th><th>Citations</th><th class=\"num\">Non-compl.</th>\
<th class=\"num\">Error</th><th class=\"num\">Waived</th><th class=\"num\">Compliant</th>\
<th class=\"num\">N/A</th></tr></thead>\n<tbody>\n"
    );
    for v in views {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td class=\"mono\">{}</td>\
{}{}{}{}{}</tr>",
            anchor("rule-", v.id),
            escape_html(v.id),
            severity_tag(v.severity),
            escape_html(&v.citations.join(", ")),
            num_cell(v.count(Status::NonCompliant)),
            num_cell(v.count(Status::Error)),
            num_cell(v.count(Status::Waived)),
            num_cell(v.count(Status::Compliant)),
            num_cell(v.count(Status::NotApplicable)),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    for v in views {
        rule_detail(out, v);
    }
    out.push_str("</section>\n");
}

fn rule_detail(out: &mut String, v: &RuleView) {
    let failing = v.failing();
    let mark = if failing > 0 {
        status_badge(Status::NonCompliant)
    } else if v.count(Status::Compliant) > 0 {
        status_badge(Status::Compliant)
    } else if v.count(Status::Waived) > 0 {
        status_badge(Status::Waived)
    } else {
        status_badge(Status::NotApplicable)
    };
    let _ = write!(
        out,
        "<section class=\"rule\" id=\"{}\">\n<div class=\"rule-head\">{mark}<h4>{}</h4>{}</div>\n\
<div class=\"rule-meta\"><code>{}</code>",
        anchor("rule-", v.id),
        escape_html(if v.title.is_empty() { v.id } else { v.title }),
        severity_tag(v.severity),
        escape_html(v.id)
    );
    if !v.citations.is_empty() {
        out.push_str(" &middot; HIPAA ");
        let links: Vec<String> = v
            .citations
            .iter()
            .map(|c| format!("<a href=\"#{}\">{}</a>", anchor("cite-", c), escape_html(c)))
            .collect();
        out.push_str(&links.join(", "));
    }
    out.push_str("</div>\n");
    if !v.evaluated && v.findings.is_empty() {
        out.push_str(
            "<p class=\"counts\">No resource of this rule's types was in the inventory: nothing \
was shown either way.</p>\n</section>\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"counts\"><b>{}</b> non-compliant &middot; <b>{}</b> error &middot; <b>{}</b> \
waived &middot; <b>{}</b> compliant &middot; <b>{}</b> not applicable</p>",
        v.count(Status::NonCompliant),
        v.count(Status::Error),
        v.count(Status::Waived),
        v.count(Status::Compliant),
        v.count(Status::NotApplicable)
    );
    for f in v
        .findings
        .iter()
        .filter(|f| is_failing(f.status) || f.status == Status::Waived)
    {
        finding_card(out, f);
    }
    let quiet: Vec<&&Finding> = v
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Compliant | Status::NotApplicable))
        .collect();
    if !quiet.is_empty() {
        let _ = write!(
            out,
            "<details><summary>{} compliant and {} not-applicable resource{}</summary>\n\
<table><thead><tr><th>Status</th><th>Resource type</th><th>Resource</th><th>Account</th>\
<th>Region</th><th>Message</th></tr></thead>\n<tbody>\n",
            v.count(Status::Compliant),
            v.count(Status::NotApplicable),
            if quiet.len() == 1 { "" } else { "s" }
        );
        for f in quiet {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
<td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                status_badge(f.status),
                escape_html(&f.resource.resource_type),
                escape_html(&f.resource.id),
                escape_html(f.resource.account.as_deref().unwrap_or("")),
                escape_html(f.resource.region.as_deref().unwrap_or("")),
                escape_html(&f.message)
            );
        }
        out.push_str("</tbody>\n</table>\n</details>\n");
    }
    out.push_str("</section>\n");
}

fn finding_card(out: &mut String, f: &Finding) {
    let class = match f.status {
        Status::Error => "st-error",
        Status::Waived => "st-waived",
        _ => "st-fail",
    };
    let _ = write!(
        out,
        "<article class=\"finding {class}\" id=\"f-{}\">\n<div class=\"finding-head\">{}\
<span class=\"rid mono\">{}</span><span class=\"rtype mono\">{}</span></div>\n<dl class=\"where\">",
        escape_html(&f.fingerprint),
        status_badge(f.status),
        escape_html(&f.resource.id),
        escape_html(&f.resource.resource_type)
    );
    for (k, v) in [
        ("ARN", f.resource.arn.as_deref()),
        ("Account", f.resource.account.as_deref()),
        ("Region", f.resource.region.as_deref()),
    ] {
        if let Some(v) = v {
            let _ = write!(
                out,
                "<div><dt>{k}</dt><dd class=\"mono\">{}</dd></div>",
                escape_html(v)
            );
        }
    }
    let _ = write!(
        out,
        "<div><dt>Fingerprint</dt><dd class=\"mono\">{}</dd></div></dl>\n<p class=\"message\">{}</p>\n",
        escape_html(&f.fingerprint),
        escape_html(&f.message)
    );
    if let Some(w) = &f.waiver {
        let at = w.location();
        let _ = writeln!(
            out,
            "<div class=\"waiver\"><b>Waived</b> by waiver <code>{}</code> (was {}): {} \
&middot; approved by <b>{}</b> &middot; expires {} &middot; <span class=\"mono\">{}</span></div>",
            escape_html(&w.id),
            escape_html(w.original_status.as_str()),
            escape_html(&w.reason),
            escape_html(&w.approver),
            escape_html(&w.expires),
            escape_html(&at)
        );
    }
    if !f.evidence.is_empty() {
        out.push_str(
            "<table class=\"evidence\"><thead><tr><th>Evidence path</th><th>Value</th></tr></thead>\n<tbody>\n",
        );
        for e in &f.evidence {
            let _ = writeln!(
                out,
                "<tr><td class=\"path mono\">{}</td><td>{}</td></tr>",
                escape_html(&e.path),
                evidence_value(e)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</article>\n");
}

/// A value as JSON (strings keep their quotes, so `"true"` and `true` differ); objects and
/// arrays indented; an absent field says so.
fn evidence_value(e: &Evidence) -> String {
    if e.absent {
        return "<span class=\"absent\">absent (the field is not in the configuration)</span>"
            .to_string();
    }
    let text = match &e.value {
        Json::Object(_) | Json::Array(_) => {
            let compact = e.value.to_string();
            if compact.len() > 80 {
                serde_json::to_string_pretty(&e.value).unwrap_or(compact)
            } else {
                compact
            }
        }
        other => other.to_string(),
    };
    format!("<pre>{}</pre>", escape_html(&text))
}

fn waivers_section(out: &mut String, doc: &FindingsDocument) {
    if doc.waivers.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"waivers\">\n<h2>Waivers</h2>\n<p class=\"note\">Every waiver of the \
waiver files given, and what became of it in this run: <b>applied</b> (unexpired, it waived \
the findings counted), <b>expired</b> (past its expiry at the evaluation time: the findings \
it would have waived count as failing), <b>stale</b> (unexpired, but it matched no failing \
finding).</p>\n<table>\n<thead><tr><th>Waiver</th><th>Rule</th><th>State</th>\
<th class=\"num\">Findings</th><th>Reason</th><th>Approver</th><th>Expires</th>\
<th>File</th></tr></thead>\n<tbody>\n",
    );
    for w in &doc.waivers {
        let class = match w.state {
            WaiverState::Applied => "s-waived",
            WaiverState::Expired => "s-fail",
            WaiverState::Stale => "s-na",
        };
        let label = w.state.as_str();
        let at = w.location();
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td><a href=\"#{}\"><code>{}</code></a></td>\
<td><span class=\"badge {class}\">{label}</span></td>{}<td>{}</td><td>{}</td>\
<td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            escape_html(&w.id),
            anchor("rule-", &w.rule),
            escape_html(&w.rule),
            num_cell(w.findings),
            escape_html(&w.reason),
            escape_html(&w.approver),
            escape_html(&w.expires),
            escape_html(&at)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn redactions_section(out: &mut String, doc: &FindingsDocument) {
    if doc.redactions.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"redactions\">\n<h2>Redacted from the evidence</h2>\n<p class=\"note\">\
{} value{} that looked like secrets were removed from the input before evaluation; they \
appear nowhere in this report or the findings. Listed here is where each was and what kind \
of secret it looked like, never the value.</p>\n<table>\n<thead><tr><th>Resource type</th>\
<th>Resource</th><th>Path</th><th>Kind</th></tr></thead>\n<tbody>\n",
        doc.redactions.len(),
        if doc.redactions.len() == 1 { "" } else { "s" }
    );
    for r in &doc.redactions {
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
<td>{}</td></tr>",
            escape_html(&r.resource_type),
            escape_html(&r.resource_id),
            escape_html(&r.path),
            escape_html(&r.kind)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn problems_section(out: &mut String, doc: &FindingsDocument, controls: &ControlsReport) {
    if doc.input_problems.is_empty()
        && controls.unknown_citations.is_empty()
        && doc.summary.rules_without_resources.is_empty()
    {
        return;
    }
    out.push_str("<section id=\"problems\">\n<h2>Input problems and coverage gaps</h2>\n");
    if !doc.input_problems.is_empty() {
        out.push_str(
            "<p class=\"note\">Problems met while reading the inventory. Items that could not \
be read were not evaluated; everything else was.</p>\n<table>\n<thead><tr><th>Severity</th>\
<th>File</th><th class=\"num\">Item</th><th>Resource</th><th>Problem</th></tr></thead>\n<tbody>\n",
        );
        for p in &doc.input_problems {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td>\
<td class=\"mono\">{}</td><td>{}</td></tr>",
                escape_html(&p.severity),
                escape_html(&p.file),
                p.item.map(|i| i.to_string()).unwrap_or_default(),
                escape_html(p.resource_id.as_deref().unwrap_or("")),
                escape_html(&p.message)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !doc.summary.rules_without_resources.is_empty() {
        let _ = write!(
            out,
            "<p class=\"note\">Rules that selected no resource (no resource of their types in \
the inventory): "
        );
        let list: Vec<String> = doc
            .summary
            .rules_without_resources
            .iter()
            .map(|r| format!("<code>{}</code>", escape_html(r)))
            .collect();
        out.push_str(&list.join(", "));
        out.push_str(".</p>\n");
    }
    for u in &controls.unknown_citations {
        let _ = writeln!(
            out,
            "<p class=\"note\">Citation <code>{}</code> (rules {}) is not in the catalogue.</p>",
            escape_html(&u.citation),
            escape_html(&u.rules.join(", "))
        );
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::controls::{CitationCatalogue, RuleCitations};
    use serde_json::Value;
    use ward_model::{AppliedWaiver, Redaction, ResourceRef, WaiverOutcome};

    fn finding(rule: &str, id: &str, status: Status, message: &str, value: Value) -> Finding {
        let resource = ResourceRef {
            resource_type: "AWS::S3::Bucket".into(),
            id: id.into(),
            arn: Some(format!("arn:aws:s3:::{id}")),
            account: Some("111122223333".into()),
            region: Some("us-east-1".into()),
        };
        Finding {
            rule: rule.into(),
            backend: "ward-lang".into(),
            fingerprint: Finding::fingerprint_of(rule, &resource),
            resource: resource.into(),
            status,
            message: message.into(),
            evidence: vec![
                Evidence {
                    path: "configuration.x".into(),
                    value: value.into(),
                    absent: false,
                },
                Evidence {
                    path: "configuration.missing".into(),
                    value: Value::Null.into(),
                    absent: true,
                },
            ],
            citations: ["164.312(b)".to_string()].into(),
            severity: Severity::High,
            waiver: None,
        }
    }

    fn sample() -> (FindingsDocument, ControlsReport) {
        let mut waived = finding("r1", "c", Status::Waived, "waived", Value::Bool(false));
        waived.waiver = Some(Box::new(AppliedWaiver {
            id: "W-1".into(),
            reason: "legacy <bucket>".into(),
            approver: "ciso@example.org".into(),
            expires: "2030-01-01".into(),
            file: "waivers.yaml".into(),
            line: Some(3),
            original_status: Status::NonCompliant,
        }));
        let findings = vec![
            finding(
                "r1",
                "a",
                Status::NonCompliant,
                "bad <script>alert(1)</script>",
                Value::String("<script>x</script>".into()),
            ),
            finding("r1", "b", Status::Compliant, "ok", Value::Bool(true)),
            waived,
        ];
        let mut doc = FindingsDocument::new(
            "0.0.0",
            Some("2024-01-01T00:00:00Z".into()),
            findings,
            &["r1".to_string()],
            3,
            vec![],
            vec![],
        );
        doc.waivers.push(WaiverOutcome {
            id: "W-2".into(),
            rule: "r1".into(),
            state: WaiverState::Expired,
            findings: 1,
            reason: "old".into(),
            approver: "me".into(),
            expires: "2020-01-01".into(),
            file: "waivers.yaml".into(),
            line: Some(9),
        });
        doc.redactions.push(Redaction {
            resource_type: "AWS::Lambda::Function".into(),
            resource_id: "fn".into(),
            path: "configuration.environment.variables.DB_PASSWORD".into(),
            kind: "password".into(),
        });
        let catalogue = CitationCatalogue::from_yaml(
            "version: 1\ntitle: HIPAA Security Rule\ncitations:\n\
- {id: \"164.312(b)\", title: Audit controls, safeguard: Technical, kind: standard}\n\
- {id: \"164.308(a)(1)\", title: Security management, safeguard: Administrative, kind: standard, attestation: Risk analysis}\n",
            "test",
        )
        .unwrap();
        let rules = vec![RuleCitations {
            rule: "r1".into(),
            title: "Buckets log <access>".into(),
            citations: vec!["164.312(b)".into()],
        }];
        let controls = ControlsReport::build(&catalogue, &rules, &doc);
        (doc, controls)
    }

    #[test]
    fn escapes_untrusted_text_and_shows_everything() {
        let (doc, controls) = sample();
        let html = render_html(&doc, &controls);
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("bad &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&quot;&lt;script&gt;x&lt;/script&gt;&quot;"));
        assert!(html.contains("Buckets log &lt;access&gt;"));
        assert!(html.contains("absent (the field is not in the configuration)"));
        assert!(html.contains("W-1") && html.contains("legacy &lt;bucket&gt;"));
        assert!(html.contains("EXPIRED") && html.contains("W-2"));
        assert!(html.contains("Redacted from the evidence"));
        assert!(html.contains("DB_PASSWORD"));
        assert!(html.contains("Risk analysis"));
        assert!(html.contains("2024-01-01T00:00:00Z"));
        assert_eq!(html, render_html(&doc, &controls));
    }

    #[test]
    fn anchors_are_safe() {
        assert_eq!(anchor("cite-", "164.312(b)"), "cite-164_2e312_28b_29");
        assert_eq!(escape_html("a'\"&"), "a&#39;&quot;&amp;");
    }
}
