//! Language features, each as a small rule with its test cases under `tests/data/language/`,
//! run the way `ward test` runs a pack.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

#[test]
fn language_feature_cases_pass() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/language");
    let run = ward_run::rule_tests::run(&[dir]).expect("the feature rules check");
    assert!(run.cases.len() >= 2);
    assert!(run.ok(), "{}", run.render());
}
