//! Loading a plugin: bytes, SHA-256, component, imports, interface version, compilation,
//! pre-instantiation and the plugin's declared controls.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use ward_model::ParamType;
use ward_model::{ResourceCatalog, Severity};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::call::{HostState, Runner, describe_failure};
use crate::{ControlInfo, INTERFACE_PACKAGE, INTERFACE_VERSION, Limits, ParamInfo, Plugin};
use crate::{bindings, interface_version};

/// Why a plugin could not be loaded (the run stops: a plugin that cannot be trusted to run
/// is not skipped silently).
#[derive(Debug, thiserror::Error)]
pub enum WasmError {
    #[error("cannot read plugin `{file}`: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin `{file}` has SHA-256 {actual}, but {expected} was pinned")]
    Sha256Mismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("plugin `{file}` is not a WebAssembly module or component")]
    NotWasm { file: String },
    #[error("plugin `{file}` is not valid WebAssembly: {message}")]
    Invalid { file: String, message: String },
    #[error(
        "plugin `{file}` is a core module Ward cannot turn into a `{INTERFACE_PACKAGE}` component: {message}"
    )]
    Componentize { file: String, message: String },
    #[error(
        "plugin `{file}` imports `{import}`, which Ward does not grant: a plugin may import nothing (no file system, network, clock or randomness)"
    )]
    ForbiddenImport { file: String, import: String },
    #[error(
        "plugin `{file}` is not a Ward plugin: it exports no `{INTERFACE_PACKAGE}/plugin` interface (it exports {exports})"
    )]
    NotAPlugin { file: String, exports: String },
    #[error(
        "plugin `{file}` implements `{INTERFACE_PACKAGE}@{found}`, which this Ward cannot run: it implements `{INTERFACE_PACKAGE}@{supported}` (same major version, minor version up to its own)"
    )]
    IncompatibleVersion {
        file: String,
        found: String,
        supported: String,
    },
    #[error("plugin `{file}`: {message}")]
    Info { file: String, message: String },
    #[error("control `{id}` is declared by two plugins: `{first}` and `{second}`")]
    DuplicateControl {
        id: String,
        first: String,
        second: String,
    },
    #[error("the plugin list `{file}` is invalid: {message}")]
    Manifest { file: String, message: String },
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
}

/// Compiles and loads plugins; one engine for a run, shared by every plugin.
pub struct PluginHost {
    engine: Engine,
    limits: Limits,
}

impl PluginHost {
    pub fn new(limits: Limits) -> Result<Self, WasmError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        // Fuel: a deterministic bound on the work of each call.
        config.consume_fuel(true);
        config.max_wasm_stack(limits.stack_bytes);
        // Same bytes on every run: NaNs have one bit pattern.
        config.cranelift_nan_canonicalization(true);
        let engine = Engine::new(&config).map_err(|e| WasmError::Engine(e.to_string()))?;
        Ok(PluginHost { engine, limits })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads a plugin file; `expected_sha256` (hex, optionally `sha256:`-prefixed) pins it.
    pub fn load_file(
        &self,
        path: &Path,
        expected_sha256: Option<&str>,
    ) -> Result<Plugin, WasmError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| WasmError::Io {
            file: file.clone(),
            source,
        })?;
        self.load_bytes(&file, &bytes, expected_sha256)
    }

    /// Loads a plugin from its bytes; `file` names it in messages and the findings.
    pub fn load_bytes(
        &self,
        file: &str,
        bytes: &[u8],
        expected_sha256: Option<&str>,
    ) -> Result<Plugin, WasmError> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        if let Some(expected) = expected_sha256 {
            let expected = expected.trim();
            let expected = expected.strip_prefix("sha256:").unwrap_or(expected);
            if !expected.eq_ignore_ascii_case(&sha256) {
                return Err(WasmError::Sha256Mismatch {
                    file: file.to_string(),
                    expected: expected.to_ascii_lowercase(),
                    actual: sha256,
                });
            }
        }
        let component_bytes = if wasmparser::Parser::is_core_wasm(bytes) {
            check_core_imports(file, bytes)?;
            wit_component::ComponentEncoder::default()
                .module(bytes)
                .and_then(|encoder| encoder.validate(true).encode())
                .map_err(|e| WasmError::Componentize {
                    file: file.to_string(),
                    message: format!("{e:#}"),
                })?
        } else if wasmparser::Parser::is_component(bytes) {
            bytes.to_vec()
        } else {
            return Err(WasmError::NotWasm {
                file: file.to_string(),
            });
        };
        let component =
            Component::new(&self.engine, &component_bytes).map_err(|e| WasmError::Invalid {
                file: file.to_string(),
                message: format!("{e:#}"),
            })?;
        let ty = component.component_type();
        if let Some((import, _)) = ty.imports(&self.engine).next() {
            return Err(WasmError::ForbiddenImport {
                file: file.to_string(),
                import: import.to_string(),
            });
        }
        let exports: Vec<String> = ty
            .exports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let interface_version = check_version(file, &exports)?;
        // Nothing is granted: the linker is empty.
        let linker: Linker<HostState> = Linker::new(&self.engine);
        let pre = linker
            .instantiate_pre(&component)
            .and_then(bindings::WardPluginPre::new)
            .map_err(|e| WasmError::Invalid {
                file: file.to_string(),
                message: format!("{e:#}"),
            })?;
        let runner = Runner::new(self.engine.clone(), pre, self.limits.clone());
        let info = runner.info().map_err(|failure| WasmError::Info {
            file: file.to_string(),
            message: format!(
                "asking it for its controls failed: {}",
                describe_failure(&failure, &self.limits)
            ),
        })?;
        let controls = check_info(file, &info)?;
        Ok(Plugin {
            file: file.to_string(),
            sha256,
            interface_version,
            name: info.name,
            version: info.version,
            controls,
            runner,
        })
    }
}

/// A core module may import nothing: the SDK's modules import nothing, and a module built
/// for WASI (or one that wants the host's clock) is refused with the import named.
fn check_core_imports(file: &str, bytes: &[u8]) -> Result<(), WasmError> {
    let invalid = |e: wasmparser::BinaryReaderError| WasmError::Invalid {
        file: file.to_string(),
        message: e.to_string(),
    };
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::ImportSection(reader) = payload.map_err(invalid)?
            && let Some(import) = reader.into_imports().next()
        {
            let import = import.map_err(invalid)?;
            return Err(WasmError::ForbiddenImport {
                file: file.to_string(),
                import: format!("{}::{}", import.module, import.name),
            });
        }
    }
    Ok(())
}

/// The version of the `ward:plugin/plugin` export, checked against the host's.
fn check_version(file: &str, exports: &[String]) -> Result<String, WasmError> {
    let prefix = format!("{INTERFACE_PACKAGE}/plugin");
    let Some(name) = exports.iter().find(|e| {
        e.as_str() == prefix
            || e.strip_prefix(&prefix)
                .is_some_and(|rest| rest.starts_with('@'))
    }) else {
        return Err(WasmError::NotAPlugin {
            file: file.to_string(),
            exports: if exports.is_empty() {
                "nothing".to_string()
            } else {
                exports
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        });
    };
    let found = name
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_prefix('@'))
        .unwrap_or("")
        .to_string();
    let incompatible = || WasmError::IncompatibleVersion {
        file: file.to_string(),
        found: if found.is_empty() {
            "(no version)".to_string()
        } else {
            found.clone()
        },
        supported: interface_version(),
    };
    let parts: Vec<u64> = found
        .split('.')
        .map(|p| p.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| incompatible())?;
    let (major, minor) = match parts.as_slice() {
        [major, minor, _patch] => (*major, *minor),
        _ => return Err(incompatible()),
    };
    let (host_major, host_minor, _) = INTERFACE_VERSION;
    if major != host_major || minor > host_minor {
        return Err(incompatible());
    }
    Ok(found)
}

type RawInfo = bindings::exports::ward::plugin::plugin::PluginInfo;
type RawSeverity = bindings::exports::ward::plugin::plugin::Severity;
type RawParamType = bindings::exports::ward::plugin::plugin::ParamType;

fn severity(s: RawSeverity) -> Severity {
    match s {
        RawSeverity::Info => Severity::Info,
        RawSeverity::Low => Severity::Low,
        RawSeverity::Medium => Severity::Medium,
        RawSeverity::High => Severity::High,
        RawSeverity::Critical => Severity::Critical,
    }
}

fn param_type(t: RawParamType) -> ParamType {
    match t {
        RawParamType::Number => ParamType::Number,
        RawParamType::Text => ParamType::String,
        RawParamType::Boolean => ParamType::Bool,
        RawParamType::NumberList => ParamType::List(Box::new(ParamType::Number)),
        RawParamType::TextList => ParamType::List(Box::new(ParamType::String)),
    }
}

/// A control id: lowercase letters, digits and `-`, starting with a letter, like a rule's.
fn valid_id(id: &str) -> bool {
    id.len() <= 128
        && id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Checks what the plugin declared; every problem is reported at once.
fn check_info(file: &str, info: &RawInfo) -> Result<Vec<ControlInfo>, WasmError> {
    let catalog = ResourceCatalog::builtin();
    let mut problems = Vec::new();
    let mut controls: Vec<ControlInfo> = Vec::new();
    if info.name.trim().is_empty() {
        problems.push("its name is empty".to_string());
    }
    if info.controls.is_empty() {
        problems.push("it declares no control".to_string());
    }
    for c in &info.controls {
        let id = &c.id;
        if !valid_id(id) {
            problems.push(format!(
                "control id `{id}` is not lowercase letters, digits and `-` starting with a letter"
            ));
        }
        if controls.iter().any(|seen| &seen.id == id) {
            problems.push(format!("control `{id}` is declared twice"));
        }
        if c.title.trim().is_empty() {
            problems.push(format!("control `{id}` has no title"));
        }
        if c.resource_types.is_empty() {
            problems.push(format!("control `{id}` evaluates no resource type"));
        }
        for t in &c.resource_types {
            if !catalog.is_known(t) {
                problems.push(format!(
                    "control `{id}` evaluates `{t}`, which is not a resource type Ward knows"
                ));
            }
        }
        let mut params = Vec::new();
        for p in &c.params {
            let ty = param_type(p.type_);
            match serde_json::from_str::<Value>(&p.default) {
                Ok(default) if ty.accepts(&default) => params.push(ParamInfo {
                    name: p.name.clone(),
                    ty,
                    default,
                    description: p.description.clone(),
                }),
                Ok(default) => problems.push(format!(
                    "control `{id}`: the default of parameter `{}` is `{default}`, not a {ty}",
                    p.name
                )),
                Err(e) => problems.push(format!(
                    "control `{id}`: the default of parameter `{}` is not JSON: {e}",
                    p.name
                )),
            }
        }
        controls.push(ControlInfo {
            id: id.clone(),
            title: c.title.clone(),
            severity: severity(c.severity),
            citations: c.citations.clone(),
            description: c.description.clone(),
            remediation: c.remediation.clone(),
            resource_types: c.resource_types.clone(),
            params,
        });
    }
    if problems.is_empty() {
        Ok(controls)
    } else {
        Err(WasmError::Info {
            file: file.to_string(),
            message: format!("its declaration is invalid: {}", problems.join("; ")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let ok = |v: &str| check_version("p.wasm", &[format!("ward:plugin/plugin@{v}")]);
        assert_eq!(ok("1.0.0").unwrap(), "1.0.0");
        assert_eq!(ok("1.0.3").unwrap(), "1.0.3");
        for bad in ["2.0.0", "1.1.0", "0.9.0", "1.0", "x"] {
            let e = ok(bad).unwrap_err().to_string();
            assert!(e.contains("cannot run"), "{e}");
        }
        let e = check_version("p.wasm", &["wasi:cli/run@0.2.0".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("exports no `ward:plugin/plugin`"), "{e}");
        assert!(e.contains("`wasi:cli/run@0.2.0`"), "{e}");
    }

    #[test]
    fn ids() {
        assert!(valid_id("lambda-env-secret-entropy"));
        assert!(!valid_id("Lambda"));
        assert!(!valid_id(""));
        assert!(!valid_id("a b"));
    }
}
