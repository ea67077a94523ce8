//! The Cedar schema generated from Ward's inventory model.
//!
//! - every resource type of the catalogue (`crates/ward-model/data/resource-types.json`) is an
//!   entity type (named by [`crate::names::entity_type_of`]) with the common attributes, its
//!   `configuration` and `supplementaryConfiguration` typed from the catalogued shapes, and
//!   its tags as Cedar entity tags (`String`);
//! - catalogue shapes map to Cedar types by [`CType::of_shape`]: `string` → `String`,
//!   `number` → `Long`, `boolean` → `Bool`, arrays → `Set`, objects → records whose
//!   attributes are all optional, maps with scalar values → `Set<{key, value}>`; `any` and
//!   maps of non-scalars have no Cedar type and are left out;
//! - `Ward::Evaluator` is the principal of control requests, `Ward::Action::"comply"` and
//!   `Ward::Action::"applies"` their actions;
//! - the `IAM` namespace declares one action per catalogued IAM action (`IAM::Action::"s3:GetObject"`)
//!   for the least-privilege requests, grouped by access level (`"s3:Read"`, `"Read"`) and
//!   service (`"s3:*"`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use cedar_policy::{Schema, SchemaFragment};
use serde_json::{Map, Value, json};
use ward_model::{ResourceCatalog, Shape};

use crate::names::{entity_type_of, split_type};
use ward_iam::{ActionCatalog, phi_services};

/// A Cedar attribute type, as Ward derives it from a catalogue shape.
#[derive(Debug, Clone, PartialEq)]
pub enum CType {
    String,
    Long,
    Bool,
    Set(Box<CType>),
    /// A record; every attribute is optional.
    Record(BTreeMap<String, CType>),
    /// A map with data keys: a set of `{key: String, value: T}` records.
    KeyValues(Box<CType>),
}

impl CType {
    /// The Cedar type of a catalogue shape; `None` when Cedar cannot type it (`any`).
    pub fn of_shape(shape: &Shape) -> Option<CType> {
        match shape {
            Shape::String => Some(CType::String),
            Shape::Number => Some(CType::Long),
            Shape::Boolean => Some(CType::Bool),
            Shape::Any => None,
            Shape::Array(inner) => CType::of_shape(inner).map(|t| CType::Set(Box::new(t))),
            Shape::Object(fields) => {
                let attrs: BTreeMap<String, CType> = fields
                    .iter()
                    .filter_map(|(name, s)| CType::of_shape(s).map(|t| (name.clone(), t)))
                    .collect();
                (!attrs.is_empty()).then_some(CType::Record(attrs))
            }
            Shape::Map(inner) => match CType::of_shape(inner) {
                Some(t @ (CType::String | CType::Long | CType::Bool)) => {
                    Some(CType::KeyValues(Box::new(t)))
                }
                _ => None,
            },
        }
    }

    /// The type in the Cedar JSON schema format.
    pub fn to_json(&self) -> Value {
        match self {
            CType::String => json!({"type": "String"}),
            CType::Long => json!({"type": "Long"}),
            CType::Bool => json!({"type": "Boolean"}),
            CType::Set(inner) => json!({"type": "Set", "element": inner.to_json()}),
            CType::Record(attrs) => {
                let attributes: Map<String, Value> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), optional(t.to_json())))
                    .collect();
                json!({"type": "Record", "attributes": attributes})
            }
            CType::KeyValues(inner) => json!({"type": "Set", "element": {
                "type": "Record",
                "attributes": {"key": {"type": "String"}, "value": inner.to_json()},
            }}),
        }
    }
}

fn optional(mut ty: Value) -> Value {
    if let Some(o) = ty.as_object_mut() {
        o.insert("required".into(), Value::Bool(false));
    }
    ty
}

/// The attributes every entity has, beside `configuration` and `supplementaryConfiguration`:
/// (name, required).
pub const COMMON_STRING_ATTRS: [(&str, bool); 9] = [
    ("resourceType", true),
    ("resourceId", true),
    ("name", false),
    ("arn", false),
    ("accountId", false),
    ("awsRegion", false),
    ("availabilityZone", false),
    ("configurationItemStatus", false),
    ("configurationItemCaptureTime", false),
];

/// Entity types an entity may be `in` (its parents), by relationship.
pub const PARENT_TYPES: [&str; 4] = [
    "AWS::::Account",
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup",
];

/// The Cedar types of one resource type's `configuration` and `supplementaryConfiguration`.
#[derive(Debug, Clone, Default)]
pub struct EntityShape {
    pub configuration: Option<CType>,
    pub supplementary: Option<CType>,
}

/// The schema and what entity conversion needs from it.
pub struct WardSchema {
    pub json: Value,
    pub schema: Schema,
    /// Ward resource type → Cedar entity type.
    pub entity_types: BTreeMap<String, String>,
    /// Cedar entity type → Ward resource type.
    pub resource_types: BTreeMap<String, String>,
    pub shapes: BTreeMap<String, EntityShape>,
}

impl WardSchema {
    /// The schema of Ward's built-in catalogues (built once).
    pub fn builtin() -> Result<&'static WardSchema, String> {
        static SCHEMA: OnceLock<Result<WardSchema, String>> = OnceLock::new();
        SCHEMA
            .get_or_init(|| WardSchema::build(ResourceCatalog::builtin(), ActionCatalog::builtin()))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn build(catalog: &ResourceCatalog, actions: &ActionCatalog) -> Result<WardSchema, String> {
        let json = schema_json(catalog, actions);
        let schema = Schema::from_json_value(json.clone()).map_err(|e| e.to_string())?;
        let mut entity_types = BTreeMap::new();
        let mut resource_types = BTreeMap::new();
        let mut shapes = BTreeMap::new();
        for t in catalog.type_names() {
            let cedar = entity_type_of(t);
            entity_types.insert(t.to_string(), cedar.clone());
            resource_types.insert(cedar, t.to_string());
            let shape = catalog.shape(t).map(|s| EntityShape {
                configuration: CType::of_shape(&s.configuration),
                supplementary: CType::of_shape(&s.supplementary_configuration),
            });
            shapes.insert(t.to_string(), shape.unwrap_or_default());
        }
        Ok(WardSchema {
            json,
            schema,
            entity_types,
            resource_types,
            shapes,
        })
    }

    /// The schema in Cedar's schema syntax.
    pub fn to_cedarschema(&self) -> Result<String, String> {
        let fragment =
            SchemaFragment::from_json_value(self.json.clone()).map_err(|e| e.to_string())?;
        fragment.to_cedarschema().map_err(|e| e.to_string())
    }

    /// The schema in Cedar's JSON schema format, pretty-printed.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(&self.json).unwrap_or_default()
    }
}

/// The parent entity types of a resource type's entities.
pub fn parent_types_of(resource_type: &str) -> Vec<String> {
    let mut out: Vec<String> = PARENT_TYPES
        .iter()
        .filter(|p| **p != resource_type)
        .map(|p| entity_type_of(p))
        .collect();
    if resource_type == "AWS::IAM::User" {
        out.push(entity_type_of("AWS::IAM::Group"));
    }
    if resource_type == crate::names::ACCOUNT_TYPE {
        out.clear();
    }
    out
}

fn entity_json(resource_type: &str, shape: Option<&ward_model::ResourceShape>) -> Value {
    let mut attrs = Map::new();
    for (name, required) in COMMON_STRING_ATTRS {
        let ty = json!({"type": "String"});
        attrs.insert(name.into(), if required { ty } else { optional(ty) });
    }
    attrs.insert("phi".into(), json!({"type": "Boolean"}));
    if let Some(shape) = shape {
        if let Some(t) = CType::of_shape(&shape.configuration) {
            attrs.insert("configuration".into(), optional(t.to_json()));
        }
        if let Some(t) = CType::of_shape(&shape.supplementary_configuration) {
            attrs.insert("supplementaryConfiguration".into(), optional(t.to_json()));
        }
    }
    json!({
        "memberOfTypes": parent_types_of(resource_type),
        "shape": {"type": "Record", "attributes": attrs},
        "tags": {"type": "String"},
    })
}

fn schema_json(catalog: &ResourceCatalog, actions: &ActionCatalog) -> Value {
    let mut namespaces: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut all_types = Vec::new();
    for t in catalog.type_names() {
        let cedar = entity_type_of(t);
        let (ns, base) = split_type(&cedar);
        namespaces
            .entry(ns.to_string())
            .or_default()
            .insert(base.to_string(), entity_json(t, catalog.shape(t)));
        all_types.push(cedar);
    }
    let mut out = Map::new();
    for (ns, types) in namespaces {
        out.insert(ns, json!({"entityTypes": types, "actions": {}}));
    }
    let ward_actions = json!({
        "comply": {"appliesTo": {"principalTypes": ["Evaluator"], "resourceTypes": all_types, "context": {"type": "Record", "attributes": {}}}},
        "applies": {"appliesTo": {"principalTypes": ["Evaluator"], "resourceTypes": all_types, "context": {"type": "Record", "attributes": {}}}},
    });
    let ward_types = json!({"Evaluator": {"shape": {"type": "Record", "attributes": {}}}});
    match out.get_mut("Ward").and_then(Value::as_object_mut) {
        Some(ward) => {
            if let Some(Value::Object(t)) = ward.get_mut("entityTypes")
                && let Value::Object(e) = ward_types
            {
                t.extend(e);
            }
            ward.insert("actions".into(), ward_actions);
        }
        None => {
            out.insert(
                "Ward".into(),
                json!({"entityTypes": ward_types, "actions": ward_actions}),
            );
        }
    }
    out.insert(
        "IAM".into(),
        json!({"entityTypes": {}, "actions": iam_actions(actions)}),
    );
    Value::Object(out)
}

fn iam_actions(catalog: &ActionCatalog) -> Value {
    let principals = [
        entity_type_of("AWS::IAM::Role"),
        entity_type_of("AWS::IAM::User"),
    ];
    let context = json!({"type": "Record", "attributes": {
        "conditional": {"type": "Boolean"},
        "policy": {"type": "String"},
    }});
    let mut actions = Map::new();
    let mut levels = BTreeSet::new();
    for service in catalog.services() {
        let resource_types: Vec<String> = phi_services()
            .iter()
            .filter(|(_, services)| services.contains(&service))
            .map(|(t, _)| entity_type_of(t))
            .collect();
        actions.insert(format!("{service}:*"), json!({}));
        for a in catalog.of_service(service) {
            let group = format!("{service}:{}", a.access);
            levels.insert((service.to_string(), a.access.clone()));
            actions.insert(
                a.full_name(),
                json!({
                    "memberOf": [{"id": group}],
                    "appliesTo": {
                        "principalTypes": principals,
                        "resourceTypes": resource_types,
                        "context": context,
                    },
                }),
            );
        }
    }
    let mut all_levels = BTreeSet::new();
    for (service, level) in levels {
        actions.insert(
            format!("{service}:{level}"),
            json!({
                "memberOf": [{"id": level}, {"id": format!("{service}:*")}],
            }),
        );
        all_levels.insert(level);
    }
    for level in all_levels {
        actions.insert(level, json!({}));
    }
    Value::Object(actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_schema_builds_and_prints() {
        let s = WardSchema::builtin().unwrap();
        let text = s.to_cedarschema().unwrap();
        assert!(text.contains("namespace AWS::S3"), "{}", &text[..200]);
        assert!(s.entity_types.get("AWS::::Account").unwrap() == "AWS::Account");
        // Every catalogue type maps to a distinct Cedar type.
        assert_eq!(s.entity_types.len(), s.resource_types.len());
    }
}
