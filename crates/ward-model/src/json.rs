//! The compact JSON tree the inventory keeps a resource's configuration in.
//!
//! A large inventory is mostly configuration trees. `serde_json::Value` (with
//! `preserve_order`) spends 80 bytes on every value, a hash table on every object and an
//! allocation on every key; this tree spends 24 bytes on a value, keeps an object as one
//! slice of entries in the order Config recorded them, and shares each distinct key among
//! all the objects that use it. Nothing is lost: a tree converts to the `Value` it was made
//! from (`to_value`), serializes to the same JSON text, and compares equal to it.
//!
//! The tree is read far more than it is changed: an object is looked up by scanning its
//! entries (configuration objects hold a few projected keys), and changing one rebuilds it.

use std::cell::RefCell;
use std::collections::HashSet;
use std::collections::hash_map::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Number, Value};

/// An object's key, shared by every object that has it ([`key`]).
pub type Key = Arc<str>;

/// A JSON value.
#[derive(Clone, Default, PartialEq)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Box<str>),
    Array(Box<[Json]>),
    Object(Object),
}

/// A JSON object: its entries in the order they were recorded, each key once. Two objects
/// are equal when they have the same keys with equal values, in any order (as
/// `serde_json`'s maps are).
#[derive(Clone, Default)]
pub struct Object(Box<[(Key, Json)]>);

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if self.len() <= 16 {
            return self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| v == w));
        }
        let theirs: HashMap<&str, &Json> = other.iter().collect();
        self.iter()
            .all(|(k, v)| theirs.get(k).is_some_and(|w| v == *w))
    }
}

thread_local! {
    static KEYS: RefCell<HashSet<Key>> = RefCell::new(HashSet::new());
}

/// How many keys each thread shares. AWS's field names are a few hundred; keys people
/// choose (environment variable names, map keys) need not be few, and a long-lived process
/// (the Config rule Lambda) must not hold every key it ever met: past this many, a key is
/// made for its object alone.
const KEYS_SHARED: usize = 1 << 16;

/// The shared copy of `name`. Each thread keeps its own table (import threads never wait
/// on each other).
pub fn key(name: &str) -> Key {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some(k) = keys.get(name) {
            return k.clone();
        }
        let k: Key = Arc::from(name);
        if keys.len() < KEYS_SHARED {
            keys.insert(k.clone());
        }
        k
    })
}

static NULL: Json = Json::Null;

impl Json {
    /// An empty object.
    pub fn object() -> Json {
        Json::Object(Object::default())
    }

    /// The value of `name` when this is an object that has it.
    pub fn get(&self, name: &str) -> Option<&Json> {
        self.as_object()?.get(name)
    }

    /// The value of `name` when this is an object that has it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Json> {
        self.as_object_mut()?.get_mut(name)
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut [Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    /// The `serde_json::Value` this tree stands for.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// A short name of the kind of value, as `serde_json` errors spell them.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

impl Object {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&Json> {
        self.0
            .iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Json> {
        self.0
            .iter_mut()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The entries in their recorded order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Json)> + Clone {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The entries with their shared keys.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (&Key, &Json)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&str, &mut Json)> {
        self.0.iter_mut().map(|entry| (&*entry.0, &mut entry.1))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = &Json> {
        self.0.iter().map(|(_, v)| v)
    }

    /// Sets `name` to `value`: in its place when the object has it, last otherwise (as a
    /// `serde_json` map with `preserve_order` does). Rebuilds the object.
    pub fn insert(&mut self, name: impl AsRef<str>, value: impl Into<Json>) {
        let (name, value) = (name.as_ref(), value.into());
        if let Some(slot) = self.get_mut(name) {
            *slot = value;
            return;
        }
        let mut entries = std::mem::take(&mut self.0).into_vec();
        entries.push((key(name), value));
        self.0 = entries.into_boxed_slice();
    }

    /// Keeps the entries `keep` says yes to, in their order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &Json) -> bool) {
        if self.0.iter().all(|(k, v)| keep(k, v)) {
            return;
        }
        let entries = std::mem::take(&mut self.0).into_vec();
        self.0 = entries
            .into_iter()
            .filter(|(k, v)| keep(k, v))
            .collect::<Vec<_>>()
            .into_boxed_slice();
    }

    /// The `serde_json` map this object stands for.
    pub fn to_map(&self) -> serde_json::Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect()
    }
}

/// Builds an object from entries in order; a repeated key keeps its first place and its
/// last value, as `serde_json` does.
fn object_from(entries: Vec<(Key, Json)>) -> Object {
    let mut out: Vec<(Key, Json)> = Vec::with_capacity(entries.len());
    // Small objects (nearly all of them) are checked for repeats by scanning; large ones
    // through an index, so that a crafted object of many keys costs linear time.
    let mut index: Option<HashMap<Key, usize>> = None;
    for (k, v) in entries {
        if out.len() == 16 && index.is_none() {
            index = Some(
                out.iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            );
        }
        let at = match &index {
            Some(index) => index.get(&k).copied(),
            None => out.iter().position(|(have, _)| *have == k),
        };
        match at.and_then(|i| out.get_mut(i)) {
            Some(entry) => entry.1 = v,
            None => {
                if let Some(index) = &mut index {
                    index.insert(k.clone(), out.len());
                }
                out.push((k, v));
            }
        }
    }
    Object(out.into_boxed_slice())
}

impl<K: AsRef<str>> FromIterator<(K, Json)> for Object {
    fn from_iter<I: IntoIterator<Item = (K, Json)>>(iter: I) -> Self {
        object_from(
            iter.into_iter()
                .map(|(k, v)| (key(k.as_ref()), v))
                .collect(),
        )
    }
}

impl From<Value> for Json {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Number(n) => Json::Number(n),
            Value::String(s) => Json::String(s.into_boxed_str()),
            Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            Value::Object(map) => Json::Object(Object::from(map)),
        }
    }
}

impl From<serde_json::Map<String, Value>> for Object {
    fn from(map: serde_json::Map<String, Value>) -> Self {
        // A `serde_json` map holds each key once already.
        Object(
            map.into_iter()
                .map(|(k, v)| (key(&k), Json::from(v)))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    }
}

impl From<Object> for Json {
    fn from(object: Object) -> Self {
        Json::Object(object)
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.into())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::String(s.into_boxed_str())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

impl std::ops::Index<&str> for Json {
    type Output = Json;
    /// The value of `name`, or null (as `serde_json::Value` indexes).
    fn index(&self, name: &str) -> &Json {
        self.get(name).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Json {
    type Output = Json;
    /// The element at `i`, or null (as `serde_json::Value` indexes).
    fn index(&self, i: usize) -> &Json {
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

impl PartialEq<Value> for Json {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Json::Null, Value::Null) => true,
            (Json::Bool(a), Value::Bool(b)) => a == b,
            (Json::Number(a), Value::Number(b)) => a == b,
            (Json::String(a), Value::String(b)) => a.as_ref() == b.as_str(),
            (Json::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Json::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq<Json> for Value {
    fn eq(&self, other: &Json) -> bool {
        other == self
    }
}

impl PartialEq<serde_json::Map<String, Value>> for Object {
    /// Equal as JSON objects are: the same keys with equal values, in any order.
    fn eq(&self, other: &serde_json::Map<String, Value>) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| v == w))
    }
}

impl PartialEq<str> for Json {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<String> for Json {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

macro_rules! eq_number {
    ($($t:ty => $as:ident as $w:ty),*) => {$(
        impl PartialEq<$t> for Json {
            fn eq(&self, other: &$t) -> bool {
                self.$as().is_some_and(|n| n == *other as $w)
            }
        }
    )*};
}

eq_number!(i32 => as_i64 as i64, i64 => as_i64 as i64, u32 => as_u64 as u64, u64 => as_u64 as u64, usize => as_u64 as u64, f64 => as_f64 as f64);

impl std::ops::Index<&str> for Object {
    type Output = Json;
    /// The value of `name`, or null.
    fn index(&self, name: &str) -> &Json {
        self.get(name).unwrap_or(&NULL)
    }
}

impl PartialEq<bool> for Json {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl fmt::Display for Json {
    /// The compact JSON text, as `serde_json::Value` displays.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_value(), f)
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_map(), f)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => serializer.collect_seq(items.iter()),
            Json::Object(o) => o.serialize(serializer),
        }
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.into()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s.into_boxed_str()))
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items.into_boxed_slice()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value: Json = map.next_value()?;
            entries.push((key(&name), value));
        }
        Ok(Json::Object(object_from(entries)))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object, D::Error> {
        match Json::deserialize(d)? {
            Json::Object(o) => Ok(o),
            other => Err(serde::de::Error::custom(format!(
                "expected an object, found {}",
                other.kind()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn corpus() -> Vec<Value> {
        vec![
            json!(null),
            json!(true),
            json!(0),
            json!(-7),
            json!(18446744073709551615u64),
            json!(1.5),
            json!("text with \"quotes\" and ünïcode"),
            json!([]),
            json!({}),
            json!({"z": 1, "a": [1, {"b": null, "a": "x"}], "m": {"n": {"o": [[]]}}}),
            json!([{"ipProtocol": "tcp", "fromPort": 22, "ipRanges": ["0.0.0.0/0"]}]),
        ]
    }

    #[test]
    fn it_stands_for_the_value_it_was_made_from() {
        for value in corpus() {
            let tree = Json::from(value.clone());
            assert_eq!(tree.to_value(), value);
            assert_eq!(tree, value);
            assert_eq!(serde_json::to_string(&tree).unwrap(), value.to_string());
            assert_eq!(tree.to_string(), value.to_string());
            assert_eq!(
                serde_json::to_string_pretty(&tree).unwrap(),
                serde_json::to_string_pretty(&value).unwrap()
            );
            let parsed: Json = serde_json::from_str(&value.to_string()).unwrap();
            assert_eq!(parsed, tree);
        }
    }

    #[test]
    fn a_parsed_object_keeps_its_order_and_the_last_of_a_repeated_key() {
        let text = r#"{"b": 1, "a": 2, "b": 3}"#;
        let tree: Json = serde_json::from_str(text).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(tree.to_string(), value.to_string());
        assert_eq!(tree.to_string(), r#"{"b":3,"a":2}"#);
        // Past the size at which repeats are found through an index.
        let many: String = (0..40)
            .map(|i| format!("\"k{}\": {i}", i % 25))
            .collect::<Vec<_>>()
            .join(",");
        let text = format!("{{{many}}}");
        let tree: Json = serde_json::from_str(&text).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(tree.to_string(), value.to_string());
    }

    #[test]
    fn objects_are_read_and_changed_as_maps() {
        let mut tree = Json::from(json!({"a": 1, "b": {"c": "x"}}));
        assert_eq!(tree["b"]["c"], "x");
        assert!(tree["missing"][3].is_null());
        assert_eq!(tree.get("a").and_then(Json::as_i64), Some(1));
        let o = tree.as_object_mut().unwrap();
        o.insert("a", Json::from("one"));
        o.insert("z", Json::Bool(false));
        o.retain(|k, _| k != "b");
        assert_eq!(tree, json!({"a": "one", "z": false}));
        assert_eq!(tree.to_string(), r#"{"a":"one","z":false}"#);
    }

    #[test]
    fn a_thread_shares_a_bounded_number_of_keys() {
        for i in 0..KEYS_SHARED + 100 {
            let _ = key(&format!("k{i}"));
        }
        assert_eq!(KEYS.with(|k| k.borrow().len()), KEYS_SHARED);
        let (a, b) = (key("not shared"), key("not shared"));
        assert_eq!(a, b);
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn keys_are_shared() {
        let a = Json::from(json!({"ipPermissions": 1}));
        let b = Json::from(json!({"ipPermissions": 2}));
        let (ka, kb) = (
            &a.as_object().unwrap().0[0].0,
            &b.as_object().unwrap().0[0].0,
        );
        assert!(Arc::ptr_eq(ka, kb));
        assert_eq!(std::mem::size_of::<Json>(), 24);
    }
}
