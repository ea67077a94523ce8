//! Plugins listed in a pack: `plugins.yaml` in a policy directory names `.wasm` files
//! relative to it, each optionally pinned by its SHA-256.
//!
//! ```yaml
//! plugins:
//!   - file: plugins/lambda-env-entropy.wasm
//!     sha256: 3f2a...   # optional; `sha256:3f2a...` also accepted
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::WasmError;

/// The file name of a pack's plugin list.
pub const PACK_MANIFEST: &str = "plugins.yaml";

/// A plugin to load: its path, and the SHA-256 it must have when pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSpec {
    pub path: PathBuf,
    pub sha256: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    plugins: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    file: String,
    #[serde(default)]
    sha256: Option<String>,
}

/// The plugins `dir/plugins.yaml` lists (none when there is no such file).
pub fn pack_plugins(dir: &Path) -> Result<Vec<PluginSpec>, WasmError> {
    let manifest = dir.join(PACK_MANIFEST);
    if !dir.is_dir() || !manifest.is_file() {
        return Ok(Vec::new());
    }
    let name = manifest.display().to_string();
    let text = std::fs::read_to_string(&manifest).map_err(|source| WasmError::Io {
        file: name.clone(),
        source,
    })?;
    let parsed: Manifest = serde_yaml_ng::from_str(&text).map_err(|e| WasmError::Manifest {
        file: name.clone(),
        message: e.to_string(),
    })?;
    let mut specs = Vec::new();
    for (i, entry) in parsed.plugins.into_iter().enumerate() {
        let relative = Path::new(&entry.file);
        if entry.file.trim().is_empty() || relative.is_absolute() {
            return Err(WasmError::Manifest {
                file: name.clone(),
                message: format!(
                    "plugins[{i}].file must be a path relative to the pack, found `{}`",
                    entry.file
                ),
            });
        }
        if let Some(sha) = &entry.sha256 {
            let hex = sha.trim().strip_prefix("sha256:").unwrap_or(sha.trim());
            if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(WasmError::Manifest {
                    file: name.clone(),
                    message: format!(
                        "plugins[{i}].sha256 must be 64 hexadecimal digits, found `{sha}`"
                    ),
                });
            }
        }
        specs.push(PluginSpec {
            path: dir.join(relative),
            sha256: entry.sha256,
        });
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> Dir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PACK_MANIFEST), text).unwrap();
        Dir(dir.path().to_path_buf(), dir)
    }

    struct Dir(std::path::PathBuf, #[allow(dead_code)] tempfile::TempDir);

    #[test]
    fn lists_plugins_relative_to_the_pack() {
        let sha = "a".repeat(64);
        let dir = write(&format!(
            "plugins:\n  - file: p/one.wasm\n  - file: two.wasm\n    sha256: sha256:{sha}\n"
        ));
        let specs = pack_plugins(&dir.0).unwrap();
        assert_eq!(
            specs,
            vec![
                PluginSpec {
                    path: dir.0.join("p/one.wasm"),
                    sha256: None
                },
                PluginSpec {
                    path: dir.0.join("two.wasm"),
                    sha256: Some(format!("sha256:{sha}"))
                },
            ]
        );
    }

    #[test]
    fn no_manifest_no_plugins() {
        assert_eq!(pack_plugins(Path::new("/no/such/dir")).unwrap(), vec![]);
    }

    #[test]
    fn bad_manifests_are_named() {
        for (text, expected) in [
            (
                "plugins:\n  - file: /abs.wasm\n",
                "must be a path relative to the pack",
            ),
            (
                "plugins:\n  - file: a.wasm\n    sha256: nope\n",
                "must be 64 hexadecimal digits",
            ),
            ("plugins:\n  - path: a.wasm\n", "unknown field `path`"),
            ("plugins: 3\n", "invalid type"),
        ] {
            let dir = write(text);
            let e = pack_plugins(&dir.0).unwrap_err().to_string();
            assert!(e.contains("plugins.yaml"), "{e}");
            assert!(e.contains(expected), "{text}: {e}");
        }
    }
}
