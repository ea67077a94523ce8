//! `ward remediate`: revoke exactly the security-group rules that make `restricted-ssh`,
//! `restricted-common-ports` and `vpc-default-security-group-closed` fail.
//!
//! The groups are read live (`DescribeSecurityGroups`), converted to Config items and
//! evaluated by the same rules as `ward check`. The plan acts on the failing findings, never
//! on a second opinion of its own ([`REMEDIES`]):
//! - `restricted-ssh` / `restricted-common-ports`: the sources the finding's evidence names
//!   (`configuration.ipPermissions[i]` with one of its `ipRanges[j]`,
//!   `ipv4Ranges[j].cidrIp` or `ipv6Ranges[j].cidrIpv6`) are revoked from permission `i`,
//!   with its protocol and ports: the permission's other sources stay;
//! - `vpc-default-security-group-closed`: every ingress and egress permission of the
//!   default group (the rule allows none).
//!
//! The plan is then checked: the group as it would be after the revocations is evaluated
//! again, and evidence of what still fails (a finding keeps at most 40 evidence entries)
//! extends the plan until the rules pass. A plan that cannot make them pass is an error,
//! never a partial fix presented as a whole one.
//!
//! [`apply`] sends one `RevokeSecurityGroupIngress` (and `...Egress`) per group, then reads
//! the group again and records before and after as evidence.
//!
//! Two limits apply to every plan ([`PlanOptions`]): a group carrying the opt-out tag
//! ([`DEFAULT_OPT_OUT_TAG`] unless another is given) is never changed, and at most
//! `max_groups` groups are changed in one run; both are reported as [`Skipped`].
//!
//! The Config rule path ([`remediate_evaluations`]) acts after the evaluation, on the groups
//! it found `NON_COMPLIANT`, when the Config rule's parameter `wardRemediate` is `true`
//! ([`event_options`]); what it did goes into each evaluation's annotation.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, SecurityGroup};
use serde::Serialize;
use serde_json::{Value, json};
use ward_backend::EvalOptions;
use ward_model::{Evidence, Finding, Inventory, Resource, Source, Status};

use crate::AwsError;
use crate::client::Clients;
use crate::config_rule::{self, ConfigEvaluation, Controls, RuleEvent};
use crate::convert::{self, Ec2Context};
use crate::retry::call_error;

/// The tag key that keeps a group from being changed (any value), unless another is given.
pub const DEFAULT_OPT_OUT_TAG: &str = "ward:no-remediate";

/// The Config rule parameter that turns remediation on (`true` or `false`).
pub const REMEDIATE_PARAM: &str = "wardRemediate";
/// The Config rule parameter capping the groups one invocation changes.
pub const MAX_GROUPS_PARAM: &str = "wardRemediateMaxGroups";
/// The Config rule parameter naming the opt-out tag key.
pub const OPT_OUT_TAG_PARAM: &str = "wardRemediateOptOutTag";
/// The parameters of remediation: Ward's, not any rule's.
pub const PARAMS: [&str; 3] = [REMEDIATE_PARAM, MAX_GROUPS_PARAM, OPT_OUT_TAG_PARAM];
/// How many groups one Config rule invocation changes at most, unless the rule says.
pub const DEFAULT_MAX_GROUPS: usize = 10;

/// What limits a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// A tag key: a group carrying it (whatever its value) is never changed.
    pub opt_out_tag: Option<String>,
    /// At most this many groups are changed; the others are reported, not changed.
    pub max_groups: Option<usize>,
    /// Only these rules' findings are acted on (of [`RULES`]); `None`: every one loaded.
    pub rules: Option<Vec<String>>,
}

/// A group the plan would change but does not, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub group_id: String,
    pub reason: String,
    /// The rules that fail on it.
    pub rules: Vec<String>,
    /// Ward could not plan the group's fix (it could not be read, or its findings do not say
    /// what to revoke): a failure for that group only, reported, not a choice.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub error: bool,
}

/// The rules whose findings `ward remediate` fixes.
pub const RULES: [&str; 3] = [
    "restricted-ssh",
    "restricted-common-ports",
    "vpc-default-security-group-closed",
];

/// What fixing a failing finding of a rule revokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// The sources the finding's evidence names, from the permissions it names.
    EvidencedSources,
    /// Every ingress and egress permission of the group.
    Everything,
}

/// The remedy of each rule of [`RULES`].
pub const REMEDIES: [(&str, Remedy); 3] = [
    ("restricted-ssh", Remedy::EvidencedSources),
    ("restricted-common-ports", Remedy::EvidencedSources),
    ("vpc-default-security-group-closed", Remedy::Everything),
];

fn remedy(rule: &str) -> Option<Remedy> {
    REMEDIES.iter().find(|(r, _)| *r == rule).map(|(_, m)| *m)
}

/// A source named by a finding's evidence: the permission's index in `ipPermissions`, the
/// family and the CIDR.
type SourceRef = (usize, Family, String);

/// One revocation: a group, a direction and the exact permissions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub group_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// `RevokeSecurityGroupIngress` or `RevokeSecurityGroupEgress`.
    pub call: String,
    /// The rules this fixes, with their findings' messages.
    pub findings: Vec<PlannedFinding>,
    /// The permissions to revoke, in Config's spelling.
    pub permissions: Vec<Value>,
    #[serde(skip)]
    sdk_permissions: Vec<IpPermission>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedFinding {
    pub rule: String,
    pub message: String,
}

/// What `ward remediate` would do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub region: String,
    pub account_id: String,
    pub actions: Vec<Action>,
    /// Failing groups left alone: opted out by tag, past the cap, or whose fix Ward could
    /// not plan (`error`).
    pub skipped: Vec<Skipped>,
    /// Each planned group as read before any change (Config's `configuration`).
    #[serde(skip)]
    pub before: BTreeMap<String, Value>,
}

impl Plan {
    /// The plan for a person: one block per call.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.skipped {
            if s.error {
                out.push_str(&format!("error: {}: {}\n", s.group_id, s.reason));
                continue;
            }
            out.push_str(&format!(
                "skipped {} ({}): {}\n",
                s.group_id,
                s.rules.join(", "),
                s.reason
            ));
        }
        if self.actions.is_empty() {
            if self.skipped.is_empty() {
                out.push_str("nothing to remediate: no security group fails restricted-ssh, restricted-common-ports or vpc-default-security-group-closed\n");
            }
            return out;
        }
        for a in &self.actions {
            out.push_str(&format!(
                "{} {}{}\n",
                a.call,
                a.group_id,
                a.group_name
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ));
            for f in &a.findings {
                out.push_str(&format!("  because {}: {}\n", f.rule, f.message));
            }
            for p in &a.sdk_permissions {
                out.push_str(&format!("  - {}\n", describe_permission(p)));
            }
        }
        out
    }
}

fn describe_permission(p: &IpPermission) -> String {
    let proto = p.ip_protocol().unwrap_or("?");
    let ports = match (p.from_port(), p.to_port()) {
        _ if proto == "-1" => "all ports".to_string(),
        (Some(f), Some(t)) if f == t => format!("port {f}"),
        (Some(f), Some(t)) => format!("ports {f}-{t}"),
        _ => "all ports".to_string(),
    };
    let mut sources: Vec<String> = p
        .ip_ranges()
        .iter()
        .filter_map(|r| r.cidr_ip().map(str::to_string))
        .collect();
    sources.extend(
        p.ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6().map(str::to_string)),
    );
    sources.extend(
        p.user_id_group_pairs()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string)),
    );
    sources.extend(
        p.prefix_list_ids()
            .iter()
            .filter_map(|g| g.prefix_list_id().map(str::to_string)),
    );
    format!(
        "{} {ports} {}",
        if proto == "-1" {
            "all protocols"
        } else {
            proto
        },
        sources.join(", ")
    )
}

/// A live permission as it must be named to revoke it exactly (without the descriptions,
/// which revocation does not match on).
fn exact(p: &IpPermission) -> IpPermission {
    let mut b = IpPermission::builder()
        .set_ip_protocol(p.ip_protocol().map(str::to_string))
        .set_from_port(p.from_port())
        .set_to_port(p.to_port());
    for r in p.ip_ranges() {
        b = b.ip_ranges(
            IpRange::builder()
                .set_cidr_ip(r.cidr_ip().map(str::to_string))
                .build(),
        );
    }
    for r in p.ipv6_ranges() {
        b = b.ipv6_ranges(
            Ipv6Range::builder()
                .set_cidr_ipv6(r.cidr_ipv6().map(str::to_string))
                .build(),
        );
    }
    for g in p.user_id_group_pairs() {
        b = b.user_id_group_pairs(
            aws_sdk_ec2::types::UserIdGroupPair::builder()
                .set_group_id(g.group_id().map(str::to_string))
                .set_user_id(g.user_id().map(str::to_string))
                .build(),
        );
    }
    for l in p.prefix_list_ids() {
        b = b.prefix_list_ids(
            aws_sdk_ec2::types::PrefixListId::builder()
                .set_prefix_list_id(l.prefix_list_id().map(str::to_string))
                .build(),
        );
    }
    b.build()
}

async fn describe_groups(
    clients: &Clients,
    group_ids: &[String],
) -> Result<Vec<SecurityGroup>, AwsError> {
    let mut call = clients.ec2.describe_security_groups();
    if !group_ids.is_empty() {
        call = call.set_group_ids(Some(group_ids.to_vec()));
    }
    let pages = call
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for g in pages {
        out.push(g.map_err(|e| call_error("ec2", "DescribeSecurityGroups", &e))?);
    }
    Ok(out)
}

/// Reads the groups (all of the Region's, or `group_ids`), evaluates the three rules (with
/// `params`) and plans the revocations, within `options`.
pub async fn plan(
    clients: &Clients,
    controls: &dyn Controls,
    group_ids: &[String],
    params: &BTreeMap<String, BTreeMap<String, Value>>,
    options: &PlanOptions,
) -> Result<Plan, AwsError> {
    let account_id = clients.account_id().await?;
    let ctx = Ec2Context {
        account_id: account_id.clone(),
        region: clients.region.clone(),
        capture_time: crate::now_rfc3339(),
    };
    let mut groups = describe_groups(clients, group_ids).await?;
    // The cap keeps the first groups by id, whatever order EC2 answers in.
    groups.sort_by(|a, b| a.group_id().cmp(&b.group_id()));
    let mut inventory = Inventory::new();
    let mut before = BTreeMap::new();
    let mut unreadable = Vec::new();
    for g in &groups {
        let Some(item) = convert::security_group(&ctx, g) else {
            continue;
        };
        let source = Source {
            format: "ec2-api".into(),
            file: Some("ec2:DescribeSecurityGroups".into()),
            index: None,
        };
        // A group that cannot be read is reported and left alone; the others go on.
        match ward_import::resource_from_item(item, source) {
            Ok(resource) => {
                before.insert(
                    resource.resource_id.clone(),
                    resource.configuration.to_value(),
                );
                inventory.insert(resource);
            }
            Err(d) => unreadable.push(Skipped {
                group_id: g.group_id().unwrap_or_default().to_string(),
                reason: format!("Ward could not read the group: {}", d.message),
                rules: Vec::new(),
                error: true,
            }),
        }
    }
    let rules: Vec<String> = RULES
        .iter()
        .filter(|r| controls.rules().iter().any(|i| i.id == **r))
        .filter(|r| {
            options
                .rules
                .as_ref()
                .is_none_or(|only| only.iter().any(|o| o == *r))
        })
        .map(|r| r.to_string())
        .collect();
    let limits = options;
    let options = EvalOptions {
        as_of: None,
        params: params
            .iter()
            .filter(|(k, _)| rules.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        only: Some(rules.iter().cloned().collect()),
        ..EvalOptions::default()
    };
    let mut actions = Vec::new();
    let mut skipped = unreadable;
    let mut changed = 0usize;
    for g in &groups {
        let Some(id) = g.group_id() else { continue };
        let Some(resource) = inventory.get("AWS::EC2::SecurityGroup", id).cloned() else {
            continue;
        };
        // One group's planning failure is reported for it; the others are planned.
        let revocations = match plan_group(g, resource, controls, &options) {
            Ok(revocations) => revocations,
            Err(e) => {
                skipped.push(Skipped {
                    group_id: id.to_string(),
                    reason: format!("Ward could not plan its fix: {e}"),
                    rules: Vec::new(),
                    error: true,
                });
                continue;
            }
        };
        if revocations.ingress.is_empty() && revocations.egress.is_empty() {
            continue;
        }
        let failing: Vec<String> = {
            let mut r: Vec<String> = revocations
                .why_ingress
                .iter()
                .chain(&revocations.why_egress)
                .map(|w| w.rule.clone())
                .collect();
            r.sort();
            r.dedup();
            r
        };
        let opted_out = limits.opt_out_tag.as_ref().and_then(|key| {
            g.tags()
                .iter()
                .find(|t| t.key() == Some(key.as_str()))
                .map(|t| (key, t.value().unwrap_or_default()))
        });
        if let Some((key, value)) = opted_out {
            skipped.push(Skipped {
                group_id: id.to_string(),
                reason: format!("opted out by its tag {key}={value}"),
                rules: failing,
                error: false,
            });
            continue;
        }
        if limits.max_groups.is_some_and(|max| changed >= max) {
            skipped.push(Skipped {
                group_id: id.to_string(),
                reason: format!(
                    "the cap of {} group(s) changed per run was reached",
                    limits.max_groups.unwrap_or_default()
                ),
                rules: failing,
                error: false,
            });
            continue;
        }
        changed += 1;
        for (call, perms, why) in [
            (
                "RevokeSecurityGroupIngress",
                revocations.ingress,
                revocations.why_ingress,
            ),
            (
                "RevokeSecurityGroupEgress",
                revocations.egress,
                revocations.why_egress,
            ),
        ] {
            if perms.is_empty() {
                continue;
            }
            actions.push(Action {
                group_id: id.to_string(),
                group_name: g.group_name().map(str::to_string),
                vpc_id: g.vpc_id().map(str::to_string),
                call: call.to_string(),
                findings: why,
                permissions: perms.iter().map(convert::ip_permission).collect(),
                sdk_permissions: perms,
            });
        }
    }
    Ok(Plan {
        region: clients.region.clone(),
        account_id,
        actions,
        skipped,
        before,
    })
}

/// What one group's plan revokes, and the findings that call for it.
#[derive(Debug, Default)]
struct Revocations {
    ingress: Vec<IpPermission>,
    egress: Vec<IpPermission>,
    why_ingress: Vec<PlannedFinding>,
    why_egress: Vec<PlannedFinding>,
}

/// IPv4 or IPv6: which list of a permission a source is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    V4,
    V6,
}

/// The source an evidence entry names, if it names one (protocol and port entries do not).
fn evidenced_source(e: &Evidence) -> Option<SourceRef> {
    let rest = e.path.strip_prefix("configuration.ipPermissions[")?;
    let (index, rest) = rest.split_once(']')?;
    let index: usize = index.parse().ok()?;
    let within = |list: &str, end: &str| rest.starts_with(list) && rest.ends_with(end);
    let family = if within(".ipRanges[", "]") || within(".ipv4Ranges[", "].cidrIp") {
        Family::V4
    } else if within(".ipv6Ranges[", "].cidrIpv6") {
        Family::V6
    } else {
        return None;
    };
    let cidr = e.value.as_str()?;
    // The remedy revokes world-open sources only: a pack whose rule names another source as
    // evidence gets no revocation of it (and, if the group still fails, a plan error).
    (cidr == "0.0.0.0/0" || cidr == "::/0").then(|| (index, family, cidr.to_string()))
}

/// Plans the revocations of one group from its failing findings, then checks them by
/// evaluating the group as it would be after; evidence of what still fails extends the plan.
fn plan_group(
    g: &SecurityGroup,
    mut resource: Resource,
    controls: &dyn Controls,
    options: &EvalOptions,
) -> Result<Revocations, AwsError> {
    let id = g.group_id().unwrap_or_default();
    let fail = |message: String| AwsError::Remediation(format!("security group {id}: {message}"));
    let mut sources: BTreeSet<SourceRef> = BTreeSet::new();
    let mut everything = false;
    let mut why: Vec<PlannedFinding> = Vec::new();
    // Each round adds at least one source (or everything), or stops.
    let rounds = 2 + g
        .ip_permissions()
        .iter()
        .map(|p| p.ip_ranges().len() + p.ipv6_ranges().len())
        .sum::<usize>();
    for _ in 0..rounds {
        let mut inventory = Inventory::new();
        inventory.insert(resource.clone());
        let evaluation = controls.evaluate(&inventory, options)?;
        let failing: Vec<&Finding> = evaluation
            .findings
            .iter()
            .filter(|f| f.resource.id == id && f.status == Status::NonCompliant)
            .collect();
        if failing.is_empty() {
            return Ok(revocations(g, &sources, everything, why));
        }
        let known = (sources.len(), everything);
        for f in &failing {
            if !why.iter().any(|w| w.rule == f.rule) {
                why.push(PlannedFinding {
                    rule: f.rule.clone(),
                    message: f.message.clone(),
                });
            }
            match remedy(&f.rule) {
                Some(Remedy::Everything) => everything = true,
                Some(Remedy::EvidencedSources) => {
                    for source in f.evidence.iter().filter_map(evidenced_source) {
                        let (index, family, cidr) = &source;
                        let live = g.ip_permissions().get(*index);
                        if !live.is_some_and(|p| has_source(p, *family, cidr)) {
                            return Err(fail(format!(
                                "the evidence of {} names source {cidr} of ingress permission {index}, which the group as read does not have",
                                f.rule
                            )));
                        }
                        sources.insert(source);
                    }
                }
                None => {}
            }
        }
        if (sources.len(), everything) == known {
            let still: Vec<String> = failing
                .iter()
                .map(|f| format!("{}: {}", f.rule, f.message))
                .collect();
            return Err(fail(format!(
                "the failing findings' evidence names nothing more to revoke, and the group would still fail: {}",
                still.join("; ")
            )));
        }
        resource.configuration =
            after_revocation(resource.configuration.to_value(), &sources, everything).into();
    }
    Err(fail(format!(
        "the plan still fails after {rounds} rounds of revocations"
    )))
}

fn has_source(p: &IpPermission, family: Family, cidr: &str) -> bool {
    match family {
        Family::V4 => p.ip_ranges().iter().any(|r| r.cidr_ip() == Some(cidr)),
        Family::V6 => p.ipv6_ranges().iter().any(|r| r.cidr_ipv6() == Some(cidr)),
    }
}

/// The group's configuration once `sources` (or, with `everything`, every permission) are
/// revoked. Permissions keep their places, so the indexes in evidence stay valid.
fn after_revocation(
    configuration: Value,
    sources: &BTreeSet<SourceRef>,
    everything: bool,
) -> Value {
    let mut out = configuration;
    if everything {
        for key in ["ipPermissions", "ipPermissionsEgress"] {
            if let Some(list) = out.get_mut(key).and_then(Value::as_array_mut) {
                list.clear();
            }
        }
        return out;
    }
    let Some(perms) = out.get_mut("ipPermissions").and_then(Value::as_array_mut) else {
        return out;
    };
    for (index, family, cidr) in sources {
        let Some(p) = perms.get_mut(*index).and_then(Value::as_object_mut) else {
            continue;
        };
        let lists: &[(&str, Option<&str>)] = match family {
            Family::V4 => &[("ipRanges", None), ("ipv4Ranges", Some("cidrIp"))],
            Family::V6 => &[("ipv6Ranges", Some("cidrIpv6"))],
        };
        for (list, field) in lists {
            if let Some(items) = p.get_mut(*list).and_then(Value::as_array_mut) {
                items.retain(|item| {
                    let value = match field {
                        Some(f) => item.get(*f),
                        None => Some(item),
                    };
                    value.and_then(Value::as_str) != Some(cidr.as_str())
                });
            }
        }
    }
    out
}

/// The calls' permissions: each evidenced permission's protocol and ports with the evidenced
/// sources only; with `everything`, every permission whole (it supersedes the parts).
fn revocations(
    g: &SecurityGroup,
    sources: &BTreeSet<SourceRef>,
    everything: bool,
    why: Vec<PlannedFinding>,
) -> Revocations {
    let ingress: Vec<IpPermission> = if everything {
        g.ip_permissions().iter().map(exact).collect()
    } else {
        g.ip_permissions()
            .iter()
            .enumerate()
            .filter_map(|(index, p)| evidenced_part(p, index, sources))
            .collect()
    };
    let egress: Vec<IpPermission> = if everything {
        g.ip_permissions_egress().iter().map(exact).collect()
    } else {
        Vec::new()
    };
    let why_egress = match egress.is_empty() {
        true => Vec::new(),
        false => why
            .iter()
            .filter(|w| remedy(&w.rule) == Some(Remedy::Everything))
            .cloned()
            .collect(),
    };
    Revocations {
        why_ingress: if ingress.is_empty() { Vec::new() } else { why },
        ingress,
        egress,
        why_egress,
    }
}

/// Permission `index` of the group, with only the sources of `sources` it holds.
fn evidenced_part(
    p: &IpPermission,
    index: usize,
    sources: &BTreeSet<SourceRef>,
) -> Option<IpPermission> {
    let named = |family: Family| {
        sources
            .iter()
            .filter(move |(i, f, _)| *i == index && *f == family)
            .map(|(_, _, c)| c.clone())
    };
    let v4: Vec<IpRange> = named(Family::V4)
        .map(|c| IpRange::builder().cidr_ip(c).build())
        .collect();
    let v6: Vec<Ipv6Range> = named(Family::V6)
        .map(|c| Ipv6Range::builder().cidr_ipv6(c).build())
        .collect();
    if v4.is_empty() && v6.is_empty() {
        return None;
    }
    Some(
        IpPermission::builder()
            .set_ip_protocol(p.ip_protocol().map(str::to_string))
            .set_from_port(p.from_port())
            .set_to_port(p.to_port())
            .set_ip_ranges((!v4.is_empty()).then_some(v4))
            .set_ipv6_ranges((!v6.is_empty()).then_some(v6))
            .build(),
    )
}

/// Carries out the plan and returns the evidence: the plan, each call's result, and every
/// planned group before and after.
pub async fn apply(clients: &Clients, plan: &Plan) -> Result<Value, AwsError> {
    let started = crate::now_rfc3339();
    let mut results = Vec::new();
    let mut failed = 0usize;
    for a in &plan.actions {
        let outcome = if a.call == "RevokeSecurityGroupEgress" {
            clients
                .ec2
                .revoke_security_group_egress()
                .group_id(&a.group_id)
                .set_ip_permissions(Some(a.sdk_permissions.clone()))
                .send()
                .await
                .map(|o| (o.r#return(), o.unknown_ip_permissions().len()))
                .map_err(|e| call_error("ec2", "RevokeSecurityGroupEgress", &e))
        } else {
            clients
                .ec2
                .revoke_security_group_ingress()
                .group_id(&a.group_id)
                .set_ip_permissions(Some(a.sdk_permissions.clone()))
                .send()
                .await
                .map(|o| (o.r#return(), o.unknown_ip_permissions().len()))
                .map_err(|e| call_error("ec2", "RevokeSecurityGroupIngress", &e))
        };
        let result = match outcome {
            Ok((Some(false), _)) => {
                failed += 1;
                json!({"status": "failed", "message": "EC2 answered Return=false"})
            }
            // EC2 lists the permissions it did not find instead of failing the call.
            Ok((_, unknown)) if unknown > 0 => {
                failed += 1;
                json!({"status": "failed", "message": format!("EC2 did not find {unknown} of the permissions to revoke (UnknownIpPermissions): the group changed since it was read")})
            }
            Ok(_) => json!({"status": "ok"}),
            Err(e) => {
                failed += 1;
                json!({"status": "failed", "message": e.to_string()})
            }
        };
        results.push(json!({
            "call": a.call,
            "groupId": a.group_id,
            "permissions": a.permissions,
            "findings": a.findings,
            "result": result,
        }));
    }
    let ids: Vec<String> = {
        let mut ids: Vec<String> = plan.actions.iter().map(|a| a.group_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    // The calls are made: reading the groups again can fail, but the evidence of what was
    // done is kept whatever happens (the failure is recorded in its place).
    let mut after: BTreeMap<String, Value> = BTreeMap::new();
    let mut after_error = None;
    if !ids.is_empty() {
        let ctx = Ec2Context {
            account_id: plan.account_id.clone(),
            region: plan.region.clone(),
            capture_time: crate::now_rfc3339(),
        };
        match describe_groups(clients, &ids).await {
            Ok(groups) => {
                for g in groups {
                    if let Some(item) = convert::security_group(&ctx, &g) {
                        let source = Source::default();
                        if let Ok(r) = ward_import::resource_from_item(item, source) {
                            after.insert(r.resource_id, r.configuration.to_value());
                        }
                    }
                }
            }
            Err(e) => after_error = Some(e.to_string()),
        }
    }
    let before: BTreeMap<&String, &Value> = plan
        .before
        .iter()
        .filter(|(k, _)| ids.contains(k))
        .collect();
    Ok(json!({
        "wardRemediation": "1",
        "tool": concat!("ward remediate ", env!("CARGO_PKG_VERSION")),
        "accountId": plan.account_id,
        "region": plan.region,
        "startedAt": started,
        "finishedAt": crate::now_rfc3339(),
        "complete": failed == 0,
        "actions": results,
        "skipped": plan.skipped,
        "afterReadError": after_error,
        "before": before,
        "after": after,
    }))
}

/// The remediation a Config rule event asks for: `None` when its parameter `wardRemediate`
/// is absent or `false`. A value Ward does not read, or remediation asked of a Config rule
/// that runs none of [`RULES`], is an error: never a silent no.
pub fn event_options(
    event: &RuleEvent,
    plan: &config_rule::Plan,
) -> Result<Option<PlanOptions>, AwsError> {
    let text = |key: &str| {
        event.rule_parameters.get(key).map(|v| match v {
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        })
    };
    let Some(on) = text(REMEDIATE_PARAM) else {
        return Ok(None);
    };
    match on.to_ascii_lowercase().as_str() {
        "true" => {}
        "false" => return Ok(None),
        _ => {
            return Err(AwsError::Param(format!(
                "the rule parameter `{REMEDIATE_PARAM}` is `{on}`: give `true` or `false`"
            )));
        }
    }
    let rules: Vec<String> = plan
        .rules
        .iter()
        .filter(|r| RULES.contains(&r.as_str()))
        .cloned()
        .collect();
    if rules.is_empty() {
        return Err(AwsError::Param(format!(
            "the rule parameter `{REMEDIATE_PARAM}` is true, but this Config rule runs {}, which Ward does not remediate (it remediates {})",
            plan.rules.join(", "),
            RULES.join(", ")
        )));
    }
    let max_groups = match text(MAX_GROUPS_PARAM) {
        None => DEFAULT_MAX_GROUPS,
        Some(t) => t.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            AwsError::Param(format!(
                "the rule parameter `{MAX_GROUPS_PARAM}` is `{t}`: give a whole number of groups, at least 1"
            ))
        })?,
    };
    let opt_out_tag = match text(OPT_OUT_TAG_PARAM) {
        None => DEFAULT_OPT_OUT_TAG.to_string(),
        Some(t) if t.is_empty() || t.chars().count() > 128 => {
            return Err(AwsError::Param(format!(
                "the rule parameter `{OPT_OUT_TAG_PARAM}` is `{t}`: give a tag key (1 to 128 characters)"
            )));
        }
        Some(t) => t,
    };
    Ok(Some(PlanOptions {
        opt_out_tag: Some(opt_out_tag),
        max_groups: Some(max_groups),
        rules: Some(rules),
    }))
}

/// What remediation did for one Config rule event.
#[derive(Debug, Clone)]
pub struct EventRemediation {
    /// Counts and the groups left alone, for the invocation's result.
    pub summary: Value,
    /// What [`apply`] recorded (the plan, each call's result, before and after); `None`
    /// when no call was made.
    pub evidence: Option<Value>,
}

/// Revokes what makes the evaluated security groups fail, after the evaluation: the
/// `NON_COMPLIANT` groups of `evaluations` are read again and planned ([`plan`], within
/// `options`), the plan is carried out ([`apply`]), and each of those evaluations'
/// annotations starts with what was done to its group (revoked, failed, skipped, or
/// nothing: the group as read now passes). A failed call is reported, never retried
/// here; nothing is done before the evaluation or to a group it did not find failing.
pub async fn remediate_evaluations(
    clients: &Clients,
    controls: &dyn Controls,
    event_plan: &config_rule::Plan,
    options: &PlanOptions,
    evaluations: &mut [ConfigEvaluation],
) -> EventRemediation {
    let mut targets: Vec<String> = evaluations
        .iter()
        .filter(|e| {
            e.compliance_resource_type == "AWS::EC2::SecurityGroup"
                && e.compliance_type == "NON_COMPLIANT"
        })
        .map(|e| e.compliance_resource_id.clone())
        .collect();
    targets.sort();
    targets.dedup();
    if targets.is_empty() {
        return EventRemediation {
            summary: json!({"groups": 0, "calls": 0, "failed": 0, "skipped": []}),
            evidence: None,
        };
    }
    let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let outcome = async {
        let planned = plan(clients, controls, &targets, &event_plan.params, options).await?;
        let evidence = match planned.actions.is_empty() {
            true => None,
            false => Some(apply(clients, &planned).await?),
        };
        Ok::<_, AwsError>((planned, evidence))
    }
    .await;
    let (planned, evidence) = match outcome {
        Ok(done) => done,
        Err(e) => {
            for evaluation in evaluations
                .iter_mut()
                .filter(|ev| targets.contains(&ev.compliance_resource_id))
            {
                prepend(evaluation, &format!("Ward did not remediate: {e}"));
            }
            return EventRemediation {
                summary: json!({"groups": targets.len(), "calls": 0, "failed": 0, "skipped": [], "error": e.to_string()}),
                evidence: None,
            };
        }
    };
    let mut failed = 0usize;
    let results = evidence
        .as_ref()
        .and_then(|e| e.get("actions"))
        .and_then(Value::as_array);
    for (action, result) in planned.actions.iter().zip(results.into_iter().flatten()) {
        let direction = match action.call.as_str() {
            "RevokeSecurityGroupEgress" => "egress",
            _ => "ingress",
        };
        let what: Vec<String> = action
            .sdk_permissions
            .iter()
            .map(describe_permission)
            .collect();
        let note = match result.pointer("/result/status").and_then(Value::as_str) {
            Some("ok") => format!("Ward revoked {direction} {}", what.join("; ")),
            _ => {
                failed += 1;
                // "failed" first: the annotation is cut to 256 characters.
                format!(
                    "Ward's revocation failed for {direction} {}: {}",
                    what.join("; "),
                    result
                        .pointer("/result/message")
                        .and_then(Value::as_str)
                        .unwrap_or("no answer")
                )
            }
        };
        notes.entry(action.group_id.clone()).or_default().push(note);
    }
    for s in &planned.skipped {
        notes
            .entry(s.group_id.clone())
            .or_default()
            .push(format!("Ward did not remediate: {}", s.reason));
    }
    for e in evaluations.iter_mut() {
        if !targets.contains(&e.compliance_resource_id) {
            continue;
        }
        let note = match notes.get(&e.compliance_resource_id) {
            Some(n) => n.join("; "),
            None => "Ward did not remediate: the group as read now passes".to_string(),
        };
        prepend(e, &note);
    }
    EventRemediation {
        summary: json!({
            "groups": targets.len(),
            "calls": planned.actions.len(),
            "failed": failed,
            "skipped": planned.skipped,
        }),
        evidence,
    }
}

/// Writes remediation evidence (a JSON document) to `s3://bucket/key`.
pub async fn put_evidence(
    clients: &Clients,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<(), AwsError> {
    clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(body.into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| call_error("s3", "PutObject", &e))
}

/// Puts `note` before the evaluation's annotation (cut to Config's limit).
fn prepend(e: &mut ConfigEvaluation, note: &str) {
    let text = match &e.annotation {
        Some(a) if !a.is_empty() => format!("{note}. Was: {a}"),
        _ => note.to_string(),
    };
    e.annotation = Some(config_rule::annotation(&text, note));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(path: &str, value: Value) -> Evidence {
        Evidence {
            path: path.to_string(),
            value: value.into(),
            absent: false,
        }
    }

    #[test]
    fn evidence_names_sources_by_permission_and_family() {
        let named = |path: &str| evidenced_source(&evidence(path, json!("0.0.0.0/0")));
        let named_v6 = evidenced_source(&evidence(
            "configuration.ipPermissions[1].ipv6Ranges[0].cidrIpv6",
            json!("::/0"),
        ));
        assert_eq!(named_v6, Some((1, Family::V6, "::/0".into())));
        assert_eq!(
            named("configuration.ipPermissions[3].ipRanges[0]"),
            Some((3, Family::V4, "0.0.0.0/0".into()))
        );
        assert_eq!(
            named("configuration.ipPermissions[0].ipv4Ranges[1].cidrIp"),
            Some((0, Family::V4, "0.0.0.0/0".into()))
        );
        for other in [
            "configuration.ipPermissions[1].fromPort",
            "configuration.ipPermissions[1].ipProtocol",
            "configuration.ipPermissionsEgress[0].ipRanges[0]",
            "configuration.ipPermissions[x].ipRanges[0]",
            "configuration.ipPermissions[1].userIdGroupPairs[0].groupId",
        ] {
            assert_eq!(named(other), None, "{other}");
        }
        let not_text = evidenced_source(&evidence(
            "configuration.ipPermissions[0].ipRanges[0]",
            json!(1),
        ));
        assert_eq!(not_text, None);
    }

    #[test]
    fn after_revocation_keeps_places_and_other_sources() {
        let config = json!({"ipPermissions": [
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
             "ipRanges": ["0.0.0.0/0", "10.0.0.0/8"],
             "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.0.0.0/8"}],
             "ipv6Ranges": [{"cidrIpv6": "::/0"}]},
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": ["0.0.0.0/0"]}
        ], "ipPermissionsEgress": [{"ipProtocol": "-1"}]});
        let sources: BTreeSet<SourceRef> = [
            (0, Family::V4, "0.0.0.0/0".to_string()),
            (0, Family::V6, "::/0".to_string()),
        ]
        .into();
        let after = after_revocation(config.clone(), &sources, false);
        assert_eq!(
            after["ipPermissions"][0],
            json!({"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                "ipRanges": ["10.0.0.0/8"], "ipv4Ranges": [{"cidrIp": "10.0.0.0/8"}], "ipv6Ranges": []})
        );
        assert_eq!(after["ipPermissions"][1], config["ipPermissions"][1]);
        let closed = after_revocation(config, &BTreeSet::new(), true);
        assert_eq!(closed["ipPermissions"], json!([]));
        assert_eq!(closed["ipPermissionsEgress"], json!([]));
    }
}
