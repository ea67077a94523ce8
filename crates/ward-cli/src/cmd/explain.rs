//! `ward explain`: a rule's metadata, citations, parameters and source location.

use std::path::PathBuf;

use ward_run::backends::LoadOptions;
use ward_run::load_catalogue;

use super::{Exit, Outcome, fail, load_controls};

pub(crate) fn explain(rule_id: &str, policies: &[PathBuf]) -> Outcome {
    let controls = load_controls(&LoadOptions {
        policies: policies.to_vec(),
        ..LoadOptions::default()
    })?;
    let Some(rule) = controls.rule(rule_id) else {
        let ids: Vec<&str> = controls.rules().iter().map(|r| r.id.as_str()).collect();
        let hint = ward_lang::diagnostic::did_you_mean(rule_id, ids.iter().copied());
        return Err(fail(format!("unknown rule `{rule_id}`: {hint}")));
    };
    let catalogue = load_catalogue(policies, None).ok();
    let out = ward_report::explain::render_explanation(rule, catalogue.as_ref());
    print!("{out}");
    Ok(Exit::Clean)
}
