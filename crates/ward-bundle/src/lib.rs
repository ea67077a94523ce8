//! Ward's evidence bundle (`docs/evidence-bundle.md`): one zip an auditor can check offline.
//!
//! - [`Evidence`] and [`build`]: the members of a run's bundle (findings, per-citation report,
//!   rule sources, input digests, the normalized inventory, waivers, parameters) and the
//!   deterministic zip around them: members sorted by path, fixed timestamps, fixed
//!   compression, so the same inputs and `--as-of` give the same bytes.
//! - [`Manifest`]: `manifest.json`, the SHA-256 and size of every other member, Ward's version,
//!   the run's time, what was redacted or left out, and the signer's public key.
//!   `manifest.sig` is an Ed25519 signature over the exact bytes of `manifest.json`.
//! - [`verify`]: reads a bundle and names every member added, removed or changed, and checks
//!   the signature, against a trusted public key when one is given.
//! - [`keys`]: key pairs as PKCS#8 / SPKI PEM files (what `openssl` reads).

pub mod keys;
mod manifest;
mod verify;
mod write;

pub use manifest::{BUNDLE_FORMAT_VERSION, LeftOut, Manifest, ManifestMember, Redacted, Signer};
pub use verify::{MemberProblem, SignatureCheck, Verification, verify};
pub use write::{
    Evidence, InputFile, Parameters, RuleSource, build, rule_sources_relative, sha256_hex,
};

/// The member every other member is listed in.
pub const MANIFEST: &str = "manifest.json";
/// The Ed25519 signature over the bytes of [`MANIFEST`] (64 raw bytes).
pub const SIGNATURE: &str = "manifest.sig";

/// What stopped a bundle from being written or read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not a readable zip file: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the zip: {0}")]
    Write(std::io::Error),
    #[error("member `{0}` is given twice")]
    DuplicateMember(String),
    #[error("`{0}` is not a valid member path (relative, `/`-separated, no `..`)")]
    BadMemberPath(String),
    #[error("member `{path}` is larger than {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error("cannot serialize `{path}`: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

#[cfg(test)]
mod tests;
