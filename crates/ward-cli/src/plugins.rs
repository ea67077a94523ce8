//! WASM plugins of a run (`docs/plugins.md`): those the rule directories' `plugins.yaml`
//! list (pinned by SHA-256 when they say so), then those given with `--plugin`.

use crate::backends::{LoadError, LoadOptions};
use ward_wasm::{PluginHost, PluginSpec, WasmBackend, pack_plugins};

/// The plugins as one backend; `None` when there are none.
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
    let host = PluginHost::new(options.plugin_limits.clone()).map_err(fail)?;
    let plugins = specs
        .iter()
        .map(|s| host.load_file(&s.path, s.sha256.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    WasmBackend::new(plugins).map(Some).map_err(fail)
}
