//! Inventory resources as Cedar entities.
//!
//! - type: [`crate::names::entity_type_of`] of the resource type;
//! - uid: the resource's ARN, or its `resourceId` when it has none;
//! - attributes: the common ones (`resourceType`, `resourceId`, `name`, `arn`, `accountId`,
//!   `awsRegion`, ...), `phi` (the PHI tag convention, see [`ward_iam::PhiConfig`]),
//!   `configuration` and `supplementaryConfiguration` converted along the schema's types:
//!   a JSON `null`, a value of another type than the catalogue's, a fractional or
//!   out-of-range number for a `Long`, and fields the catalogue does not list are left out
//!   (Cedar has no null: absent stays absent, and policies test it with `has`); a list with
//!   one such element is left out whole (never a shorter list that could pass vacuously);
//!   only the first-level keys the evaluated policies read are converted
//!   ([`crate::reads`]), the others could not change a decision;
//! - tags: Cedar entity tags (`resource.hasTag("phi")`, `resource.getTag("phi")`);
//! - parents: the account (`AWS::Account`), and the VPC, subnet and security groups of
//!   its Config relationships; for a user, its IAM groups.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use std::str::FromStr;

use cedar_policy::{Entities, Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use rayon::prelude::*;
use serde_json::{Map, Value, json};
use ward_model::{Inventory, Json, Object, Resource, ResourceKey};

use crate::names::ACCOUNT_TYPE;
use crate::reads::AttributeReads;
use crate::schema::{CType, PARENT_TYPES, WardSchema};
use ward_iam::{PhiConfig, groups_of};

/// The uid of a resource's entity: its ARN, or its `resourceId`.
pub fn uid_of(resource: &Resource) -> String {
    resource
        .arn
        .clone()
        .unwrap_or_else(|| resource.resource_id.clone())
}

/// Converts a JSON value along a Cedar type; `None` when it does not fit.
pub fn convert(value: &Json, ty: &CType) -> Option<Value> {
    match (ty, value) {
        (CType::String, Json::String(s)) => Some(Value::String(s.to_string())),
        (CType::Bool, Json::Bool(b)) => Some(Value::Bool(*b)),
        (CType::Long, Json::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Some(json!(i))
            } else {
                let f = n.as_f64()?;
                (f.fract() == 0.0 && f.abs() < 9.0e15).then(|| json!(f as i64))
            }
        }
        (CType::Set(inner), Json::Array(items)) => items
            .iter()
            .map(|i| convert(i, inner))
            .collect::<Option<Vec<Value>>>()
            .map(Value::Array),
        (CType::Record(attrs), Json::Object(fields)) => {
            let out: Map<String, Value> = attrs
                .iter()
                .filter_map(|(k, t)| {
                    fields
                        .get(k)
                        .and_then(|v| convert(v, t))
                        .map(|v| (k.clone(), v))
                })
                .collect();
            Some(Value::Object(out))
        }
        (CType::KeyValues(inner), Json::Object(fields)) => fields
            .iter()
            .map(|(k, v)| convert(v, inner).map(|v| json!({"key": k, "value": v})))
            .collect::<Option<Vec<Value>>>()
            .map(Value::Array),
        _ => None,
    }
}

/// Converts a `configuration` or `supplementaryConfiguration` along its record type,
/// keeping only the first-level keys the policies read.
fn convert_read(value: &Json, ty: &CType, reads: &AttributeReads) -> Option<Value> {
    match (ty, value) {
        (CType::Record(attrs), Json::Object(fields)) => Some(record_read(fields, attrs, reads)),
        _ => convert(value, ty),
    }
}

/// A record of the first-level keys of `fields` the policies read.
fn record_read(fields: &Object, attrs: &BTreeMap<String, CType>, reads: &AttributeReads) -> Value {
    Value::Object(
        attrs
            .iter()
            .filter(|(k, _)| reads.reads(k))
            .filter_map(|(k, t)| {
                fields
                    .get(k)
                    .and_then(|v| convert(v, t))
                    .map(|v| (k.clone(), v))
            })
            .collect(),
    )
}

/// The entity of one resource in Cedar's JSON entity format, its configurations cut to
/// what `reads` names.
pub fn entity_json(
    resource: &Resource,
    inventory: &Inventory,
    schema: &WardSchema,
    phi: &PhiConfig,
    reads: &AttributeReads,
) -> Option<Value> {
    let ty = schema.entity_types.get(&resource.resource_type)?;
    let mut attrs = Map::new();
    attrs.insert("resourceType".into(), json!(resource.resource_type));
    attrs.insert("resourceId".into(), json!(resource.resource_id));
    let optional = [
        ("name", &resource.resource_name),
        ("arn", &resource.arn),
        ("accountId", &resource.account_id),
        ("awsRegion", &resource.aws_region),
        ("availabilityZone", &resource.availability_zone),
        (
            "configurationItemStatus",
            &resource.configuration_item_status,
        ),
        (
            "configurationItemCaptureTime",
            &resource.configuration_item_capture_time,
        ),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            attrs.insert(k.into(), json!(v));
        }
    }
    attrs.insert("phi".into(), json!(phi.is_phi(resource)));
    if let Some(shape) = schema.shapes.get(&resource.resource_type) {
        if let Some(t) = &shape.configuration
            && let Some(v) = convert_read(&resource.configuration, t, reads)
        {
            attrs.insert("configuration".into(), v);
        }
        if let Some(t) = &shape.supplementary {
            let sup = &resource.supplementary_configuration;
            let v = match t {
                CType::Record(record) => Some(record_read(sup, record, reads)),
                _ => convert(&Json::Object(sup.clone()), t),
            };
            if let Some(v) = v {
                attrs.insert("supplementaryConfiguration".into(), v);
            }
        }
    }
    let tags: Map<String, Value> = resource
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    Some(json!({
        "uid": {"type": ty, "id": uid_of(resource)},
        "attrs": attrs,
        "parents": parents(resource, inventory, schema),
        "tags": tags,
    }))
}

fn parents(resource: &Resource, inventory: &Inventory, schema: &WardSchema) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut push = |ty: &str, id: String| {
        if let Some(t) = schema.entity_types.get(ty) {
            let v = json!({"type": t, "id": id});
            if !out.contains(&v) {
                out.push(v);
            }
        }
    };
    if resource.resource_type != ACCOUNT_TYPE
        && let Some(account) = &resource.account_id
    {
        let id = inventory
            .get(ACCOUNT_TYPE, account)
            .map(uid_of)
            .unwrap_or_else(|| account.clone());
        push(ACCOUNT_TYPE, id);
    }
    for rel in &resource.relationships {
        // Only relationships that point up (`Is contained in Vpc`, `Is associated with
        // SecurityGroup`): Config also records the way down (`Contains Subnet`), which would
        // make the hierarchy a cycle.
        let upward = rel.relationship_name.starts_with("Is contained in")
            || rel.relationship_name.starts_with("Is associated with")
            || rel.relationship_name.starts_with("Is attached to");
        if !upward
            || rel.resource_type == resource.resource_type
            || !PARENT_TYPES.contains(&rel.resource_type.as_str())
            || rel.resource_type == ACCOUNT_TYPE
        {
            continue;
        }
        if let Some(id) = &rel.resource_id {
            let uid = inventory
                .get_near(
                    &rel.resource_type,
                    id,
                    resource.account_id.as_deref(),
                    resource.aws_region.as_deref(),
                )
                .map(uid_of)
                .unwrap_or_else(|| id.clone());
            push(&rel.resource_type, uid);
        }
    }
    if resource.resource_type == "AWS::IAM::User" {
        for g in groups_of(inventory, resource) {
            push("AWS::IAM::Group", uid_of(g));
        }
    }
    out
}

/// The entities of an inventory, and the resources that could not become one (with why).
pub struct EntityStore {
    pub entities: Entities,
    /// The resource (type, id, account, Region) → the error converting it.
    pub failed: BTreeMap<ResourceKey, String>,
}

/// Builds the entities of the resources of `types` (those the schema knows), converting
/// them on all cores.
///
/// Each entity is built alone (one that cannot be built fails alone) along the schema's
/// types, so it conforms to the schema by construction, and the set is joined without
/// Cedar's conformance check: that check describes the entity's type anew for every entity,
/// at a cost that grows with the size of the type's configuration record, and was most of
/// the time spent building entities. A test runs Cedar's check over every entity of the
/// example estate ([`nonconforming`]). Only when the set as a whole fails (a cycle in the
/// hierarchy) is each entity checked alone against the schema, to name the ones at fault
/// and keep the rest. Of the types in `phi_only`, only the PHI-bearing resources (not
/// deleted) become entities: the only requests about them are least privilege's.
pub fn build(
    inventory: &Inventory,
    schema: &WardSchema,
    phi: &PhiConfig,
    types: &BTreeSet<String>,
    reads: &AttributeReads,
    phi_only: &BTreeSet<String>,
) -> EntityStore {
    let resources: Vec<&Resource> = types
        .iter()
        .flat_map(|t| inventory.of_type(t))
        .filter(|r| !phi_only.contains(&r.resource_type) || (!r.is_deleted() && phi.is_phi(r)))
        .collect();
    let fast = convert_all(&resources, inventory, schema, phi, reads, false);
    let (entities, mut failed) = collect(fast);
    match joined(entities, &schema.schema) {
        Ok(entities) => EntityStore { entities, failed },
        Err(_) => {
            let checked = convert_all(&resources, inventory, schema, phi, reads, true);
            let (entities, more) = collect(checked);
            failed.extend(more);
            match Entities::from_entities(entities, Some(&schema.schema)) {
                Ok(entities) => EntityStore { entities, failed },
                Err(e) => {
                    // Each entity conforms alone; a failure here concerns the hierarchy as
                    // a whole: every resource is reported with it.
                    let mut message = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        message.push_str(&format!(": {s}"));
                        source = s.source();
                    }
                    for r in &resources {
                        failed.insert(r.key(), message.clone());
                    }
                    EntityStore {
                        entities: Entities::empty(),
                        failed,
                    }
                }
            }
        }
    }
}

/// The entities as one store with the schema's action entities (which Cedar adds itself to
/// a set it checks), the hierarchy computed, not checked against the schema.
fn joined(entities: Vec<Entity>, schema: &cedar_policy::Schema) -> Result<Entities, String> {
    let actions = schema.action_entities().map_err(|e| e.to_string())?;
    Entities::from_entities(entities.into_iter().chain(actions), None).map_err(|e| e.to_string())
}

/// Cedar's conformance check over the entity of every resource of the inventory, with its
/// whole configuration: the resources whose entity does not conform, with why. What
/// [`build`] relies on without checking; tests call it.
pub fn nonconforming(
    inventory: &Inventory,
    schema: &WardSchema,
    phi: &PhiConfig,
) -> Vec<(ResourceKey, String)> {
    let resources: Vec<&Resource> = inventory.iter().collect();
    let everything = AttributeReads {
        whole: true,
        ..AttributeReads::default()
    };
    let mut out: Vec<(ResourceKey, String)> =
        convert_all(&resources, inventory, schema, phi, &everything, true)
            .into_iter()
            .filter_map(|(r, e)| e.err().map(|e| (r.key(), e)))
            .collect();
    let (entities, _) = collect(convert_all(
        &resources,
        inventory,
        schema,
        phi,
        &everything,
        false,
    ));
    if let Err(e) = Entities::from_entities(entities, Some(&schema.schema)) {
        out.push((
            ResourceKey {
                resource_type: String::new(),
                resource_id: String::new(),
                account_id: None,
                aws_region: None,
            },
            e.to_string(),
        ));
    }
    out
}

type Converted<'a> = Vec<(&'a Resource, Result<Entity, String>)>;

/// The entity of each resource the schema knows, parsed with or without the schema.
fn convert_all<'a>(
    resources: &[&'a Resource],
    inventory: &Inventory,
    schema: &WardSchema,
    phi: &PhiConfig,
    reads: &AttributeReads,
    with_schema: bool,
) -> Converted<'a> {
    let cedar_schema = with_schema.then_some(&schema.schema);
    // Parsing a Cedar name is costly: each entity type's once, not once per entity.
    let type_names: HashMap<&str, EntityTypeName> = schema
        .entity_types
        .values()
        .filter_map(|t| Some((t.as_str(), EntityTypeName::from_str(t).ok()?)))
        .collect();
    resources
        .par_iter()
        .filter_map(|resource| {
            let value = entity_json(resource, inventory, schema, phi, reads)?;
            let entity = match cedar_schema {
                Some(s) => Entity::from_json_value(value, Some(s)).map_err(|e| e.to_string()),
                None => entity_of_json(&value, &type_names),
            };
            Some((*resource, entity))
        })
        .collect()
}

/// An entity in Cedar's JSON entity format, built through Cedar's API: the same entity as
/// `Entity::from_json_value` without a schema gives for the values Ward writes (strings,
/// booleans, integers, sets and records), without Cedar's detour through its JSON escapes.
fn entity_of_json(
    value: &Value,
    type_names: &HashMap<&str, EntityTypeName>,
) -> Result<Entity, String> {
    let uid = |v: &Value| -> Result<EntityUid, String> {
        let ty = v.get("type").and_then(Value::as_str).unwrap_or_default();
        let id = v.get("id").and_then(Value::as_str).unwrap_or_default();
        let ty = match type_names.get(ty) {
            Some(known) => known.clone(),
            None => EntityTypeName::from_str(ty).map_err(|e| format!("entity type `{ty}`: {e}"))?,
        };
        Ok(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
    };
    let fields = |key: &str| -> Result<Vec<(String, RestrictedExpression)>, String> {
        value
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| Ok((k.clone(), restricted(v)?)))
            .collect()
    };
    let parents = value
        .get("parents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(uid)
        .collect::<Result<Vec<_>, _>>()?;
    let uid = uid(value.get("uid").unwrap_or(&Value::Null))?;
    Entity::new_with_tags(uid, fields("attrs")?, parents, fields("tags")?)
        .map_err(|e| e.to_string())
}

fn restricted(value: &Value) -> Result<RestrictedExpression, String> {
    Ok(match value {
        Value::String(s) => RestrictedExpression::new_string(s.clone()),
        Value::Bool(b) => RestrictedExpression::new_bool(*b),
        Value::Number(n) => RestrictedExpression::new_long(
            n.as_i64()
                .ok_or_else(|| format!("{n} is not a Cedar Long"))?,
        ),
        Value::Array(items) => RestrictedExpression::new_set(
            items
                .iter()
                .map(restricted)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Value::Object(fields) => RestrictedExpression::new_record(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), restricted(v)?)))
                .collect::<Result<Vec<_>, String>>()?,
        )
        .map_err(|e| e.to_string())?,
        Value::Null => return Err("null has no Cedar value".to_string()),
    })
}

/// The entities (with the evaluator's, and without duplicate uids) and the failures.
fn collect(converted: Converted<'_>) -> (Vec<Entity>, BTreeMap<ResourceKey, String>) {
    let mut failed = BTreeMap::new();
    let mut seen: HashSet<EntityUid> = HashSet::new();
    let mut entities = Vec::new();
    if let Ok(e) = Entity::from_json_value(evaluator_json(), None) {
        seen.insert(e.uid());
        entities.push(e);
    }
    for (resource, entity) in converted {
        match entity {
            Ok(e) => {
                if seen.insert(e.uid()) {
                    entities.push(e);
                } else {
                    failed.insert(
                        resource.key(),
                        format!("another resource has the same Cedar uid `{}`", e.uid()),
                    );
                }
            }
            Err(e) => {
                failed.insert(resource.key(), e);
            }
        }
    }
    (entities, failed)
}

/// The principal of control requests.
pub const EVALUATOR_ID: &str = "ward";

fn evaluator_json() -> Value {
    json!({"uid": {"type": "Ward::Evaluator", "id": EVALUATOR_ID}, "attrs": {}, "parents": []})
}
