//! Ed25519 key files: the private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the
//! public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the standard formats `openssl`
//! reads and writes (`openssl genpkey -algorithm ed25519` makes a usable private key).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
pub use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::Path;

use crate::Signer;

/// A key that could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no random bytes from the operating system: {0}")]
    Random(String),
    #[error(
        "`{0}` is not an Ed25519 private key (expected PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`)"
    )]
    NotPrivateKey(String),
    #[error("`{0}` is not an Ed25519 public key (expected SPKI PEM, `-----BEGIN PUBLIC KEY-----`)")]
    NotPublicKey(String),
    #[error("cannot encode the key: {0}")]
    Encode(String),
}

/// A new signing key from the operating system's random source.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// The private key as PKCS#8 PEM (LF line endings).
pub fn private_key_pem(key: &SigningKey) -> Result<String, KeyError> {
    key.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| KeyError::Encode(e.to_string()))
}

/// The public key as SPKI PEM (LF line endings).
pub fn public_key_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))
}

/// Reads a PKCS#8 PEM private key; `origin` names it in the error.
pub fn read_private_key(text: &str, origin: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(text.trim()).map_err(|_| KeyError::NotPrivateKey(origin.into()))
}

/// Reads an SPKI PEM public key; `origin` names it in the error.
pub fn read_public_key(text: &str, origin: &str) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_public_key_pem(text.trim())
        .map_err(|_| KeyError::NotPublicKey(origin.into()))
}

/// `SHA256:` and the hex SHA-256 of the 32 raw public-key bytes.
pub fn fingerprint(key: &VerifyingKey) -> String {
    format!("SHA256:{}", hex::encode(Sha256::digest(key.as_bytes())))
}

/// What the manifest records of a signing key.
pub fn signer(key: &VerifyingKey) -> Signer {
    Signer {
        algorithm: "ed25519".into(),
        public_key: STANDARD.encode(key.as_bytes()),
        fingerprint: fingerprint(key),
    }
}

/// The public key a manifest's signer names, if it is a valid Ed25519 key.
pub fn signer_key(signer: &Signer) -> Option<VerifyingKey> {
    if signer.algorithm != "ed25519" {
        return None;
    }
    let bytes = STANDARD.decode(&signer.public_key).ok()?;
    let bytes: [u8; 32] = bytes.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Writes a key file: the private key readable by its owner only (0600 on Unix), the
/// public one by all; an existing file is replaced only with `force`.
pub fn write_key_file(path: &Path, text: &str, private: bool, force: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    if private {
        // an existing file (--force) keeps its mode on open: narrow it
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn keys_round_trip_through_pem() {
        let key = generate().unwrap();
        let pem = private_key_pem(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = read_private_key(&pem, "k").unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        let public = public_key_pem(&key.verifying_key()).unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(
            read_public_key(&public, "k.pub").unwrap(),
            key.verifying_key()
        );
        assert_eq!(
            signer_key(&signer(&key.verifying_key())).unwrap(),
            key.verifying_key()
        );
    }

    #[test]
    fn wrong_key_kinds_are_named() {
        let key = generate().unwrap();
        let public = public_key_pem(&key.verifying_key()).unwrap();
        let err = read_private_key(&public, "k.pub").unwrap_err();
        assert!(
            err.to_string()
                .contains("`k.pub` is not an Ed25519 private key")
        );
        let err = read_public_key("garbage", "x").unwrap_err();
        assert!(err.to_string().contains("`x` is not an Ed25519 public key"));
    }
}
