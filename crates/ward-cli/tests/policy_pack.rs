//! The HIPAA pack's own tests (`policies/**/NAME.tests.yaml`), run by `cargo test` exactly as
//! `ward test policies` runs them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_rule_test_case_passes() {
    let run = match ward_run::rule_tests::run(&[workspace_root().join("policies")]) {
        Ok(run) => run,
        Err(ward_run::backends::LoadError::Pack(ward_lang::PackError::Invalid(diags))) => {
            let text: Vec<String> = diags
                .iter()
                .map(|d| format!("{}: {}", d.location, d.message))
                .collect();
            panic!("the pack does not check:\n{}", text.join("\n"));
        }
        Err(e) => panic!("{e}"),
    };
    assert!(
        run.cases.len() > 100,
        "expected the pack's cases, found {}",
        run.cases.len()
    );
    assert!(run.ok(), "{}", run.render());
}

#[test]
fn every_rule_has_tests_and_citations() {
    let pack = ward_run::builtin_pack().expect("the built-in pack checks");
    assert!(pack.rules.len() >= 21);
    for rule in &pack.rules {
        assert!(!rule.meta.hipaa.is_empty(), "{} cites nothing", rule.id);
        assert!(
            rule.meta.remediation.is_some(),
            "{} has no remediation",
            rule.id
        );
        let file = &pack.files[rule.file];
        let rel = file
            .path
            .strip_prefix(ward_run::BUILTIN_PREFIX)
            .expect("built-in path");
        let tests = workspace_root()
            .join("policies/hipaa")
            .join(rel)
            .with_extension("tests.yaml");
        assert!(
            tests.exists(),
            "{} has no test file at {}",
            rule.id,
            tests.display()
        );
    }
}

#[test]
fn the_builtin_pack_is_the_policies_directory() {
    let builtin = ward_run::builtin_pack().expect("built-in pack");
    let on_disk =
        ward_lang::load_pack(&[workspace_root().join("policies/hipaa")]).expect("pack on disk");
    let ids = |p: &ward_lang::Pack| p.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&builtin), ids(&on_disk));
}

#[test]
fn every_cedar_control_has_tests_citations_and_remediation_and_is_on_disk() {
    let controls =
        ward_run::backends::ControlSet::load(&ward_run::backends::LoadOptions::default()).unwrap();
    let cedar: Vec<_> = controls
        .rules()
        .iter()
        .filter(|r| r.backend == "cedar")
        .collect();
    assert!(cedar.len() >= 3, "the pack has Cedar controls");
    for rule in cedar {
        assert!(!rule.citations.is_empty(), "{} cites nothing", rule.id);
        assert!(rule.remediation.is_some(), "{} has no remediation", rule.id);
        let source = rule.source.as_ref().expect("a source location");
        let rel = source
            .file
            .strip_prefix(&format!("{}/", ward_run::BUILTIN_PREFIX))
            .expect("built-in path");
        let on_disk = workspace_root().join("policies/hipaa").join(rel);
        assert!(on_disk.exists(), "{} is not on disk", on_disk.display());
        let tests = on_disk.with_extension("tests.yaml");
        assert!(
            tests.exists(),
            "{} has no test file at {}",
            rule.id,
            tests.display()
        );
    }
}

fn readme() -> String {
    std::fs::read_to_string(workspace_root().join("policies/hipaa/README.md")).unwrap()
}

/// The first column of the table that follows `heading` (a line starting with it).
fn first_column_after(text: &str, heading: &str) -> Vec<String> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}`"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .filter_map(|l| l.split('|').nth(1))
        .map(|c| c.trim().trim_matches('`').to_string())
        .collect()
}

#[test]
fn every_rule_has_compliant_non_compliant_and_not_applicable_cases() {
    let dir = workspace_root().join("policies/hipaa");
    let mut missing = Vec::new();
    let entries = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("cedar")).unwrap());
    for entry in entries {
        let path = entry.unwrap().path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(rule) = name.strip_suffix(".tests.yaml") else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
        let statuses: std::collections::BTreeSet<&str> = doc["cases"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["expect"].as_object().unwrap().values())
            .filter_map(|v| v.as_str())
            .collect();
        for wanted in ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"] {
            // An account-level rule has no NOT_APPLICABLE outcome; its file says so first.
            let exempt =
                wanted == "NOT_APPLICABLE" && text.starts_with("# no NOT_APPLICABLE case: ");
            if !statuses.contains(wanted) && !exempt {
                missing.push(format!("{rule}: no {wanted} case"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_readme_table_is_the_pack() {
    let controls =
        ward_run::backends::ControlSet::load(&ward_run::backends::LoadOptions::default()).unwrap();
    let generated = ward_run::rules_markdown(controls.rules());
    let text = readme();
    let begin = "<!-- BEGIN ward rules --format markdown -->\n";
    let start = text.find(begin).unwrap() + begin.len();
    let end = text
        .find("<!-- END ward rules --format markdown -->")
        .unwrap();
    assert!(
        text[start..end] == generated,
        "policies/hipaa/README.md's rules table is stale: run examples/tools/update_pack_readme.py"
    );
}

#[test]
fn the_readme_accounts_for_every_rule_of_the_conformance_pack() {
    let pack = ward_run::builtin_pack().unwrap();
    let ids: std::collections::BTreeSet<String> = pack.rules.iter().map(|r| r.id.clone()).collect();
    let text = readme();
    let left_out = first_column_after(&text, "| conformance pack rule | why |");
    assert!(left_out.contains(&"annual-risk-assessment-performed".to_string()));
    for id in &left_out {
        assert!(
            !ids.contains(id),
            "{id} is listed as not implemented but is in the pack"
        );
    }
    let outside = [
        "nacl-no-unrestricted-ssh-rdp",
        "desired-instance-tenancy",
        "ec2-instance-detailed-monitoring-enabled",
        "cloudwatch-alarm-resource-check",
        "cloudformation-stack-service-role-check",
        "cloudformation-stack-drift-detection-check",
        "s3-bucket-policy-grantee-check",
    ];
    for id in outside {
        assert!(
            ids.contains(id),
            "{id} is named as outside the pack but is not a rule"
        );
        assert!(text.contains(&format!("`{id}`")), "README should name {id}");
    }
    let ward_controls = ids.iter().filter(|id| id.starts_with("ward-")).count();
    let from_pack = ids.len() - ward_controls - outside.len();
    let claim = format!(
        "**{from_pack} of the {} rules**",
        from_pack + left_out.len()
    );
    assert!(text.contains(&claim), "README should say {claim}");
    assert!(text.contains(&format!("**{} rules**", ids.len())));
    assert!(text.contains(&format!("**{ward_controls} Ward controls**")));

    // The pack's YAML itself (vendored under tests/data/reference): every rule is implemented
    // under its id or listed as not implemented, and the total is the YAML's.
    let yaml = workspace_root().join(
        "tests/data/reference/aws-config-conformance-packs/Operational-Best-Practices-for-HIPAA-Security.yaml",
    );
    let yaml = std::fs::read_to_string(&yaml)
        .unwrap_or_else(|e| panic!("conformance pack YAML at {}: {e}", yaml.display()));
    let doc: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let names: Vec<String> = doc["Resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| {
            r["Properties"]["ConfigRuleName"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        names.len(),
        from_pack + left_out.len(),
        "the pack's rule count"
    );
    for name in &names {
        assert!(
            ids.contains(name) || left_out.contains(name),
            "conformance pack rule {name} is neither implemented nor listed as left out"
        );
    }
    for id in ids
        .iter()
        .filter(|id| !id.starts_with("ward-") && !outside.contains(&id.as_str()))
    {
        assert!(
            names.contains(id),
            "{id} is not a rule of the conformance pack"
        );
    }
}

/// Projection never changes a finding: over the example estate, each rule run alone on an
/// inventory that keeps only what that rule reads (`--rule R`) gives exactly the findings the
/// whole pack gives for it on an inventory that keeps every field (`--all-fields`).
#[test]
fn each_rule_alone_reads_enough_to_decide_as_with_every_field() {
    use std::collections::BTreeSet;
    use ward_engine::EvalOptions;
    use ward_run::backends::{ControlSet, LoadOptions};

    let controls = ControlSet::load(&LoadOptions::default()).unwrap();
    let estate = vec![workspace_root().join("examples/clinic/estate")];
    let options = |only: Option<BTreeSet<String>>| EvalOptions {
        as_of: Some("2026-11-21T00:00:00Z".to_string()),
        only,
        ..EvalOptions::default()
    };
    let (everything, _) =
        ward_run::import_inputs_for(&estate, ward_model::FieldNeeds::everything());
    let full = controls.evaluate(&everything, &options(None)).unwrap();
    let summary = |f: &ward_model::Finding| {
        format!(
            "{} {} {:?} {}",
            f.resource.resource_type, f.resource.id, f.status, f.message
        )
    };
    let mut differences = Vec::new();
    for rule in controls.rule_ids() {
        let only: BTreeSet<String> = [rule.clone()].into();
        let (projected, _) =
            ward_run::import_inputs_for(&estate, controls.field_needs_of(Some(&only)));
        let alone = controls.evaluate(&projected, &options(Some(only))).unwrap();
        let want: Vec<String> = full
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(summary)
            .collect();
        let got: Vec<String> = alone.findings.iter().map(summary).collect();
        if want != got {
            differences.push(format!(
                "{rule}:\n  all fields: {want:?}\n  projected:  {got:?}"
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn least_privilege_decides_the_example_estate_alike_with_partial_requests_and_per_grant() {
    use ward_cedar::eval::{Requests, entity_store, evaluate_least_privilege};
    let backend =
        ward_cedar::CedarBackend::from_dirs(&[workspace_root().join("policies")]).unwrap();
    let estate = vec![workspace_root().join("examples/clinic/estate")];
    let (inventory, _) = ward_run::import_inputs_for(&estate, ward_model::FieldNeeds::everything());
    let schema = ward_cedar::WardSchema::builtin().unwrap();
    let phi = ward_cedar::PhiConfig::default();
    let controls: Vec<&ward_cedar::CedarControl> = backend
        .controls()
        .iter()
        .filter(|c| c.mode == ward_cedar::Mode::LeastPrivilege)
        .collect();
    assert!(!controls.is_empty());
    for control in controls {
        let store = entity_store(&[control], &inventory, schema, &phi);
        let per_grant = evaluate_least_privilege(
            control,
            &inventory,
            &store,
            &phi,
            schema,
            Requests::PerGrant,
        );
        let fewest =
            evaluate_least_privilege(control, &inventory, &store, &phi, schema, Requests::Fewest);
        assert!(per_grant.len() > 20, "{}", per_grant.len());
        assert_eq!(
            serde_json::to_value(&per_grant).unwrap(),
            serde_json::to_value(&fewest).unwrap(),
            "{}",
            control.id
        );
    }
}

/// Entities are built without Cedar's conformance check (`ward_cedar::entities::build`): they
/// conform by construction. This holds it to Cedar's check over every resource of the example
/// estate, every field kept.
#[test]
fn every_entity_of_the_example_estate_conforms_to_the_cedar_schema() {
    let estate = vec![workspace_root().join("examples/clinic/estate")];
    let (inventory, _) = ward_run::import_inputs_for(&estate, ward_model::FieldNeeds::everything());
    assert!(inventory.len() > 200, "{}", inventory.len());
    let schema = ward_cedar::WardSchema::builtin().unwrap();
    let problems =
        ward_cedar::entities::nonconforming(&inventory, schema, &ward_cedar::PhiConfig::default());
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The README's table of HIPAA practices has a row for each practice of the two guides (A1 to
/// A27, B1 to B29), and every rule id in its control column is a rule of the pack.
#[test]
fn the_practice_table_names_only_rules_of_the_pack() {
    let pack = ward_run::builtin_pack().unwrap();
    let mut ids: std::collections::BTreeSet<String> =
        pack.rules.iter().map(|r| r.id.clone()).collect();
    // The Cedar controls, by their `@id("...")` annotations.
    for entry in std::fs::read_dir(workspace_root().join("policies/hipaa/cedar")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for part in text.split("@id(\"").skip(1) {
            if let Some(id) = part.split('"').next() {
                ids.insert(id.to_string());
            }
        }
    }
    let text = readme();
    let start = text
        .find("| # | practice | control | status |")
        .expect("the README has the practice table");
    let rows: Vec<Vec<&str>> = text[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    let numbers: Vec<String> = rows.iter().map(|r| r[1].to_string()).collect();
    let expected: Vec<String> = (1..=27)
        .map(|n| format!("A{n}"))
        .chain((1..=29).map(|n| format!("B{n}")))
        .collect();
    assert_eq!(numbers, expected, "one row per practice, in order");
    let mut unknown = Vec::new();
    for row in &rows {
        let control = row[3];
        for quoted in control.split('`').skip(1).step_by(2) {
            let looks_like_rule = quoted.contains('-')
                && quoted
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if looks_like_rule && !ids.contains(quoted) {
                unknown.push(format!("{}: {quoted}", row[1]));
            }
        }
    }
    assert!(unknown.is_empty(), "not rules of the pack: {unknown:?}");
}
