//! `ward test`: run the test cases beside each rule.

use std::path::PathBuf;
use std::process::ExitCode;

use ward_run::rule_tests;

use super::report_load_error;

pub(crate) fn test(dirs: &[PathBuf]) -> ExitCode {
    match rule_tests::run(dirs) {
        Ok(run) => {
            print!("{}", run.render());
            if run.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => report_load_error(e),
    }
}
