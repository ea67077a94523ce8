//! IAM policy documents: statements with their effect, action and resource sets.

use serde_json::Value;

use std::sync::Arc;

use crate::catalog::{ActionCatalog, ActionSet};
use crate::pattern;

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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// Shared by the copies of a statement (a managed policy's, for each principal it is
    /// attached to), so that what is learnt about them holds for all ([`crate::access`]).
    pub resources: Arc<Patterns>,
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

/// A statement's elements as written, their shapes checked: what the least-privilege
/// analysis ([`Statement`]) and a single request's decision ([`may_allow`]) both read.
#[derive(Debug, Clone)]
pub struct Elements {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Action` or `NotAction`, the patterns in lower case (actions compare case-insensitively).
    pub actions: ActionSet,
    /// `Resource` or `NotResource`; `None` when the statement has neither (a role's trust
    /// policy, whose resource is the role).
    pub resources: Option<Patterns>,
    /// The statement has a non-null `Condition`.
    pub conditional: bool,
}

impl Elements {
    /// `statement 2 (Sid "Logs")`: where a problem is, for messages.
    pub fn describe(&self) -> String {
        describe_statement(self.index, self.sid.as_deref())
    }

    /// True when the statement names `action` (through `Action`, or `NotAction` not
    /// excluding it) and `resource` (no resource element: every resource).
    pub fn applies_to(&self, action: &str, resource: &str) -> bool {
        let named = self
            .actions
            .patterns
            .iter()
            .any(|p| pattern::matches_action(p, action));
        // A policy variable (`${aws:username}`) stands for any value, as in the analysis.
        let resource_named =
            |p: &Vec<String>| p.iter().any(|p| pattern::matches(&devariable(p), resource));
        let resource_ok = match &self.resources {
            None => true,
            Some(Patterns::Listed(p)) => resource_named(p),
            Some(Patterns::AllBut(p)) => !resource_named(p),
        };
        named != self.actions.all_but && resource_ok
    }
}

fn describe_statement(index: usize, sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("statement {index} (Sid \"{sid}\")"),
        None => format!("statement {index}"),
    }
}

/// Reads statement number `index` of a policy. A shape IAM would reject (no `Effect`, both
/// or neither of `Action` and `NotAction`, both `Resource` and `NotResource`, an element that
/// is not a string or a list of strings) is an `Err` naming the statement and element.
pub fn read_elements(s: &Value, index: usize) -> Result<Elements, String> {
    let sid = s.get("Sid").and_then(Value::as_str).map(str::to_string);
    let at = describe_statement(index, sid.as_deref());
    if !s.is_object() {
        return Err(format!("{at} is not an object: {s}"));
    }
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => {
            return Err(match s.get("Effect") {
                Some(v) => format!("{at}: `Effect` is {v}, not \"Allow\" or \"Deny\""),
                None => format!("{at}: has no `Effect`"),
            });
        }
    };
    let element = |name: &str, v: &Value| {
        strings(v)
            .ok_or_else(|| format!("{at}: `{name}` is {v}, not a string or a list of strings"))
    };
    let lower = |v: Vec<String>| v.into_iter().map(|p| p.to_ascii_lowercase()).collect();
    let actions = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => ActionSet {
            all_but: false,
            patterns: lower(element("Action", a)?),
        },
        (None, Some(a)) => ActionSet {
            all_but: true,
            patterns: lower(element("NotAction", a)?),
        },
        _ => {
            return Err(format!(
                "{at}: needs exactly one of `Action` and `NotAction`"
            ));
        }
    };
    let resources = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), None) => Some(Patterns::Listed(element("Resource", r)?)),
        (None, Some(r)) => Some(Patterns::AllBut(element("NotResource", r)?)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(format!("{at}: has both `Resource` and `NotResource`"));
        }
    };
    Ok(Elements {
        index,
        sid,
        effect,
        actions,
        resources,
        conditional: s.get("Condition").is_some_and(|c| !c.is_null()),
    })
}

/// Whether a policy document may allow `action` on `resource`: some statement that applies
/// allows it and no unconditional statement that applies denies it. A conditional `Allow`
/// counts as allowing and a conditional `Deny` denies nothing (conditions are not
/// evaluated: Ward over-approximates access, the same reading as the least-privilege
/// analysis). A statement Ward cannot read is an `Err`.
pub fn may_allow(doc: &Value, action: &str, resource: &str) -> Result<bool, String> {
    let mut allowed = false;
    for (i, s) in statement_values(doc)?.into_iter().enumerate() {
        let e = read_elements(s, i)?;
        if !e.applies_to(action, resource) {
            continue;
        }
        // A Deny whose resources hold a policy variable may not apply: like a conditional one,
        // it denies nothing (the analysis reads it the same way).
        let has_variable = match &e.resources {
            Some(Patterns::Listed(p) | Patterns::AllBut(p)) => p.iter().any(|p| p.contains("${")),
            None => false,
        };
        match e.effect {
            Effect::Deny if !e.conditional && !has_variable => return Ok(false),
            Effect::Deny => {}
            Effect::Allow => allowed = true,
        }
    }
    Ok(allowed)
}

fn parse_statement(
    s: &Value,
    index: usize,
    catalog: &ActionCatalog,
    source: &StatementRef,
) -> Result<Statement, String> {
    let e = read_elements(s, index)?;
    let Some(resources) = e.resources else {
        return Err(format!(
            "{}: needs exactly one of `Resource` and `NotResource`",
            e.describe()
        ));
    };
    let actions = catalog.resolve(&e.actions);
    let has_variable = match &resources {
        Patterns::Listed(p) | Patterns::AllBut(p) => p.iter().any(|p| p.contains("${")),
    };
    let conditional = e.conditional || (e.effect == Effect::Deny && has_variable);
    // A policy variable stands for any value: `*` (only matters for Allow, see above).
    let resources = match resources {
        Patterns::Listed(p) => Patterns::Listed(p.iter().map(|p| devariable(p)).collect()),
        Patterns::AllBut(p) => Patterns::AllBut(p.iter().map(|p| devariable(p)).collect()),
    };
    Ok(Statement {
        effect: e.effect,
        actions,
        resources: Arc::new(resources),
        conditional,
        source: StatementRef {
            index,
            sid: e.sid,
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
        match &*self.resources {
            Patterns::Listed(p) => targets
                .iter()
                .any(|t| p.iter().any(|p| pattern::intersects(p, t))),
            Patterns::AllBut(p) => targets
                .iter()
                .any(|t| !p.iter().any(|p| pattern::covers(p, t))),
        }
    }

    /// A `Deny`: does it certainly cover all of `targets`?
    pub fn covers_all(&self, targets: &[&str]) -> bool {
        if self.conditional {
            return false;
        }
        match &*self.resources {
            Patterns::Listed(p) => targets
                .iter()
                .all(|t| p.iter().any(|p| pattern::covers(p, t))),
            Patterns::AllBut(p) => targets
                .iter()
                .all(|t| !p.iter().any(|p| pattern::intersects(p, t))),
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
