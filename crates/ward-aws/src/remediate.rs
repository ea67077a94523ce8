//! `ward remediate`: revoke exactly the security-group rules that make `restricted-ssh`,
//! `restricted-common-ports` and `vpc-default-security-group-closed` fail.
//!
//! The groups are read live (`DescribeSecurityGroups`), converted to Config items and
//! evaluated by the same rules as `ward check`; for each failing group the plan lists the
//! permissions to revoke, built from the live group:
//! - `restricted-ssh` / `restricted-common-ports`: each ingress permission that admits TCP
//!   to port 22 / a blocked port (protocol `tcp`, `6` or `-1`, a port range covering it),
//!   with only its world sources (`0.0.0.0/0`, `::/0`): other sources of the same
//!   permission stay;
//! - `vpc-default-security-group-closed`: every ingress and egress permission of the
//!   default group.
//!
//! [`apply`] sends one `RevokeSecurityGroupIngress` (and `...Egress`) per group, then reads
//! the group again and records before and after as evidence.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, SecurityGroup};
use serde::Serialize;
use serde_json::{Value, json};
use ward_backend::EvalOptions;
use ward_model::{Inventory, Source, Status};

use crate::AwsError;
use crate::client::Clients;
use crate::config_rule::Controls;
use crate::convert::{self, Ec2Context};
use crate::retry::call_error;

/// The rules whose findings `ward remediate` fixes.
pub const RULES: [&str; 3] = [
    "restricted-ssh",
    "restricted-common-ports",
    "vpc-default-security-group-closed",
];

/// `restricted-common-ports`' default, when the rule does not say.
const DEFAULT_BLOCKED: [i64; 5] = [20, 21, 3389, 3306, 4333];

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
    /// Each planned group as read before any change (Config's `configuration`).
    #[serde(skip)]
    pub before: BTreeMap<String, Value>,
}

impl Plan {
    /// The plan for a person: one block per call.
    pub fn to_text(&self) -> String {
        if self.actions.is_empty() {
            return "nothing to remediate: no security group fails restricted-ssh, restricted-common-ports or vpc-default-security-group-closed\n".into();
        }
        let mut out = String::new();
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

fn is_world(cidr: &str) -> bool {
    cidr == "0.0.0.0/0" || cidr == "::/0"
}

fn admits_tcp_port(p: &IpPermission, port: i64) -> bool {
    let proto = p.ip_protocol().unwrap_or("-1").to_ascii_lowercase();
    match proto.as_str() {
        "-1" | "all" => true,
        "tcp" | "6" => match (p.from_port(), p.to_port()) {
            (None, _) => true,
            (Some(f), _) if f < 0 => true,
            (Some(f), None) => i64::from(f) == port,
            (Some(f), Some(t)) if t < 0 => port >= i64::from(f),
            (Some(f), Some(t)) => i64::from(f) <= port && port <= i64::from(t),
        },
        _ => false,
    }
}

/// The world-open part of `p` when it admits TCP to any of `ports`.
fn world_part(p: &IpPermission, ports: &[i64]) -> Option<IpPermission> {
    if !ports.iter().any(|port| admits_tcp_port(p, *port)) {
        return None;
    }
    let v4: Vec<IpRange> = p
        .ip_ranges()
        .iter()
        .filter(|r| r.cidr_ip().is_some_and(is_world))
        .map(|r| {
            IpRange::builder()
                .set_cidr_ip(r.cidr_ip().map(str::to_string))
                .build()
        })
        .collect();
    let v6: Vec<Ipv6Range> = p
        .ipv6_ranges()
        .iter()
        .filter(|r| r.cidr_ipv6().is_some_and(is_world))
        .map(|r| {
            Ipv6Range::builder()
                .set_cidr_ipv6(r.cidr_ipv6().map(str::to_string))
                .build()
        })
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
/// `params`) and plans the revocations.
pub async fn plan(
    clients: &Clients,
    controls: &dyn Controls,
    group_ids: &[String],
    params: &BTreeMap<String, BTreeMap<String, Value>>,
) -> Result<Plan, AwsError> {
    let account_id = clients.account_id().await?;
    let ctx = Ec2Context {
        account_id: account_id.clone(),
        region: clients.region.clone(),
        capture_time: crate::now_rfc3339(),
    };
    let groups = describe_groups(clients, group_ids).await?;
    let mut inventory = Inventory::new();
    let mut before = BTreeMap::new();
    for g in &groups {
        let Some(item) = convert::security_group(&ctx, g) else {
            continue;
        };
        let source = Source {
            format: "ec2-api".into(),
            file: Some("ec2:DescribeSecurityGroups".into()),
            index: None,
        };
        let resource = ward_import::resource_from_item(item, source).map_err(|d| {
            AwsError::Remediation(format!("a security group cannot be read: {}", d.message))
        })?;
        before.insert(resource.resource_id.clone(), resource.configuration.clone());
        inventory.insert(resource);
    }
    let rules: Vec<String> = RULES
        .iter()
        .filter(|r| controls.rules().iter().any(|i| i.id == **r))
        .map(|r| r.to_string())
        .collect();
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
    let evaluation = controls.evaluate(&inventory, &options)?;
    let blocked = blocked_ports(controls, params);
    let mut actions = Vec::new();
    for g in &groups {
        let Some(id) = g.group_id() else { continue };
        let failing: Vec<_> = evaluation
            .findings
            .iter()
            .filter(|f| f.resource.id == id && f.status == Status::NonCompliant)
            .collect();
        if failing.is_empty() {
            continue;
        }
        let mut ingress: Vec<IpPermission> = Vec::new();
        let mut egress: Vec<IpPermission> = Vec::new();
        let mut why_in = Vec::new();
        let mut why_out = Vec::new();
        for f in &failing {
            let note = PlannedFinding {
                rule: f.rule.clone(),
                message: f.message.clone(),
            };
            let planned: Vec<IpPermission> = match f.rule.as_str() {
                "restricted-ssh" => g
                    .ip_permissions()
                    .iter()
                    .filter_map(|p| world_part(p, &[22]))
                    .collect(),
                "restricted-common-ports" => g
                    .ip_permissions()
                    .iter()
                    .filter_map(|p| world_part(p, &blocked))
                    .collect(),
                "vpc-default-security-group-closed" => {
                    let out: Vec<IpPermission> =
                        g.ip_permissions_egress().iter().map(exact).collect();
                    if !out.is_empty() {
                        why_out.push(note.clone());
                        for p in out {
                            if !egress.contains(&p) {
                                egress.push(p);
                            }
                        }
                    }
                    g.ip_permissions().iter().map(exact).collect()
                }
                _ => Vec::new(),
            };
            if planned.is_empty() {
                continue;
            }
            why_in.push(note);
            for p in planned {
                if !ingress.contains(&p) {
                    ingress.push(p);
                }
            }
        }
        // The whole permission supersedes a world-only part of it (default group).
        let whole: Vec<IpPermission> = ingress
            .iter()
            .filter(|p| !ingress.iter().any(|q| q != *p && covers(q, p)))
            .cloned()
            .collect();
        for (call, perms, why) in [
            ("RevokeSecurityGroupIngress", whole, why_in),
            ("RevokeSecurityGroupEgress", egress, why_out),
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
        before,
    })
}

/// `q` revokes everything `p` does: same protocol and ports, and every source of `p`.
fn covers(q: &IpPermission, p: &IpPermission) -> bool {
    q.ip_protocol() == p.ip_protocol()
        && q.from_port() == p.from_port()
        && q.to_port() == p.to_port()
        && p.ip_ranges()
            .iter()
            .all(|r| q.ip_ranges().iter().any(|s| s.cidr_ip() == r.cidr_ip()))
        && p.ipv6_ranges().iter().all(|r| {
            q.ipv6_ranges()
                .iter()
                .any(|s| s.cidr_ipv6() == r.cidr_ipv6())
        })
}

/// `restricted-common-ports`' `blockedPorts`: the override, else the rule's default.
fn blocked_ports(
    controls: &dyn Controls,
    params: &BTreeMap<String, BTreeMap<String, Value>>,
) -> Vec<i64> {
    let given = params
        .get("restricted-common-ports")
        .and_then(|p| p.get("blockedPorts"))
        .cloned();
    let default = controls
        .rules()
        .iter()
        .find(|r| r.id == "restricted-common-ports")
        .and_then(|r| r.params.iter().find(|p| p.name == "blockedPorts"))
        .and_then(|p| p.default.clone());
    let ports = |v: &Value| -> Vec<i64> {
        match v {
            Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
            Value::String(s) => {
                let s = s.trim().trim_start_matches('[').trim_end_matches(']');
                s.split(',').filter_map(|p| p.trim().parse().ok()).collect()
            }
            _ => Vec::new(),
        }
    };
    given
        .or(default)
        .map(|v| ports(&v))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_BLOCKED.to_vec())
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
                .map(|o| o.r#return())
                .map_err(|e| call_error("ec2", "RevokeSecurityGroupEgress", &e))
        } else {
            clients
                .ec2
                .revoke_security_group_ingress()
                .group_id(&a.group_id)
                .set_ip_permissions(Some(a.sdk_permissions.clone()))
                .send()
                .await
                .map(|o| o.r#return())
                .map_err(|e| call_error("ec2", "RevokeSecurityGroupIngress", &e))
        };
        let result = match outcome {
            Ok(Some(false)) => {
                failed += 1;
                json!({"status": "failed", "message": "EC2 answered Return=false"})
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
    let mut after = BTreeMap::new();
    if !ids.is_empty() {
        let ctx = Ec2Context {
            account_id: plan.account_id.clone(),
            region: plan.region.clone(),
            capture_time: crate::now_rfc3339(),
        };
        for g in describe_groups(clients, &ids).await? {
            if let Some(item) = convert::security_group(&ctx, &g) {
                let source = Source::default();
                if let Ok(r) = ward_import::resource_from_item(item, source) {
                    after.insert(r.resource_id, r.configuration);
                }
            }
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
        "before": before,
        "after": after,
    }))
}
