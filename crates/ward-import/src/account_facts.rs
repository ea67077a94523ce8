//! Account-level facts that AWS Config records no item for: the IAM credential report, the
//! account password policy and summary, the root's virtual MFA devices, EBS encryption by
//! default, GuardDuty detectors, Security Hub and the Config recorder status. Each AWS CLI /
//! API response becomes resources of a documented `Ward::` pseudo type
//! (`docs/inventory-format.md`), so rules treat them like any other resource.
//!
//! Most of these responses do not say which account (or Region) they describe. Such a fact
//! is kept [`PendingFact`] until every input is read; then [`attribute`] gives it the one
//! account (and Region) of the inventory, or reports that it cannot tell.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::{Map, Value};
use ward_model::{Inventory, Resource, Source};

use crate::api::camel_case;
use crate::diagnostic::{Code, ImportDiagnostic};

pub const CREDENTIAL_REPORT_USER: &str = "Ward::IAM::CredentialReportUser";
pub const ACCOUNT_PASSWORD_POLICY: &str = "Ward::IAM::AccountPasswordPolicy";
pub const ACCOUNT_SUMMARY: &str = "Ward::IAM::AccountSummary";
pub const VIRTUAL_MFA_DEVICES: &str = "Ward::IAM::VirtualMFADevices";
pub const EBS_ENCRYPTION_BY_DEFAULT: &str = "Ward::EC2::EbsEncryptionByDefault";
pub const GUARDDUTY_DETECTORS: &str = "Ward::GuardDuty::Detectors";
pub const SECURITY_HUB: &str = "Ward::SecurityHub::Hub";
pub const CONFIG_RECORDER_STATUS: &str = "Ward::Config::RecorderStatus";

/// Every pseudo type this module produces.
pub const PSEUDO_TYPES: &[&str] = &[
    CREDENTIAL_REPORT_USER,
    ACCOUNT_PASSWORD_POLICY,
    ACCOUNT_SUMMARY,
    VIRTUAL_MFA_DEVICES,
    EBS_ENCRYPTION_BY_DEFAULT,
    GUARDDUTY_DETECTORS,
    SECURITY_HUB,
    CONFIG_RECORDER_STATUS,
];

/// Credential report cells that mean "no value".
const NO_VALUE: &[&str] = &["N/A", "no_information", "not_supported", ""];

/// The largest credential report read (a CSV is not streamed).
pub(crate) const CSV_LIMIT: u64 = 256 * 1024 * 1024;

/// Which part of an account a fact describes, and so what its resource id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// One per account: the id is the account id.
    Account,
    /// One per account and Region: the id is `ACCOUNT/REGION`.
    Regional,
    /// Named within an account and Region: the id is `ACCOUNT/REGION/NAME`.
    RegionalNamed,
}

/// A fact read from a response that does not name its account (or Region).
#[derive(Debug, Clone)]
pub struct PendingFact {
    pub(crate) resource: Resource,
    pub(crate) scope: Scope,
    /// The API operation, for messages (`iam get-account-password-policy`).
    pub(crate) operation: &'static str,
}

/// What a JSON object with these top-level keys is, if it is an account fact.
pub(crate) struct Recognized {
    pub resource_type: &'static str,
    pub operation: &'static str,
    scope: Scope,
}

/// Recognizes a response by its keys. `Content` + `ReportFormat` is the credential report.
pub(crate) fn recognize(rest: &Map<String, Value>) -> Option<Recognized> {
    let (resource_type, operation, scope) = if rest.contains_key("PasswordPolicy") {
        (
            ACCOUNT_PASSWORD_POLICY,
            "iam get-account-password-policy",
            Scope::Account,
        )
    } else if rest.contains_key("SummaryMap") {
        (ACCOUNT_SUMMARY, "iam get-account-summary", Scope::Account)
    } else if rest.contains_key("VirtualMFADevices") {
        (
            VIRTUAL_MFA_DEVICES,
            "iam list-virtual-mfa-devices",
            Scope::Account,
        )
    } else if rest.contains_key("EbsEncryptionByDefault") {
        (
            EBS_ENCRYPTION_BY_DEFAULT,
            "ec2 get-ebs-encryption-by-default",
            Scope::Regional,
        )
    } else if rest.contains_key("DetectorIds") {
        (
            GUARDDUTY_DETECTORS,
            "guardduty list-detectors",
            Scope::Regional,
        )
    } else if rest.contains_key("HubArn") {
        (SECURITY_HUB, "securityhub describe-hub", Scope::Regional)
    } else if rest.contains_key("ConfigurationRecordersStatus") {
        (
            CONFIG_RECORDER_STATUS,
            "configservice describe-configuration-recorder-status",
            Scope::Regional,
        )
    } else if rest.contains_key("Content") && rest.contains_key("ReportFormat") {
        (
            CREDENTIAL_REPORT_USER,
            "iam get-credential-report",
            Scope::Account,
        )
    } else {
        return None;
    };
    Some(Recognized {
        resource_type,
        operation,
        scope,
    })
}

/// The outcome of reading one fact response.
#[derive(Default)]
pub(crate) struct Read {
    /// Resources that know their account.
    pub resources: Vec<Resource>,
    /// Resources that wait for [`attribute`].
    pub pending: Vec<PendingFact>,
    pub diagnostics: Vec<ImportDiagnostic>,
}

/// Turns a recognized response into resources.
pub(crate) fn read_object(recognized: &Recognized, rest: Map<String, Value>, file: &str) -> Read {
    let source = Source {
        format: "aws-account-facts".to_string(),
        file: Some(file.to_string()),
        index: None,
    };
    if recognized.resource_type == CREDENTIAL_REPORT_USER {
        return read_credential_report_response(rest, file);
    }
    let mut out = Read::default();
    let configuration = match recognized.resource_type {
        ACCOUNT_PASSWORD_POLICY => {
            match rest.get("PasswordPolicy") {
                Some(Value::Object(_)) => {}
                _ => {
                    out.diagnostics.push(ImportDiagnostic::error(
                        Code::Item,
                        file,
                        "`PasswordPolicy` is not a JSON object",
                    ));
                    return out;
                }
            }
            rest.get("PasswordPolicy").cloned().map(camel_case)
        }
        ACCOUNT_SUMMARY => match rest.get("SummaryMap") {
            Some(map @ Value::Object(_)) => Some(camel_case(map.clone())),
            _ => {
                out.diagnostics.push(ImportDiagnostic::error(
                    Code::Item,
                    file,
                    "`SummaryMap` is not a JSON object",
                ));
                return out;
            }
        },
        _ => Some(camel_case(Value::Object(without_envelope(rest)))),
    };
    let mut resource = Resource::new(recognized.resource_type, "");
    resource.configuration = configuration.unwrap_or(Value::Null);
    resource.source = source;
    // Some responses name their account (and Region) in an ARN.
    let named_arn = match recognized.resource_type {
        SECURITY_HUB => resource
            .configuration
            .get("hubArn")
            .and_then(Value::as_str)
            .map(str::to_string),
        VIRTUAL_MFA_DEVICES => resource
            .configuration
            .get("virtualMFADevices")
            .and_then(Value::as_array)
            .and_then(|devices| devices.first())
            .and_then(|d| d.get("serialNumber"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    let parts = named_arn.as_deref().and_then(arn_parts);
    if let Some((account, region)) = parts {
        if recognized.resource_type == SECURITY_HUB {
            resource.arn = named_arn.clone();
            resource.resource_id = named_arn.unwrap_or_default();
            resource.aws_region = region;
        } else {
            resource.resource_id = account.clone();
        }
        resource.account_id = Some(account);
        if recognized.scope == Scope::Regional && resource.aws_region.is_none() {
            out.pending.push(PendingFact {
                resource,
                scope: recognized.scope,
                operation: recognized.operation,
            });
        } else {
            out.resources.push(resource);
        }
    } else {
        out.pending.push(PendingFact {
            resource,
            scope: recognized.scope,
            operation: recognized.operation,
        });
    }
    out
}

fn without_envelope(mut rest: Map<String, Value>) -> Map<String, Value> {
    for key in ["ResponseMetadata", "NextToken", "Marker", "IsTruncated"] {
        rest.remove(key);
    }
    rest
}

/// `(account, region)` of an ARN `arn:PARTITION:SERVICE:REGION:ACCOUNT:...`.
pub(crate) fn arn_parts(arn: &str) -> Option<(String, Option<String>)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next()?;
    let _service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    parts.next()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let region = (!region.is_empty()).then(|| region.to_string());
    Some((account.to_string(), region))
}

/// `aws iam get-credential-report` output: `{"Content": BASE64, "ReportFormat": "text/csv",
/// "GeneratedTime": ...}`.
fn read_credential_report_response(rest: Map<String, Value>, file: &str) -> Read {
    let mut out = Read::default();
    if let Some(format) = rest.get("ReportFormat").and_then(Value::as_str)
        && format != "text/csv"
    {
        out.diagnostics.push(ImportDiagnostic::error(
            Code::Item,
            file,
            format!(
                "credential report has `ReportFormat` `{format}`; only `text/csv` is understood"
            ),
        ));
        return out;
    }
    let Some(content) = rest.get("Content").and_then(Value::as_str) else {
        out.diagnostics.push(ImportDiagnostic::error(
            Code::Item,
            file,
            "credential report `Content` is not a string",
        ));
        return out;
    };
    let compact: String = content.split_whitespace().collect();
    let bytes = match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) => bytes,
        Err(err) => {
            out.diagnostics.push(
                ImportDiagnostic::error(
                    Code::Item,
                    file,
                    format!("credential report `Content` is not valid base64: {err}"),
                )
                .with_help("pass the output of `aws iam get-credential-report` unchanged, or the decoded CSV"),
            );
            return out;
        }
    };
    let generated = rest
        .get("GeneratedTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    read_credential_report_csv(&bytes, generated, file)
}

/// The credential report CSV: one `Ward::IAM::CredentialReportUser` per row.
pub(crate) fn read_credential_report_csv(
    bytes: &[u8],
    generated: Option<String>,
    file: &str,
) -> Read {
    let mut out = Read::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(headers) => headers.iter().map(camel_column).collect::<Vec<_>>(),
        Err(err) => {
            out.diagnostics.push(ImportDiagnostic::error(
                Code::Syntax,
                file,
                format!("credential report CSV header cannot be read: {err}"),
            ));
            return out;
        }
    };
    for wanted in ["user", "arn"] {
        if !headers.iter().any(|h| h == wanted) {
            out.diagnostics.push(
                ImportDiagnostic::error(
                    Code::UnknownFormat,
                    file,
                    format!("credential report CSV has no `{wanted}` column"),
                )
                .with_help("expected the header of `aws iam get-credential-report` (user,arn,user_creation_time,password_enabled,...)"),
            );
            return out;
        }
    }
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                out.diagnostics.push(
                    ImportDiagnostic::error(
                        Code::Item,
                        file,
                        format!("credential report row at line {line} cannot be read: {err}"),
                    )
                    .with_index(Some(index)),
                );
                continue;
            }
        };
        let mut configuration = Map::new();
        for (column, cell) in headers.iter().zip(record.iter()) {
            configuration.insert(column.clone(), cell_value(cell));
        }
        let user = configuration
            .get("user")
            .and_then(Value::as_str)
            .map(str::to_string);
        let arn = configuration
            .get("arn")
            .and_then(Value::as_str)
            .map(str::to_string);
        let account = arn
            .as_deref()
            .and_then(arn_parts)
            .map(|(account, _)| account);
        let (Some(user), Some(arn), Some(account)) = (user.clone(), arn.clone(), account) else {
            out.diagnostics.push(
                ImportDiagnostic::error(
                    Code::Item,
                    file,
                    format!(
                        "credential report row {} has no user name or no IAM ARN with an account id (arn `{}`)",
                        index + 1,
                        arn.unwrap_or_default()
                    ),
                )
                .with_index(Some(index))
                .with_resource_id(user),
            );
            continue;
        };
        let mut resource = Resource::new(CREDENTIAL_REPORT_USER, arn.clone());
        resource.resource_name = Some(user);
        resource.arn = Some(arn);
        resource.account_id = Some(account);
        resource.aws_region = Some("global".to_string());
        resource.configuration_item_capture_time = generated.clone();
        resource.configuration = Value::Object(configuration);
        resource.source = Source {
            format: "iam-credential-report".to_string(),
            file: Some(file.to_string()),
            index: Some(index),
        };
        out.resources.push(resource);
    }
    out
}

/// `access_key_1_last_used_date` → `accessKey1LastUsedDate`.
fn camel_column(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, part) in name.trim().split('_').filter(|p| !p.is_empty()).enumerate() {
        if i == 0 {
            out.push_str(&part.to_ascii_lowercase());
        } else {
            let mut chars = part.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

fn cell_value(cell: &str) -> Value {
    match cell {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        c if NO_VALUE.contains(&c) => Value::Null,
        c => Value::String(c.to_string()),
    }
}

/// Gives every pending fact its account (and Region) from the inventory, and inserts it.
/// A fact is attributed only when the inventory leaves no doubt: exactly one account (and,
/// for a regional fact, exactly one Region among that account's regional resources).
/// Otherwise the fact is not imported and the returned diagnostic says why.
pub(crate) fn attribute(
    pending: Vec<PendingFact>,
    file: &str,
    inventory: &mut Inventory,
    redactions: &mut Vec<ward_model::Redaction>,
) -> (usize, Vec<ImportDiagnostic>) {
    let mut diagnostics = Vec::new();
    let mut imported = 0;
    let accounts: BTreeSet<String> = inventory
        .iter()
        .filter_map(|r| r.account_id.clone())
        .collect();
    let (path_account, path_region) = path_hints(file);
    for fact in pending {
        let PendingFact {
            mut resource,
            scope,
            operation,
        } = fact;
        let account = match resource.account_id.clone().or_else(|| path_account.clone()) {
            Some(account) => account,
            None => {
                if accounts.len() != 1 {
                    diagnostics.push(
                        ImportDiagnostic::error(
                            Code::Unattributed,
                            file,
                            format!(
                                "`{operation}` output does not name its AWS account, and the inventory holds {} ({}); it was not imported",
                                plural(accounts.len(), "account"),
                                listed(&accounts)
                            ),
                        )
                        .with_help("put the file under a directory named for the account (`facts/123456789012/...`), import it with that account's Config snapshot only, or write it as a Ward inventory resource with `accountId` (docs/inventory-format.md, account-level facts)"),
                    );
                    continue;
                }
                match accounts.first() {
                    Some(account) => account.clone(),
                    None => continue,
                }
            }
        };
        resource.account_id = Some(account.clone());
        match scope {
            Scope::Account => {
                resource.resource_id = account;
            }
            Scope::Regional | Scope::RegionalNamed => {
                let region = match resource.aws_region.clone().or_else(|| path_region.clone()) {
                    Some(region) => region,
                    None => {
                        let regions: BTreeSet<String> = inventory
                            .iter()
                            .filter(|r| r.account_id.as_deref() == Some(account.as_str()))
                            .filter_map(|r| r.aws_region.clone())
                            .filter(|r| r != "global")
                            .collect();
                        if regions.len() != 1 {
                            diagnostics.push(
                                ImportDiagnostic::error(
                                    Code::Unattributed,
                                    file,
                                    format!(
                                        "`{operation}` output does not name its Region, and account {account} has resources in {} ({}); it was not imported",
                                        plural(regions.len(), "Region"),
                                        listed(&regions)
                                    ),
                                )
                                .with_help("put the file under a directory named for the Region (`facts/123456789012/us-east-1/...`), import it with that Region's Config snapshot only, or write it as a Ward inventory resource with `accountId` and `awsRegion` (docs/inventory-format.md, account-level facts)"),
                            );
                            continue;
                        }
                        match regions.first() {
                            Some(region) => region.clone(),
                            None => continue,
                        }
                    }
                };
                if scope == Scope::RegionalNamed {
                    resource.resource_id = format!("{account}/{region}/{}", resource.resource_id);
                } else if resource.resource_id.is_empty() {
                    resource.resource_id = format!("{account}/{region}");
                }
                resource.aws_region = Some(region);
            }
        }
        // Secrets never enter the inventory (docs/redaction.md).
        redactions.extend(crate::redact::redact_resource(&mut resource));
        inventory.insert(resource);
        imported += 1;
    }
    (imported, diagnostics)
}

/// The account and Region a file's path names, the way AWS Config delivers to S3
/// (`AWSLogs/123456789012/Config/us-east-1/...`): the last directory that is a 12-digit
/// account id, and the last that is a Region name.
fn path_hints(file: &str) -> (Option<String>, Option<String>) {
    let directories: Vec<&str> = std::path::Path::new(file)
        .parent()
        .map(|p| p.iter().filter_map(|c| c.to_str()).collect())
        .unwrap_or_default();
    let account = directories
        .iter()
        .rev()
        .find(|c| c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit()))
        .map(|c| c.to_string());
    let region = directories
        .iter()
        .rev()
        .find(|c| is_region_name(c))
        .map(|c| c.to_string());
    (account, region)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`, `cn-north-1`.
fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    (3..=4).contains(&parts.len())
        && first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && parts
            .iter()
            .skip(1)
            .take(parts.len().saturating_sub(2))
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn listed(items: &BTreeSet<String>) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_become_camel_case() {
        assert_eq!(
            camel_column("access_key_1_last_used_date"),
            "accessKey1LastUsedDate"
        );
        assert_eq!(camel_column("user"), "user");
        assert_eq!(camel_column("mfa_active"), "mfaActive");
        assert_eq!(camel_column("cert_2_last_rotated"), "cert2LastRotated");
    }

    #[test]
    fn arns_give_account_and_region() {
        assert_eq!(
            arn_parts("arn:aws:iam::123456789012:root"),
            Some(("123456789012".to_string(), None))
        );
        assert_eq!(
            arn_parts("arn:aws:securityhub:eu-west-1:123456789012:hub/default"),
            Some(("123456789012".to_string(), Some("eu-west-1".to_string())))
        );
        assert_eq!(arn_parts("arn:aws:iam::aws:policy/x"), None);
    }

    #[test]
    fn paths_name_account_and_region_like_config_delivery() {
        assert_eq!(
            path_hints(
                "exports/AWSLogs/123456789012/Config/eu-west-1/2024/5/1/password-policy.json"
            ),
            (
                Some("123456789012".to_string()),
                Some("eu-west-1".to_string())
            )
        );
        assert_eq!(path_hints("facts/password-policy.json"), (None, None));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("ward-data-1"));
        assert!(!is_region_name("2024"));
    }
}
