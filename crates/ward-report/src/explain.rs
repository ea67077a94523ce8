//! `ward explain`: a rule's title, severity, backend, resource types, citations with their
//! titles, frameworks, source, parameters, description, rationale and remediation, as text.

use ward_model::RuleInfo;

use crate::controls::CitationCatalogue;

/// The explanation of `rule`; citations are titled from `catalogue` when given.
pub fn render_explanation(rule: &RuleInfo, catalogue: Option<&CitationCatalogue>) -> String {
    let mut out = String::new();
    out.push_str(&format!("{}\n  {}\n\n", rule.id, rule.title));
    out.push_str(&format!("severity:   {}\n", rule.severity));
    out.push_str(&format!("backend:    {}\n", rule.backend));
    out.push_str(&format!("resources:  {}\n", rule.resource_types.join(", ")));
    // Citations with their titles from the pack's catalogue.
    out.push_str("HIPAA:\n");
    for c in &rule.citations {
        let title = catalogue.and_then(|cat| cat.get(c)).map_or(
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
    if !rule.frameworks.is_empty() {
        out.push_str(&format!("frameworks: {}\n", rule.frameworks.join(", ")));
    }
    if let Some(s) = &rule.reference {
        out.push_str(&format!("source:     {s}\n"));
    }
    if let Some(at) = &rule.source {
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
        ("description", &rule.description),
        ("rationale", &rule.rationale),
        ("remediation", &rule.remediation),
    ] {
        if let Some(t) = text {
            out.push_str(&format!("\n{title}:\n  {t}\n"));
        }
    }
    out
}
