//! One configuration item, in any accepted spelling, to a normalized [`Resource`].
//!
//! Each rule here is listed in the crate README ("Normalization").

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};
use ward_model::{Relationship, Resource, Source, ValueWrappers};

use crate::diagnostic::{Code, ImportDiagnostic};

/// How many times a JSON string holding a JSON string is decoded again.
const MAX_NESTED_DECODE: usize = 3;

/// A normalized resource with the non-fatal notes met on the way.
pub(crate) struct Normalized {
    pub resource: Resource,
    pub warnings: Vec<ImportDiagnostic>,
}

/// Normalizes one configuration item (AWS Config CI in the snapshot, API or event spelling,
/// or Ward's own resource spelling) into a [`Resource`].
///
/// `source` is stored on the resource as given, and names the file and index in a returned
/// diagnostic. Non-fatal notes (a policy document that is not JSON, a relationship without a
/// type) are dropped here; the file importers report them as warnings.
// The error is a full diagnostic on purpose: callers report it as is. Items fail rarely, so
// the size of the `Err` variant costs nothing measurable.
#[allow(clippy::result_large_err)]
pub fn resource_from_item(item: Value, source: Source) -> Result<Resource, ImportDiagnostic> {
    normalize_item(item, source).map(|n| n.resource)
}

#[allow(clippy::result_large_err)]
pub(crate) fn normalize_item(item: Value, source: Source) -> Result<Normalized, ImportDiagnostic> {
    let file = source.file.clone().unwrap_or_default();
    let index = source.index;
    let fail = |id: Option<&str>, message: String| {
        ImportDiagnostic::error(Code::Item, file.clone(), message)
            .with_index(index)
            .with_resource_id(id.map(str::to_string))
    };
    let mut obj = match item {
        Value::Object(obj) => obj,
        other => {
            return Err(fail(
                None,
                format!("item is {}, expected a JSON object", json_kind(&other)),
            )
            .with_help("a configuration item is an object with `resourceType` and `resourceId`"));
        }
    };
    for value in obj.values_mut() {
        convert_datetimes(value);
    }

    let resource_id = match take_id(&mut obj, "resourceId") {
        Some(id) => id,
        None => {
            let what = obj
                .get("resourceType")
                .and_then(Value::as_str)
                .map(|t| format!(" (`{t}`)"))
                .unwrap_or_default();
            return Err(
                fail(None, format!("item{what} has no `resourceId`")).with_help(
                    "every configuration item needs `resourceType` and `resourceId`; \
                 this item was skipped",
                ),
            );
        }
    };
    let Some(resource_type) = take_id(&mut obj, "resourceType") else {
        return Err(
            fail(Some(&resource_id), "item has no `resourceType`".to_string()).with_help(
                "every configuration item needs `resourceType` and `resourceId`; \
                 this item was skipped",
            ),
        );
    };

    let mut warnings = Vec::new();
    let mut warn = |message: String| {
        warnings.push(
            ImportDiagnostic::warning(Code::Normalize, file.clone(), message)
                .with_index(index)
                .with_resource_id(Some(resource_id.clone())),
        );
    };

    let mut resource = Resource::new(resource_type, resource_id.clone());
    resource.source = source;
    resource.resource_name = take_string(&mut obj, &["resourceName"]);
    resource.arn = take_string(&mut obj, &["arn", "ARN"]);
    resource.account_id = take_string(&mut obj, &["accountId", "awsAccountId"]);
    resource.aws_region = take_string(&mut obj, &["awsRegion"]);
    resource.availability_zone = take_string(&mut obj, &["availabilityZone"]);
    resource.configuration_item_status = take_string(&mut obj, &["configurationItemStatus"]);
    for (field, slot) in [
        (
            "configurationItemCaptureTime",
            &mut resource.configuration_item_capture_time,
        ),
        ("resourceCreationTime", &mut resource.resource_creation_time),
    ] {
        if let Some(value) = obj.remove(field) {
            match normalize_time(&value) {
                Ok(time) => *slot = time,
                Err(()) => {
                    *slot = value.as_str().map(str::to_string);
                    warn(format!(
                        "`{field}` is {} that is not an RFC 3339 time or epoch number; kept as given",
                        json_kind(&value)
                    ));
                }
            }
        }
    }

    // Normalized as `serde_json` values, then kept in the inventory's compact form.
    let mut configuration = match obj.remove("configuration") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Object(map)) => Value::Object(map),
        Some(Value::String(text)) => match decode_json_text(&text) {
            Some(Value::Object(map)) => Value::Object(map),
            Some(Value::Null) => Value::Null,
            Some(other) => {
                return Err(fail(
                    Some(&resource_id),
                    format!(
                        "`configuration` decodes to {}, expected a JSON object",
                        json_kind(&other)
                    ),
                ));
            }
            None => {
                return Err(fail(
                    Some(&resource_id),
                    format!(
                        "`configuration` is a string of {} characters that is not JSON (not shown: it was not redacted)",
                        text.chars().count()
                    ),
                )
                .with_help("Config sends `configuration` as an object or as a JSON string"));
            }
        },
        Some(other) => {
            return Err(fail(
                Some(&resource_id),
                format!(
                    "`configuration` is {}, expected a JSON object",
                    json_kind(&other)
                ),
            ));
        }
    };

    let mut supplementary = match obj.remove("supplementaryConfiguration") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(Value::String(text)) => match decode_json_text(&text) {
            Some(Value::Object(map)) => map,
            _ => {
                return Err(fail(
                    Some(&resource_id),
                    "`supplementaryConfiguration` is a string that is not a JSON object"
                        .to_string(),
                ));
            }
        },
        Some(other) => {
            return Err(fail(
                Some(&resource_id),
                format!(
                    "`supplementaryConfiguration` is {}, expected a JSON object",
                    json_kind(&other)
                ),
            ));
        }
    };
    for value in supplementary.values_mut() {
        if let Value::String(text) = value
            && let Some(decoded) = decode_json_text(text)
        {
            *value = decoded;
        }
    }

    let mut tags = BTreeMap::new();
    if let Some(value) = obj.remove("tags") {
        tags = tag_map(&value, &mut warn);
    }
    if tags.is_empty()
        && let Some(value) = configuration.get("tags")
    {
        tags = tag_map(value, &mut warn);
    }
    if tags.is_empty()
        && let Some(value) = supplementary.get("Tags")
    {
        tags = tag_map(value, &mut warn);
    }
    resource.tags = tags;

    if let Some(value) = obj.remove("relationships") {
        match value {
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    match relationship(item) {
                        Some(rel) => resource.relationships.push(rel),
                        None => warn(format!(
                            "relationship {i} is not an object with a `resourceType`; skipped"
                        )),
                    }
                }
            }
            Value::Null => {}
            other => warn(format!(
                "`relationships` is {}, expected a list; ignored",
                json_kind(&other)
            )),
        }
    }

    let resource_type = resource.resource_type.clone();
    for path in ValueWrappers::builtin().of(&resource_type) {
        unwrap_values(&mut configuration, path);
    }
    normalize_type_specific(
        &resource_type,
        &mut configuration,
        &mut supplementary,
        &mut warn,
    );
    resource.configuration = configuration.into();
    resource.supplementary_configuration = supplementary.into();

    Ok(Normalized { resource, warnings })
}

/// Replaces every `{"value": X}` object at `path` (under a list, in each element) by `X`:
/// AWS Config records some fields that way (AWS's Config resource schema lists
/// `configuration.state.value` for volumes), other sources as the bare value. An object with
/// any other key is left as it is, for the rules to meet as an unexpected shape.
fn unwrap_values(value: &mut Value, path: &[String]) {
    match value {
        Value::Array(items) => {
            for item in items {
                unwrap_values(item, path);
            }
        }
        Value::Object(map) => match path.split_first() {
            Some((key, rest)) => {
                if let Some(child) = map.get_mut(key.as_str()) {
                    unwrap_values(child, rest);
                }
            }
            None => {
                if map.len() == 1
                    && let Some(inner) = map.remove("value")
                {
                    *value = inner;
                }
            }
        },
        _ => {}
    }
}

/// Type-specific rules: security group ranges, IAM policy documents, S3 bucket policy.
fn normalize_type_specific(
    resource_type: &str,
    config: &mut Value,
    supplementary: &mut Map<String, Value>,
    warn: &mut impl FnMut(String),
) {
    match resource_type {
        "AWS::EC2::SecurityGroup" => {
            for field in ["ipPermissions", "ipPermissionsEgress"] {
                if let Some(Value::Array(perms)) = config.get_mut(field) {
                    for perm in perms.iter_mut() {
                        if let Value::Object(perm) = perm {
                            normalize_ip_ranges(perm);
                        }
                    }
                }
            }
        }
        "AWS::IAM::Policy" => {
            policy_list(config, "policyVersionList", "document", warn);
        }
        "AWS::IAM::User" => policy_list(config, "userPolicyList", "policyDocument", warn),
        "AWS::IAM::Group" => policy_list(config, "groupPolicyList", "policyDocument", warn),
        "AWS::IAM::Role" => {
            policy_list(config, "rolePolicyList", "policyDocument", warn);
            if let Some(doc) = config.get_mut("assumeRolePolicyDocument") {
                policy_field(doc, "configuration.assumeRolePolicyDocument", warn);
            }
        }
        "AWS::S3::Bucket" => {
            if let Some(doc) = supplementary
                .get_mut("BucketPolicy")
                .and_then(|p| p.get_mut("policyText"))
            {
                policy_field(
                    doc,
                    "supplementaryConfiguration.BucketPolicy.policyText",
                    warn,
                );
            }
        }
        _ => {}
    }
}

fn policy_list(config: &mut Value, list: &str, field: &str, warn: &mut impl FnMut(String)) {
    if let Some(Value::Array(entries)) = config.get_mut(list) {
        for (i, entry) in entries.iter_mut().enumerate() {
            if let Some(doc) = entry.get_mut(field) {
                policy_field(doc, &format!("configuration.{list}[{i}].{field}"), warn);
            }
        }
    }
}

fn policy_field(doc: &mut Value, path: &str, warn: &mut impl FnMut(String)) {
    if !normalize_policy_document(doc) {
        warn(format!(
            "`{path}` is not a JSON or URL-encoded JSON policy document; kept as given"
        ));
    }
}

/// Decodes an IAM policy document given as a JSON string, a URL-encoded JSON string or a
/// one-element array wrapping the document, into the document object. Returns false when
/// the value is a string that decodes to no JSON object (the value is then left as given).
pub(crate) fn normalize_policy_document(doc: &mut Value) -> bool {
    match decode_policy_document(doc) {
        Some(decoded) => {
            *doc = decoded;
            true
        }
        None => false,
    }
}

fn decode_policy_document(doc: &Value) -> Option<Value> {
    let mut work = doc.clone();
    for _ in 0..=MAX_NESTED_DECODE {
        match work {
            Value::Null | Value::Object(_) => return Some(work),
            Value::Array(mut items) if items.len() == 1 => work = items.pop()?,
            Value::Array(_) | Value::Bool(_) | Value::Number(_) => return Some(work),
            Value::String(text) => {
                let text = text.trim();
                work = serde_json::from_str::<Value>(text).ok().or_else(|| {
                    let unescaped: Cow<'_, str> =
                        percent_encoding::percent_decode_str(text).decode_utf8_lossy();
                    serde_json::from_str::<Value>(&unescaped).ok()
                })?;
            }
        }
    }
    matches!(work, Value::Object(_)).then_some(work)
}

/// Security group permission ranges: both the legacy `ipRanges` string list and the
/// `ipv4Ranges`/`ipv6Ranges` object lists are made present.
fn normalize_ip_ranges(perm: &mut Map<String, Value>) {
    let legacy: Vec<String> = match perm.get("ipRanges") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(cidr) => Some(cidr.clone()),
                Value::Object(o) => o.get("cidrIp").and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if !perm.contains_key("ipv4Ranges") {
        let v4: Vec<Value> = legacy
            .iter()
            .filter(|cidr| !cidr.contains(':'))
            .map(|cidr| serde_json::json!({ "cidrIp": cidr }))
            .collect();
        perm.insert("ipv4Ranges".into(), Value::Array(v4));
    }
    if !perm.contains_key("ipv6Ranges") {
        let v6: Vec<Value> = legacy
            .iter()
            .filter(|cidr| cidr.contains(':'))
            .map(|cidr| serde_json::json!({ "cidrIpv6": cidr }))
            .collect();
        perm.insert("ipv6Ranges".into(), Value::Array(v6));
    }
    let legacy_is_strings = matches!(perm.get("ipRanges"), Some(Value::Array(items))
        if items.iter().all(Value::is_string));
    if !legacy_is_strings {
        let from_v4: Vec<Value> = match perm.get("ipv4Ranges") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|r| r.get("cidrIp").and_then(Value::as_str))
                .map(|c| Value::String(c.to_string()))
                .collect(),
            _ => Vec::new(),
        };
        perm.insert("ipRanges".into(), Value::Array(from_v4));
    }
    for list in ["userIdGroupPairs", "prefixListIds"] {
        if !matches!(perm.get(list), Some(Value::Array(_))) {
            perm.insert(list.into(), Value::Array(Vec::new()));
        }
    }
}

fn relationship(item: Value) -> Option<Relationship> {
    let Value::Object(mut obj) = item else {
        return None;
    };
    let resource_type = take_string(&mut obj, &["resourceType"])?;
    Some(Relationship {
        resource_type,
        resource_id: take_string(&mut obj, &["resourceId"]),
        resource_name: take_string(&mut obj, &["resourceName"]),
        relationship_name: take_string(&mut obj, &["relationshipName", "name"]).unwrap_or_default(),
    })
}

/// Tags as a map `{k: v}`, a list `[{key, value}]` / `[{Key, Value}]`, or a JSON string of
/// either, to a map. Non-string values are kept as their JSON text; `null` becomes `""`.
fn tag_map(value: &Value, warn: &mut impl FnMut(String)) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                tags.insert(k.clone(), tag_value(v));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = item
                    .get("key")
                    .or_else(|| item.get("Key"))
                    .and_then(Value::as_str);
                let Some(key) = key else {
                    warn(format!("tag {i} has no `key`; skipped"));
                    continue;
                };
                let value = item
                    .get("value")
                    .or_else(|| item.get("Value"))
                    .unwrap_or(&Value::Null);
                tags.insert(key.to_string(), tag_value(value));
            }
        }
        Value::String(text) => {
            if let Some(decoded @ (Value::Object(_) | Value::Array(_))) = decode_json_text(text) {
                return tag_map(&decoded, warn);
            }
            warn("`tags` is a string that is not JSON; ignored".to_string());
        }
        Value::Null => {}
        other => warn(format!("`tags` is {}; ignored", json_kind(other))),
    }
    tags
}

fn tag_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Decodes a string holding JSON. A result that is itself a string holding a JSON object or
/// array is decoded again (Config double-encodes some S3 supplementary values). `None` when
/// the text is not JSON.
pub(crate) fn decode_json_text(text: &str) -> Option<Value> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    for _ in 0..MAX_NESTED_DECODE {
        let Value::String(inner) = &value else {
            break;
        };
        match serde_json::from_str::<Value>(inner) {
            Ok(decoded @ (Value::Object(_) | Value::Array(_))) => value = decoded,
            _ => break,
        }
    }
    Some(value)
}

/// Replaces every placebo datetime object (`{"__class__": "datetime", "year": ...}`) inside
/// `value` with its RFC 3339 string.
pub(crate) fn convert_datetimes(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("__class__").and_then(Value::as_str) == Some("datetime") {
                if let Some(text) = placebo_datetime(map) {
                    *value = Value::String(text);
                }
                return;
            }
            for v in map.values_mut() {
                convert_datetimes(v);
            }
        }
        Value::Array(items) => {
            for v in items {
                convert_datetimes(v);
            }
        }
        _ => {}
    }
}

fn placebo_datetime(map: &Map<String, Value>) -> Option<String> {
    let field = |name: &str, default: Option<i64>| -> Option<i64> {
        match map.get(name) {
            Some(v) => v.as_i64(),
            None => default,
        }
    };
    let year = i16::try_from(field("year", None)?).ok()?;
    let month = i8::try_from(field("month", None)?).ok()?;
    let day = i8::try_from(field("day", None)?).ok()?;
    let hour = i8::try_from(field("hour", Some(0))?).ok()?;
    let minute = i8::try_from(field("minute", Some(0))?).ok()?;
    let second = i8::try_from(field("second", Some(0))?).ok()?;
    let micro = i32::try_from(field("microsecond", Some(0))?).ok()?;
    if !(0..1_000_000).contains(&micro) {
        return None;
    }
    jiff::civil::DateTime::new(year, month, day, hour, minute, second, micro * 1000).ok()?;
    let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if micro != 0 {
        text.push_str(&format!(".{micro:06}"));
    }
    text.push('Z');
    Some(text)
}

/// A capture or creation time to RFC 3339 UTC (`…Z`). Accepts RFC 3339 with any offset (the
/// fractional digits are kept as given) and epoch numbers (milliseconds when at least 1e11,
/// else seconds). `Ok(None)` for null or an empty string, `Err` for anything else.
pub(crate) fn normalize_time(value: &Value) -> Result<Option<String>, ()> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) if text.trim().is_empty() => Ok(None),
        Value::String(text) => rfc3339_utc(text.trim()).map(Some).ok_or(()),
        Value::Number(n) => {
            // (milliseconds, whether to print them)
            let (millis, fraction) = match (n.as_i64(), n.as_f64()) {
                (Some(i), _) if i.unsigned_abs() >= 100_000_000_000 => (i, true),
                (Some(i), _) => (i.checked_mul(1000).ok_or(())?, false),
                (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => {
                    let ms = if f.abs() >= 1e11 { f } else { f * 1000.0 };
                    (ms.round() as i64, true)
                }
                _ => return Err(()),
            };
            let ts = jiff::Timestamp::from_millisecond(millis).map_err(|_| ())?;
            let mut text = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
            if fraction {
                text.push_str(&format!(".{:03}", millis.rem_euclid(1000)));
            }
            text.push('Z');
            Ok(Some(text))
        }
        _ => Err(()),
    }
}

/// RFC 3339 text with any offset to UTC with `Z`, keeping the fractional digits as given.
pub(crate) fn rfc3339_utc(text: &str) -> Option<String> {
    let ts: jiff::Timestamp = text.parse().ok()?;
    if text.ends_with('Z') && text.contains('T') {
        return Some(text.to_string());
    }
    let fraction: String = text
        .split_once('T')
        .and_then(|(_, time)| time.split_once('.'))
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    let mut out = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(&fraction);
    }
    out.push('Z');
    Some(out)
}

/// Removes the first of `keys` present and returns it as a string. `null` and empty strings
/// count as absent; numbers are written out.
fn take_string(obj: &mut Map<String, Value>, keys: &[&str]) -> Option<String> {
    let mut found = None;
    for key in keys {
        if let Some(value) = obj.remove(*key)
            && found.is_none()
        {
            found = match value {
                Value::String(s) if !s.is_empty() => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
        }
    }
    found
}

fn take_id(obj: &mut Map<String, Value>, key: &str) -> Option<String> {
    take_string(obj, &[key]).filter(|s| !s.trim().is_empty())
}

pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src() -> Source {
        Source {
            format: "test".into(),
            file: Some("t.json".into()),
            index: Some(0),
        }
    }

    #[test]
    fn both_spellings_give_the_same_resource() {
        let v12 = json!({
            "version": "1.2", "accountId": "111122223333",
            "arn": "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1",
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
            "configurationItemCaptureTime": "2024-01-02T03:04:05.678Z",
            "configurationItemMD5Hash": "x", "configurationStateId": "1",
            "relationships": [{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1",
                               "relationshipName": "Is contained in Vpc"}],
            "configuration": "{\"groupId\":\"sg-1\"}",
            "supplementaryConfiguration": {}
        });
        let v13 = json!({
            "configurationItemVersion": "1.3", "awsAccountId": "111122223333",
            "ARN": "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1",
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
            "configurationItemCaptureTime": 1704164645678_i64,
            "configurationStateMd5Hash": "x", "configurationStateId": 1,
            "relationships": [{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1",
                               "name": "Is contained in Vpc"}],
            "configuration": {"groupId": "sg-1"},
        });
        let a = resource_from_item(v12, src()).unwrap();
        let b = resource_from_item(v13, src()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.account_id.as_deref(), Some("111122223333"));
        assert_eq!(
            a.configuration_item_capture_time.as_deref(),
            Some("2024-01-02T03:04:05.678Z")
        );
        assert_eq!(a.relationships[0].relationship_name, "Is contained in Vpc");
    }

    #[test]
    fn values_config_wraps_are_unwrapped_in_either_encoding() {
        // AWS's Config resource schema: AWS::EC2::Volume records `configuration.state.value`;
        // the aws-config-rdk sample item records `"state": "in-use"`. One meaning.
        let wrapped = json!({"resourceType": "AWS::EC2::Volume", "resourceId": "vol-1",
            "configuration": {"state": {"value": "in-use"}, "encrypted": false,
                              "attachments": [{"state": "attached"}]}});
        let bare = json!({"resourceType": "AWS::EC2::Volume", "resourceId": "vol-1",
            "configuration": {"state": "in-use", "encrypted": false,
                              "attachments": [{"state": "attached"}]}});
        let a = resource_from_item(wrapped, src()).unwrap();
        let b = resource_from_item(bare, src()).unwrap();
        assert_eq!(a.configuration, b.configuration);
        assert_eq!(a.configuration["state"], "in-use");

        // A list of wrapped values (classic ELB `securityGroups`: `...securityGroups.value`).
        let elb = json!({"resourceType": "AWS::ElasticLoadBalancing::LoadBalancer",
            "resourceId": "lb-1",
            "configuration": {"securityGroups": [{"value": "sg-1"}, "sg-2"],
                              "availabilityZones": [{"value": "us-east-1a"}]}});
        let r = resource_from_item(elb, src()).unwrap();
        assert_eq!(r.configuration["securityGroups"], json!(["sg-1", "sg-2"]));
        assert_eq!(r.configuration["availabilityZones"], json!(["us-east-1a"]));

        // An object with more than `value` is not a wrapper: left for the rules to meet.
        let odd = json!({"resourceType": "AWS::EC2::Volume", "resourceId": "vol-2",
            "configuration": {"state": {"value": "in-use", "code": 16}}});
        let r = resource_from_item(odd, src()).unwrap();
        assert_eq!(
            r.configuration["state"],
            json!({"value": "in-use", "code": 16})
        );

        // A type whose `state` is a real object (EC2 instance: code and name) is untouched.
        let instance = json!({"resourceType": "AWS::EC2::Instance", "resourceId": "i-1",
            "configuration": {"state": {"value": "running"}}});
        let r = resource_from_item(instance, src()).unwrap();
        assert_eq!(r.configuration["state"], json!({"value": "running"}));
    }

    #[test]
    fn tags_list_becomes_map() {
        let item = json!({"resourceType": "AWS::EC2::Volume", "resourceId": "vol-1",
            "tags": [{"key": "a", "value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": null}]});
        let r = resource_from_item(item, src()).unwrap();
        assert_eq!(r.tags.get("a").map(String::as_str), Some("1"));
        assert_eq!(r.tags.get("b").map(String::as_str), Some("2"));
        assert_eq!(r.tags.get("c").map(String::as_str), Some(""));

        let item = json!({"resourceType": "AWS::EC2::FlowLog", "resourceId": "fl-1", "tags": {},
            "configuration": {"tags": [{"key": "Name", "value": "x"}]}});
        let r = resource_from_item(item, src()).unwrap();
        assert_eq!(r.tags.get("Name").map(String::as_str), Some("x"));
    }

    #[test]
    fn url_encoded_policy_document_is_decoded() {
        let doc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let item = json!({"resourceType": "AWS::IAM::Policy", "resourceId": "ANPA1",
            "configuration": {"policyVersionList": [{"document": doc, "versionId": "v1"}]}});
        let r = resource_from_item(item, src()).unwrap();
        let d = &r.configuration["policyVersionList"][0]["document"];
        assert_eq!(d["Statement"][0]["Effect"], "Allow");

        let item = json!({"resourceType": "AWS::IAM::Role", "resourceId": "AROA1",
            "configuration": {"assumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
              "rolePolicyList": [{"policyName": "p", "policyDocument": "{\"Statement\":[]}"}]}});
        let r = resource_from_item(item, src()).unwrap();
        assert_eq!(
            r.configuration["assumeRolePolicyDocument"]["Version"],
            "2012-10-17"
        );
        assert!(r.configuration["rolePolicyList"][0]["policyDocument"]["Statement"].is_array());
    }

    #[test]
    fn undecodable_policy_is_kept_with_a_warning() {
        let item = json!({"resourceType": "AWS::IAM::Role", "resourceId": "AROA1",
            "configuration": {"assumeRolePolicyDocument": "not json"}});
        let n = normalize_item(item, src()).ok().unwrap();
        assert_eq!(
            n.resource.configuration["assumeRolePolicyDocument"],
            "not json"
        );
        assert_eq!(n.warnings.len(), 1);
        assert!(n.warnings[0].message.contains("assumeRolePolicyDocument"));
    }

    #[test]
    fn malformed_items_are_errors() {
        let e = resource_from_item(json!([1]), src()).unwrap_err();
        assert!(e.message.contains("an array"), "{e}");
        let e = resource_from_item(json!({"resourceType": "AWS::S3::Bucket"}), src()).unwrap_err();
        assert!(e.message.contains("`resourceId`"), "{e}");
        let e = resource_from_item(
            json!({"resourceType": "AWS::S3::Bucket", "resourceId": "b", "configuration": "{nope"}),
            src(),
        )
        .unwrap_err();
        assert_eq!(e.resource_id.as_deref(), Some("b"));
        assert_eq!(e.index, Some(0));
        assert!(e.message.contains("not JSON"), "{e}");
    }

    #[test]
    fn times_are_normalized() {
        assert_eq!(
            rfc3339_utc("2017-11-09T12:35:43.639000-05:00").as_deref(),
            Some("2017-11-09T17:35:43.639000Z")
        );
        assert_eq!(
            normalize_time(&json!(1549956556288_i64))
                .unwrap()
                .as_deref(),
            Some("2019-02-12T07:29:16.288Z")
        );
        assert_eq!(
            normalize_time(&json!(1549956556.5)).unwrap().as_deref(),
            Some("2019-02-12T07:29:16.500Z")
        );
        assert_eq!(
            normalize_time(&json!(1549956556)).unwrap().as_deref(),
            Some("2019-02-12T07:29:16Z")
        );
        let mut v = json!({"t": {"__class__": "datetime", "year": 2016, "month": 12, "day": 11,
            "hour": 6, "minute": 4, "second": 3, "microsecond": 800000}});
        convert_datetimes(&mut v);
        assert_eq!(v["t"], "2016-12-11T06:04:03.800000Z");
        assert!(normalize_time(&json!("yesterday")).is_err());
    }

    #[test]
    fn double_encoded_json_is_decoded() {
        let text =
            serde_json::to_string(&serde_json::to_string(&json!({"a": 1})).unwrap()).unwrap();
        assert_eq!(decode_json_text(&text), Some(json!({"a": 1})));
        assert_eq!(decode_json_text("false"), Some(json!(false)));
        assert_eq!(decode_json_text("not json"), None);
    }
}
