//! Account-level facts (credential report, password policy, account summary, ...): each
//! AWS CLI output becomes `Ward::` pseudo resources, attributed to the right account and
//! Region, or refused with a diagnostic when the inventory leaves a doubt.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};
use ward_import::{Code, Format, ImportReport, import_paths};
use ward_model::Inventory;

const REPORT_CSV: &str = "\
user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,2024-02-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2020-03-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,N/A,false,true,2023-01-01T00:00:00+00:00,2024-02-09T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

fn snapshot_item(account: &str, region: &str, id: &str) -> Value {
    json!({
        "configurationItemCaptureTime": "2024-03-01T10:00:00.000Z",
        "awsAccountId": account,
        "configurationItemStatus": "OK",
        "resourceType": "AWS::EC2::SecurityGroup",
        "resourceId": id,
        "awsRegion": region,
        "configuration": {"groupId": id},
    })
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

fn snapshot(dir: &Path, name: &str, items: &[Value]) -> PathBuf {
    let text =
        serde_json::to_string(&json!({"fileVersion": "1.0", "configurationItems": items})).unwrap();
    write(dir, name, &text)
}

fn import(paths: &[PathBuf]) -> (Inventory, ImportReport) {
    let mut inventory = Inventory::new();
    let report = import_paths(paths, &mut inventory);
    (inventory, report)
}

fn codes(report: &ImportReport) -> Vec<Code> {
    report
        .diagnostics()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

#[test]
fn credential_report_csv_becomes_one_resource_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "credential-report.csv", REPORT_CSV);
    let (inventory, report) = import(&[csv]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    assert_eq!(report.files[0].format, Some(Format::CredentialReportCsv));
    let users: Vec<_> = inventory
        .of_type("Ward::IAM::CredentialReportUser")
        .collect();
    assert_eq!(users.len(), 2);

    let root = inventory
        .get(
            "Ward::IAM::CredentialReportUser",
            "arn:aws:iam::111122223333:root",
        )
        .unwrap();
    assert_eq!(root.resource_name.as_deref(), Some("<root_account>"));
    assert_eq!(root.account_id.as_deref(), Some("111122223333"));
    assert_eq!(root.configuration["mfaActive"], json!(true));
    // `not_supported` and `N/A` are no value.
    assert_eq!(root.configuration["passwordEnabled"], Value::Null);
    assert_eq!(root.configuration["accessKey1LastRotated"], Value::Null);

    let alice = inventory
        .get(
            "Ward::IAM::CredentialReportUser",
            "arn:aws:iam::111122223333:user/alice",
        )
        .unwrap();
    assert_eq!(alice.configuration["passwordEnabled"], json!(true));
    assert_eq!(alice.configuration["passwordLastUsed"], Value::Null);
    assert_eq!(
        alice.configuration["accessKey1LastRotated"],
        json!("2023-01-01T00:00:00+00:00")
    );
    assert_eq!(
        alice.configuration["accessKey1LastUsedService"],
        json!("s3")
    );
}

#[test]
fn credential_report_json_is_decoded_and_keeps_its_generation_time() {
    let dir = tempfile::tempdir().unwrap();
    let content = base64::engine::general_purpose::STANDARD.encode(REPORT_CSV);
    let response = json!({
        "Content": content,
        "ReportFormat": "text/csv",
        "GeneratedTime": "2024-03-01T09:00:00+00:00"
    });
    let file = write(dir.path(), "credential-report.json", &response.to_string());
    let (inventory, report) = import(&[file]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    let alice = inventory
        .get(
            "Ward::IAM::CredentialReportUser",
            "arn:aws:iam::111122223333:user/alice",
        )
        .unwrap();
    assert_eq!(
        alice.configuration_item_capture_time.as_deref(),
        Some("2024-03-01T09:00:00+00:00")
    );
}

#[test]
fn a_bad_credential_report_row_costs_only_that_row() {
    let dir = tempfile::tempdir().unwrap();
    let broken = format!(
        "{REPORT_CSV}bob,not-an-arn,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\nshort,row\n"
    );
    let csv = write(dir.path(), "credential-report.csv", &broken);
    let (inventory, report) = import(&[csv]);
    let errors: Vec<_> = report.diagnostics().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].message.contains("not-an-arn"),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[0].resource_id.as_deref(), Some("bob"));
    assert!(errors[1].message.contains("line"), "{}", errors[1].message);
    assert_eq!(
        inventory.of_type("Ward::IAM::CredentialReportUser").count(),
        2
    );
}

#[test]
fn password_policy_and_summary_go_to_the_only_account() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "a-password-policy.json",
        r#"{"PasswordPolicy": {"MinimumPasswordLength": 8, "RequireSymbols": false, "ExpirePasswords": false}}"#,
    );
    let summary = write(
        dir.path(),
        "b-summary.json",
        r#"{"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "Users": 3}}"#,
    );
    // The snapshot comes after the facts: attribution waits for every input.
    let snap = snapshot(
        dir.path(),
        "c-snapshot.json",
        &[snapshot_item("111122223333", "eu-west-1", "sg-1")],
    );
    let ebs = write(
        dir.path(),
        "d-ebs.json",
        r#"{"EbsEncryptionByDefault": true, "SseType": "sse-ebs"}"#,
    );
    let (inventory, report) = import(&[policy, summary, snap, ebs]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);

    let policy = inventory
        .get("Ward::IAM::AccountPasswordPolicy", "111122223333")
        .unwrap();
    assert_eq!(policy.configuration["minimumPasswordLength"], json!(8));
    assert_eq!(policy.account_id.as_deref(), Some("111122223333"));
    let summary = inventory
        .get("Ward::IAM::AccountSummary", "111122223333")
        .unwrap();
    assert_eq!(summary.configuration["accountMFAEnabled"], json!(1));
    let ebs = inventory
        .get(
            "Ward::EC2::EbsEncryptionByDefault",
            "111122223333/eu-west-1",
        )
        .unwrap();
    assert_eq!(ebs.aws_region.as_deref(), Some("eu-west-1"));
    assert_eq!(ebs.configuration["ebsEncryptionByDefault"], json!(true));
    assert_eq!(report.resources(), 4);
    assert_eq!(report.files[0].resources, 1);
}

#[test]
fn a_fact_is_never_given_to_a_guessed_account() {
    let dir = tempfile::tempdir().unwrap();
    let snap = two_account_snapshot(dir.path());
    let policy = write(
        dir.path(),
        "password-policy.json",
        r#"{"PasswordPolicy": {"MinimumPasswordLength": 14}}"#,
    );
    let (inventory, report) = import(&[snap, policy]);
    assert_eq!(codes(&report), vec![Code::Unattributed]);
    let error = report.diagnostics().find(|d| d.is_error()).unwrap();
    assert!(
        error
            .message
            .contains("2 accounts (111122223333, 444455556666)"),
        "{}",
        error.message
    );
    assert_eq!(error.file, report.files[1].path);
    assert_eq!(
        inventory
            .of_type("Ward::IAM::AccountPasswordPolicy")
            .count(),
        0
    );
    // The snapshot lost nothing.
    assert_eq!(inventory.of_type("AWS::EC2::SecurityGroup").count(), 2);
    assert_eq!(report.files[1].resources, 0);
}

#[test]
fn a_regional_fact_needs_one_region() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(
        dir.path(),
        "snapshot.json",
        &[
            snapshot_item("111122223333", "us-east-1", "sg-1"),
            snapshot_item("111122223333", "eu-west-1", "sg-2"),
        ],
    );
    let detectors = write(dir.path(), "guardduty.json", r#"{"DetectorIds": []}"#);
    let (_, report) = import(&[snap, detectors]);
    let error = report.diagnostics().find(|d| d.is_error()).unwrap();
    assert_eq!(error.code, Code::Unattributed);
    assert!(
        error.message.contains("2 Regions (eu-west-1, us-east-1)"),
        "{}",
        error.message
    );
}

#[test]
fn directories_named_like_config_delivery_say_account_and_region() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(
        dir.path(),
        "snapshot.json",
        &[
            snapshot_item("111122223333", "us-east-1", "sg-1"),
            snapshot_item("444455556666", "eu-west-1", "sg-2"),
        ],
    );
    write(
        dir.path(),
        "facts/AWSLogs/444455556666/eu-west-1/guardduty.json",
        r#"{"DetectorIds": ["abc123"]}"#,
    );
    write(
        dir.path(),
        "facts/AWSLogs/444455556666/password-policy.json",
        r#"{"PasswordPolicy": {"MinimumPasswordLength": 14}}"#,
    );
    let (inventory, report) = import(&[snap, dir.path().join("facts")]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    let detectors = inventory
        .get("Ward::GuardDuty::Detectors", "444455556666/eu-west-1")
        .unwrap();
    assert_eq!(detectors.configuration["detectorIds"], json!(["abc123"]));
    assert!(
        inventory
            .get("Ward::IAM::AccountPasswordPolicy", "444455556666")
            .is_some()
    );
}

#[test]
fn security_hub_and_virtual_mfa_devices_name_their_account() {
    let dir = tempfile::tempdir().unwrap();
    let hub = write(
        dir.path(),
        "hub.json",
        r#"{"HubArn": "arn:aws:securityhub:eu-west-1:444455556666:hub/default", "SubscribedAt": "2024-01-01T00:00:00.000Z", "AutoEnableControls": true}"#,
    );
    let mfa = write(
        dir.path(),
        "mfa.json",
        r#"{"VirtualMFADevices": [{"SerialNumber": "arn:aws:iam::444455556666:mfa/root-account-mfa-device", "User": {"Arn": "arn:aws:iam::444455556666:root", "UserName": "root"}, "EnableDate": "2024-01-01T00:00:00Z"}]}"#,
    );
    let recorder = write(
        dir.path(),
        "recorder.json",
        r#"{"ConfigurationRecordersStatus": [{"name": "default", "recording": true, "lastStatus": "SUCCESS"}]}"#,
    );
    // The AWS CLI reference's example output of describe-configuration-recorders.
    let recorders = write(
        dir.path(),
        "recorders.json",
        r#"{"ConfigurationRecorders": [{"roleARN": "arn:aws:iam::123456789012:role/config-ConfigRole-A1B2C3D4E5F6", "recordingGroup": {"allSupported": true, "includeGlobalResourceTypes": true, "resourceTypes": []}, "name": "default"}]}"#,
    );
    // aws ssm get-document --name SSM-SessionManagerRunShell; its Content is the preferences
    // document of the Session Manager user guide ("Create a Session Manager preferences
    // document (command line)"), as JSON text.
    let preferences = write(
        dir.path(),
        "session-preferences.json",
        r#"{"Name": "SSM-SessionManagerRunShell", "CreatedDate": "2024-01-01T00:00:00.000000+00:00", "DocumentVersion": "1", "Status": "Active", "Content": "{\"schemaVersion\":\"1.0\",\"description\":\"Document to hold regional settings for Session Manager\",\"sessionType\":\"Standard_Stream\",\"inputs\":{\"s3BucketName\":\"\",\"s3KeyPrefix\":\"\",\"s3EncryptionEnabled\":true,\"cloudWatchLogGroupName\":\"/ssm/sessions\",\"cloudWatchEncryptionEnabled\":true,\"cloudWatchStreamingEnabled\":false,\"kmsKeyId\":\"\",\"runAsEnabled\":false,\"runAsDefaultUser\":\"\",\"idleSessionTimeout\":\"20\"}}", "DocumentType": "Session", "DocumentFormat": "JSON"}"#,
    );
    // Another document's output is not Session Manager's preferences.
    let other_document = write(
        dir.path(),
        "other-document.json",
        r#"{"Name": "AWS-RunShellScript", "Content": "{}", "DocumentType": "Command", "DocumentFormat": "JSON"}"#,
    );
    // Nothing else in the inventory: the hub and the devices know their account, and the
    // hub its Region, which then leaves no doubt about the recorder status either.
    let (inventory, report) = import(&[hub, mfa, recorder, recorders, preferences]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    let hub = inventory
        .get(
            "Ward::SecurityHub::Hub",
            "arn:aws:securityhub:eu-west-1:444455556666:hub/default",
        )
        .unwrap();
    assert_eq!(hub.aws_region.as_deref(), Some("eu-west-1"));
    assert_eq!(hub.configuration["autoEnableControls"], json!(true));
    let devices = inventory
        .get("Ward::IAM::VirtualMFADevices", "444455556666")
        .unwrap();
    assert_eq!(
        devices.configuration["virtualMFADevices"][0]["user"]["arn"],
        json!("arn:aws:iam::444455556666:root")
    );
    let recorder = inventory
        .get("Ward::Config::RecorderStatus", "444455556666/eu-west-1")
        .unwrap();
    assert_eq!(
        recorder.configuration["configurationRecordersStatus"][0]["recording"],
        json!(true)
    );
    let recorders = inventory
        .get("Ward::Config::Recorders", "444455556666/eu-west-1")
        .unwrap();
    assert_eq!(
        recorders.configuration["configurationRecorders"][0]["recordingGroup"]["allSupported"],
        json!(true)
    );
    let preferences = inventory
        .get(
            "Ward::SSM::SessionManagerPreferences",
            "444455556666/eu-west-1",
        )
        .unwrap();
    assert_eq!(preferences.configuration["documentType"], json!("Session"));
    let content: serde_json::Value =
        serde_json::from_str(preferences.configuration["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["inputs"]["cloudWatchLogGroupName"],
        json!("/ssm/sessions")
    );
    let (inventory, _) = import(&[other_document]);
    assert_eq!(
        inventory
            .of_type("Ward::SSM::SessionManagerPreferences")
            .count(),
        0
    );
}

#[test]
fn malformed_facts_are_errors_with_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad_policy = write(dir.path(), "policy.json", r#"{"PasswordPolicy": "strict"}"#);
    let bad_report = write(
        dir.path(),
        "report.json",
        r#"{"Content": "%%%not base64%%%", "ReportFormat": "text/csv"}"#,
    );
    let (_, report) = import(&[bad_policy, bad_report]);
    let errors: Vec<_> = report.diagnostics().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("`PasswordPolicy` is not a JSON object")
    );
    assert!(errors[1].message.contains("not valid base64"));
    assert!(errors[1].file.ends_with("report.json"));
}

// ---- Service facts: responses of services AWS Config does not record ----

#[test]
fn elasticache_clusters_are_named_by_their_arn() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "cache-clusters.json",
        r#"{"CacheClusters": [
            {"CacheClusterId": "sessions-001", "ARN": "arn:aws:elasticache:us-east-1:111122223333:cluster:sessions-001",
             "Engine": "redis", "SnapshotRetentionLimit": 0, "ReplicationGroupId": "sessions"},
            {"CacheClusterId": "nameless"}
        ]}"#,
    );
    let (inventory, report) = import(&[file]);
    assert_eq!(
        report.files[0].format,
        Some(Format::ServiceFacts("elasticache describe-cache-clusters"))
    );
    let cluster = inventory
        .get(
            "Ward::ElastiCache::CacheCluster",
            "arn:aws:elasticache:us-east-1:111122223333:cluster:sessions-001",
        )
        .unwrap();
    assert_eq!(cluster.account_id.as_deref(), Some("111122223333"));
    assert_eq!(cluster.aws_region.as_deref(), Some("us-east-1"));
    assert_eq!(cluster.resource_name.as_deref(), Some("sessions-001"));
    assert_eq!(cluster.configuration["snapshotRetentionLimit"], json!(0));
    // The element without an ARN is named by its id and attributed to the only account
    // and Region the inventory holds.
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    assert!(
        inventory
            .get(
                "Ward::ElastiCache::CacheCluster",
                "111122223333/us-east-1/nameless"
            )
            .is_some()
    );
}

#[test]
fn responses_without_arns_are_attributed_and_qualified() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(
        dir.path(),
        "snapshot.json",
        &[snapshot_item("111122223333", "eu-west-1", "sg-1")],
    );
    let limits = write(
        dir.path(),
        "limits.json",
        r#"{"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000, "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}"#,
    );
    let targets = write(
        dir.path(),
        "targets.json",
        r#"{"ScalableTargets": [{"ServiceNamespace": "dynamodb", "ResourceId": "table/patients", "ScalableDimension": "dynamodb:table:ReadCapacityUnits", "MinCapacity": 5, "MaxCapacity": 100}]}"#,
    );
    let emr = write(
        dir.path(),
        "emr-security.json",
        r#"{"Name": "kerberos", "SecurityConfiguration": "{\"AuthenticationConfiguration\": {\"KerberosConfiguration\": {\"Provider\": \"ClusterDedicatedKdc\"}}}", "CreationDateTime": "2024-01-01T00:00:00Z"}"#,
    );
    let snapshot_attr = write(
        dir.path(),
        "snapshot-attr.json",
        r#"{"SnapshotId": "snap-0123", "CreateVolumePermissions": [{"Group": "all"}]}"#,
    );
    let (inventory, report) = import(&[snap, limits, targets, emr, snapshot_attr]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    let limits = inventory
        .get("Ward::DynamoDB::AccountLimits", "111122223333/eu-west-1")
        .unwrap();
    assert_eq!(
        limits.configuration["accountMaxReadCapacityUnits"],
        json!(80000)
    );
    let target = inventory
        .get(
            "Ward::ApplicationAutoScaling::ScalableTarget",
            "111122223333/eu-west-1/dynamodb/table/patients/dynamodb:table:ReadCapacityUnits",
        )
        .unwrap();
    assert_eq!(target.configuration["maxCapacity"], json!(100));
    let security = inventory
        .get(
            "Ward::EMR::SecurityConfiguration",
            "111122223333/eu-west-1/kerberos",
        )
        .unwrap();
    // The embedded JSON text is decoded.
    assert_eq!(
        security.configuration["securityConfiguration"]["authenticationConfiguration"]["kerberosConfiguration"]
            ["provider"],
        json!("ClusterDedicatedKdc")
    );
    let permissions = inventory
        .get(
            "Ward::EC2::SnapshotCreateVolumePermissions",
            "111122223333/eu-west-1/snap-0123",
        )
        .unwrap();
    assert_eq!(
        permissions.configuration["createVolumePermissions"][0]["group"],
        json!("all")
    );
}

#[test]
fn waf_logging_and_emr_clusters_name_their_resource() {
    let dir = tempfile::tempdir().unwrap();
    let waf = write(
        dir.path(),
        "waf-logging.json",
        r#"{"LoggingConfiguration": {"ResourceArn": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/portal/abc", "LogDestinationConfigs": ["arn:aws:logs:us-east-1:111122223333:log-group:aws-waf-logs-portal"]}}"#,
    );
    let emr = write(
        dir.path(),
        "emr-cluster.json",
        r#"{"Cluster": {"Id": "j-ABC", "Name": "etl", "ClusterArn": "arn:aws:elasticmapreduce:us-east-1:111122223333:cluster/j-ABC", "SecurityConfiguration": "kerberos", "MasterPublicDnsName": "ec2-1-2-3-4.compute-1.amazonaws.com", "Status": {"State": "WAITING"}}}"#,
    );
    let (inventory, report) = import(&[waf, emr]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    let logging = inventory
        .get(
            "Ward::WAFv2::LoggingConfiguration",
            "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/portal/abc",
        )
        .unwrap();
    assert_eq!(
        logging.configuration["logDestinationConfigs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let cluster = inventory
        .get(
            "Ward::EMR::Cluster",
            "arn:aws:elasticmapreduce:us-east-1:111122223333:cluster/j-ABC",
        )
        .unwrap();
    assert_eq!(cluster.configuration["status"]["state"], json!("WAITING"));
}

#[test]
fn a_malformed_service_response_is_an_error_and_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "a.json",
        r#"{"CacheClusters": {"not": "a list"}}"#,
    );
    let paged = write(
        dir.path(),
        "b.json",
        r#"{"ReplicationGroups": [{"ReplicationGroupId": "g", "ARN": "arn:aws:elasticache:us-east-1:111122223333:replicationgroup:g"}], "Marker": "next"}"#,
    );
    let (inventory, report) = import(&[bad, paged]);
    let errors: Vec<_> = report.diagnostics().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("`CacheClusters` is an object, expected a list"),
        "{}",
        errors[0].message
    );
    let warning = report
        .diagnostics()
        .find(|d| d.code == Code::Incomplete)
        .unwrap();
    assert!(
        warning.message.contains("only one page"),
        "{}",
        warning.message
    );
    assert_eq!(
        inventory
            .of_type("Ward::ElastiCache::ReplicationGroup")
            .count(),
        1
    );
}

/// `aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all --output json`
/// (AWS CLI v2) with one public snapshot: the members of botocore's EC2 `Snapshot` shape in
/// the model's order, as the CLI prints them (4-space indentation, v2 timestamps).
const PUBLIC_SNAPSHOTS_CLI: &str = r#"{
    "Snapshots": [
        {
            "Tags": [
                {
                    "Key": "Name",
                    "Value": "imaging-dataset-2025"
                }
            ],
            "StorageTier": "standard",
            "CompletionTime": "2025-03-14T10:21:09.116000+00:00",
            "SnapshotId": "snap-0a1b2c3d4e5f60718",
            "VolumeId": "vol-0fedcba9876543210",
            "State": "completed",
            "StartTime": "2025-03-14T10:02:51.428000+00:00",
            "Progress": "100%",
            "OwnerId": "111122223333",
            "Description": "de-identified imaging dataset",
            "VolumeSize": 50,
            "Encrypted": false
        }
    ]
}
"#;

const PUBLIC_SNAPSHOTS: &str = "Ward::EC2::PublicSnapshots";

#[test]
fn public_snapshot_lists_are_one_fact_per_account_and_region() {
    let dir = tempfile::tempdir().unwrap();
    let one = write(
        dir.path(),
        "AWSLogs/111122223333/us-east-1/ec2-describe-snapshots-public.json",
        PUBLIC_SNAPSHOTS_CLI,
    );
    // The empty list: the query ran and found no public snapshot.
    let none = write(
        dir.path(),
        "AWSLogs/444455556666/eu-west-1/ec2-describe-snapshots-public.json",
        "{\n    \"Snapshots\": []\n}\n",
    );
    let (inventory, report) = import(&[one, none]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    assert_eq!(
        report.files[0].format,
        Some(Format::AccountFacts(
            "ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all"
        ))
    );
    assert_eq!(report.resources(), 2);

    let public = inventory
        .get(PUBLIC_SNAPSHOTS, "111122223333/us-east-1")
        .unwrap();
    assert_eq!(public.account_id.as_deref(), Some("111122223333"));
    assert_eq!(public.aws_region.as_deref(), Some("us-east-1"));
    assert_eq!(public.source.format, "aws-account-facts");
    let snapshots = public.configuration["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0]["snapshotId"], json!("snap-0a1b2c3d4e5f60718"));
    assert_eq!(snapshots[0]["ownerId"], json!("111122223333"));
    assert_eq!(snapshots[0]["encrypted"], json!(false));
    assert_eq!(snapshots[0]["volumeSize"], json!(50));
    assert_eq!(
        snapshots[0]["tags"],
        json!([{"key": "Name", "value": "imaging-dataset-2025"}])
    );
    assert!(public.configuration.get("nextToken").is_none());

    let empty = inventory
        .get(PUBLIC_SNAPSHOTS, "444455556666/eu-west-1")
        .unwrap();
    assert_eq!(empty.account_id.as_deref(), Some("444455556666"));
    assert_eq!(empty.aws_region.as_deref(), Some("eu-west-1"));
    // Present and empty, not absent: positive evidence that nothing is public.
    assert_eq!(empty.configuration["snapshots"], json!([]));
}

#[test]
fn an_empty_public_list_goes_to_the_only_account_and_region() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(
        dir.path(),
        "a-snapshot.json",
        &[snapshot_item("111122223333", "eu-west-1", "sg-1")],
    );
    let list = write(
        dir.path(),
        "EC2-Describe-Snapshots-Public-2026-11-20.json",
        r#"{"Snapshots": []}"#,
    );
    let (inventory, report) = import(&[snap, list]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    let fact = inventory
        .get(PUBLIC_SNAPSHOTS, "111122223333/eu-west-1")
        .unwrap();
    assert_eq!(fact.configuration, json!({"snapshots": []}));
}

#[test]
fn the_owner_names_the_account_when_the_path_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let snap = two_account_snapshot(dir.path());
    let list = write(
        dir.path(),
        "facts/us-east-1/ec2-describe-snapshots-public.json",
        PUBLIC_SNAPSHOTS_CLI,
    );
    let (inventory, report) = import(&[snap, list]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    assert!(
        inventory
            .get(PUBLIC_SNAPSHOTS, "111122223333/us-east-1")
            .is_some()
    );
}

#[test]
fn describe_snapshots_output_in_a_file_not_named_for_the_public_query_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The very same output: nothing in it says it was filtered with
    // `--restorable-by-user-ids all`, so its name must.
    let list = write(
        dir.path(),
        "AWSLogs/111122223333/us-east-1/ec2-describe-snapshots.json",
        PUBLIC_SNAPSHOTS_CLI,
    );
    let (inventory, report) = import(std::slice::from_ref(&list));
    assert_eq!(codes(&report), vec![Code::Ambiguous]);
    let error = report.diagnostics().find(|d| d.is_error()).unwrap();
    assert_eq!(error.file, list.display().to_string());
    // Where: the `Snapshots` key, line 2, column 5, underlined in the file's text.
    assert_eq!(error.line_column, Some((2, 5)));
    let span = error.span.unwrap();
    assert_eq!(
        &PUBLIC_SNAPSHOTS_CLI[span.offset()..span.offset() + span.len()],
        "\"Snapshots\""
    );
    assert!(error.source_code.is_some());
    assert!(
        error.to_string().starts_with(&format!(
            "`{}`:2:5: `ec2 describe-snapshots` output (1 snapshot) does not say which snapshots were asked for",
            list.display()
        )),
        "{error}"
    );
    assert!(
        error
            .help
            .as_deref()
            .unwrap()
            .contains("name the file `ec2-describe-snapshots-public.json`"),
        "{:?}",
        error.help
    );
    assert_eq!(
        report.files[0].format,
        Some(Format::AccountFacts("ec2 describe-snapshots"))
    );
    assert_eq!(report.resources(), 0);
    assert_eq!(inventory.of_type(PUBLIC_SNAPSHOTS).count(), 0);
}

#[test]
fn an_empty_snapshot_list_and_a_recording_are_ambiguous_too() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "snapshots.json", "{\"Snapshots\": []}");
    let placebo = write(
        dir.path(),
        "ec2.DescribeSnapshots_1.json",
        "{\"status_code\": 200,\n \"data\": {\"ResponseMetadata\": {},\n  \"Snapshots\": []}}",
    );
    let (inventory, report) = import(&[empty, placebo]);
    assert_eq!(codes(&report), vec![Code::Ambiguous, Code::Ambiguous]);
    let errors: Vec<_> = report.diagnostics().filter(|d| d.is_error()).collect();
    assert!(
        errors[0]
            .message
            .starts_with("an empty `Snapshots` list (`ec2 describe-snapshots` output?)"),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[0].line_column, Some((1, 2)));
    assert_eq!(errors[1].line_column, Some((3, 3)));
    assert_eq!(inventory.of_type(PUBLIC_SNAPSHOTS).count(), 0);
}

#[test]
fn other_services_snapshot_lists_are_not_ec2s() {
    let dir = tempfile::tempdir().unwrap();
    // `aws redshift describe-cluster-snapshots` also answers with `Snapshots`.
    let redshift = write(
        dir.path(),
        "redshift-describe-cluster-snapshots.json",
        r#"{"Snapshots": [{"SnapshotIdentifier": "rs:dw-2026-11-20", "ClusterIdentifier": "dw"}]}"#,
    );
    let (_, report) = import(&[redshift]);
    assert_eq!(codes(&report), vec![Code::UnknownFormat]);
}

#[test]
fn a_public_list_is_imported_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    // One element is not a snapshot: dropping it could make the list look clean.
    let malformed = write(
        dir.path(),
        "AWSLogs/111122223333/us-east-1/ec2-describe-snapshots-public.json",
        r#"{"Snapshots": [{"SnapshotId": "snap-1", "OwnerId": "111122223333"}, {"VolumeId": "vol-2"}]}"#,
    );
    // Snapshots of two owners: the query lacked `--owner-ids self`.
    let others = write(
        dir.path(),
        "AWSLogs/444455556666/us-east-1/ec2-describe-snapshots-public.json",
        r#"{"Snapshots": [
            {"SnapshotId": "snap-a", "OwnerId": "444455556666"},
            {"SnapshotId": "snap-b", "OwnerId": "444455556666"},
            {"SnapshotId": "snap-c", "OwnerId": "999988887777"}]}"#,
    );
    // A Redshift list under the public list's name.
    let redshift = write(
        dir.path(),
        "AWSLogs/777788889999/us-east-1/ec2-describe-snapshots-public.json",
        r#"{"Snapshots": [{"SnapshotIdentifier": "rs:dw"}]}"#,
    );
    let (inventory, report) = import(&[malformed, others, redshift]);
    assert_eq!(inventory.of_type(PUBLIC_SNAPSHOTS).count(), 0);
    assert_eq!(report.resources(), 0);
    let errors: Vec<_> = report.diagnostics().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].code, Code::Item);
    assert_eq!(errors[0].index, Some(1));
    assert!(
        errors[0]
            .message
            .contains("element 1 of `Snapshots` is an object, not an EBS snapshot"),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[1].index, Some(2));
    assert_eq!(errors[1].resource_id.as_deref(), Some("snap-c"));
    assert!(
        errors[1].message.contains(
            "the snapshots belong to 2 accounts (444455556666, 999988887777), so this is not the output of `--owner-ids self`"
        ),
        "{}",
        errors[1].message
    );
    assert_eq!(errors[2].index, Some(0));
}

#[test]
fn a_public_list_filed_under_another_account_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "AWSLogs/444455556666/us-east-1/ec2-describe-snapshots-public.json",
        PUBLIC_SNAPSHOTS_CLI,
    );
    let (inventory, report) = import(&[list]);
    assert_eq!(codes(&report), vec![Code::Unattributed]);
    let error = report.diagnostics().find(|d| d.is_error()).unwrap();
    assert!(
        error
            .message
            .contains("names account 111122223333, but its path names account 444455556666"),
        "{}",
        error.message
    );
    assert_eq!(inventory.of_type(PUBLIC_SNAPSHOTS).count(), 0);
}

#[test]
fn one_page_of_a_public_list_keeps_its_next_token() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "AWSLogs/111122223333/us-east-1/ec2-describe-snapshots-public.json",
        r#"{"Snapshots": [], "NextToken": "eyJ2IjoiMiJ9"}"#,
    );
    let (inventory, report) = import(&[list]);
    assert!(codes(&report).is_empty(), "{:?}", report.files);
    let warning = report
        .diagnostics()
        .find(|d| d.code == Code::Incomplete)
        .unwrap();
    assert!(
        warning.message.contains("only one page"),
        "{}",
        warning.message
    );
    let fact = inventory
        .get(PUBLIC_SNAPSHOTS, "111122223333/us-east-1")
        .unwrap();
    assert_eq!(fact.configuration["nextToken"], json!("eyJ2IjoiMiJ9"));
}

/// A snapshot of two accounts in one Region: no fact can be given to an account by guess.
fn two_account_snapshot(dir: &Path) -> PathBuf {
    snapshot(
        dir,
        "snapshot.json",
        &[
            snapshot_item("111122223333", "us-east-1", "sg-1"),
            snapshot_item("444455556666", "us-east-1", "sg-2"),
        ],
    )
}
