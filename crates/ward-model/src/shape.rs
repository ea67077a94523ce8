//! Shapes of resource types: which fields a resource type's `configuration` and
//! `supplementaryConfiguration` have. The rule checker uses them to catch a misspelled
//! field before evaluation, and to suggest the right one.
//!
//! The catalogue is data (`data/resource-types.json`), written from AWS's resource
//! documentation and real configuration items. Its notation:
//!
//! - `"string"`, `"number"`, `"boolean"`, `"any"`: a scalar (or, for `any`, anything);
//! - `{ "field": shape, ... }`: an object with exactly these fields;
//! - `{ "*": shape }`: a map whose keys are data (tags, attributes), each value `shape`;
//! - `[shape]`: an array of `shape`.
//!
//! A resource type listed with `null` is known, but its fields are not catalogued: paths
//! into it are not checked.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The shape of a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    String,
    Number,
    Boolean,
    Any,
    Object(BTreeMap<String, Shape>),
    Map(Box<Shape>),
    Array(Box<Shape>),
}

impl Shape {
    /// Parses the catalogue notation.
    pub fn from_notation(value: &Value) -> Result<Shape, String> {
        match value {
            Value::String(s) => match s.as_str() {
                "string" => Ok(Shape::String),
                "number" => Ok(Shape::Number),
                "boolean" => Ok(Shape::Boolean),
                "any" => Ok(Shape::Any),
                other => Err(format!("unknown scalar shape `{other}`")),
            },
            Value::Array(items) => match items.as_slice() {
                [item] => Ok(Shape::Array(Box::new(Shape::from_notation(item)?))),
                _ => Err("an array shape has exactly one element shape".to_string()),
            },
            Value::Object(fields) => {
                if let (1, Some(inner)) = (fields.len(), fields.get("*")) {
                    return Ok(Shape::Map(Box::new(Shape::from_notation(inner)?)));
                }
                let mut out = BTreeMap::new();
                for (name, shape) in fields {
                    let shape = Shape::from_notation(shape).map_err(|e| format!("{name}: {e}"))?;
                    out.insert(name.clone(), shape);
                }
                Ok(Shape::Object(out))
            }
            other => Err(format!("`{other}` is not a shape")),
        }
    }

    /// The names of an object shape's fields (empty for other shapes).
    pub fn field_names(&self) -> Vec<&str> {
        match self {
            Shape::Object(fields) => fields.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// The catalogued shape of one resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceShape {
    pub configuration: Shape,
    pub supplementary_configuration: Shape,
}

/// Every resource type Ward knows, with its shape where catalogued.
#[derive(Debug, Default)]
pub struct ResourceCatalog {
    types: BTreeMap<String, Option<ResourceShape>>,
}

const CATALOG_SOURCE: &str = include_str!("../data/resource-types.json");

impl ResourceCatalog {
    /// The catalogue built into Ward.
    pub fn builtin() -> &'static ResourceCatalog {
        static CATALOG: OnceLock<ResourceCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The built-in catalogue is tested to parse; an error here would be a build defect.
            ResourceCatalog::parse(CATALOG_SOURCE).unwrap_or_default()
        })
    }

    /// Parses a catalogue document: `{"types": {"AWS::X::Y": {"configuration": shape,
    /// "supplementaryConfiguration": shape} | null}}`.
    pub fn parse(text: &str) -> Result<ResourceCatalog, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let types = doc
            .get("types")
            .and_then(Value::as_object)
            .ok_or("the catalogue has no `types` object")?;
        let mut out = BTreeMap::new();
        for (name, entry) in types {
            let shape = match entry {
                Value::Null => None,
                Value::Object(parts) => {
                    let part = |key: &str| -> Result<Shape, String> {
                        match parts.get(key) {
                            None => Ok(Shape::Any),
                            Some(v) => {
                                Shape::from_notation(v).map_err(|e| format!("{name}.{key}: {e}"))
                            }
                        }
                    };
                    Some(ResourceShape {
                        configuration: part("configuration")?,
                        supplementary_configuration: part("supplementaryConfiguration")?,
                    })
                }
                _ => return Err(format!("{name}: expected an object or null")),
            };
            out.insert(name.clone(), shape);
        }
        Ok(ResourceCatalog { types: out })
    }

    pub fn is_known(&self, resource_type: &str) -> bool {
        self.types.contains_key(resource_type)
    }

    /// The shape of a known type, `None` when unknown or not catalogued.
    pub fn shape(&self, resource_type: &str) -> Option<&ResourceShape> {
        self.types.get(resource_type).and_then(Option::as_ref)
    }

    pub fn type_names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }
}

const WRAPPERS_SOURCE: &str = include_str!("../data/config-value-wrappers.json");

/// The configuration fields that AWS Config records as `{"value": ...}` objects (or lists of
/// them) per resource type, from AWS's Config resource schema
/// (`data/config-value-wrappers.json`, generated by `examples/tools/build_value_wrappers.py`).
/// Each entry is a dotted path under `configuration` (`state`, `availabilityZones`); a list
/// met on the way stands for each of its elements. The importer unwraps them, so that every
/// rule reads one encoding (`docs/inventory-format.md`, "Values Config wraps").
#[derive(Debug, Default)]
pub struct ValueWrappers {
    types: BTreeMap<String, Vec<Vec<String>>>,
}

impl ValueWrappers {
    /// The table built into Ward.
    pub fn builtin() -> &'static ValueWrappers {
        static WRAPPERS: OnceLock<ValueWrappers> = OnceLock::new();
        // Tested to parse (see the tests below); an error would be a build defect.
        WRAPPERS.get_or_init(|| ValueWrappers::parse(WRAPPERS_SOURCE).unwrap_or_default())
    }

    /// Parses `{"types": {"AWS::X::Y": ["state", "a.b"]}}`.
    pub fn parse(text: &str) -> Result<ValueWrappers, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let types = doc
            .get("types")
            .and_then(Value::as_object)
            .ok_or("the wrapper table has no `types` object")?;
        let mut out = BTreeMap::new();
        for (name, paths) in types {
            let paths = paths
                .as_array()
                .ok_or_else(|| format!("{name}: expected a list of paths"))?
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(|p| p.split('.').map(str::to_string).collect())
                        .ok_or_else(|| format!("{name}: a path is not a string"))
                })
                .collect::<Result<Vec<Vec<String>>, String>>()?;
            out.insert(name.clone(), paths);
        }
        Ok(ValueWrappers { types: out })
    }

    /// The wrapped fields of one type (each a path of keys under `configuration`).
    pub fn of(&self, resource_type: &str) -> &[Vec<String>] {
        self.types.get(resource_type).map_or(&[], Vec::as_slice)
    }

    pub fn types(&self) -> impl Iterator<Item = (&str, &[Vec<String>])> {
        self.types.iter().map(|(t, p)| (t.as_str(), p.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses() {
        let catalog = ResourceCatalog::parse(CATALOG_SOURCE).unwrap();
        assert!(catalog.is_known("AWS::EC2::SecurityGroup"));
        assert!(catalog.is_known("AWS::::Account"));
    }

    #[test]
    fn builtin_wrappers_parse() {
        let wrappers = ValueWrappers::parse(WRAPPERS_SOURCE).unwrap();
        assert_eq!(wrappers.of("AWS::EC2::Volume"), [vec!["state".to_string()]]);
        assert!(wrappers.of("AWS::EC2::Instance").is_empty());
    }

    #[test]
    fn notation() {
        let shape = Shape::from_notation(&serde_json::json!({
            "a": "string", "b": ["number"], "c": {"*": "string"}
        }))
        .unwrap();
        let Shape::Object(fields) = shape else {
            panic!()
        };
        assert_eq!(fields["b"], Shape::Array(Box::new(Shape::Number)));
        assert_eq!(fields["c"], Shape::Map(Box::new(Shape::String)));
    }
}
