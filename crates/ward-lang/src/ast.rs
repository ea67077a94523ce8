//! The syntax tree of a rule file, every node with its byte span.

pub use ward_diagnostics::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed `.ward` file.
#[derive(Debug, Clone, Default)]
pub struct Module {
    pub imports: Vec<(String, Span)>,
    pub defs: Vec<Def>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub struct Def {
    pub name: Ident,
    pub params: Vec<Ident>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub id_span: Span,
    pub span: Span,
    pub meta: Vec<MetaEntry>,
    pub params: Vec<ParamDecl>,
    pub stmts: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub struct MetaEntry {
    pub key: Ident,
    pub value: MetaValue,
}

#[derive(Debug, Clone)]
pub enum MetaValue {
    Str(String, Span),
    StrList(Vec<(String, Span)>, Span),
    Type(String, Span),
    TypeList(Vec<(String, Span)>, Span),
    Word(Ident),
}

impl MetaValue {
    pub fn span(&self) -> Span {
        match self {
            MetaValue::Str(_, s)
            | MetaValue::StrList(_, s)
            | MetaValue::Type(_, s)
            | MetaValue::TypeList(_, s) => *s,
            MetaValue::Word(i) => i.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Number,
    String,
    Bool,
    List(Box<TypeExpr>),
}

#[derive(Debug, Clone)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// A string literal as written: `raw` is the text between the quotes, escapes unprocessed.
#[derive(Debug, Clone)]
pub struct StrLit {
    pub raw: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Let {
        name: Ident,
        value: Expr,
    },
    When {
        cond: Expr,
        message: Option<StrLit>,
    },
    Assert {
        cond: Expr,
        message: StrLit,
    },
    /// A statement whose keyword is not one of the language's.
    Unknown {
        keyword: Ident,
        span: Span,
    },
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Num(f64),
    Str(StrLit),
    Bool(bool),
    List(Vec<Expr>),
    Type(String),
    Name(String),
    Field(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Arg>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `if cond then a else b`: only the chosen branch is evaluated.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone)]
pub enum Arg {
    Expr(Expr),
    Lambda {
        param: Ident,
        body: Expr,
        span: Span,
    },
}

impl Arg {
    pub fn span(&self) -> Span {
        match self {
            Arg::Expr(e) => e.span,
            Arg::Lambda { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Coalesce => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// Unescapes the text of a string literal (`\"`, `\\`, `\n`, `\t`, `\r`, `\{`, `\}`).
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
