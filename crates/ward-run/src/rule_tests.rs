//! `ward test`: the test cases beside each rule file (`NAME.ward` → `NAME.tests.yaml`).
//! The format is documented in `grammar/README.md` ("Tests").

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use ward_engine::EvalOptions;
use ward_model::{Inventory, Source, Status};

use crate::backends::{ControlSet, LoadError, LoadOptions};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    cases: Vec<TestCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    name: String,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    as_of: Option<String>,
    resources: Vec<Value>,
    expect: BTreeMap<String, String>,
    #[serde(default)]
    message: Option<String>,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub failures: Vec<String>,
}

/// The outcome of a whole run.
#[derive(Debug, Default)]
pub struct TestRun {
    pub cases: Vec<CaseResult>,
    /// Problems that stop a file or the pack from being tested at all.
    pub errors: Vec<String>,
}

impl TestRun {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.failures.is_empty()).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed() + self.errors.len()
    }

    pub fn ok(&self) -> bool {
        self.failed() == 0
    }

    /// The report a person reads; its last line is `N passed, M failed`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in &self.errors {
            let _ = writeln!(out, "error: {e}");
        }
        for c in &self.cases {
            if c.failures.is_empty() {
                let _ = writeln!(out, "ok      {} :: {}", c.file, c.name);
            } else {
                let _ = writeln!(out, "FAILED  {} :: {}", c.file, c.name);
                for f in &c.failures {
                    let _ = writeln!(out, "        {f}");
                }
            }
        }
        let _ = writeln!(out, "\n{} passed, {} failed", self.passed(), self.failed());
        out
    }
}

/// Runs every `*.tests.yaml` below `dirs` against the controls (every backend's) loaded
/// from the same `dirs`. Controls that do not load are reported with their diagnostics
/// (rendered by the caller).
pub fn run(dirs: &[PathBuf]) -> Result<TestRun, LoadError> {
    let controls = ControlSet::load(&LoadOptions {
        policies: dirs.to_vec(),
        ..LoadOptions::default()
    })?;
    let mut files = Vec::new();
    let mut run = TestRun::default();
    for d in dirs {
        let walk =
            ward_model::walk::walk_files(d, &|p| ward_model::walk::has_suffix(p, ".tests.yaml"));
        run.errors
            .extend(walk.problems.iter().map(ToString::to_string));
        files.extend(walk.files);
    }
    // Every citation must be in the pack's catalogue (or the built-in HIPAA one).
    match crate::load_catalogue(dirs, None) {
        Ok(catalogue) => run
            .errors
            .extend(crate::uncatalogued_citations(controls.rules(), &catalogue)),
        Err(e) => run.errors.push(e),
    }
    for file in files {
        run_file(&controls, &file, &mut run);
    }
    Ok(run)
}

/// The rules defined in a file `STEM.*` (`STEM.ward`, `STEM.cedar`...) of `dir`, whichever
/// backend holds them.
fn rules_of_file(controls: &ControlSet, dir: &Path, stem: &str) -> Vec<String> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let wanted_dir = canonical(dir);
    controls
        .rules()
        .iter()
        .filter(|r| {
            r.source.as_ref().is_some_and(|at| {
                let path = Path::new(&at.file);
                path.file_stem().and_then(|s| s.to_str()) == Some(stem)
                    && path.parent().map(canonical) == Some(wanted_dir.clone())
            })
        })
        .map(|r| r.id.clone())
        .collect()
}

fn run_file(controls: &ControlSet, path: &Path, run: &mut TestRun) {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            run.errors.push(format!("{name}: {e}"));
            return;
        }
    };
    let file: TestFile = match serde_yaml_ng::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            run.errors.push(format!("{name}{at}: {e}"));
            return;
        }
    };
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tests.yaml"))
        .unwrap_or("");
    let dir = path.parent().unwrap_or(Path::new("."));
    let rule_file = dir.join(format!("{stem}.*"));
    let own_rules = rules_of_file(controls, dir, stem);
    for (i, case) in file.cases.into_iter().enumerate() {
        let mut failures = Vec::new();
        let rule = match (&case.rule, own_rules.as_slice()) {
            (Some(r), _) => r.clone(),
            (None, [only]) => only.clone(),
            (None, []) => {
                failures.push(format!(
                    "no rule found in `{}`; name one with `rule:`",
                    rule_file.display()
                ));
                String::new()
            }
            (None, _) => {
                failures.push(format!(
                    "`{}` holds several rules; name one with `rule:`",
                    rule_file.display()
                ));
                String::new()
            }
        };
        if !rule.is_empty() && controls.rule(&rule).is_none() {
            failures.push(format!("unknown rule `{rule}`"));
        }
        if failures.is_empty() {
            check_case(controls, &rule, &case, i, &name, &mut failures);
        }
        run.cases.push(CaseResult {
            file: name.clone(),
            name: case.name,
            failures,
        });
    }
}

fn check_case(
    controls: &ControlSet,
    rule: &str,
    case: &TestCase,
    index: usize,
    file: &str,
    failures: &mut Vec<String>,
) {
    let mut inventory = Inventory::new();
    for (ri, item) in case.resources.iter().enumerate() {
        let mut item = item.clone();
        if let Some(obj) = item.as_object_mut() {
            if !obj.contains_key("accountId") && !obj.contains_key("awsAccountId") {
                obj.insert("accountId".into(), Value::String("123456789012".into()));
            }
            if !obj.contains_key("awsRegion") {
                obj.insert("awsRegion".into(), Value::String("us-east-1".into()));
            }
            if !obj.contains_key("configurationItemCaptureTime") {
                obj.insert(
                    "configurationItemCaptureTime".into(),
                    Value::String("2026-01-01T00:00:00Z".into()),
                );
            }
        }
        let source = Source {
            format: "ward-test".into(),
            file: Some(format!("{file} case {index}")),
            index: Some(ri),
        };
        match ward_import::resource_from_item(item, source) {
            Ok(r) => {
                inventory.insert(r);
            }
            Err(d) => failures.push(format!("resource {ri}: {d}")),
        }
    }
    inventory.synthesize_accounts();
    let mut options = EvalOptions {
        as_of: case.as_of.clone(),
        only: Some(BTreeSet::from([rule.to_string()])),
        ..EvalOptions::default()
    };
    if !case.params.is_empty() {
        options.params.insert(rule.to_string(), case.params.clone());
    }
    let evaluation = match controls.evaluate(&inventory, &options) {
        Ok(e) => e,
        Err(e) => {
            failures.push(e.to_string());
            return;
        }
    };
    for (key, expected) in &case.expect {
        let Some(expected_status) = parse_status(expected) else {
            failures.push(format!(
                "`{expected}` is not a status (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, ERROR)"
            ));
            continue;
        };
        // Every finding the key names: a resource id can recur (the same id in two
        // accounts or Regions, or of two types), and the expectation holds for each.
        let found: Vec<_> = evaluation
            .findings
            .iter()
            .filter(|f| {
                f.resource.id == *key
                    || format!("{}/{}", f.resource.resource_type, f.resource.id) == *key
            })
            .collect();
        if found.is_empty() {
            failures.push(format!(
                "{key}: expected {expected_status}, but the rule produced no finding for it"
            ));
        }
        let several = found.len() > 1;
        for f in found {
            if f.status != expected_status {
                let place = if several && let Some(account) = &f.resource.account {
                    format!(" (account {account})")
                } else {
                    String::new()
                };
                failures.push(format!(
                    "{key}{place}: expected {expected_status}, got {} — {}",
                    f.status, f.message
                ));
            }
        }
    }
    if let Some(want) = &case.message
        && !evaluation
            .findings
            .iter()
            .any(|f| f.message.contains(want.as_str()))
    {
        let got: Vec<&str> = evaluation
            .findings
            .iter()
            .map(|f| f.message.as_str())
            .collect();
        failures.push(format!("no message contains `{want}`; messages: {got:?}"));
    }
}

fn parse_status(text: &str) -> Option<Status> {
    serde_json::from_value(Value::String(text.to_string())).ok()
}
