//! Imports every JSON file of the shared reference data (real Config items, Config rule
//! events, API output and Cloud Custodian placebo recordings) and checks the facts their
//! READMEs state.
//!
//! The data is vendored, unchanged and with its sources and licenses, under
//! `tests/data/reference/` (see its README); a missing folder fails the test.

// Helpers outside `#[test]` functions get the same leave as the tests (clippy.toml).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use ward_import::{FileReport, Format, Level, import_path};
use ward_model::{Inventory, Json, Resource};

fn reference_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/reference");
    assert!(
        dir.join("config-items").is_dir() && dir.join("c7n-placebo").is_dir(),
        "reference data not found at {} (it is part of the repository)",
        dir.display()
    );
    Some(dir)
}

/// Every `*.json` file under `dir`, found independently of the importer's own walk.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Imports one file into a fresh inventory and insists it has no error diagnostics.
fn import_one(root: &Path, relative: &str) -> (FileReport, Inventory) {
    let mut inventory = Inventory::new();
    let report = import_path(&root.join(relative), &mut inventory);
    assert_eq!(report.files.len(), 1);
    let file = report.files.into_iter().next().unwrap();
    let errors: Vec<String> = file
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{relative}: {errors:#?}");
    (file, inventory)
}

fn get<'a>(inventory: &'a Inventory, resource_type: &str, id: &str) -> &'a Resource {
    inventory
        .get(resource_type, id)
        .unwrap_or_else(|| panic!("`{resource_type}` `{id}` not imported"))
}

/// The permission of a security group with this protocol and port range (protocol `-1`
/// has no ports: `from`/`to` are then ignored).
fn permission<'a>(sg: &'a Resource, field: &str, protocol: &str, from: i64, to: i64) -> &'a Json {
    sg.configuration[field]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["ipProtocol"] == protocol
                && (protocol == "-1" || (p["fromPort"] == from && p["toPort"] == to))
        })
        .unwrap_or_else(|| panic!("{}: no {protocol} {from}-{to} in {field}", sg.resource_id))
}

fn cidrs(permission: &Json) -> Vec<&str> {
    permission["ipv4Ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cidrIp"].as_str().unwrap())
        .collect()
}

const CI_DIR: &str = "config-items/aws-config-rdk/rdk/template/example_ci";
const C7N_DATA: &str = "config-items/cloud-custodian/tests/data";
const PLACEBO: &str = "c7n-placebo/tests/data/placebo";

#[test]
fn every_reference_file_imports_without_errors() {
    let Some(root) = reference_dir() else { return };
    for tree in ["config-items", "c7n-placebo"] {
        let mut expected = Vec::new();
        json_files(&root.join(tree), &mut expected);
        expected.sort();
        assert!(!expected.is_empty());

        let mut inventory = Inventory::new();
        let report = import_path(&root.join(tree), &mut inventory);
        let mut seen: Vec<PathBuf> = report
            .files
            .iter()
            .map(|f| PathBuf::from(&f.path))
            .collect();
        seen.sort();
        assert_eq!(seen, expected, "the directory walk finds every JSON file");

        let errors: Vec<String> = report
            .diagnostics()
            .filter(|d| d.level == Level::Error)
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        for file in &report.files {
            assert!(file.format.is_some(), "{}: format not detected", file.path);
            if file.resources == 0 {
                assert!(
                    file.diagnostics.iter().any(|d| d.level == Level::Info),
                    "{}: imported nothing and did not say why",
                    file.path
                );
            }
        }
        for resource in inventory.iter() {
            assert!(resource.source.file.is_some(), "{}", resource.resource_id);
            assert!(!resource.source.format.is_empty());
            assert!(
                resource.configuration.is_object(),
                "{}",
                resource.resource_id
            );
            if let Some(time) = &resource.configuration_item_capture_time {
                assert!(time.ends_with('Z') && time.len() >= 20, "{time}");
            }
        }
    }
}

#[test]
fn rdk_security_group_legacy_ip_ranges() {
    let Some(root) = reference_dir() else { return };
    let (file, inv) = import_one(&root, &format!("{CI_DIR}/AWS_EC2_SecurityGroup.json"));
    assert_eq!(file.format, Some(Format::ConfigurationItem));
    let sg = get(&inv, "AWS::EC2::SecurityGroup", "sg-1d56fc66");
    let ssh = permission(sg, "ipPermissions", "tcp", 22, 22);
    assert_eq!(
        cidrs(ssh),
        ["0.0.0.0/0"],
        "ipv4Ranges synthesized from ipRanges"
    );
    assert_eq!(ssh["ipRanges"], json!(["0.0.0.0/0"]));
    assert_eq!(ssh["ipv6Ranges"], json!([]));
    assert_eq!(sg.account_id.as_deref(), Some("264683526309"));
    assert_eq!(sg.relationships[0].relationship_name, "Is contained in Vpc");
    assert_eq!(sg.source.format, "config-item");
}

#[test]
fn rdk_rds_instance() {
    let Some(root) = reference_dir() else { return };
    let (_, inv) = import_one(&root, &format!("{CI_DIR}/AWS_RDS_DBInstance.json"));
    let db = get(
        &inv,
        "AWS::RDS::DBInstance",
        "db-HHTTSRD6HXUIKXPFPI6WFVZ4PA",
    );
    assert_eq!(db.resource_name.as_deref(), Some("myrdstest"));
    assert_eq!(db.configuration["publiclyAccessible"], true);
    assert_eq!(db.configuration["storageEncrypted"], true);
    assert_eq!(db.configuration["multiAZ"], true);
    assert_eq!(db.configuration["backupRetentionPeriod"], 7);
    assert_eq!(
        db.tags.get("workload-type").map(String::as_str),
        Some("production")
    );
}

#[test]
fn rdk_s3_bucket_v13_spelling_and_policy() {
    let Some(root) = reference_dir() else { return };
    let (_, inv) = import_one(&root, &format!("{CI_DIR}/AWS_S3_Bucket.json"));
    let bucket = get(&inv, "AWS::S3::Bucket", "mborch-test-bucket-config-item");
    assert_eq!(
        bucket.account_id.as_deref(),
        Some("934654633380"),
        "awsAccountId"
    );
    assert_eq!(
        bucket.arn.as_deref(),
        Some("arn:aws:s3:::mborch-test-bucket-config-item"),
        "ARN"
    );
    let supp = &bucket.supplementary_configuration;
    let policy = &supp["BucketPolicy"]["policyText"];
    assert!(policy.is_object(), "policyText decoded: {policy}");
    assert_eq!(policy["Statement"][0]["Effect"], "Deny");
    assert_eq!(
        policy["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
    assert_eq!(
        supp["AccessControlList"]["grantList"][0]["permission"],
        "FullControl"
    );
    assert_eq!(
        supp["BucketLoggingConfiguration"]["destinationBucketName"],
        Value::Null
    );
    assert_eq!(supp["BucketVersioningConfiguration"]["status"], "Enabled");
}

#[test]
fn iam_policy_documents_become_objects() {
    let Some(root) = reference_dir() else { return };
    let (_, inv) = import_one(&root, &format!("{CI_DIR}/AWS_IAM_Policy.json"));
    let policy = get(&inv, "AWS::IAM::Policy", "ANPAIJWML3NX3NT6UAGO4");
    let doc = &policy.configuration["policyVersionList"][0]["document"];
    assert!(doc.is_object(), "one-element array unwrapped: {doc}");
    assert_eq!(
        doc["Statement"][0]["Action"][0],
        "elasticloadbalancing:Describe*"
    );

    let (_, inv) = import_one(&root, &format!("{CI_DIR}/AWS_IAM_User.json"));
    let user = get(&inv, "AWS::IAM::User", "AIDAILEDWOGIPJFAKOJKW");
    assert_eq!(
        user.arn.as_deref(),
        Some("arn:aws:iam::112233445566:user/johndoe")
    );
    let doc = &user.configuration["userPolicyList"][0]["policyDocument"];
    assert_eq!(doc["Statement"][0]["Action"][0], "codedeploy:*");
}

#[test]
fn elbv2_attributes_decoded_from_json_strings() {
    let Some(root) = reference_dir() else { return };
    let attribute = |r: &Resource, key: &str| -> Json {
        r.supplementary_configuration["LoadBalancerAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"].clone())
            .unwrap()
    };
    let (_, inv) = import_one(&root, &format!("{C7N_DATA}/config/app-elb.json"));
    let arn = "arn:aws:elasticloadbalancing:us-east-1:644160558196:loadbalancer/app/Migration-QAEAST-ELB/6b0fe08b851e2aa";
    let alb = get(&inv, "AWS::ElasticLoadBalancingV2::LoadBalancer", arn);
    assert_eq!(attribute(alb, "access_logs.s3.enabled"), "true");
    assert_eq!(
        attribute(alb, "access_logs.s3.bucket"),
        "elb-access-logs-us-east-1"
    );
    assert_eq!(
        alb.configuration["scheme"], "internal",
        "configuration decoded"
    );
    assert_eq!(
        alb.configuration_item_capture_time.as_deref(),
        Some("2017-11-09T17:35:43.639000Z"),
        "offset converted to UTC"
    );
    assert_eq!(alb.tags.get("Env").map(String::as_str), Some("QA"));

    let (_, inv) = import_one(
        &root,
        &format!("{CI_DIR}/AWS_ElasticLoadBalancingV2_LoadBalancer.json"),
    );
    let arn = "arn:aws:elasticloadbalancing:us-east-1:264683526309:loadbalancer/app/MyALB/268aa84731d32825";
    let alb = get(&inv, "AWS::ElasticLoadBalancingV2::LoadBalancer", arn);
    assert_eq!(attribute(alb, "access_logs.s3.enabled"), "false");
}

#[test]
fn s3_v12_supplementary_strings() {
    let Some(root) = reference_dir() else { return };
    let (_, inv) = import_one(&root, &format!("{C7N_DATA}/config/s3.json"));
    let bucket = get(&inv, "AWS::S3::Bucket", "config-rule-sanity");
    let supp = &bucket.supplementary_configuration;
    assert_eq!(supp["BucketPolicy"]["policyText"], Value::Null);
    assert_eq!(supp["BucketVersioningConfiguration"]["status"], "Off");
    assert_eq!(supp["IsRequesterPaysEnabled"], false);
    // Double-encoded upstream: a JSON string of a JSON string.
    assert!(supp["AccessControlList"]["grantList"].is_array());
    assert_eq!(bucket.configuration["name"], "config-rule-sanity");
}

#[test]
fn select_resource_config_result() {
    let Some(root) = reference_dir() else { return };
    let (file, inv) = import_one(
        &root,
        &format!(
            "{C7N_DATA}/placebo/test_security_group_config_source/config.SelectResourceConfig_1.json"
        ),
    );
    assert_eq!(file.format, Some(Format::SelectResourceConfig));
    let sg = get(&inv, "AWS::EC2::SecurityGroup", "sg-6c7fa917");
    assert_eq!(sg.configuration["groupName"], "default");
    let all = permission(sg, "ipPermissions", "-1", 0, 0);
    assert_eq!(all["userIdGroupPairs"][0]["groupId"], "sg-6c7fa917");
    assert_eq!(
        sg.tags.get("NetworkLocation").map(String::as_str),
        Some("Private")
    );
    assert!(file.diagnostics.iter().any(|d| d.level == Level::Info));
}

#[test]
fn resource_config_history_items() {
    let Some(root) = reference_dir() else { return };
    let (file, inv) = import_one(
        &root,
        &format!("{C7N_DATA}/placebo/test_sg_config_diff/config.GetResourceConfigHistory_1.json"),
    );
    assert_eq!(file.format, Some(Format::ConfigApiItems));
    assert_eq!(file.resources, 2, "two versions of one group");
    let sg = get(&inv, "AWS::EC2::SecurityGroup", "sg-a38ed1de");
    assert_eq!(
        sg.configuration_item_capture_time.as_deref(),
        Some("2016-12-11T06:04:03.800000Z"),
        "placebo datetime converted; the newer version kept"
    );
    assert_eq!(
        cidrs(permission(sg, "ipPermissions", "tcp", 8080, 8080)),
        ["0.0.0.0/0"]
    );
    assert_eq!(
        cidrs(permission(sg, "ipPermissions", "tcp", 443, 443)),
        ["10.42.1.0/24"]
    );
    assert_eq!(sg.source.format, "config-api");

    let (_, inv) = import_one(
        &root,
        &format!(
            "{C7N_DATA}/placebo/test_sg_config_ingres_diff/config.GetResourceConfigHistory_1.json"
        ),
    );
    let sg = get(&inv, "AWS::EC2::SecurityGroup", "sg-65229a0c");
    let pair = &permission(sg, "ipPermissions", "tcp", 0, 0)["userIdGroupPairs"][0];
    assert_eq!(pair["groupId"], "sg-aa6c90c3");
}

#[test]
fn config_rule_events() {
    let Some(root) = reference_dir() else { return };
    let (file, inv) = import_one(
        &root,
        &format!("{C7N_DATA}/cwe/event-config-rule-security-group.json"),
    );
    assert_eq!(file.format, Some(Format::ConfigRuleEvent));
    let sg = get(&inv, "AWS::EC2::SecurityGroup", "sg-e2fb6999");
    assert_eq!(
        cidrs(permission(sg, "ipPermissions", "tcp", 22, 22)),
        ["0.0.0.0/0"]
    );
    assert_eq!(sg.account_id.as_deref(), Some("123456789012"));
    assert_eq!(sg.relationships.len(), 3, "relationships spelled `name`");
    assert_eq!(sg.source.format, "config-rule-event");

    let (_, inv) = import_one(&root, &format!("{C7N_DATA}/config/rds-from-rule.json"));
    let db = get(
        &inv,
        "AWS::RDS::DBInstance",
        "db-KOCU7UR74VM3AC4R3H2UXX7PE4",
    );
    assert_eq!(db.configuration["publiclyAccessible"], true);
    assert_eq!(db.configuration["storageEncrypted"], false);
    assert_eq!(
        db.tags.get("workload-type").map(String::as_str),
        Some("other")
    );

    let (_, inv) = import_one(
        &root,
        &format!("{C7N_DATA}/config/app-elb-config-event.json"),
    );
    let arn = "arn:aws:elasticloadbalancing:us-east-1:644160558196:loadbalancer/app/test/7299960b1f36557d";
    let alb = get(&inv, "AWS::ElasticLoadBalancingV2::LoadBalancer", arn);
    assert_eq!(
        alb.configuration["dNSName"],
        "internal-test-288037075.us-east-1.elb.amazonaws.com"
    );

    let (_, inv) = import_one(&root, &format!("{C7N_DATA}/config/s3-from-rule.json"));
    get(&inv, "AWS::S3::Bucket", "c7n-fire-logs");
    let (_, inv) = import_one(
        &root,
        &format!("{C7N_DATA}/cwe/event-config-rule-instance.json"),
    );
    let instance = get(&inv, "AWS::EC2::Instance", "i-094bc87c84d56c589");
    assert_eq!(
        instance.tags.get("Name").map(String::as_str),
        Some("redrum-redrum")
    );

    let (file, inv) = import_one(&root, &format!("{C7N_DATA}/config/poll-evaluation.json"));
    assert_eq!(file.format, Some(Format::ConfigRuleEvent));
    assert!(inv.is_empty());
    let info = &file.diagnostics[0];
    assert_eq!(info.level, Level::Info);
    assert!(info.message.contains("`ScheduledNotification`"), "{info}");
}

#[test]
fn placebo_security_groups() {
    let Some(root) = reference_dir() else { return };
    let (file, inv) = import_one(
        &root,
        &format!("{PLACEBO}/test_only_ports_and_cidr_ingress/ec2.DescribeSecurityGroups_1.json"),
    );
    assert_eq!(file.format, Some(Format::Ec2Api));
    assert_eq!(file.resources, 19);
    assert_eq!(inv.of_type("AWS::EC2::SecurityGroup").count(), 19);

    let open = get(&inv, "AWS::EC2::SecurityGroup", "sg-0d40e803b8b644e79");
    assert_eq!(open.resource_name.as_deref(), Some("sg_jantmantest_1"));
    assert_eq!(open.account_id.as_deref(), Some("123456789012"));
    assert_eq!(open.arn, None, "no region in the response");
    assert_eq!(open.source.format, "ec2-api");
    assert_eq!(
        open.configuration_item_capture_time.as_deref(),
        Some("2018-10-18T11:59:58Z"),
        "response date"
    );
    let ssh = permission(open, "ipPermissions", "tcp", 22, 22);
    assert_eq!(cidrs(ssh), ["0.0.0.0/0"]);
    assert_eq!(
        ssh["ipRanges"],
        json!(["0.0.0.0/0"]),
        "legacy list synthesized"
    );

    let tested = get(&inv, "AWS::EC2::SecurityGroup", "sg-02a60363e2b087ff8");
    assert_eq!(
        cidrs(permission(tested, "ipPermissions", "tcp", 8080, 8080)),
        ["0.0.0.0/0"]
    );
    assert_eq!(
        cidrs(permission(tested, "ipPermissions", "tcp", 1234, 4321)),
        ["0.0.0.0/0"]
    );

    let default = get(&inv, "AWS::EC2::SecurityGroup", "sg-1952d160");
    let all = permission(default, "ipPermissions", "-1", 0, 0);
    assert_eq!(all["userIdGroupPairs"][0]["groupId"], "sg-1952d160");

    let (_, inv) = import_one(
        &root,
        &format!("{PLACEBO}/test_ec2_security_group_filter/ec2.DescribeSecurityGroups_1.json"),
    );
    let wizard = get(&inv, "AWS::EC2::SecurityGroup", "sg-926a56e8");
    assert_eq!(
        cidrs(permission(wizard, "ipPermissions", "tcp", 22, 22)),
        ["0.0.0.0/0"]
    );
    let narrow = get(&inv, "AWS::EC2::SecurityGroup", "sg-411b413c");
    assert_eq!(
        cidrs(permission(narrow, "ipPermissions", "tcp", 22, 22)),
        ["204.63.44.148/32"]
    );
}

#[test]
fn placebo_rds_instances() {
    let Some(root) = reference_dir() else { return };
    let dir = format!("{PLACEBO}/test_rds_public_accessible_disable");
    let (file, inv) = import_one(&root, &format!("{dir}/rds.DescribeDBInstances_1.json"));
    assert_eq!(file.format, Some(Format::RdsApi));
    assert_eq!(file.resources, 2);
    for db in inv.of_type("AWS::RDS::DBInstance") {
        assert_eq!(
            db.configuration["publiclyAccessible"], true,
            "{}",
            db.resource_id
        );
        assert_eq!(
            db.configuration["storageEncrypted"], false,
            "{}",
            db.resource_id
        );
        assert_eq!(db.aws_region.as_deref(), Some("us-east-1"));
        assert_eq!(db.account_id.as_deref(), Some("644160558196"));
        assert!(db.configuration["dBInstanceIdentifier"].is_string());
        assert!(db.configuration["vpcSecurityGroups"][0]["vpcSecurityGroupId"].is_string());
    }
    let names: Vec<_> = inv
        .of_type("AWS::RDS::DBInstance")
        .filter_map(|r| r.resource_name.as_deref())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"c7n-test-pa") && names.contains(&"c7n-data-index"));
    // The same instance as the Config rule event's CI: same resource id.
    get(
        &inv,
        "AWS::RDS::DBInstance",
        "db-KOCU7UR74VM3AC4R3H2UXX7PE4",
    );

    let (file, inv) = import_one(&root, &format!("{dir}/rds.ModifyDBInstance_1.json"));
    assert_eq!(file.format, Some(Format::RdsApi));
    assert_eq!(inv.len(), 1);

    // The whole directory: the newest response (`DescribeDBInstances_2`) wins.
    let mut inv = Inventory::new();
    let report = import_path(&root.join(&dir), &mut inv);
    assert!(!report.has_errors());
    let pa = inv
        .of_type("AWS::RDS::DBInstance")
        .find(|r| r.resource_name.as_deref() == Some("c7n-test-pa"))
        .unwrap();
    assert_eq!(pa.configuration["publiclyAccessible"], false);
}

#[test]
fn placebo_s3_and_responses_without_resources() {
    let Some(root) = reference_dir() else { return };
    let (file, inv) = import_one(
        &root,
        &format!("{PLACEBO}/test_s3_enable_logging/s3.ListBuckets_1.json"),
    );
    assert_eq!(file.format, Some(Format::S3Api));
    let bucket = get(&inv, "AWS::S3::Bucket", "superduper-and-magic");
    assert_eq!(
        bucket.arn.as_deref(),
        Some("arn:aws:s3:::superduper-and-magic")
    );
    assert_eq!(
        bucket.configuration["owner"]["displayName"],
        "custodian-skunkworks"
    );
    assert_eq!(bucket.configuration["creationDate"], "2019-12-20T23:00:14Z");

    for (relative, operation) in [
        (
            "test_s3_enable_logging/s3.GetBucketLogging_1.json",
            "s3.GetBucketLogging",
        ),
        (
            "test_s3_enable_logging/s3.GetBucketLogging_2.json",
            "s3.GetBucketLogging",
        ),
        (
            "test_s3_self_log_target/s3.GetBucketLogging_1.json",
            "s3.GetBucketLogging",
        ),
        (
            "test_only_ports_and_cidr_ingress/ec2.RevokeSecurityGroupIngress_1.json",
            "ec2.RevokeSecurityGroupIngress",
        ),
        (
            "test_security_group_config_rule/config.PutEvaluations_1.json",
            "config.PutEvaluations",
        ),
    ] {
        let (file, inv) = import_one(&root, &format!("{PLACEBO}/{relative}"));
        assert_eq!(
            file.format,
            Some(Format::NoResources(operation.to_string())),
            "{relative}"
        );
        assert!(inv.is_empty());
        assert_eq!(file.diagnostics.len(), 1, "{relative}");
        assert_eq!(file.diagnostics[0].level, Level::Info);
        assert!(file.diagnostics[0].message.contains(operation));
    }
}
