//! Ward's WASM plugin host: controls written in any language that compiles to a WebAssembly
//! component implementing `ward:plugin@1.0.0` (`plugins/wit/ward-plugin.wit`,
//! `docs/plugins.md`), run by wasmtime in a sandbox.
//!
//! - [`PluginHost`] loads a plugin: it reads the file and its SHA-256, turns a core module
//!   carrying wit-bindgen's component type into a component, refuses any import (a plugin
//!   gets no file system, network, clock or randomness) and any interface version it does
//!   not implement, compiles it once and pre-instantiates it, then asks it for its controls.
//! - [`WasmBackend`] evaluates the controls of its plugins over an inventory: one call per
//!   (control, resource), each in a fresh instance of the pre-compiled component with its
//!   own fuel and memory limits ([`Limits`]). A trap, a limit reached or malformed output is
//!   an `ERROR` finding for that control and resource; every other call still runs.
//!
//! This is the only crate that depends on wasmtime.

mod call;
mod load;
pub mod pack;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::Value;
use ward_backend::{Backend, EngineError, EvalOptions, Evaluation, sort_findings};
use ward_model::ParamType;
use ward_model::{Inventory, PluginRecord, Resource, RuleInfo, Severity};

pub use load::{PluginHost, WasmError};
pub use pack::{PACK_MANIFEST, PluginSpec, pack_plugins};

/// The name put in `Finding::backend` for plugin findings.
pub const BACKEND: &str = "wasm";

/// The WIT package plugins implement.
pub const INTERFACE_PACKAGE: &str = "ward:plugin";

/// The interface version this host implements (major, minor, patch).
pub const INTERFACE_VERSION: (u64, u64, u64) = (1, 0, 0);

/// The interface version as text, `1.0.0`.
pub fn interface_version() -> String {
    let (major, minor, patch) = INTERFACE_VERSION;
    format!("{major}.{minor}.{patch}")
}

/// What one plugin call may use, and what its output may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory of one instance, in bytes (default 64 MiB).
    pub memory_bytes: usize,
    /// Fuel of one call (about one unit per WebAssembly instruction; default 500 million).
    pub fuel: u64,
    /// The WebAssembly call stack, in bytes (default 512 KiB).
    pub stack_bytes: usize,
    /// A finding's message, in bytes (default 4 KiB).
    pub max_message_bytes: usize,
    /// Evidence items of one finding (default 64).
    pub max_evidence: usize,
    /// One evidence path or value (JSON text), in bytes (default 16 KiB).
    pub max_evidence_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            fuel: 500_000_000,
            stack_bytes: 512 << 10,
            max_message_bytes: 4 << 10,
            max_evidence: 64,
            max_evidence_bytes: 16 << 10,
        }
    }
}

/// A parameter a plugin control declares.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    pub name: String,
    pub ty: ParamType,
    pub default: Value,
    pub description: String,
}

/// One control of a plugin, as it declared it.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub citations: Vec<String>,
    pub description: String,
    pub remediation: String,
    pub resource_types: Vec<String>,
    pub params: Vec<ParamInfo>,
}

/// A loaded plugin: compiled and pre-instantiated once, instantiated afresh for each call.
pub struct Plugin {
    /// The file as given (for messages and the findings document).
    file: String,
    /// SHA-256 of the file's bytes, hex.
    sha256: String,
    /// The interface version the plugin implements, e.g. `1.0.0`.
    interface_version: String,
    name: String,
    version: String,
    controls: Vec<ControlInfo>,
    runner: call::Runner,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("file", &self.file)
            .field("sha256", &self.sha256)
            .field("interface_version", &self.interface_version)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("controls", &self.controls)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn interface_version(&self) -> &str {
        &self.interface_version
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn controls(&self) -> &[ControlInfo] {
        &self.controls
    }

    pub fn control(&self, id: &str) -> Option<&ControlInfo> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// What the findings document records about the plugin.
    pub fn record(&self) -> PluginRecord {
        PluginRecord {
            file: self.file.clone(),
            sha256: self.sha256.clone(),
            interface_version: self.interface_version.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            rules: self.controls.iter().map(|c| c.id.clone()).collect(),
        }
    }

    /// Evaluates one control for one resource in a fresh instance: always a finding.
    pub fn evaluate_one(
        &self,
        control: &ControlInfo,
        resource: &Resource,
        params: &[(String, Value)],
        as_of: Option<&str>,
    ) -> ward_model::Finding {
        self.runner.evaluate(self, control, resource, params, as_of)
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The plugins of a run as one [`Backend`].
#[derive(Debug, Default)]
pub struct WasmBackend {
    plugins: Vec<Plugin>,
}

impl WasmBackend {
    /// The plugins' control ids must be unique among them.
    pub fn new(plugins: Vec<Plugin>) -> Result<Self, WasmError> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for p in &plugins {
            for c in &p.controls {
                if let Some(first) = seen.insert(&c.id, &p.file) {
                    return Err(WasmError::DuplicateControl {
                        id: c.id.clone(),
                        first: first.to_string(),
                        second: p.file.clone(),
                    });
                }
            }
        }
        Ok(WasmBackend { plugins })
    }

    pub fn plugins(&self) -> &[Plugin] {
        &self.plugins
    }

    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// Every control with its plugin.
    pub fn controls(&self) -> impl Iterator<Item = (&Plugin, &ControlInfo)> {
        self.plugins
            .iter()
            .flat_map(|p| p.controls.iter().map(move |c| (p, c)))
    }

    /// The plugin and declaration of a control.
    pub fn control(&self, id: &str) -> Option<(&Plugin, &ControlInfo)> {
        self.controls().find(|(_, c)| c.id == id)
    }

    /// Each control's parameter values: the defaults, then the overrides given for it
    /// (converted to the declared type); overrides of other backends' rules are ignored.
    fn resolve_params(
        &self,
        overrides: &BTreeMap<String, BTreeMap<String, Value>>,
    ) -> Result<BTreeMap<String, Vec<(String, Value)>>, EngineError> {
        let mut out = BTreeMap::new();
        for (_, control) in self.controls() {
            let given = overrides.get(&control.id);
            if let Some(given) = given {
                for name in given.keys() {
                    if !control.params.iter().any(|p| &p.name == name) {
                        return Err(EngineError::UnknownParam {
                            rule: control.id.clone(),
                            param: name.clone(),
                            known: control.params.iter().map(|p| p.name.clone()).collect(),
                        });
                    }
                }
            }
            let values = control
                .params
                .iter()
                .map(|p| match given.and_then(|g| g.get(&p.name)) {
                    Some(v) => {
                        p.ty.convert(v)
                            .map(|v| (p.name.clone(), v))
                            .map_err(|message| EngineError::BadParam {
                                rule: control.id.clone(),
                                param: p.name.clone(),
                                message,
                            })
                    }
                    None => Ok((p.name.clone(), p.default.clone())),
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.insert(control.id.clone(), values);
        }
        Ok(out)
    }
}

impl Backend for WasmBackend {
    fn name(&self) -> &str {
        BACKEND
    }

    /// A plugin receives whole resources of the types its controls declare; nothing of
    /// the other types.
    fn field_needs(&self) -> ward_model::FieldNeeds {
        ward_model::FieldNeeds::whole_types(
            self.controls()
                .flat_map(|(_, c)| c.resource_types.iter().cloned())
                .collect::<Vec<_>>(),
        )
    }

    fn rules(&self) -> Vec<RuleInfo> {
        self.controls()
            .map(|(plugin, c)| {
                let mut info = RuleInfo::new(&c.id, BACKEND, &c.title, c.severity);
                info.citations = c.citations.clone();
                info.resource_types = c.resource_types.clone();
                info.params = c
                    .params
                    .iter()
                    .map(|p| ward_model::ParamInfo {
                        name: p.name.clone(),
                        ty: p.ty.to_string(),
                        default: Some(p.default.clone()),
                    })
                    .collect();
                info.description = non_empty(&c.description);
                info.remediation = non_empty(&c.remediation);
                info.reference = Some(format!(
                    "WASM plugin `{}` {} ({}, SHA-256 {}, interface {INTERFACE_PACKAGE}@{})",
                    plugin.name,
                    plugin.version,
                    plugin.file,
                    plugin.sha256,
                    plugin.interface_version
                ));
                info
            })
            .collect()
    }

    fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError> {
        let params = self.resolve_params(&options.params)?;
        let as_of = options
            .as_of
            .clone()
            .or_else(|| inventory.latest_capture_time().map(str::to_string));
        if let Some(t) = &as_of {
            ward_backend::parse_time(t).ok_or_else(|| EngineError::BadTime(t.clone()))?;
        }
        let mut work: Vec<(&Plugin, &ControlInfo, &Resource)> = Vec::new();
        let mut without = Vec::new();
        for (plugin, control) in self.controls() {
            if options
                .only
                .as_ref()
                .is_some_and(|only| !only.contains(&control.id))
            {
                continue;
            }
            let before = work.len();
            let types: BTreeSet<&str> = control.resource_types.iter().map(String::as_str).collect();
            for t in types {
                work.extend(
                    inventory
                        .of_type(t)
                        .filter(|r| options.targets(r))
                        .map(|r| (plugin, control, r)),
                );
            }
            if work.len() == before {
                without.push(control.id.clone());
            }
        }
        let no_params = Vec::new();
        // A backend with nothing to do does not show itself.
        let progress = options.progress.as_deref().filter(|_| !work.is_empty());
        if let Some(progress) = progress {
            progress.begin(BACKEND, work.len() as u64);
        }
        let mut findings: Vec<ward_model::Finding> = work
            .par_iter()
            .map(|(plugin, control, resource)| {
                let values = params.get(&control.id).unwrap_or(&no_params);
                let finding = plugin.evaluate_one(control, resource, values, as_of.as_deref());
                if let Some(progress) = progress {
                    progress.advance();
                }
                finding
            })
            .collect();
        sort_findings(&mut findings);
        without.sort();
        Ok(Evaluation {
            findings,
            rules_without_resources: without,
            as_of,
        })
    }
}

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit",
        world: "ward-plugin",
    });
}
