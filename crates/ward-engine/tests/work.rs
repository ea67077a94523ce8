//! The work a run does: account-wide `def`s are evaluated once per account
//! (`ward_engine::memo`), which changes no finding (the same statuses, messages and evidence
//! as evaluating each call in place); and a runaway rule spends its step budget and becomes
//! an `ERROR` finding that names the rule and the budget, instead of a run that never ends.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ward_engine::EvalOptions;
use ward_engine::eval::Env;
use ward_lang::{Pack, PackError, SourceFile, load_pack_sources};
use ward_model::{Inventory, Resource};

/// A rule that asks, for every bucket, whether its name is among the log destinations of the
/// account: an account-wide def called per resource, with evidence from other resources.
const PACK: &str = r#"
def log_targets() = distinct(filter(map(resources(AWS::S3::Bucket), b => b.supplementaryConfiguration.BucketLoggingConfiguration.destinationBucketName), n => exists(n)))
def twice(n) = n + n

rule log-target-protected {
  title: "t"
  severity: high
  resource: AWS::S3::Bucket
  hipaa: ["164.312(b)"]
  let name = configuration.name
  when name in log_targets() else "bucket {name} is not a log destination"
  assert tags.locked == "true" else "log bucket {name} ({twice(1)}) is not locked"
}
"#;

fn pack() -> Pack {
    load_pack_sources(
        vec![SourceFile::new("memo.ward", "memo.ward", PACK)],
        &mut |path| {
            Err(PackError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("no imports here"),
            })
        },
    )
    .unwrap()
}

/// `n` buckets in each of two accounts; every tenth is a log destination of the others, and
/// every other one is locked.
fn inventory(n: usize) -> Inventory {
    let mut inventory = Inventory::new();
    for account in ["111122223333", "444455556666"] {
        for i in 0..n {
            let mut b = Resource::new("AWS::S3::Bucket", format!("{account}-b{i}"));
            b.account_id = Some(account.to_string());
            b.configuration = serde_json::json!({"name": format!("{account}-b{i}")}).into();
            b.supplementary_configuration.insert(
                "BucketLoggingConfiguration",
                serde_json::json!({"destinationBucketName": format!("{account}-b{}", (i / 10) * 10)}),
            );
            b.tags
                .insert("locked".to_string(), (i % 2 == 0).to_string());
            inventory.insert(b);
        }
    }
    inventory
}

fn steps(pack: &Pack, inventory: &Inventory) -> u64 {
    let steps = AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        ward_engine::evaluate_counting(pack, inventory, &EvalOptions::default(), Some(&steps))
    })
    .unwrap();
    steps.load(Ordering::Relaxed)
}

#[test]
fn an_account_wide_def_costs_one_pass_per_account() {
    let pack = pack();
    let (small, large) = (
        steps(&pack, &inventory(200)),
        steps(&pack, &inventory(2_000)),
    );
    // Ten times the buckets: ten times the work (evaluated in place, it would be a hundred).
    assert_tenfold(small, large, "buckets");
}

/// `large` steps for ten times the resources of `small`: about ten times the work, not a
/// hundred.
fn assert_tenfold(small: u64, large: u64, what: &str) {
    let ratio = large as f64 / small as f64;
    assert!(
        ratio < 12.0,
        "{small} -> {large} steps: {ratio:.1}x for 10x the {what}"
    );
}

#[test]
fn memoized_calls_give_the_findings_of_calls_evaluated_in_place() {
    let pack = pack();
    let inventory = inventory(60);
    let memoized = ward_engine::evaluate(&pack, &inventory, &EvalOptions::default()).unwrap();
    let rule = &pack.rules[0];
    let citations: Arc<[String]> = Arc::from(rule.meta.hipaa.as_slice());
    let mut compared = 0;
    for finding in &memoized.findings {
        let resource = inventory
            .get("AWS::S3::Bucket", &finding.resource.id)
            .unwrap();
        let env = Env {
            pack: &pack,
            inventory: &inventory,
            resource,
            params: &[],
            now: None,
            step_budget: ward_engine::DEFAULT_STEP_BUDGET,
        };
        // A fresh memo that memoizes nothing: every call evaluated in place.
        let in_place = ward_engine::evaluate_rule(rule, &env, &citations);
        assert_eq!(&in_place, finding);
        compared += 1;
    }
    assert_eq!(compared, 120);
    assert!(
        memoized.findings.iter().any(|f| !f.evidence.is_empty()),
        "the comparison covers evidence"
    );
}

#[test]
fn a_runaway_rule_spends_its_budget_and_says_so() {
    // For each bucket, every pair of buckets of the account: quadratic, on purpose.
    let text = r#"
rule runaway {
  title: "t"
  severity: low
  resource: AWS::S3::Bucket
  hipaa: ["164.312(b)"]
  assert count(flatten(map(resources(AWS::S3::Bucket), a => map(resources(AWS::S3::Bucket), b => a.resourceId + b.resourceId)))) >= 0 else "never"
}
"#;
    let pack = load_pack_sources(
        vec![SourceFile::new("runaway.ward", "runaway.ward", text)],
        &mut |path| {
            Err(PackError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("no imports here"),
            })
        },
    )
    .unwrap();
    let options = EvalOptions {
        step_budget: Some(50_000),
        ..EvalOptions::default()
    };
    let evaluation = ward_engine::evaluate(&pack, &inventory(100), &options).unwrap();
    assert_eq!(evaluation.findings.len(), 200);
    for f in &evaluation.findings {
        assert_eq!(f.status, ward_model::Status::Error, "{}", f.message);
        assert!(
            f.message
                .contains("rule runaway stopped after 50000 evaluation steps")
                && f.message.contains("--step-budget"),
            "{}",
            f.message
        );
    }
    // With the default budget the same rule finishes on a small account.
    let fine = ward_engine::evaluate(&pack, &inventory(10), &EvalOptions::default()).unwrap();
    assert!(
        fine.findings
            .iter()
            .all(|f| f.status == ward_model::Status::Compliant)
    );
}

fn load(text: &str) -> Pack {
    load_pack_sources(
        vec![SourceFile::new("case.ward", "case.ward", text)],
        &mut |path| {
            Err(PackError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("no imports here"),
            })
        },
    )
    .unwrap()
}

/// Every finding of `pack` over `inventory`, memoized, equals the finding evaluated in place.
fn same_as_in_place(pack: &Pack, inventory: &Inventory, options: &EvalOptions) -> usize {
    let memoized = ward_engine::evaluate(pack, inventory, options).unwrap();
    for finding in &memoized.findings {
        let rule = pack.rule(&finding.rule).unwrap();
        let citations: Arc<[String]> = Arc::from(rule.meta.hipaa.as_slice());
        let resource = inventory
            .with_id(&finding.resource.resource_type, &finding.resource.id)
            .find(|r| {
                r.account_id == finding.resource.account && r.aws_region == finding.resource.region
            })
            .unwrap();
        let env = Env {
            pack,
            inventory,
            resource,
            params: &[],
            now: None,
            step_budget: options
                .step_budget
                .unwrap_or(ward_engine::DEFAULT_STEP_BUDGET),
        };
        assert_eq!(&ward_engine::evaluate_rule(rule, &env, &citations), finding);
    }
    memoized.findings.len()
}

/// Near the evidence limit, a reused call must not keep evidence that evaluating it in place
/// would have had no room for: 39 trails that do not decide `any`, then one that does.
#[test]
fn reuse_near_the_evidence_limit_gives_the_evidence_of_evaluation_in_place() {
    let pack = load(
        r#"
def multi_region() = any(resources(AWS::CloudTrail::Trail), t => t.configuration.isMultiRegionTrail == true)

rule trail-check {
  title: "t"
  severity: low
  resource: AWS::S3::Bucket
  hipaa: ["164.312(b)"]
  assert exists(configuration.name) and multi_region() else "no multi-Region trail"
}
"#,
    );
    let mut inventory = Inventory::new();
    for i in 0..40 {
        let mut t = Resource::new("AWS::CloudTrail::Trail", format!("trail-{i:02}"));
        t.account_id = Some("111122223333".into());
        t.configuration =
            serde_json::json!({"name": format!("trail-{i:02}"), "isMultiRegionTrail": i == 39})
                .into();
        inventory.insert(t);
    }
    for i in 0..3 {
        let mut b = Resource::new("AWS::S3::Bucket", format!("b{i}"));
        b.account_id = Some("111122223333".into());
        b.configuration = serde_json::json!({"name": format!("b{i}")}).into();
        inventory.insert(b);
    }
    assert_eq!(
        same_as_in_place(&pack, &inventory, &EvalOptions::default()),
        3
    );
}

/// A quadratic rule hidden in a def that is reused still spends the rule's budget: a reused
/// call costs what evaluating it took.
#[test]
fn reused_calls_are_charged_to_the_budget() {
    let pack = load(
        r#"
def pairs(id) = count(map(resources(AWS::S3::Bucket), b => id + b.resourceId))

rule hidden-runaway {
  title: "t"
  severity: low
  resource: AWS::S3::Bucket
  hipaa: ["164.312(b)"]
  assert count(map(resources(AWS::S3::Bucket), a => pairs(a.resourceId))) >= 0 else "never"
}
"#,
    );
    let options = EvalOptions {
        step_budget: Some(20_000),
        ..EvalOptions::default()
    };
    let evaluation = ward_engine::evaluate(&pack, &inventory(100), &options).unwrap();
    assert!(
        evaluation
            .findings
            .iter()
            .all(|f| f.status == ward_model::Status::Error
                && f.message.contains("stopped after 20000")),
        "{:?}",
        evaluation.findings.first().map(|f| &f.message)
    );
    assert_eq!(same_as_in_place(&pack, &inventory(30), &options), 60);
}

/// Load balancers and their listeners, joined by an equality on the listener's field: the
/// first test of the body, so `filter` and `count` are answered from an index of the
/// account's listeners (`ward_engine::index`).
const JOIN: &str = r#"
def listeners(lb) = filter(resources(AWS::ElasticLoadBalancingV2::Listener), l => l.configuration.LoadBalancerArn == lb.arn and l.configuration.Protocol != "")

rule lb-listeners {
  title: "t"
  severity: high
  resource: AWS::ElasticLoadBalancingV2::LoadBalancer
  hipaa: ["164.312(b)"]
  assert count(listeners(resource)) > 0 else "no listener of {resourceId}"
  assert count(resources(AWS::ElasticLoadBalancingV2::Listener), l => (arn == l.configuration.LoadBalancerArn) ?? false) < 3 else "{resourceId} has too many listeners"
  assert all(listeners(resource), l => l.configuration.Protocol == "HTTPS") else "{resourceId} has a plain listener"
  // Tests before the equality that do not read the listener: one value for all of them.
  assert count(resources(AWS::ElasticLoadBalancingV2::Listener), l => exists(arn) and ((l.configuration.LoadBalancerArn == arn) ?? false) and l.configuration.Protocol == "HTTP") < 2 else "{resourceId} has two plain listeners"
  assert count(filter(resources(AWS::ElasticLoadBalancingV2::Listener), l => starts_with(resourceId, "none") and l.configuration.LoadBalancerArn == arn)) == 0 else "never"
}
"#;

/// `n` load balancers in each of two accounts, with 0 to 3 listeners each (one in three
/// plain HTTP), and in the second account a listener whose load balancer is not recorded.
/// `odd`: one listener of the first account records its load balancer as an object.
fn balancers(n: usize, odd: bool) -> Inventory {
    let mut inventory = Inventory::new();
    for account in ["111122223333", "444455556666"] {
        let lb_arn = |i: usize| {
            format!("arn:aws:elasticloadbalancing:us-east-1:{account}:loadbalancer/app/lb{i}/x")
        };
        for i in 0..n {
            let mut lb = Resource::new("AWS::ElasticLoadBalancingV2::LoadBalancer", lb_arn(i));
            lb.account_id = Some(account.to_string());
            lb.arn = Some(lb_arn(i));
            inventory.insert(lb);
            for j in 0..(i % 4) {
                let mut l = Resource::new(
                    "AWS::ElasticLoadBalancingV2::Listener",
                    format!("{}/listener/{j}", lb_arn(i)),
                );
                l.account_id = Some(account.to_string());
                let protocol = if (i + j) % 3 == 0 { "HTTP" } else { "HTTPS" };
                l.configuration =
                    serde_json::json!({"LoadBalancerArn": lb_arn(i), "Protocol": protocol}).into();
                inventory.insert(l);
            }
        }
        // In the second account, a listener that does not record its load balancer: no load
        // balancer of that account can be said to have none (fail closed).
        if account == "444455556666" {
            let mut unowned = Resource::new(
                "AWS::ElasticLoadBalancingV2::Listener",
                format!("{account}-unowned"),
            );
            unowned.account_id = Some(account.to_string());
            unowned.configuration = serde_json::json!({"Protocol": "HTTPS"}).into();
            inventory.insert(unowned);
        }
    }
    if odd {
        let mut l = Resource::new("AWS::ElasticLoadBalancingV2::Listener", "odd");
        l.account_id = Some("111122223333".to_string());
        l.configuration =
            serde_json::json!({"LoadBalancerArn": {"value": "lb0"}, "Protocol": "HTTPS"}).into();
        inventory.insert(l);
    }
    inventory
}

#[test]
fn filters_answered_from_an_index_give_the_findings_of_evaluation_in_place() {
    let pack = load(JOIN);
    let findings = same_as_in_place(&pack, &balancers(12, false), &EvalOptions::default());
    assert_eq!(findings, 24);
    let evaluation =
        ward_engine::evaluate(&pack, &balancers(12, false), &EvalOptions::default()).unwrap();
    for status in [
        ward_model::Status::Compliant,
        ward_model::Status::NonCompliant,
    ] {
        assert!(
            evaluation.findings.iter().any(|f| f.status == status),
            "{status:?}: {:?}",
            evaluation
                .findings
                .iter()
                .map(|f| (f.status, &f.message))
                .collect::<Vec<_>>()
        );
    }
    assert!(evaluation.findings.iter().any(|f| !f.evidence.is_empty()));
}

/// A listener whose field is not a string is never passed over: evaluated in place it makes
/// every load balancer of its account an ERROR (a shape Ward does not guess about), and so
/// it does from the index.
#[test]
fn a_field_of_an_unexpected_shape_fails_every_filter_that_reads_it() {
    let pack = load(JOIN);
    let inventory = balancers(6, true);
    assert_eq!(
        same_as_in_place(&pack, &inventory, &EvalOptions::default()),
        12
    );
    let evaluation = ward_engine::evaluate(&pack, &inventory, &EvalOptions::default()).unwrap();
    let errors: Vec<_> = evaluation
        .findings
        .iter()
        .filter(|f| f.status == ward_model::Status::Error)
        .collect();
    assert_eq!(errors.len(), 6, "{:?}", errors.first().map(|f| &f.message));
    assert!(
        errors
            .iter()
            .all(|f| f.resource.account.as_deref() == Some("111122223333")
                && f.message.contains("unexpected shape")),
        "{:?}",
        errors.first().map(|f| &f.message)
    );
}

#[test]
fn a_join_by_equality_costs_one_pass_per_account() {
    let pack = load(JOIN);
    let (small, large) = (
        steps(&pack, &balancers(100, false)),
        steps(&pack, &balancers(1_000, false)),
    );
    // Ten times the load balancers and listeners: ten times the work (scanned, a hundred).
    assert_tenfold(small, large, "load balancers");
}

/// A test before the equality whose value is not a boolean fails `and` on the first element:
/// from the index too, even for a load balancer no listener names (nothing to evaluate the
/// body on).
#[test]
fn a_test_before_the_equality_that_is_not_a_boolean_fails_as_a_scan_does() {
    let pack = load(
        r#"
def named(flag, lb) = filter(resources(AWS::ElasticLoadBalancingV2::Listener), l => flag and l.configuration.LoadBalancerArn == lb.arn)

rule flagged-listeners {
  title: "t"
  severity: low
  resource: AWS::ElasticLoadBalancingV2::LoadBalancer
  hipaa: ["164.312(b)"]
  assert count(named("yes", resource)) >= 0 else "never"
}
"#,
    );
    let inventory = balancers(4, false);
    assert_eq!(
        same_as_in_place(&pack, &inventory, &EvalOptions::default()),
        8
    );
    let evaluation = ward_engine::evaluate(&pack, &inventory, &EvalOptions::default()).unwrap();
    assert!(
        evaluation
            .findings
            .iter()
            .all(|f| f.status == ward_model::Status::Error),
        "{:?}",
        evaluation
            .findings
            .iter()
            .map(|f| (f.status, &f.message))
            .collect::<Vec<_>>()
    );
}

/// An account-level rule that asks an account-wide def about every resource, while its own
/// evidence fills up: once the finding's evidence is full, each call is reused (evaluated in
/// place, it would record nothing more), so the work stays one pass per account; and the
/// finding is the one evaluated in place.
#[test]
fn an_account_wide_def_asked_for_every_resource_after_the_evidence_is_full_is_reused() {
    let pack = load(
        r#"
def locked_names() = map(filter(resources(AWS::S3::Bucket), b => b.tags.locked == "true"), b => b.configuration.name)

rule most-buckets-locked {
  title: "t"
  severity: low
  resource: AWS::::Account
  hipaa: ["164.312(b)"]
  let open = filter(resources(AWS::S3::Bucket), b => exists(b.configuration.name) and not (b.configuration.name in locked_names()))
  assert count(open) < 5 else "{count(open)} buckets are not locked"
}
"#,
    );
    // The buckets of `inventory`, with the account resources the importer would add.
    let with_accounts = |n: usize| {
        let mut inventory = inventory(n);
        for account in ["111122223333", "444455556666"] {
            let mut a = Resource::new("AWS::::Account", account);
            a.account_id = Some(account.to_string());
            inventory.insert(a);
        }
        inventory
    };
    let (small, large) = (
        steps(&pack, &with_accounts(200)),
        steps(&pack, &with_accounts(2_000)),
    );
    assert!(small > 0, "the rule ran");
    assert_tenfold(small, large, "buckets of an account");
    assert_eq!(
        same_as_in_place(&pack, &with_accounts(120), &EvalOptions::default()),
        2
    );
}

/// `lookup(T, id)` answers from the caller's account and Region first, so a `def` that calls
/// it is not reused across callers: the same security group id in two Regions of one account
/// gives each instance its own Region's group.
#[test]
fn a_def_that_looks_up_by_id_answers_for_each_callers_region() {
    let pack = load(
        r#"
def role_of(id) = if count(resources(AWS::EC2::Instance)) > 0 then lookup(AWS::EC2::SecurityGroup, id).tags.role else "none"
rule app-group {
  title: "t"
  severity: low
  resource: AWS::EC2::Instance
  hipaa: ["164.312(b)"]
  assert role_of("sg-1") == "app" else "sg-1 is {role_of("sg-1")} here"
}
"#,
    );
    // Not reused: its value depends on where the caller is.
    let scopes = ward_engine::memo::memoizable_defs(&pack);
    assert_eq!(scopes, [ward_engine::memo::Scope::None]);
    let mut inventory = Inventory::new();
    for (region, role) in [("us-east-1", "app"), ("eu-west-1", "db")] {
        let mut group = Resource::new("AWS::EC2::SecurityGroup", "sg-1");
        group.account_id = Some("111122223333".into());
        group.aws_region = Some(region.into());
        group.tags.insert("role".into(), role.into());
        inventory.insert(group);
    }
    // Interleaved, so that one worker's memo sees both Regions.
    for i in 0..64 {
        for region in ["us-east-1", "eu-west-1"] {
            let mut instance = Resource::new("AWS::EC2::Instance", format!("i-{region}-{i}"));
            instance.account_id = Some("111122223333".into());
            instance.aws_region = Some(region.into());
            inventory.insert(instance);
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let evaluation = pool
        .install(|| ward_engine::evaluate(&pack, &inventory, &EvalOptions::default()))
        .unwrap();
    let status = |id: &str| {
        evaluation
            .findings
            .iter()
            .find(|f| f.resource.id == id)
            .map(|f| (f.status, f.message.clone()))
            .unwrap()
    };
    for i in 0..64 {
        assert_eq!(
            status(&format!("i-us-east-1-{i}")).0,
            ward_model::Status::Compliant
        );
        assert_eq!(
            status(&format!("i-eu-west-1-{i}")),
            (
                ward_model::Status::NonCompliant,
                "sg-1 is db here".to_string()
            )
        );
    }
    assert_eq!(
        same_as_in_place(&pack, &inventory, &EvalOptions::default()),
        128
    );
}

/// Calls whose arguments each resource reads from itself: the same values at a different
/// path for every bucket. Reused by value, with evidence naming each caller's own paths:
/// read from the argument (`starts_with`), from an absent argument, none for a literal; and
/// a def that returns its argument gives each caller its own.
const BY_VALUE: &str = r#"
def locked_like(v) = count(resources(AWS::S3::Bucket), b => ends_with(b.resourceId, "-b0") and starts_with(b.tags.locked ?? "", v))
def same_if_any(v) = if count(resources(AWS::S3::Bucket)) > 0 then v else "none"
def missing_or(v, w) = count(resources(AWS::S3::Bucket), b => (v ?? w) == "x") == 0

rule by-value {
  title: "t"
  severity: low
  resource: AWS::S3::Bucket
  hipaa: ["164.312(b)"]
  assert locked_like(tags.locked) < 1000 and same_if_any(tags.locked) == "true"
    and missing_or(tags.nothing, "y") and locked_like("tr") > 0
    else "bucket {configuration.name}: {locked_like(tags.locked)} alike"
}
"#;

#[test]
fn a_call_reused_for_arguments_read_elsewhere_names_each_callers_paths() {
    let pack = load(BY_VALUE);
    let inventory = inventory(60);
    assert_eq!(
        same_as_in_place(&pack, &inventory, &EvalOptions::default()),
        120
    );
    let found = ward_engine::evaluate(&pack, &inventory, &EvalOptions::default()).unwrap();
    let statuses: std::collections::BTreeSet<_> = found.findings.iter().map(|f| f.status).collect();
    assert_eq!(
        statuses.len(),
        2,
        "compliant and non-compliant: {statuses:?}"
    );
    // The evidence names the caller's own tag, read inside the reused call.
    assert!(found.findings.iter().all(|f| {
        f.evidence.iter().any(|e| e.path == "tags.locked")
            && f.evidence.iter().all(|e| !e.path.contains('\u{0}'))
    }));
}

#[test]
fn a_call_with_an_argument_read_from_each_resource_costs_one_pass_per_value() {
    let pack = load(BY_VALUE);
    let (small, large) = (
        steps(&pack, &inventory(200)),
        steps(&pack, &inventory(2_000)),
    );
    // Keyed by where each bucket read its tag, it would scan the account once per bucket.
    assert_tenfold(small, large, "buckets");
}
