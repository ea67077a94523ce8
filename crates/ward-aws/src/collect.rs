//! `ward collect`: an inventory read live from AWS, written as a Ward inventory file
//! (`docs/inventory-format.md`) that `ward check` reads.
//!
//! Sources (any combination):
//! - **AWS Config**: advanced queries (`SelectResourceConfig`, or
//!   `SelectAggregateResourceConfig` across an aggregator's accounts and Regions), paged by
//!   100, as few as the 4096-character expression allows: whole items with their tags and
//!   relationships, which the batch calls (`BatchGetResourceConfig`) leave out.
//! - **EC2 directly**, for accounts without Config: security groups, instances, volumes,
//!   network ACLs, VPCs, subnets and flow logs, converted to Config items ([`crate::convert`]).
//! - **The IAM credential report** (`GenerateCredentialReport` until it is ready, then
//!   `GetCredentialReport`), read by `ward-import` as `Ward::IAM::CredentialReportUser`.
//!
//! Every item goes through `ward-import`'s normalization and redaction before it is written.
//! A call that still fails after its retries is recorded in `collection.problems` and the
//! file says `collection.complete: false`; `ward check` warns about such a file.
//!
//! [`collect`] prints nothing: it tells a [`CollectProgress`] what it is reading, each
//! resource read and each problem, and the caller shows them (`ward collect`: a progress
//! line on a terminal, the problems as warnings).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Value, json};
use ward_model::{Inventory, Resource, Source};

use crate::client::Clients;
use crate::convert::{self, Ec2Context};
use crate::retry::{call_error, describe};
use crate::{AwsError, now_rfc3339};

/// The most results one advanced query page returns.
pub const SELECT_PAGE: i32 = 100;
/// The longest advanced query expression AWS Config takes.
pub const SELECT_EXPRESSION_MAX: usize = 4096;
/// What an advanced query selects: every item property of AWS Config's resource schema
/// (`config/properties/AWS.properties.json`) but the delivery time and recording frequency,
/// so tags and relationships come with the item.
pub const SELECT_PROPERTIES: &str = "accountId, arn, availabilityZone, awsRegion, \
configurationItemCaptureTime, configurationItemStatus, configurationStateId, resourceCreationTime, \
resourceId, resourceName, resourceType, version, tags, relationships, configuration, \
supplementaryConfiguration";

/// The advanced queries that read every resource of `types`, each with the types it reads:
/// `SELECT … WHERE resourceType IN (…)`, as few as the expression limit allows. A name with
/// a quote is not a resource type and is left out.
pub fn select_expressions(types: &[String]) -> Vec<(Vec<String>, String)> {
    let head = format!("SELECT {SELECT_PROPERTIES} WHERE resourceType IN (");
    let close = |names: &[String]| {
        let quoted: Vec<String> = names.iter().map(|t| format!("'{t}'")).collect();
        format!("{head}{})", quoted.join(", "))
    };
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for t in types.iter().filter(|t| !t.contains('\'')) {
        let mut trial = current.clone();
        trial.push(t.clone());
        if !current.is_empty() && close(&trial).len() > SELECT_EXPRESSION_MAX {
            let expression = close(&current);
            out.push((std::mem::replace(&mut current, vec![t.clone()]), expression));
        } else {
            current = trial;
        }
    }
    if !current.is_empty() {
        let expression = close(&current);
        out.push((current, expression));
    }
    out
}

/// What to collect.
#[derive(Debug, Clone, Default)]
pub struct CollectOptions {
    /// Read AWS Config's recorded items.
    pub config: bool,
    /// Read them through this Config aggregator instead of the account's own Config.
    pub aggregator: Option<String>,
    /// Read EC2 directly (security groups, instances, volumes, NACLs, VPCs, subnets, flow
    /// logs).
    pub ec2: bool,
    /// Read the IAM credential report.
    pub credential_report: bool,
    /// The Config resource types to list; empty: [`default_config_types`].
    pub resource_types: Vec<String>,
}

/// What [`collect`] tells as it goes, for a caller that shows progress. Every method does
/// nothing by default.
pub trait CollectProgress: Sync {
    /// What is being read now, e.g. `config: 120 type(s) by advanced query`,
    /// `ec2: DescribeVolumes`, `iam: credential report`.
    fn reading(&self, _what: &str) {}
    /// One more resource read.
    fn resource_read(&self) {}
    /// A call failed after its retries (it is also in [`Collection::problems`]).
    fn problem(&self, _problem: &CollectProblem) {}
}

/// Tells nothing.
pub struct NoProgress;

impl CollectProgress for NoProgress {}

/// One call that failed after its retries: what is missing from the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectProblem {
    pub service: String,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    pub message: String,
}

/// `` `service:Operation` (type) failed: message ``.
impl std::fmt::Display for CollectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}:{}`", self.service, self.operation)?;
        if let Some(t) = &self.resource_type {
            write!(f, " ({t})")?;
        }
        write!(f, " failed: {}", self.message)
    }
}

/// What a collection read.
#[derive(Debug, Clone)]
pub struct Collection {
    pub resources: Vec<Resource>,
    pub problems: Vec<CollectProblem>,
    pub collected_at: String,
    pub region: String,
    pub account_id: Option<String>,
    pub sources: Vec<String>,
}

impl Collection {
    /// True when every call succeeded.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
    }

    /// The inventory file: `{"wardInventoryVersion": "1", "collection": {...},
    /// "resources": [...]}` with the resources sorted by type and id.
    pub fn to_document(&self) -> Value {
        let mut resources: Vec<&Resource> = self.resources.iter().collect();
        resources.sort_by(|a, b| {
            (
                &a.resource_type,
                &a.resource_id,
                &a.account_id,
                &a.aws_region,
            )
                .cmp(&(
                    &b.resource_type,
                    &b.resource_id,
                    &b.account_id,
                    &b.aws_region,
                ))
        });
        json!({
            "wardInventoryVersion": ward_model::INVENTORY_FORMAT_VERSION,
            "collection": {
                "tool": concat!("ward collect ", env!("CARGO_PKG_VERSION")),
                "collectedAt": self.collected_at,
                "region": self.region,
                "accountId": self.account_id,
                "sources": self.sources,
                "complete": self.is_complete(),
                "problems": self.problems,
            },
            "resources": resources,
        })
    }
}

/// The Config types listed when none is named: every AWS type the resource catalogue has a
/// shape for (the types the rules can read).
pub fn default_config_types() -> Vec<String> {
    let catalog = ward_model::ResourceCatalog::builtin();
    catalog
        .type_names()
        .filter(|t| t.starts_with("AWS::") && *t != ward_model::ACCOUNT_TYPE)
        .filter(|t| catalog.shape(t).is_some())
        .map(str::to_string)
        .collect()
}

/// Collects what `options` asks for, telling `progress` as it goes. Failures are recorded in
/// the result, never returned: the caller writes what was read and says it is partial.
pub async fn collect(
    clients: &Clients,
    options: &CollectOptions,
    progress: &dyn CollectProgress,
) -> Collection {
    let mut out = Collector {
        clients,
        progress,
        resources: Vec::new(),
        problems: Vec::new(),
    };
    let mut sources = Vec::new();
    let account_id = match clients.account_id().await {
        Ok(a) => Some(a),
        Err(e) => {
            // Config items name their account; EC2 objects need it.
            out.problem_from("sts", "GetCallerIdentity", None, &e);
            None
        }
    };
    if options.config {
        let types = if options.resource_types.is_empty() {
            default_config_types()
        } else {
            options.resource_types.clone()
        };
        match &options.aggregator {
            Some(name) => {
                sources.push(format!("config-aggregator:{name}"));
                out.config_query(&types, Some(name)).await;
            }
            None => {
                sources.push("config".to_string());
                out.config_query(&types, None).await;
            }
        }
    }
    if options.ec2 {
        sources.push("ec2".to_string());
        match &account_id {
            Some(account) => {
                let ctx = Ec2Context {
                    account_id: account.clone(),
                    region: clients.region.clone(),
                    capture_time: now_rfc3339(),
                };
                out.ec2(&ctx).await;
            }
            None => out.problem(
                "ec2",
                "Describe*",
                None,
                "skipped: the account is unknown (sts:GetCallerIdentity failed)".into(),
            ),
        }
    }
    if options.credential_report {
        sources.push("iam-credential-report".to_string());
        out.credential_report().await;
    }
    Collection {
        resources: out.resources,
        problems: out.problems,
        collected_at: now_rfc3339(),
        region: clients.region.clone(),
        account_id,
        sources,
    }
}

/// Says each problem on stderr, as the Config rule path always has: its error names only the
/// first ([`Collector::into_result`]). Moving the others into the error is that path's to do;
/// nothing else in this crate prints.
struct ProblemsOnStderr;

impl CollectProgress for ProblemsOnStderr {
    fn problem(&self, problem: &CollectProblem) {
        eprintln!("warning: {problem}");
    }
}

/// Reads the resources of the given Config types from the account's Config: for a
/// scheduled Config rule. `Err` when anything could not be read.
pub async fn config_resources(
    clients: &Clients,
    types: &BTreeSet<String>,
) -> Result<Vec<Resource>, AwsError> {
    let mut out = Collector {
        clients,
        progress: &ProblemsOnStderr,
        resources: Vec::new(),
        problems: Vec::new(),
    };
    let types: Vec<String> = types.iter().cloned().collect();
    out.config_query(&types, None).await;
    out.into_result()
}

/// Reads the IAM credential report as `Ward::IAM::CredentialReportUser` resources.
pub async fn credential_report_resources(clients: &Clients) -> Result<Vec<Resource>, AwsError> {
    let mut out = Collector {
        clients,
        progress: &ProblemsOnStderr,
        resources: Vec::new(),
        problems: Vec::new(),
    };
    out.credential_report().await;
    out.into_result()
}

struct Collector<'a> {
    clients: &'a Clients,
    progress: &'a dyn CollectProgress,
    resources: Vec<Resource>,
    problems: Vec<CollectProblem>,
}

impl Collector<'_> {
    fn into_result(self) -> Result<Vec<Resource>, AwsError> {
        match self.problems.first() {
            None => Ok(self.resources),
            Some(p) => Err(AwsError::Incomplete(format!(
                "`{}:{}`{}: {}",
                p.service,
                p.operation,
                p.resource_type
                    .as_ref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default(),
                p.message
            ))),
        }
    }

    fn problem(&mut self, service: &str, operation: &str, rtype: Option<&str>, message: String) {
        let problem = CollectProblem {
            service: service.to_string(),
            operation: operation.to_string(),
            resource_type: rtype.map(str::to_string),
            message,
        };
        self.progress.problem(&problem);
        self.problems.push(problem);
    }

    fn problem_from(&mut self, service: &str, operation: &str, rtype: Option<&str>, e: &AwsError) {
        let message = match e {
            AwsError::Call { message, .. } => message.clone(),
            other => other.to_string(),
        };
        self.problem(service, operation, rtype, message);
    }

    /// Normalizes and redacts one item and keeps it.
    fn item(&mut self, item: Value, format: &str, call: &str) {
        let source = Source {
            format: format.to_string(),
            file: Some(call.to_string()),
            index: None,
        };
        let id = item
            .get("resourceId")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let rtype = item
            .get("resourceType")
            .and_then(Value::as_str)
            .map(str::to_string);
        match ward_import::resource_from_item(item, source) {
            Ok(mut resource) => {
                ward_import::redact_resource(&mut resource);
                self.resources.push(resource);
                self.progress.resource_read();
            }
            Err(d) => {
                let (service, operation) = call.split_once(':').unwrap_or((call, ""));
                self.problem(
                    service,
                    operation,
                    rtype.as_deref(),
                    format!("item `{id}` could not be read: {}", d.message),
                );
            }
        }
    }

    /// Reads every resource of `types` with advanced queries (`SelectResourceConfig`, or
    /// `SelectAggregateResourceConfig` through an aggregator), paged: whole items with their
    /// tags and relationships, which `BatchGetResourceConfig` does not return. The types go
    /// into as few queries as the expression limit (4096 characters) allows.
    async fn config_query(&mut self, types: &[String], aggregator: Option<&str>) {
        for (queried, expression) in select_expressions(types) {
            let named = queried.join(", ");
            self.progress.reading(&format!(
                "config: {} type(s) by advanced query",
                queried.len()
            ));
            // Every result of a paged query, or the error that stopped it.
            macro_rules! results {
                ($call:expr) => {
                    $call
                        .expression(&expression)
                        .into_paginator()
                        .page_size(SELECT_PAGE)
                        .items()
                        .send()
                        .collect::<Vec<_>>()
                        .await
                        .into_iter()
                        .map(|r| r.map_err(|e| describe(&e)))
                        .collect::<Vec<Result<String, String>>>()
                };
            }
            let config = &self.clients.config;
            let (operation, pages) = match aggregator {
                None => (
                    "SelectResourceConfig",
                    results!(config.select_resource_config()),
                ),
                Some(name) => (
                    "SelectAggregateResourceConfig",
                    results!(
                        config
                            .select_aggregate_resource_config()
                            .configuration_aggregator_name(name)
                    ),
                ),
            };
            let call = format!("config:{operation}");
            for (index, page) in pages.into_iter().enumerate() {
                match page {
                    Ok(text) => match serde_json::from_str::<Value>(&text) {
                        Ok(item) => self.item(item, "config-api", &call),
                        Err(e) => self.problem(
                            "config",
                            operation,
                            Some(&named),
                            format!("result {index} is not JSON: {e}"),
                        ),
                    },
                    Err(message) => {
                        self.problem(
                            "config",
                            operation,
                            Some(&named),
                            format!("the query stopped after {index} result(s): {message}"),
                        );
                        break;
                    }
                }
            }
        }
    }

    async fn ec2(&mut self, ctx: &Ec2Context) {
        let clients: &Clients = self.clients;
        let ec2 = &clients.ec2;
        macro_rules! describe_all {
            ($op:ident, $name:literal, $convert:expr) => {{
                self.progress.reading(concat!("ec2: ", $name));
                let items = ec2
                    .$op()
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Vec<_>>()
                    .await;
                for r in items {
                    match r {
                        Ok(obj) => {
                            if let Some(item) = $convert(ctx, &obj) {
                                self.item(item, "ec2-api", concat!("ec2:", $name));
                            }
                        }
                        Err(e) => {
                            self.problem("ec2", $name, None, describe(&e));
                            break;
                        }
                    }
                }
            }};
        }
        describe_all!(
            describe_security_groups,
            "DescribeSecurityGroups",
            convert::security_group
        );
        describe_all!(describe_volumes, "DescribeVolumes", convert::volume);
        describe_all!(
            describe_network_acls,
            "DescribeNetworkAcls",
            convert::network_acl
        );
        describe_all!(describe_vpcs, "DescribeVpcs", convert::vpc);
        describe_all!(describe_subnets, "DescribeSubnets", convert::subnet);
        describe_all!(describe_flow_logs, "DescribeFlowLogs", convert::flow_log);
        self.progress.reading("ec2: DescribeInstances");
        let reservations = ec2
            .describe_instances()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        for r in reservations {
            match r {
                Ok(reservation) => {
                    let owner_ctx = Ec2Context {
                        account_id: reservation
                            .owner_id()
                            .map_or_else(|| ctx.account_id.clone(), str::to_string),
                        ..ctx.clone()
                    };
                    for i in reservation.instances() {
                        if let Some(item) = convert::instance(&owner_ctx, i) {
                            self.item(item, "ec2-api", "ec2:DescribeInstances");
                        }
                    }
                }
                Err(e) => {
                    self.problem("ec2", "DescribeInstances", None, describe(&e));
                    break;
                }
            }
        }
    }

    async fn credential_report(&mut self) {
        use aws_sdk_iam::types::ReportStateType;
        self.progress.reading("iam: credential report");
        let clients: &Clients = self.clients;
        let iam = &clients.iam;
        let mut round = 0;
        loop {
            match iam.generate_credential_report().send().await {
                Ok(out) if out.state() == Some(&ReportStateType::Complete) => break,
                Ok(_) if round < self.clients.retry.rounds.max(8) => {
                    self.clients.retry.sleep(round).await;
                    round += 1;
                }
                Ok(out) => {
                    self.problem(
                        "iam",
                        "GenerateCredentialReport",
                        None,
                        format!(
                            "the report is still `{}` after {round} tries",
                            out.state().map_or("?", |s| s.as_str())
                        ),
                    );
                    return;
                }
                Err(e) => {
                    let e = call_error("iam", "GenerateCredentialReport", &e);
                    self.problem_from("iam", "GenerateCredentialReport", None, &e);
                    return;
                }
            }
        }
        let report = match iam.get_credential_report().send().await {
            Ok(r) => r,
            Err(e) => {
                self.problem("iam", "GetCredentialReport", None, describe(&e));
                return;
            }
        };
        let Some(content) = report.content() else {
            self.problem(
                "iam",
                "GetCredentialReport",
                None,
                "the answer has no content".into(),
            );
            return;
        };
        let generated = report.generated_time().and_then(convert::time);
        let mut inventory = Inventory::new();
        let imported =
            ward_import::import_reader("iam:GetCredentialReport", content.as_ref(), &mut inventory);
        for d in imported.diagnostics().filter(|d| d.is_error()) {
            self.problem(
                "iam",
                "GetCredentialReport",
                None,
                format!("the report could not be read: {}", d.message),
            );
        }
        for r in inventory.iter() {
            let mut r = r.clone();
            if r.configuration_item_capture_time.is_none() {
                r.configuration_item_capture_time.clone_from(&generated);
            }
            self.resources.push(r);
            self.progress.resource_read();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn every_type_is_queried_once_within_the_expression_limit() {
        let types = default_config_types();
        assert!(types.len() > 100, "the catalogue's types");
        let queries = select_expressions(&types);
        assert!(
            queries.len() > 1,
            "{} types fit one expression",
            types.len()
        );
        let mut seen = Vec::new();
        for (queried, expression) in &queries {
            assert!(
                expression.len() <= SELECT_EXPRESSION_MAX,
                "{}",
                expression.len()
            );
            assert!(expression.starts_with("SELECT accountId, arn,"));
            for t in queried {
                assert!(expression.contains(&format!("'{t}'")), "{t}");
            }
            seen.extend(queried.iter().cloned());
        }
        assert_eq!(seen, types);
        assert_eq!(
            select_expressions(&["AWS::S3::Bucket".into(), "bad'type".into()]),
            [(
                vec!["AWS::S3::Bucket".to_string()],
                format!("SELECT {SELECT_PROPERTIES} WHERE resourceType IN ('AWS::S3::Bucket')")
            )]
        );
        assert!(select_expressions(&[]).is_empty());
    }
}
