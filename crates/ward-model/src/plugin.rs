//! The WASM plugins a run loaded, as the findings document records them
//! (`docs/plugins.md`, `docs/findings-format.md`).

use serde::{Deserialize, Serialize};

/// One plugin file: what it is, its SHA-256 and the rules (controls) it declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PluginRecord {
    /// The file as given (`--plugin`, or its path from the pack's `plugins.yaml`).
    pub file: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// The plugin interface version it implements, e.g. `1.0.0` (`ward:plugin@1.0.0`).
    pub interface_version: String,
    /// The plugin's own name and version, as it declared them.
    pub name: String,
    pub version: String,
    /// The ids of the rules it declared; their findings have `backend` `wasm`.
    pub rules: Vec<String>,
}
