//! The checker: resolves names, functions and resource types, infers types, checks field
//! names against the resource catalogue, and lowers the AST to [`crate::ir`]. Every problem
//! becomes a [`LangDiagnostic`]; checking goes on after one so all are reported together.
//!
//! By concern, one module each: `rule` checks rules and `def`s (`meta`, a rule's metadata),
//! `expr` types and lowers expressions, `calls` calls of `def`s and built-ins (checked by
//! their rows in [`crate::functions`]), `types` holds [`Ty`]. Here is the `Checker` they
//! share: the file, the scopes of local names and the diagnostics.

mod calls;
mod expr;
mod meta;
mod rule;
mod types;

use std::collections::HashMap;

use ward_model::ResourceCatalog;

use crate::ast::Span;
use crate::diagnostic::{LangDiagnostic, SourceFile};

pub(crate) use rule::{DefRef, check_def, check_rule};
pub use types::Ty;

/// The state of checking one rule or `def` body.
struct Checker<'a> {
    file: &'a SourceFile,
    defs: &'a HashMap<String, DefRef>,
    catalog: &'static ResourceCatalog,
    diags: &'a mut Vec<LangDiagnostic>,
    scopes: Vec<Vec<(String, usize, Ty)>>,
    slots: usize,
    params: Vec<(String, Ty)>,
    resource_types: Vec<String>,
    in_rule: bool,
}

impl Checker<'_> {
    fn error(&mut self, span: Span, code: &str, message: impl Into<String>) {
        self.diags
            .push(LangDiagnostic::new(self.file, span, code, message));
    }

    fn bind(&mut self, name: &str, ty: Ty) -> usize {
        let slot = self.slots;
        self.slots += 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.to_string(), slot, ty));
        }
        slot
    }

    fn lookup_local(&self, name: &str) -> Option<(usize, Ty)> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _, _)| n == name)
            .map(|(_, slot, ty)| (*slot, ty.clone()))
    }

    fn expect_bool(&mut self, ty: &Ty, span: Span, what: &str) {
        if !ty.compatible(&Ty::Bool) {
            let d = LangDiagnostic::new(
                self.file,
                span,
                "type",
                format!("{what} needs a boolean, found {}", ty.describe()),
            )
            .with_label(format!("this is {}", ty.describe()))
            .with_help(match ty {
                Ty::Str => "compare it (`x == \"value\"`) or convert with `bool(x)`",
                Ty::List(_) => "use `count(xs) > 0`, `any(xs, x => …)` or `all(xs, x => …)`",
                _ => "compare it with something, or test presence with `exists(x)`",
            });
            self.diags.push(d);
        }
    }
}
