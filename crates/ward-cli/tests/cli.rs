//! End-to-end tests of the `ward` binary over the data in `tests/data/`, the shipped example
//! and the real AWS samples vendored in `tests/data/reference/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::*;

use serde_json::Value;

/// `ward check` of the shipped example, as JSON.
fn check_example_json() -> Output {
    ward(&["check", "--snapshot", EXAMPLE, "--format", "json"])
}

/// Rules for which the example estate cannot give both a COMPLIANT and a NON_COMPLIANT
/// finding: the status it cannot show, and why (examples/clinic/README.md, "What the estate
/// cannot show"). Keep this list small: a rule leaves it as soon as the estate can show both.
const ONE_SIDED_RULES: &[(&str, &str, &str)] = &[
    (
        "ec2-instances-in-vpc",
        "NON_COMPLIANT",
        "only an EC2-Classic instance is outside a VPC, and EC2-Classic was retired in 2023",
    ),
    (
        "alb-waf-enabled",
        "COMPLIANT",
        "AWS Config records WAF Classic associations only, and WAF Classic reached end of life in 2025",
    ),
    (
        "ssm-document-not-public",
        "COMPLIANT",
        "AWS Config does not record a document's sharing permissions (fail closed)",
    ),
    (
        "internet-gateway-authorized-vpc-only",
        "COMPLIANT",
        "without the AuthorizedVpcIds parameter every attached gateway is NON_COMPLIANT",
    ),
];

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn status_of(doc: &Value, rule: &str, id: &str) -> Option<String> {
    doc["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == rule && f["resource"]["id"] == id)
        .and_then(|f| f["status"].as_str())
        .map(str::to_string)
}

fn reference_dir() -> Option<PathBuf> {
    let dir = root().join("tests/data/reference");
    assert!(
        dir.is_dir(),
        "reference data not found at {} (it is part of the repository)",
        dir.display()
    );
    Some(dir)
}

#[test]
fn example_estate_gives_findings_for_every_rule() {
    let out = check_example_json();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings exit 1; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["format_version"], "1");
    assert!(
        doc.get("input_problems").is_none(),
        "the example imports cleanly: {}",
        doc["input_problems"]
    );
    assert_eq!(
        doc["summary"]["rules_without_resources"],
        serde_json::json!([]),
        "every rule has resources in the example"
    );
    let rules: Vec<String> = doc["summary"]["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect();
    let pack = ward_run::builtin_pack().unwrap();
    let pack_rules: Vec<&str> = pack.rules.iter().map(|r| r.id.as_str()).collect();
    for rule in &pack_rules {
        assert!(
            rules.iter().any(|r| r == rule),
            "{rule}: no finding in the example"
        );
    }
    for (rule, _, _) in ONE_SIDED_RULES {
        assert!(
            pack_rules.contains(rule),
            "allow-listed {rule} is not a rule of the pack"
        );
    }
    for rule in &rules {
        let statuses: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule.as_str())
            .map(|f| f["status"].as_str().unwrap())
            .collect();
        match ONE_SIDED_RULES.iter().find(|(r, _, _)| r == rule) {
            Some((_, missing, why)) => {
                let shown = if *missing == "COMPLIANT" {
                    "NON_COMPLIANT"
                } else {
                    "COMPLIANT"
                };
                assert!(
                    !statuses.contains(missing),
                    "{rule} now has a {missing} finding: remove it from ONE_SIDED_RULES ({why})"
                );
                assert!(
                    statuses.contains(&shown),
                    "{rule}: no {shown} resource in the example"
                );
            }
            None => {
                assert!(
                    statuses.contains(&"COMPLIANT"),
                    "{rule}: no compliant resource in the example"
                );
                assert!(
                    statuses.contains(&"NON_COMPLIANT"),
                    "{rule}: no non-compliant resource in the example"
                );
            }
        }
    }
    assert_eq!(doc["summary"]["error"], 0);
    // Each finding carries what the JSON format promises.
    for f in doc["findings"].as_array().unwrap() {
        for key in [
            "rule",
            "backend",
            "status",
            "resource",
            "message",
            "evidence",
            "citations",
            "severity",
            "fingerprint",
        ] {
            assert!(f.get(key).is_some(), "finding without `{key}`: {f}");
        }
        assert!(
            f["citations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c.as_str().unwrap().starts_with("164."))
        );
    }
}

#[test]
fn output_is_deterministic() {
    let a = check_example_json();
    let b = check_example_json();
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn text_output_groups_by_rule_and_shows_evidence() {
    let out = ward(&["check", "--snapshot", EXAMPLE]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("restricted-ssh"));
    assert!(text.contains("NON_COMPLIANT"));
    assert!(
        text.contains("configuration.ipPermissions["),
        "evidence paths shown:\n{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour when not on a terminal");
}

#[test]
fn a_rule_with_typos_is_rejected_with_pointed_diagnostics() {
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--policies",
        "tests/data/typo-rule.ward",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown statement `asert`"), "{err}");
    assert!(err.contains("did you mean `assert`?"), "{err}");
    assert!(err.contains("unknown field `ipPermisions`"), "{err}");
    assert!(err.contains("did you mean `ipPermissions`?"), "{err}");
    assert!(err.contains("unknown function `is_wrold`"), "{err}");
    assert!(
        err.contains("`assert` needs a condition followed by `else \"message\"`"),
        "{err}"
    );
    assert!(
        err.contains("typo-rule.ward:11:3"),
        "location of the typo: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing evaluated");
}

#[test]
fn a_malformed_item_is_named_and_the_rest_is_evaluated() {
    let out = ward(&[
        "check",
        "--snapshot",
        "tests/data/malformed-snapshot.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "input errors exit 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("item 1") && err.contains("db-broken"), "{err}");
    let doc = json_of(&out);
    let problem = &doc["input_problems"][0];
    assert_eq!(problem["item"], 1);
    assert_eq!(problem["resource_id"], "db-broken");
    assert_eq!(
        status_of(&doc, "restricted-ssh", "sg-0open").as_deref(),
        Some("NON_COMPLIANT")
    );
    assert_eq!(
        status_of(&doc, "encrypted-volumes", "vol-0plain").as_deref(),
        Some("NON_COMPLIANT")
    );
}

#[test]
fn parameters_override_defaults_and_bad_ones_are_rejected() {
    let out = ward(&[
        "check",
        "--snapshot",
        "tests/data/malformed-snapshot.json",
        "--format",
        "json",
        "--param",
        "restricted-common-ports.blockedPorts=22,3389",
    ]);
    let doc = json_of(&out);
    assert_eq!(
        status_of(&doc, "restricted-common-ports", "sg-0open").as_deref(),
        Some("NON_COMPLIANT")
    );

    let bad = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--param",
        "restricted-common-ports.blockedPorts=ssh",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected a number"));
    let unknown = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--param",
        "restricted-ssh.nope=1",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("has no parameter `nope`"));
}

#[test]
fn explain_prints_the_rule() {
    let out = ward(&["explain", "restricted-common-ports"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("blockedPorts: list<number> = [20,21,3389,3306,4333]"),
        "{text}"
    );
    assert!(text.contains("164."));
    assert!(text.contains("remediation"));
    let typo = ward(&["explain", "restricted-shh"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("did you mean `restricted-ssh`?"));
}

#[test]
fn ward_test_runs_the_pack_and_reports_failures() {
    let out = ward(&["test", "policies"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.trim_end().ends_with("0 failed"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.ward"),
        "rule r {\n title: \"t\"\n severity: low\n hipaa: [\"164.312(b)\"]\n resource: AWS::EC2::Volume\n assert configuration.encrypted == true else \"volume not encrypted\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("r.tests.yaml"),
        "cases:\n  - name: wrong expectation\n    resources:\n      - resourceType: AWS::EC2::Volume\n        resourceId: vol-1\n        configuration: {encrypted: false}\n    expect:\n      vol-1: COMPLIANT\n",
    )
    .unwrap();
    let out = ward(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("vol-1: expected COMPLIANT, got NON_COMPLIANT — volume not encrypted"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("0 passed, 1 failed"), "{text}");

    // An id that two resources share (two accounts): the expectation holds for both, not
    // only for the first finding found.
    std::fs::write(
        dir.path().join("r.tests.yaml"),
        "cases:\n  - name: one id in two accounts\n    resources:\n      - resourceType: AWS::EC2::Volume\n        resourceId: vol-1\n        awsAccountId: '111122223333'\n        configuration: {encrypted: true}\n      - resourceType: AWS::EC2::Volume\n        resourceId: vol-1\n        awsAccountId: '444455556666'\n        configuration: {encrypted: false}\n    expect:\n      vol-1: COMPLIANT\n",
    )
    .unwrap();
    let out = ward(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "vol-1 (account 444455556666): expected COMPLIANT, got NON_COMPLIANT — volume not encrypted"
        ),
        "{text}"
    );
    assert!(text.trim_end().ends_with("0 passed, 1 failed"), "{text}");
}

/// The real AWS samples: every file imports, and the findings agree with the AWS
/// documentation of each managed rule (the expectations in `config-items/README.md`).
#[test]
fn reference_samples_agree_with_the_managed_rules() {
    let Some(reference) = reference_dir() else {
        return;
    };
    let config_items = reference.join("config-items");
    let placebo = reference.join("c7n-placebo");
    let out = ward(&[
        "check",
        "--snapshot",
        config_items.to_str().unwrap(),
        "--snapshot",
        placebo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert!(
        doc.get("input_problems").is_none(),
        "all samples import: {}",
        doc["input_problems"]
    );
    let expect = [
        ("restricted-ssh", "sg-1d56fc66", "NON_COMPLIANT"),
        ("restricted-ssh", "sg-e2fb6999", "NON_COMPLIANT"),
        ("restricted-ssh", "sg-0d40e803b8b644e79", "NON_COMPLIANT"),
        ("restricted-ssh", "sg-926a56e8", "NON_COMPLIANT"),
        ("restricted-ssh", "sg-411b413c", "COMPLIANT"),
        // After c7n's remediation: the newer recording wins in the inventory.
        (
            "restricted-common-ports",
            "sg-02a60363e2b087ff8",
            "COMPLIANT",
        ),
        (
            "vpc-default-security-group-closed",
            "sg-1952d160",
            "NON_COMPLIANT",
        ),
        (
            "vpc-default-security-group-closed",
            "sg-1d56fc66",
            "NOT_APPLICABLE",
        ),
        (
            "rds-instance-public-access-check",
            "db-HHTTSRD6HXUIKXPFPI6WFVZ4PA",
            "NON_COMPLIANT",
        ),
        (
            "rds-storage-encrypted",
            "db-HHTTSRD6HXUIKXPFPI6WFVZ4PA",
            "COMPLIANT",
        ),
        (
            "rds-multi-az-support",
            "db-HHTTSRD6HXUIKXPFPI6WFVZ4PA",
            "COMPLIANT",
        ),
        (
            "db-instance-backup-enabled",
            "db-HHTTSRD6HXUIKXPFPI6WFVZ4PA",
            "COMPLIANT",
        ),
        (
            "s3-bucket-logging-enabled",
            "mborch-test-bucket-config-item",
            "NON_COMPLIANT",
        ),
        // Its Deny covers the bucket ARN only, not `bucket/*`: objects stay readable over
        // HTTP, so Ward's reading is stricter than the reference README's (see the rule).
        (
            "s3-bucket-ssl-requests-only",
            "mborch-test-bucket-config-item",
            "NON_COMPLIANT",
        ),
        (
            "s3-bucket-versioning-enabled",
            "mborch-test-bucket-config-item",
            "COMPLIANT",
        ),
        (
            "s3-bucket-server-side-encryption-enabled",
            "mborch-test-bucket-config-item",
            "NON_COMPLIANT",
        ),
        ("encrypted-volumes", "vol-a416b170", "COMPLIANT"),
        (
            "ec2-instance-no-public-ip",
            "i-03402838daac1d611",
            "NON_COMPLIANT",
        ),
        (
            "iam-policy-no-statements-with-admin-access",
            "ANPAIJWML3NX3NT6UAGO4",
            "COMPLIANT",
        ),
        ("elb-logging-enabled", "CLB1", "NON_COMPLIANT"),
        (
            "elb-logging-enabled",
            "arn:aws:elasticloadbalancing:us-east-1:264683526309:loadbalancer/app/MyALB/268aa84731d32825",
            "NON_COMPLIANT",
        ),
        (
            "cloud-trail-log-file-validation-enabled",
            "APJCCloudTrail",
            "COMPLIANT",
        ),
        (
            "nacl-no-unrestricted-ssh-rdp",
            "acl-b48fd1d0",
            "NON_COMPLIANT",
        ),
        (
            "ward-nacl-db-ports-blocked",
            "acl-b48fd1d0",
            "NON_COMPLIANT",
        ),
    ];
    let mut wrong = Vec::new();
    for (rule, id, status) in expect {
        let got = status_of(&doc, rule, id);
        if got.as_deref() != Some(status) {
            wrong.push(format!("{rule} {id}: expected {status}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The same group before the remediation: 8080 and 1234-4321 (3306, 3389) open to the world.
    let before = placebo.join(
        "tests/data/placebo/test_only_ports_and_cidr_ingress/ec2.DescribeSecurityGroups_1.json",
    );
    let out = ward(&[
        "check",
        "--snapshot",
        before.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc = json_of(&out);
    assert_eq!(
        status_of(&doc, "restricted-common-ports", "sg-02a60363e2b087ff8").as_deref(),
        Some("NON_COMPLIANT")
    );
}

/// The example's findings match `examples/clinic/expected-statuses.json`, the machine-readable
/// form of the expected-results table in `examples/clinic/README.md` (both written by
/// `examples/clinic/generate.py` from the expectations it declares, read from each rule's
/// documented semantics). A key is a resource id, or `TYPE/ID` where two resources of a rule
/// share an id.
#[test]
fn example_estate_matches_its_expected_results() {
    let out = check_example_json();
    let doc = json_of(&out);
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/clinic/expected-statuses.json")).unwrap(),
    )
    .unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let mut wrong = Vec::new();
    let mut matched = std::collections::BTreeSet::new();
    for (rule, resources) in expected.as_object().unwrap() {
        for (key, status) in resources.as_object().unwrap() {
            let hits: Vec<usize> = findings
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    f["rule"] == rule.as_str()
                        && (f["resource"]["id"] == key.as_str()
                            || format!(
                                "{}/{}",
                                f["resource"]["type"].as_str().unwrap_or(""),
                                f["resource"]["id"].as_str().unwrap_or("")
                            ) == *key)
                })
                .map(|(i, _)| i)
                .collect();
            match hits.as_slice() {
                [i] => {
                    matched.insert(*i);
                    let got = &findings[*i]["status"];
                    if got != status {
                        wrong.push(format!(
                            "{rule} {key}: expected {status}, got {got}: {}",
                            findings[*i]["message"]
                        ));
                    }
                }
                [] => wrong.push(format!("{rule} {key}: no finding")),
                _ => wrong.push(format!("{rule} {key}: {} findings match", hits.len())),
            }
        }
    }
    let unexpected: Vec<String> = findings
        .iter()
        .enumerate()
        .filter(|(i, _)| !matched.contains(i))
        .map(|(_, f)| {
            format!(
                "{} {} {}",
                f["rule"], f["resource"]["type"], f["resource"]["id"]
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        unexpected.is_empty(),
        "findings without an expected status:\n{}",
        unexpected.join("\n")
    );
}

/// Documented parameter variants of the example (examples/clinic/README.md, "Parameters"),
/// including the COMPLIANT case of an allow-listed rule.
#[test]
fn example_estate_parameters_change_results() {
    let out = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--format",
        "json",
        "--rule",
        "internet-gateway-authorized-vpc-only",
        "--rule",
        "desired-instance-tenancy",
        "--rule",
        "multi-region-cloudtrail-enabled",
        "--param",
        "internet-gateway-authorized-vpc-only.AuthorizedVpcIds=vpc-b873741c03378b7d3,vpc-7b8cf2b7799e3b2e7",
        "--param",
        "desired-instance-tenancy.imageId=ami-03a4e670b65ea0b7a",
        "--param",
        "multi-region-cloudtrail-enabled.s3BucketName=riverside-org-cloudtrail",
    ]);
    let doc = json_of(&out);
    let gateways = "internet-gateway-authorized-vpc-only";
    assert_eq!(
        status_of(&doc, gateways, "igw-53630cdddd19ac51d").as_deref(),
        Some("COMPLIANT"),
        "igw-prod, attached to an authorized VPC"
    );
    assert_eq!(
        status_of(&doc, gateways, "igw-b2aaaf676ad2b5d4f").as_deref(),
        Some("COMPLIANT"),
        "igw-analytics"
    );
    assert_eq!(
        status_of(&doc, gateways, "igw-beaf7acd8d59f1b68").as_deref(),
        Some("NON_COMPLIANT"),
        "igw-default, attached to the default VPC"
    );
    let tenancy = "desired-instance-tenancy";
    assert_eq!(
        status_of(&doc, tenancy, "i-ddd1b3c1bdcd5e630").as_deref(),
        Some("COMPLIANT"),
        "ehr-app-1, launched from the EHR AMI"
    );
    assert_eq!(
        status_of(&doc, tenancy, "i-db756afc278d47b29").as_deref(),
        Some("NOT_APPLICABLE"),
        "bastion, launched from another AMI"
    );
    assert_eq!(
        status_of(&doc, "multi-region-cloudtrail-enabled", "111122223333").as_deref(),
        Some("NON_COMPLIANT"),
        "no multi-Region trail delivers to riverside-org-cloudtrail"
    );
}

/// `--timings` tells where a run's wall time went, on stderr, without touching the output.
#[test]
fn timings_name_every_stage_on_stderr_and_leave_the_output_alone() {
    let plain = check_example_json();
    let timed = ward(&[
        "check",
        "--snapshot",
        EXAMPLE,
        "--format",
        "json",
        "--timings",
    ]);
    assert_eq!(plain.status.code(), timed.status.code());
    assert_eq!(json_of(&plain)["summary"], json_of(&timed)["summary"]);
    let stderr = String::from_utf8_lossy(&timed.stderr);
    let stages: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("timings"))
        .skip(1)
        .filter_map(|l| l.split("  ").map(str::trim).find(|s| !s.is_empty()))
        .collect();
    for stage in [
        "load controls",
        "ward-lang",
        "cedar",
        "import",
        "evaluate",
        "entities",
        "ward-phi-least-privilege",
        "output",
        "total",
    ] {
        assert!(stages.contains(&stage), "{stage} missing:\n{stderr}");
    }
    assert!(
        stages.iter().position(|s| *s == "evaluate") < stages.iter().position(|s| *s == "entities"),
        "a stage comes before the stages inside it:\n{stderr}"
    );
    let slowest = stages.iter().filter(|s| s.starts_with("rule ")).count();
    assert!(
        (1..=5).contains(&slowest),
        "the slowest rules are named:\n{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&plain.stderr).contains("timings"),
        "nothing without the flag"
    );
}
