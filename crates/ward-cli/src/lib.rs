//! The pieces of the `ward` command that tests call directly: loading packs (built-in or
//! from directories), reading inputs, and running rule tests.

pub mod rule_tests;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use ward_import::ImportReport;
use ward_lang::{Pack, PackError, SourceFile};
use ward_model::Inventory;
use ward_report::InputProblem;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_pack.rs"));
}

/// The prefix of the built-in pack's file names in diagnostics and `ward explain`.
pub const BUILTIN_PREFIX: &str = "<builtin>/policies/hipaa";

/// Loads the HIPAA pack built into the binary.
pub fn builtin_pack() -> Result<Pack, PackError> {
    let files: BTreeMap<PathBuf, &str> = embedded::EMBEDDED_PACK
        .iter()
        .map(|(rel, text)| (Path::new(BUILTIN_PREFIX).join(rel), *text))
        .collect();
    let sources = files
        .iter()
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
    let mut inventory = Inventory::new();
    let report = ward_import::import_paths(paths, &mut inventory);
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
