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

/// A parameter's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamType {
    Number,
    String,
    Bool,
    List(Box<ParamType>),
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamType::Number => f.write_str("number"),
            ParamType::String => f.write_str("string"),
            ParamType::Bool => f.write_str("bool"),
            ParamType::List(inner) => write!(f, "list<{inner}>"),
        }
    }
}

impl ParamType {
    /// Whether a JSON value has this type.
    pub fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (ParamType::Number, Value::Number(_))
            | (ParamType::String, Value::String(_))
            | (ParamType::Bool, Value::Bool(_)) => true,
            (ParamType::List(inner), Value::Array(items)) => items.iter().all(|i| inner.accepts(i)),
            _ => false,
        }
    }

    /// Converts a value given as text (command line, Config `ruleParameters`) or as JSON.
    pub fn convert(&self, value: &Value) -> Result<Value, String> {
        if self.accepts(value) {
            return Ok(value.clone());
        }
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => return Err(format!("expected {self}, found `{other}`")),
        };
        match self {
            ParamType::String => Ok(Value::String(text)),
            ParamType::Number => text
                .parse::<f64>()
                .ok()
                .and_then(|n| {
                    if n.fract() == 0.0 && n.abs() < 9.0e15 {
                        Some(Value::from(n as i64))
                    } else {
                        serde_json::Number::from_f64(n).map(Value::Number)
                    }
                })
                .ok_or_else(|| format!("expected a number, found `{text}`")),
            ParamType::Bool => match text.to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("expected `true` or `false`, found `{text}`")),
            },
            ParamType::List(inner) => {
                if text.starts_with('[') {
                    let parsed: Value = serde_json::from_str(&text)
                        .map_err(|e| format!("expected {self} as JSON: {e}"))?;
                    if let Value::Array(items) = parsed {
                        return items
                            .iter()
                            .map(|i| inner.convert(i))
                            .collect::<Result<Vec<_>, _>>()
                            .map(Value::Array);
                    }
                }
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| inner.convert(&Value::String(s.to_string())))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
        }
    }
}

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
