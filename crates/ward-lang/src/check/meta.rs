//! A rule's metadata (`title`, `severity`, `resource`, `hipaa`, …): each key's value checked,
//! the required ones present, HIPAA citations and resource types known.

use std::collections::HashMap;

use ward_model::{ResourceCatalog, Severity};

use crate::ast::{self, Span};
use crate::diagnostic::{LangDiagnostic, SourceFile, did_you_mean};
use crate::ir::RuleMeta;

pub(super) const META_KEYS: [&str; 9] = [
    "title",
    "severity",
    "resource",
    "hipaa",
    "rationale",
    "remediation",
    "description",
    "frameworks",
    "source",
];

pub(super) fn check_meta(
    file: &SourceFile,
    rule: &ast::Rule,
    catalog: &ResourceCatalog,
    diags: &mut Vec<LangDiagnostic>,
) -> Option<(RuleMeta, Vec<String>)> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut title = None;
    let mut severity = None;
    let mut hipaa = None;
    let mut types: Option<Vec<String>> = None;
    let mut meta = RuleMeta {
        title: String::new(),
        severity: Severity::Medium,
        hipaa: Vec::new(),
        frameworks: Vec::new(),
        rationale: None,
        remediation: None,
        description: None,
        source: None,
    };
    let err = |diags: &mut Vec<LangDiagnostic>, span: Span, code: &str, msg: String| {
        diags.push(LangDiagnostic::new(file, span, code, msg));
    };
    for entry in &rule.meta {
        let key = entry.key.name.as_str();
        if let Some(_first) = seen.insert(key, entry.key.span) {
            err(
                diags,
                entry.key.span,
                "duplicate-metadata",
                format!("`{key}` is given twice"),
            );
            continue;
        }
        let text = |diags: &mut Vec<LangDiagnostic>| -> Option<String> {
            match &entry.value {
                ast::MetaValue::Str(s, _) => Some(s.clone()),
                other => {
                    err(
                        diags,
                        other.span(),
                        "metadata-type",
                        format!("`{key}` takes a string"),
                    );
                    None
                }
            }
        };
        let list = |diags: &mut Vec<LangDiagnostic>| -> Option<Vec<String>> {
            match &entry.value {
                ast::MetaValue::StrList(items, _) => {
                    Some(items.iter().map(|(s, _)| s.clone()).collect())
                }
                ast::MetaValue::Str(s, _) => Some(vec![s.clone()]),
                other => {
                    err(
                        diags,
                        other.span(),
                        "metadata-type",
                        format!("`{key}` takes a list of strings"),
                    );
                    None
                }
            }
        };
        match key {
            "title" => title = text(diags),
            "rationale" => meta.rationale = text(diags),
            "remediation" => meta.remediation = text(diags),
            "description" => meta.description = text(diags),
            "source" => meta.source = text(diags),
            "frameworks" => meta.frameworks = list(diags).unwrap_or_default(),
            "hipaa" => {
                let citations = list(diags).unwrap_or_default();
                if citations.is_empty() {
                    err(
                        diags,
                        entry.value.span(),
                        "missing-citation",
                        "a rule cites at least one HIPAA section".into(),
                    );
                }
                for (c, span) in match &entry.value {
                    ast::MetaValue::StrList(items, _) => items.clone(),
                    ast::MetaValue::Str(s, span) => vec![(s.clone(), *span)],
                    _ => Vec::new(),
                } {
                    if !c.starts_with("164.") {
                        diags.push(
                            LangDiagnostic::new(
                                file,
                                span,
                                "citation-format",
                                format!("`{c}` is not a HIPAA Security Rule citation"),
                            )
                            .with_help("cite sections of 45 CFR Part 164, e.g. \"164.312(b)\""),
                        );
                    }
                }
                hipaa = Some(citations);
            }
            "severity" => {
                let word = match &entry.value {
                    ast::MetaValue::Word(i) => Some((i.name.clone(), i.span)),
                    ast::MetaValue::Str(s, span) => Some((s.clone(), *span)),
                    other => {
                        err(
                            diags,
                            other.span(),
                            "metadata-type",
                            "`severity` takes one of info, low, medium, high, critical".into(),
                        );
                        None
                    }
                };
                if let Some((word, span)) = word {
                    match Severity::parse(&word) {
                        Some(s) => severity = Some(s),
                        None => diags.push(
                            LangDiagnostic::new(
                                file,
                                span,
                                "unknown-severity",
                                format!("unknown severity `{word}`"),
                            )
                            .with_help(did_you_mean(
                                &word,
                                Severity::ALL.iter().map(|s| s.as_str()),
                            )),
                        ),
                    }
                }
            }
            "resource" => {
                let listed: Vec<(String, Span)> = match &entry.value {
                    ast::MetaValue::Type(t, span) => vec![(t.clone(), *span)],
                    ast::MetaValue::TypeList(ts, _) => ts.clone(),
                    other => {
                        err(
                            diags,
                            other.span(),
                            "metadata-type",
                            "`resource` takes a resource type, e.g. AWS::S3::Bucket".into(),
                        );
                        Vec::new()
                    }
                };
                let mut ok = Vec::new();
                for (t, span) in listed {
                    if catalog.is_known(&t) {
                        ok.push(t);
                    } else {
                        diags.push(
                            LangDiagnostic::new(
                                file,
                                span,
                                "unknown-resource-type",
                                format!("unknown resource type `{t}`"),
                            )
                            .with_label("not an AWS Config resource type")
                            .with_help(did_you_mean(&t, catalog.type_names())),
                        );
                    }
                }
                types = Some(ok);
            }
            other => diags.push(
                LangDiagnostic::new(
                    file,
                    entry.key.span,
                    "unknown-metadata",
                    format!("unknown metadata key `{other}`"),
                )
                .with_help(did_you_mean(other, META_KEYS.iter().copied())),
            ),
        }
    }
    for (key, present) in [
        ("title", title.is_some() || seen.contains_key("title")),
        (
            "severity",
            severity.is_some() || seen.contains_key("severity"),
        ),
        ("resource", types.is_some() || seen.contains_key("resource")),
        ("hipaa", hipaa.is_some() || seen.contains_key("hipaa")),
    ] {
        if !present {
            diags.push(
                LangDiagnostic::new(
                    file,
                    rule.id_span,
                    "missing-metadata",
                    format!("rule `{}` has no `{key}`", rule.id),
                )
                .with_help(format!("add `{key}: …` inside the rule")),
            );
        }
    }
    meta.title = title?;
    meta.severity = severity?;
    meta.hipaa = hipaa?;
    Some((meta, types?))
}
