//! `ward remediate --access-keys`: deactivate exactly the IAM access keys that make
//! `access-keys-rotated` and `iam-user-unused-credentials-check` fail (practice B5: a leaked
//! key is limited and quickly disabled).
//!
//! The credential report is read live (`GenerateCredentialReport`, `GetCredentialReport`),
//! its rows evaluated by the same rules as `ward check`, and the plan acts on the failing
//! findings only: the keys a finding's evidence names (`configuration.accessKeyNLastRotated`
//! or `configuration.accessKeyNLastUsedDate`, N = 1 or 2). The report numbers keys, IAM
//! names them by id: key N is the user's key (`ListAccessKeys`) whose `CreateDate` is the
//! report's `access_key_N_last_rotated` (IAM: "when the user's access key was created or last
//! changed"), to the second. A key that matches none, or more than one, is not touched and is
//! reported as an error for its user; so is a key the report calls active that IAM already
//! lists as inactive (nothing to do, said so).
//!
//! Ages are counted to the time of the run (the report can be up to four hours old; the
//! deactivation happens now).
//!
//! Deactivation (`UpdateAccessKey Status=Inactive`) is reversible and is what AWS's own
//! guidance does first with a key that may have leaked; Ward never deletes a key. The same
//! limits as for security groups apply ([`KeyPlanOptions`]): a user carrying the opt-out tag
//! is never changed, and at most `max_keys` keys are deactivated in one run.
//!
//! [`apply_keys`] makes the calls, then lists the users' keys again and records before and
//! after as evidence.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Value, json};
use ward_backend::EvalOptions;
use ward_model::{Evidence, Inventory, Json, Resource, Status};

use crate::AwsError;
use crate::client::Clients;
use crate::config_rule::Controls;
use crate::remediate::PlannedFinding;
use crate::retry::call_error;

/// The rules whose findings `ward remediate --access-keys` acts on.
pub const KEY_RULES: [&str; 2] = ["access-keys-rotated", "iam-user-unused-credentials-check"];

/// What limits a key plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPlanOptions {
    /// A tag key: a user carrying it (whatever its value) is never changed.
    pub opt_out_tag: Option<String>,
    /// At most this many keys are deactivated; the others are reported, not changed.
    pub max_keys: Option<usize>,
    /// Only these users (by name); empty: every user of the report.
    pub users: Vec<String>,
}

/// One deactivation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyAction {
    pub user_name: String,
    pub access_key_id: String,
    /// The credential report's number of the key (1 or 2).
    pub key: u8,
    pub create_date: String,
    /// The rules this fixes, with their findings' messages.
    pub findings: Vec<PlannedFinding>,
}

/// A user the plan would change but does not, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SkippedUser {
    pub user_name: String,
    pub reason: String,
    pub rules: Vec<String>,
    /// Ward could not plan the user's fix: a failure for that user only, reported.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub error: bool,
}

/// What `ward remediate --access-keys` would do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPlan {
    pub account_id: String,
    pub actions: Vec<KeyAction>,
    pub skipped: Vec<SkippedUser>,
    /// Each planned user's keys as listed before any change.
    #[serde(skip)]
    pub before: BTreeMap<String, Value>,
}

impl KeyPlan {
    /// The plan for a person: one line per key.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.skipped {
            if s.error {
                out.push_str(&format!("error: user {}: {}\n", s.user_name, s.reason));
            } else {
                out.push_str(&format!("skipped user {}: {}\n", s.user_name, s.reason));
            }
        }
        for a in &self.actions {
            out.push_str(&format!(
                "deactivate access key {} (key {} of user {}, created {})\n",
                a.access_key_id, a.key, a.user_name, a.create_date
            ));
            for f in &a.findings {
                out.push_str(&format!("  {}: {}\n", f.rule, f.message));
            }
        }
        if self.actions.is_empty() && self.skipped.is_empty() {
            out.push_str("nothing to do: no access key fails the rules\n");
        }
        out
    }
}

/// The key numbers a finding's evidence names.
fn evidenced_keys(evidence: &[Evidence]) -> Vec<u8> {
    let mut keys: Vec<u8> = evidence
        .iter()
        .filter_map(|e| {
            let rest = e.path.strip_prefix("configuration.accessKey")?;
            let (n, field) = rest.split_at(1);
            let n: u8 = n.parse().ok()?;
            ((n == 1 || n == 2) && (field == "LastRotated" || field == "LastUsedDate")).then_some(n)
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A credential report row and the user it names, or why Ward cannot tell whose keys they
/// are (a row missing, a `user` absent or not text).
fn report_user(row: Option<&Resource>) -> Result<(&Resource, &str), String> {
    let recorded = row.and_then(|r| r.configuration.get("user"));
    match (row, recorded) {
        (Some(row), Some(Json::String(user))) => Ok((row, user)),
        _ => Err(format!(
            "its credential report row names no user (configuration.user: {}), so Ward cannot tell whose keys to deactivate",
            recorded.map_or_else(|| "absent".to_string(), Json::to_string)
        )),
    }
}

/// `2024-03-14T18:06:02+00:00` and `2024-03-14T18:06:02Z` name the same second.
fn same_second(a: &str, b: &str) -> bool {
    match (a.parse::<jiff::Timestamp>(), b.parse::<jiff::Timestamp>()) {
        (Ok(a), Ok(b)) => a.as_second() == b.as_second(),
        _ => false,
    }
}

/// A user's keys as IAM lists them: (id, status, create date in RFC 3339).
async fn list_keys(
    clients: &Clients,
    user: &str,
) -> Result<Vec<(String, String, String)>, AwsError> {
    let out = clients
        .iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| call_error("iam", "ListAccessKeys", &e))?;
    Ok(out
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap_or_default().to_string(),
                k.status().map_or("", |s| s.as_str()).to_string(),
                k.create_date()
                    .and_then(crate::convert::time)
                    .unwrap_or_default(),
            )
        })
        .collect())
}

fn keys_json(keys: &[(String, String, String)]) -> Value {
    json!(
        keys.iter()
            .map(|(id, status, created)| json!({"accessKeyId": id, "status": status, "createDate": created}))
            .collect::<Vec<_>>()
    )
}

/// Reads the credential report, evaluates [`KEY_RULES`] (those `controls` has, with
/// `params`) and plans the deactivations, within `options`.
pub async fn plan_keys(
    clients: &Clients,
    controls: &dyn Controls,
    params: &BTreeMap<String, BTreeMap<String, Value>>,
    options: &KeyPlanOptions,
) -> Result<KeyPlan, AwsError> {
    let account_id = clients.account_id().await?;
    let rows = crate::collect::credential_report_resources(clients).await?;
    let mut inventory = Inventory::new();
    for r in rows {
        inventory.insert(r);
    }
    let rules: Vec<String> = KEY_RULES
        .iter()
        .filter(|r| controls.rules().iter().any(|i| i.id == **r))
        .map(|r| r.to_string())
        .collect();
    let evaluation = controls.evaluate(
        &inventory,
        &EvalOptions {
            // The keys are deactivated now: their ages are counted to now, not to the
            // report's generation time (up to four hours earlier).
            as_of: Some(crate::now_rfc3339()),
            params: params
                .iter()
                .filter(|(k, _)| rules.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            only: Some(rules.iter().cloned().collect()),
            ..EvalOptions::default()
        },
    )?;
    // Per user (in the order of the findings): its report row, the failing findings and the
    // keys they name.
    let mut failing: Vec<(String, &Resource, Vec<PlannedFinding>, Vec<u8>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut skipped = Vec::new();
    for f in &evaluation.findings {
        if f.status != Status::NonCompliant {
            continue;
        }
        let row = inventory.get(&f.resource.resource_type, &f.resource.id);
        let (row, user) = match report_user(row) {
            Ok(found) => found,
            // A failing row Ward cannot name a user for is said, never passed over.
            Err(reason) => {
                skipped.push(SkippedUser {
                    user_name: f.resource.id.clone(),
                    reason,
                    rules: vec![f.rule.clone()],
                    error: true,
                });
                continue;
            }
        };
        if !options.users.is_empty() && !options.users.iter().any(|u| u == user) {
            continue;
        }
        let keys = evidenced_keys(&f.evidence);
        if keys.is_empty() {
            // A console password, say: Ward deactivates keys, nothing else.
            continue;
        }
        let index = *at.entry(user.to_string()).or_insert_with(|| {
            failing.push((user.to_string(), row, Vec::new(), Vec::new()));
            failing.len() - 1
        });
        if let Some((_, _, findings, numbers)) = failing.get_mut(index) {
            findings.push(PlannedFinding {
                rule: f.rule.clone(),
                message: f.message.clone(),
            });
            numbers.extend(keys);
        }
    }
    let mut actions = Vec::new();
    let mut before = BTreeMap::new();
    for (user, row, findings, mut numbers) in failing {
        numbers.sort_unstable();
        numbers.dedup();
        let rules: Vec<String> = {
            let mut r: Vec<String> = findings.iter().map(|f| f.rule.clone()).collect();
            r.sort();
            r.dedup();
            r
        };
        let skip = |reason: String, error: bool| SkippedUser {
            user_name: user.clone(),
            reason,
            rules: rules.clone(),
            error,
        };
        if let Some(tag) = &options.opt_out_tag {
            let tags = clients
                .iam
                .list_user_tags()
                .user_name(&user)
                .send()
                .await
                .map_err(|e| call_error("iam", "ListUserTags", &e));
            match tags {
                Ok(t) => {
                    if let Some(found) = t.tags().iter().find(|t| t.key() == tag) {
                        skipped.push(skip(
                            format!("opted out by its tag {tag}={}", found.value()),
                            false,
                        ));
                        continue;
                    }
                }
                Err(e) => {
                    skipped.push(skip(format!("Ward could not read its tags: {e}"), true));
                    continue;
                }
            }
        }
        let keys = match list_keys(clients, &user).await {
            Ok(keys) => keys,
            Err(e) => {
                skipped.push(skip(format!("Ward could not list its keys: {e}"), true));
                continue;
            }
        };
        let mut planned = Vec::new();
        let mut problems = Vec::new();
        let mut done = Vec::new();
        for n in numbers {
            let rotated = row
                .configuration
                .get(&format!("accessKey{n}LastRotated"))
                .and_then(Json::as_str);
            let Some(rotated) = rotated else {
                problems.push(format!(
                    "the report gives no creation date for key {n}, so Ward cannot tell which key it is"
                ));
                continue;
            };
            let matching: Vec<&(String, String, String)> = keys
                .iter()
                .filter(|(_, _, created)| same_second(created, rotated))
                .collect();
            match matching.as_slice() {
                [(id, status, created)] if status == "Active" => planned.push(KeyAction {
                    user_name: user.clone(),
                    access_key_id: id.clone(),
                    key: n,
                    create_date: created.clone(),
                    findings: findings.clone(),
                }),
                [(id, status, _)] => done.push(format!(
                    "key {n} ({id}) is already {status} (the credential report can be up to 4 hours old)"
                )),
                [] => problems.push(format!(
                    "no key of the user was created at {rotated} (key {n} in the report): it was replaced since the report was made"
                )),
                _ => problems.push(format!(
                    "{} keys of the user were created at {rotated}: Ward cannot tell which is key {n}",
                    matching.len()
                )),
            }
        }
        if !problems.is_empty() {
            skipped.push(skip(problems.join("; "), true));
        }
        if !done.is_empty() {
            skipped.push(skip(done.join("; "), false));
        }
        if planned.is_empty() {
            continue;
        }
        let room = options
            .max_keys
            .map_or(usize::MAX, |max| max.saturating_sub(actions.len()));
        if room < planned.len() {
            skipped.push(skip(
                format!(
                    "the cap of {} key(s) deactivated per run was reached",
                    options.max_keys.unwrap_or_default()
                ),
                false,
            ));
            continue;
        }
        before.insert(user.clone(), keys_json(&keys));
        actions.extend(planned);
    }
    Ok(KeyPlan {
        account_id,
        actions,
        skipped,
        before,
    })
}

/// Deactivates the planned keys, then lists the users' keys again; the evidence records the
/// calls, their results, and each user's keys before and after.
pub async fn apply_keys(clients: &Clients, plan: &KeyPlan) -> Result<Value, AwsError> {
    use aws_sdk_iam::types::StatusType;
    let started = crate::now_rfc3339();
    let mut results = Vec::new();
    let mut failed = 0usize;
    for a in &plan.actions {
        let outcome = clients
            .iam
            .update_access_key()
            .user_name(&a.user_name)
            .access_key_id(&a.access_key_id)
            .status(StatusType::Inactive)
            .send()
            .await
            .map_err(|e| call_error("iam", "UpdateAccessKey", &e));
        let result = match outcome {
            Ok(_) => json!({"status": "ok"}),
            Err(e) => {
                failed += 1;
                json!({"status": "failed", "message": e.to_string()})
            }
        };
        results.push(json!({
            "call": "UpdateAccessKey",
            "userName": a.user_name,
            "accessKeyId": a.access_key_id,
            "status": "Inactive",
            "findings": a.findings,
            "result": result,
        }));
    }
    // The calls are made: listing the keys again can fail, but the evidence of what was done
    // is kept whatever happens (the failure is recorded in its place).
    let mut after = BTreeMap::new();
    let mut after_errors = BTreeMap::new();
    for user in plan.before.keys() {
        match list_keys(clients, user).await {
            Ok(keys) => {
                after.insert(user.clone(), keys_json(&keys));
            }
            Err(e) => {
                after_errors.insert(user.clone(), e.to_string());
            }
        }
    }
    Ok(json!({
        "wardRemediation": "1",
        "tool": concat!("ward remediate --access-keys ", env!("CARGO_PKG_VERSION")),
        "accountId": plan.account_id,
        "startedAt": started,
        "finishedAt": crate::now_rfc3339(),
        "complete": failed == 0,
        "actions": results,
        "skipped": plan.skipped,
        "afterReadErrors": after_errors,
        "before": plan.before,
        "after": after,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn evidence(paths: &[&str]) -> Vec<Evidence> {
        paths
            .iter()
            .map(|p| Evidence {
                path: p.to_string(),
                value: Value::Null.into(),
                absent: false,
            })
            .collect()
    }

    #[test]
    fn only_the_rotation_and_last_use_fields_name_a_key() {
        let f = evidence(&[
            "configuration.accessKey1Active",
            "configuration.accessKey2Active",
            "configuration.accessKey2LastRotated",
            "configuration.passwordLastUsed",
        ]);
        assert_eq!(evidenced_keys(&f), [2]);
        let f = evidence(&[
            "configuration.accessKey1LastUsedDate",
            "configuration.accessKey1LastRotated",
            "configuration.accessKey3LastRotated",
        ]);
        assert_eq!(evidenced_keys(&f), [1]);
    }

    #[test]
    fn a_row_without_a_user_name_is_an_error_that_says_what_was_recorded() {
        let row = |user: Value| {
            let mut r = Resource::new("Ward::IAM::CredentialReportUser", "row-1");
            r.configuration = serde_json::json!({"user": user}).into();
            r
        };
        let named = row(json!("leaky-ci"));
        assert_eq!(report_user(Some(&named)).map(|(_, u)| u), Ok("leaky-ci"));
        let numbered = row(json!(42));
        let err = report_user(Some(&numbered)).unwrap_err();
        assert!(err.contains("configuration.user: 42"), "{err}");
        let absent = row(Value::Null);
        let err = report_user(Some(&absent)).unwrap_err();
        assert!(err.contains("configuration.user: null"), "{err}");
        assert!(report_user(None).unwrap_err().contains("absent"));
    }

    #[test]
    fn report_and_iam_times_compare_by_the_second() {
        assert!(same_second(
            "2024-03-14T18:06:02+00:00",
            "2024-03-14T18:06:02Z"
        ));
        assert!(!same_second(
            "2024-03-14T18:06:02+00:00",
            "2024-03-14T18:06:03Z"
        ));
        assert!(!same_second("N/A", "2024-03-14T18:06:02Z"));
    }
}
