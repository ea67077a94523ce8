//! One resource of the normalized inventory.
//!
//! The field names follow AWS Config's configuration item (CI v1.3 API spelling), so a
//! rule author who knows Config knows this model. Importers normalize every other
//! spelling (`awsAccountId`/`ARN`, JSON-string `configuration`, EC2 API PascalCase) into it.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use crate::json::{Json, Object};
use serde::{Deserialize, Serialize};

/// A resource as Ward sees it, whatever file or API it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// AWS Config resource type, e.g. `AWS::EC2::SecurityGroup`, or a Ward pseudo type
    /// such as `AWS::::Account`.
    pub resource_type: String,
    /// The resource id as AWS Config reports it (`sg-…`, a bucket name, a DB identifier).
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// `OK`, `ResourceDiscovered`, `ResourceNotRecorded`, `ResourceDeleted`,
    /// `ResourceDeletedNotRecorded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_item_status: Option<String>,
    /// RFC 3339 time at which the item was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_item_capture_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_creation_time: Option<String>,
    /// The resource's configuration, always a JSON object (or `null` when Config recorded none).
    #[serde(default)]
    pub configuration: Json,
    /// Supplementary configuration, every value decoded to JSON (Config sends some as strings).
    #[serde(default)]
    pub supplementary_configuration: Object,
    /// Tags as a flat key/value map.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// Where the resource came from.
    #[serde(default)]
    pub source: Source,
    /// The reference findings carry, made on first use and shared by all of them
    /// ([`Resource::shared_ref`]).
    #[serde(skip)]
    pub shared_ref: SharedRef,
}

impl Resource {
    /// A resource with the given type and id and nothing else.
    pub fn new(resource_type: impl Into<String>, resource_id: impl Into<String>) -> Self {
        Resource {
            resource_type: resource_type.into(),
            resource_id: resource_id.into(),
            resource_name: None,
            arn: None,
            account_id: None,
            aws_region: None,
            availability_zone: None,
            configuration_item_status: None,
            configuration_item_capture_time: None,
            resource_creation_time: None,
            configuration: Json::object(),
            supplementary_configuration: Object::default(),
            tags: BTreeMap::new(),
            relationships: Vec::new(),
            source: Source::default(),
            shared_ref: SharedRef::default(),
        }
    }

    /// The key under which the inventory indexes this resource.
    pub fn key(&self) -> ResourceKey {
        ResourceKey {
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            account_id: self.account_id.clone(),
            aws_region: self.aws_region.clone(),
        }
    }

    /// True when AWS Config reports the resource as deleted.
    pub fn is_deleted(&self) -> bool {
        matches!(
            self.configuration_item_status.as_deref(),
            Some("ResourceDeleted" | "ResourceDeletedNotRecorded")
        )
    }

    /// The short reference that findings carry.
    pub fn to_ref(&self) -> ResourceRef {
        ResourceRef {
            resource_type: self.resource_type.clone(),
            id: self.resource_id.clone(),
            arn: self.arn.clone(),
            account: self.account_id.clone(),
            region: self.aws_region.clone(),
        }
    }

    /// The short reference that findings carry, made once and shared: a resource has a
    /// finding per rule that reads its type. Made from the resource as it is at the first
    /// call: call it once the resource no longer changes (evaluation reads an inventory
    /// that does not; [`crate::Inventory::insert`] forgets one made before).
    pub fn shared_ref(&self) -> Arc<ResourceRef> {
        self.shared_ref
            .0
            .get_or_init(|| Arc::new(self.to_ref()))
            .clone()
    }
}

/// The cache behind [`Resource::shared_ref`]. It is not part of what a resource is: every
/// two caches compare equal, and a clone starts empty (the clone may be changed).
#[derive(Default)]
pub struct SharedRef(OnceLock<Arc<ResourceRef>>);

impl SharedRef {
    /// Forgets the reference made so far.
    pub fn reset(&mut self) {
        self.0 = OnceLock::new();
    }
}

impl Clone for SharedRef {
    fn clone(&self) -> Self {
        SharedRef::default()
    }
}

impl PartialEq for SharedRef {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for SharedRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedRef")
    }
}

/// Identity of a resource inside one inventory: its type and id in its account and Region.
/// AWS Config's resource ids are unique per account and Region only: two accounts may each
/// have a CloudTrail trail or an EventBridge rule of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceKey {
    pub resource_type: String,
    pub resource_id: String,
    pub account_id: Option<String>,
    pub aws_region: Option<String>,
}

/// A Config relationship: this resource relates to another by type and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Config's `relationshipName` (older items say `name`), e.g. `Is contained in Vpc`.
    #[serde(default)]
    pub relationship_name: String,
}

/// Provenance of a resource: the importer, the file and the position in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The input format, e.g. `config-snapshot`, `config-history`, `config-rule-event`.
    #[serde(default)]
    pub format: String,
    /// The file (or API endpoint) it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Zero-based index of the item inside the file's item list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

/// The resource fields that a finding carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceRef {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn a_resource_reads_back_as_it_was_written_with_the_order_of_keys() {
        let text = r#"{"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
            "configuration": {"zeta": 1, "alpha": [1, 2, 3, {"b": "x", "a": null}], "mid": {"k": "v"}},
            "supplementaryConfiguration": {"Z": true, "A": "s"}}"#;
        let resource: Resource = serde_json::from_str(text).unwrap();
        let keys: Vec<&str> = resource.configuration.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["zeta", "alpha", "mid"]);
        let keys: Vec<&str> = resource.supplementary_configuration.keys().collect();
        assert_eq!(keys, ["Z", "A"]);
        let as_value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(resource.configuration, as_value["configuration"]);
        let again: Resource =
            serde_json::from_str(&serde_json::to_string(&resource).unwrap()).unwrap();
        assert_eq!(again, resource);
    }
}
