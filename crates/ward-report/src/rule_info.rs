//! What reporters may know about a rule beyond its findings: title, descriptions,
//! remediation and where it is defined. The CLI fills it from the loaded pack; reporters
//! that get none fall back to what the findings carry.

use ward_model::Severity;

/// A rule's metadata, as the SARIF, JUnit and Markdown reports use it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// HIPAA citations, e.g. `164.312(b)`.
    pub citations: Vec<String>,
    pub description: Option<String>,
    pub rationale: Option<String>,
    pub remediation: Option<String>,
    /// Where the rule is defined.
    pub source: Option<SourceLocation>,
}

/// A file and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file as the pack names it: a path relative to the working directory (or
    /// absolute), or `<builtin>/policies/hipaa/NAME.ward` for the built-in pack.
    pub file: String,
    pub line: usize,
}

/// The rule named `id` in `rules`.
pub fn find<'a>(rules: &'a [RuleInfo], id: &str) -> Option<&'a RuleInfo> {
    rules.iter().find(|r| r.id == id)
}
