//! Reporters: they read only `ward-model` types, never evaluator internals.
//!
//! - [`FindingsDocument`]: the findings JSON document (`docs/findings-format.md`), versioned
//!   by [`FINDINGS_FORMAT_VERSION`].
//! - [`render_text`]: a report for a person, grouped by rule, optionally coloured.
//! - [`controls::ControlsReport`]: the per-citation view of a run (`ward controls`), from the
//!   pack's citation catalogue.
//! - [`html::render_html`]: the self-contained `report.html` for an auditor.
//! - [`sarif`], [`junit`], [`csv`], [`markdown`]: the formats CI tools and people read
//!   (`docs/output-formats.md`), each a function of the document (and [`rule_info`]).

pub mod controls;
pub mod csv;
pub mod explain;
pub mod format;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod rule_info;
pub mod sarif;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde::{Deserialize, Serialize};
use ward_model::{
    FINDINGS_FORMAT_VERSION, Finding, PluginRecord, Redaction, Status, WaiverOutcome, WaiverState,
};

/// One problem met while reading the input, as reported in the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputProblem {
    pub severity: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    pub message: String,
}

/// Per-rule counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleSummary {
    pub rule: String,
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
    pub error: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub waived: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub resources: usize,
    pub rules: usize,
    pub findings: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
    pub error: usize,
    /// Failing findings covered by an unexpired waiver (they do not fail the run).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub waived: usize,
    /// Rules that selected no resource in the inventory.
    pub rules_without_resources: Vec<String>,
    pub by_rule: Vec<RuleSummary>,
}

/// The findings JSON document: `ward check --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingsDocument {
    pub ward_version: String,
    pub format_version: String,
    /// The evaluation time: ages and expiries are measured from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_problems: Vec<InputProblem>,
    /// What became of each waiver of the waiver files given (applied, expired, stale).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverOutcome>,
    /// Secrets removed from the input before evaluation: where, and what kind (never the
    /// value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redactions: Vec<Redaction>,
    /// The WASM plugins that ran: file, SHA-256, interface version, rules (omitted when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginRecord>,
    /// The configuration fields the run read, when it did not read them all (the default:
    /// only what the loaded controls read; `--all-fields` reads everything and omits this).
    /// Every other field was skipped unread: never held, never scanned for secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields_read: Option<ward_model::FieldsRead>,
}

impl FindingsDocument {
    /// Reads a saved findings document (`ward check --format json`) named `name` in errors;
    /// a document of another format version is refused, saying which.
    pub fn from_json(text: &str, name: &str) -> Result<FindingsDocument, String> {
        let doc: FindingsDocument = serde_json::from_str(text)
            .map_err(|e| format!("`{name}` is not a `ward check --format json` result: {e}"))?;
        if doc.format_version != ward_model::FINDINGS_FORMAT_VERSION {
            return Err(format!(
                "`{name}` has findings format version `{}`; this Ward reads version `{}`",
                doc.format_version,
                ward_model::FINDINGS_FORMAT_VERSION
            ));
        }
        Ok(doc)
    }

    pub fn new(
        ward_version: &str,
        as_of: Option<String>,
        findings: Vec<Finding>,
        rule_ids: &[String],
        resources: usize,
        rules_without_resources: Vec<String>,
        input_problems: Vec<InputProblem>,
    ) -> Self {
        let summary = summarize(&findings, rule_ids, resources, rules_without_resources);
        FindingsDocument {
            ward_version: ward_version.to_string(),
            format_version: FINDINGS_FORMAT_VERSION.to_string(),
            as_of,
            findings,
            summary,
            input_problems,
            waivers: Vec::new(),
            redactions: Vec::new(),
            plugins: Vec::new(),
            fields_read: None,
        }
    }

    /// Counts the findings again (after waivers changed statuses), keeping the rest.
    pub fn resummarize(&mut self) {
        let rule_ids: Vec<String> = self
            .summary
            .by_rule
            .iter()
            .map(|r| r.rule.clone())
            .collect();
        self.summary = summarize(
            &self.findings,
            &rule_ids,
            self.summary.resources,
            std::mem::take(&mut self.summary.rules_without_resources),
        );
    }

    /// The document as [`FindingsDocument::to_json`] writes it, straight to `out`: a large
    /// document is never held as one string.
    pub fn write_json<W: std::io::Write>(&self, out: W) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        serde_json::to_writer_pretty(&mut out, self)?;
        std::io::Write::write_all(&mut out, b"\n")?;
        std::io::Write::flush(&mut out)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }
}

fn summarize(
    findings: &[Finding],
    rule_ids: &[String],
    resources: usize,
    without: Vec<String>,
) -> Summary {
    let mut by_rule: BTreeMap<&str, RuleSummary> = BTreeMap::new();
    for id in rule_ids {
        by_rule.insert(
            id,
            RuleSummary {
                rule: id.clone(),
                ..RuleSummary::default()
            },
        );
    }
    let mut s = Summary {
        resources,
        rules: rule_ids.len(),
        findings: findings.len(),
        rules_without_resources: without,
        ..Summary::default()
    };
    for f in findings {
        let r = by_rule.entry(&f.rule).or_insert_with(|| RuleSummary {
            rule: f.rule.clone(),
            ..RuleSummary::default()
        });
        match f.status {
            Status::Compliant => {
                s.compliant += 1;
                r.compliant += 1;
            }
            Status::NonCompliant => {
                s.non_compliant += 1;
                r.non_compliant += 1;
            }
            Status::NotApplicable => {
                s.not_applicable += 1;
                r.not_applicable += 1;
            }
            Status::Error => {
                s.error += 1;
                r.error += 1;
            }
            Status::Waived => {
                s.waived += 1;
                r.waived += 1;
            }
        }
    }
    s.by_rule = by_rule.into_values().collect();
    s
}

fn paint(on: bool, style: Style, text: &str) -> String {
    if on {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

fn status_style(status: Status) -> Style {
    let color = match status {
        Status::Compliant => AnsiColor::Green,
        Status::NonCompliant => AnsiColor::Red,
        Status::NotApplicable => AnsiColor::BrightBlack,
        Status::Error => AnsiColor::Magenta,
        Status::Waived => AnsiColor::Yellow,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

/// A report for a person: per rule, the non-compliant and error findings with their
/// evidence, then counts. `verbose` lists compliant and not-applicable findings too.
pub fn render_text(doc: &FindingsDocument, color: bool, verbose: bool) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &doc.findings {
        by_rule.entry(&f.rule).or_default().push(f);
    }
    for (rule, findings) in &by_rule {
        let failing = findings
            .iter()
            .filter(|f| matches!(f.status, Status::NonCompliant | Status::Error))
            .count();
        let head = findings.first();
        let mark = if failing > 0 {
            paint(color, status_style(Status::NonCompliant), "✗")
        } else {
            paint(color, status_style(Status::Compliant), "✓")
        };
        let _ = writeln!(
            out,
            "{mark} {} {}",
            paint(color, bold, rule),
            paint(
                color,
                dim,
                &format!(
                    "[{}] {}",
                    head.map(|f| f.severity.as_str()).unwrap_or(""),
                    head.map(|f| f.citations.join(", ")).unwrap_or_default()
                )
            )
        );
        for f in findings {
            let show = verbose
                || matches!(
                    f.status,
                    Status::NonCompliant | Status::Error | Status::Waived
                );
            if !show {
                continue;
            }
            let _ = writeln!(
                out,
                "    {} {} {}",
                paint(color, status_style(f.status), f.status.as_str()),
                f.resource.resource_type,
                paint(color, bold, &f.resource.id)
            );
            let _ = writeln!(out, "        {}", f.message);
            if let Some(w) = &f.waiver {
                let _ = writeln!(
                    out,
                    "        {} {}",
                    paint(
                        color,
                        status_style(Status::Waived),
                        &format!(
                            "waived by `{}` (approved by {}, expires {}; was {}):",
                            w.id, w.approver, w.expires, w.original_status
                        )
                    ),
                    w.reason
                );
            }
            for e in &f.evidence {
                let value = if e.absent {
                    "<absent>".to_string()
                } else {
                    e.value.to_string()
                };
                let _ = writeln!(
                    out,
                    "        {} {}",
                    paint(color, dim, &format!("{} =", e.path)),
                    value
                );
            }
        }
        let counts = |s: Status| findings.iter().filter(|f| f.status == s).count();
        let _ = writeln!(
            out,
            "    {}",
            paint(
                color,
                dim,
                &format!(
                    "{} compliant, {} non-compliant, {} not applicable, {} error{}",
                    counts(Status::Compliant),
                    counts(Status::NonCompliant),
                    counts(Status::NotApplicable),
                    counts(Status::Error),
                    match counts(Status::Waived) {
                        0 => String::new(),
                        n => format!(", {n} waived"),
                    }
                )
            )
        );
    }
    for rule in &doc.summary.rules_without_resources {
        let _ = writeln!(
            out,
            "{} {} {}",
            paint(color, dim, "-"),
            paint(color, bold, rule),
            paint(color, dim, "no resource of its types in the inventory")
        );
    }
    for p in &doc.input_problems {
        let at = match (&p.item, &p.resource_id) {
            (Some(i), Some(id)) => format!(" item {i} ({id})"),
            (Some(i), None) => format!(" item {i}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {}{at}: {}",
            paint(
                color,
                status_style(Status::Error),
                &format!("input {}:", p.severity)
            ),
            p.file,
            p.message
        );
    }
    render_waivers(&mut out, doc, color);
    if !doc.redactions.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(
                color,
                dim,
                &format!(
                    "{} secret value(s) redacted from the input (see redactions in --format json)",
                    doc.redactions.len()
                )
            )
        );
    }
    let s = &doc.summary;
    let _ = writeln!(
        out,
        "\n{} resources, {} rules: {} compliant, {} non-compliant, {} not applicable, {} error{}",
        s.resources,
        s.rules,
        paint(
            color,
            status_style(Status::Compliant),
            &s.compliant.to_string()
        ),
        paint(
            color,
            status_style(Status::NonCompliant),
            &s.non_compliant.to_string()
        ),
        s.not_applicable,
        paint(color, status_style(Status::Error), &s.error.to_string()),
        match s.waived {
            0 => String::new(),
            n => format!(
                ", {} waived",
                paint(color, status_style(Status::Waived), &n.to_string())
            ),
        },
    );
    out
}

/// The waivers section of the text report: how many applied, and a warning per expired or
/// stale waiver.
fn render_waivers(out: &mut String, doc: &FindingsDocument, color: bool) {
    if doc.waivers.is_empty() {
        return;
    }
    let count = |state: WaiverState| doc.waivers.iter().filter(|w| w.state == state).count();
    let _ = writeln!(
        out,
        "\n{} {} applied, {} expired, {} stale",
        paint(color, Style::new().bold(), "waivers:"),
        count(WaiverState::Applied),
        count(WaiverState::Expired),
        count(WaiverState::Stale),
    );
    for warning in doc.waivers.iter().filter_map(waiver_warning) {
        let _ = writeln!(
            out,
            "  {} {warning}",
            paint(color, status_style(Status::Waived), "warning:")
        );
    }
}

/// A warning for an expired or stale waiver (none for an applied one), as the text report
/// and the command line print it.
pub fn waiver_warning(o: &WaiverOutcome) -> Option<String> {
    let at = o.location();
    match o.state {
        WaiverState::Applied => None,
        WaiverState::Expired => Some(format!(
            "waiver `{}` ({at}, rule `{}`) expired on {}: it no longer applies{}",
            o.id,
            o.rule,
            o.expires,
            match o.findings {
                0 => String::new(),
                n => format!(" ({n} finding(s) it covered fail again)"),
            }
        )),
        WaiverState::Stale => Some(format!(
            "waiver `{}` ({at}, rule `{}`) is stale: it matches no failing finding",
            o.id, o.rule
        )),
    }
}
