//! Resource-based policies of PHI-bearing resources (bucket and key policies): which
//! principals they name, and so which accounts can reach a resource at all.
//!
//! IAM's rule (policy evaluation logic, "cross-account policy evaluation"): a principal reaches
//! a resource of its own account when its identity policies **or** the resource's policy (naming
//! the principal itself) allow it; a resource of another account only when **both** allow it,
//! the resource's policy naming the principal, its account, or everyone.

use serde_json::Value;
use ward_model::{Json, Resource};

use crate::catalog::ActionCatalog;
use crate::policy::{self, Effect, Statement, StatementRef};

/// One entry of a statement's `Principal` (or `NotPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalPattern {
    /// `"*"` or `{"AWS": "*"}`: everyone, in every account.
    Anyone,
    /// `"123456789012"` or `arn:aws:iam::123456789012:root`: the account, which delegates
    /// to its own IAM policies.
    Account(String),
    /// The ARN of one role or user.
    Arn(String),
    /// A service, a federated or canonical-user principal: never an IAM role or user.
    Other,
}

impl PrincipalPattern {
    fn parse(text: &str) -> PrincipalPattern {
        if text == "*" {
            return PrincipalPattern::Anyone;
        }
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            return PrincipalPattern::Account(text.to_string());
        }
        if let Some(account) = text
            .strip_prefix("arn:aws:iam::")
            .or_else(|| text.strip_prefix("arn:aws-us-gov:iam::"))
            .or_else(|| text.strip_prefix("arn:aws-cn:iam::"))
            .and_then(|rest| rest.strip_suffix(":root"))
        {
            return PrincipalPattern::Account(account.to_string());
        }
        PrincipalPattern::Arn(text.to_string())
    }

    /// The account a pattern belongs to, when it names one.
    fn account(&self) -> Option<&str> {
        match self {
            PrincipalPattern::Account(a) => Some(a),
            PrincipalPattern::Arn(arn) => account_of_arn(arn),
            _ => None,
        }
    }
}

/// The account field of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`).
pub fn account_of_arn(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (!account.is_empty()).then_some(account)
}

/// How a statement's principals relate to one IAM principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Named {
    No,
    /// Through its account (the account root or id): within the account this delegates to IAM
    /// policies; from another account it admits the account's principals whose identity
    /// policies allow.
    ByAccount,
    /// The principal itself, or everyone.
    Directly,
}

/// The principals a resource-policy statement applies to.
#[derive(Debug, Clone)]
pub enum Principals {
    Listed(Vec<PrincipalPattern>),
    /// `NotPrincipal`: everyone but these.
    AllBut(Vec<PrincipalPattern>),
}

impl Principals {
    /// Whether the statement applies to the principal with this ARN and account.
    pub fn names(&self, arn: Option<&str>, account: Option<&str>) -> Named {
        let one = |p: &PrincipalPattern| match p {
            PrincipalPattern::Anyone => Named::Directly,
            PrincipalPattern::Arn(a) if Some(a.as_str()) == arn => Named::Directly,
            PrincipalPattern::Account(a) if Some(a.as_str()) == account => Named::ByAccount,
            _ => Named::No,
        };
        match self {
            Principals::Listed(list) => list.iter().map(one).max().unwrap_or(Named::No),
            Principals::AllBut(list) => {
                if list.iter().any(|p| one(p) != Named::No) {
                    Named::No
                } else {
                    Named::Directly
                }
            }
        }
    }
}

/// A statement of a resource-based policy: the IAM statement and whom it applies to.
#[derive(Debug, Clone)]
pub struct ResourceStatement {
    pub statement: Statement,
    pub principals: Principals,
}

impl ResourceStatement {
    /// Whether it can change a grant: an `Allow`, or a `Deny` without conditions (a
    /// conditional `Deny` removes nothing, [`Statement::covers_all`]).
    pub fn matters(&self) -> bool {
        self.statement.effect == Effect::Allow || !self.statement.conditional
    }
}

/// What the inventory says about a PHI resource's resource-based policy.
#[derive(Debug, Clone)]
pub enum ResourcePolicy {
    /// The service has no resource-based policy for it (RDS, EC2 instances and volumes):
    /// only principals of its own account can be granted access to it.
    Unsupported,
    /// The configuration item does not record the policy: Ward sees identity grants of the
    /// resource's own account only.
    NotRecorded,
    /// The recorded statements (none when the resource has no policy).
    Recorded(Vec<ResourceStatement>),
    /// Recorded, but Ward cannot read it.
    Unreadable(String),
}

impl ResourcePolicy {
    /// The policy of a PHI-bearing resource, from its configuration item: an S3 bucket's
    /// `supplementaryConfiguration.BucketPolicy.policyText` (null: no policy), a KMS key's
    /// `supplementaryConfiguration.Policy`. The resource policies of DynamoDB tables, EFS
    /// file systems, secrets, OpenSearch domains and Kinesis streams are not in Config items;
    /// RDS and EC2 have none.
    pub fn of(resource: &Resource, catalog: &ActionCatalog) -> ResourcePolicy {
        let supplementary = &resource.supplementary_configuration;
        let name = resource
            .resource_name
            .as_deref()
            .unwrap_or(&resource.resource_id);
        let (document, what, holder) = match resource.resource_type.as_str() {
            "AWS::RDS::DBInstance"
            | "AWS::RDS::DBCluster"
            | "AWS::RDS::DBSnapshot"
            | "AWS::EC2::Instance"
            | "AWS::EC2::Volume" => {
                return ResourcePolicy::Unsupported;
            }
            "AWS::S3::Bucket" => {
                let Some(recorded) = supplementary.get("BucketPolicy") else {
                    return ResourcePolicy::NotRecorded;
                };
                let recorded = decoded(recorded);
                let text = match &recorded {
                    Value::Object(o) => o.get("policyText").cloned().unwrap_or(Value::Null),
                    Value::Null => Value::Null,
                    other => {
                        return ResourcePolicy::Unreadable(format!(
                            "the bucket policy of {name} is recorded as {other}"
                        ));
                    }
                };
                (
                    decoded_value(text),
                    "bucket policy",
                    format!("bucket/{name}"),
                )
            }
            "AWS::KMS::Key" => {
                let Some(recorded) = supplementary.get("Policy") else {
                    return ResourcePolicy::NotRecorded;
                };
                (decoded(recorded), "key policy", format!("key/{name}"))
            }
            _ => return ResourcePolicy::NotRecorded,
        };
        if document.is_null() {
            return ResourcePolicy::Recorded(Vec::new());
        }
        let source = StatementRef {
            kind: "resource",
            policy: format!("the {what} of {name}"),
            attached_to: holder,
            index: 0,
            sid: None,
        };
        match parse(&document, catalog, &source) {
            Ok(statements) => ResourcePolicy::Recorded(statements),
            Err(e) => ResourcePolicy::Unreadable(format!("the {what} of {name}: {e}")),
        }
    }

    /// The role and user ARNs an `Allow` of the policy names.
    pub fn allowed_arns(&self) -> Vec<&str> {
        let ResourcePolicy::Recorded(statements) = self else {
            return Vec::new();
        };
        statements
            .iter()
            .filter(|s| s.statement.effect == Effect::Allow)
            .filter_map(|s| match &s.principals {
                Principals::Listed(list) => Some(list),
                Principals::AllBut(_) => None,
            })
            .flatten()
            .filter_map(|p| match p {
                PrincipalPattern::Arn(arn) => Some(arn.as_str()),
                _ => None,
            })
            .collect()
    }

    /// How the policy of a resource of account `own` bears on the principals of that
    /// account: when it treats all of them alike but those it names by ARN, the ARNs it names
    /// in statements that can change a grant (an `Allow`, a `Deny` without conditions), each
    /// once; `None` when such a statement names everyone or all but some, when an
    /// unconditional `Deny` names the account, and when the policy cannot be read. An `Allow`
    /// naming an account grants its principals nothing the account's own IAM policies do not
    /// (and another account's principals are not of `own`). A resource whose policy gives
    /// `Some` is reached by the other principals of its account through their identity
    /// policies alone.
    pub fn names_only_arns(&self, own: &str) -> Option<Vec<&str>> {
        let statements = match self {
            ResourcePolicy::Unsupported | ResourcePolicy::NotRecorded => return Some(Vec::new()),
            ResourcePolicy::Unreadable(_) => return None,
            ResourcePolicy::Recorded(statements) => statements,
        };
        let mut arns: Vec<&str> = Vec::new();
        for s in statements.iter().filter(|s| s.matters()) {
            let Principals::Listed(list) = &s.principals else {
                return None;
            };
            let deny = s.statement.effect == Effect::Deny;
            for p in list {
                match p {
                    PrincipalPattern::Anyone => return None,
                    PrincipalPattern::Account(a) if deny && a == own => return None,
                    PrincipalPattern::Arn(arn) if !arns.contains(&arn.as_str()) => arns.push(arn),
                    PrincipalPattern::Account(_)
                    | PrincipalPattern::Arn(_)
                    | PrincipalPattern::Other => {}
                }
            }
        }
        Some(arns)
    }

    /// The accounts other than `own` whose principals the policy may admit, and whether it
    /// admits everyone (`*` or a `NotPrincipal`).
    pub fn foreign_accounts(&self, own: Option<&str>) -> (Vec<String>, bool) {
        let mut accounts = Vec::new();
        let mut anyone = false;
        let ResourcePolicy::Recorded(statements) = self else {
            return (accounts, anyone);
        };
        for s in statements
            .iter()
            .filter(|s| s.statement.effect == Effect::Allow)
        {
            match &s.principals {
                Principals::AllBut(_) => anyone = true,
                Principals::Listed(list) => {
                    for p in list {
                        if *p == PrincipalPattern::Anyone {
                            anyone = true;
                        } else if let Some(a) = p.account()
                            && Some(a) != own
                            && !accounts.iter().any(|x| x == a)
                        {
                            accounts.push(a.to_string());
                        }
                    }
                }
            }
        }
        (accounts, anyone)
    }
}

/// A JSON text stands for the value it encodes.
fn decoded(value: &Json) -> Value {
    decoded_value(value.to_value())
}

/// The value, or the JSON its text holds when it is a string of JSON.
fn decoded_value(value: Value) -> Value {
    match &value {
        Value::String(text) => serde_json::from_str(text).unwrap_or(value),
        _ => value,
    }
}

fn parse(
    document: &Value,
    catalog: &ActionCatalog,
    source: &StatementRef,
) -> Result<Vec<ResourceStatement>, String> {
    let raw = policy::statement_values(document)?;
    let statements = policy::parse_document(document, catalog, source)?;
    statements
        .into_iter()
        .zip(raw)
        .map(|(statement, raw)| {
            let at = format!("statement {}", statement.source.index);
            let principals = match (raw.get("Principal"), raw.get("NotPrincipal")) {
                (Some(p), None) => {
                    Principals::Listed(patterns(p).ok_or(format!("{at}: unreadable `Principal`"))?)
                }
                (None, Some(p)) => Principals::AllBut(
                    patterns(p).ok_or(format!("{at}: unreadable `NotPrincipal`"))?,
                ),
                _ => {
                    return Err(format!(
                        "{at}: needs exactly one of `Principal` and `NotPrincipal`"
                    ));
                }
            };
            Ok(ResourceStatement {
                statement,
                principals,
            })
        })
        .collect()
}

/// `"*"`, or `{"AWS": ..., "Service": ..., ...}` with a string or a list under each key.
fn patterns(value: &Value) -> Option<Vec<PrincipalPattern>> {
    match value {
        Value::String(s) if s == "*" => Some(vec![PrincipalPattern::Anyone]),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (kind, v) in map {
                let list = policy::strings(v)?;
                if kind == "AWS" {
                    out.extend(list.iter().map(|t| PrincipalPattern::parse(t)));
                } else {
                    out.extend(list.iter().map(|_| PrincipalPattern::Other));
                }
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_patterns() {
        assert_eq!(PrincipalPattern::parse("*"), PrincipalPattern::Anyone);
        assert_eq!(
            PrincipalPattern::parse("111122223333"),
            PrincipalPattern::Account("111122223333".into())
        );
        assert_eq!(
            PrincipalPattern::parse("arn:aws:iam::111122223333:root"),
            PrincipalPattern::Account("111122223333".into())
        );
        assert_eq!(
            PrincipalPattern::parse("arn:aws:iam::111122223333:role/x").account(),
            Some("111122223333")
        );
    }

    #[test]
    fn naming() {
        let listed = Principals::Listed(vec![
            PrincipalPattern::Account("111122223333".into()),
            PrincipalPattern::Arn("arn:aws:iam::444455556666:role/r".into()),
        ]);
        let role = "arn:aws:iam::444455556666:role/r";
        assert_eq!(
            listed.names(Some(role), Some("444455556666")),
            Named::Directly
        );
        assert_eq!(
            listed.names(
                Some("arn:aws:iam::111122223333:role/a"),
                Some("111122223333")
            ),
            Named::ByAccount
        );
        assert_eq!(
            listed.names(
                Some("arn:aws:iam::444455556666:role/other"),
                Some("444455556666")
            ),
            Named::No
        );
        let all_but = Principals::AllBut(vec![PrincipalPattern::Arn(role.into())]);
        assert_eq!(all_but.names(Some(role), Some("444455556666")), Named::No);
        assert_eq!(
            all_but.names(
                Some("arn:aws:iam::444455556666:role/other"),
                Some("444455556666")
            ),
            Named::Directly
        );
    }
}
