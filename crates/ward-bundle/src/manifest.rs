//! `manifest.json`: what the bundle holds, digest by digest (format version
//! [`BUNDLE_FORMAT_VERSION`], `docs/evidence-bundle.md`).

use serde::{Deserialize, Serialize};

/// Version of the bundle layout and of `manifest.json`. Fields are only ever added within a
/// version; a removal or change of meaning bumps it.
pub const BUNDLE_FORMAT_VERSION: &str = "1";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub bundle_format_version: String,
    pub ward_version: String,
    /// The run's evaluation time (the findings' `as_of`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Every member but `manifest.json` and `manifest.sig`, sorted by path.
    pub members: Vec<ManifestMember>,
    /// Secrets removed from the inventory before evaluation (listed in `findings.json`).
    pub redacted: Redacted,
    /// What the bundle deliberately does not hold, and why.
    pub left_out: Vec<LeftOut>,
    /// The key that signed `manifest.json` (absent when the bundle is not signed). Recorded so
    /// a signature can be checked at all; it proves who signed only when it matches a key the
    /// auditor already trusts (`ward verify --public-key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
}

/// One member: its path in the zip, size in bytes and SHA-256 (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestMember {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What was redacted from the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redacted {
    /// How many secret values were removed from configuration items at import.
    pub secrets: usize,
    /// Where each is listed (resource, path, kind; never the value).
    pub listed_in: String,
    pub note: String,
}

/// Something the bundle leaves out on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub what: String,
    pub reason: String,
}

/// The signing key's public half.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, standard base64.
    pub public_key: String,
    /// `SHA256:` and the lowercase hex SHA-256 of the 32 raw public-key bytes.
    pub fingerprint: String,
}

impl Manifest {
    /// The exact bytes written to `manifest.json` (and signed): pretty JSON, LF, final newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    pub fn member(&self, path: &str) -> Option<&ManifestMember> {
        self.members.iter().find(|m| m.path == path)
    }
}
