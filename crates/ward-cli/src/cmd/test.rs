//! `ward test`: run the test cases beside each rule.

use std::path::PathBuf;

use ward_run::rule_tests;

use super::{Exit, Outcome, report_load_error};

pub(crate) fn test(dirs: &[PathBuf]) -> Outcome {
    let run = rule_tests::run(dirs).map_err(report_load_error)?;
    print!("{}", run.render());
    Ok(Exit::flagged_if(!run.ok()))
}
