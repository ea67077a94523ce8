//! `ward rules`: list the rules of every backend, as lines or as a Markdown table.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use ward_run::backends::LoadOptions;

use super::{load_controls, write_stdout};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RulesFormat {
    Text,
    Markdown,
}

pub(crate) fn list_rules(policies: &[PathBuf], format: RulesFormat) -> ExitCode {
    let controls = match load_controls(&LoadOptions {
        policies: policies.to_vec(),
        ..LoadOptions::default()
    }) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let RulesFormat::Markdown = format {
        return match write_stdout(&ward_run::rules_markdown(controls.rules())) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        };
    }
    for r in controls.rules() {
        println!("{:<48} {:<8} {}", r.id, r.severity.as_str(), r.title);
    }
    ExitCode::SUCCESS
}
