//! Which parts of each configuration item an evaluation reads. The importer keeps those and
//! skips the rest at scan speed, so a large snapshot costs little more than reading it, and
//! the inventory holds only what decides findings.
//!
//! The unit is a first-level key of `configuration` or `supplementaryConfiguration`: a
//! rule that names `configuration.ipPermissions` keeps all of `ipPermissions`. Everything
//! outside those two objects (ids, account, tags, relationships, times) is always kept.

use std::collections::BTreeSet;

use crate::resource::Resource;

/// First-level configuration keys always kept: the importer reads tags from them when an
/// item has no top-level `tags`.
const ALWAYS_KEPT: [&str; 2] = ["tags", "Tags"];

/// What an evaluation needs of each item's configuration. The default is everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNeeds {
    everything: bool,
    /// Types whose configuration is kept whole.
    whole_types: BTreeSet<String>,
    /// First-level keys kept for every other type.
    names: BTreeSet<String>,
}

impl Default for FieldNeeds {
    fn default() -> Self {
        FieldNeeds::everything()
    }
}

impl FieldNeeds {
    /// Every field of every item (no projection).
    pub fn everything() -> FieldNeeds {
        FieldNeeds {
            everything: true,
            whole_types: BTreeSet::new(),
            names: BTreeSet::new(),
        }
    }

    /// Only these first-level keys, of every type.
    pub fn names<I: IntoIterator<Item = String>>(names: I) -> FieldNeeds {
        FieldNeeds {
            everything: false,
            whole_types: BTreeSet::new(),
            names: names.into_iter().collect(),
        }
    }

    /// The whole configuration of these types, nothing of the others.
    pub fn whole_types<I: IntoIterator<Item = String>>(types: I) -> FieldNeeds {
        FieldNeeds {
            everything: false,
            whole_types: types.into_iter().collect(),
            names: BTreeSet::new(),
        }
    }

    /// What either needs.
    pub fn union(&mut self, other: &FieldNeeds) {
        self.everything |= other.everything;
        self.whole_types.extend(other.whole_types.iter().cloned());
        self.names.extend(other.names.iter().cloned());
    }

    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// Whether the configuration of `resource_type` is kept whole.
    pub fn keeps_whole(&self, resource_type: &str) -> bool {
        self.everything || self.whole_types.contains(resource_type)
    }

    /// Whether some type's configuration is kept whole (so the type must be known before a
    /// configuration can be skipped).
    pub fn has_whole_types(&self) -> bool {
        self.everything || !self.whole_types.is_empty()
    }

    /// Whether a first-level key is kept for a type not kept whole.
    pub fn keeps_name(&self, key: &str) -> bool {
        self.everything || ALWAYS_KEPT.contains(&key) || self.names.contains(key)
    }

    /// The needs a run recorded (`ward bundle` reads the same fields as the run it packs).
    pub fn from_record(record: &FieldsRead) -> FieldNeeds {
        FieldNeeds {
            everything: false,
            whole_types: record.whole_configuration_of.iter().cloned().collect(),
            names: record.configuration_keys.iter().cloned().collect(),
        }
    }

    /// What a run read, for its findings document; `None` when it read everything.
    pub fn record(&self) -> Option<FieldsRead> {
        if self.everything {
            return None;
        }
        let mut keys: BTreeSet<String> = self.names.clone();
        keys.extend(ALWAYS_KEPT.iter().map(|k| k.to_string()));
        Some(FieldsRead {
            configuration_keys: keys.into_iter().collect(),
            whole_configuration_of: self.whole_types.iter().cloned().collect(),
        })
    }

    /// Drops what is not needed from a resource's configuration and supplementary
    /// configuration.
    pub fn project(&self, resource: &mut Resource) {
        if self.keeps_whole(&resource.resource_type) {
            return;
        }
        if let Some(map) = resource.configuration.as_object_mut() {
            map.retain(|key, _| self.keeps_name(key));
        }
        resource
            .supplementary_configuration
            .retain(|key, _| self.keeps_name(key));
    }
}

/// The fields a run read of each configuration item when it did not read them all
/// (docs/findings-format.md, `fields_read`): every other field was skipped unread, never held
/// and never scanned, so nothing in it can reach an output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldsRead {
    /// First-level keys of `configuration` and `supplementaryConfiguration` kept for every
    /// type (the keys some loaded control reads).
    pub configuration_keys: Vec<String>,
    /// Types whose configuration was kept whole (a control reads it as a whole).
    pub whole_configuration_of: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_named_keys_tags_and_whole_types() {
        let mut needs = FieldNeeds::names(["ipPermissions".to_string()]);
        needs.union(&FieldNeeds::whole_types(["AWS::IAM::Role".to_string()]));
        let mut sg = Resource::new("AWS::EC2::SecurityGroup", "sg-1");
        sg.configuration =
            serde_json::json!({"ipPermissions": [], "description": "x", "tags": []}).into();
        sg.supplementary_configuration
            .insert("Other", crate::Json::Bool(true));
        needs.project(&mut sg);
        assert_eq!(
            sg.configuration,
            serde_json::json!({"ipPermissions": [], "tags": []})
        );
        assert!(sg.supplementary_configuration.is_empty());
        let mut role = Resource::new("AWS::IAM::Role", "r");
        role.configuration = serde_json::json!({"anything": 1}).into();
        needs.project(&mut role);
        assert_eq!(role.configuration, serde_json::json!({"anything": 1}));
        assert!(FieldNeeds::default().is_everything());
        assert_eq!(FieldNeeds::default().record(), None);
        let record = needs.record().unwrap();
        assert_eq!(
            record.configuration_keys,
            ["Tags", "ipPermissions", "tags"].map(String::from)
        );
        assert_eq!(record.whole_configuration_of, ["AWS::IAM::Role"]);
        assert_eq!(FieldNeeds::from_record(&record).record(), Some(record));
    }
}
