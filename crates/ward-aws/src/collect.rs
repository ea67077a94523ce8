//! `ward collect`: an inventory read live from AWS, written as a Ward inventory file
//! (`docs/inventory-format.md`) that `ward check` reads.
//!
//! Sources (any combination):
//! - **AWS Config**: `ListDiscoveredResources` per resource type, then
//!   `BatchGetResourceConfig` in batches of 100, retrying `unprocessedResourceKeys`; or,
//!   with an aggregator, `ListAggregateDiscoveredResources` +
//!   `BatchGetAggregateResourceConfig` across its accounts and Regions.
//! - **EC2 directly**, for accounts without Config: security groups, instances, volumes,
//!   network ACLs, VPCs, subnets and flow logs, converted to Config items ([`crate::convert`]).
//! - **The IAM credential report** (`GenerateCredentialReport` until it is ready, then
//!   `GetCredentialReport`), read by `ward-import` as `Ward::IAM::CredentialReportUser`.
//!
//! Every item goes through `ward-import`'s normalization and redaction before it is written.
//! A call that still fails after its retries is recorded in `collection.problems` and the
//! file says `collection.complete: false`; `ward check` warns about such a file.

use std::collections::BTreeSet;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{Value, json};
use ward_model::{Inventory, Resource, Source};

use crate::client::Clients;
use crate::convert::{self, Ec2Context};
use crate::retry::{call_error, describe};
use crate::{AwsError, now_rfc3339};

/// The most keys one `BatchGet*ResourceConfig` call takes.
pub const BATCH_SIZE: usize = 100;

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
    /// Show a progress bar (on a terminal only).
    pub progress: bool,
}

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

/// Collects what `options` asks for. Failures are recorded in the result, never returned:
/// the caller writes what was read and says it is partial.
pub async fn collect(clients: &Clients, options: &CollectOptions) -> Collection {
    let progress = Progress::new(options.progress);
    let mut out = Collector {
        clients,
        progress: &progress,
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
                for t in &types {
                    out.aggregate_type(name, t).await;
                }
            }
            None => {
                sources.push("config".to_string());
                for t in &types {
                    out.config_type(t).await;
                }
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
    progress.finish();
    Collection {
        resources: out.resources,
        problems: out.problems,
        collected_at: now_rfc3339(),
        region: clients.region.clone(),
        account_id,
        sources,
    }
}

/// Reads the resources of the given Config types from the account's Config: for a
/// scheduled Config rule. `Err` when anything could not be read.
pub async fn config_resources(
    clients: &Clients,
    types: &BTreeSet<String>,
) -> Result<Vec<Resource>, AwsError> {
    let progress = Progress::new(false);
    let mut out = Collector {
        clients,
        progress: &progress,
        resources: Vec::new(),
        problems: Vec::new(),
    };
    for t in types {
        out.config_type(t).await;
    }
    out.into_result()
}

/// Reads the IAM credential report as `Ward::IAM::CredentialReportUser` resources.
pub async fn credential_report_resources(clients: &Clients) -> Result<Vec<Resource>, AwsError> {
    let progress = Progress::new(false);
    let mut out = Collector {
        clients,
        progress: &progress,
        resources: Vec::new(),
        problems: Vec::new(),
    };
    out.credential_report().await;
    out.into_result()
}

struct Collector<'a> {
    clients: &'a Clients,
    progress: &'a Progress,
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
        self.progress.println(&format!(
            "warning: `{service}:{operation}`{} failed: {message}",
            rtype.map(|t| format!(" ({t})")).unwrap_or_default()
        ));
        self.problems.push(CollectProblem {
            service: service.to_string(),
            operation: operation.to_string(),
            resource_type: rtype.map(str::to_string),
            message,
        });
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
                self.progress.inc();
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

    async fn config_type(&mut self, rtype: &str) {
        use aws_sdk_config::types::{ResourceKey, ResourceType};
        self.progress.message(&format!("config: {rtype}"));
        let listed = self
            .clients
            .config
            .list_discovered_resources()
            .resource_type(ResourceType::from(rtype))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut keys = Vec::new();
        for r in listed {
            match r {
                Ok(ident) => {
                    if let Some(id) = ident.resource_id() {
                        match ResourceKey::builder()
                            .resource_type(ResourceType::from(rtype))
                            .resource_id(id)
                            .build()
                        {
                            Ok(k) => keys.push(k),
                            Err(e) => self.problem(
                                "config",
                                "ListDiscoveredResources",
                                Some(rtype),
                                e.to_string(),
                            ),
                        }
                    }
                }
                Err(e) => {
                    self.problem(
                        "config",
                        "ListDiscoveredResources",
                        Some(rtype),
                        describe(&e),
                    );
                    break;
                }
            }
        }
        for batch in keys.chunks(BATCH_SIZE) {
            let mut pending: Vec<ResourceKey> = batch.to_vec();
            let mut round = 0;
            while !pending.is_empty() {
                let answer = self
                    .clients
                    .config
                    .batch_get_resource_config()
                    .set_resource_keys(Some(pending.clone()))
                    .send()
                    .await;
                match answer {
                    Ok(out) => {
                        for item in out.base_configuration_items() {
                            self.item(
                                convert::base_config_item(item),
                                "config-api",
                                "config:BatchGetResourceConfig",
                            );
                        }
                        pending = out.unprocessed_resource_keys().to_vec();
                    }
                    Err(e) => {
                        self.problem(
                            "config",
                            "BatchGetResourceConfig",
                            Some(rtype),
                            format!("{} resource(s) not read: {}", pending.len(), describe(&e)),
                        );
                        break;
                    }
                }
                if pending.is_empty() {
                    break;
                }
                if round >= self.clients.retry.rounds {
                    self.problem(
                        "config",
                        "BatchGetResourceConfig",
                        Some(rtype),
                        format!(
                            "{} resource(s) still unprocessed after {} retries: {}",
                            pending.len(),
                            round,
                            pending
                                .iter()
                                .map(|k| k.resource_id())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    break;
                }
                self.clients.retry.sleep(round).await;
                round += 1;
            }
        }
    }

    async fn aggregate_type(&mut self, aggregator: &str, rtype: &str) {
        use aws_sdk_config::types::{AggregateResourceIdentifier, ResourceType};
        self.progress
            .message(&format!("aggregator {aggregator}: {rtype}"));
        let listed = self
            .clients
            .config
            .list_aggregate_discovered_resources()
            .configuration_aggregator_name(aggregator)
            .resource_type(ResourceType::from(rtype))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut idents: Vec<AggregateResourceIdentifier> = Vec::new();
        for r in listed {
            match r {
                Ok(ident) => idents.push(ident),
                Err(e) => {
                    self.problem(
                        "config",
                        "ListAggregateDiscoveredResources",
                        Some(rtype),
                        describe(&e),
                    );
                    break;
                }
            }
        }
        for batch in idents.chunks(BATCH_SIZE) {
            let mut pending = batch.to_vec();
            let mut round = 0;
            while !pending.is_empty() {
                let answer = self
                    .clients
                    .config
                    .batch_get_aggregate_resource_config()
                    .configuration_aggregator_name(aggregator)
                    .set_resource_identifiers(Some(pending.clone()))
                    .send()
                    .await;
                match answer {
                    Ok(out) => {
                        for item in out.base_configuration_items() {
                            self.item(
                                convert::base_config_item(item),
                                "config-api",
                                "config:BatchGetAggregateResourceConfig",
                            );
                        }
                        pending = out.unprocessed_resource_identifiers().to_vec();
                    }
                    Err(e) => {
                        self.problem(
                            "config",
                            "BatchGetAggregateResourceConfig",
                            Some(rtype),
                            format!("{} resource(s) not read: {}", pending.len(), describe(&e)),
                        );
                        break;
                    }
                }
                if pending.is_empty() {
                    break;
                }
                if round >= self.clients.retry.rounds {
                    self.problem(
                        "config",
                        "BatchGetAggregateResourceConfig",
                        Some(rtype),
                        format!(
                            "{} resource(s) still unprocessed after {} retries",
                            pending.len(),
                            round
                        ),
                    );
                    break;
                }
                self.clients.retry.sleep(round).await;
                round += 1;
            }
        }
    }

    async fn ec2(&mut self, ctx: &Ec2Context) {
        let clients: &Clients = self.clients;
        let ec2 = &clients.ec2;
        macro_rules! describe_all {
            ($op:ident, $name:literal, $convert:expr) => {{
                self.progress.message(concat!("ec2: ", $name));
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
        self.progress.message("ec2: DescribeInstances");
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
        self.progress.message("iam: credential report");
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
            self.progress.inc();
        }
    }
}

/// A spinner with a count of the resources read, on stderr when it is a terminal.
struct Progress(ProgressBar);

impl Progress {
    fn new(enabled: bool) -> Progress {
        use std::io::IsTerminal;
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(ProgressBar::hidden());
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {pos:>6} resources  {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress(bar)
    }
    fn message(&self, m: &str) {
        self.0.set_message(m.to_string());
    }
    fn inc(&self) {
        self.0.inc(1);
    }
    fn println(&self, line: &str) {
        if self.0.is_hidden() {
            eprintln!("{line}");
        } else {
            self.0.println(line);
        }
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
