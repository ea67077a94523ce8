//! Expressions: their types inferred and checked, names resolved (locals, rule parameters,
//! resource fields), fields checked against the resource catalogue, and the lowering to
//! [`Ir`]; also the `{…}` interpolations of messages. Calls are [`super::calls`]'.

use std::collections::BTreeSet;
use std::sync::Arc;

use ward_model::Shape;

use super::Checker;
use super::types::{Ty, shapes_ty};
use crate::ast::{self, BinaryOp, Expr, ExprKind, Span, UnaryOp};
use crate::diagnostic::{LangDiagnostic, did_you_mean};
use crate::ir::{ArithOp, CmpOp, Ir, Message, MessagePart, RootField};
use crate::parse::parse_expr_at;

/// The offset of the `}` that closes an interpolation, skipping `}` inside quoted strings.
fn closing_brace(text: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '}' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

impl Checker<'_> {
    pub(super) fn message(&mut self, lit: &ast::StrLit) -> Message {
        let mut parts = Vec::new();
        let raw = &lit.raw;
        let base = lit.span.start + 1;
        let mut text = String::new();
        let mut i = 0;
        let bytes = raw.as_bytes();
        while i < bytes.len() {
            let c = bytes.get(i).copied().unwrap_or(b' ');
            let next = bytes.get(i + 1).copied();
            if c == b'\\' {
                let end = (i + 2).min(bytes.len());
                text.push_str(&ast::unescape(raw.get(i..end).unwrap_or("")));
                i = end;
            } else if c == b'{' && next == Some(b'{') {
                text.push('{');
                i += 2;
            } else if c == b'}' && next == Some(b'}') {
                text.push('}');
                i += 2;
            } else if c == b'{' {
                let Some(close) = raw.get(i + 1..).and_then(closing_brace) else {
                    self.diags.push(
                        LangDiagnostic::new(
                            self.file,
                            Span::new(base + i, base + i + 1),
                            "message",
                            "`{` opens an interpolation that is never closed",
                        )
                        .with_help("write `{{` for a literal brace"),
                    );
                    break;
                };
                let inner = raw.get(i + 1..i + 1 + close).unwrap_or("");
                if !text.is_empty() {
                    parts.push(MessagePart::Text(std::mem::take(&mut text)));
                }
                match parse_expr_at(self.file, inner, base + i + 1) {
                    Ok(e) => {
                        let (ir, _) = self.expr(&e);
                        parts.push(MessagePart::Expr(ir));
                    }
                    Err(d) => self.diags.push(d),
                }
                i += close + 2;
            } else {
                let ch_len = raw
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                text.push_str(raw.get(i..i + ch_len).unwrap_or(""));
                i += ch_len;
            }
        }
        if !text.is_empty() {
            parts.push(MessagePart::Text(text));
        }
        Message { parts }
    }

    pub(super) fn expr(&mut self, e: &Expr) -> (Ir, Ty) {
        match &e.kind {
            ExprKind::Num(n) => (Ir::Num(*n), Ty::Num),
            ExprKind::Str(s) => (Ir::Str(Arc::from(ast::unescape(&s.raw))), Ty::Str),
            ExprKind::Bool(b) => (Ir::Bool(*b), Ty::Bool),
            ExprKind::Type(t) => {
                if !self.catalog.is_known(t) {
                    self.diags.push(
                        LangDiagnostic::new(
                            self.file,
                            e.span,
                            "unknown-resource-type",
                            format!("unknown resource type `{t}`"),
                        )
                        .with_help(did_you_mean(t, self.catalog.type_names())),
                    );
                }
                (Ir::Type(Arc::from(t.as_str())), Ty::TypeName)
            }
            ExprKind::List(items) => {
                let mut irs = Vec::new();
                let mut elem: Option<Ty> = None;
                for item in items {
                    let (ir, ty) = self.expr(item);
                    elem = Some(match elem {
                        None => ty,
                        Some(prev) if prev == ty => prev,
                        Some(_) => Ty::Any,
                    });
                    irs.push(ir);
                }
                (Ir::List(irs), Ty::List(Box::new(elem.unwrap_or(Ty::Any))))
            }
            ExprKind::Name(name) => self.name(name, e.span),
            ExprKind::Field(inner, field) => {
                let (ir, ty) = self.expr(inner);
                let out = self.field(&ty, &field.name, field.span);
                (Ir::Field(Box::new(ir), Arc::from(field.name.as_str())), out)
            }
            ExprKind::Index(inner, index) => {
                let (ir, ty) = self.expr(inner);
                let (iir, ity) = self.expr(index);
                let out = match (&ty, &ity) {
                    (Ty::List(t), Ty::Num | Ty::Any) => (**t).clone(),
                    (Ty::Obj(_), _) | (Ty::Resource(_), _) => match &index.kind {
                        ExprKind::Str(s) => self.field(&ty, &ast::unescape(&s.raw), index.span),
                        _ => Ty::Any,
                    },
                    (Ty::Any, _) => Ty::Any,
                    (Ty::List(_), other) => {
                        self.error(
                            index.span,
                            "type",
                            format!("a list is indexed by a number, found {}", other.describe()),
                        );
                        Ty::Any
                    }
                    (other, _) => {
                        self.error(
                            inner.span,
                            "type",
                            format!("{} cannot be indexed", other.describe()),
                        );
                        Ty::Any
                    }
                };
                (Ir::Index(Box::new(ir), Box::new(iir)), out)
            }
            ExprKind::Unary(op, inner) => {
                let (ir, ty) = self.expr(inner);
                match op {
                    UnaryOp::Not => {
                        self.expect_bool(&ty, inner.span, "`not`");
                        (Ir::Not(Box::new(ir)), Ty::Bool)
                    }
                    UnaryOp::Neg => {
                        if !ty.compatible(&Ty::Num) {
                            self.error(
                                inner.span,
                                "type",
                                format!("`-` needs a number, found {}", ty.describe()),
                            );
                        }
                        (Ir::Neg(Box::new(ir)), Ty::Num)
                    }
                }
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs),
            ExprKind::Call(name, args) => self.call(name, args, e.span),
            ExprKind::If(cond, a, b) => {
                let (ci, ct) = self.expr(cond);
                self.expect_bool(&ct, cond.span, "`if`");
                let (ai, at) = self.expr(a);
                let (bi, bt) = self.expr(b);
                let ty = Ty::join(at, bt);
                (Ir::If(Box::new(ci), Box::new(ai), Box::new(bi)), ty)
            }
        }
    }

    fn name(&mut self, name: &str, span: Span) -> (Ir, Ty) {
        if let Some((slot, ty)) = self.lookup_local(name) {
            return (Ir::Local(slot), ty);
        }
        if self.in_rule {
            if let Some(i) = self.params.iter().position(|(n, _)| n == name) {
                let ty = self.params.get(i).map_or(Ty::Any, |(_, t)| t.clone());
                return (Ir::Param(i), ty);
            }
            if let Some(field) = RootField::by_name(name) {
                let ty = self.root_field_ty(field, &self.resource_types.clone());
                return (Ir::Root(field), ty);
            }
            if name == "resource" {
                return (Ir::Resource, Ty::Resource(self.resource_types.clone()));
            }
        }
        let mut candidates: Vec<String> = self
            .scopes
            .iter()
            .flat_map(|s| s.iter().map(|(n, _, _)| n.clone()))
            .collect();
        if self.in_rule {
            candidates.extend(self.params.iter().map(|(n, _)| n.clone()));
            candidates.extend(RootField::ALL.iter().map(|f| f.name().to_string()));
            candidates.push("resource".into());
        }
        let help = did_you_mean(name, candidates.iter().map(String::as_str));
        let help = if self.in_rule {
            help
        } else {
            format!("{help} (inside a `def`, only its parameters are names: pass the resource in)")
        };
        self.diags.push(
            LangDiagnostic::new(
                self.file,
                span,
                "unknown-name",
                format!("unknown name `{name}`"),
            )
            .with_label("not defined here")
            .with_help(help),
        );
        (Ir::Bool(false), Ty::Any)
    }

    fn root_field_ty(&self, field: RootField, types: &[String]) -> Ty {
        let shapes = |pick: fn(&'static ward_model::ResourceShape) -> &'static Shape| -> Ty {
            let mut out = Vec::new();
            for t in types {
                match self.catalog.shape(t) {
                    Some(s) => out.push(pick(s)),
                    None => return Ty::Any,
                }
            }
            if out.is_empty() {
                Ty::Any
            } else {
                shapes_ty(out)
            }
        };
        match field {
            RootField::Configuration => shapes(|s| &s.configuration),
            RootField::SupplementaryConfiguration => shapes(|s| &s.supplementary_configuration),
            RootField::Tags => Ty::Any,
            RootField::Relationships => Ty::List(Box::new(Ty::Any)),
            _ => Ty::Str,
        }
    }

    fn field(&mut self, ty: &Ty, name: &str, span: Span) -> Ty {
        match ty {
            Ty::Any => Ty::Any,
            Ty::Resource(types) => match RootField::by_name(name) {
                Some(f) => self.root_field_ty(f, &types.clone()),
                None => {
                    self.diags.push(
                        LangDiagnostic::new(
                            self.file,
                            span,
                            "unknown-field",
                            format!("a resource has no field `{name}`"),
                        )
                        .with_help(did_you_mean(name, RootField::ALL.iter().map(|f| f.name()))),
                    );
                    Ty::Any
                }
            },
            Ty::Obj(shapes) => {
                let mut found = Vec::new();
                let mut names = BTreeSet::new();
                for s in shapes {
                    match s {
                        Shape::Object(fields) => {
                            if let Some(f) = fields.get(name) {
                                found.push(f);
                            }
                            names.extend(fields.keys().map(String::as_str));
                        }
                        Shape::Map(inner) => found.push(&**inner),
                        _ => {}
                    }
                }
                if found.is_empty() {
                    let owner = if self.resource_types.len() == 1 {
                        format!(
                            " in the catalogued shape of `{}`",
                            self.resource_types.join("")
                        )
                    } else {
                        String::new()
                    };
                    self.diags.push(
                        LangDiagnostic::new(
                            self.file,
                            span,
                            "unknown-field",
                            format!("unknown field `{name}`{owner}"),
                        )
                        .with_label("no such field")
                        .with_help(did_you_mean(name, names.iter().copied())),
                    );
                    return Ty::Any;
                }
                shapes_ty(found)
            }
            Ty::List(_) => {
                self.error(span, "type", format!("a list has no field `{name}`"));
                if let Some(d) = self.diags.last_mut() {
                    d.help = Some(format!(
                        "use `map(xs, x => x.{name})`, `any(xs, x => …)` or index it: `xs[0].{name}`"
                    ));
                }
                Ty::Any
            }
            other => {
                self.error(
                    span,
                    "type",
                    format!("{} has no field `{name}`", other.describe()),
                );
                Ty::Any
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> (Ir, Ty) {
        let (l, lt) = self.expr(lhs);
        let (r, rt) = self.expr(rhs);
        let (lb, rb) = (Box::new(l), Box::new(r));
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let word = if op == BinaryOp::And { "`and`" } else { "`or`" };
                self.expect_bool(&lt, lhs.span, word);
                self.expect_bool(&rt, rhs.span, word);
                let ir = if op == BinaryOp::And {
                    Ir::And(lb, rb)
                } else {
                    Ir::Or(lb, rb)
                };
                (ir, Ty::Bool)
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if !lt.compatible(&rt) {
                    self.diags.push(
                        LangDiagnostic::new(
                            self.file,
                            lhs.span.to(rhs.span),
                            "type",
                            format!(
                                "comparing {} with {} is always {}",
                                lt.describe(),
                                rt.describe(),
                                op == BinaryOp::Ne
                            ),
                        )
                        .with_help("convert one side with `number(…)`, `string(…)` or `bool(…)`"),
                    );
                }
                let cmp = if op == BinaryOp::Eq {
                    CmpOp::Eq
                } else {
                    CmpOp::Ne
                };
                (Ir::Cmp(cmp, lb, rb), Ty::Bool)
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ordered = |t: &Ty| matches!(t, Ty::Any | Ty::Num | Ty::Str);
                if !ordered(&lt) || !ordered(&rt) || !lt.compatible(&rt) {
                    self.error(
                        lhs.span.to(rhs.span),
                        "type",
                        format!(
                            "`{}` compares two numbers or two strings, found {} and {}",
                            op.symbol(),
                            lt.describe(),
                            rt.describe()
                        ),
                    );
                }
                let cmp = match op {
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                (Ir::Cmp(cmp, lb, rb), Ty::Bool)
            }
            BinaryOp::In | BinaryOp::NotIn => {
                match &rt {
                    Ty::List(elem) if !elem.compatible(&lt) => self.error(
                        lhs.span,
                        "type",
                        format!(
                            "looking for {} in a list of {}",
                            lt.describe(),
                            elem.describe()
                        ),
                    ),
                    Ty::Str if !lt.compatible(&Ty::Str) => self.error(
                        lhs.span,
                        "type",
                        format!("`in` a string looks for a string, found {}", lt.describe()),
                    ),
                    Ty::List(_) | Ty::Str | Ty::Any | Ty::Obj(_) => {}
                    other => self.error(
                        rhs.span,
                        "type",
                        format!(
                            "`in` needs a list, a string or an object, found {}",
                            other.describe()
                        ),
                    ),
                }
                (
                    Ir::In {
                        needle: lb,
                        haystack: rb,
                        negated: op == BinaryOp::NotIn,
                    },
                    Ty::Bool,
                )
            }
            BinaryOp::Coalesce => (Ir::Coalesce(lb, rb), Ty::join(lt, rt)),
            BinaryOp::Add => {
                let ty = match (&lt, &rt) {
                    (Ty::Num, Ty::Num) => Ty::Num,
                    (Ty::Str, Ty::Str) => Ty::Str,
                    (Ty::List(_), Ty::List(_)) => lt.clone(),
                    (Ty::Any, other) | (other, Ty::Any)
                        if matches!(other, Ty::Num | Ty::Str | Ty::List(_) | Ty::Any) =>
                    {
                        other.clone()
                    }
                    _ => {
                        self.error(
                            lhs.span.to(rhs.span),
                            "type",
                            format!(
                                "`+` adds numbers, joins strings or lists; found {} and {}",
                                lt.describe(),
                                rt.describe()
                            ),
                        );
                        Ty::Any
                    }
                };
                (Ir::Arith(ArithOp::Add, lb, rb), ty)
            }
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                for (t, s) in [(&lt, lhs.span), (&rt, rhs.span)] {
                    if !t.compatible(&Ty::Num) {
                        self.error(
                            s,
                            "type",
                            format!("`{}` needs numbers, found {}", op.symbol(), t.describe()),
                        );
                    }
                }
                let a = match op {
                    BinaryOp::Sub => ArithOp::Sub,
                    BinaryOp::Mul => ArithOp::Mul,
                    BinaryOp::Div => ArithOp::Div,
                    _ => ArithOp::Rem,
                };
                (Ir::Arith(a, lb, rb), Ty::Num)
            }
        }
    }
}
