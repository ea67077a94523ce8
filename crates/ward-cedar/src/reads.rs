//! What a set of Cedar policies reads of a resource's configuration.
//!
//! Entities carry `configuration` and `supplementaryConfiguration` as records. A policy reads
//! one first-level key of them with `X.configuration.KEY`, `X.configuration has KEY` or
//! `X has configuration.KEY`; anything else it does with the record itself (compares it,
//! puts it in a set) reads it whole. Only the keys read need to be imported and converted:
//! the rest of each entity's configuration cannot change a decision.
//!
//! The walk is over Cedar's JSON form of each policy (`Policy::to_json`), where an attribute
//! access is `{".": {"left": E, "attr": "k"}}` and a presence test
//! `{"has": {"left": E, "attr": "k" | ["k1", "k2", ...]}}`.

use std::collections::BTreeSet;

use cedar_policy::PolicySet;
use serde_json::Value;

/// The records whose first-level keys are tracked.
const RECORDS: [&str; 2] = ["configuration", "supplementaryConfiguration"];

/// The first-level keys of `configuration` and `supplementaryConfiguration` some policies
/// read (one set for both, like Ward's projection), or `whole` when a record is read as a
/// whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeReads {
    pub whole: bool,
    pub keys: BTreeSet<String>,
}

impl AttributeReads {
    /// What either reads.
    pub fn union(&mut self, other: &AttributeReads) {
        self.whole |= other.whole;
        self.keys.extend(other.keys.iter().cloned());
    }

    /// Whether a first-level key of a configuration record is read.
    pub fn reads(&self, key: &str) -> bool {
        self.whole || self.keys.contains(key)
    }
}

/// What the policies of a set read; a policy Cedar cannot write as JSON reads everything.
pub fn reads_of(policies: &PolicySet) -> AttributeReads {
    let mut reads = AttributeReads::default();
    for policy in policies.policies() {
        match policy.to_json() {
            Ok(json) => walk(&json, &mut reads),
            Err(_) => reads.whole = true,
        }
    }
    reads
}

/// Every entity the policies name, as (Cedar type, id), in their scopes and conditions;
/// `None` when a policy cannot be written as JSON. A policy reaches no other entity by name:
/// the schema gives no attribute an entity type, so entities enter expressions only as
/// literals and as `principal`, `action` and `resource`.
pub fn entities_named(policies: &PolicySet) -> Option<BTreeSet<(String, String)>> {
    // Cedar's JSON form writes an entity `{"type": T, "id": I}`, in a scope's `entity` /
    // `entities` and inside an expression's `{"__entity": ...}`. Any such object is taken:
    // a record literal of that shape only adds a name, which errs on the side of more.
    fn names(value: &Value, out: &mut BTreeSet<(String, String)>) {
        match value {
            Value::Object(o) => {
                if let (Some(t), Some(id)) = (
                    o.get("type").and_then(Value::as_str),
                    o.get("id").and_then(Value::as_str),
                ) {
                    out.insert((t.to_string(), id.to_string()));
                }
                o.values().for_each(|v| names(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| names(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for policy in policies.policies() {
        names(&policy.to_json().ok()?, &mut out);
    }
    Some(out)
}

/// The `(left, attr)` of an attribute access or presence test node.
fn access(node: &Value) -> Option<(&Value, &Value)> {
    let inner = node.get(".").or_else(|| node.get("has"))?;
    Some((inner.get("left")?, inner.get("attr")?))
}

/// Whether `node` is `E.configuration` (or `E.supplementaryConfiguration`).
fn is_record_access(node: &Value) -> bool {
    node.get(".")
        .and_then(|inner| inner.get("attr"))
        .and_then(Value::as_str)
        .is_some_and(|a| RECORDS.contains(&a))
}

fn walk(node: &Value, reads: &mut AttributeReads) {
    if let Some((left, attr)) = access(node) {
        // `E.configuration.KEY`, `E.configuration has KEY`, `E.configuration has KEY.more`
        if is_record_access(left) {
            let key = match attr {
                Value::String(k) => Some(k.as_str()),
                Value::Array(path) => path.first().and_then(Value::as_str),
                _ => None,
            };
            match key {
                Some(k) => {
                    reads.keys.insert(k.to_string());
                }
                None => reads.whole = true,
            }
            // What `E` itself is still matters (it could read configurations too).
            if let Some((inner_left, _)) = access(left) {
                walk(inner_left, reads);
            }
            return;
        }
        // `E has configuration.KEY...`
        if let Value::Array(path) = attr
            && path
                .first()
                .and_then(Value::as_str)
                .is_some_and(|a| RECORDS.contains(&a))
        {
            // `E has configuration` alone asks only whether the record is there.
            if let Some(k) = path.get(1).and_then(Value::as_str) {
                reads.keys.insert(k.to_string());
            }
            walk(left, reads);
            return;
        }
        // `E.configuration` used as a value, or `E has configuration`.
        if attr.as_str().is_some_and(|a| RECORDS.contains(&a)) && node.get(".").is_some() {
            reads.whole = true;
        }
        walk(left, reads);
        return;
    }
    match node {
        Value::Object(map) => map.values().for_each(|v| walk(v, reads)),
        Value::Array(items) => items.iter().for_each(|v| walk(v, reads)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn reads(text: &str) -> AttributeReads {
        reads_of(&PolicySet::from_str(text).unwrap())
    }

    fn keys(r: &AttributeReads) -> Vec<&str> {
        r.keys.iter().map(String::as_str).collect()
    }

    #[test]
    fn dotted_access_and_presence_tests_name_their_key() {
        let r = reads(
            r#"permit(principal, action, resource) when {
                 resource.configuration.storageEncrypted &&
                 resource.configuration has publiclyAccessible &&
                 resource has configuration.dbSubnetGroup.vpcId &&
                 resource.configuration has endpoint.address &&
                 principal.supplementaryConfiguration.BucketPolicy.policyText == "x" &&
                 resource has configuration
               };"#,
        );
        assert!(!r.whole);
        assert_eq!(
            keys(&r),
            [
                "BucketPolicy",
                "dbSubnetGroup",
                "endpoint",
                "publiclyAccessible",
                "storageEncrypted"
            ]
        );
    }

    #[test]
    fn a_record_used_as_a_value_is_read_whole() {
        let r =
            reads(r#"permit(principal, action, resource) when { resource.configuration == {} };"#);
        assert!(r.whole);
        let r = reads(
            r#"permit(principal, action, resource) when { [resource.supplementaryConfiguration].isEmpty() };"#,
        );
        assert!(r.whole);
    }

    #[test]
    fn other_attributes_and_tags_read_no_configuration() {
        let r = reads(
            r#"permit(principal, action, resource) when {
                 resource.phi && resource.hasTag("phi") && principal.accountId == resource.accountId
               };"#,
        );
        assert_eq!(r, AttributeReads::default());
    }
}
