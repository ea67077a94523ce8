//! Ward's Cedar backend: controls written as Cedar policies.
//!
//! - [`schema`]: the Cedar schema generated from Ward's resource catalogue and IAM action
//!   catalogue (`ward cedar schema`);
//! - [`entities`]: inventory resources as Cedar entities;
//! - [`control`]: `.cedar` files as controls (annotations, scope), validated against the
//!   schema before anything runs; problems are [`ward_diagnostics::LangDiagnostic`]s with spans;
//! - [`eval`]: Cedar decisions as findings (`backend: "cedar"`);
//! - least privilege: the effective IAM grants on PHI-bearing resources (computed by
//!   [`ward_iam::access`]), judged by a Cedar policy set stating the intended access.
//!
//! This is the only crate that depends on `cedar-policy`. See `docs/cedar.md`.

pub mod control;
pub mod entities;
pub mod eval;
pub mod names;
pub mod reads;
pub mod schema;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use ward_backend::{Backend, EngineError, EvalOptions, Evaluation};
use ward_diagnostics::LangDiagnostic;
use ward_model::{FieldNeeds, Inventory, ParamInfo, RuleInfo, SourceLocation, TypesRead};

pub use control::{CedarControl, CedarSource, Mode};
pub use eval::CEDAR_BACKEND;
pub use schema::WardSchema;
pub use ward_iam::PhiConfig;

/// The parameters every Cedar control accepts: which tag marks a resource as PHI-bearing.
pub const PARAMS: [&str; 2] = ["phiTagKey", "phiTagValues"];

/// Why Cedar controls could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CedarLoadError {
    #[error("the Cedar schema could not be built: {0}")]
    Schema(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{} problem(s) in the Cedar controls", .0.len())]
    Invalid(Vec<LangDiagnostic>),
}

/// The Cedar controls of a run, as a [`Backend`].
pub struct CedarBackend {
    controls: Vec<CedarControl>,
    schema: &'static WardSchema,
}

/// Every `*.cedar` file below `dirs` (the one directory walk: sorted, an unreadable folder
/// is an error), read.
pub fn sources_in(dirs: &[PathBuf]) -> Result<Vec<CedarSource>, CedarLoadError> {
    let mut files = Vec::new();
    for d in dirs {
        let walk = ward_model::walk::walk_files(d, &|p| ward_model::walk::has_suffix(p, ".cedar"));
        if let Some(problem) = walk.problems.into_iter().next() {
            return Err(CedarLoadError::Io(
                problem.path.display().to_string(),
                problem.error,
            ));
        }
        files.extend(walk.files);
    }
    files
        .into_iter()
        .map(|p| {
            std::fs::read_to_string(&p)
                .map(|text| CedarSource {
                    name: p.display().to_string(),
                    text,
                })
                .map_err(|e| CedarLoadError::Io(p.display().to_string(), e))
        })
        .collect()
}

impl CedarBackend {
    /// Loads and validates the given sources; every problem is reported at once.
    pub fn from_sources(sources: &[CedarSource]) -> Result<CedarBackend, CedarLoadError> {
        CedarBackend::from_sources_with(sources, control::Validation::Full)
    }

    /// [`CedarBackend::from_sources`], validating the policies or not ([`control::Validation`]).
    pub fn from_sources_with(
        sources: &[CedarSource],
        validation: control::Validation,
    ) -> Result<CedarBackend, CedarLoadError> {
        let schema = WardSchema::builtin().map_err(CedarLoadError::Schema)?;
        let controls =
            control::load(sources, schema, validation).map_err(CedarLoadError::Invalid)?;
        Ok(CedarBackend { controls, schema })
    }

    /// Loads every `*.cedar` file below `dirs` (sorted by path).
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<CedarBackend, CedarLoadError> {
        CedarBackend::from_sources(&sources_in(dirs)?)
    }

    pub fn controls(&self) -> &[CedarControl] {
        &self.controls
    }

    pub fn control(&self, id: &str) -> Option<&CedarControl> {
        self.controls.iter().find(|c| c.id == id)
    }

    pub fn is_empty(&self) -> bool {
        self.controls.is_empty()
    }

    /// The PHI tag convention of each control, from the parameters; unknown parameters of
    /// Cedar controls are errors, parameters of other rules are ignored.
    pub fn phi_configs(
        &self,
        params: &BTreeMap<String, BTreeMap<String, Value>>,
    ) -> Result<BTreeMap<String, PhiConfig>, EngineError> {
        let mut out = BTreeMap::new();
        for c in &self.controls {
            let mut phi = PhiConfig {
                types: c.scope.types.clone(),
                ..PhiConfig::default()
            };
            if let Some((key, values)) = &c.scope.tag {
                phi.tag_key = key.clone();
                phi.tag_values = values.clone();
            }
            if let Some(p) = params.get(&c.id) {
                for (name, value) in p {
                    match name.as_str() {
                        "phiTagKey" => match value {
                            Value::String(s) if !s.trim().is_empty() => phi.tag_key = s.clone(),
                            _ => return Err(bad(&c.id, name, "expected a non-empty string")),
                        },
                        "phiTagValues" => {
                            phi.tag_values = match value {
                                Value::String(s) => {
                                    s.split(',').map(|v| v.trim().to_string()).collect()
                                }
                                Value::Array(items) => items
                                    .iter()
                                    .map(|i| i.as_str().map(str::to_string))
                                    .collect::<Option<Vec<_>>>()
                                    .ok_or_else(|| {
                                        bad(&c.id, name, "expected a list of strings")
                                    })?,
                                _ => return Err(bad(&c.id, name, "expected a list of strings")),
                            }
                        }
                        _ => {
                            return Err(EngineError::UnknownParam {
                                rule: c.id.clone(),
                                param: name.clone(),
                                known: PARAMS.iter().map(|s| s.to_string()).collect(),
                            });
                        }
                    }
                }
            }
            out.insert(c.id.clone(), phi);
        }
        Ok(out)
    }

    /// Evaluates the controls (those in `options.only` when given).
    pub fn run(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError> {
        let phi = self.phi_configs(&options.params)?;
        let selected: Vec<&CedarControl> = self
            .controls
            .iter()
            .filter(|c| options.only.as_ref().is_none_or(|o| o.contains(&c.id)))
            .collect();
        let mut evaluation = eval::evaluate_all(
            &selected,
            inventory,
            &|id| phi.get(id).cloned().unwrap_or_default(),
            self.schema,
            options.timings.as_deref(),
            options.progress.as_deref(),
        )?;
        if options.as_of.is_some() {
            evaluation.as_of = options.as_of.clone();
        }
        // Cedar decides every resource of the controls' types from one entity store; the
        // findings of resources outside `targets` are dropped here.
        if let Some(targets) = &options.targets {
            evaluation.findings.retain(|f| {
                targets.contains(&(f.resource.resource_type.clone(), f.resource.id.clone()))
            });
        }
        Ok(evaluation)
    }
}

/// The metadata of one control, as commands and reports read it.
pub fn rule_info(c: &CedarControl) -> RuleInfo {
    RuleInfo {
        id: c.id.clone(),
        backend: CEDAR_BACKEND.to_string(),
        title: c.title.clone(),
        severity: c.severity,
        citations: c.citations.to_vec(),
        frameworks: Vec::new(),
        resource_types: c.resource_types.clone(),
        params: vec![
            ParamInfo {
                name: "phiTagKey".into(),
                ty: "string".into(),
                default: Some(Value::String(
                    c.scope
                        .tag
                        .as_ref()
                        .map_or("phi", |(k, _)| k.as_str())
                        .into(),
                )),
            },
            ParamInfo {
                name: "phiTagValues".into(),
                ty: "list<string>".into(),
                default: Some(c.scope.tag.as_ref().map_or_else(
                    || serde_json::json!(["true", "yes"]),
                    |(_, v)| serde_json::json!(v),
                )),
            },
        ],
        description: c.description.clone(),
        rationale: c.rationale.clone(),
        remediation: c.remediation.clone(),
        reference: Some(match c.mode {
            Mode::Resource => "Ward control written in Cedar".to_string(),
            Mode::LeastPrivilege => {
                "Ward least-privilege control written in Cedar (docs/cedar.md)".to_string()
            }
        }),
        source: Some(SourceLocation {
            file: c.file.clone(),
            line: c.line,
        }),
    }
}

fn bad(rule: &str, param: &str, message: &str) -> EngineError {
    EngineError::BadParam {
        rule: rule.to_string(),
        param: param.to_string(),
        message: message.to_string(),
    }
}

impl Backend for CedarBackend {
    fn name(&self) -> &str {
        CEDAR_BACKEND
    }

    fn rules(&self) -> Vec<RuleInfo> {
        self.controls.iter().map(rule_info).collect()
    }

    fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError> {
        self.run(inventory, options)
    }

    /// From the compiled control ([`types_read`]): the types its entity store holds besides
    /// the resource evaluated (the parent types its policies name; for least privilege the
    /// IAM principals and groups, their managed policies and the PHI-bearing types). A
    /// control's own types count too when one of its policies names an entity of them (a
    /// literal whose attributes it may read), or when its policies cannot be walked.
    fn types_read(&self, rule: &str) -> Option<TypesRead> {
        let control = self.controls.iter().find(|c| c.id == rule)?;
        let mut types = types_read(std::iter::once(control));
        if control.mode == Mode::LeastPrivilege {
            types.insert("AWS::IAM::Policy".to_string());
        } else if let Some(named) = &control.named_types {
            for own in &control.resource_types {
                if !named.contains(&names::entity_type_of(own)) {
                    types.remove(own);
                }
            }
        }
        Some(TypesRead {
            types,
            any_type: false,
        })
    }

    /// The configuration keys the policies read ([`reads`]), and for least privilege those
    /// the IAM analysis reads ([`ward_iam::CONFIGURATION_KEYS`]); when a policy reads a whole
    /// configuration, the whole configuration of every type the controls read (the types
    /// their policies name, the parent types entities are placed in, and for least
    /// privilege the IAM principals, their managed policies and the PHI-bearing types).
    fn field_needs(&self) -> FieldNeeds {
        self.field_needs_of(None)
    }

    /// Only the selected controls' types: a run of one rule-language rule reads no IAM
    /// policy documents.
    fn field_needs_of(&self, only: Option<&std::collections::BTreeSet<String>>) -> FieldNeeds {
        let selected: Vec<&CedarControl> = self
            .controls
            .iter()
            .filter(|c| only.is_none_or(|o| o.contains(&c.id)))
            .collect();
        if selected.is_empty() {
            return FieldNeeds::names(Vec::new());
        }
        let mut reads = reads::AttributeReads::default();
        for c in &selected {
            reads.union(&c.reads);
        }
        let mut needs = FieldNeeds::names(reads.keys);
        if selected.iter().any(|c| c.mode == Mode::LeastPrivilege) {
            needs.union(&FieldNeeds::names(
                ward_iam::CONFIGURATION_KEYS.iter().map(|k| k.to_string()),
            ));
        }
        if reads.whole {
            let mut types = types_read(selected.iter().copied());
            if selected.iter().any(|c| c.mode == Mode::LeastPrivilege) {
                // Read by the IAM analysis straight from the inventory, never as entities.
                types.insert("AWS::IAM::Policy".to_string());
            }
            needs.union(&FieldNeeds::whole_types(types));
        }
        needs
    }
}

/// The PHI-bearing types a least-privilege control judges: those of its scope
/// (`@scopeTypes`), or all of them.
pub(crate) fn judged_types(scope: Option<&[String]>) -> impl Iterator<Item = String> + '_ {
    ward_iam::phi_services()
        .iter()
        .map(|(t, _)| *t)
        .filter(move |t| scope.is_none_or(|s| s.iter().any(|w| w == t)))
        .map(str::to_string)
}

/// The resource types a set of controls reads as Cedar entities: the types their policies
/// name, and for least privilege the IAM principals and groups and the PHI-bearing types it
/// judges (those of its `@scopeTypes`, or all of them).
/// The parent types entities are placed in (accounts, VPCs, subnets, security groups) only
/// when some policy names an entity of one: a policy can only test membership (`in`) in an
/// entity it names, so otherwise their entities change no decision, and at scale they are
/// a fifth of the entities.
pub(crate) fn types_read<'a>(
    controls: impl Iterator<Item = &'a CedarControl>,
) -> std::collections::BTreeSet<String> {
    let mut types = std::collections::BTreeSet::new();
    let mut least_privilege = false;
    // The PHI-bearing types least privilege judges: a control scoped to some
    // (`@scopeTypes`) asks Cedar about resources of those alone.
    let mut judged: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut names_parent = false;
    let parents: Vec<String> = schema::PARENT_TYPES
        .iter()
        .map(|t| names::entity_type_of(t))
        .collect();
    for c in controls {
        types.extend(c.resource_types.iter().cloned());
        if c.mode == Mode::LeastPrivilege {
            least_privilege = true;
            judged.extend(judged_types(c.scope.types.as_deref()));
        }
        names_parent |= c
            .named_types
            .as_ref()
            .is_none_or(|named| parents.iter().any(|p| named.contains(p)));
    }
    if names_parent {
        types.extend(schema::PARENT_TYPES.iter().map(|t| t.to_string()));
    }
    if least_privilege {
        types.extend(["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"].map(String::from));
        types.extend(judged);
    }
    types
}
