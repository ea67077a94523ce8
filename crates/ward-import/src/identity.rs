//! The resource type and id of a partial `select-resource-config` result (a query that
//! did not select `resourceType` and `resourceId`), guessed from its configuration.

use serde_json::{Map, Value};

use crate::normalize;

/// The resource type and id of a partial `select-resource-config` result, guessed from
/// the configuration fields that only one type has.
pub(crate) struct Identity {
    pub(crate) resource_type: &'static str,
    pub(crate) resource_id: String,
    resource_name: Option<String>,
    account_id: Option<String>,
}

impl Identity {
    pub(crate) fn apply(self, obj: &mut Map<String, Value>) {
        obj.entry("resourceType")
            .or_insert_with(|| Value::String(self.resource_type.to_string()));
        obj.entry("resourceId")
            .or_insert_with(|| Value::String(self.resource_id));
        if let Some(name) = self.resource_name {
            obj.entry("resourceName").or_insert(Value::String(name));
        }
        if let Some(account) = self.account_id
            && !obj.contains_key("accountId")
            && !obj.contains_key("awsAccountId")
        {
            obj.insert("accountId".into(), Value::String(account));
        }
    }
}

pub(crate) fn infer_identity(obj: &Map<String, Value>) -> Option<Identity> {
    let config = match obj.get("configuration")? {
        Value::Object(map) => map.clone(),
        Value::String(text) => match normalize::decode_json_text(text)? {
            Value::Object(map) => map,
            _ => return None,
        },
        _ => return None,
    };
    let field = |key: &str| {
        config
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let identity = |resource_type, resource_id, resource_name, account_id| {
        Some(Identity {
            resource_type,
            resource_id,
            resource_name,
            account_id,
        })
    };
    if let Some(id) = field("groupId").filter(|id| id.starts_with("sg-"))
        && config.contains_key("ipPermissions")
    {
        return identity(
            "AWS::EC2::SecurityGroup",
            id,
            field("groupName"),
            field("ownerId"),
        );
    }
    if let (Some(id), Some(name)) = (field("dbiResourceId"), field("dBInstanceIdentifier")) {
        return identity("AWS::RDS::DBInstance", id, Some(name), None);
    }
    if let Some(id) = field("instanceId").filter(|id| id.starts_with("i-")) {
        return identity("AWS::EC2::Instance", id, None, None);
    }
    if let Some(id) = field("volumeId").filter(|id| id.starts_with("vol-")) {
        return identity("AWS::EC2::Volume", id, None, None);
    }
    None
}
