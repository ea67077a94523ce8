//! Least privilege: the effective grants of IAM roles and users on PHI-bearing resources,
//! derived from the identity-based policies in the inventory.
//!
//! For each role and user: its inline policies, its attached managed policies (customer
//! managed ones from the inventory's `AWS::IAM::Policy` items, default version; AWS managed
//! ones from Ward's catalogue, `data/aws-managed-policies.json`), and for a user the inline
//! and managed policies of its groups. A grant is (principal, action, PHI resource,
//! statement): an `Allow` statement whose action set (after `*`/`?` expansion against the
//! action catalogue, or the complement of a `NotAction`) includes the action, and whose
//! `Resource` (or complement of `NotResource`) reaches one of the resource's ARNs the action
//! accepts. An unconditional `Deny` of any of the principal's policies that covers the action
//! and every such ARN removes the grant. Conditions are not evaluated: a conditional `Allow`
//! counts as granting (flagged `conditional`), a conditional `Deny` removes nothing.
//! A policy Ward cannot read or find makes the principal's access unverifiable (fail closed).
//!
//! Resource-based policies (`resource_policy`): a bucket or key policy that names a principal
//! grants it access within its account, and across accounts access needs both the identity
//! policy and the resource's policy (naming the principal, its account or everyone). Each
//! principal is paired only with the resources it can reach that way (`PhiIndex`), which keeps
//! the analysis linear in the size of an organization; within an account, the resources its
//! policies reach alike are decided together (`cohort`), which keeps it linear in the size of
//! one account. A resource whose item does not record
//! its policy (DynamoDB tables; any item without `BucketPolicy` / `Policy`) is seen from its
//! own account only.
//!
//! Not considered: permission boundaries, session policies and SCPs; they can only narrow
//! grants, so leaving them out over-reports, never under-reports.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use ward_model::{Inventory, Json, Resource};

use crate::arn_index::ArnIndex;
use crate::catalog::ActionCatalog;
use crate::cohort::{Cohort, Split};
use crate::policy::{self, Effect, Patterns, Statement, StatementRef};
use crate::resource_policy::{Named, ResourcePolicy, account_of_arn};

/// The first-level keys of `configuration` and `supplementaryConfiguration` the analysis
/// reads: principals' names, groups and policies, managed policies' versions, the resource
/// ids in RDS ARNs, and bucket and key policies.
pub const CONFIGURATION_KEYS: [&str; 13] = [
    "roleName",
    "userName",
    "groupName",
    "groupList",
    "rolePolicyList",
    "userPolicyList",
    "groupPolicyList",
    "attachedManagedPolicies",
    "policyVersionList",
    "dbiResourceId",
    "dbClusterResourceId",
    "BucketPolicy",
    "Policy",
];

/// Which resources hold PHI: the tag convention of the HIPAA pack (`phi` = `true`/`yes`,
/// key and value matched case-insensitively, value trimmed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhiConfig {
    pub tag_key: String,
    pub tag_values: Vec<String>,
    /// The PHI-bearing types judged (of [`phi_services`]); `None`: all of them.
    pub types: Option<Vec<String>>,
}

impl Default for PhiConfig {
    fn default() -> Self {
        PhiConfig {
            tag_key: "phi".to_string(),
            tag_values: vec!["true".to_string(), "yes".to_string()],
            types: None,
        }
    }
}

impl PhiConfig {
    pub fn is_phi(&self, resource: &Resource) -> bool {
        let key = self.tag_key.to_lowercase();
        resource
            .tags
            .iter()
            .filter(|(k, _)| k.to_lowercase() == key)
            .any(|(_, v)| {
                let v = v.trim().to_lowercase();
                self.tag_values.iter().any(|w| w.trim().to_lowercase() == v)
            })
    }
}

/// The resource types that can be PHI-bearing, with the IAM services whose actions reach them.
pub fn phi_services() -> &'static [(&'static str, &'static [&'static str])] {
    &[
        ("AWS::S3::Bucket", &["s3"]),
        ("AWS::RDS::DBInstance", &["rds", "rds-db"]),
        ("AWS::RDS::DBCluster", &["rds", "rds-data", "rds-db"]),
        ("AWS::KMS::Key", &["kms"]),
        ("AWS::DynamoDB::Table", &["dynamodb"]),
        ("AWS::RDS::DBSnapshot", &["rds"]),
        (
            "AWS::EC2::Instance",
            &["ec2", "ssm", "ec2-instance-connect"],
        ),
        ("AWS::EC2::Volume", &["ec2"]),
        ("AWS::EFS::FileSystem", &["elasticfilesystem"]),
        ("AWS::SecretsManager::Secret", &["secretsmanager"]),
        ("AWS::OpenSearch::Domain", &["es"]),
        ("AWS::Elasticsearch::Domain", &["es"]),
        ("AWS::Kinesis::Stream", &["kinesis"]),
        ("AWS::Redshift::Cluster", &["redshift", "redshift-data"]),
        ("AWS::Backup::BackupVault", &["backup"]),
    ]
}

/// The ARNs (as patterns) by which IAM actions reach a resource, with the catalogue's
/// resource type name for each: a bucket is `bucket` and its objects `object`
/// (`arn:aws:s3:::B/*`), a table is `table` with its `index` and `stream` sub-resources...
pub fn targets(resource: &Resource) -> Vec<(&'static str, String)> {
    let config = &resource.configuration;
    let region = resource.aws_region.as_deref().unwrap_or("*");
    let account = resource.account_id.as_deref().unwrap_or("*");
    let id = resource.resource_id.as_str();
    let arn = |service: &str, rest: String| {
        resource
            .arn
            .clone()
            .unwrap_or_else(|| format!("arn:aws:{service}:{region}:{account}:{rest}"))
    };
    let arn_or = |id: &str| resource.arn.clone().unwrap_or_else(|| id.to_string());
    let str_field = |k: &str| config.get(k).and_then(Json::as_str).map(str::to_string);
    match resource.resource_type.as_str() {
        "AWS::S3::Bucket" => {
            let b = resource
                .arn
                .clone()
                .unwrap_or_else(|| format!("arn:aws:s3:::{id}"));
            vec![("bucket", b.clone()), ("object", format!("{b}/*"))]
        }
        "AWS::RDS::DBInstance" => {
            let mut out = vec![("db", arn("rds", format!("db:{id}")))];
            if let Some(r) = str_field("dbiResourceId") {
                out.push((
                    "db-user",
                    format!("arn:aws:rds-db:{region}:{account}:dbuser:{r}/*"),
                ));
            }
            out
        }
        "AWS::RDS::DBCluster" => {
            let mut out = vec![("cluster", arn("rds", format!("cluster:{id}")))];
            if let Some(r) = str_field("dbClusterResourceId") {
                out.push((
                    "db-user",
                    format!("arn:aws:rds-db:{region}:{account}:dbuser:{r}/*"),
                ));
            }
            out
        }
        "AWS::KMS::Key" => vec![("key", arn("kms", format!("key/{id}")))],
        "AWS::DynamoDB::Table" => {
            let t = arn("dynamodb", format!("table/{id}"));
            vec![
                ("table", t.clone()),
                ("index", format!("{t}/index/*")),
                ("stream", format!("{t}/stream/*")),
            ]
        }
        "AWS::RDS::DBSnapshot" => {
            let name = str_field("dBSnapshotIdentifier").unwrap_or_else(|| id.to_string());
            vec![("snapshot", arn("rds", format!("snapshot:{name}")))]
        }
        // SSM and EC2 Instance Connect name an instance by its EC2 ARN too.
        "AWS::EC2::Instance" => vec![("instance", arn("ec2", format!("instance/{id}")))],
        "AWS::EC2::Volume" => vec![("volume", arn("ec2", format!("volume/{id}")))],
        "AWS::EFS::FileSystem" => {
            let fs = str_field("FileSystemId").unwrap_or_else(|| id.to_string());
            vec![(
                "file-system",
                arn("elasticfilesystem", format!("file-system/{fs}")),
            )]
        }
        // Config's id of a secret is its ARN.
        "AWS::SecretsManager::Secret" if id.starts_with("arn:") => vec![("Secret", arn_or(id))],
        "AWS::SecretsManager::Secret" => {
            vec![("Secret", arn("secretsmanager", format!("secret:{id}")))]
        }
        "AWS::OpenSearch::Domain" | "AWS::Elasticsearch::Domain" => {
            let name = str_field("DomainName")
                .or_else(|| str_field("domainName"))
                .or_else(|| resource.resource_name.clone())
                .unwrap_or_else(|| id.to_string());
            vec![("domain", arn("es", format!("domain/{name}")))]
        }
        "AWS::Kinesis::Stream" => vec![("stream", arn("kinesis", format!("stream/{id}")))],
        "AWS::Redshift::Cluster" => {
            let name = str_field("clusterIdentifier").unwrap_or_else(|| id.to_string());
            vec![
                ("cluster", arn("redshift", format!("cluster:{name}"))),
                (
                    "dbuser",
                    format!("arn:aws:redshift:{region}:{account}:dbuser:{name}/*"),
                ),
                (
                    "dbname",
                    format!("arn:aws:redshift:{region}:{account}:dbname:{name}/*"),
                ),
            ]
        }
        "AWS::Backup::BackupVault" => {
            let name = str_field("BackupVaultName").unwrap_or_else(|| id.to_string());
            vec![("backupVault", arn("backup", format!("backup-vault:{name}")))]
        }
        _ => Vec::new(),
    }
}

/// Ward's catalogue of AWS managed policies: ARN → the statements that can touch the
/// PHI-bearing services.
pub fn aws_managed_policies() -> &'static BTreeMap<String, Vec<Value>> {
    static POLICIES: OnceLock<BTreeMap<String, Vec<Value>>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let doc: Value = serde_json::from_str(include_str!("../data/aws-managed-policies.json"))
            .unwrap_or(Value::Null);
        doc.get("policies")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .map(|(arn, v)| {
                        let st = v
                            .get("statements")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        (arn.clone(), st)
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// An AWS managed policy of Ward's catalogue as a policy document (`{"Statement": [...]}`,
/// the statements that can touch the catalogued services: see
/// `data/aws-managed-policies.json`), for rules that read its text; `None` for an ARN the
/// catalogue does not hold (a policy newer than the catalogue, or not AWS managed).
pub fn aws_managed_policy_document(arn: &str) -> Option<&'static Json> {
    static DOCUMENTS: OnceLock<BTreeMap<String, Json>> = OnceLock::new();
    DOCUMENTS
        .get_or_init(|| {
            aws_managed_policies()
                .iter()
                .map(|(arn, statements)| {
                    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
                    (arn.clone(), Json::from(doc))
                })
                .collect()
        })
        .get(arn)
}

/// One effective grant on a resource: an action one statement allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grant {
    /// Index into the action catalogue.
    pub action: usize,
    /// Index into [`PrincipalAccess::sources`]: the statement that grants it.
    pub source: usize,
    pub conditional: bool,
}

/// What a principal may do to one PHI-bearing resource.
#[derive(Debug, Clone)]
pub struct ResourceGrants<'a> {
    pub resource: &'a Resource,
    /// The resource's place in the [`PhiIndex`].
    pub phi_index: usize,
    /// Action by action, in catalogue order; never empty. Resources that the principal's
    /// policies reach alike (same type and kinds of ARN, the same statements reaching and
    /// denying, no resource policy naming the principal) share one list, the same `Arc`: what
    /// is decided about a list once holds for each of them.
    pub grants: Arc<[Grant]>,
}

/// What a principal may do to PHI-bearing resources.
#[derive(Debug, Clone)]
pub struct PrincipalAccess<'a> {
    pub principal: &'a Resource,
    /// The resources it has grants on, in inventory order, but those in `cohorts`.
    pub resources: Vec<ResourceGrants<'a>>,
    /// The resources it has grants on that its policies reach alike, by cohort: each
    /// resource is here or in `resources`, never in both.
    pub cohorts: Vec<CohortGrants<'a>>,
    /// The statements the grants come from, each once.
    pub sources: Vec<StatementRef>,
    /// Policies Ward could not read or find: the access cannot be verified.
    pub unverifiable: Vec<String>,
    /// The steps the analysis took: resources looked at one by one, statements matched
    /// against a cohort, exceptions grouped. Tests keep its sum over an account's principals
    /// linear in the size of the account.
    pub work: usize,
}

impl PrincipalAccess<'_> {
    /// How many (action, resource, statement) grants there are.
    pub fn grant_count(&self) -> usize {
        let alike: usize = self
            .cohorts
            .iter()
            .map(|c| c.example.grants.len() * c.count)
            .sum();
        alike + self.resources.iter().map(|r| r.grants.len()).sum::<usize>()
    }
}

/// The short name of a principal: `role/NAME`, `user/NAME`, `group/NAME`.
pub fn principal_label(r: &Resource) -> String {
    let (kind, key) = match r.resource_type.as_str() {
        "AWS::IAM::Role" => ("role", "roleName"),
        "AWS::IAM::User" => ("user", "userName"),
        "AWS::IAM::Group" => ("group", "groupName"),
        _ => ("principal", "name"),
    };
    let name = r
        .configuration
        .get(key)
        .and_then(Json::as_str)
        .or(r.resource_name.as_deref())
        .unwrap_or(&r.resource_id);
    format!("{kind}/{name}")
}

/// The groups a user belongs to, from its relationships and `groupList`.
pub fn groups_of<'a>(inventory: &'a Inventory, user: &Resource) -> Vec<&'a Resource> {
    let mut out: Vec<&Resource> = Vec::new();
    let mut push = |g: &'a Resource| {
        if !out.iter().any(|o| o.resource_id == g.resource_id) {
            out.push(g);
        }
    };
    for rel in &user.relationships {
        if rel.resource_type == "AWS::IAM::Group"
            && let Some(g) = rel.resource_id.as_deref().and_then(|id| {
                inventory.get_near(
                    "AWS::IAM::Group",
                    id,
                    user.account_id.as_deref(),
                    user.aws_region.as_deref(),
                )
            })
        {
            push(g);
        }
    }
    let names: Vec<&str> = user
        .configuration
        .get("groupList")
        .and_then(Json::as_array)
        .map(|l| l.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    if names.is_empty() {
        return out;
    }
    for g in inventory.of_type_in_account("AWS::IAM::Group", user.account_id.as_deref()) {
        let name = g
            .configuration
            .get("groupName")
            .and_then(Json::as_str)
            .or(g.resource_name.as_deref());
        if name.is_some_and(|n| names.contains(&n)) {
            push(g);
        }
    }
    out
}

/// The statements of every policy that applies to `principal` (and, for a user, its
/// groups), or the policies that could not be read.
fn statements_of(
    inventory: &Inventory,
    principal: &Resource,
    catalog: &ActionCatalog,
    managed: &ManagedPolicies,
) -> (Vec<Statement>, Vec<String>) {
    let mut holders = vec![principal];
    if principal.resource_type == "AWS::IAM::User" {
        holders.extend(groups_of(inventory, principal));
    }
    let mut statements = Vec::new();
    let mut problems = Vec::new();
    for holder in holders {
        let label = principal_label(holder);
        let inline_key = match holder.resource_type.as_str() {
            "AWS::IAM::Role" => "rolePolicyList",
            "AWS::IAM::User" => "userPolicyList",
            _ => "groupPolicyList",
        };
        let inline = holder
            .configuration
            .get(inline_key)
            .and_then(Json::as_array);
        for p in inline.into_iter().flatten() {
            let name = p
                .get("policyName")
                .and_then(Json::as_str)
                .unwrap_or("(unnamed)")
                .to_string();
            let source = StatementRef {
                kind: "inline",
                policy: name.clone(),
                attached_to: label.clone(),
                index: 0,
                sid: None,
            };
            match p.get("policyDocument") {
                Some(doc) => match policy::parse_document(&doc.to_value(), catalog, &source) {
                    Ok(s) => statements.extend(s),
                    Err(e) => problems.push(format!("inline policy {name} of {label}: {e}")),
                },
                None => problems.push(format!(
                    "inline policy {name} of {label}: no policy document recorded"
                )),
            }
        }
        let attached = holder
            .configuration
            .get("attachedManagedPolicies")
            .and_then(Json::as_array);
        for a in attached.into_iter().flatten() {
            let Some(arn) = a.get("policyArn").and_then(Json::as_str) else {
                problems.push(format!(
                    "{label}: an attached managed policy without policyArn"
                ));
                continue;
            };
            match managed.statements(arn, inventory, catalog).as_deref() {
                Some(Ok(parsed)) => statements.extend(parsed.iter().map(|s| {
                    let mut s = s.clone();
                    s.source.attached_to = label.clone();
                    s
                })),
                Some(Err(problem)) => problems.push(problem.clone()),
                None => problems.push(format!(
                    "managed policy {arn} (attached to {label}) is neither in the inventory nor in Ward's catalogue of AWS managed policies"
                )),
            }
        }
    }
    (statements, problems)
}

/// Managed policies parsed once per evaluation, however many principals they are attached
/// to: ARN → the statements (their `attached_to` left empty), or why they cannot be read.
#[derive(Default)]
pub struct ManagedPolicies {
    parsed: Mutex<HashMap<String, Option<Parsed>>>,
}

/// A managed policy's statements, or why they cannot be read.
type Parsed = Arc<Result<Vec<Statement>, String>>;

impl ManagedPolicies {
    /// The statements of the managed policy `arn`: a customer managed one from the
    /// inventory (its default version), else an AWS managed one from Ward's catalogue;
    /// `None` when it is in neither.
    fn statements(
        &self,
        arn: &str,
        inventory: &Inventory,
        catalog: &ActionCatalog,
    ) -> Option<Parsed> {
        if let Ok(cache) = self.parsed.lock()
            && let Some(hit) = cache.get(arn)
        {
            return hit.clone();
        }
        let parsed = Self::parse(arn, inventory, catalog).map(Arc::new);
        if let Ok(mut cache) = self.parsed.lock() {
            cache.insert(arn.to_string(), parsed.clone());
        }
        parsed
    }

    fn parse(
        arn: &str,
        inventory: &Inventory,
        catalog: &ActionCatalog,
    ) -> Option<Result<Vec<Statement>, String>> {
        let mut source = StatementRef {
            kind: "managed",
            policy: arn.to_string(),
            attached_to: String::new(),
            index: 0,
            sid: None,
        };
        if let Some(item) = inventory
            .by_arn(arn)
            .filter(|r| r.resource_type == "AWS::IAM::Policy")
        {
            return Some(match default_version(item) {
                Some(doc) => policy::parse_document(&doc.to_value(), catalog, &source)
                    .map_err(|e| format!("managed policy {arn}: {e}")),
                None => Err(format!(
                    "managed policy {arn}: no default version document recorded"
                )),
            });
        }
        let st = aws_managed_policies().get(arn)?;
        source.kind = "aws-managed";
        Some(
            policy::parse_statements(st, catalog, &source)
                .map_err(|e| format!("AWS managed policy {arn}: {e}")),
        )
    }
}

fn default_version(policy: &Resource) -> Option<&Json> {
    policy
        .configuration
        .get("policyVersionList")
        .and_then(Json::as_array)?
        .iter()
        .find(|v| v.get("isDefaultVersion").and_then(Json::as_bool) == Some(true))?
        .get("document")
}

/// The PHI-bearing resources of the inventory (not deleted), in inventory order.
pub fn phi_resources<'a>(inventory: &'a Inventory, phi: &PhiConfig) -> Vec<&'a Resource> {
    phi_services()
        .iter()
        .filter(|(t, _)| {
            phi.types
                .as_ref()
                .is_none_or(|types| types.iter().any(|w| w == t))
        })
        .flat_map(|(t, _)| inventory.of_type(t))
        .filter(|r| !r.is_deleted() && phi.is_phi(r))
        .collect()
}

/// The PHI-bearing resources with their resource-based policies, indexed by the accounts
/// whose principals can reach them: a principal is paired with the resources of its own
/// account and with those of other accounts whose policy names its account, itself or
/// everyone. Built once per evaluation; pairing every principal with every resource of an
/// organization would be quadratic, and IAM grants nothing across accounts without the
/// resource's consent.
pub struct PhiIndex<'a> {
    resources: Vec<&'a Resource>,
    policies: Vec<ResourcePolicy>,
    /// Each resource's ARNs by the catalogue's resource kind ([`targets`]).
    targets: Vec<Vec<(&'static str, String)>>,
    /// The actions that reach each resource, shared by the resources of one type with the
    /// same kinds of ARN.
    reach: Vec<Arc<Reach>>,
    /// Account → the resources of that account, and the other accounts' resources whose
    /// policies name it.
    by_account: HashMap<Option<String>, Vec<usize>>,
    /// The ARNs of the resources whose policy admits principals of every account, and of
    /// those whose account is unknown (paired with every principal, as if in its account).
    open_arns: ArnIndex,
    /// The ARNs of each account's resources ([`PhiIndex::by_account`]), built on first use;
    /// `None`: every resource (for principals of unknown account).
    account_arns: Mutex<HashMap<Option<String>, Arc<ArnIndex>>>,
    /// Principal ARN → the resources whose policy has an `Allow` naming it.
    allowed_by_arn: HashMap<String, Vec<usize>>,
    /// The resources whose policy has an `Allow` for everyone (`*`, or all but some).
    allowed_to_anyone: Vec<usize>,
    /// (account, resource type) → how many PHI resources of that type the account holds.
    held: HashMap<(Option<String>, String), usize>,
    /// The resources reached alike by the principals of their account ([`crate::cohort`]).
    cohorts: Vec<Cohort>,
    /// Each resource's cohort, if it is in one.
    cohort_of: Vec<Option<usize>>,
    /// Account → its cohorts.
    cohorts_by_account: HashMap<String, Vec<usize>>,
    /// Principal ARN → the cohorts' resources whose policy names it in a statement that can
    /// change a grant.
    named_in_cohorts: HashMap<String, Vec<usize>>,
    /// How statements meet the cohorts' ARNs, by (Deny, cohort, position) and `Resource`
    /// patterns: worked out once however many statements (every copy of a managed policy,
    /// inline policies written alike) have those patterns.
    splits: Mutex<KnownSplits>,
    /// How many splits `splits` holds: the next one's id.
    split_count: std::sync::atomic::AtomicUsize,
    /// (cohort, the ids of the splits of a principal's relevant statements) → the grouping
    /// of the cohort's resources they make.
    parts: Mutex<KnownParts>,
}

/// (Deny, cohort, position among the ARNs) → `Resource` patterns → (id, split).
type KnownSplits = HashMap<(bool, usize, usize), HashMap<Patterns, (usize, Split)>>;

/// (cohort, split ids) → the grouping.
type KnownParts = HashMap<(usize, Vec<usize>), Arc<CohortParts>>;

/// What a principal may do to resources of a cohort ([`crate::cohort`]) that its policies
/// reach alike.
#[derive(Debug, Clone)]
pub struct CohortGrants<'a> {
    /// The first of these resources, with the grants each of them has.
    pub example: ResourceGrants<'a>,
    /// How many resources have these grants.
    pub count: usize,
    members: CohortMembers,
}

/// The resources of a [`CohortGrants`], by their index in the [`PhiIndex`].
#[derive(Debug, Clone)]
enum CohortMembers {
    /// Every resource of the cohort but these (ascending): the ones no statement of the
    /// principal's treats as an exception.
    AllBut { cohort: usize, except: Arc<[usize]> },
    /// These (ascending): resources that are an exception to the same statements.
    Listed(Arc<[usize]>),
}

/// The actions that reach a resource.
#[derive(Debug)]
struct Reach {
    actions: Vec<ReachingAction>,
    /// The distinct `kinds` of [`Reach::actions`]: the sets of the resource's ARNs a
    /// statement is asked about.
    kinds_used: Vec<u8>,
    /// For each service that reaches the resource, how many catalogued actions apply to it.
    applicable: BTreeMap<String, usize>,
}

impl Reach {
    /// The actions of the services that reach a resource of `resource_type` whose ARNs are
    /// of `kinds`, each with the ARNs it accepts (those that accept none are left out), and
    /// their count per service.
    fn new(resource_type: &str, kinds: &[&'static str], catalog: &ActionCatalog) -> Self {
        let mut applicable: BTreeMap<String, usize> = phi_services()
            .iter()
            .filter(|(t, _)| *t == resource_type)
            .flat_map(|(_, s)| s.iter().map(|s| (s.to_string(), 0)))
            .collect();
        let mut actions = Vec::new();
        for (action, a) in catalog.actions.iter().enumerate() {
            let Some(count) = applicable.get_mut(&a.service) else {
                continue;
            };
            let kinds = kinds
                .iter()
                .take(MAX_TARGETS)
                .enumerate()
                .filter(|(_, kind)| a.resources.iter().any(|r| r == *kind))
                .fold(0u8, |bits, (i, _)| bits | (1 << i));
            if kinds != 0 {
                *count += 1;
                actions.push(ReachingAction { action, kinds });
            }
        }
        let mut kinds_used: Vec<u8> = actions.iter().map(|a| a.kinds).collect();
        kinds_used.sort_unstable();
        kinds_used.dedup();
        Reach {
            actions,
            kinds_used,
            applicable,
        }
    }
}

/// An action of a service that reaches a resource, with the resource's ARNs it accepts: bit
/// `i` of `kinds` is the resource's `i`th target ([`targets`]); never 0.
#[derive(Debug, Clone, Copy)]
struct ReachingAction {
    action: usize,
    kinds: u8,
}

/// The most ARNs a resource has ([`targets`] gives at most 3): the width of
/// [`ReachingAction::kinds`].
const MAX_TARGETS: usize = 8;

impl<'a> PhiIndex<'a> {
    pub fn new(inventory: &'a Inventory, phi: &PhiConfig, catalog: &ActionCatalog) -> Self {
        let resources = phi_resources(inventory, phi);
        let policies: Vec<ResourcePolicy> = resources
            .iter()
            .map(|r| ResourcePolicy::of(r, catalog))
            .collect();
        let targets: Vec<Vec<(&'static str, String)>> =
            resources.iter().map(|r| targets(r)).collect();
        let mut shared: HashMap<(&str, Vec<&'static str>), Arc<Reach>> = HashMap::new();
        let reach = resources
            .iter()
            .zip(&targets)
            .map(|(r, t)| {
                let kinds: Vec<&'static str> = t.iter().map(|(k, _)| *k).collect();
                shared
                    .entry((r.resource_type.as_str(), kinds))
                    .or_insert_with_key(|(ty, kinds)| Arc::new(Reach::new(ty, kinds, catalog)))
                    .clone()
            })
            .collect();
        let mut by_account: HashMap<Option<String>, Vec<usize>> = HashMap::new();
        let mut open_to_all = Vec::new();
        let mut allowed_by_arn: HashMap<String, Vec<usize>> = HashMap::new();
        let mut allowed_to_anyone = Vec::new();
        for (i, (r, policy)) in resources.iter().zip(&policies).enumerate() {
            by_account.entry(r.account_id.clone()).or_default().push(i);
            let (foreign, anyone) = policy.foreign_accounts(r.account_id.as_deref());
            for account in foreign {
                by_account.entry(Some(account)).or_default().push(i);
            }
            // A resource whose account is unknown could be any principal's own.
            if anyone || r.account_id.is_none() {
                open_to_all.push(i);
            }
            if anyone {
                allowed_to_anyone.push(i);
            }
            for arn in policy.allowed_arns() {
                let list = allowed_by_arn.entry(arn.to_string()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let open_arns = arn_index(open_to_all.iter().copied(), &targets);
        let mut held: HashMap<(Option<String>, String), usize> = HashMap::new();
        for r in &resources {
            *held
                .entry((r.account_id.clone(), r.resource_type.clone()))
                .or_default() += 1;
        }
        // Cohorts: by account and kind of reach, the resources whose policy names no one
        // but roles and users by ARN.
        let mut cohort_key: HashMap<(&str, *const Reach), usize> = HashMap::new();
        let mut cohorts: Vec<(String, Vec<usize>)> = Vec::new();
        let mut cohort_of = vec![None; resources.len()];
        let mut named_in_cohorts: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, ((r, policy), reach_of)) in resources.iter().zip(&policies).zip(&reach).enumerate()
        {
            let Some(account) = r.account_id.as_deref() else {
                continue;
            };
            let Some(named) = policy.names_only_arns(account) else {
                continue;
            };
            let c = *cohort_key
                .entry((account, Arc::as_ptr(reach_of)))
                .or_insert_with(|| {
                    cohorts.push((account.to_string(), Vec::new()));
                    cohorts.len() - 1
                });
            if let Some((_, members)) = cohorts.get_mut(c) {
                members.push(i);
            }
            if let Some(slot) = cohort_of.get_mut(i) {
                *slot = Some(c);
            }
            for arn in named {
                named_in_cohorts.entry(arn.to_string()).or_default().push(i);
            }
        }
        let cohorts: Vec<Cohort> = cohorts
            .into_iter()
            .map(|(account, members)| {
                Cohort::new(account, members, |m| {
                    targets.get(m).map_or(&[], Vec::as_slice)
                })
            })
            .collect();
        let mut cohorts_by_account: HashMap<String, Vec<usize>> = HashMap::new();
        for (c, cohort) in cohorts.iter().enumerate() {
            cohorts_by_account
                .entry(cohort.account.clone())
                .or_default()
                .push(c);
        }
        PhiIndex {
            resources,
            policies,
            targets,
            reach,
            by_account,
            open_arns,
            account_arns: Mutex::new(HashMap::new()),
            allowed_by_arn,
            allowed_to_anyone,
            held,
            cohorts,
            cohort_of,
            cohorts_by_account,
            named_in_cohorts,
            splits: Mutex::new(HashMap::new()),
            split_count: std::sync::atomic::AtomicUsize::new(0),
            parts: Mutex::new(HashMap::new()),
        }
    }

    /// The grouping of the `c`th cohort's resources by `splits`, and whether it was worked
    /// out now (not remembered).
    fn parts(&self, c: usize, splits: &[(usize, Split)]) -> (Arc<CohortParts>, bool) {
        let key = (c, splits.iter().map(|(id, _)| *id).collect::<Vec<_>>());
        if let Ok(known) = self.parts.lock()
            && let Some(parts) = known.get(&key)
        {
            return (parts.clone(), false);
        }
        let members = self
            .cohorts
            .get(c)
            .map_or(&[][..], |c| c.members.as_slice());
        let splits: Vec<&Split> = splits.iter().map(|(_, s)| s).collect();
        let parts = Arc::new(CohortParts::new(members, &splits, &[]));
        if let Ok(mut known) = self.parts.lock() {
            return (known.entry(key).or_insert(parts).clone(), true);
        }
        (parts, true)
    }

    /// [`Cohort::split`] of the `c`th cohort, remembered, with an id of its own.
    fn split(
        &self,
        c: usize,
        patterns: &Patterns,
        deny: bool,
        position: usize,
    ) -> Option<(usize, Split)> {
        let key = (deny, c, position);
        if let Ok(known) = self.splits.lock()
            && let Some(split) = known.get(&key).and_then(|by| by.get(patterns))
        {
            return Some(split.clone());
        }
        let split = self.cohorts.get(c)?.split(patterns, deny, position, |m| {
            self.targets
                .get(m)
                .and_then(|t| t.get(position))
                .map(|(_, arn)| arn.as_str())
        });
        // A split is never dropped: a poisoned lock still holds every split stored.
        let mut known = self
            .splits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stored = known
            .entry(key)
            .or_default()
            .entry(patterns.clone())
            .or_insert_with(|| {
                let id = self
                    .split_count
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (id, split)
            });
        Some(stored.clone())
    }

    /// The resources of a [`CohortGrants`]: (index, resource), ascending.
    pub fn cohort_resources<'s>(
        &'s self,
        grants: &'s CohortGrants<'_>,
    ) -> impl Iterator<Item = (usize, &'a Resource)> + 's {
        let (members, except) = match &grants.members {
            CohortMembers::AllBut { cohort, except } => (
                self.cohorts
                    .get(*cohort)
                    .map_or(&[][..], |c| c.members.as_slice()),
                &except[..],
            ),
            CohortMembers::Listed(members) => (&members[..], &[][..]),
        };
        members
            .iter()
            .filter(move |m| except.binary_search(m).is_err())
            .filter_map(|m| Some((*m, *self.resources.get(*m)?)))
    }

    /// Whether the `index`th resource is in a cohort its account's principals (or, for
    /// `None`, principals of unknown account: every cohort) see through [`analyze`]'s cohort
    /// pass rather than one by one.
    fn in_cohort_of(&self, index: usize, account: Option<&str>) -> bool {
        let cohort = self.cohort_of.get(index).copied().flatten();
        cohort
            .and_then(|c| self.cohorts.get(c))
            .is_some_and(|c| account.is_none_or(|a| c.account == a))
    }

    /// The cohorts a principal of `account` sees (`None`: every cohort).
    fn cohorts_for(&self, account: Option<&str>) -> Vec<usize> {
        match account {
            Some(a) => self.cohorts_by_account.get(a).cloned().unwrap_or_default(),
            None => (0..self.cohorts.len()).collect(),
        }
    }

    /// How many PHI-bearing resources of `resource_type` the account holds (`None`: the
    /// resources whose account is unknown).
    pub fn held(&self, account: Option<&str>, resource_type: &str) -> usize {
        self.held
            .get(&(account.map(str::to_string), resource_type.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// For each service that reaches the `index`th resource, how many catalogued actions
    /// apply to it.
    pub fn applicable(&self, index: usize) -> Option<&BTreeMap<String, usize>> {
        self.reach.get(index).map(|r| &r.applicable)
    }

    /// The ARNs of the resources of `account` and of those whose policies name it (`None`:
    /// of every resource), indexed once per account.
    fn arns_of(&self, account: Option<&str>) -> Arc<ArnIndex> {
        let key = account.map(str::to_string);
        if let Ok(cache) = self.account_arns.lock()
            && let Some(known) = cache.get(&key)
        {
            return known.clone();
        }
        // The resources of the account's cohorts are seen through them instead.
        let outside = |i: &usize| !self.in_cohort_of(*i, account);
        let built = Arc::new(match account {
            None => arn_index((0..self.resources.len()).filter(outside), &self.targets),
            Some(_) => arn_index(
                self.by_account
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(outside),
                &self.targets,
            ),
        });
        if let Ok(mut cache) = self.account_arns.lock() {
            cache.entry(key).or_insert_with(|| built.clone());
        }
        built
    }

    /// The resources a principal of `account` (with `arn`, whose identity Allows are
    /// `allows`) could have a grant on, in inventory order: among those it may reach (its
    /// account's, those whose policy names its account, those open to all; all of them when
    /// its account is unknown), the ones an Allow's `Resource` may match and the ones whose
    /// policy allows it by name or allows everyone. Every other resource is left out without
    /// being looked at: no statement could grant on it.
    fn examined(
        &self,
        account: Option<&str>,
        arn: Option<&str>,
        allows: &[&Statement],
    ) -> Vec<(usize, Vec<usize>)> {
        let own = self.arns_of(account);
        // (resource, the Allow that may reach it)
        let mut hits: Vec<(usize, usize)> = Vec::new();
        let mut found = Vec::new();
        for index in [&*own, &self.open_arns] {
            for (si, s) in allows.iter().enumerate() {
                found.clear();
                match &*s.resources {
                    Patterns::Listed(patterns) => {
                        for p in patterns {
                            index.may_reach(p, &mut found);
                        }
                    }
                    Patterns::AllBut(_) => index.all(&mut found),
                }
                hits.extend(found.iter().map(|r| (*r, si)));
            }
        }
        let reachable = |r: &usize| own.members.contains(r) || self.open_arns.members.contains(r);
        let by_policy = self
            .allowed_to_anyone
            .iter()
            .chain(
                arn.and_then(|a| self.allowed_by_arn.get(a))
                    .into_iter()
                    .flatten(),
            )
            .filter(|r| reachable(r));
        // usize::MAX: no Allow of the principal's, the resource's policy may grant.
        hits.extend(by_policy.map(|r| (*r, usize::MAX)));
        hits.sort_unstable();
        hits.dedup();
        let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
        for (r, si) in hits {
            match out.last_mut() {
                Some((last, list)) if *last == r => list.push(si),
                _ => out.push((r, vec![si])),
            }
        }
        for (_, list) in &mut out {
            list.retain(|si| *si != usize::MAX);
        }
        out
    }
}

/// The ARNs of `resources` (each once).
fn arn_index(
    resources: impl IntoIterator<Item = usize>,
    targets: &[Vec<(&'static str, String)>],
) -> ArnIndex {
    let mut seen = HashSet::new();
    ArnIndex::new(
        resources
            .into_iter()
            .filter(|r| seen.insert(*r))
            .flat_map(|r| {
                targets
                    .get(r)
                    .into_iter()
                    .flatten()
                    .map(move |(_, arn)| (r, arn.as_str()))
            }),
    )
}

/// The account of a principal: its item's account, else its ARN's.
fn account_of(principal: &Resource) -> Option<&str> {
    principal
        .account_id
        .as_deref()
        .or_else(|| principal.arn.as_deref().and_then(account_of_arn))
}

/// The effective grants of one principal on the PHI resources it can reach.
///
/// Within its account, an action is granted when an identity policy allows it or the
/// resource's policy allows it to the principal itself (or everyone); on another account's
/// resource, when an identity policy allows it **and** the resource's policy allows it to the
/// principal, its account or everyone. An unconditional `Deny` that applies to the principal,
/// in its identity policies or in the resource's policy, and covers every ARN the action
/// accepts, removes the grant.
///
/// Cost: the resources of the principal's account that are in a cohort ([`crate::cohort`])
/// are grouped by how its statements meet their ARNs, and each group is decided once, on one
/// of its resources ([`PrincipalAccess::cohorts`]): an administrator over thousands of
/// buckets costs a few steps, not one per bucket. The other resources it may reach are
/// looked at one by one: each statement matched once per set of the resource's ARNs (not once
/// per action), and the action-by-action decision made once per set of answers
/// ([`ResourceGrants::grants`]).
pub fn analyze<'a>(
    inventory: &'a Inventory,
    principal: &'a Resource,
    phi: &PhiIndex<'a>,
    catalog: &ActionCatalog,
    managed: &ManagedPolicies,
    cache: &mut ReachCache,
) -> PrincipalAccess<'a> {
    let (statements, unverifiable) = statements_of(inventory, principal, catalog, managed);
    let (allows, denies): (Vec<&Statement>, Vec<&Statement>) =
        statements.iter().partition(|s| s.effect == Effect::Allow);
    let own_account = account_of(principal);
    let arn = principal.arn.as_deref();
    let mut analysis = Analysis {
        phi,
        arn,
        own_account,
        sources: Sources {
            list: Vec::new(),
            identity: vec![None; allows.len()],
        },
        allows,
        denies,
        relevant: HashMap::new(),
        shared: HashMap::new(),
        unverifiable,
        cache,
        work: 0,
    };
    let mut resources = Vec::new();
    for (index, may_reach) in phi.examined(own_account, arn, &analysis.allows) {
        resources.extend(analysis.grants_on(index, Some(&may_reach)));
    }
    let mut cohorts = Vec::new();
    for c in phi.cohorts_for(own_account) {
        let Some((named, parts)) = analysis.parts(c) else {
            continue;
        };
        for &index in &named {
            resources.extend(analysis.grants_on(index, None));
        }
        for group in &parts.groups {
            if let Some(example) = group.first().and_then(|e| analysis.grants_on(*e, None)) {
                cohorts.push(CohortGrants {
                    example,
                    count: group.len(),
                    members: CohortMembers::Listed(group.clone()),
                });
            }
        }
        let size = phi.cohorts.get(c).map_or(0, |c| c.members.len());
        if let Some(example) = parts.example.and_then(|e| analysis.grants_on(e, None)) {
            cohorts.push(CohortGrants {
                example,
                count: size - parts.except.len(),
                members: CohortMembers::AllBut {
                    cohort: c,
                    except: parts.except.clone(),
                },
            });
        }
    }
    resources.sort_by_key(|g| g.phi_index);
    PrincipalAccess {
        principal,
        resources,
        cohorts,
        sources: analysis.sources.list,
        unverifiable: analysis.unverifiable,
        work: analysis.work,
    }
}

/// How a principal's policies reach the resources of one cohort ([`Analysis::parts`]), but
/// those whose policy names it.
struct CohortParts {
    /// Resources reached alike, beyond the rest (each ascending; by first resource).
    groups: Vec<Arc<[usize]>>,
    /// The resources left out of the rest (ascending): those of `groups`, and those whose
    /// policy names the principal.
    except: Arc<[usize]>,
    /// A resource of the rest, if there is one.
    example: Option<usize>,
}

impl CohortParts {
    /// Groups `members` (ascending) by the splits they are an exception to; `named`
    /// (ascending) are left out of every group.
    fn new(members: &[usize], splits: &[&Split], named: &[usize]) -> Self {
        // (member, which split it is an exception to)
        let mut marks: Vec<(usize, usize)> = splits
            .iter()
            .enumerate()
            .flat_map(|(i, split)| split.except.iter().map(move |m| (*m, i)))
            .collect();
        marks.sort_unstable();
        let mut except = named.to_vec();
        let mut by_splits: HashMap<Vec<usize>, Vec<usize>> = HashMap::new();
        for marked in marks.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(member, _)) = marked.first() else {
                continue;
            };
            except.push(member);
            if named.binary_search(&member).is_err() {
                let splits = marked.iter().map(|(_, s)| *s).collect();
                by_splits.entry(splits).or_default().push(member);
            }
        }
        except.sort_unstable();
        except.dedup();
        let mut groups: Vec<Vec<usize>> = by_splits.into_values().collect();
        groups.sort_unstable();
        let example = members
            .iter()
            .copied()
            .find(|m| except.binary_search(m).is_err());
        CohortParts {
            groups: groups.into_iter().map(Arc::from).collect(),
            except: except.into(),
            example,
        }
    }
}

/// One principal's analysis under way.
struct Analysis<'p, 'a, 's> {
    phi: &'p PhiIndex<'a>,
    arn: Option<&'p str>,
    own_account: Option<&'p str>,
    /// The principal's identity-policy Allows and Denies.
    allows: Vec<&'s Statement>,
    denies: Vec<&'s Statement>,
    sources: Sources,
    /// Per kind of reach (by address): the statements that allow one of its actions.
    relevant: HashMap<*const Reach, Relevant>,
    /// (kind of reach, which statements reach and cover which ARNs) → the grants.
    shared: HashMap<*const Reach, HashMap<Vec<bool>, Granted>>,
    unverifiable: Vec<String>,
    cache: &'p mut ReachCache,
    /// Steps taken ([`PrincipalAccess::work`]).
    work: usize,
}

impl<'a> Analysis<'_, 'a, '_> {
    /// The grants on the `index`th resource, if any. `may_reach`: the Allows (by index,
    /// ascending) whose patterns may reach its ARNs, when known; the others reach none.
    fn grants_on(
        &mut self,
        index: usize,
        may_reach: Option<&[usize]>,
    ) -> Option<ResourceGrants<'a>> {
        self.work += 1;
        let phi = self.phi;
        let (Some(resource), Some(resource_policy), Some(targets), Some(reach_of)) = (
            phi.resources.get(index).copied(),
            phi.policies.get(index),
            phi.targets.get(index),
            phi.reach.get(index),
        ) else {
            return None;
        };
        let (arn, own_account) = (self.arn, self.own_account);
        let same_account = own_account.is_none()
            || resource.account_id.is_none()
            || resource.account_id.as_deref() == own_account;
        // The resource policy's statements that apply to this principal, and how. Left out:
        // those that cannot change a grant, and within the account, Allows that name the
        // account (they delegate to its IAM policies).
        let applying: Vec<(&Statement, Named)> = match resource_policy {
            ResourcePolicy::Recorded(list) => list
                .iter()
                .filter(|s| s.matters())
                .map(|s| (&s.statement, s.principals.names(arn, own_account)))
                .filter(|(s, named)| match named {
                    Named::No => false,
                    Named::ByAccount => !same_account || s.effect == Effect::Deny,
                    Named::Directly => true,
                })
                .collect(),
            _ => Vec::new(),
        };
        if !same_account && applying.is_empty() {
            return None;
        }
        let statements = Applicable {
            allows: &self.allows,
            denies: &self.denies,
            applying: &applying,
            same_account,
        };
        let mut reach = Memo::new(self.allows.len(), targets.len());
        // An Allow whose patterns cannot share an ARN with the resource's reaches none of them.
        if let Some(may_reach) = may_reach {
            for si in (0..self.allows.len()).filter(|si| may_reach.binary_search(si).is_err()) {
                reach.settle(si, false);
            }
        }
        let mut cover = Memo::new(self.denies.len(), targets.len());
        let granted = if applying.is_empty() {
            // Identity policies alone decide: the grants depend only on the kind of reach
            // and on which statements reach and cover which of the resource's ARNs.
            let key = Arc::as_ptr(reach_of);
            let rel = self
                .relevant
                .entry(key)
                .or_insert_with(|| Relevant::new(reach_of, &self.allows, &self.denies));
            let mut signature = Vec::with_capacity(
                (rel.allows.len() + rel.denies.len()) * reach_of.kinds_used.len(),
            );
            for &kinds in &reach_of.kinds_used {
                let arns = arns(targets, kinds);
                for &si in &rel.allows {
                    let s = self.allows.get(si).copied();
                    let cache = &mut *self.cache;
                    signature.push(reach.get(si, kinds, || {
                        s.is_some_and(|s| cache.reaches(s, index, kinds, &arns))
                    }));
                }
                for &si in &rel.denies {
                    let d = self.denies.get(si).copied();
                    signature.push(cover.get(si, kinds, || d.is_some_and(|d| d.covers_all(&arns))));
                }
            }
            let known = self.shared.entry(key).or_default();
            match known.get(signature.as_slice()) {
                Some(known) => known.clone(),
                None => {
                    let granted = action_grants(
                        reach_of,
                        &statements,
                        targets,
                        (&mut reach, &mut cover),
                        &mut self.sources,
                    );
                    known.insert(signature, granted.clone());
                    granted
                }
            }
        } else {
            action_grants(
                reach_of,
                &statements,
                targets,
                (&mut reach, &mut cover),
                &mut self.sources,
            )
        };
        // A policy that cannot be read could change what is allowed, denied or not.
        if granted.allowed
            && let ResourcePolicy::Unreadable(problem) = resource_policy
        {
            self.unverifiable.push(problem.clone());
        }
        let grants = granted.grants;
        if grants.is_empty() {
            return None;
        }
        Some(ResourceGrants {
            resource,
            phi_index: index,
            grants,
        })
    }

    /// How the principal's policies reach the resources of cohort `c`: the resources whose
    /// policy names the principal (ascending), and the rest grouped by the relevant
    /// statements they are an exception to ([`Cohort::split`]). Principals whose statements
    /// have the same patterns share one grouping, worked out once.
    fn parts(&mut self, c: usize) -> Option<(Vec<usize>, Arc<CohortParts>)> {
        let phi = self.phi;
        let cohort = phi.cohorts.get(c)?;
        let first = *cohort.members.first()?;
        let reach_of = phi.reach.get(first)?;
        let positions = reach_of.kinds_used.iter().fold(0u8, |all, k| all | k);
        let rel = self
            .relevant
            .entry(Arc::as_ptr(reach_of))
            .or_insert_with(|| Relevant::new(reach_of, &self.allows, &self.denies));
        let mut named: Vec<usize> = self
            .arn
            .and_then(|a| phi.named_in_cohorts.get(a))
            .into_iter()
            .flatten()
            .copied()
            .filter(|i| phi.cohort_of.get(*i).copied().flatten() == Some(c))
            .collect();
        named.sort_unstable();
        named.dedup();
        let allows = rel.allows.iter().filter_map(|si| self.allows.get(*si));
        // A conditional Deny covers nothing, anywhere.
        let denies = rel
            .denies
            .iter()
            .filter_map(|si| self.denies.get(*si))
            .filter(|d| !d.conditional);
        let mut splits = Vec::new();
        for (s, deny) in allows.map(|s| (s, false)).chain(denies.map(|d| (d, true))) {
            for position in (0..MAX_TARGETS).filter(|p| positions & (1 << p) != 0) {
                splits.extend(phi.split(c, &s.resources, deny, position));
            }
        }
        self.work += splits.len() + named.len();
        let exceptions: usize = splits.iter().map(|(_, s)| s.except.len()).sum();
        if !named.is_empty() {
            // Named resources are few, and only in this principal's grouping.
            self.work += exceptions;
            let splits: Vec<&Split> = splits.iter().map(|(_, s)| s).collect();
            let parts = CohortParts::new(&cohort.members, &splits, &named);
            return Some((named, Arc::new(parts)));
        }
        let (parts, fresh) = phi.parts(c, &splits);
        if fresh {
            self.work += exceptions;
        }
        Some((named, parts))
    }
}

/// Whether statements' `Resource` patterns reach resources' ARNs, remembered across the
/// principals one worker analyses: a managed policy's statements are matched against a
/// resource once, however many principals carry them. Keyed by the patterns' address, each
/// kept alive by the cache so that the address is never another statement's.
#[derive(Default)]
pub struct ReachCache {
    by_patterns: HashMap<usize, (Arc<Patterns>, Answers)>,
}

/// (resource, kinds of ARN) → whether a statement reaches them.
type Answers = HashMap<(usize, u8), bool>;

impl ReachCache {
    /// `s.reaches(arns)`, where `arns` are the PHI index's `resource`'s ARNs of `kinds`.
    fn reaches(&mut self, s: &Statement, resource: usize, kinds: u8, arns: &[&str]) -> bool {
        let key = Arc::as_ptr(&s.resources) as usize;
        let (_, known) = self
            .by_patterns
            .entry(key)
            .or_insert_with(|| (s.resources.clone(), HashMap::new()));
        *known
            .entry((resource, kinds))
            .or_insert_with(|| s.reaches(arns))
    }
}

/// The statements that apply to one (principal, resource) pair.
struct Applicable<'s, 'p> {
    /// The principal's identity-policy Allows and Denies.
    allows: &'s [&'p Statement],
    denies: &'s [&'p Statement],
    /// The resource policy's statements that name the principal, and how.
    applying: &'s [(&'p Statement, Named)],
    same_account: bool,
}

/// Of a principal's identity statements, those that allow (or deny) some action of one kind
/// of reach: the only ones whose match with a resource's ARNs can change its grants.
struct Relevant {
    allows: Vec<usize>,
    denies: Vec<usize>,
}

impl Relevant {
    fn new(reach: &Reach, allows: &[&Statement], denies: &[&Statement]) -> Self {
        let touching = |list: &[&Statement]| -> Vec<usize> {
            list.iter()
                .enumerate()
                .filter(|(_, s)| {
                    reach
                        .actions
                        .iter()
                        .any(|a| s.actions.get(a.action).copied().unwrap_or(false))
                })
                .map(|(i, _)| i)
                .collect()
        };
        Relevant {
            allows: touching(allows),
            denies: touching(denies),
        }
    }
}

/// The statements grants come from, each once, and where each identity Allow is among them.
struct Sources {
    list: Vec<StatementRef>,
    identity: Vec<Option<usize>>,
}

impl Sources {
    fn of_identity(&mut self, index: usize, s: &Statement) -> usize {
        match self.identity.get_mut(index) {
            Some(Some(known)) => *known,
            Some(slot) => *slot.insert(push_source(&mut self.list, &s.source)),
            None => push_source(&mut self.list, &s.source),
        }
    }
}

/// What [`action_grants`] found on one resource.
#[derive(Clone)]
struct Granted {
    grants: Arc<[Grant]>,
    /// Some statement allows some action, denied or not.
    allowed: bool,
}

/// The grants on one resource, action by action in catalogue order. `reach` and `cover` hold
/// (or compute) whether each identity Allow reaches, and each identity Deny covers, the
/// resource's ARNs an action accepts.
fn action_grants(
    reach_of: &Reach,
    statements: &Applicable<'_, '_>,
    targets: &[(&'static str, String)],
    (reach, cover): (&mut Memo, &mut Memo),
    sources: &mut Sources,
) -> Granted {
    let Applicable {
        allows,
        denies,
        applying,
        same_account,
    } = *statements;
    let mut resource_reach = Memo::new(applying.len(), targets.len());
    let mut resource_sources: Vec<Option<usize>> = vec![None; applying.len()];
    let relevant = |kinds: u8| arns(targets, kinds);
    let mut granting: Vec<(&Statement, Origin)> = Vec::new();
    let mut grants = Vec::new();
    let mut allowed_any = false;
    for &ReachingAction { action: ai, kinds } in &reach_of.actions {
        granting.clear();
        let allowed = |s: &Statement| s.actions.get(ai).copied().unwrap_or(false);
        let by_identity = allows
            .iter()
            .enumerate()
            .filter(|(si, s)| allowed(s) && reach.get(*si, kinds, || s.reaches(&relevant(kinds))));
        // Resource-policy Allows for this action, with how they name the principal.
        let by_resource = applying.iter().enumerate().filter(|(si, (s, _))| {
            s.effect == Effect::Allow
                && allowed(s)
                && resource_reach.get(*si, kinds, || s.reaches(&relevant(kinds)))
        });
        if same_account {
            granting.extend(by_identity.map(|(si, s)| (*s, Origin::Identity(si))));
            granting.extend(
                by_resource
                    .filter(|(_, (_, named))| *named == Named::Directly)
                    .map(|(si, (s, _))| (*s, Origin::Resource(si))),
            );
        } else {
            granting.extend(by_identity.map(|(si, s)| (*s, Origin::Identity(si))));
            if granting.is_empty() {
                continue;
            }
            let before = granting.len();
            granting.extend(by_resource.map(|(si, (s, _))| (*s, Origin::Resource(si))));
            if granting.len() == before {
                continue;
            }
        }
        if granting.is_empty() {
            continue;
        }
        allowed_any = true;
        let denied_by_identity = denies
            .iter()
            .enumerate()
            .any(|(si, d)| allowed(d) && cover.get(si, kinds, || d.covers_all(&relevant(kinds))));
        let denied_by_resource = applying
            .iter()
            .any(|(d, _)| d.effect == Effect::Deny && allowed(d) && d.covers_all(&relevant(kinds)));
        if denied_by_identity || denied_by_resource {
            continue;
        }
        for (s, origin) in &granting {
            let source = match origin {
                Origin::Identity(i) => sources.of_identity(*i, s),
                Origin::Resource(i) => match resource_sources.get_mut(*i) {
                    Some(Some(known)) => *known,
                    Some(slot) => *slot.insert(push_source(&mut sources.list, &s.source)),
                    None => push_source(&mut sources.list, &s.source),
                },
            };
            grants.push(Grant {
                action: ai,
                source,
                conditional: s.conditional,
            });
        }
    }
    Granted {
        grants: grants.into(),
        allowed: allowed_any,
    }
}

/// Where a granting statement is: the principal's `i`th Allow, or the `i`th statement of the
/// resource's policy that applies to it.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Identity(usize),
    Resource(usize),
}

fn push_source(sources: &mut Vec<StatementRef>, source: &StatementRef) -> usize {
    sources.push(source.clone());
    sources.len() - 1
}

/// The ARNs among `targets` that bit `i` of `kinds` selects.
fn arns<'t>(targets: &'t [(&'static str, String)], kinds: u8) -> Vec<&'t str> {
    targets
        .iter()
        .take(MAX_TARGETS)
        .enumerate()
        .filter(|(i, _)| kinds & (1 << i) != 0)
        .map(|(_, (_, arn))| arn.as_str())
        .collect()
}

/// Answers about one resource per (statement, kinds of ARN), computed on first use.
struct Memo {
    width: usize,
    /// 0: not yet asked; 1: false; 2: true.
    cells: Vec<u8>,
}

impl Memo {
    fn new(statements: usize, targets: usize) -> Self {
        let width = 1usize << targets.min(MAX_TARGETS);
        Memo {
            width,
            cells: vec![0; statements * width],
        }
    }

    /// Records the answer of `statement` for every set of ARNs.
    fn settle(&mut self, statement: usize, answer: bool) {
        let from = statement * self.width;
        if let Some(cells) = self.cells.get_mut(from..from + self.width) {
            cells.fill(if answer { 2 } else { 1 });
        }
    }

    fn get(&mut self, statement: usize, kinds: u8, compute: impl FnOnce() -> bool) -> bool {
        let Some(cell) = self
            .cells
            .get_mut(statement * self.width + usize::from(kinds))
        else {
            return compute();
        };
        if *cell == 0 {
            *cell = if compute() { 2 } else { 1 };
        }
        *cell == 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(value: Value) -> Resource {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn bucket(name: &str, account: &str, policy: Option<Value>) -> Resource {
        let policy = policy.map(|p| serde_json::json!({"policyText": p.to_string()}));
        resource(serde_json::json!({
            "resourceType": "AWS::S3::Bucket", "resourceId": name, "resourceName": name,
            "arn": format!("arn:aws:s3:::{name}"), "accountId": account,
            "tags": {"phi": "true"},
            "supplementaryConfiguration": {"BucketPolicy": policy.unwrap_or(serde_json::json!({"policyText": null}))},
        }))
    }

    fn role(name: &str, account: &str, statements: Value) -> Resource {
        resource(serde_json::json!({
            "resourceType": "AWS::IAM::Role", "resourceId": format!("AROA{}", name.to_uppercase()),
            "arn": format!("arn:aws:iam::{account}:role/{name}"), "accountId": account,
            "configuration": {"roleName": name, "rolePolicyList": [{"policyName": "p",
                "policyDocument": {"Statement": statements}}]},
        }))
    }

    /// Each resource's grants as (action, statement, conditional), sorted.
    type Flat = BTreeMap<String, Vec<(usize, String, bool)>>;

    fn flatten(access: &PrincipalAccess<'_>, phi: &PhiIndex<'_>) -> Flat {
        let describe = |grants: &[Grant]| {
            let mut out: Vec<(usize, String, bool)> = grants
                .iter()
                .map(|g| (g.action, access.sources[g.source].describe(), g.conditional))
                .collect();
            out.sort();
            out
        };
        let mut flat = Flat::new();
        for g in &access.resources {
            assert!(
                flat.insert(g.resource.resource_id.clone(), describe(&g.grants))
                    .is_none()
            );
        }
        for c in &access.cohorts {
            let members: Vec<_> = phi.cohort_resources(c).collect();
            assert_eq!(members.len(), c.count);
            for (_, r) in members {
                let fresh = flat.insert(r.resource_id.clone(), describe(&c.example.grants));
                assert!(fresh.is_none(), "{} reported twice", r.resource_id);
            }
        }
        flat
    }

    /// Cohorts change how the grants are found, never what they are: each principal's grants
    /// on each resource, resource by resource, are those found without cohorts.
    #[test]
    fn cohorts_find_the_grants_found_resource_by_resource() {
        let a = "111122223333";
        let b = "444455556666";
        let deny_insecure = serde_json::json!({"Statement": [{"Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": "arn:aws:s3:::b2/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
        let to_r2 = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{a}:role/r2")},
            "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::b3/*"}]});
        let deny_all = serde_json::json!({"Statement": [{"Effect": "Deny", "Principal": "*",
            "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::b4"}]});
        let to_account = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{a}:root")},
            "Action": "s3:*", "Resource": ["arn:aws:s3:::b5", "arn:aws:s3:::b5/*"]}]});
        let to_b = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{b}:root")},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b6/*"}]});
        let deny_r3 = serde_json::json!({"Statement": [{"Effect": "Deny",
            "Principal": {"AWS": format!("arn:aws:iam::{a}:role/r3")},
            "Action": "s3:*", "Resource": ["arn:aws:s3:::b7", "arn:aws:s3:::b7/*"]}]});
        let mut inventory = Inventory::new();
        for (name, policy) in [
            ("b1", None),
            ("b2", Some(deny_insecure)),
            ("b3", Some(to_r2)),
            ("b4", Some(deny_all)),
            ("b5", Some(to_account)),
            ("b6", Some(to_b)),
            ("b7", Some(deny_r3)),
            ("b8", None),
            ("c9", None),
        ] {
            inventory.insert(bucket(name, a, policy));
        }
        let principals = [
            role(
                "r1",
                a,
                serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
            ),
            role(
                "r2",
                a,
                serde_json::json!([
                {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b*"},
                {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b1/*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]),
            ),
            role(
                "r3",
                a,
                serde_json::json!([
                {"Effect": "Allow", "Action": "s3:Get*", "NotResource": "arn:aws:s3:::b2*"},
                {"Effect": "Deny", "Action": "s3:GetObjectAcl", "NotResource": ["arn:aws:s3:::b8", "arn:aws:s3:::b8/*"]}]),
            ),
            role(
                "r4",
                a,
                serde_json::json!([
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::*"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b1/*", "arn:aws:s3:::c9/x"]}]),
            ),
            role(
                "r5",
                b,
                serde_json::json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
            ),
        ];
        for p in &principals {
            inventory.insert(p.clone());
        }
        let catalog = ActionCatalog::builtin();
        let with = PhiIndex::new(&inventory, &PhiConfig::default(), catalog);
        assert!(!with.cohorts.is_empty(), "the buckets make a cohort");
        let mut without = PhiIndex::new(&inventory, &PhiConfig::default(), catalog);
        without.cohorts.clear();
        without.cohort_of.fill(None);
        without.cohorts_by_account.clear();
        without.named_in_cohorts.clear();
        let managed = ManagedPolicies::default();
        for p in &principals {
            let found = |phi: &PhiIndex<'_>| {
                let access = analyze(
                    &inventory,
                    p,
                    phi,
                    catalog,
                    &managed,
                    &mut ReachCache::default(),
                );
                flatten(&access, phi)
            };
            let (by_cohort, one_by_one) = (found(&with), found(&without));
            assert!(!one_by_one.is_empty(), "{} has grants", p.resource_id);
            let names = |f: &Flat| f.keys().cloned().collect::<Vec<_>>();
            assert_eq!(names(&by_cohort), names(&one_by_one), "{}", p.resource_id);
            for (name, grants) in &one_by_one {
                assert!(
                    by_cohort.get(name) == Some(grants),
                    "{} on {name}: {} grants by cohort, {} one by one",
                    p.resource_id,
                    by_cohort.get(name).map_or(0, Vec::len),
                    grants.len()
                );
            }
        }
    }

    /// An item without `arn` is still reachable: its ARN is built the way AWS forms it.
    #[test]
    fn targets_without_a_recorded_arn_are_built_from_id_account_and_region() {
        let cases = [
            (
                "AWS::EC2::Instance",
                "i-0abc",
                serde_json::json!({}),
                vec![(
                    "instance",
                    "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc",
                )],
            ),
            (
                "AWS::EC2::Volume",
                "vol-0abc",
                serde_json::json!({}),
                vec![(
                    "volume",
                    "arn:aws:ec2:us-east-1:111122223333:volume/vol-0abc",
                )],
            ),
            (
                "AWS::EFS::FileSystem",
                "fs-0abc",
                serde_json::json!({"FileSystemId": "fs-0abc"}),
                vec![(
                    "file-system",
                    "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0abc",
                )],
            ),
            (
                "AWS::SecretsManager::Secret",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
                serde_json::json!({}),
                vec![(
                    "Secret",
                    "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
                )],
            ),
            (
                "AWS::RDS::DBSnapshot",
                "rds:ehr-db-2026",
                serde_json::json!({"dBSnapshotIdentifier": "ehr-db-2026"}),
                vec![(
                    "snapshot",
                    "arn:aws:rds:us-east-1:111122223333:snapshot:ehr-db-2026",
                )],
            ),
            (
                "AWS::OpenSearch::Domain",
                "search",
                serde_json::json!({"DomainName": "search"}),
                vec![("domain", "arn:aws:es:us-east-1:111122223333:domain/search")],
            ),
            (
                "AWS::Elasticsearch::Domain",
                "111122223333/search",
                serde_json::json!({"domainName": "search"}),
                vec![("domain", "arn:aws:es:us-east-1:111122223333:domain/search")],
            ),
            (
                "AWS::Kinesis::Stream",
                "events",
                serde_json::json!({}),
                vec![(
                    "stream",
                    "arn:aws:kinesis:us-east-1:111122223333:stream/events",
                )],
            ),
            (
                "AWS::Redshift::Cluster",
                "lake",
                serde_json::json!({"clusterIdentifier": "lake"}),
                vec![
                    (
                        "cluster",
                        "arn:aws:redshift:us-east-1:111122223333:cluster:lake",
                    ),
                    (
                        "dbuser",
                        "arn:aws:redshift:us-east-1:111122223333:dbuser:lake/*",
                    ),
                    (
                        "dbname",
                        "arn:aws:redshift:us-east-1:111122223333:dbname:lake/*",
                    ),
                ],
            ),
            (
                "AWS::Backup::BackupVault",
                "phi-vault",
                serde_json::json!({"BackupVaultName": "phi-vault"}),
                vec![(
                    "backupVault",
                    "arn:aws:backup:us-east-1:111122223333:backup-vault:phi-vault",
                )],
            ),
        ];
        for (resource_type, id, configuration, want) in cases {
            let r = resource(serde_json::json!({
                "resourceType": resource_type, "resourceId": id, "accountId": "111122223333",
                "awsRegion": "us-east-1", "configuration": configuration,
            }));
            let got = targets(&r);
            let got: Vec<(&str, &str)> = got.iter().map(|(k, a)| (*k, a.as_str())).collect();
            assert_eq!(got, want, "{resource_type}");
        }
    }

    /// Every PHI-bearing type is reached by some catalogued action of each of its services:
    /// a kind name that drifted from the catalogue's would silently reach nothing.
    #[test]
    fn every_phi_type_is_reached_by_each_of_its_services() {
        let catalog = ActionCatalog::builtin();
        for (resource_type, services) in phi_services() {
            let r = resource(serde_json::json!({
                "resourceType": resource_type, "resourceId": "x", "accountId": "111122223333",
                "awsRegion": "us-east-1", "arn": "arn:aws:service:us-east-1:111122223333:x",
                "configuration": {"dbiResourceId": "db-X", "dbClusterResourceId": "cluster-X"},
            }));
            let kinds: Vec<&str> = targets(&r).iter().map(|(k, _)| *k).collect();
            assert!(!kinds.is_empty(), "{resource_type} has no target");
            for service in *services {
                let reached = catalog
                    .actions
                    .iter()
                    .filter(|a| a.service == *service)
                    .any(|a| a.resources.iter().any(|k| kinds.contains(&k.as_str())));
                assert!(
                    reached,
                    "no {service} action reaches {resource_type} ({kinds:?})"
                );
            }
        }
    }

    /// The pack's tests give every resource an account; an inventory may not.
    #[test]
    fn a_phi_resource_of_unknown_account_is_judged_as_the_principals_own() {
        let mut inventory = Inventory::new();
        inventory.insert(resource(serde_json::json!({
            "resourceType": "AWS::S3::Bucket", "resourceId": "unowned-phi",
            "arn": "arn:aws:s3:::unowned-phi", "tags": {"phi": "true"},
        })));
        let role = resource(serde_json::json!({
            "resourceType": "AWS::IAM::Role", "resourceId": "AROAWIDE",
            "arn": "arn:aws:iam::111122223333:role/wide", "accountId": "111122223333",
            "configuration": {"roleName": "wide", "rolePolicyList": [{"policyName": "all-s3",
                "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]},
        }));
        inventory.insert(role.clone());
        let catalog = ActionCatalog::builtin();
        let phi = PhiIndex::new(&inventory, &PhiConfig::default(), catalog);
        let access = analyze(
            &inventory,
            &role,
            &phi,
            catalog,
            &ManagedPolicies::default(),
            &mut ReachCache::default(),
        );
        assert!(access.grant_count() > 0);
        assert!(
            access
                .resources
                .iter()
                .all(|g| g.resource.resource_id == "unowned-phi")
        );
    }
}
