//! IAM policy documents: statements with their effect, action and resource sets.

use serde_json::Value;

use std::sync::Arc;

use super::catalog::{ActionCatalog, ActionSet};
use super::glob;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Where a statement comes from: the policy and the statement's place in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatementRef {
    /// `inline`, `managed` (customer managed, from the inventory), `aws-managed`, or
    /// `resource` (a bucket or key policy).
    pub kind: &'static str,
    /// The inline policy's name, or the managed policy's ARN.
    pub policy: String,
    /// The principal (`role/NAME`, `user/NAME`, `group/NAME`) the policy is attached to.
    pub attached_to: String,
    /// Zero-based index of the statement in the document.
    pub index: usize,
    pub sid: Option<String>,
}

impl StatementRef {
    /// `managed policy arn:...:policy/X, statement 0 (Sid "All"), attached to role/dev`.
    pub fn describe(&self) -> String {
        let sid = match &self.sid {
            Some(s) => format!(" (Sid \"{s}\")"),
            None => String::new(),
        };
        let kind = match self.kind {
            // `the bucket policy of NAME, statement 0`: the policy names its holder.
            "resource" => return format!("{}, statement {}{sid}", self.policy, self.index),
            "inline" => "inline policy",
            "aws-managed" => "AWS managed policy",
            _ => "managed policy",
        };
        format!(
            "{kind} {}, statement {}{sid}, attached to {}",
            self.policy, self.index, self.attached_to
        )
    }

    /// A short key for evidence paths: `POLICY#SID` or `POLICY#INDEX`.
    pub fn key(&self) -> String {
        match &self.sid {
            Some(s) => format!("{}#{s}", self.policy),
            None => format!("{}#{}", self.policy, self.index),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Patterns {
    /// `Action` / `Resource`: the listed patterns.
    Listed(Vec<String>),
    /// `NotAction` / `NotResource`: everything but the listed patterns.
    AllBut(Vec<String>),
}

/// One statement, with the catalogue actions it names resolved.
#[derive(Debug, Clone)]
pub struct Statement {
    pub effect: Effect,
    /// For each catalogue action (by index), whether the statement's action set includes it.
    pub actions: Arc<[bool]>,
    pub resources: Patterns,
    /// The statement has a `Condition` (or, for a `Deny`, a policy variable in its resources):
    /// it may or may not apply. A conditional `Allow` counts as granting, a conditional
    /// `Deny` removes nothing (the stricter reading both ways).
    pub conditional: bool,
    pub source: StatementRef,
}

/// A string, or a list of strings, as a list.
pub(crate) fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// A policy document's statements as written: its `Statement` list, or its one statement.
pub(crate) fn statement_values(doc: &Value) -> Result<Vec<&Value>, String> {
    match doc.get("Statement") {
        Some(Value::Array(items)) => Ok(items.iter().collect()),
        Some(s @ Value::Object(_)) => Ok(vec![s]),
        Some(other) => Err(format!("`Statement` is not a list or object: {other}")),
        None if doc.is_object() => Ok(Vec::new()),
        None => Err("the policy document is not a JSON object".to_string()),
    }
}

/// Parses a policy document's statements. A statement Ward cannot read is an `Err` naming it
/// (the caller fails closed).
pub fn parse_document(
    doc: &Value,
    catalog: &ActionCatalog,
    source: &StatementRef,
) -> Result<Vec<Statement>, String> {
    statement_values(doc)?
        .into_iter()
        .enumerate()
        .map(|(i, s)| parse_statement(s, i, catalog, source))
        .collect()
}

/// Parses a list of statements given without their document.
pub fn parse_statements(
    statements: &[Value],
    catalog: &ActionCatalog,
    source: &StatementRef,
) -> Result<Vec<Statement>, String> {
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| parse_statement(s, i, catalog, source))
        .collect()
}

fn parse_statement(
    s: &Value,
    index: usize,
    catalog: &ActionCatalog,
    source: &StatementRef,
) -> Result<Statement, String> {
    let sid = s.get("Sid").and_then(Value::as_str).map(str::to_string);
    let at = match &sid {
        Some(sid) => format!("statement {index} (Sid \"{sid}\")"),
        None => format!("statement {index}"),
    };
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => return Err(format!("{at}: `Effect` is {other:?}, not Allow or Deny")),
    };
    let lower = |v: Vec<String>| v.into_iter().map(|p| p.to_ascii_lowercase()).collect();
    let action_set = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => ActionSet {
            all_but: false,
            patterns: lower(strings(a).ok_or(format!("{at}: unreadable `Action`"))?),
        },
        (None, Some(a)) => ActionSet {
            all_but: true,
            patterns: lower(strings(a).ok_or(format!("{at}: unreadable `NotAction`"))?),
        },
        _ => {
            return Err(format!(
                "{at}: needs exactly one of `Action` and `NotAction`"
            ));
        }
    };
    let resources = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), None) => {
            Patterns::Listed(strings(r).ok_or(format!("{at}: unreadable `Resource`"))?)
        }
        (None, Some(r)) => {
            Patterns::AllBut(strings(r).ok_or(format!("{at}: unreadable `NotResource`"))?)
        }
        _ => {
            return Err(format!(
                "{at}: needs exactly one of `Resource` and `NotResource`"
            ));
        }
    };
    let actions = catalog.resolve(&action_set);
    let has_variable = match &resources {
        Patterns::Listed(p) | Patterns::AllBut(p) => p.iter().any(|p| p.contains("${")),
    };
    let conditional = s.get("Condition").is_some_and(|c| !c.is_null())
        || (effect == Effect::Deny && has_variable);
    // A policy variable stands for any value: `*` (only matters for Allow, see above).
    let resources = match resources {
        Patterns::Listed(p) => Patterns::Listed(p.iter().map(|p| devariable(p)).collect()),
        Patterns::AllBut(p) => Patterns::AllBut(p.iter().map(|p| devariable(p)).collect()),
    };
    Ok(Statement {
        effect,
        actions,
        resources,
        conditional,
        source: StatementRef {
            index,
            sid,
            ..source.clone()
        },
    })
}

fn devariable(p: &str) -> String {
    let mut out = String::new();
    let mut rest = p;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        match rest.get(start..).and_then(|r| r.find('}')) {
            Some(end) => {
                out.push('*');
                rest = rest.get(start + end + 1..).unwrap_or("");
            }
            None => {
                rest = rest.get(start..).unwrap_or("");
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Statement {
    /// An `Allow`: could it grant on some of `targets`?
    pub fn reaches(&self, targets: &[&str]) -> bool {
        match &self.resources {
            Patterns::Listed(p) => targets
                .iter()
                .any(|t| p.iter().any(|p| glob::intersects(p, t))),
            Patterns::AllBut(p) => targets
                .iter()
                .any(|t| !p.iter().any(|p| glob::covers(p, t))),
        }
    }

    /// A `Deny`: does it certainly cover all of `targets`?
    pub fn covers_all(&self, targets: &[&str]) -> bool {
        if self.conditional {
            return false;
        }
        match &self.resources {
            Patterns::Listed(p) => targets.iter().all(|t| p.iter().any(|p| glob::covers(p, t))),
            Patterns::AllBut(p) => targets
                .iter()
                .all(|t| !p.iter().any(|p| glob::intersects(p, t))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_become_wildcards() {
        assert_eq!(
            devariable("arn:aws:s3:::home/${aws:username}/*"),
            "arn:aws:s3:::home/*/*"
        );
        assert_eq!(devariable("plain"), "plain");
    }
}
