//! Account-level facts that AWS Config records no item for: the IAM credential report, the
//! account password policy and summary, the root's virtual MFA devices, EBS encryption by
//! default, the account's public EBS snapshots, GuardDuty detectors, Security Hub, the
//! Config recorders and their status, and Session Manager's preferences (an SSM document's
//! content, which Config does not record). Each AWS CLI /
//! API response becomes resources of a documented `Ward::` pseudo type
//! (`docs/inventory-format.md`), so rules treat them like any other resource.
//!
//! Most of these responses do not say which account (or Region) they describe. Such a fact
//! is kept [`PendingFact`] until every input is read; then [`attribute`] gives it the one
//! account (and Region) of the inventory, or reports that it cannot tell.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::{Map, Value};
use ward_model::{Inventory, Json, Resource, Source};

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
pub const CONFIG_RECORDERS: &str = "Ward::Config::Recorders";
pub const SESSION_MANAGER_PREFERENCES: &str = "Ward::SSM::SessionManagerPreferences";
/// The SSM document that holds a Region's Session Manager preferences.
pub const SESSION_MANAGER_PREFERENCES_DOCUMENT: &str = "SSM-SessionManagerRunShell";
pub const PUBLIC_SNAPSHOTS: &str = "Ward::EC2::PublicSnapshots";

/// The query whose output is [`PUBLIC_SNAPSHOTS`]: the account's snapshots that every AWS
/// account may restore (the call behind AWS Config's EBS_SNAPSHOT_PUBLIC_RESTORABLE_CHECK).
pub(crate) const PUBLIC_SNAPSHOTS_OPERATION: &str =
    "ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all";

/// Any other `describe-snapshots` output: its query cannot be told from it.
pub(crate) const DESCRIBE_SNAPSHOTS_OPERATION: &str = "ec2 describe-snapshots";

/// The file name (without `.json` / `.json.gz`) that says a `{"Snapshots": [...]}` file holds
/// the output of [`PUBLIC_SNAPSHOTS_OPERATION`]. The output alone cannot say it: a plain
/// `describe-snapshots` prints the same shape.
pub const PUBLIC_SNAPSHOTS_FILE: &str = "ec2-describe-snapshots-public";

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
    CONFIG_RECORDERS,
    SESSION_MANAGER_PREFERENCES,
    PUBLIC_SNAPSHOTS,
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
    } else if rest.contains_key("ConfigurationRecorders") {
        (
            CONFIG_RECORDERS,
            "configservice describe-configuration-recorders",
            Scope::Regional,
        )
    } else if rest.contains_key("Content")
        && rest.get("Name").and_then(Value::as_str) == Some(SESSION_MANAGER_PREFERENCES_DOCUMENT)
    {
        (
            SESSION_MANAGER_PREFERENCES,
            "ssm get-document --name SSM-SessionManagerRunShell",
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
    resource.configuration = configuration.unwrap_or(Value::Null).into();
    resource.source = source;
    // Some responses name their account (and Region) in an ARN.
    let named_arn = match recognized.resource_type {
        SECURITY_HUB => resource
            .configuration
            .get("hubArn")
            .and_then(Json::as_str)
            .map(str::to_string),
        VIRTUAL_MFA_DEVICES => resource
            .configuration
            .get("virtualMFADevices")
            .and_then(Json::as_array)
            .and_then(|devices| devices.first())
            .and_then(|d| d.get("serialNumber"))
            .and_then(Json::as_str)
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

/// What a `{"Snapshots": [...]}` object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnapshotsOutput {
    /// In a file named [`PUBLIC_SNAPSHOTS_FILE`]: the public-snapshot query's output.
    Public,
    /// EC2 `describe-snapshots` output (or an empty `Snapshots` list) in a file whose name
    /// does not say which query it answers: refused, never guessed.
    Unnamed,
}

/// Recognizes `describe-snapshots` output. Redshift, ElastiCache and FSx answer with a
/// `Snapshots` list too; a list none of whose elements has an EBS `SnapshotId` (`snap-…`) is
/// not EC2's and is left to the other formats, unless the file's name says it is the public
/// list (then [`read_public_snapshots`] says what is wrong with it).
pub(crate) fn recognize_snapshots(
    rest: &Map<String, Value>,
    file: &str,
) -> Option<SnapshotsOutput> {
    let list = rest.get("Snapshots")?;
    if named_public_snapshots(file) {
        return Some(SnapshotsOutput::Public);
    }
    let ec2 = match list {
        Value::Array(items) => items.is_empty() || items.iter().any(is_ebs_snapshot),
        _ => false,
    };
    ec2.then_some(SnapshotsOutput::Unnamed)
}

/// The file's name is [`PUBLIC_SNAPSHOTS_FILE`] (any case), optionally followed by `-`, `_`
/// or `.` and more (`ec2-describe-snapshots-public-2026-11-20.json`), then `.json` or
/// `.json.gz`.
pub(crate) fn named_public_snapshots(file: &str) -> bool {
    let name = file
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file)
        .to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    stem.strip_prefix(PUBLIC_SNAPSHOTS_FILE)
        .is_some_and(|more| more.is_empty() || more.starts_with(['-', '_', '.']))
}

fn is_ebs_snapshot(value: &Value) -> bool {
    value
        .get("SnapshotId")
        .and_then(Value::as_str)
        .is_some_and(|id| id.starts_with("snap-"))
}

/// The diagnostic for `describe-snapshots` output in a file whose name does not say which
/// query it answers. `line_column` is where its `Snapshots` key is.
pub(crate) fn unnamed_snapshots(
    rest: &Map<String, Value>,
    file: &str,
    line_column: Option<(usize, usize)>,
) -> ImportDiagnostic {
    let count = rest
        .get("Snapshots")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let what = if count == 0 {
        "an empty `Snapshots` list (`ec2 describe-snapshots` output?)".to_string()
    } else {
        format!(
            "`ec2 describe-snapshots` output ({})",
            plural(count, "snapshot")
        )
    };
    let mut diagnostic = ImportDiagnostic::error(
        Code::Ambiguous,
        file,
        format!(
            "{what} does not say which snapshots were asked for: Ward imports only the output of \
             `--owner-ids self --restorable-by-user-ids all` (the account's public snapshots), which \
             a plain `describe-snapshots` cannot be told from; it was not imported"
        ),
    )
    .with_help(format!(
        "if this is the output of `aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all --output json`, \
         name the file `{PUBLIC_SNAPSHOTS_FILE}.json` (in the account's and Region's directory, `AWSLogs/ACCOUNT/REGION/`); \
         other describe-snapshots output is not read (docs/inventory-format.md, account-level facts)"
    ));
    diagnostic.line_column = line_column;
    diagnostic
}

/// `aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all` output, in a
/// file named for it: one [`PUBLIC_SNAPSHOTS`] fact for the account and Region, holding the
/// list (`snapshots`, empty when no snapshot is public) and, for one page of a paginated
/// output, `nextToken`. All or nothing: a list with an element left out could pass for a
/// list with no public snapshot, so a malformed element, or snapshots of several owners
/// (the query was not `--owner-ids self`), refuse the whole file.
pub(crate) fn read_public_snapshots(mut rest: Map<String, Value>, file: &str) -> Read {
    let mut out = Read::default();
    let operation = PUBLIC_SNAPSHOTS_OPERATION;
    let items = match rest.get("Snapshots") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            out.diagnostics.push(ImportDiagnostic::error(
                Code::Item,
                file,
                format!(
                    "`Snapshots` is {}, expected a list; it was not imported",
                    crate::normalize::json_kind(other)
                ),
            ));
            return out;
        }
        None => return out,
    };
    // The owner of each snapshot, and the first snapshot of each owner.
    let mut owners: Vec<(String, usize, String)> = Vec::new();
    let mut malformed = false;
    for (index, item) in items.iter().enumerate() {
        let id = item.get("SnapshotId").and_then(Value::as_str);
        let Some(id) = id.filter(|id| id.starts_with("snap-")) else {
            malformed = true;
            out.diagnostics.push(
                ImportDiagnostic::error(
                    Code::Item,
                    file,
                    format!(
                        "element {index} of `Snapshots` is {}, not an EBS snapshot with a `SnapshotId` `snap-…`; the file was not imported",
                        crate::normalize::json_kind(item)
                    ),
                )
                .with_index(Some(index))
                .with_resource_id(id.map(str::to_string))
                .with_help(format!(
                    "`{PUBLIC_SNAPSHOTS_FILE}.json` must hold the output of `aws {operation} --output json` unchanged; a list missing a snapshot could pass for one with no public snapshot"
                )),
            );
            continue;
        };
        if let Some(owner) = item.get("OwnerId").and_then(Value::as_str)
            && !owners.iter().any(|(o, _, _)| o == owner)
        {
            owners.push((owner.to_string(), index, id.to_string()));
        }
    }
    if malformed {
        return out;
    }
    if let [_, (_, index, id), ..] = owners.as_slice() {
        let accounts: BTreeSet<String> = owners.iter().map(|(o, _, _)| o.clone()).collect();
        out.diagnostics.push(
            ImportDiagnostic::error(
                Code::Item,
                file,
                format!(
                    "the snapshots belong to {} ({}), so this is not the output of `--owner-ids self`, which lists one account's snapshots; it was not imported",
                    plural(accounts.len(), "account"),
                    listed(&accounts)
                ),
            )
            .with_index(Some(*index))
            .with_resource_id(Some(id.clone()))
            .with_help(format!(
                "without `--owner-ids self`, `--restorable-by-user-ids all` lists every public snapshot of the Region, other accounts' included; run `aws {operation} --output json` with each account's credentials"
            )),
        );
        return out;
    }
    for key in ["ResponseMetadata", "Marker", "IsTruncated"] {
        rest.remove(key);
    }
    let truncated = rest
        .get("NextToken")
        .and_then(Value::as_str)
        .is_some_and(|token| !token.is_empty());
    if truncated {
        out.diagnostics.push(
            ImportDiagnostic::warning(
                Code::Incomplete,
                file,
                format!("`{operation}` output holds only one page (`NextToken` is set); the fact keeps `nextToken`, so rules can tell the list is incomplete"),
            )
            .with_help("save every page (the AWS CLI pages by itself unless --no-paginate or --max-items is given)"),
        );
    } else {
        rest.remove("NextToken");
    }
    let mut resource = Resource::new(PUBLIC_SNAPSHOTS, "");
    resource.configuration = camel_case(Value::Object(rest)).into();
    resource.source = Source {
        format: "aws-account-facts".to_string(),
        file: Some(file.to_string()),
        index: None,
    };
    // With `--owner-ids self` every snapshot's owner is the account; an empty list names none.
    resource.account_id = owners
        .first()
        .map(|(owner, _, _)| owner.clone())
        .filter(|owner| owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()));
    out.pending.push(PendingFact {
        resource,
        scope: Scope::Regional,
        operation,
    });
    out
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
        resource.configuration = Value::Object(configuration).into();
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
/// Otherwise the fact is not imported and the returned diagnostic says why. A fact that
/// names its account (the public snapshots' `OwnerId`) keeps it, and is refused when its
/// path names another.
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
        // A response that names its account (a snapshot's `OwnerId`) filed under another
        // account's directory: one of the two is wrong, and which cannot be told.
        if let (Some(named), Some(path)) = (resource.account_id.as_deref(), path_account.as_deref())
            && named != path
        {
            diagnostics.push(
                ImportDiagnostic::error(
                    Code::Unattributed,
                    file,
                    format!(
                        "`{operation}` output names account {named}, but its path names account {path}; it was not imported"
                    ),
                )
                .with_help("put the file under the directory of the account whose credentials ran the call"),
            );
            continue;
        }
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
    fn only_files_named_for_it_hold_the_public_snapshot_list() {
        for name in [
            "ec2-describe-snapshots-public.json",
            "AWSLogs/111122223333/us-east-1/ec2-describe-snapshots-public.json.gz",
            "facts\\EC2-Describe-Snapshots-Public.JSON",
            "ec2-describe-snapshots-public-2026-11-20.json",
            "ec2-describe-snapshots-public.us-east-1.json",
        ] {
            assert!(named_public_snapshots(name), "{name}");
        }
        for name in [
            "ec2-describe-snapshots.json",
            "ec2-describe-snapshots-publicly.json",
            "ec2-describe-snapshots-public.csv",
            "ec2.DescribeSnapshots_1.json",
            "ec2-describe-snapshots-public",
            "-",
        ] {
            assert!(!named_public_snapshots(name), "{name}");
        }
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
