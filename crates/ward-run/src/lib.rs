//! Ward's run as a library, beneath the `ward` command (`ward-cli`) and the Config rule
//! Lambda (`ward-lambda`): loading the controls of every backend (the built-in HIPAA pack or
//! rule directories), reading inputs, waivers and rule tests. No printing, no exit codes.

#[cfg(feature = "aws")]
pub mod aws;
pub mod backends;
pub mod cedar;
pub mod evidence;
pub mod plugins;
pub mod progress;
pub mod rule_tests;
pub mod run;
pub mod waivers;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use ward_import::ImportReport;
use ward_lang::{Pack, PackError, SourceFile};
use ward_model::{FieldNeeds, Inventory, RuleInfo};
use ward_report::InputProblem;
use ward_report::controls::{CitationCatalogue, RuleCitations};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_pack.rs"));
}

/// The prefix of the built-in pack's file names in diagnostics and `ward explain`.
pub const BUILTIN_PREFIX: &str = "<builtin>/policies/hipaa";

/// Loads the HIPAA pack built into the binary.
pub fn builtin_pack() -> Result<Pack, PackError> {
    load_builtin(|_| true)
}

/// Loads the rules of `ids` from the HIPAA pack built into the binary: the files that define
/// them and what those import, parsed and checked as the whole pack is (the whole pack is
/// held to the same by `ward test` and the test suite). An id the pack does not define is
/// left out: the pack has no such rule, as [`builtin_pack`] would say.
pub fn builtin_pack_of(ids: &BTreeSet<String>) -> Result<Pack, PackError> {
    let files: BTreeSet<&str> = embedded::EMBEDDED_RULE_FILES
        .iter()
        .filter(|(id, _)| ids.contains(*id))
        .map(|(_, file)| *file)
        .collect();
    load_builtin(|rel| files.contains(rel))
}

/// The built-in pack's files for which `wanted` (given the path relative to
/// `policies/hipaa`) holds, and the files they import.
fn load_builtin(wanted: impl Fn(&str) -> bool) -> Result<Pack, PackError> {
    let files: BTreeMap<PathBuf, &str> = embedded::EMBEDDED_PACK
        .iter()
        .map(|(rel, text)| (Path::new(BUILTIN_PREFIX).join(rel), *text))
        .collect();
    let wanted: BTreeSet<PathBuf> = embedded::EMBEDDED_PACK
        .iter()
        .filter(|(rel, _)| wanted(rel))
        .map(|(rel, _)| Path::new(BUILTIN_PREFIX).join(rel))
        .collect();
    // In the order of their paths, whichever files are loaded.
    let sources = files
        .iter()
        .filter(|(path, _)| wanted.contains(*path))
        .map(|(path, text)| SourceFile::new(path.clone(), path.display().to_string(), *text))
        .collect();
    let mut read = |path: &Path| -> Result<SourceFile, PackError> {
        let normal = normalize(path);
        match files.get(&normal) {
            Some(text) => Ok(SourceFile::new(
                normal.clone(),
                normal.display().to_string(),
                *text,
            )),
            None => Err(PackError::Io {
                path: normal,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not in the built-in pack",
                ),
            }),
        }
    };
    ward_lang::load_pack_sources(sources, &mut read)
}

/// The built-in pack's citation catalogue (`policies/hipaa/citations.yaml`).
pub const BUILTIN_CITATIONS: &str = include_str!("../../../policies/hipaa/citations.yaml");

/// The name of a pack's citation catalogue, at the root of a policies directory.
pub const CITATIONS_FILE: &str = "citations.yaml";

/// The citation catalogue for a run: `explicit` when given; else the `citations.yaml` at the
/// root of the first policies directory that has one; else the built-in HIPAA catalogue.
pub fn load_catalogue(
    policies: &[PathBuf],
    explicit: Option<&Path>,
) -> Result<CitationCatalogue, String> {
    let found = explicit.map(Path::to_path_buf).or_else(|| {
        policies
            .iter()
            .map(|d| d.join(CITATIONS_FILE))
            .find(|p| p.is_file())
    });
    match found {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            CitationCatalogue::from_yaml(&text, &path.display().to_string())
                .map_err(|e| e.to_string())
        }
        None => CitationCatalogue::from_yaml(
            BUILTIN_CITATIONS,
            &format!("{BUILTIN_PREFIX}/{CITATIONS_FILE}"),
        )
        .map_err(|e| e.to_string()),
    }
}

/// The per-citation report of a findings document, counting the rules the run ran (as
/// `ward controls --findings` and the evidence bundle do).
pub fn controls_report(
    catalogue: &CitationCatalogue,
    controls: &backends::ControlSet,
    doc: &ward_report::FindingsDocument,
) -> ward_report::controls::ControlsReport {
    let ran: std::collections::BTreeSet<&str> = doc
        .summary
        .by_rule
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    let mut rules = rule_citations(controls.rules());
    rules.retain(|r| ran.contains(r.rule.as_str()));
    ward_report::controls::ControlsReport::build(catalogue, &rules, doc)
}

/// Each rule with its title and citations.
pub fn rule_citations(rules: &[RuleInfo]) -> Vec<RuleCitations> {
    rules
        .iter()
        .map(|r| RuleCitations {
            rule: r.id.clone(),
            title: r.title.clone(),
            citations: r.citations.clone(),
        })
        .collect()
}

/// `rule cites X, which is not in the catalogue` for every such citation.
pub fn uncatalogued_citations(rules: &[RuleInfo], catalogue: &CitationCatalogue) -> Vec<String> {
    let mut out = Vec::new();
    for r in rules {
        for c in &r.citations {
            if catalogue.get(c).is_none() {
                out.push(format!(
                    "rule `{}` cites `{c}`, which is not in the citation catalogue `{}`",
                    r.id, catalogue.title
                ));
            }
        }
    }
    out
}

/// The rules as a Markdown table (`ward rules --format markdown`; the pack README embeds
/// it).
pub fn rules_markdown(rules: &[RuleInfo]) -> String {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from(
        "| rule id | title | severity | resource types | parameters | HIPAA citations |\n|---|---|---|---|---|---|\n",
    );
    let mut rules: Vec<_> = rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    for r in rules {
        let params = if r.params.is_empty() {
            "—".to_string()
        } else {
            r.params
                .iter()
                .map(|p| match &p.default {
                    Some(d) => format!("`{}: {} = {}`", p.name, p.ty, d),
                    None => format!("`{}: {}?`", p.name, p.ty),
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            r.id,
            cell(&r.title),
            r.severity.as_str(),
            r.resource_types
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join("<br>"),
            cell(&params),
            r.citations.join("<br>")
        ));
    }
    out
}

/// Whether the binary carries a built-in pack at all.
pub fn has_builtin_pack() -> bool {
    !embedded::EMBEDDED_PACK.is_empty()
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Loads a pack from directories, or the built-in one when none is given.
pub fn load_policies(dirs: &[PathBuf]) -> Result<Pack, PackError> {
    if dirs.is_empty() {
        builtin_pack()
    } else {
        ward_lang::load_pack(dirs)
    }
}

/// Imports every input into one inventory (adding the account-level pseudo resources).
pub fn import_inputs(paths: &[PathBuf]) -> (Inventory, ImportReport) {
    import_inputs_for(paths, FieldNeeds::everything())
}

/// Imports every input, keeping of each configuration only what `needs` names.
pub fn import_inputs_for(paths: &[PathBuf], needs: FieldNeeds) -> (Inventory, ImportReport) {
    import_inputs_counting(paths, needs, &ward_import::ImportProgress::new())
}

/// [`import_inputs_for`], counting files, bytes and items read into `progress`.
pub fn import_inputs_counting(
    paths: &[PathBuf],
    needs: FieldNeeds,
    progress: &ward_import::ImportProgress,
) -> (Inventory, ImportReport) {
    let mut inventory = Inventory::new();
    inventory.set_field_needs(needs);
    let report = ward_import::import_paths_with_progress(paths, &mut inventory, progress);
    inventory.synthesize_accounts();
    (inventory, report)
}

/// The import diagnostics worth reporting (warnings and errors) as document entries.
pub fn input_problems(report: &ImportReport) -> Vec<InputProblem> {
    report
        .diagnostics()
        .filter(|d| d.level != ward_import::Level::Info)
        .map(|d| InputProblem {
            severity: d.level.as_str().to_string(),
            file: d.file.clone(),
            item: d.index,
            resource_id: d.resource_id.clone(),
            message: d.message.clone(),
        })
        .collect()
}

/// Parses `RULE.KEY=VALUE` parameter overrides.
pub fn parse_param_overrides(
    items: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, serde_json::Value>>, String> {
    let mut out: BTreeMap<String, BTreeMap<String, serde_json::Value>> = BTreeMap::new();
    for item in items {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| format!("`{item}` is not RULE.KEY=VALUE"))?;
        let (rule, param) = key.rsplit_once('.').ok_or_else(|| {
            format!("`{key}` is not RULE.KEY (e.g. restricted-common-ports.blockedPorts)")
        })?;
        out.entry(rule.to_string()).or_default().insert(
            param.to_string(),
            serde_json::Value::String(value.to_string()),
        );
    }
    Ok(out)
}
