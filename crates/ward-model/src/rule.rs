//! What every backend tells about the rules it holds, whatever language they are written in:
//! the rule language, Cedar policies or WASM plugins. Commands and reports (`ward rules`,
//! `ward explain`, SARIF, JUnit, Markdown, the pack README table) read only this.

use serde_json::Value;

use crate::finding::Severity;

/// A rule's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    /// The backend that evaluates it, as in [`crate::Finding::backend`].
    pub backend: String,
    pub title: String,
    pub severity: Severity,
    /// HIPAA citations, e.g. `164.312(b)`.
    pub citations: Vec<String>,
    /// Other frameworks' controls, e.g. `NIST-800-53:AC-4`.
    pub frameworks: Vec<String>,
    /// The resource types it evaluates.
    pub resource_types: Vec<String>,
    /// Its parameters, with their defaults.
    pub params: Vec<ParamInfo>,
    pub description: Option<String>,
    pub rationale: Option<String>,
    pub remediation: Option<String>,
    /// Where its semantics come from (e.g. the AWS Config managed rule it implements).
    pub reference: Option<String>,
    /// Where the rule is defined.
    pub source: Option<SourceLocation>,
}

impl RuleInfo {
    /// A rule with only the required fields set; the rest empty.
    pub fn new(id: &str, backend: &str, title: &str, severity: Severity) -> RuleInfo {
        RuleInfo {
            id: id.to_string(),
            backend: backend.to_string(),
            title: title.to_string(),
            severity,
            citations: Vec::new(),
            frameworks: Vec::new(),
            resource_types: Vec::new(),
            params: Vec::new(),
            description: None,
            rationale: None,
            remediation: None,
            reference: None,
            source: None,
        }
    }
}

/// One parameter of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    pub name: String,
    /// Its type as the rule's language writes it (`int`, `list<string>`...).
    pub ty: String,
    /// The default value; `None` when the parameter is optional without one.
    pub default: Option<Value>,
}

/// A file and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file as the pack names it: a path relative to the working directory (or
    /// absolute), or `<builtin>/policies/hipaa/NAME.ward` for the built-in pack.
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The rule named `id` in `rules`.
pub fn find<'a>(rules: &'a [RuleInfo], id: &str) -> Option<&'a RuleInfo> {
    rules.iter().find(|r| r.id == id)
}

/// Which resources a rule reads besides the one it evaluates: what a Config rule event must
/// fetch beside its item, and a scheduled run beside the types the rule selects. Computed
/// by each backend from its compiled rules (the rule language: through every `def` it calls
/// and every import), never from source text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypesRead {
    /// The types it names (`resources(T)`, `lookup(T, …)`, `related(T)`, a type literal).
    pub types: std::collections::BTreeSet<String>,
    /// It may read a resource of any type (`lookup_arn`, or a type that is not a literal).
    pub any_type: bool,
}

impl TypesRead {
    /// Whether the rule looks at any resource other than the one it evaluates.
    pub fn reads_others(&self) -> bool {
        self.any_type || !self.types.is_empty()
    }
}
