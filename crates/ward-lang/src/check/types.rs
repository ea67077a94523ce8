//! [`Ty`], the static type of an expression, and the types of what is not an expression: rule
//! parameters and the JSON the resource catalogue describes.

use ward_model::Shape;

use crate::ast::TypeExpr;
use crate::ir::ParamType;

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
    pub(super) fn describe(&self) -> String {
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

    pub(super) fn compatible(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Any, _) | (_, Ty::Any) => true,
            (Ty::List(a), Ty::List(b)) => a.compatible(b),
            (Ty::Obj(_), Ty::Obj(_)) | (Ty::Resource(_), Ty::Resource(_)) => true,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    /// The type of a value that is one of two: either, when they agree (or one is unknown).
    pub(super) fn join(a: Ty, b: Ty) -> Ty {
        if a == b || b.is_any() {
            a
        } else if a.is_any() {
            b
        } else {
            Ty::Any
        }
    }

    pub(super) fn element(&self) -> Option<Ty> {
        match self {
            Ty::List(t) => Some((**t).clone()),
            Ty::Any => Some(Ty::Any),
            _ => None,
        }
    }
}

pub(super) fn param_ty(t: &ParamType) -> Ty {
    match t {
        ParamType::Number => Ty::Num,
        ParamType::String => Ty::Str,
        ParamType::Bool => Ty::Bool,
        ParamType::List(inner) => Ty::List(Box::new(param_ty(inner))),
    }
}

pub(super) fn lower_type(t: &TypeExpr) -> ParamType {
    match t {
        TypeExpr::Number => ParamType::Number,
        TypeExpr::String => ParamType::String,
        TypeExpr::Bool => ParamType::Bool,
        TypeExpr::List(inner) => ParamType::List(Box::new(lower_type(inner))),
    }
}

/// The type of JSON described by one or more shapes.
pub(super) fn shapes_ty(shapes: Vec<&'static Shape>) -> Ty {
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
