//! `ward rules`: list the rules of every backend, as lines or as a Markdown table.

use std::path::PathBuf;

use clap::ValueEnum;
use ward_run::backends::LoadOptions;

use super::{Exit, Outcome, load_controls, write_stdout};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RulesFormat {
    Text,
    Markdown,
}

pub(crate) fn list_rules(policies: &[PathBuf], format: RulesFormat) -> Outcome {
    let controls = load_controls(&LoadOptions {
        policies: policies.to_vec(),
        ..LoadOptions::default()
    })?;
    if let RulesFormat::Markdown = format {
        write_stdout(&ward_run::rules_markdown(controls.rules()))?;
        return Ok(Exit::Clean);
    }
    for r in controls.rules() {
        println!("{:<48} {:<8} {}", r.id, r.severity.as_str(), r.title);
    }
    Ok(Exit::Clean)
}
