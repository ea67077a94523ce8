//! The inventory: every imported resource, indexed by type, by id and by ARN.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::projection::FieldNeeds;
use crate::resource::Resource;

/// Version of the inventory snapshot format (`ward-inventory.schema.json`).
pub const INVENTORY_FORMAT_VERSION: &str = "1";

/// The pseudo type of the account-level resource Ward synthesizes for every account it sees.
pub const ACCOUNT_TYPE: &str = "AWS::::Account";

/// The normalized inventory every backend evaluates.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    resources: Vec<Resource>,
    /// Type -> id -> the resources of that type and id, in insertion order (one per account
    /// and Region that has it): a resource's key ([`crate::ResourceKey`]) is found among them.
    by_id: HashMap<String, HashMap<String, Vec<usize>>>,
    by_type: BTreeMap<String, Vec<usize>>,
    /// Type -> account -> indices, in insertion order: `resources(type)` in a rule asks for
    /// one account's, and scanning every account's would make a big estate quadratic.
    by_type_account: HashMap<String, HashMap<Option<String>, Vec<usize>>>,
    by_arn: HashMap<String, usize>,
    /// What the evaluation reads of each configuration; the rest is dropped on insert.
    needs: FieldNeeds,
}

/// What happened when a resource was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// A resource not seen before.
    New,
    /// The same type and id was already present; the newer capture replaced it.
    ReplacedOlder,
    /// The same type and id was already present with a newer capture; this one was dropped.
    KeptNewer,
}

impl Inventory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a resource. When the same type and id is already present in the same account and
    /// Region, the item with the later `configurationItemCaptureTime` wins (ties: the later one
    /// added); the same type and id in another account or Region is another resource.
    pub fn insert(&mut self, mut resource: Resource) -> Insert {
        if !self.needs.is_everything() {
            self.needs.project(&mut resource);
        }
        self.insert_projected(resource)
    }

    /// Adds a resource its caller has already projected with [`Inventory::field_needs`]:
    /// an importer that does it on every core. As [`Inventory::insert`], without doing it
    /// again.
    pub fn insert_projected(&mut self, mut resource: Resource) -> Insert {
        resource.shared_ref.reset();
        let same = self
            .same_resource(&resource)
            .or_else(|| self.same_resource_located_less(&resource));
        if let Some(index) = same {
            let Some(existing) = self.resources.get_mut(index) else {
                return Insert::KeptNewer;
            };
            if capture_time_key(&existing.configuration_item_capture_time)
                > capture_time_key(&resource.configuration_item_capture_time)
            {
                // The newer capture stays; what the older says of where it is fills what the
                // newer leaves out (either may come first).
                let before = existing.account_id.clone();
                if existing.account_id.is_none() {
                    existing.account_id = resource.account_id;
                }
                if existing.aws_region.is_none() {
                    existing.aws_region = resource.aws_region;
                }
                existing.shared_ref.reset();
                let after = existing.account_id.clone();
                if before != after {
                    self.move_account(&resource.resource_type, index, &before, &after);
                }
                return Insert::KeptNewer;
            }
            if let Some(arn) = existing.arn.take() {
                self.by_arn.remove(&arn);
            }
            if let Some(arn) = &resource.arn {
                self.by_arn.insert(arn.clone(), index);
            }
            // What one capture says of where the resource is, the other keeps.
            if resource.account_id.is_none() {
                resource.account_id = existing.account_id.clone();
            }
            if resource.aws_region.is_none() {
                resource.aws_region = existing.aws_region.clone();
            }
            let before = existing.account_id.clone();
            let after = resource.account_id.clone();
            let resource_type = resource.resource_type.clone();
            *existing = resource;
            if before != after {
                self.move_account(&resource_type, index, &before, &after);
            }
            return Insert::ReplacedOlder;
        }
        let index = self.resources.len();
        if let Some(arn) = &resource.arn {
            self.by_arn.insert(arn.clone(), index);
        }
        self.by_type
            .entry(resource.resource_type.clone())
            .or_default()
            .push(index);
        self.by_type_account
            .entry(resource.resource_type.clone())
            .or_default()
            .entry(resource.account_id.clone())
            .or_default()
            .push(index);
        self.by_id
            .entry(resource.resource_type.clone())
            .or_default()
            .entry(resource.resource_id.clone())
            .or_default()
            .push(index);
        self.resources.push(resource);
        Insert::New
    }

    /// The index of the resource with `resource`'s key: its type and id in its account and
    /// Region.
    fn same_resource(&self, resource: &Resource) -> Option<usize> {
        self.by_id
            .get(&resource.resource_type)?
            .get(&resource.resource_id)?
            .iter()
            .copied()
            .find(|&index| {
                self.resources.get(index).is_some_and(|r| {
                    r.account_id == resource.account_id && r.aws_region == resource.aws_region
                })
            })
    }

    /// The resource `resource` is another capture of, when one of the two does not say its
    /// account or Region (an API response without them, beside a Config item that has them):
    /// the only resource of its type and id whose account and Region agree where both are
    /// known. Two or more such resources: none (which one it is cannot be told).
    /// The resource at `index` now belongs to account `to`, no longer to `from`.
    fn move_account(
        &mut self,
        resource_type: &str,
        index: usize,
        from: &Option<String>,
        to: &Option<String>,
    ) {
        let Some(groups) = self.by_type_account.get_mut(resource_type) else {
            return;
        };
        if let Some(old) = groups.get_mut(from) {
            old.retain(|&i| i != index);
        }
        let new = groups.entry(to.clone()).or_default();
        new.push(index);
        new.sort_unstable();
    }

    fn same_resource_located_less(&self, resource: &Resource) -> Option<usize> {
        let agree = |a: &Option<String>, b: &Option<String>| a.is_none() || b.is_none() || a == b;
        let mut found = None;
        for &index in self
            .by_id
            .get(&resource.resource_type)
            .and_then(|ids| ids.get(&resource.resource_id))?
        {
            let Some(other) = self.resources.get(index) else {
                continue;
            };
            let partial = resource.account_id.is_none()
                || resource.aws_region.is_none()
                || other.account_id.is_none()
                || other.aws_region.is_none();
            if partial
                && agree(&resource.account_id, &other.account_id)
                && agree(&resource.aws_region, &other.aws_region)
            {
                if found.is_some() {
                    return None;
                }
                found = Some(index);
            }
        }
        found
    }

    /// Adds an `AWS::::Account` resource for every account that has resources but no
    /// account resource yet, so account-level rules have something to report on.
    pub fn synthesize_accounts(&mut self) {
        let mut accounts: BTreeMap<String, Option<String>> = BTreeMap::new();
        for resource in &self.resources {
            if let Some(account) = &resource.account_id {
                let time = resource.configuration_item_capture_time.clone();
                let entry = accounts.entry(account.clone()).or_default();
                if capture_time_key(&time) > capture_time_key(entry) {
                    *entry = time;
                }
            }
        }
        for (account, time) in accounts {
            if self.get(ACCOUNT_TYPE, &account).is_some() {
                continue;
            }
            let mut resource = Resource::new(ACCOUNT_TYPE, account.clone());
            resource.account_id = Some(account);
            resource.configuration_item_capture_time = time;
            resource.source.format = "ward-synthesized".to_string();
            self.insert(resource);
        }
    }

    /// Keeps only what `needs` names of each configuration inserted from now on (the
    /// importer also skips the rest while reading).
    pub fn set_field_needs(&mut self, needs: FieldNeeds) {
        self.needs = needs;
    }

    /// What this inventory keeps of each configuration.
    pub fn field_needs(&self) -> &FieldNeeds {
        &self.needs
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// All resources in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter()
    }

    /// The resource of this type and id; when several accounts or Regions have one, the first
    /// added. A caller that knows where it looks from uses [`Inventory::get_near`].
    pub fn get(&self, resource_type: &str, resource_id: &str) -> Option<&Resource> {
        self.with_id(resource_type, resource_id).next()
    }

    /// The resource of this type and id as seen from a resource of `account` in `region` (a
    /// relationship, a lookup by id): the one in the same account and Region, else in the
    /// same account (a global IAM resource seen from a Regional one), else the first added.
    pub fn get_near(
        &self,
        resource_type: &str,
        resource_id: &str,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Option<&Resource> {
        let mut same_account = None;
        let mut first = None;
        for r in self.with_id(resource_type, resource_id) {
            if r.account_id.as_deref() == account {
                if r.aws_region.as_deref() == region {
                    return Some(r);
                }
                same_account = same_account.or(Some(r));
            }
            first = first.or(Some(r));
        }
        same_account.or(first)
    }

    /// Every resource of this type and id, in insertion order.
    pub fn with_id<'a>(
        &'a self,
        resource_type: &str,
        resource_id: &str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_id
            .get(resource_type)
            .and_then(|ids| ids.get(resource_id))
            .into_iter()
            .flatten()
            .filter_map(|&index| self.resources.get(index))
    }

    pub fn by_arn(&self, arn: &str) -> Option<&Resource> {
        self.by_arn
            .get(arn)
            .and_then(|&index| self.resources.get(index))
    }

    /// Resources of one type, in insertion order.
    pub fn of_type<'a>(&'a self, resource_type: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_type
            .get(resource_type)
            .into_iter()
            .flatten()
            .filter_map(|&index| self.resources.get(index))
    }

    /// Resources of one type in one account (`None`: those without an account), in
    /// insertion order.
    pub fn of_type_in_account<'a>(
        &'a self,
        resource_type: &str,
        account: Option<&str>,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_type_account
            .get(resource_type)
            .and_then(|groups| groups.get(&account.map(str::to_string)))
            .into_iter()
            .flatten()
            .filter_map(|&index| self.resources.get(index))
    }

    /// The resource types present, sorted, with their counts.
    pub fn type_counts(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_type.iter().map(|(t, v)| (t.as_str(), v.len()))
    }

    /// The latest capture time of any resource: the inventory's "now" for age computations.
    pub fn latest_capture_time(&self) -> Option<&str> {
        self.resources
            .iter()
            .filter_map(|r| r.configuration_item_capture_time.as_deref())
            .max_by_key(|t| capture_time_key(&Some((*t).to_string())))
    }

    /// The document written by `ward import` and read back by every importer.
    pub fn to_snapshot(&self) -> InventorySnapshot {
        InventorySnapshot {
            ward_inventory_version: INVENTORY_FORMAT_VERSION.to_string(),
            resources: self.resources.clone(),
        }
    }
}

/// Sortable form of an RFC 3339 time: all Config timestamps are UTC with `Z`, and their
/// fractional parts vary in length, so compare the seconds part and the fraction apart.
fn capture_time_key(time: &Option<String>) -> (String, String) {
    match time {
        None => (String::new(), String::new()),
        Some(t) => {
            let t = t.trim_end_matches('Z');
            match t.split_once('.') {
                Some((secs, frac)) => (secs.to_string(), frac.to_string()),
                None => (t.to_string(), String::new()),
            }
        }
    }
}

/// Ward's own inventory snapshot file format (version [`INVENTORY_FORMAT_VERSION`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventorySnapshot {
    pub ward_inventory_version: String,
    pub resources: Vec<Resource>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sg(id: &str, time: &str) -> Resource {
        let mut r = Resource::new("AWS::EC2::SecurityGroup", id);
        r.configuration_item_capture_time = Some(time.to_string());
        r.account_id = Some("111122223333".into());
        r
    }

    #[test]
    fn newer_capture_wins() {
        let mut inv = Inventory::new();
        assert_eq!(
            inv.insert(sg("sg-1", "2024-01-02T00:00:00.5Z")),
            Insert::New
        );
        assert_eq!(
            inv.insert(sg("sg-1", "2024-01-01T00:00:00Z")),
            Insert::KeptNewer
        );
        assert_eq!(
            inv.insert(sg("sg-1", "2024-01-02T00:00:00.51Z")),
            Insert::ReplacedOlder
        );
        assert_eq!(inv.len(), 1);
        assert_eq!(inv.of_type("AWS::EC2::SecurityGroup").count(), 1);
    }

    #[test]
    fn the_same_id_in_two_accounts_or_regions_is_two_resources() {
        // Config's resource ids are unique per account and Region: every account of an
        // organization may have a trail or an EventBridge rule of the same name.
        let trail = |account: &str, region: &str, time: &str| {
            let mut r = Resource::new("AWS::CloudTrail::Trail", "management-trail");
            r.account_id = Some(account.into());
            r.aws_region = Some(region.into());
            r.configuration_item_capture_time = Some(time.into());
            r
        };
        let mut inv = Inventory::new();
        let t = "2024-01-01T00:00:00Z";
        assert_eq!(
            inv.insert(trail("111122223333", "us-east-1", t)),
            Insert::New
        );
        assert_eq!(
            inv.insert(trail("444455556666", "us-east-1", t)),
            Insert::New
        );
        assert_eq!(
            inv.insert(trail("444455556666", "eu-west-1", t)),
            Insert::New
        );
        assert_eq!(
            inv.insert(trail("444455556666", "us-east-1", "2024-01-02T00:00:00Z")),
            Insert::ReplacedOlder
        );
        assert_eq!(inv.len(), 3);
        let ids = |account: &str| {
            inv.of_type_in_account("AWS::CloudTrail::Trail", Some(account))
                .count()
        };
        assert_eq!((ids("111122223333"), ids("444455556666")), (1, 2));
        let near = |account: &str, region: &str| {
            inv.get_near(
                "AWS::CloudTrail::Trail",
                "management-trail",
                Some(account),
                Some(region),
            )
            .map(|r| (r.account_id.clone(), r.aws_region.clone()))
        };
        let at = |a: &str, r: &str| Some((Some(a.to_string()), Some(r.to_string())));
        assert_eq!(
            near("444455556666", "eu-west-1"),
            at("444455556666", "eu-west-1")
        );
        assert_eq!(
            near("444455556666", "us-east-1"),
            at("444455556666", "us-east-1")
        );
        // Same account, another Region (a global resource seen from a Regional one).
        assert_eq!(
            near("444455556666", "global"),
            at("444455556666", "us-east-1")
        );
        // Nothing in the asking account: the first added.
        assert_eq!(
            near("999999999999", "us-east-1"),
            at("111122223333", "us-east-1")
        );
        assert_eq!(
            inv.with_id("AWS::CloudTrail::Trail", "management-trail")
                .count(),
            3
        );
    }

    #[test]
    fn an_item_that_does_not_say_where_it_is_merges_with_the_one_that_does() {
        // DescribeSecurityGroups names the owner but not the Region; the Config item names both.
        let mut inv = Inventory::new();
        let mut config = sg("sg-1", "2024-01-01T00:00:00Z");
        config.aws_region = Some("us-east-1".into());
        assert_eq!(inv.insert(config), Insert::New);
        let api = sg("sg-1", "2024-01-02T00:00:00Z");
        assert_eq!(inv.insert(api), Insert::ReplacedOlder);
        assert_eq!(inv.len(), 1);
        // Once two Regions have it, an item without a Region is a third resource: which one it
        // is cannot be told.
        let mut other = sg("sg-1", "2024-01-01T00:00:00Z");
        other.aws_region = Some("eu-west-1".into());
        assert_eq!(inv.insert(other), Insert::New);
        let mut later = sg("sg-1", "2024-01-03T00:00:00Z");
        later.account_id = None;
        assert_eq!(inv.insert(later), Insert::New);
        assert_eq!(inv.len(), 3);
        assert_eq!(inv.with_id("AWS::EC2::SecurityGroup", "sg-1").count(), 3);
    }

    #[test]
    fn an_older_capture_that_says_where_it_is_locates_the_newer_one() {
        // The located-less capture is the newer one and comes first: it stays, and takes the
        // account and Region the older one records.
        let mut inv = Inventory::new();
        let mut api = sg("sg-1", "2024-01-02T00:00:00Z");
        api.account_id = None;
        assert_eq!(inv.insert(api), Insert::New);
        assert_eq!(
            inv.of_type_in_account("AWS::EC2::SecurityGroup", None)
                .count(),
            1
        );
        let mut config = sg("sg-1", "2024-01-01T00:00:00Z");
        config.aws_region = Some("us-east-1".into());
        assert_eq!(inv.insert(config), Insert::KeptNewer);
        assert_eq!(inv.len(), 1);
        let kept = inv.get("AWS::EC2::SecurityGroup", "sg-1").unwrap();
        assert_eq!(
            kept.configuration_item_capture_time.as_deref(),
            Some("2024-01-02T00:00:00Z")
        );
        assert_eq!(kept.account_id.as_deref(), Some("111122223333"));
        assert_eq!(kept.aws_region.as_deref(), Some("us-east-1"));
        assert_eq!(kept.shared_ref().account.as_deref(), Some("111122223333"));
        let in_account =
            |a: Option<&str>| inv.of_type_in_account("AWS::EC2::SecurityGroup", a).count();
        assert_eq!((in_account(Some("111122223333")), in_account(None)), (1, 0));
    }

    #[test]
    fn accounts_are_synthesized_once() {
        let mut inv = Inventory::new();
        inv.insert(sg("sg-1", "2024-01-02T00:00:00Z"));
        inv.insert(sg("sg-2", "2024-01-03T00:00:00Z"));
        inv.synthesize_accounts();
        inv.synthesize_accounts();
        let accounts: Vec<_> = inv.of_type(ACCOUNT_TYPE).collect();
        assert_eq!(accounts.len(), 1);
        assert_eq!(
            accounts[0].configuration_item_capture_time.as_deref(),
            Some("2024-01-03T00:00:00Z")
        );
    }
}
