//! The checker: resolves names, functions and resource types, infers types, checks field
//! names against the resource catalogue, and lowers the AST to [`crate::ir`]. Every problem
//! becomes a [`LangDiagnostic`]; checking goes on after one so all are reported together.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;
use ward_model::{ResourceCatalog, Severity, Shape};

use crate::ast::{self, Arg, BinaryOp, Expr, ExprKind, Span, Stmt, TypeExpr, UnaryOp};
use crate::diagnostic::{LangDiagnostic, SourceFile, did_you_mean};
use crate::functions::{ArgType, Builtin, MANY, Returns};
use crate::ir::*;
use crate::parse::parse_expr_at;

/// The static type of an expression. `Any` is compatible with everything: it is what JSON
/// of an uncatalogued shape, a `def` parameter or `get(…)` has.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Any,
    Bool,
    Num,
    Str,
    List(Box<Ty>),
    /// A JSON object whose possible shapes are known.
    Obj(Vec<&'static Shape>),
    /// A resource of one of these types.
    Resource(Vec<String>),
    TypeName,
}

impl Ty {
    fn describe(&self) -> String {
        match self {
            Ty::Any => "any value".into(),
            Ty::Bool => "a boolean".into(),
            Ty::Num => "a number".into(),
            Ty::Str => "a string".into(),
            Ty::List(_) => "a list".into(),
            Ty::Obj(_) => "an object".into(),
            Ty::Resource(_) => "a resource".into(),
            Ty::TypeName => "a resource type".into(),
        }
    }

    fn is_any(&self) -> bool {
        matches!(self, Ty::Any)
    }

    fn compatible(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Any, _) | (_, Ty::Any) => true,
            (Ty::List(a), Ty::List(b)) => a.compatible(b),
            (Ty::Obj(_), Ty::Obj(_)) | (Ty::Resource(_), Ty::Resource(_)) => true,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    /// The type of a value that is one of two: either, when they agree (or one is unknown).
    fn join(a: Ty, b: Ty) -> Ty {
        if a == b || b.is_any() {
            a
        } else if a.is_any() {
            b
        } else {
            Ty::Any
        }
    }

    fn element(&self) -> Option<Ty> {
        match self {
            Ty::List(t) => Some((**t).clone()),
            Ty::Any => Some(Ty::Any),
            _ => None,
        }
    }
}

fn param_ty(t: &ParamType) -> Ty {
    match t {
        ParamType::Number => Ty::Num,
        ParamType::String => Ty::Str,
        ParamType::Bool => Ty::Bool,
        ParamType::List(inner) => Ty::List(Box::new(param_ty(inner))),
    }
}

fn lower_type(t: &TypeExpr) -> ParamType {
    match t {
        TypeExpr::Number => ParamType::Number,
        TypeExpr::String => ParamType::String,
        TypeExpr::Bool => ParamType::Bool,
        TypeExpr::List(inner) => ParamType::List(Box::new(lower_type(inner))),
    }
}

/// The type of JSON described by one or more shapes.
fn shapes_ty(shapes: Vec<&'static Shape>) -> Ty {
    let Some(first) = shapes.first() else {
        return Ty::Any;
    };
    if shapes.iter().any(|s| matches!(s, Shape::Any)) {
        return Ty::Any;
    }
    if shapes
        .iter()
        .all(|s| matches!(s, Shape::Object(_) | Shape::Map(_)))
    {
        return Ty::Obj(shapes);
    }
    if shapes.iter().all(|s| matches!(s, Shape::Array(_))) {
        let inner = shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Array(i) => Some(&**i),
                _ => None,
            })
            .collect();
        return Ty::List(Box::new(shapes_ty(inner)));
    }
    if shapes.iter().all(|s| s == first) {
        return match first {
            Shape::String => Ty::Str,
            Shape::Number => Ty::Num,
            Shape::Boolean => Ty::Bool,
            _ => Ty::Any,
        };
    }
    Ty::Any
}

const META_KEYS: [&str; 9] = [
    "title",
    "severity",
    "resource",
    "hipaa",
    "rationale",
    "remediation",
    "description",
    "frameworks",
    "source",
];
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

fn check_meta(
    file: &SourceFile,
    rule: &ast::Rule,
    catalog: &ResourceCatalog,
    diags: &mut Vec<LangDiagnostic>,
) -> Option<(RuleMeta, Vec<String>)> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut title = None;
    let mut severity = None;
    let mut hipaa = None;
    let mut types: Option<Vec<String>> = None;
    let mut meta = RuleMeta {
        title: String::new(),
        severity: Severity::Medium,
        hipaa: Vec::new(),
        frameworks: Vec::new(),
        rationale: None,
        remediation: None,
        description: None,
        source: None,
    };
    let err = |diags: &mut Vec<LangDiagnostic>, span: Span, code: &str, msg: String| {
        diags.push(LangDiagnostic::new(file, span, code, msg));
    };
    for entry in &rule.meta {
        let key = entry.key.name.as_str();
        if let Some(_first) = seen.insert(key, entry.key.span) {
            err(
                diags,
                entry.key.span,
                "duplicate-metadata",
                format!("`{key}` is given twice"),
            );
            continue;
        }
        let text = |diags: &mut Vec<LangDiagnostic>| -> Option<String> {
            match &entry.value {
                ast::MetaValue::Str(s, _) => Some(s.clone()),
                other => {
                    err(
                        diags,
                        other.span(),
                        "metadata-type",
                        format!("`{key}` takes a string"),
                    );
                    None
                }
            }
        };
        let list = |diags: &mut Vec<LangDiagnostic>| -> Option<Vec<String>> {
            match &entry.value {
                ast::MetaValue::StrList(items, _) => {
                    Some(items.iter().map(|(s, _)| s.clone()).collect())
                }
                ast::MetaValue::Str(s, _) => Some(vec![s.clone()]),
                other => {
                    err(
                        diags,
                        other.span(),
                        "metadata-type",
                        format!("`{key}` takes a list of strings"),
                    );
                    None
                }
            }
        };
        match key {
            "title" => title = text(diags),
            "rationale" => meta.rationale = text(diags),
            "remediation" => meta.remediation = text(diags),
            "description" => meta.description = text(diags),
            "source" => meta.source = text(diags),
            "frameworks" => meta.frameworks = list(diags).unwrap_or_default(),
            "hipaa" => {
                let citations = list(diags).unwrap_or_default();
                if citations.is_empty() {
                    err(
                        diags,
                        entry.value.span(),
                        "missing-citation",
                        "a rule cites at least one HIPAA section".into(),
                    );
                }
                for (c, span) in match &entry.value {
                    ast::MetaValue::StrList(items, _) => items.clone(),
                    ast::MetaValue::Str(s, span) => vec![(s.clone(), *span)],
                    _ => Vec::new(),
                } {
                    if !c.starts_with("164.") {
                        diags.push(
                            LangDiagnostic::new(
                                file,
                                span,
                                "citation-format",
                                format!("`{c}` is not a HIPAA Security Rule citation"),
                            )
                            .with_help("cite sections of 45 CFR Part 164, e.g. \"164.312(b)\""),
                        );
                    }
                }
                hipaa = Some(citations);
            }
            "severity" => {
                let word = match &entry.value {
                    ast::MetaValue::Word(i) => Some((i.name.clone(), i.span)),
                    ast::MetaValue::Str(s, span) => Some((s.clone(), *span)),
                    other => {
                        err(
                            diags,
                            other.span(),
                            "metadata-type",
                            "`severity` takes one of info, low, medium, high, critical".into(),
                        );
                        None
                    }
                };
                if let Some((word, span)) = word {
                    match Severity::parse(&word) {
                        Some(s) => severity = Some(s),
                        None => diags.push(
                            LangDiagnostic::new(
                                file,
                                span,
                                "unknown-severity",
                                format!("unknown severity `{word}`"),
                            )
                            .with_help(did_you_mean(
                                &word,
                                Severity::ALL.iter().map(|s| s.as_str()),
                            )),
                        ),
                    }
                }
            }
            "resource" => {
                let listed: Vec<(String, Span)> = match &entry.value {
                    ast::MetaValue::Type(t, span) => vec![(t.clone(), *span)],
                    ast::MetaValue::TypeList(ts, _) => ts.clone(),
                    other => {
                        err(
                            diags,
                            other.span(),
                            "metadata-type",
                            "`resource` takes a resource type, e.g. AWS::S3::Bucket".into(),
                        );
                        Vec::new()
                    }
                };
                let mut ok = Vec::new();
                for (t, span) in listed {
                    if catalog.is_known(&t) {
                        ok.push(t);
                    } else {
                        diags.push(
                            LangDiagnostic::new(
                                file,
                                span,
                                "unknown-resource-type",
                                format!("unknown resource type `{t}`"),
                            )
                            .with_label("not an AWS Config resource type")
                            .with_help(did_you_mean(&t, catalog.type_names())),
                        );
                    }
                }
                types = Some(ok);
            }
            other => diags.push(
                LangDiagnostic::new(
                    file,
                    entry.key.span,
                    "unknown-metadata",
                    format!("unknown metadata key `{other}`"),
                )
                .with_help(did_you_mean(other, META_KEYS.iter().copied())),
            ),
        }
    }
    for (key, present) in [
        ("title", title.is_some() || seen.contains_key("title")),
        (
            "severity",
            severity.is_some() || seen.contains_key("severity"),
        ),
        ("resource", types.is_some() || seen.contains_key("resource")),
        ("hipaa", hipaa.is_some() || seen.contains_key("hipaa")),
    ] {
        if !present {
            diags.push(
                LangDiagnostic::new(
                    file,
                    rule.id_span,
                    "missing-metadata",
                    format!("rule `{}` has no `{key}`", rule.id),
                )
                .with_help(format!("add `{key}: …` inside the rule")),
            );
        }
    }
    meta.title = title?;
    meta.severity = severity?;
    meta.hipaa = hipaa?;
    Some((meta, types?))
}

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

    fn message(&mut self, lit: &ast::StrLit) -> Message {
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

    fn expr(&mut self, e: &Expr) -> (Ir, Ty) {
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

    fn call(&mut self, name: &ast::Ident, args: &[Arg], span: Span) -> (Ir, Ty) {
        if let Some(def) = self.defs.get(&name.name).copied() {
            return self.call_def(def, name, args, span);
        }
        let Some(builtin) = Builtin::by_name(&name.name) else {
            let mut candidates: Vec<&str> = Builtin::ALL.iter().map(|b| b.name()).collect();
            candidates.extend(self.defs.keys().map(String::as_str));
            let help = did_you_mean(&name.name, candidates.iter().copied());
            self.diags.push(
                LangDiagnostic::new(
                    self.file,
                    name.span,
                    "unknown-function",
                    format!("unknown function `{}`", name.name),
                )
                .with_label("not a built-in or imported function")
                .with_help(help),
            );
            for a in args {
                if let Arg::Expr(e) = a {
                    self.expr(e);
                }
            }
            return (Ir::Bool(false), Ty::Any);
        };
        self.call_builtin(builtin, args, span)
    }

    fn call_def(&mut self, def: DefRef, name: &ast::Ident, args: &[Arg], span: Span) -> (Ir, Ty) {
        if args.len() != def.arity {
            self.error(
                span,
                "arity",
                format!(
                    "`{}` takes {} argument(s), given {}",
                    name.name,
                    def.arity,
                    args.len()
                ),
            );
        }
        let mut irs = Vec::new();
        for a in args {
            match a {
                Arg::Expr(e) => irs.push(self.expr(e).0),
                Arg::Lambda { span, .. } => {
                    self.error(
                        *span,
                        "lambda",
                        format!("`{}` does not take a function argument", name.name),
                    );
                }
            }
        }
        (Ir::CallDef(def.index, irs), Ty::Any)
    }

    fn call_builtin(&mut self, builtin: Builtin, args: &[Arg], span: Span) -> (Ir, Ty) {
        let (min, max) = builtin.arity();
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == MANY {
                format!("at least {min}")
            } else {
                format!("{min} or {max}")
            };
            self.error(
                span,
                "arity",
                format!(
                    "`{}` takes {expected} argument(s), given {}",
                    builtin.name(),
                    args.len()
                ),
            );
        }
        let mut irs = Vec::new();
        let mut tys = Vec::new();
        let mut lambda_ty = Ty::Any;
        for (i, a) in args.iter().enumerate() {
            let wants_lambda = builtin.lambda_position() == Some(i);
            match a {
                Arg::Lambda { param, body, span } => {
                    if !wants_lambda {
                        self.error(
                            *span,
                            "lambda",
                            format!("`{}` does not take a function here", builtin.name()),
                        );
                    }
                    let elem = match tys.first() {
                        Some(t) => match Ty::element(t) {
                            Some(e) => e,
                            None => Ty::Any,
                        },
                        None => Ty::Any,
                    };
                    self.scopes.push(Vec::new());
                    let slot = self.bind(&param.name, elem);
                    let (b, bt) = self.expr(body);
                    self.scopes.pop();
                    if builtin.takes_predicate() {
                        self.expect_bool(
                            &bt,
                            body.span,
                            &format!("the function given to `{}`", builtin.name()),
                        );
                    }
                    lambda_ty = bt;
                    irs.push(IrArg::Lambda { slot, body: b });
                    tys.push(Ty::Any);
                }
                Arg::Expr(e) => {
                    if wants_lambda && !builtin.lambda_optional() {
                        self.diags.push(
                            LangDiagnostic::new(
                                self.file,
                                e.span,
                                "lambda",
                                format!("`{}` needs a function here", builtin.name()),
                            )
                            .with_help(format!("write `{}(xs, x => …)`", builtin.name())),
                        );
                    }
                    if wants_lambda && builtin.lambda_optional() {
                        self.error(
                            e.span,
                            "lambda",
                            format!(
                                "the second argument of `{}` is a function: `x => …`",
                                builtin.name()
                            ),
                        );
                    }
                    let (ir, ty) = self.expr(e);
                    // `matches(x, "literal")`: compile the regular expression now.
                    if builtin == Builtin::Matches
                        && i == 1
                        && let ExprKind::Str(s) = &e.kind
                    {
                        match regex::Regex::new(&ast::unescape(&s.raw)) {
                            Ok(re) => {
                                irs.push(IrArg::Value(Ir::Str(Arc::from(re.as_str()))));
                                tys.push(ty);
                                continue;
                            }
                            Err(err) => {
                                self.diags.push(
                                    LangDiagnostic::new(
                                        self.file,
                                        e.span,
                                        "regex",
                                        "invalid regular expression",
                                    )
                                    .with_help(
                                        err.to_string().lines().last().unwrap_or("").to_string(),
                                    ),
                                );
                            }
                        }
                    }
                    irs.push(IrArg::Value(ir));
                    tys.push(ty);
                }
            }
        }
        self.check_arg_types(builtin, args, &tys);
        let ret = self.return_type(builtin, args, &tys, lambda_ty);
        // Pre-compile literal regular expressions.
        if builtin == Builtin::Matches
            && let (Some(IrArg::Value(x)), Some(IrArg::Value(Ir::Str(pattern)))) =
                (irs.first(), irs.get(1))
            && let Ok(re) = regex::Regex::new(pattern)
        {
            return (Ir::Matches(Box::new(x.clone()), Arc::new(re)), Ty::Bool);
        }
        (Ir::Call(builtin, irs), ret)
    }

    /// Reports each argument whose type is not what the function's row says it must be.
    fn check_arg_types(&mut self, b: Builtin, args: &[Arg], tys: &[Ty]) {
        for (i, (arg, ty)) in args.iter().zip(tys).enumerate() {
            let Arg::Expr(e) = arg else { continue };
            let Some(expected) = expected_ty(b.arg_type(i)) else {
                continue;
            };
            if !ty.compatible(&expected) {
                let help = match (&expected, ty) {
                    (Ty::TypeName, _) => Some(format!(
                        "write the type itself: `{}(AWS::EC2::SecurityGroup, …)`",
                        b.name()
                    )),
                    (Ty::Str, Ty::List(_)) => {
                        Some("apply it to each element: `any(xs, x => …)`".to_string())
                    }
                    _ => None,
                };
                let mut d = LangDiagnostic::new(
                    self.file,
                    e.span,
                    "type",
                    format!(
                        "argument {} of `{}` must be {}, found {}",
                        i + 1,
                        b.name(),
                        expected.describe(),
                        ty.describe()
                    ),
                );
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                self.diags.push(d);
            }
        }
    }

    /// The type of the call's result, by the function's row and the arguments' types.
    fn return_type(&mut self, b: Builtin, args: &[Arg], tys: &[Ty], lambda_ty: Ty) -> Ty {
        let first = tys.first().cloned().unwrap_or(Ty::Any);
        let type_arg = || -> Vec<String> {
            match args.first() {
                Some(Arg::Expr(Expr {
                    kind: ExprKind::Type(t),
                    ..
                })) => vec![t.clone()],
                _ => Vec::new(),
            }
        };
        match b.signature().returns {
            Returns::Bool => Ty::Bool,
            Returns::Num => Ty::Num,
            Returns::Str => Ty::Str,
            Returns::Any => Ty::Any,
            Returns::ListOfStr => Ty::List(Box::new(Ty::Str)),
            Returns::ListOfAny => Ty::List(Box::new(Ty::Any)),
            Returns::First => first,
            Returns::ElementOfFirst => first.element().unwrap_or(Ty::Any),
            Returns::ListOfFunctionBody => Ty::List(Box::new(lambda_ty)),
            Returns::FlattenedFirst => match first {
                Ty::List(inner) => match *inner {
                    Ty::List(x) => Ty::List(x),
                    _ => Ty::List(Box::new(Ty::Any)),
                },
                _ => Ty::List(Box::new(Ty::Any)),
            },
            Returns::FirstIfList => match first {
                Ty::List(_) => first,
                _ => Ty::List(Box::new(Ty::Any)),
            },
            Returns::FirstAsList => match first {
                Ty::List(_) => first,
                Ty::Any => Ty::List(Box::new(Ty::Any)),
                other => Ty::List(Box::new(other)),
            },
            Returns::FirstOrSecond => Ty::join(first, tys.get(1).cloned().unwrap_or(Ty::Any)),
            Returns::ResourceOfType => Ty::Resource(type_arg()),
            Returns::ResourcesOfType => Ty::List(Box::new(Ty::Resource(type_arg()))),
            Returns::AnyResource => Ty::Resource(Vec::new()),
        }
    }
}

/// The type an argument of this kind must have; `None` when it is not checked: any value, or
/// a `v => …` function (a value given there is reported as not being a function).
fn expected_ty(a: ArgType) -> Option<Ty> {
    match a {
        ArgType::Any | ArgType::Predicate | ArgType::Function => None,
        ArgType::List => Some(Ty::List(Box::new(Ty::Any))),
        ArgType::Str => Some(Ty::Str),
        ArgType::Num => Some(Ty::Num),
        ArgType::Type => Some(Ty::TypeName),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic, clippy::unwrap_used)]

    use crate::functions::{ArgType, Builtin, MANY, Returns};
    use crate::{PackError, SourceFile, load_pack_sources};

    /// The diagnostics of a rule asserting `cond`, as `code: message`.
    fn problems(cond: &str) -> Vec<String> {
        let text = format!(
            "rule t {{\n  title: \"T\"\n  severity: high\n  resource: AWS::EC2::SecurityGroup\n  hipaa: [\"164.312(b)\"]\n  assert {cond} else \"m\"\n}}\n"
        );
        let source = SourceFile::new("t.ward", "t.ward", text);
        match load_pack_sources(vec![source], &mut |p| panic!("no imports: {p:?}")) {
            Ok(_) => Vec::new(),
            Err(PackError::Invalid(diags)) => diags
                .into_iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect(),
            Err(e) => panic!("{e}"),
        }
    }

    /// A call of `b` with as many arguments as it takes (its least, for `concat`): a function
    /// where it takes one, `tags` (of unknown type, so always accepted) elsewhere, and
    /// `wrong` at `position`.
    fn call(b: Builtin, position: Option<usize>, wrong: &str) -> String {
        let (min, max) = b.arity();
        let n = if max == MANY { min } else { max };
        let args: Vec<&str> = (0..n)
            .map(|i| match b.arg_type(i) {
                _ if Some(i) == position => wrong,
                a if a.is_function() => "x => true",
                _ => "tags",
            })
            .collect();
        format!("{}({})", b.name(), args.join(", "))
    }

    #[test]
    fn every_function_accepts_arguments_of_unknown_type() {
        for b in Builtin::ALL {
            let cond = format!("exists({})", call(*b, None, ""));
            assert_eq!(problems(&cond), Vec::<String>::new(), "{cond}");
        }
    }

    #[test]
    fn every_typed_argument_rejects_a_value_of_another_type() {
        let mut kinds = Vec::new();
        for b in Builtin::ALL {
            let (min, max) = b.arity();
            for i in 0..if max == MANY { min } else { max } {
                let (wrong, found, expected) = match b.arg_type(i) {
                    ArgType::Any | ArgType::Predicate | ArgType::Function => continue,
                    ArgType::List => ("1", "a number", "a list"),
                    ArgType::Str => ("1", "a number", "a string"),
                    ArgType::Num => ("\"1\"", "a string", "a number"),
                    ArgType::Type => ("1", "a number", "a resource type"),
                };
                kinds.push(b.arg_type(i));
                let cond = format!("exists({})", call(*b, Some(i), wrong));
                assert_eq!(
                    problems(&cond),
                    [format!(
                        "ward::type: argument {} of `{}` must be {expected}, found {found}",
                        i + 1,
                        b.name()
                    )],
                    "{cond}"
                );
            }
        }
        for kind in [ArgType::List, ArgType::Str, ArgType::Num, ArgType::Type] {
            assert!(kinds.contains(&kind), "no argument of kind {kind:?}");
        }
    }

    #[test]
    fn a_result_of_a_fixed_type_is_that_type() {
        for b in Builtin::ALL {
            let found = match b.signature().returns {
                Returns::Bool => None,
                Returns::Num => Some("a number"),
                Returns::Str => Some("a string"),
                Returns::ListOfStr | Returns::ListOfAny => Some("a list"),
                _ => continue,
            };
            let cond = call(*b, None, "");
            let expected: Vec<String> = found
                .map(|t| format!("ward::type: `assert` needs a boolean, found {t}"))
                .into_iter()
                .collect();
            assert_eq!(problems(&cond), expected, "{cond}");
        }
    }

    #[test]
    fn a_result_that_depends_on_the_arguments_follows_them() {
        for (cond, found) in [
            ("filter([\"a\"], x => true)", "a list"),
            ("first([\"a\"])", "a string"),
            ("map([1], x => \"a\")[0]", "a string"),
            ("flatten([[1]])[0]", "a number"),
            ("concat([1], [2])[0]", "a number"),
            ("as_list(1)[0]", "a number"),
            ("default(1, 2)", "a number"),
            ("lookup(AWS::S3::Bucket, \"b\")", "a resource"),
            ("resources(AWS::S3::Bucket)[0]", "a resource"),
        ] {
            assert_eq!(
                problems(cond),
                [format!(
                    "ward::type: `assert` needs a boolean, found {found}"
                )],
                "{cond}"
            );
        }
    }

    #[test]
    fn only_a_predicate_must_be_boolean() {
        assert_eq!(
            problems("any([1], x => 1)"),
            ["ward::type: the function given to `any` needs a boolean, found a number"]
        );
        assert_eq!(
            problems("count(map([1], x => 1)) > 0"),
            Vec::<String>::new()
        );
    }
}
