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
    let run = match ward_cli::rule_tests::run(&[workspace_root().join("policies")]) {
        Ok(run) => run,
        Err(ward_lang::PackError::Invalid(diags)) => {
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
    let pack = ward_cli::builtin_pack().expect("the built-in pack checks");
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
            .strip_prefix(ward_cli::BUILTIN_PREFIX)
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
    let builtin = ward_cli::builtin_pack().expect("built-in pack");
    let on_disk =
        ward_lang::load_pack(&[workspace_root().join("policies/hipaa")]).expect("pack on disk");
    let ids = |p: &ward_lang::Pack| p.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&builtin), ids(&on_disk));
}
