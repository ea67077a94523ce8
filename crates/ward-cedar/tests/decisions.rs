#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Cedar decisions as findings: Allow, Deny by a forbid, Deny with no permit, NOT_APPLICABLE
//! by `applies` and by deletion, ERROR on an evaluation error, evidence and messages, and
//! the same bytes on every run.

use serde_json::json;
use ward_backend::{Backend, EvalOptions};
use ward_cedar::{CedarBackend, CedarSource};
use ward_model::{Inventory, Resource, Status};

const CONTROL: &str = r#"
@id("db-check") @title("databases are encrypted") @severity("high") @hipaa("164.312(a)(2)(iv)")
@message("not in scope: {resourceId} is not PHI")
permit (principal, action == Ward::Action::"applies", resource is AWS::RDS::DBInstance)
when { resource.phi };

@id("db-check") @message("{resourceId} is encrypted")
permit (principal, action == Ward::Action::"comply", resource is AWS::RDS::DBInstance)
when { resource has configuration.storageEncrypted && resource.configuration.storageEncrypted };

@id("db-check") @message("{resourceId} is public")
forbid (principal, action == Ward::Action::"comply", resource is AWS::RDS::DBInstance)
when { resource has configuration.publiclyAccessible && resource.configuration.publiclyAccessible };

@id("db-overflow") @title("overflow") @severity("low") @hipaa("164.312(b)")
permit (principal, action == Ward::Action::"comply", resource is AWS::RDS::DBInstance)
when { resource has configuration.backupRetentionPeriod && resource.configuration.backupRetentionPeriod * 9223372036854775807 > 0 };
"#;

fn db(id: &str, phi: bool, config: serde_json::Value) -> Resource {
    let mut r: Resource = serde_json::from_value(json!({
        "resourceType": "AWS::RDS::DBInstance", "resourceId": id,
        "arn": format!("arn:aws:rds:us-east-1:123456789012:db:{id}"),
        "accountId": "123456789012", "awsRegion": "us-east-1",
        "configuration": config,
    }))
    .unwrap();
    if phi {
        r.tags.insert("phi".into(), "true".into());
    }
    r
}

fn inventory() -> Inventory {
    let mut inv = Inventory::new();
    inv.insert(db(
        "good",
        true,
        json!({"storageEncrypted": true, "publiclyAccessible": false, "backupRetentionPeriod": 0}),
    ));
    inv.insert(db(
        "public",
        true,
        json!({"storageEncrypted": true, "publiclyAccessible": true}),
    ));
    inv.insert(db("unrecorded", true, json!({})));
    inv.insert(db("not-phi", false, json!({"storageEncrypted": false})));
    inv.insert(db("big", true, json!({"backupRetentionPeriod": 35})));
    let mut gone = db("gone", true, json!({}));
    gone.configuration_item_status = Some("ResourceDeleted".into());
    inv.insert(gone);
    inv.synthesize_accounts();
    inv
}

fn backend() -> CedarBackend {
    CedarBackend::from_sources(&[CedarSource {
        name: "db.cedar".into(),
        text: CONTROL.into(),
    }])
    .unwrap()
}

#[test]
fn decisions_become_findings() {
    let eval = backend()
        .evaluate(&inventory(), &EvalOptions::default())
        .unwrap();
    let status = |rule: &str, id: &str| {
        eval.findings
            .iter()
            .find(|f| f.rule == rule && f.resource.id == id)
            .unwrap_or_else(|| panic!("{rule} {id}"))
    };
    let good = status("db-check", "good");
    assert_eq!(good.status, Status::Compliant);
    assert_eq!(good.message, "good is encrypted");
    assert_eq!(good.backend, "cedar");
    assert_eq!(good.evidence[0].path, "cedar:db.cedar:7");
    assert_eq!(*good.citations, ["164.312(a)(2)(iv)"]);

    let public = status("db-check", "public");
    assert_eq!(public.status, Status::NonCompliant);
    assert_eq!(public.message, "public is public");
    assert_eq!(public.evidence[0].value["effect"], "forbid");

    let unrecorded = status("db-check", "unrecorded");
    assert_eq!(
        unrecorded.status,
        Status::NonCompliant,
        "absent fails closed"
    );
    assert_eq!(unrecorded.message, "not satisfied: unrecorded is encrypted");

    let not_phi = status("db-check", "not-phi");
    assert_eq!(not_phi.status, Status::NotApplicable);
    assert_eq!(
        not_phi.message,
        "the control does not apply to this resource"
    );
    assert_eq!(status("db-check", "gone").status, Status::NotApplicable);

    let overflow = status("db-overflow", "big");
    assert_eq!(overflow.status, Status::Error);
    assert!(
        overflow.message.contains("overflow"),
        "{}",
        overflow.message
    );
    // 0 * MAX = 0 is not > 0: no permit matched (and no error).
    assert_eq!(status("db-overflow", "good").status, Status::NonCompliant);
}

#[test]
fn only_and_params_are_honoured_and_output_is_stable() {
    let b = backend();
    let inv = inventory();
    let mut options = EvalOptions {
        only: Some(["db-check".to_string()].into()),
        ..EvalOptions::default()
    };
    options.params.insert(
        "db-check".into(),
        [("phiTagKey".to_string(), json!("classification"))].into(),
    );
    let a = b.evaluate(&inv, &options).unwrap();
    assert!(a.findings.iter().all(|f| f.rule == "db-check"));
    // No resource carries `classification`: nothing is in scope.
    assert!(a.findings.iter().all(|f| f.status == Status::NotApplicable));
    let again = b.evaluate(&inv, &options).unwrap();
    assert_eq!(
        serde_json::to_string(&a.findings).unwrap(),
        serde_json::to_string(&again.findings).unwrap()
    );
    options
        .params
        .insert("db-check".into(), [("nope".to_string(), json!(1))].into());
    assert!(b.evaluate(&inv, &options).is_err());
}

#[test]
fn rules_carry_the_annotations() {
    let rules = backend().rules();
    let r = rules.iter().find(|r| r.id == "db-check").unwrap();
    assert_eq!(r.backend, "cedar");
    assert_eq!(r.title, "databases are encrypted");
    assert_eq!(r.resource_types, ["AWS::RDS::DBInstance"]);
    assert_eq!(r.source.as_ref().unwrap().line, 2);
}

/// A resource that cannot become an entity (here: a second resource with the same ARN, so
/// the same Cedar uid) gets an ERROR finding naming why; the others are judged as usual.
#[test]
fn a_resource_that_cannot_become_an_entity_fails_alone() {
    let mut inv = inventory();
    let mut twin = db("twin", true, json!({"storageEncrypted": true}));
    twin.arn = Some("arn:aws:rds:us-east-1:123456789012:db:good".into());
    inv.insert(twin);
    let eval = backend().evaluate(&inv, &EvalOptions::default()).unwrap();
    let of = |id: &str| {
        eval.findings
            .iter()
            .find(|f| f.rule == "db-check" && f.resource.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let (good, twin) = (of("good"), of("twin"));
    let failed: Vec<_> = [good, twin]
        .into_iter()
        .filter(|f| f.status == Status::Error)
        .collect();
    assert_eq!(failed.len(), 1, "{good:?} {twin:?}");
    assert!(
        failed[0].message.contains("same Cedar uid"),
        "{}",
        failed[0].message
    );
    assert_eq!(of("public").status, Status::NonCompliant);
    assert_eq!(of("not-phi").status, Status::NotApplicable);
}

/// Least-privilege intent whose policies depend on the context, on the resource, on the
/// principal alone, and one that fails to evaluate for some resources: asking Cedar as few
/// times as it needs (partial requests) gives the same findings as asking once per grant.
const INTENT: &str = r#"
@id("lp") @mode("least-privilege") @title("intended access") @severity("high") @hipaa("164.312(a)(1)")
@message("read, when no condition applies")
permit (principal, action in IAM::Action::"rds:Read", resource) when { !context.conditional };

@id("lp") @message("the good database may be deleted")
permit (principal, action == IAM::Action::"rds:DeleteDBInstance", resource is AWS::RDS::DBInstance)
when { resource.resourceId == "good" };

@id("lp") @message("overflows for long retention")
permit (principal, action == IAM::Action::"rds:StopDBInstance", resource is AWS::RDS::DBInstance)
when { resource has configuration.backupRetentionPeriod && resource.configuration.backupRetentionPeriod * 9223372036854775807 > 0 };

@id("lp") @message("operators list everything")
permit (principal == AWS::IAM::Role::"arn:aws:iam::123456789012:role/operator", action in IAM::Action::"rds:List", resource);

@id("lp") @message("reboots, named in a condition")
permit (principal, action in IAM::Action::"rds:*", resource)
when { [IAM::Action::"rds:RebootDBInstance", IAM::Action::"rds:StartDBInstance"].contains(action) }
unless { action == IAM::Action::"rds:StartDBInstance" };

@id("lp") @message("the administrator does anything")
permit (principal == AWS::IAM::Role::"arn:aws:iam::123456789012:role/admin", action, resource);
"#;

fn role(name: &str, statements: serde_json::Value) -> Resource {
    serde_json::from_value(json!({
        "resourceType": "AWS::IAM::Role", "resourceId": format!("AROA{name}"),
        "resourceName": name,
        "arn": format!("arn:aws:iam::123456789012:role/{name}"),
        "accountId": "123456789012", "awsRegion": "global",
        "configuration": {"roleName": name, "path": "/", "rolePolicyList": [
            {"policyName": "inline", "policyDocument": {"Version": "2012-10-17", "Statement": statements}}
        ]},
    }))
    .unwrap()
}

#[test]
fn partial_requests_decide_least_privilege_as_one_request_per_grant() {
    use ward_cedar::eval::Requests;
    let mut inv = inventory();
    let rds_all = json!([{"Effect": "Allow", "Action": "rds:*", "Resource": "*"}]);
    inv.insert(role("admin", rds_all.clone()));
    inv.insert(role("operator", rds_all.clone()));
    inv.insert(role("developer", rds_all));
    inv.insert(role(
        "reader",
        json!([
            {"Effect": "Allow", "Action": ["rds:Describe*", "rds:StopDBInstance"], "Resource": "*"},
            {"Effect": "Allow", "Action": "rds:Describe*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
        ]),
    ));
    // Actions only a condition's literals tell apart from others of their group.
    inv.insert(role(
        "rebooter",
        json!([{"Effect": "Allow", "Resource": "*",
                "Action": ["rds:RebootDBInstance", "rds:StartDBInstance", "rds:ModifyDBInstance"]}]),
    ));
    inv.insert(role(
        "deleter",
        json!([{"Effect": "Allow", "Action": "rds:DeleteDBInstance", "Resource": "*"}]),
    ));
    inv.insert(role(
        "good-deleter",
        json!([{"Effect": "Allow", "Action": "rds:DeleteDBInstance",
                "Resource": "arn:aws:rds:us-east-1:123456789012:db:good"}]),
    ));
    let per_grant = least_privilege(&inv, INTENT, Requests::PerGrant);
    let fewest = least_privilege(&inv, INTENT, Requests::Fewest);
    let statuses: Vec<(String, Status)> = per_grant
        .iter()
        .map(|f| (f.resource.id.clone(), f.status))
        .collect();
    // Every kind of outcome is exercised.
    for status in [Status::Compliant, Status::NonCompliant, Status::Error] {
        assert!(statuses.iter().any(|(_, s)| *s == status), "{statuses:?}");
    }
    assert_eq!(
        serde_json::to_value(&per_grant).unwrap(),
        serde_json::to_value(&fewest).unwrap()
    );
}

/// Parent entities (accounts, VPCs, subnets, security groups) are built only when a policy
/// names one; then membership is transitive: a database is `in` the VPC of its security
/// group.
#[test]
fn parent_entities_are_built_when_a_policy_names_one() {
    use ward_cedar::eval::entity_store;
    let mut inv = Inventory::new();
    let mut database = db("in-vpc", true, json!({}));
    database.relationships = vec![ward_model::Relationship {
        resource_type: "AWS::EC2::SecurityGroup".into(),
        resource_id: Some("sg-1".into()),
        resource_name: None,
        relationship_name: "Is associated with SecurityGroup".into(),
    }];
    inv.insert(database);
    let mut group: Resource = serde_json::from_value(json!({
        "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
        "accountId": "123456789012", "awsRegion": "us-east-1", "configuration": {},
    }))
    .unwrap();
    group.relationships = vec![ward_model::Relationship {
        resource_type: "AWS::EC2::VPC".into(),
        resource_id: Some("vpc-1".into()),
        resource_name: None,
        relationship_name: "Is contained in Vpc".into(),
    }];
    inv.insert(group);
    inv.insert(
        serde_json::from_value(json!({
            "resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1",
            "accountId": "123456789012", "awsRegion": "us-east-1", "configuration": {},
        }))
        .unwrap(),
    );
    inv.synthesize_accounts();
    let schema = ward_cedar::WardSchema::builtin().unwrap();
    let phi = ward_cedar::PhiConfig::default();
    let sg = cedar_policy::EntityUid::from_type_name_and_id(
        "AWS::EC2::SecurityGroup".parse().unwrap(),
        cedar_policy::EntityId::new("sg-1"),
    );

    // The pack's kind of control names no parent: none is built.
    let plain = backend();
    let store = entity_store(&[plain.control("db-check").unwrap()], &inv, schema, &phi);
    assert!(store.entities.get(&sg).is_none());

    let in_vpc = CedarBackend::from_sources(&[CedarSource {
        name: "vpc.cedar".into(),
        text: r#"
@id("db-in-vpc") @title("databases are in the PHI VPC") @severity("high") @hipaa("164.312(e)(1)")
permit (principal, action == Ward::Action::"comply", resource is AWS::RDS::DBInstance)
when { resource in AWS::EC2::VPC::"vpc-1" };
"#
        .into(),
    }])
    .unwrap();
    let store = entity_store(&[in_vpc.control("db-in-vpc").unwrap()], &inv, schema, &phi);
    assert!(store.entities.get(&sg).is_some());
    let findings = in_vpc
        .evaluate(&inv, &EvalOptions::default())
        .unwrap()
        .findings;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].status, Status::Compliant, "{findings:?}");
}

fn phi_bucket(name: &str) -> Resource {
    serde_json::from_value(json!({
        "resourceType": "AWS::S3::Bucket", "resourceId": name, "resourceName": name,
        "arn": format!("arn:aws:s3:::{name}"), "accountId": "123456789012",
        "awsRegion": "us-east-1", "tags": {"phi": "true"},
        "supplementaryConfiguration": {"BucketPolicy": {"policyText": null}},
    }))
    .unwrap()
}

/// Least privilege over `inv` with an intent that allows nothing: every grant is beyond it.
fn intending_nothing(
    inv: &Inventory,
    requests: ward_cedar::eval::Requests,
) -> Vec<ward_model::Finding> {
    let intent = r#"
@id("lp") @mode("least-privilege") @title("intended access") @severity("high") @hipaa("164.312(a)(1)")
@message("nobody") forbid (principal, action, resource);
"#;
    least_privilege(inv, intent, requests)
}

/// Least privilege over `inv` with the least-privilege control `lp` of `intent`.
fn least_privilege(
    inv: &Inventory,
    intent: &str,
    requests: ward_cedar::eval::Requests,
) -> Vec<ward_model::Finding> {
    use ward_cedar::eval::{entity_store, evaluate_least_privilege};
    let backend = CedarBackend::from_sources(&[CedarSource {
        name: "lp.cedar".into(),
        text: intent.into(),
    }])
    .unwrap();
    let control = backend.control("lp").unwrap();
    let schema = ward_cedar::WardSchema::builtin().unwrap();
    let phi = ward_cedar::PhiConfig::default();
    let store = entity_store(&[control], inv, schema, &phi);
    evaluate_least_privilege(control, inv, &store, &phi, schema, requests)
}

/// The finding on role `name`.
fn role_finding<'f>(findings: &'f [ward_model::Finding], name: &str) -> &'f ward_model::Finding {
    findings
        .iter()
        .find(|f| f.message.starts_with(&format!("role/{name} ")))
        .unwrap()
}

/// One finding per principal, with the same actions through the same statement told once for
/// all the resources they reach: at most ten names in the message, every resource in the
/// evidence. Resources are found through their ARNs (`Resource` patterns by their literal
/// part, wildcards on either side), and one no pattern can match is left out.
#[test]
fn least_privilege_tells_each_statements_resources_together() {
    use ward_cedar::eval::Requests;
    let mut inv = Inventory::new();
    for i in 0..12 {
        inv.insert(phi_bucket(&format!("phi-{i:02}")));
    }
    inv.insert(phi_bucket("other-notes"));
    inv.insert(role(
        "wide",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::phi-*/*"}]),
    ));
    // `*notes*` can only match `other-notes`'s bucket ARN, but any bucket's objects (a key
    // may contain `notes`): GetObject reaches every bucket, ListBucket only `other-notes`.
    inv.insert(role(
        "notes",
        json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::*notes*"}]),
    ));
    inv.synthesize_accounts();
    let findings = intending_nothing(&inv, Requests::Fewest);
    let of = |name: &str| role_finding(&findings, name);
    let wide = of("wide");
    assert_eq!(wide.status, Status::NonCompliant);
    assert_eq!(
        wide.message,
        "role/wide has access to PHI-bearing resources beyond the intended: s3:GetObject on \
         phi-00, phi-01, phi-02, phi-03, phi-04, phi-05, phi-06, phi-07, phi-08, phi-09, and 2 \
         more (the evidence lists them all) via inline policy inline, statement 0, attached to \
         role/wide"
    );
    assert_eq!(wide.evidence.len(), 1);
    let listed = wide.evidence[0].value["resources"].as_array().unwrap();
    assert_eq!(listed.len(), 12);
    assert!(!listed.iter().any(|r| r == "arn:aws:s3:::other-notes"));

    let notes = of("notes");
    assert_eq!(notes.evidence.len(), 2, "{:?}", notes.evidence);
    // Resources reached by an action, over every evidence entry.
    let reached = |action: &str| -> usize {
        notes
            .evidence
            .iter()
            .filter(|e| {
                e.value["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a == action)
            })
            .map(|e| e.value["resources"].as_array().unwrap().len())
            .sum()
    };
    assert_eq!(reached("s3:ListBucket"), 1);
    assert_eq!(reached("s3:GetObject"), 13);
    // The same with one request per grant.
    let per_grant = intending_nothing(&inv, Requests::PerGrant);
    assert_eq!(
        serde_json::to_value(&per_grant).unwrap(),
        serde_json::to_value(&findings).unwrap()
    );
}

/// Grants that reach every PHI-bearing resource of a type in an account, more than ten of them,
/// are told as that ("every PHI-bearing AWS::S3::Bucket of account A (12)"), not as a list that
/// grows with the account for each broad role; grants that miss even one are listed.
#[test]
fn least_privilege_describes_every_phi_resource_of_an_account_instead_of_listing_them() {
    use ward_cedar::eval::Requests;
    let mut inv = Inventory::new();
    for i in 0..12 {
        inv.insert(phi_bucket(&format!("phi-{i:02}")));
    }
    let mut plain = phi_bucket("plain");
    plain.tags.clear();
    inv.insert(plain);
    inv.insert(role(
        "broad",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
    ));
    // phi-00 .. phi-10: eleven of the twelve.
    inv.insert(role(
        "most",
        json!([{"Effect": "Allow", "Action": "s3:GetObject",
                "Resource": ["arn:aws:s3:::phi-0*", "arn:aws:s3:::phi-10/*"]}]),
    ));
    inv.synthesize_accounts();
    let findings = intending_nothing(&inv, Requests::Fewest);
    let of = |name: &str| role_finding(&findings, name);
    let broad = of("broad");
    assert_eq!(broad.status, Status::NonCompliant);
    assert_eq!(
        broad.message,
        "role/broad has access to PHI-bearing resources beyond the intended: s3:GetObject on \
         every PHI-bearing AWS::S3::Bucket of account 123456789012 (12) via inline policy \
         inline, statement 0, attached to role/broad"
    );
    assert_eq!(broad.evidence.len(), 1);
    assert_eq!(broad.evidence[0].value["resources"], json!([]));
    assert_eq!(
        broad.evidence[0].value["every"],
        json!([{"account": "123456789012", "type": "AWS::S3::Bucket", "count": 12}])
    );
    let most = of("most");
    assert!(
        most.message
            .contains("phi-09, and 1 more (the evidence lists them all)"),
        "{}",
        most.message
    );
    assert_eq!(
        most.evidence[0].value["resources"]
            .as_array()
            .unwrap()
            .len(),
        11
    );
    assert!(most.evidence[0].value.get("every").is_none());
}

/// The same resource id in two accounts is two resources: when one of them cannot become an
/// entity (here both have no ARN, so the same Cedar uid), only that one is an ERROR.
#[test]
fn a_failure_in_one_account_is_not_another_accounts() {
    let mut inv = Inventory::new();
    for account in ["111111111111", "222222222222"] {
        let mut r = db("shared-name", true, json!({"storageEncrypted": true}));
        r.arn = None;
        r.account_id = Some(account.into());
        inv.insert(r);
    }
    let eval = backend().evaluate(&inv, &EvalOptions::default()).unwrap();
    let statuses: Vec<(Option<String>, Status)> = eval
        .findings
        .iter()
        .filter(|f| f.rule == "db-check")
        .map(|f| (f.resource.account.clone(), f.status))
        .collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|(_, s)| *s == Status::Error).count(),
        1,
        "{statuses:?}"
    );
}

/// The entity store of least privilege holds, of a type only it reads, the PHI-bearing
/// resources (the only ones it asks Cedar about); of a type another control of the store
/// evaluates, every resource.
#[test]
fn least_privilege_stores_entities_only_for_the_phi_resources_it_asks_about() {
    use ward_cedar::eval::entity_store;
    let backend = CedarBackend::from_sources(&[
        CedarSource {
            name: "db.cedar".into(),
            text: CONTROL.into(),
        },
        CedarSource {
            name: "lp.cedar".into(),
            text: INTENT.into(),
        },
    ])
    .unwrap();
    let mut inv = inventory();
    for (id, phi) in [("vol-phi", true), ("vol-other", false)] {
        let mut v: Resource = serde_json::from_value(json!({
            "resourceType": "AWS::EC2::Volume", "resourceId": id,
            "arn": format!("arn:aws:ec2:us-east-1:123456789012:volume/{id}"),
            "accountId": "123456789012", "awsRegion": "us-east-1",
            "configuration": {"volumeId": id},
        }))
        .unwrap();
        if phi {
            v.tags.insert("phi".into(), "true".into());
        }
        inv.insert(v);
    }
    let schema = ward_cedar::WardSchema::builtin().unwrap();
    let phi = ward_cedar::PhiConfig::default();
    let controls = [
        backend.control("db-check").unwrap(),
        backend.control("lp").unwrap(),
    ];
    let store = entity_store(&controls, &inv, schema, &phi);
    let ids: Vec<String> = store
        .entities
        .iter()
        .map(|e| e.uid().id().escaped().to_string())
        .collect();
    let has = |id: &str| ids.iter().any(|u| u.ends_with(id));
    assert!(has("volume/vol-phi"), "{ids:?}");
    assert!(!has("volume/vol-other"), "{ids:?}");
    // db-check evaluates every database: the one without the tag keeps its entity.
    assert!(has("db:not-phi") && has("db:good"), "{ids:?}");
    // Least privilege alone: the volume type is judged, so the store holds it at all.
    let lp_alone = entity_store(&controls[1..], &inv, schema, &phi);
    assert!(
        !lp_alone
            .entities
            .iter()
            .any(|e| e.uid().id().escaped().ends_with("db:not-phi"))
    );
}
