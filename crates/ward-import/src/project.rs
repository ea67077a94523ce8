//! Reading a configuration item while skipping the configuration keys no loaded rule reads
//! (`ward_model::FieldNeeds`): skipped values are scanned (`IgnoredAny`) but never built,
//! which is most of the cost of reading a large snapshot.
//!
//! The item's other keys are read whole. When `configuration` comes before `resourceType`
//! and some type must be kept whole, the configuration is read whole too; the inventory
//! projects it on insert, so the result is the same either way.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use ward_model::FieldNeeds;

/// The visitor methods for everything but an object: the value is kept as
/// `serde_json::Value` would read it.
macro_rules! keep_non_objects {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
            ValueVisitor.visit_seq(seq)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    };
}

/// One configuration item, as a `Value` holding only the needed configuration keys.
pub(crate) struct ItemSeed<'a> {
    pub(crate) needs: &'a FieldNeeds,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a configuration item")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut resource_type: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            let projected = matches!(key.as_str(), "configuration" | "supplementaryConfiguration");
            let whole = match &resource_type {
                Some(t) => self.needs.keeps_whole(t),
                None => self.needs.has_whole_types(),
            };
            let value = if projected && !whole {
                map.next_value_seed(KeysSeed { needs: self.needs })?
            } else {
                map.next_value::<Value>()?
            };
            if key == "resourceType"
                && let Value::String(t) = &value
            {
                resource_type = Some(t.clone());
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    // Anything but an object is kept as it is, for the normalizer to report.
    keep_non_objects!();
}

/// A `configuration` or `supplementaryConfiguration` object with only the needed keys. A
/// configuration sent as a JSON string is kept whole (it is decoded, then projected, later).
struct KeysSeed<'a> {
    needs: &'a FieldNeeds,
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a configuration object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.needs.keeps_name(&key) {
                let value = map.next_value::<Value>()?;
                out.insert(key, value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }

    // A configuration sent as a JSON string is decoded, then projected, later.
    keep_non_objects!();
}

/// A list, read as `serde_json::Value` reads it.
struct ValueVisitor;

impl ValueVisitor {
    fn visit_seq<'de, A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn read(text: &str, needs: &FieldNeeds) -> Value {
        let mut de = serde_json::Deserializer::from_str(text);
        ItemSeed { needs }.deserialize(&mut de).unwrap()
    }

    #[test]
    fn skips_unnamed_configuration_keys_in_any_key_order() {
        let needs = FieldNeeds::names(["ipPermissions".to_string()]);
        let a = r#"{"resourceType":"AWS::EC2::SecurityGroup","configuration":{"ipPermissions":[1],"description":{"big":[1,2,3]},"tags":[]},"supplementaryConfiguration":{"X":1},"tags":{"a":"b"}}"#;
        let got = read(a, &needs);
        assert_eq!(
            got["configuration"],
            serde_json::json!({"ipPermissions": [1], "tags": []})
        );
        assert_eq!(got["supplementaryConfiguration"], serde_json::json!({}));
        assert_eq!(got["tags"], serde_json::json!({"a": "b"}));
        let b = r#"{"configuration":"{\"ipPermissions\":[]}","resourceType":"AWS::EC2::SecurityGroup"}"#;
        assert_eq!(
            read(b, &needs)["configuration"],
            Value::String("{\"ipPermissions\":[]}".into())
        );
    }

    #[test]
    fn whole_types_are_kept_whole_once_the_type_is_known() {
        let needs = FieldNeeds::whole_types(["AWS::IAM::Role".to_string()]);
        let item = r#"{"resourceType":"AWS::IAM::Role","configuration":{"a":1}}"#;
        assert_eq!(
            read(item, &needs)["configuration"],
            serde_json::json!({"a": 1})
        );
        let other = r#"{"resourceType":"AWS::EC2::VPC","configuration":{"a":1}}"#;
        assert_eq!(read(other, &needs)["configuration"], serde_json::json!({}));
        // Type unknown when the configuration comes: read whole (projected on insert).
        let late = r#"{"configuration":{"a":1},"resourceType":"AWS::EC2::VPC"}"#;
        assert_eq!(
            read(late, &needs)["configuration"],
            serde_json::json!({"a": 1})
        );
    }
}
