//! The compiled form of a rule: names resolved to slots, functions to [`Builtin`]s or
//! [`CompiledDef`] indices, regular expressions compiled, messages split into parts. The
//! checker produces it once; `ward-engine` evaluates it for every resource.

use std::sync::Arc;

use regex::Regex;
use serde_json::Value;
use ward_model::Severity;

use crate::ast::Span;
use crate::functions::Builtin;

/// The resource fields a rule can name directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootField {
    Configuration,
    SupplementaryConfiguration,
    Tags,
    Relationships,
    ResourceType,
    ResourceId,
    ResourceName,
    Arn,
    AccountId,
    AwsRegion,
    AvailabilityZone,
    ConfigurationItemStatus,
    ConfigurationItemCaptureTime,
    ResourceCreationTime,
}

impl RootField {
    pub const ALL: [RootField; 14] = [
        RootField::Configuration,
        RootField::SupplementaryConfiguration,
        RootField::Tags,
        RootField::Relationships,
        RootField::ResourceType,
        RootField::ResourceId,
        RootField::ResourceName,
        RootField::Arn,
        RootField::AccountId,
        RootField::AwsRegion,
        RootField::AvailabilityZone,
        RootField::ConfigurationItemStatus,
        RootField::ConfigurationItemCaptureTime,
        RootField::ResourceCreationTime,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RootField::Configuration => "configuration",
            RootField::SupplementaryConfiguration => "supplementaryConfiguration",
            RootField::Tags => "tags",
            RootField::Relationships => "relationships",
            RootField::ResourceType => "resourceType",
            RootField::ResourceId => "resourceId",
            RootField::ResourceName => "resourceName",
            RootField::Arn => "arn",
            RootField::AccountId => "accountId",
            RootField::AwsRegion => "awsRegion",
            RootField::AvailabilityZone => "availabilityZone",
            RootField::ConfigurationItemStatus => "configurationItemStatus",
            RootField::ConfigurationItemCaptureTime => "configurationItemCaptureTime",
            RootField::ResourceCreationTime => "resourceCreationTime",
        }
    }

    pub fn by_name(name: &str) -> Option<RootField> {
        RootField::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Ir {
    Num(f64),
    Str(Arc<str>),
    Bool(bool),
    /// A resource type literal.
    Type(Arc<str>),
    List(Vec<Ir>),
    /// A field of the resource being evaluated.
    Root(RootField),
    /// The resource being evaluated.
    Resource,
    /// A `let`, lambda or `def` parameter slot in the current frame.
    Local(usize),
    /// A rule parameter, by index in [`CompiledRule::params`].
    Param(usize),
    Field(Box<Ir>, Arc<str>),
    Index(Box<Ir>, Box<Ir>),
    Not(Box<Ir>),
    Neg(Box<Ir>),
    And(Box<Ir>, Box<Ir>),
    Or(Box<Ir>, Box<Ir>),
    Cmp(CmpOp, Box<Ir>, Box<Ir>),
    In {
        needle: Box<Ir>,
        haystack: Box<Ir>,
        negated: bool,
    },
    Coalesce(Box<Ir>, Box<Ir>),
    Arith(ArithOp, Box<Ir>, Box<Ir>),
    Call(Builtin, Vec<IrArg>),
    /// `matches(x, "literal")` with the expression compiled once.
    Matches(Box<Ir>, Arc<Regex>),
    /// `if cond then a else b`.
    If(Box<Ir>, Box<Ir>, Box<Ir>),
    /// A call of a `def`, by index in [`crate::Pack::defs`].
    CallDef(usize, Vec<Ir>),
}

impl Ir {
    /// Calls `f` on each expression directly inside this one (arguments and lambda bodies
    /// included), in order.
    pub fn for_each_child(&self, f: &mut dyn FnMut(&Ir)) {
        match self {
            Ir::Num(_)
            | Ir::Str(_)
            | Ir::Bool(_)
            | Ir::Type(_)
            | Ir::Root(_)
            | Ir::Resource
            | Ir::Local(_)
            | Ir::Param(_) => {}
            Ir::List(items) | Ir::CallDef(_, items) => items.iter().for_each(&mut *f),
            Ir::Field(x, _) | Ir::Not(x) | Ir::Neg(x) | Ir::Matches(x, _) => f(x),
            Ir::Index(a, b)
            | Ir::And(a, b)
            | Ir::Or(a, b)
            | Ir::Cmp(_, a, b)
            | Ir::Coalesce(a, b)
            | Ir::Arith(_, a, b)
            | Ir::In {
                needle: a,
                haystack: b,
                ..
            } => {
                f(a);
                f(b);
            }
            Ir::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
            Ir::Call(_, args) => args.iter().for_each(|a| match a {
                IrArg::Value(v) => f(v),
                IrArg::Lambda { body, .. } => f(body),
            }),
        }
    }

    /// Calls `f` on this expression and on every expression inside it, parents before
    /// children.
    pub fn visit(&self, f: &mut dyn FnMut(&Ir)) {
        f(self);
        self.for_each_child(&mut |child| child.visit(f));
    }
}

#[derive(Debug, Clone)]
pub enum IrArg {
    Value(Ir),
    /// `v => body`: `slot` receives each element.
    Lambda {
        slot: usize,
        body: Ir,
    },
}

/// A message with interpolated expressions.
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub parts: Vec<MessagePart>,
}

#[derive(Debug, Clone)]
pub enum MessagePart {
    Text(String),
    Expr(Ir),
}

#[derive(Debug, Clone)]
pub enum IrStmt {
    Let { slot: usize, value: Ir },
    When { cond: Ir, message: Option<Message> },
    Assert { cond: Ir, message: Message },
}

pub use ward_model::ParamType;

/// A declared parameter, with its default evaluated at load time.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    /// `None` for an optional parameter without default.
    pub default: Option<Value>,
}

/// The metadata of a rule.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub title: String,
    pub severity: Severity,
    pub hipaa: Vec<String>,
    pub frameworks: Vec<String>,
    pub rationale: Option<String>,
    pub remediation: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
}

/// A checked rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub id: String,
    pub meta: RuleMeta,
    /// The resource types it applies to.
    pub resource_types: Vec<String>,
    pub params: Vec<ParamSpec>,
    pub stmts: Vec<IrStmt>,
    /// How many local slots an evaluation needs.
    pub slots: usize,
    /// Where it is defined: index into [`crate::Pack::files`] and its span there.
    pub file: usize,
    pub span: Span,
}

/// A checked `def`.
#[derive(Debug, Clone)]
pub struct CompiledDef {
    pub name: String,
    pub arity: usize,
    pub body: Ir,
    pub slots: usize,
}
