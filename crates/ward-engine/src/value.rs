//! Run-time values. Values borrow from the inventory wherever they can: reading a field of
//! a configuration item copies nothing. Each value remembers the JSON path it was read
//! from, so the evaluator can report exactly which fields decided a finding.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;
use ward_model::Resource;
use ward_model::{Json, Object};

/// Where a value was read from.
#[derive(Debug)]
pub enum Path<'a> {
    /// A field of the resource under evaluation (`configuration`) or of another resource
    /// (`AWS::EC2::SecurityGroup/sg-1:configuration`).
    Root {
        other: Option<&'a Resource>,
        field: &'static str,
    },
    /// Something that is not a field: `lookup(AWS::EC2::SecurityGroup, sg-1)`.
    Label(String),
    Field(Rc<Path<'a>>, Arc<str>),
    Index(Rc<Path<'a>>, usize),
}

impl Path<'_> {
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the rendering to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Path::Root { other, field } => {
                if let Some(r) = other {
                    let _ = write!(out, "{}/{}:", r.resource_type, r.resource_id);
                }
                out.push_str(field);
            }
            Path::Label(l) => out.push_str(l),
            Path::Field(parent, name) => {
                parent.write(out);
                let simple = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if simple {
                    out.push('.');
                    out.push_str(name);
                } else {
                    let _ = write!(out, "[{}]", Value::String(name.to_string()));
                }
            }
            Path::Index(parent, i) => {
                parent.write(out);
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

/// A string that is borrowed from the inventory or owned.
#[derive(Debug, Clone)]
pub enum Text<'a> {
    Borrowed(&'a str),
    Owned(Rc<str>),
}

impl Text<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

#[derive(Debug, Clone)]
pub enum V<'a> {
    Absent,
    Bool(bool),
    Num(f64),
    Str(Text<'a>),
    /// A JSON array or object of the inventory.
    Json(&'a Json),
    /// A JSON object of the inventory held as a map (`supplementaryConfiguration`).
    JsonMap(&'a Object),
    Tags(&'a BTreeMap<String, String>),
    List(Rc<Vec<Val<'a>>>),
    /// An object built at run time (an IAM statement, a relationship).
    Obj(Rc<BTreeMap<String, Val<'a>>>),
    Resource(&'a Resource),
    Type(Arc<str>),
}

/// A value and where it came from.
#[derive(Debug, Clone)]
pub struct Val<'a> {
    pub v: V<'a>,
    pub path: Option<Rc<Path<'a>>>,
}

impl<'a> Val<'a> {
    pub fn new(v: V<'a>) -> Self {
        Val { v, path: None }
    }

    pub fn absent(path: Option<Rc<Path<'a>>>) -> Self {
        Val { v: V::Absent, path }
    }

    pub fn bool(b: bool) -> Self {
        Val::new(V::Bool(b))
    }

    pub fn num(n: f64) -> Self {
        Val::new(V::Num(n))
    }

    pub fn string(s: impl Into<Rc<str>>) -> Self {
        Val::new(V::Str(Text::Owned(s.into())))
    }

    pub fn list(items: Vec<Val<'a>>) -> Self {
        Val::new(V::List(Rc::new(items)))
    }

    /// A JSON value of the inventory, read from `path`.
    pub fn json(value: &'a Json, path: Option<Rc<Path<'a>>>) -> Self {
        let v = match value {
            Json::Null => V::Absent,
            Json::Bool(b) => V::Bool(*b),
            Json::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
            Json::String(s) => V::Str(Text::Borrowed(s)),
            Json::Array(_) | Json::Object(_) => V::Json(value),
        };
        Val { v, path }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self.v, V::Absent)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::Str(t) => Some(t.as_str()),
            V::Type(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match self.v {
            V::Num(n) => Some(n),
            _ => None,
        }
    }

    pub fn child_path(&self, name: &Arc<str>) -> Option<Rc<Path<'a>>> {
        self.path
            .as_ref()
            .map(|p| Rc::new(Path::Field(p.clone(), name.clone())))
    }

    /// The elements of a list value; `None` when it is not a list.
    pub fn elements(&self) -> Option<Vec<Val<'a>>> {
        match &self.v {
            V::Json(Json::Array(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let path = self
                            .path
                            .as_ref()
                            .map(|p| Rc::new(Path::Index(p.clone(), i)));
                        Val::json(item, path)
                    })
                    .collect(),
            ),
            V::List(items) => Some(items.as_ref().clone()),
            _ => None,
        }
    }

    /// The value as an inventory JSON object, if it is one.
    pub fn json_map(&self) -> Option<&'a Object> {
        match &self.v {
            V::Json(v) => v.as_object(),
            V::JsonMap(m) => Some(*m),
            _ => None,
        }
    }

    /// A short name of the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match &self.v {
            V::Absent => "absent",
            V::Bool(_) => "boolean",
            V::Num(_) => "number",
            V::Str(_) => "string",
            V::Json(Json::Array(_)) | V::List(_) => "list",
            V::Json(_) | V::JsonMap(_) | V::Tags(_) | V::Obj(_) => "object",
            V::Resource(_) => "resource",
            V::Type(_) => "resource type",
        }
    }

    /// The value as JSON (for evidence and parameters).
    pub fn to_json(&self) -> Value {
        match &self.v {
            V::Absent => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Num(n) => number_json(*n),
            V::Str(t) => Value::String(t.as_str().to_string()),
            V::Json(v) => v.to_value(),
            V::JsonMap(m) => Value::Object(m.to_map()),
            V::Tags(t) => Value::Object(
                t.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
            V::List(items) => Value::Array(items.iter().map(Val::to_json).collect()),
            V::Obj(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            V::Resource(r) => Value::String(format!("{}/{}", r.resource_type, r.resource_id)),
            V::Type(t) => Value::String(t.to_string()),
        }
    }

    /// How the value reads inside a message.
    pub fn display(&self) -> String {
        match &self.v {
            V::Absent => "<absent>".to_string(),
            V::Str(t) => t.as_str().to_string(),
            V::Num(n) => format_number(*n),
            V::Bool(b) => b.to_string(),
            V::List(_) | V::Json(Json::Array(_)) => self
                .elements()
                .unwrap_or_default()
                .iter()
                .map(Val::display)
                .collect::<Vec<_>>()
                .join(", "),
            V::Resource(r) => format!("{}/{}", r.resource_type, r.resource_id),
            V::Type(t) => t.to_string(),
            _ => self.to_json().to_string(),
        }
    }

    /// Whether the value is a scalar worth recording as evidence on its own.
    pub fn is_scalar(&self) -> bool {
        matches!(self.v, V::Absent | V::Bool(_) | V::Num(_) | V::Str(_))
    }
}

pub fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
