//! Planted shape surprises (`tests/data/shape-surprises/`, one case per file): a value of a
//! shape no rule expects, planted in every resource of its type in the example estate. Every
//! rule of the pack that reads the field must meet it loudly: ERROR, or NON_COMPLIANT with
//! the planted path as evidence; NOT_APPLICABLE only where another guard already excluded
//! the resource without the plant; never COMPLIANT.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use ward_engine::EvalOptions;
use ward_model::{Finding, Inventory, ResourceRef, Status};
use ward_run::backends::ControlSet;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Plant {
    #[serde(rename = "type")]
    resource_type: String,
    path: String,
    value: Value,
    why: String,
}

/// Sets `value` at `path` (keys; a list on the way stands for each element).
fn plant(target: &mut Value, path: &[&str], value: &Value) {
    match target {
        Value::Array(items) => items.iter_mut().for_each(|i| plant(i, path, value)),
        Value::Object(map) => match path {
            [] => {}
            [last] => {
                map.insert((*last).to_string(), value.clone());
            }
            [key, rest @ ..] => {
                if let Some(child) = map.get_mut(*key) {
                    plant(child, rest, value);
                }
            }
        },
        _ => {}
    }
}

fn estate() -> Inventory {
    let mut inventory = Inventory::new();
    let report = ward_import::import_path(&root().join("examples/clinic/estate"), &mut inventory);
    assert!(!report.has_errors(), "the example estate imports");
    inventory.synthesize_accounts();
    inventory
}

fn planted(estate: &Inventory, p: &Plant) -> (Inventory, usize) {
    let path: Vec<&str> = p.path.split('.').collect();
    let mut out = Inventory::new();
    let mut count = 0;
    for r in estate.iter() {
        let mut r = r.clone();
        if r.resource_type == p.resource_type {
            match path.as_slice() {
                ["configuration", rest @ ..] => {
                    let mut config = r.configuration.to_value();
                    plant(&mut config, rest, &p.value);
                    r.configuration = config.into();
                }
                ["supplementaryConfiguration", rest @ ..] => {
                    let mut supp = Value::Object(r.supplementary_configuration.to_map());
                    plant(&mut supp, rest, &p.value);
                    if let Value::Object(map) = supp {
                        r.supplementary_configuration = map.into();
                    }
                }
                _ => panic!(
                    "{}: a path starts with configuration or supplementaryConfiguration",
                    p.path
                ),
            }
            count += 1;
        }
        out.insert(r);
    }
    (out, count)
}

fn by_resource(findings: Vec<Finding>) -> BTreeMap<(String, ResourceRef), Finding> {
    findings
        .into_iter()
        .map(|f| ((f.rule.clone(), (*f.resource).clone()), f))
        .collect()
}

#[test]
fn planted_surprises_are_never_compliant_and_always_met() {
    let controls = ControlSet::load(&ward_run::backends::LoadOptions::default()).unwrap();
    let pack = controls.pack();
    let estate = estate();
    let dir = root().join("tests/data/shape-surprises");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "the corpus at {} is missing",
        dir.display()
    );

    let mut problems = Vec::new();
    for file in &files {
        let case = file.file_name().unwrap().to_string_lossy().into_owned();
        let p: Plant = serde_yaml_ng::from_str(&std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(!p.why.is_empty());
        let key = p.path.split('.').nth(1).unwrap().to_string();
        // The rules that evaluate this type and name the field.
        let readers: BTreeSet<String> = pack
            .rules
            .iter()
            .filter(|r| r.resource_types.contains(&p.resource_type))
            .filter(|r| {
                let only = BTreeSet::from([r.id.clone()]);
                // Rules that name the field. (A rule that passes a configuration object
                // whole to a `def` may read any key; whether it reads this one cannot be
                // told, so such rules are not held to it here.)
                let used = ward_lang::fields::configuration_fields_of(pack, Some(&only));
                used.names.contains(&key) && !used.whole_types.contains(&p.resource_type)
            })
            .map(|r| r.id.clone())
            .collect();
        if readers.is_empty() {
            problems.push(format!("{case}: no rule of the pack reads `{}`", p.path));
            continue;
        }
        let (inventory, count) = planted(&estate, &p);
        if count == 0 {
            problems.push(format!(
                "{case}: the example estate has no {}",
                p.resource_type
            ));
            continue;
        }
        let options = EvalOptions {
            only: Some(readers.clone()),
            ..EvalOptions::default()
        };
        let before = by_resource(controls.evaluate(&estate, &options).unwrap().findings);
        let after = by_resource(controls.evaluate(&inventory, &options).unwrap().findings);
        let mut met: BTreeSet<&str> = BTreeSet::new();
        for ((rule, r), f) in &after {
            if r.resource_type != p.resource_type {
                continue;
            }
            let id = &r.id;
            let names_path = f.evidence.iter().any(|e| e.path.starts_with(&p.path))
                || f.message.contains(&p.path);
            match f.status {
                Status::Error => {
                    met.insert(rule);
                }
                Status::NonCompliant if names_path => {
                    met.insert(rule);
                }
                Status::NonCompliant => {}
                Status::NotApplicable => {
                    let was = before.get(&(rule.clone(), r.clone()));
                    if was
                        .is_none_or(|b| b.status != Status::NotApplicable || b.message != f.message)
                    {
                        problems.push(format!(
                            "{case}: {rule} says NOT_APPLICABLE for {id} with the plant only: {}",
                            f.message
                        ));
                    }
                }
                Status::Compliant | Status::Waived => problems.push(format!(
                    "{case}: {rule} says {} for {id} with `{}` = {}: {}",
                    f.status, p.path, p.value, f.message
                )),
            }
        }
        for rule in &readers {
            if !met.contains(rule.as_str()) {
                problems.push(format!(
                    "{case}: {rule} reads `{}` but never met the plant on any {} of the estate",
                    p.path, p.resource_type
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
