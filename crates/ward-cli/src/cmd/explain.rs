//! `ward explain`: a rule's metadata, citations, parameters and source location.

use std::path::PathBuf;
use std::process::ExitCode;

use ward_run::backends::LoadOptions;
use ward_run::load_catalogue;

use super::load_controls;

pub(crate) fn explain(rule_id: &str, policies: &[PathBuf]) -> ExitCode {
    let controls = match load_controls(&LoadOptions {
        policies: policies.to_vec(),
        ..LoadOptions::default()
    }) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(rule) = controls.rule(rule_id) else {
        let ids: Vec<&str> = controls.rules().iter().map(|r| r.id.as_str()).collect();
        let hint = ward_lang::diagnostic::did_you_mean(rule_id, ids.iter().copied());
        eprintln!("error: unknown rule `{rule_id}`: {hint}");
        return ExitCode::from(2);
    };
    let m = rule;
    let mut out = String::new();
    out.push_str(&format!("{}\n  {}\n\n", rule.id, m.title));
    out.push_str(&format!("severity:   {}\n", m.severity));
    out.push_str(&format!("backend:    {}\n", m.backend));
    out.push_str(&format!("resources:  {}\n", rule.resource_types.join(", ")));
    // Citations with their titles from the pack's catalogue (the built-in one by default).
    let catalogue = load_catalogue(policies, None).ok();
    out.push_str("HIPAA:\n");
    for c in &m.citations {
        let title = catalogue.as_ref().and_then(|cat| cat.get(c)).map_or(
            "(not in the citation catalogue)".to_string(),
            |cit| {
                format!(
                    "{} ({} safeguard, {})",
                    cit.title,
                    cit.safeguard,
                    cit.kind.as_str()
                )
            },
        );
        out.push_str(&format!("  {c:<22} {title}\n"));
    }
    if !m.frameworks.is_empty() {
        out.push_str(&format!("frameworks: {}\n", m.frameworks.join(", ")));
    }
    if let Some(s) = &m.reference {
        out.push_str(&format!("source:     {s}\n"));
    }
    if let Some(at) = &m.source {
        out.push_str(&format!("defined at: {at}\n"));
    }
    if !rule.params.is_empty() {
        out.push_str("\nparameters:\n");
        for p in &rule.params {
            let default = p
                .default
                .as_ref()
                .map_or("(optional, no default)".to_string(), |d| format!("= {d}"));
            out.push_str(&format!("  {}: {} {default}\n", p.name, p.ty));
        }
    }
    for (title, text) in [
        ("description", &m.description),
        ("rationale", &m.rationale),
        ("remediation", &m.remediation),
    ] {
        if let Some(t) = text {
            out.push_str(&format!("\n{title}:\n  {t}\n"));
        }
    }
    print!("{out}");
    ExitCode::SUCCESS
}
