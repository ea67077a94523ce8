//! The per-citation view of a run (`ward controls`): for every HIPAA citation of the
//! catalogue, the rules behind it and how many resources pass and fail them; citations no
//! rule covers are listed as attestations to collect.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde::{Deserialize, Serialize};
use ward_model::{Finding, Status};

use crate::FindingsDocument;

/// Version of the controls JSON document.
pub const CONTROLS_FORMAT_VERSION: &str = "1";

/// A catalogue of citations (the pack's `citations.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitationCatalogue {
    pub version: u32,
    pub title: String,
    pub citations: Vec<Citation>,
}

/// One standard or implementation specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// As rules cite it: `164.312(b)`.
    pub id: String,
    pub title: String,
    /// `Administrative`, `Physical`, `Technical`, ...
    pub safeguard: String,
    pub kind: CitationKind,
    /// The standard an implementation specification belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    /// What to collect when no configuration check shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<String>,
    /// A process meets it (risk analysis, training, contracts...): rules citing it add
    /// evidence, but its attestation is always to be collected.
    #[serde(default)]
    pub process: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CitationKind {
    Standard,
    Required,
    Addressable,
}

impl CitationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CitationKind::Standard => "standard",
            CitationKind::Required => "required",
            CitationKind::Addressable => "addressable",
        }
    }
}

/// A catalogue that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{origin}: {source}")]
    Yaml {
        origin: String,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("{origin}: citation `{id}` is listed twice")]
    Duplicate { origin: String, id: String },
    #[error(
        "{origin}: citation `{id}` names the standard `{standard}`, which is not in the catalogue"
    )]
    UnknownStandard {
        origin: String,
        id: String,
        standard: String,
    },
}

impl CitationCatalogue {
    /// Reads the YAML catalogue; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, CatalogueError> {
        let catalogue: CitationCatalogue =
            serde_yaml_ng::from_str(text).map_err(|source| CatalogueError::Yaml {
                origin: origin.to_string(),
                source,
            })?;
        let mut seen = BTreeSet::new();
        for c in &catalogue.citations {
            if !seen.insert(c.id.as_str()) {
                return Err(CatalogueError::Duplicate {
                    origin: origin.to_string(),
                    id: c.id.clone(),
                });
            }
        }
        for c in &catalogue.citations {
            if let Some(standard) = &c.standard
                && !seen.contains(standard.as_str())
            {
                return Err(CatalogueError::UnknownStandard {
                    origin: origin.to_string(),
                    id: c.id.clone(),
                    standard: standard.clone(),
                });
            }
        }
        Ok(catalogue)
    }

    pub fn get(&self, id: &str) -> Option<&Citation> {
        self.citations.iter().find(|c| c.id == id)
    }
}

/// A rule of the pack and what it cites (rules with no finding still count).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCitations {
    pub rule: String,
    pub title: String,
    pub citations: Vec<String>,
}

/// Whether the automated evidence shows a citation met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CitationStatus {
    /// Resources were evaluated and none failed.
    Met,
    /// At least one resource is non-compliant (or could not be evaluated).
    NotMet,
    /// Rules exist, but no resource of theirs was in the inventory (or every one was not
    /// applicable): nothing was shown either way.
    NotEvaluated,
    /// No automated rule: only a process can meet it; collect the attestation.
    Attestation,
}

impl CitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CitationStatus::Met => "MET",
            CitationStatus::NotMet => "NOT_MET",
            CitationStatus::NotEvaluated => "NOT_EVALUATED",
            CitationStatus::Attestation => "ATTESTATION",
        }
    }
}

/// Findings counts of one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub rule: String,
    pub title: String,
    /// False when the inventory held no resource of the rule's types.
    pub evaluated: bool,
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

/// Distinct resources under a citation: a resource fails when any rule of the citation
/// finds it non-compliant or in error, and passes when it is compliant with every rule of
/// the citation that applies to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCounts {
    pub passing: usize,
    pub failing: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitationReport {
    pub id: String,
    pub title: String,
    pub safeguard: String,
    pub kind: CitationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    pub status: CitationStatus,
    pub resources: ResourceCounts,
    pub rules: Vec<RuleOutcome>,
    /// For an `ATTESTATION` citation, and for a citation a process meets whatever its rules
    /// say: the evidence to collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<String>,
}

impl CitationReport {
    /// Whether an attestation is to be collected for it.
    pub fn needs_attestation(&self) -> bool {
        self.attestation.is_some() || self.status == CitationStatus::Attestation
    }

    fn attestation_text(&self) -> &str {
        self.attestation
            .as_deref()
            .unwrap_or("evidence of the process")
    }

    /// ` (rules add evidence: STATUS)` when rules cite it too, else empty.
    fn evidence_note(&self) -> String {
        if self.rules.is_empty() {
            String::new()
        } else {
            format!(" (rules add evidence: {})", self.status.as_str())
        }
    }
}

/// A citation some rule uses that the catalogue does not list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownCitation {
    pub citation: String,
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlsSummary {
    pub citations: usize,
    pub automated: usize,
    pub met: usize,
    pub not_met: usize,
    pub not_evaluated: usize,
    pub attestations: usize,
}

/// The controls document (`ward controls --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlsReport {
    pub ward_version: String,
    pub format_version: String,
    pub catalogue: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    pub summary: ControlsSummary,
    pub citations: Vec<CitationReport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_citations: Vec<UnknownCitation>,
}

impl ControlsReport {
    /// Builds the per-citation view of `doc`. `rules` are the rules that ran (with their
    /// citations); findings of a rule not listed still count under the citations they carry.
    pub fn build(
        catalogue: &CitationCatalogue,
        rules: &[RuleCitations],
        doc: &FindingsDocument,
    ) -> Self {
        // citation -> rule ids, in rule order.
        let mut rules_by_citation: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut titles: BTreeMap<&str, &str> = BTreeMap::new();
        for r in rules {
            titles.insert(&r.rule, &r.title);
            for c in &r.citations {
                let list = rules_by_citation.entry(c.as_str()).or_default();
                if !list.contains(&r.rule.as_str()) {
                    list.push(&r.rule);
                }
            }
        }
        for f in &doc.findings {
            for c in f.citations.iter() {
                let list = rules_by_citation.entry(c.as_str()).or_default();
                if !list.contains(&f.rule.as_str()) {
                    list.push(&f.rule);
                }
            }
        }
        let mut findings_by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in &doc.findings {
            findings_by_rule.entry(&f.rule).or_default().push(f);
        }

        let mut summary = ControlsSummary::default();
        let mut citations = Vec::new();
        for c in &catalogue.citations {
            let rule_ids = rules_by_citation
                .get(c.id.as_str())
                .cloned()
                .unwrap_or_default();
            let mut outcomes = Vec::new();
            // resource (its type, id, account and Region: the same id in two accounts is two
            // resources) -> failed?
            let mut resources: BTreeMap<&ward_model::ResourceRef, bool> = BTreeMap::new();
            for rule in &rule_ids {
                let mut outcome = RuleOutcome {
                    rule: rule.to_string(),
                    title: titles.get(rule).map(|t| t.to_string()).unwrap_or_default(),
                    evaluated: !doc
                        .summary
                        .rules_without_resources
                        .iter()
                        .any(|r| r == rule),
                    ..RuleOutcome::default()
                };
                for f in findings_by_rule.get(rule).into_iter().flatten() {
                    let key: &ward_model::ResourceRef = &f.resource;
                    match f.status {
                        Status::Compliant => {
                            outcome.compliant += 1;
                            resources.entry(key).or_insert(false);
                        }
                        Status::NonCompliant => {
                            outcome.non_compliant += 1;
                            resources.insert(key, true);
                        }
                        Status::Error => {
                            outcome.error += 1;
                            resources.insert(key, true);
                        }
                        Status::NotApplicable => outcome.not_applicable += 1,
                        // Waived: neither passing nor failing; counted on its own.
                        Status::Waived => outcome.waived += 1,
                    }
                }
                outcomes.push(outcome);
            }
            let failing = resources.values().filter(|failed| **failed).count();
            let counts = ResourceCounts {
                passing: resources.len() - failing,
                failing,
            };
            let status = if rule_ids.is_empty() {
                CitationStatus::Attestation
            } else if counts.failing > 0 {
                CitationStatus::NotMet
            } else if counts.passing > 0 {
                CitationStatus::Met
            } else {
                CitationStatus::NotEvaluated
            };
            summary.citations += 1;
            match status {
                CitationStatus::Met => summary.met += 1,
                CitationStatus::NotMet => summary.not_met += 1,
                CitationStatus::NotEvaluated => summary.not_evaluated += 1,
                CitationStatus::Attestation => summary.attestations += 1,
            }
            if status != CitationStatus::Attestation {
                summary.automated += 1;
            }
            citations.push(CitationReport {
                id: c.id.clone(),
                title: c.title.clone(),
                safeguard: c.safeguard.clone(),
                kind: c.kind,
                standard: c.standard.clone(),
                status,
                resources: counts,
                rules: outcomes,
                attestation: (status == CitationStatus::Attestation || c.process)
                    .then(|| c.attestation.clone())
                    .flatten(),
            });
        }
        let unknown_citations = rules_by_citation
            .iter()
            .filter(|(c, _)| catalogue.get(c).is_none())
            .map(|(c, rules)| UnknownCitation {
                citation: c.to_string(),
                rules: rules.iter().map(|r| r.to_string()).collect(),
            })
            .collect();
        ControlsReport {
            ward_version: doc.ward_version.clone(),
            format_version: CONTROLS_FORMAT_VERSION.to_string(),
            catalogue: catalogue.title.clone(),
            as_of: doc.as_of.clone(),
            summary,
            citations,
            unknown_citations,
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }

    /// The citations to collect an attestation for, in catalogue order.
    pub fn attestations(&self) -> Vec<&CitationReport> {
        self.citations
            .iter()
            .filter(|c| c.needs_attestation())
            .collect()
    }

    /// Citations grouped by safeguard, in catalogue order.
    fn by_safeguard(&self) -> Vec<(&str, Vec<&CitationReport>)> {
        let mut groups: Vec<(&str, Vec<&CitationReport>)> = Vec::new();
        for c in &self.citations {
            match groups.iter_mut().find(|(s, _)| *s == c.safeguard) {
                Some((_, list)) => list.push(c),
                None => groups.push((&c.safeguard, vec![c])),
            }
        }
        groups
    }

    /// For a person at a terminal.
    pub fn render_text(&self, color: bool) -> String {
        let paint = |style: Style, text: &str| {
            if color {
                format!("{style}{text}{style:#}")
            } else {
                text.to_string()
            }
        };
        let bold = Style::new().bold();
        let dim = Style::new().dimmed();
        let mut out = String::new();
        let _ = writeln!(out, "{}", paint(bold, &self.catalogue));
        if let Some(as_of) = &self.as_of {
            let _ = writeln!(out, "{}", paint(dim, &format!("as of {as_of}")));
        }
        for (safeguard, citations) in self.by_safeguard() {
            let _ = writeln!(out, "\n{}", paint(bold, &format!("{safeguard} safeguards")));
            for c in citations {
                let (mark, color_of) = match c.status {
                    CitationStatus::Met => ("✓", AnsiColor::Green),
                    CitationStatus::NotMet => ("✗", AnsiColor::Red),
                    CitationStatus::NotEvaluated => ("?", AnsiColor::Yellow),
                    CitationStatus::Attestation => ("•", AnsiColor::BrightBlack),
                };
                let style = Style::new().fg_color(Some(color_of.into())).bold();
                let indent = if c.standard.is_some() { "    " } else { "  " };
                let counts = match c.status {
                    CitationStatus::Attestation => "no automated rule".to_string(),
                    CitationStatus::NotEvaluated => {
                        format!("{} rule(s), no resource evaluated", c.rules.len())
                    }
                    _ => format!(
                        "{} rule(s): {} resource(s) pass, {} fail",
                        c.rules.len(),
                        c.resources.passing,
                        c.resources.failing
                    ),
                };
                let _ = writeln!(
                    out,
                    "{indent}{} {} {} {}",
                    paint(style, mark),
                    paint(bold, &c.id),
                    c.title,
                    paint(dim, &format!("[{}] {counts}", c.kind.as_str()))
                );
                let mut quiet = 0;
                for r in &c.rules {
                    if r.non_compliant + r.error > 0 {
                        let _ = writeln!(
                            out,
                            "{indent}    {} {}",
                            r.rule,
                            paint(
                                dim,
                                &format!(
                                    "{} non-compliant, {} error, {} compliant",
                                    r.non_compliant, r.error, r.compliant
                                )
                            )
                        );
                    } else {
                        quiet += 1;
                    }
                }
                if quiet > 0 && quiet < c.rules.len() {
                    let _ = writeln!(
                        out,
                        "{indent}    {}",
                        paint(dim, &format!("and {quiet} rule(s) with no failure"))
                    );
                }
            }
        }
        let attestations = self.attestations();
        if !attestations.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                paint(
                    bold,
                    "Attestations to collect (no automated rule, or a process meets the citation)"
                )
            );
            for c in attestations {
                let _ = writeln!(
                    out,
                    "  {} {}: {}{}",
                    paint(bold, &c.id),
                    c.title,
                    c.attestation_text(),
                    paint(dim, &c.evidence_note())
                );
            }
        }
        for u in &self.unknown_citations {
            let _ = writeln!(
                out,
                "\nwarning: citation `{}` (rules {}) is not in the catalogue",
                u.citation,
                u.rules.join(", ")
            );
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "\n{} citations: {} automated ({} met, {} not met, {} not evaluated), {} attestations",
            s.citations, s.automated, s.met, s.not_met, s.not_evaluated, s.attestations
        );
        out
    }

    /// For a document or a pull request.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {}: controls report\n", self.catalogue);
        if let Some(as_of) = &self.as_of {
            let _ = writeln!(
                out,
                "Evaluated as of {as_of} by Ward {}.\n",
                self.ward_version
            );
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "{} citations: {} covered by automated rules ({} met, {} not met, {} not evaluated), {} need an attestation.\n",
            s.citations, s.automated, s.met, s.not_met, s.not_evaluated, s.attestations
        );
        for (safeguard, citations) in self.by_safeguard() {
            let _ = writeln!(out, "## {safeguard} safeguards\n");
            let _ = writeln!(
                out,
                "| citation | title | kind | status | resources passing | resources failing | rules |"
            );
            let _ = writeln!(out, "|---|---|---|---|---:|---:|---|");
            for c in citations {
                let rules = if c.rules.is_empty() {
                    "no automated rule".to_string()
                } else {
                    c.rules
                        .iter()
                        .map(|r| {
                            if r.non_compliant + r.error > 0 {
                                format!("`{}` ({} failing)", r.rule, r.non_compliant + r.error)
                            } else {
                                format!("`{}`", r.rule)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("<br>")
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    c.id,
                    escape(&c.title),
                    c.kind.as_str(),
                    c.status.as_str(),
                    c.resources.passing,
                    c.resources.failing,
                    rules
                );
            }
            out.push('\n');
        }
        let attestations = self.attestations();
        if !attestations.is_empty() {
            let _ = writeln!(out, "## Attestations to collect\n");
            let _ = writeln!(
                out,
                "No configuration check can show these, or a process meets them and rules only add evidence; collect the evidence named.\n"
            );
            for c in attestations {
                let note = c.evidence_note();
                let _ = writeln!(
                    out,
                    "- **{}** {}: {}{}",
                    c.id,
                    escape(&c.title),
                    escape(c.attestation_text()),
                    if note.is_empty() {
                        note
                    } else {
                        format!(" *{}*", note.trim())
                    }
                );
            }
            out.push('\n');
        }
        if !self.unknown_citations.is_empty() {
            let _ = writeln!(out, "## Citations not in the catalogue\n");
            for u in &self.unknown_citations {
                let _ = writeln!(out, "- {} (rules: {})", u.citation, u.rules.join(", "));
            }
        }
        out
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
