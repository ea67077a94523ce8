//! WASM plugins of a run (`docs/plugins.md`): those the rule directories' `plugins.yaml`
//! list (pinned by SHA-256 when they say so), then those given with `--plugin`. A `ward`
//! built without the `wasm` feature refuses a run that names any, saying how to get them.

use crate::backends::{LoadError, LoadOptions};
#[cfg(feature = "wasm")]
use ward_wasm::{PluginHost, PluginSpec, WasmBackend, pack_plugins};

/// A rule directory's list of plugins (`ward_wasm::PACK_MANIFEST`).
pub const PACK_MANIFEST: &str = "plugins.yaml";

/// The sandbox limits of each plugin call that the command line sets; the others are the
/// plugin host's defaults (docs/plugins.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PluginLimits {
    /// Fuel of one call (`--plugin-fuel`).
    pub fuel: Option<u64>,
    /// Linear memory of one instance, in bytes (`--plugin-memory`).
    pub memory_bytes: Option<usize>,
}

/// Without the `wasm` feature: no plugin can run, so a run that names one is an error.
#[cfg(not(feature = "wasm"))]
pub fn load_plugins(options: &LoadOptions) -> Result<Option<std::convert::Infallible>, LoadError> {
    let named: Vec<String> = options
        .policies
        .iter()
        .map(|dir| dir.join(PACK_MANIFEST))
        .filter(|m| m.is_file())
        .chain(options.plugins.iter().cloned())
        .map(|p| format!("`{}`", p.display()))
        .collect();
    if named.is_empty() {
        return Ok(None);
    }
    Err(LoadError::Other(format!(
        "this run has WASM plugins ({}), and this `ward` was built without plugin support: build it with the `wasm` feature (`cargo run -p ward-cli --features wasm -- ...`, or `--features full`)",
        named.join(", ")
    )))
}

/// The plugins as one backend; `None` when there are none.
#[cfg(feature = "wasm")]
pub fn load_plugins(options: &LoadOptions) -> Result<Option<WasmBackend>, LoadError> {
    let fail = |e: ward_wasm::WasmError| LoadError::Other(e.to_string());
    let mut specs: Vec<PluginSpec> = Vec::new();
    for dir in &options.policies {
        specs.extend(pack_plugins(dir).map_err(fail)?);
    }
    specs.extend(options.plugins.iter().map(|path| PluginSpec {
        path: path.clone(),
        sha256: None,
    }));
    if specs.is_empty() {
        return Ok(None);
    }
    let defaults = ward_wasm::Limits::default();
    let limits = ward_wasm::Limits {
        fuel: options.plugin_limits.fuel.unwrap_or(defaults.fuel),
        memory_bytes: options
            .plugin_limits
            .memory_bytes
            .unwrap_or(defaults.memory_bytes),
        ..defaults
    };
    let host = PluginHost::new(limits).map_err(fail)?;
    let plugins = specs
        .iter()
        .map(|s| host.load_file(&s.path, s.sha256.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    WasmBackend::new(plugins).map(Some).map_err(fail)
}
