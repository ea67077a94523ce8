//! Which configuration fields a pack can read: the names of the first-level keys of
//! `configuration` and `supplementaryConfiguration` its rules and `def`s name, so the importer
//! can skip the rest at scan speed (`ward_model::FieldNeeds`).
//!
//! The answer is exact only when every use of a configuration object is the base of a field
//! access with a literal name (`configuration.x`, `r.configuration["x"]`). Any other use (the
//! object bound to a name, passed to a function, compared, indexed by a computed key) could
//! observe any key, and the pack then needs every field.

use std::collections::BTreeSet;

use ward_model::TypesRead;

use crate::functions::Builtin;
use crate::ir::{Ir, IrArg, IrStmt, MessagePart, RootField};
use crate::pack::Pack;

/// What a pack reads of configuration items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldUse {
    /// The first-level keys of `configuration` / `supplementaryConfiguration` it names.
    pub names: BTreeSet<String>,
    /// Types whose configuration some rule uses whole (its own resource's, e.g. passed to
    /// a `def`): kept whole.
    pub whole_types: BTreeSet<String>,
    /// Rules and `def`s that use a configuration object of a resource of unknown type
    /// whole: when any, every field of every item is needed.
    pub everything_in: Vec<String>,
}

/// What the pack's rules and `def`s read of configuration items.
///
/// A rule that uses another resource's configuration whole (itself, or through a `def` it
/// calls) keeps whole every type that resource can be: its own types and those it names
/// in `resources`, `lookup` and `related` (which take a literal type). `lookup_arn` can
/// return any type, so such a rule needs everything.
pub fn configuration_fields(pack: &Pack) -> FieldUse {
    configuration_fields_of(pack, None)
}

/// [`configuration_fields`] of the rules in `only` (every rule when `None`), with the
/// `def`s they call.
pub fn configuration_fields_of(pack: &Pack, only: Option<&BTreeSet<String>>) -> FieldUse {
    let mut out = FieldUse::default();
    for (rule, summary) in rule_summaries(pack, only) {
        if summary.whole_own {
            out.whole_types.extend(rule.resource_types.iter().cloned());
        }
        if summary.whole_other {
            if summary.any_type {
                out.everything_in.push(format!("rule `{}`", rule.id));
            } else {
                out.whole_types.extend(rule.resource_types.iter().cloned());
                out.whole_types.extend(summary.types);
            }
        }
        out.names.extend(summary.names);
    }
    out
}

/// [`TypesRead`] of every rule of the pack, by rule id.
pub fn types_read(pack: &Pack) -> std::collections::BTreeMap<String, TypesRead> {
    rule_summaries(pack, None)
        .into_iter()
        .map(|(rule, summary)| {
            (
                rule.id.clone(),
                TypesRead {
                    types: summary.types,
                    any_type: summary.any_type,
                },
            )
        })
        .collect()
}

/// Each rule (of `only`, or all) with what it and the `def`s it calls do, transitively.
fn rule_summaries<'p>(
    pack: &'p Pack,
    only: Option<&BTreeSet<String>>,
) -> Vec<(&'p crate::ir::CompiledRule, Summary)> {
    let mut walk = Walk::default();
    let mut defs = Vec::with_capacity(pack.defs.len());
    for def in &pack.defs {
        walk.start();
        walk.expr(&def.body);
        defs.push(walk.summary());
    }
    let mut out = Vec::new();
    for rule in pack
        .rules
        .iter()
        .filter(|r| only.is_none_or(|o| o.contains(&r.id)))
    {
        walk.start();
        for stmt in &rule.stmts {
            match stmt {
                // `let cfg = configuration`: `cfg` is the configuration object too.
                IrStmt::Let { slot, value } if walk.configuration_object(value).is_some() => {
                    walk.aliases.insert(*slot);
                    if let Some(Some(resource)) = walk.configuration_object(value) {
                        walk.expr(resource);
                    }
                }
                IrStmt::Let { value, .. } => walk.expr(value),
                IrStmt::When { cond, message } => {
                    walk.expr(cond);
                    if let Some(m) = message {
                        walk.message(&m.parts);
                    }
                }
                IrStmt::Assert { cond, message } => {
                    walk.expr(cond);
                    walk.message(&message.parts);
                }
            }
        }
        let mut summary = walk.summary();
        // Fold in every def the rule calls, transitively.
        let mut seen = BTreeSet::new();
        let mut todo: Vec<usize> = summary.calls.iter().copied().collect();
        while let Some(i) = todo.pop() {
            if !seen.insert(i) {
                continue;
            }
            if let Some(def) = defs.get(i) {
                // In a `def`, even `configuration` may be another resource's.
                summary.whole_other |= def.whole_own || def.whole_other;
                summary.any_type |= def.any_type;
                summary.types.extend(def.types.iter().cloned());
                summary.names.extend(def.names.iter().cloned());
                todo.extend(def.calls.iter().copied());
            }
        }
        out.push((rule, summary));
    }
    out
}

/// What one rule or `def` body does with configuration objects.
#[derive(Debug, Default)]
struct Summary {
    whole_own: bool,
    whole_other: bool,
    /// Resource types it names (`resources(T)`, `lookup(T, id)`, `related(T)`...).
    types: BTreeSet<String>,
    /// It calls `lookup_arn`, which can return a resource of any type.
    any_type: bool,
    calls: BTreeSet<usize>,
    /// First-level configuration keys it names.
    names: BTreeSet<String>,
}

#[derive(Default)]
struct Walk {
    /// Names seen in the current body.
    names: BTreeSet<String>,
    types: BTreeSet<String>,
    any_type: bool,
    calls: BTreeSet<usize>,
    /// The evaluated resource's configuration object is used other than through a named
    /// field.
    whole_own: bool,
    /// Another resource's is.
    whole_other: bool,
    /// The current rule's `let` slots bound to its configuration object.
    aliases: BTreeSet<usize>,
}

impl Walk {
    /// Starts a new body.
    fn start(&mut self) {
        self.aliases.clear();
        self.names.clear();
        self.whole_own = false;
        self.whole_other = false;
        self.any_type = false;
        self.types.clear();
        self.calls.clear();
    }

    fn summary(&mut self) -> Summary {
        Summary {
            whole_own: self.whole_own,
            whole_other: self.whole_other,
            types: std::mem::take(&mut self.types),
            any_type: self.any_type,
            calls: std::mem::take(&mut self.calls),
            names: std::mem::take(&mut self.names),
        }
    }
    /// `configuration`, `supplementaryConfiguration`, a `let` bound to one of them, or
    /// `x.configuration` of another resource (then `Some(x)`).
    fn configuration_object<'a>(&self, ir: &'a Ir) -> Option<Option<&'a Ir>> {
        match ir {
            Ir::Root(RootField::Configuration | RootField::SupplementaryConfiguration) => {
                Some(None)
            }
            Ir::Local(slot) if self.aliases.contains(slot) => Some(None),
            Ir::Field(base, name)
                if matches!(
                    name.as_ref(),
                    "configuration" | "supplementaryConfiguration"
                ) =>
            {
                Some(Some(base))
            }
            _ => None,
        }
    }
    fn message(&mut self, parts: &[MessagePart]) {
        for part in parts {
            if let MessagePart::Expr(e) = part {
                self.expr(e);
            }
        }
    }

    /// A configuration object used as the base of a literal field access: only its own
    /// base (the resource it belongs to) is walked further.
    fn configuration_base(&mut self, base: &Ir) -> bool {
        match self.configuration_object(base) {
            Some(resource) => {
                if let Some(resource) = resource {
                    self.expr(resource);
                }
                true
            }
            None => false,
        }
    }

    fn expr(&mut self, ir: &Ir) {
        match ir {
            other if self.configuration_object(other).is_some() => {
                match self.configuration_object(other) {
                    Some(Some(resource)) => {
                        self.whole_other = true;
                        self.expr(resource);
                    }
                    _ => self.whole_own = true,
                }
            }
            Ir::Field(base, name) => {
                self.names.insert(name.to_string());
                if !self.configuration_base(base) {
                    self.expr(base);
                }
            }
            Ir::Index(base, index) => match index.as_ref() {
                Ir::Str(name) => {
                    self.names.insert(name.to_string());
                    if !self.configuration_base(base) {
                        self.expr(base);
                    }
                }
                other => {
                    self.expr(base);
                    self.expr(other);
                }
            },
            Ir::Type(t) => {
                self.types.insert(t.to_string());
            }
            Ir::CallDef(index, _) => {
                self.calls.insert(*index);
                ir.for_each_child(&mut |child| self.expr(child));
            }
            Ir::Call(builtin, args) => {
                // `lookup_arn` can return any type; so can `resources`, `all_resources`,
                // `lookup` and `related` given a type that is not a literal.
                let literal_type = matches!(args.first(), Some(IrArg::Value(Ir::Type(_))));
                if *builtin == Builtin::LookupArn
                    || (matches!(
                        builtin,
                        Builtin::Lookup
                            | Builtin::Related
                            | Builtin::Resources
                            | Builtin::AllResources
                    ) && !literal_type)
                {
                    self.any_type = true;
                }
                ir.for_each_child(&mut |child| self.expr(child));
            }
            // Everything else reads only what its parts read.
            other => other.for_each_child(&mut |child| self.expr(child)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::SourceFile;

    fn fields(text: &str) -> FieldUse {
        let file = SourceFile::new(
            std::path::PathBuf::from("t.ward"),
            "t.ward".to_string(),
            text,
        );
        let pack = crate::load_pack_sources(vec![file], &mut |p: &std::path::Path| {
            Err(crate::PackError::Io {
                path: p.to_path_buf(),
                source: std::io::Error::other("no imports"),
            })
        })
        .unwrap();
        configuration_fields(&pack)
    }

    const HEAD: &str = "rule r {\n  title: \"t\"\n  severity: low\n  resource: AWS::EC2::SecurityGroup\n  hipaa: [\"164.312(b)\"]\n";

    #[test]
    fn named_fields_through_lambdas_and_other_resources() {
        let got = fields(&format!(
            "{HEAD}  let open = filter(configuration.ipPermissions ?? [], p => p.fromPort == 22)\n  assert count(open) == 0 and all(resources(AWS::EC2::VPC), v => v.configuration[\"cidrBlock\"] != \"\") else \"x\"\n}}\n"
        ));
        assert!(got.whole_types.is_empty() && got.everything_in.is_empty());
        let got: Vec<&str> = got.names.iter().map(String::as_str).collect();
        assert_eq!(got, ["cidrBlock", "fromPort", "ipPermissions"]);
    }

    #[test]
    fn its_own_configuration_used_whole_keeps_its_types_whole() {
        for body in [
            "  assert count(keys(configuration)) > 0 else \"x\"\n",
            "  let c = configuration\n  assert count(keys(c)) > 0 else \"x\"\n",
        ] {
            let got = fields(&format!("{HEAD}{body}}}\n"));
            assert_eq!(
                got.whole_types.into_iter().collect::<Vec<_>>(),
                ["AWS::EC2::SecurityGroup"]
            );
            assert!(got.everything_in.is_empty());
        }
    }

    #[test]
    fn another_resources_configuration_used_whole_keeps_the_types_it_can_be() {
        let got = fields(&format!(
            "{HEAD}  assert all(resources(AWS::EC2::VPC), v => count(keys(v.configuration)) > 0) else \"x\"\n}}\n"
        ));
        assert!(got.everything_in.is_empty());
        assert_eq!(
            got.whole_types.into_iter().collect::<Vec<_>>(),
            ["AWS::EC2::SecurityGroup", "AWS::EC2::VPC"]
        );
        let got = fields(&format!(
            "{HEAD}  assert count(keys(lookup_arn(\"arn:x\").configuration)) > 0 else \"x\"\n}}\n"
        ));
        assert_eq!(got.everything_in, ["rule `r`"]);
    }

    #[test]
    fn a_let_bound_to_the_configuration_is_followed() {
        let got = fields(&format!(
            "{HEAD}  let c = configuration\n  assert exists(c.groupId) else \"x\"\n}}\n"
        ));
        assert!(got.whole_types.is_empty());
        assert_eq!(got.names.into_iter().collect::<Vec<_>>(), ["groupId"]);
    }
}
