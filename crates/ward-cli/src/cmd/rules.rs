//! `ward rules`: list a pack's rules, as lines or as a Markdown table.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use ward_cli::load_policies;

use super::{report_pack_error, write_stdout};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RulesFormat {
    Text,
    Markdown,
}

pub(crate) fn list_rules(policies: &[PathBuf], format: RulesFormat) -> ExitCode {
    let pack = match load_policies(policies) {
        Ok(p) => p,
        Err(e) => return report_pack_error(e),
    };
    if let RulesFormat::Markdown = format {
        return match write_stdout(&ward_cli::rules_markdown(&pack)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        };
    }
    for r in &pack.rules {
        println!(
            "{:<48} {:<8} {}",
            r.id,
            r.meta.severity.as_str(),
            r.meta.title
        );
    }
    ExitCode::SUCCESS
}
