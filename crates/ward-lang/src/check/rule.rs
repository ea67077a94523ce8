//! Rules and `def`s: a rule's parameters and statements, checked and lowered to a
//! [`CompiledRule`] (its metadata is [`super::meta`]'s); a `def`'s body to a [`CompiledDef`].

use std::collections::HashMap;

use serde_json::Value;
use ward_model::ResourceCatalog;

use super::Checker;
use super::meta::{META_KEYS, check_meta};
use super::types::{Ty, lower_type, param_ty};
use crate::ast::{self, Expr, ExprKind, Stmt, UnaryOp};
use crate::diagnostic::{LangDiagnostic, SourceFile, did_you_mean};
use crate::ir::{CompiledDef, CompiledRule, IrStmt, ParamSpec, RootField};

const STATEMENT_KEYWORDS: [&str; 4] = ["let", "when", "assert", "param"];

/// A `def` visible from some file: its global index and arity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DefRef {
    pub index: usize,
    pub arity: usize,
}

/// Checks one rule and lowers it. `defs` are the functions visible from its file.
pub(crate) fn check_rule(
    file: &SourceFile,
    file_index: usize,
    rule: &ast::Rule,
    defs: &HashMap<String, DefRef>,
    catalog: &'static ResourceCatalog,
    diags: &mut Vec<LangDiagnostic>,
) -> Option<CompiledRule> {
    let errors_before = diags.len();
    let meta = check_meta(file, rule, catalog, diags);
    let mut cx = Checker {
        file,
        defs,
        catalog,
        diags,
        scopes: Vec::new(),
        slots: 0,
        params: Vec::new(),
        resource_types: meta.as_ref().map(|m| m.1.clone()).unwrap_or_default(),
        in_rule: true,
    };

    let mut params = Vec::new();
    for p in &rule.params {
        if cx.params.iter().any(|(n, _)| n == &p.name.name) {
            cx.error(
                p.name.span,
                "duplicate-param",
                format!("parameter `{}` is declared twice", p.name.name),
            );
            continue;
        }
        if RootField::by_name(&p.name.name).is_some() || p.name.name == "resource" {
            cx.error(
                p.name.span,
                "reserved-name",
                format!(
                    "`{}` names a resource field and cannot be a parameter",
                    p.name.name
                ),
            );
        }
        let ty = lower_type(&p.ty);
        let default = match &p.default {
            None => None,
            Some(expr) => match const_value(expr) {
                Some(v) => match ty.convert(&v) {
                    Ok(v) if ty.accepts(&v) => Some(v),
                    _ => {
                        cx.error(
                            expr.span,
                            "param-type",
                            format!("the default of `{}` is not a {ty}", p.name.name),
                        );
                        None
                    }
                },
                None => {
                    cx.error(
                        expr.span,
                        "param-default",
                        "a parameter default must be a constant (a number, string, boolean or list of them)",
                    );
                    None
                }
            },
        };
        cx.params.push((p.name.name.clone(), param_ty(&ty)));
        params.push(ParamSpec {
            name: p.name.name.clone(),
            ty,
            default,
        });
    }

    cx.scopes.push(Vec::new());
    let mut stmts = Vec::new();
    let mut asserts = 0;
    for stmt in &rule.stmts {
        match stmt {
            Stmt::Let { name, value } => {
                let (ir, ty) = cx.expr(value);
                if cx.lookup_local(&name.name).is_some() {
                    cx.error(
                        name.span,
                        "shadowed-name",
                        format!("`{}` is already bound", name.name),
                    );
                }
                let slot = cx.bind(&name.name, ty);
                stmts.push(IrStmt::Let { slot, value: ir });
            }
            Stmt::When { cond, message } => {
                let (ir, ty) = cx.expr(cond);
                cx.expect_bool(&ty, cond.span, "`when`");
                let message = message.as_ref().map(|m| cx.message(m));
                stmts.push(IrStmt::When { cond: ir, message });
            }
            Stmt::Assert { cond, message } => {
                asserts += 1;
                let (ir, ty) = cx.expr(cond);
                cx.expect_bool(&ty, cond.span, "`assert`");
                let message = cx.message(message);
                stmts.push(IrStmt::Assert { cond: ir, message });
            }
            Stmt::Unknown { keyword, .. } if keyword.name == "assert" => {
                // Counted, so the rule is not also reported as having no assert.
                asserts += 1;
                cx.diags.push(
                    LangDiagnostic::new(
                        file,
                        keyword.span,
                        "incomplete-statement",
                        "`assert` needs a condition followed by `else \"message\"`",
                    )
                    .with_label("this assert has no `else` message")
                    .with_help(
                        "write `assert CONDITION else \"what is wrong, shown when CONDITION is false\"`",
                    ),
                );
            }
            Stmt::Unknown { keyword, .. } => {
                let mut candidates: Vec<&str> = STATEMENT_KEYWORDS.to_vec();
                candidates.extend(META_KEYS);
                cx.diags.push(
                    LangDiagnostic::new(
                        file,
                        keyword.span,
                        "unknown-keyword",
                        format!("unknown statement `{}`", keyword.name),
                    )
                    .with_label("not a statement keyword")
                    .with_help(did_you_mean(&keyword.name, candidates.iter().copied())),
                );
            }
        }
    }
    if asserts == 0 {
        cx.error(
            rule.id_span,
            "no-assert",
            format!(
                "rule `{}` has no `assert`: it could never be non-compliant",
                rule.id
            ),
        );
    }
    let slots = cx.slots;
    if diags.len() > errors_before {
        return None;
    }
    let (meta, resource_types) = meta?;
    Some(CompiledRule {
        id: rule.id.clone(),
        meta,
        resource_types,
        params,
        stmts,
        slots,
        file: file_index,
        span: rule.span,
    })
}

/// Checks and lowers one `def` body.
pub(crate) fn check_def(
    file: &SourceFile,
    def: &ast::Def,
    defs: &HashMap<String, DefRef>,
    catalog: &'static ResourceCatalog,
    diags: &mut Vec<LangDiagnostic>,
) -> CompiledDef {
    let mut cx = Checker {
        file,
        defs,
        catalog,
        diags,
        scopes: vec![Vec::new()],
        slots: 0,
        params: Vec::new(),
        resource_types: Vec::new(),
        in_rule: false,
    };
    for p in &def.params {
        if cx.lookup_local(&p.name).is_some() {
            cx.error(
                p.span,
                "duplicate-param",
                format!("parameter `{}` is declared twice", p.name),
            );
        }
        cx.bind(&p.name, Ty::Any);
    }
    let (body, _) = cx.expr(&def.body);
    CompiledDef {
        name: def.name.name.clone(),
        arity: def.params.len(),
        body,
        slots: cx.slots,
    }
}

/// A constant expression's JSON value (parameter defaults).
fn const_value(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Num(n) => num_value(*n),
        ExprKind::Str(s) => Some(Value::String(ast::unescape(&s.raw))),
        ExprKind::Bool(b) => Some(Value::Bool(*b)),
        ExprKind::List(items) => items
            .iter()
            .map(const_value)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        ExprKind::Unary(UnaryOp::Neg, inner) => match &inner.kind {
            ExprKind::Num(n) => num_value(-*n),
            _ => None,
        },
        _ => None,
    }
}

fn num_value(n: f64) -> Option<Value> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Some(Value::from(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)
    }
}
