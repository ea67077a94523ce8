//! From text to [`ast::Module`]: pest does the syntax, a Pratt parser the precedence.

use std::sync::OnceLock;

use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use crate::ast::*;
use crate::diagnostic::{LangDiagnostic, SourceFile};
use crate::syntax::{Rule as R, WardParser};

/// The largest rule file read, in bytes.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// How deep brackets (`(`, `[`, `{`) may nest in a rule file.
pub const MAX_BRACKET_NESTING: usize = 64;
/// How deep an expression may nest (each operator, call, field access or `if` is a level).
pub const MAX_EXPR_DEPTH: usize = 128;

/// Parses one file. A syntax error is one diagnostic (pest stops at the first).
///
/// Rule files come from users, so parsing is bounded: the file's size, the nesting of its
/// brackets and the depth of its expressions have limits, each reported with its location.
/// The parser and the Pratt climber recurse, so parsing runs on a thread with a large stack
/// (reserved, only touched as used): what the limits let through cannot overflow it.
pub fn parse_module(file: &SourceFile) -> Result<Module, LangDiagnostic> {
    if file.text.len() > MAX_SOURCE_BYTES {
        return Err(LangDiagnostic::new(
            file,
            Span::new(0, 0),
            "limit",
            format!(
                "the rule file is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                file.text.len()
            ),
        )
        .with_help("split it into several files"));
    }
    check_brackets(file, &file.text, 0)?;
    let parse = || {
        let module = parse_module_unbounded(file)?;
        for def in &module.defs {
            check_depth(file, &def.body)?;
        }
        for rule in &module.rules {
            for expr in rule_exprs(rule) {
                check_depth(file, expr)?;
            }
        }
        Ok(module)
    };
    with_large_stack(parse).unwrap_or_else(parse)
}

fn parse_module_unbounded(file: &SourceFile) -> Result<Module, LangDiagnostic> {
    let pairs = WardParser::parse(R::file, &file.text).map_err(|e| syntax_error(file, e))?;
    let mut module = Module::default();
    for pair in pairs.flatten().take(1) {
        for item in pair.into_inner() {
            match item.as_rule() {
                R::import_decl => {
                    if let Some(s) = item.into_inner().find(|p| p.as_rule() == R::string) {
                        let lit = str_lit(&s);
                        module.imports.push((unescape(&lit.raw), lit.span));
                    }
                }
                R::def_decl => module.defs.push(def(item)),
                R::rule_decl => module.rules.push(rule(item)),
                _ => {}
            }
        }
    }
    Ok(module)
}

/// Parses an expression on its own (a message interpolation); `offset` is where `text`
/// starts in the file, so spans point into the file.
pub fn parse_expr_at(file: &SourceFile, text: &str, offset: usize) -> Result<Expr, LangDiagnostic> {
    check_brackets(file, text, offset)?;
    let parse = || {
        let e = parse_expr_unbounded(file, text, offset)?;
        check_depth(file, &e)?;
        Ok(e)
    };
    with_large_stack(parse).unwrap_or_else(parse)
}

fn parse_expr_unbounded(
    file: &SourceFile,
    text: &str,
    offset: usize,
) -> Result<Expr, LangDiagnostic> {
    let pairs = WardParser::parse(R::expr_only, text).map_err(|e| {
        let mut d = syntax_error(file, e);
        let start = d.span.offset() + offset;
        let (line, col) = file.line_col(start);
        d.span = miette::SourceSpan::new(start.into(), d.span.len());
        d.location = format!("{}:{line}:{col}", file.name);
        d
    })?;
    let expr_pair = pairs
        .flatten()
        .find(|p| p.as_rule() == R::expr)
        .ok_or_else(|| {
            LangDiagnostic::new(
                file,
                Span::new(offset, offset),
                "syntax",
                "expected an expression",
            )
        })?;
    let mut e = expr(expr_pair);
    shift(&mut e, offset);
    Ok(e)
}

/// Runs `f` on a thread with a 1 GiB stack, reserved and only touched as used; `None` when
/// no such thread can be made.
fn with_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("ward-parse".into())
            .stack_size(1 << 30)
            .spawn_scoped(scope, f)
            .ok()?;
        match handle.join() {
            Ok(v) => Some(v),
            // A panic in the parser is a bug; let it surface as one.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Brackets outside strings and comments nest at most [`MAX_BRACKET_NESTING`] deep; the
/// diagnostic points at the first bracket too deep.
fn check_brackets(file: &SourceFile, text: &str, offset: usize) -> Result<(), LangDiagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // Skip the string; an interpolation inside it is checked when it is parsed.
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_NESTING {
                    return Err(LangDiagnostic::new(
                        file,
                        Span::new(offset + i, offset + i + 1),
                        "limit",
                        format!("brackets nest more than {MAX_BRACKET_NESTING} deep"),
                    )
                    .with_label("too deep")
                    .with_help("name the inner parts with `let` or `def`"));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The expressions of a rule: parameter defaults, lets, conditions and assertions (message
/// interpolations are parsed, and bounded, later by [`parse_expr_at`]).
fn rule_exprs(rule: &Rule) -> impl Iterator<Item = &Expr> {
    let defaults = rule.params.iter().filter_map(|p| p.default.as_ref());
    let stmts = rule.stmts.iter().filter_map(|s| match s {
        Stmt::Let { value: e, .. } | Stmt::When { cond: e, .. } | Stmt::Assert { cond: e, .. } => {
            Some(e)
        }
        Stmt::Unknown { .. } => None,
    });
    defaults.chain(stmts)
}

/// An expression nests at most [`MAX_EXPR_DEPTH`] deep (measured without recursion, so a
/// deeper one is reported, not overflowed on).
fn check_depth(file: &SourceFile, root: &Expr) -> Result<(), LangDiagnostic> {
    let mut stack: Vec<(&Expr, usize)> = vec![(root, 1)];
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_EXPR_DEPTH {
            return Err(LangDiagnostic::new(
                file,
                e.span,
                "limit",
                format!("the expression nests more than {MAX_EXPR_DEPTH} levels deep"),
            )
            .with_label("too deep")
            .with_help("name the inner parts with `let` or `def`"));
        }
        let children: Vec<&Expr> = match &e.kind {
            ExprKind::List(items) => items.iter().collect(),
            ExprKind::Field(inner, _) | ExprKind::Unary(_, inner) => vec![inner],
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => vec![a, b],
            ExprKind::If(c, a, b) => vec![c, a, b],
            ExprKind::Call(_, args) => args
                .iter()
                .map(|arg| match arg {
                    Arg::Expr(e) | Arg::Lambda { body: e, .. } => e,
                })
                .collect(),
            ExprKind::Num(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Type(_)
            | ExprKind::Name(_) => Vec::new(),
        };
        stack.extend(children.into_iter().map(|c| (c, depth + 1)));
    }
    Ok(())
}

fn shift(e: &mut Expr, offset: usize) {
    e.span = Span::new(e.span.start + offset, e.span.end + offset);
    match &mut e.kind {
        ExprKind::Str(s) => s.span = Span::new(s.span.start + offset, s.span.end + offset),
        ExprKind::List(items) => items.iter_mut().for_each(|i| shift(i, offset)),
        ExprKind::Field(inner, id) => {
            shift(inner, offset);
            id.span = Span::new(id.span.start + offset, id.span.end + offset);
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            shift(a, offset);
            shift(b, offset);
        }
        ExprKind::Unary(_, a) => shift(a, offset),
        ExprKind::If(c, a, b) => {
            shift(c, offset);
            shift(a, offset);
            shift(b, offset);
        }
        ExprKind::Call(name, args) => {
            name.span = Span::new(name.span.start + offset, name.span.end + offset);
            for arg in args {
                match arg {
                    Arg::Expr(e) => shift(e, offset),
                    Arg::Lambda { param, body, span } => {
                        param.span = Span::new(param.span.start + offset, param.span.end + offset);
                        *span = Span::new(span.start + offset, span.end + offset);
                        shift(body, offset);
                    }
                }
            }
        }
        ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Type(_) | ExprKind::Name(_) => {}
    }
}

fn syntax_error(file: &SourceFile, error: pest::error::Error<R>) -> LangDiagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let span = match error.location {
        InputLocation::Pos(p) => Span::new(p, (p + 1).min(file.text.len()).max(p)),
        InputLocation::Span((a, b)) => Span::new(a, b),
    };
    let (message, help) = match &error.variant {
        ErrorVariant::ParsingError {
            positives,
            negatives,
        } => {
            let mut expected: Vec<String> = positives.iter().filter_map(|r| describe(*r)).collect();
            expected.sort();
            expected.dedup();
            let found = found_at(&file.text, span.start);
            let message = if expected.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {}, found {found}", join_or(&expected))
            };
            let help = if negatives.is_empty() {
                hint_for(&file.text, span.start)
            } else {
                Some("a keyword cannot be used as a name here".to_string())
            };
            (message, help)
        }
        ErrorVariant::CustomError { message } => (message.clone(), None),
    };
    let d = LangDiagnostic::new(file, span, "syntax", message).with_label("syntax error here");
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn found_at(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    let token: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(20)
        .collect();
    if rest.is_empty() {
        "end of file".to_string()
    } else if token.is_empty() {
        "whitespace".to_string()
    } else {
        format!("`{token}`")
    }
}

fn hint_for(text: &str, at: usize) -> Option<String> {
    let before = text.get(..at).unwrap_or("");
    let open = before.matches('{').count();
    let close = before.matches('}').count();
    if text.get(at..).is_some_and(|r| r.trim().is_empty()) && open > close {
        return Some("a `{` is not closed: every `rule NAME {` needs a matching `}`".to_string());
    }
    let line_before = before.rsplit('\n').next().unwrap_or("").trim_start();
    if line_before.starts_with("assert") && !line_before.contains("else") {
        return Some(
            "every `assert` needs a message: `assert EXPR else \"what is wrong\"`".to_string(),
        );
    }
    None
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn describe(rule: R) -> Option<String> {
    Some(
        match rule {
            R::EOI => "end of file",
            R::import_decl | R::kw_import => "`import`",
            R::def_decl | R::kw_def => "`def`",
            R::rule_decl | R::kw_rule => "`rule`",
            R::rule_id => "a rule id",
            R::meta_entry => "a metadata entry (`title: \"…\"`)",
            R::param_decl | R::kw_param => "`param`",
            R::let_stmt | R::kw_let => "`let`",
            R::when_stmt | R::kw_when => "`when`",
            R::assert_stmt | R::kw_assert => "`assert`",
            R::kw_else => "`else`",
            R::unknown_stmt => "a statement",
            R::expr | R::postfix_expr | R::call | R::list_lit | R::number | R::bool_lit => {
                "an expression"
            }
            R::string | R::string_list => "a string",
            R::ident => "a name",
            R::type_name | R::type_list => "a resource type (`AWS::EC2::SecurityGroup`)",
            R::type_expr | R::list_type | R::scalar_type => {
                "a type (`number`, `string`, `bool`, `list<…>`)"
            }
            R::optional_mark => "`?`",
            R::op_or
            | R::op_and
            | R::op_eq
            | R::op_ne
            | R::op_le
            | R::op_ge
            | R::op_lt
            | R::op_gt
            | R::op_in
            | R::op_not_in
            | R::op_coalesce
            | R::op_add
            | R::op_sub
            | R::op_mul
            | R::op_div
            | R::op_rem => "an operator",
            R::field_access => "`.`",
            R::index_access => "`[`",
            R::lambda => "a function (`x => …`)",
            R::if_expr | R::kw_if => "`if`",
            R::kw_then => "`then`",
            _ => return None,
        }
        .to_string(),
    )
}

fn span_of(pair: &Pair<R>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn ident(pair: Pair<R>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

fn str_lit(pair: &Pair<R>) -> StrLit {
    let text = pair.as_str();
    let raw = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .to_string();
    StrLit {
        raw,
        span: span_of(pair),
    }
}

fn def(pair: Pair<R>) -> Def {
    let span = span_of(&pair);
    let mut name = None;
    let mut params = Vec::new();
    let mut body = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            R::ident => name = Some(ident(p)),
            R::def_params => params = p.into_inner().map(ident).collect(),
            R::expr => body = Some(expr(p)),
            _ => {}
        }
    }
    Def {
        name: name.unwrap_or(Ident {
            name: String::new(),
            span,
        }),
        params,
        body: body.unwrap_or(Expr {
            kind: ExprKind::Bool(false),
            span,
        }),
        span,
    }
}

fn rule(pair: Pair<R>) -> Rule {
    let span = span_of(&pair);
    let mut out = Rule {
        id: String::new(),
        id_span: span,
        span,
        meta: Vec::new(),
        params: Vec::new(),
        stmts: Vec::new(),
    };
    for p in pair.into_inner() {
        match p.as_rule() {
            R::rule_id => {
                out.id = p.as_str().to_string();
                out.id_span = span_of(&p);
            }
            R::meta_entry => out.meta.push(meta_entry(p)),
            R::param_decl => out.params.push(param_decl(p)),
            R::let_stmt => {
                let mut inner = p.into_inner().filter(|p| p.as_rule() != R::kw_let);
                if let (Some(n), Some(v)) = (inner.next(), inner.next()) {
                    out.stmts.push(Stmt::Let {
                        name: ident(n),
                        value: expr(v),
                    });
                }
            }
            R::when_stmt => {
                let (cond, message) = condition_and_message(p);
                if let Some(cond) = cond {
                    out.stmts.push(Stmt::When { cond, message });
                }
            }
            R::assert_stmt => {
                if let (Some(cond), Some(message)) = condition_and_message(p) {
                    out.stmts.push(Stmt::Assert { cond, message });
                }
            }
            R::unknown_stmt => {
                let span = span_of(&p);
                if let Some(k) = p.into_inner().next() {
                    out.stmts.push(Stmt::Unknown {
                        keyword: ident(k),
                        span,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The expression and the `else` message of a `when` or `assert`.
fn condition_and_message(pair: Pair<R>) -> (Option<Expr>, Option<StrLit>) {
    let mut cond = None;
    let mut message = None;
    for q in pair.into_inner() {
        match q.as_rule() {
            R::expr => cond = Some(expr(q)),
            R::string => message = Some(str_lit(&q)),
            _ => {}
        }
    }
    (cond, message)
}

fn meta_entry(pair: Pair<R>) -> MetaEntry {
    let mut inner = pair.into_inner();
    let key = inner.next().map(ident).unwrap_or(Ident {
        name: String::new(),
        span: Span::default(),
    });
    let value = match inner.next() {
        Some(v) => {
            let span = span_of(&v);
            match v.as_rule() {
                R::string => {
                    let lit = str_lit(&v);
                    MetaValue::Str(unescape(&lit.raw), lit.span)
                }
                R::string_list => MetaValue::StrList(
                    v.into_inner()
                        .map(|s| {
                            let lit = str_lit(&s);
                            (unescape(&lit.raw), lit.span)
                        })
                        .collect(),
                    span,
                ),
                R::type_name => MetaValue::Type(v.as_str().to_string(), span),
                R::type_list => MetaValue::TypeList(
                    v.into_inner()
                        .map(|t| (t.as_str().to_string(), span_of(&t)))
                        .collect(),
                    span,
                ),
                _ => MetaValue::Word(ident(v)),
            }
        }
        None => MetaValue::Str(String::new(), key.span),
    };
    MetaEntry { key, value }
}

fn param_decl(pair: Pair<R>) -> ParamDecl {
    let span = span_of(&pair);
    let mut name = None;
    let mut ty = TypeExpr::String;
    let mut default = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            R::ident => name = Some(ident(p)),
            R::type_expr => ty = type_expr(p),
            R::expr => default = Some(expr(p)),
            _ => {}
        }
    }
    ParamDecl {
        name: name.unwrap_or(Ident {
            name: String::new(),
            span,
        }),
        ty,
        default,
        span,
    }
}

fn type_expr(pair: Pair<R>) -> TypeExpr {
    let Some(inner) = pair.into_inner().next() else {
        return TypeExpr::String;
    };
    match inner.as_rule() {
        R::list_type => TypeExpr::List(Box::new(
            inner
                .into_inner()
                .next()
                .map_or(TypeExpr::String, type_expr),
        )),
        _ => match inner.as_str() {
            "number" => TypeExpr::Number,
            "bool" => TypeExpr::Bool,
            _ => TypeExpr::String,
        },
    }
}

fn pratt() -> &'static PrattParser<R> {
    static PRATT: OnceLock<PrattParser<R>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(R::op_or, Assoc::Left))
            .op(Op::infix(R::op_and, Assoc::Left))
            .op(Op::prefix(R::op_not))
            .op(Op::infix(R::op_eq, Assoc::Left)
                | Op::infix(R::op_ne, Assoc::Left)
                | Op::infix(R::op_lt, Assoc::Left)
                | Op::infix(R::op_le, Assoc::Left)
                | Op::infix(R::op_gt, Assoc::Left)
                | Op::infix(R::op_ge, Assoc::Left)
                | Op::infix(R::op_in, Assoc::Left)
                | Op::infix(R::op_not_in, Assoc::Left))
            .op(Op::infix(R::op_coalesce, Assoc::Left))
            .op(Op::infix(R::op_add, Assoc::Left) | Op::infix(R::op_sub, Assoc::Left))
            .op(Op::infix(R::op_mul, Assoc::Left)
                | Op::infix(R::op_div, Assoc::Left)
                | Op::infix(R::op_rem, Assoc::Left))
            .op(Op::prefix(R::op_neg))
    })
}

pub(crate) fn expr(pair: Pair<R>) -> Expr {
    pratt_expr(pair.into_inner())
}

fn pratt_expr(pairs: Pairs<R>) -> Expr {
    pratt()
        .map_primary(postfix_expr)
        .map_prefix(|op, rhs| {
            let span = span_of(&op).to(rhs.span);
            let op = if op.as_rule() == R::op_not {
                UnaryOp::Not
            } else {
                UnaryOp::Neg
            };
            Expr {
                kind: ExprKind::Unary(op, Box::new(rhs)),
                span,
            }
        })
        .map_infix(|lhs, op, rhs| {
            let span = lhs.span.to(rhs.span);
            let op = match op.as_rule() {
                R::op_or => BinaryOp::Or,
                R::op_and => BinaryOp::And,
                R::op_eq => BinaryOp::Eq,
                R::op_ne => BinaryOp::Ne,
                R::op_lt => BinaryOp::Lt,
                R::op_le => BinaryOp::Le,
                R::op_gt => BinaryOp::Gt,
                R::op_ge => BinaryOp::Ge,
                R::op_in => BinaryOp::In,
                R::op_not_in => BinaryOp::NotIn,
                R::op_coalesce => BinaryOp::Coalesce,
                R::op_add => BinaryOp::Add,
                R::op_sub => BinaryOp::Sub,
                R::op_mul => BinaryOp::Mul,
                R::op_div => BinaryOp::Div,
                _ => BinaryOp::Rem,
            };
            Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            }
        })
        .parse(pairs)
}

fn postfix_expr(pair: Pair<R>) -> Expr {
    let mut inner = pair.into_inner();
    let Some(first) = inner.next() else {
        return Expr {
            kind: ExprKind::Bool(false),
            span: Span::default(),
        };
    };
    let mut e = primary(first);
    for post in inner {
        let span = e.span.to(span_of(&post));
        match post.as_rule() {
            R::field_access => {
                if let Some(name) = post.into_inner().next() {
                    e = Expr {
                        kind: ExprKind::Field(Box::new(e), ident(name)),
                        span,
                    };
                }
            }
            R::index_access => {
                if let Some(index) = post.into_inner().next() {
                    e = Expr {
                        kind: ExprKind::Index(Box::new(e), Box::new(expr(index))),
                        span,
                    };
                }
            }
            _ => {}
        }
    }
    e
}

fn primary(pair: Pair<R>) -> Expr {
    let span = span_of(&pair);
    let kind = match pair.as_rule() {
        R::expr => return expr(pair),
        R::number => ExprKind::Num(pair.as_str().parse().unwrap_or(0.0)),
        R::string => ExprKind::Str(str_lit(&pair)),
        R::bool_lit => ExprKind::Bool(pair.as_str() == "true"),
        R::type_name => ExprKind::Type(pair.as_str().to_string()),
        R::ident => ExprKind::Name(pair.as_str().to_string()),
        R::list_lit => ExprKind::List(pair.into_inner().map(expr).collect()),
        R::if_expr => {
            let mut parts = pair
                .into_inner()
                .filter(|p| p.as_rule() == R::expr)
                .map(expr);
            match (parts.next(), parts.next(), parts.next()) {
                (Some(c), Some(a), Some(b)) => ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                _ => ExprKind::Bool(false),
            }
        }
        R::call => {
            let mut inner = pair.into_inner();
            let name = inner.next().map(ident).unwrap_or(Ident {
                name: String::new(),
                span,
            });
            let args = inner
                .map(|a| match a.as_rule() {
                    R::lambda => {
                        let lspan = span_of(&a);
                        let mut li = a.into_inner();
                        let param = li.next().map(ident).unwrap_or(Ident {
                            name: String::new(),
                            span: lspan,
                        });
                        let body = li.next().map(expr).unwrap_or(Expr {
                            kind: ExprKind::Bool(false),
                            span: lspan,
                        });
                        Arg::Lambda {
                            param,
                            body,
                            span: lspan,
                        }
                    }
                    _ => Arg::Expr(expr(a)),
                })
                .collect();
            ExprKind::Call(name, args)
        }
        _ => ExprKind::Bool(false),
    };
    Expr { kind, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Module, LangDiagnostic> {
        parse_module(&SourceFile::new("t.ward", "t.ward", text))
    }

    #[test]
    fn parses_a_rule() {
        let m = parse(
            r#"
            import "lib.ward"
            def open(p) = p.x == 1 or not p.y
            rule a-b {
              title: "T"
              severity: high
              resource: AWS::EC2::SecurityGroup
              hipaa: ["164.312(b)"]
              param ports: list<number> = [1, 2]
              param k: string?
              let x = count(filter(configuration.ipPermissions, p => open(p))) + 1 * 2
              when resourceId != "x" else "skip"
              assert x not in ports and -x < 3 ?? 4 else "bad {x}"
            }"#,
        )
        .unwrap();
        assert_eq!(m.imports.len(), 1);
        assert_eq!(m.defs.len(), 1);
        let r = &m.rules[0];
        assert_eq!(r.id, "a-b");
        assert_eq!(r.meta.len(), 4);
        assert_eq!(r.params.len(), 2);
        assert!(r.params[1].default.is_none());
        assert_eq!(r.stmts.len(), 3);
        let Stmt::Let { value, .. } = &r.stmts[0] else {
            panic!()
        };
        // `+` binds looser than `*`
        let ExprKind::Binary(BinaryOp::Add, _, rhs) = &value.kind else {
            panic!("{value:?}")
        };
        assert!(matches!(rhs.kind, ExprKind::Binary(BinaryOp::Mul, _, _)));
    }

    #[test]
    fn if_then_else_is_an_expression() {
        let m = parse(r#"rule r { assert if a then b else c else "m" }"#).unwrap();
        let Stmt::Assert { cond, .. } = &m.rules[0].stmts[0] else {
            panic!()
        };
        assert!(matches!(cond.kind, ExprKind::If(..)));
    }

    #[test]
    fn strings_inside_interpolations() {
        let m = parse(r#"rule r { assert x else "open to {join(xs, ", ")} and {{literal}}" }"#)
            .unwrap();
        let Stmt::Assert { message, .. } = &m.rules[0].stmts[0] else {
            panic!()
        };
        assert_eq!(message.raw, r#"open to {join(xs, ", ")} and {{literal}}"#);
        // An unbalanced brace is just a character outside messages.
        assert!(parse(r#"rule r { title: "a { b" assert x else "m" }"#).is_ok());
    }

    #[test]
    fn misspelled_keyword_is_an_unknown_statement() {
        let m = parse("rule r { asert count(x) == 0 else \"m\" }").unwrap();
        assert!(
            matches!(&m.rules[0].stmts[0], Stmt::Unknown { keyword, .. } if keyword.name == "asert")
        );
    }

    #[test]
    fn syntax_error_points_at_the_problem() {
        let e = parse("rule r {\n  assert x == \n}").unwrap_err();
        assert!(e.message.contains("expected"), "{}", e.message);
        assert!(e.location.starts_with("t.ward:3"), "{}", e.location);
    }
}
