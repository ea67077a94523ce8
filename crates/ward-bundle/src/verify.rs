//! Reading a bundle back and checking it: every member against the manifest, the manifest
//! against its signature.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt::Write as _;
use std::io::{Cursor, Read};

use ed25519_dalek::{Signature, VerifyingKey};
use zip::ZipArchive;

use crate::keys::{fingerprint, signer_key};
use crate::{BundleError, MANIFEST, Manifest, SIGNATURE, sha256_hex};

/// The largest member `verify` reads (1 GiB): a bigger one is reported, not read.
pub const MAX_MEMBER_SIZE: u64 = 1 << 30;

/// A member that does not match the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberProblem {
    /// In the zip, not in the manifest.
    Added { path: String },
    /// In the manifest, not in the zip.
    Removed { path: String },
    /// In both, with other bytes.
    Changed {
        path: String,
        expected_sha256: String,
        actual_sha256: String,
        expected_size: u64,
        actual_size: u64,
    },
    /// The zip holds two entries of this name.
    Duplicate { path: String },
    /// The entry could not be read (corrupt data, bad checksum, too large).
    Unreadable { path: String, reason: String },
}

impl MemberProblem {
    pub fn path(&self) -> &str {
        match self {
            MemberProblem::Added { path }
            | MemberProblem::Removed { path }
            | MemberProblem::Changed { path, .. }
            | MemberProblem::Duplicate { path }
            | MemberProblem::Unreadable { path, .. } => path,
        }
    }

    /// `ADDED`, `REMOVED`, `CHANGED`, `DUPLICATE` or `UNREADABLE`.
    pub fn kind(&self) -> &'static str {
        match self {
            MemberProblem::Added { .. } => "ADDED",
            MemberProblem::Removed { .. } => "REMOVED",
            MemberProblem::Changed { .. } => "CHANGED",
            MemberProblem::Duplicate { .. } => "DUPLICATE",
            MemberProblem::Unreadable { .. } => "UNREADABLE",
        }
    }
}

/// What became of the signature check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// No `manifest.sig` and no signer in the manifest.
    Unsigned,
    /// The signature over `manifest.json` verifies. `trusted`: with the key given to verify
    /// (the signer is authenticated); otherwise only with the key the manifest names itself
    /// (anyone could have made it).
    Valid { fingerprint: String, trusted: bool },
    /// The manifest names a signer but `manifest.sig` is absent.
    Missing { fingerprint: String },
    /// The signature does not verify, or cannot be read.
    Invalid { reason: String },
    /// The bundle was signed by another key than the trusted one.
    WrongKey { trusted: String, signer: String },
    /// No manifest to check the signature of.
    NotChecked,
}

/// The result of [`verify`].
#[derive(Debug, Clone)]
pub struct Verification {
    /// The manifest, when `manifest.json` is there and parses.
    pub manifest: Option<Manifest>,
    /// Why there is no manifest to check against.
    pub manifest_problem: Option<String>,
    /// Members that do not match, sorted by path.
    pub problems: Vec<MemberProblem>,
    /// Members that match the manifest.
    pub matching: usize,
    pub signature: SignatureCheck,
    /// Whether a trusted key was given.
    pub trusted_key: bool,
}

impl Verification {
    /// True only when the manifest is there, every member matches it, and the signature holds
    /// (or, with no trusted key given, the bundle is unsigned).
    pub fn ok(&self) -> bool {
        self.manifest_problem.is_none()
            && self.problems.is_empty()
            && match &self.signature {
                SignatureCheck::Valid { .. } => true,
                SignatureCheck::Unsigned => !self.trusted_key,
                _ => false,
            }
    }
}

/// An entry's bytes, or why they could not be read.
type EntryData = Result<Vec<u8>, String>;

/// Reads every entry of the zip: name and bytes, in zip order, or why it could not be read.
fn read_entries(bytes: &[u8]) -> Result<Vec<(String, EntryData)>, BundleError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes))?;
    let mut out = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let name = entry.name()?.into_owned();
        // A directory entry carries nothing (zip tools add them when a bundle is unpacked
        // and zipped again): not a member.
        if entry.is_dir() && entry.size() == 0 {
            continue;
        }
        if entry.size() > MAX_MEMBER_SIZE {
            out.push((
                name,
                Err(format!("larger than {MAX_MEMBER_SIZE} bytes: not read")),
            ));
            continue;
        }
        let mut data = Vec::new();
        let read = (&mut entry)
            .take(MAX_MEMBER_SIZE + 1)
            .read_to_end(&mut data);
        let data = match read {
            Ok(_) if data.len() as u64 > MAX_MEMBER_SIZE => {
                Err(format!("larger than {MAX_MEMBER_SIZE} bytes: not read"))
            }
            Ok(_) => Ok(data),
            Err(e) => Err(e.to_string()),
        };
        out.push((name, data));
    }
    Ok(out)
}

/// Checks a bundle. An `Err` means the file is not a readable zip at all; everything else
/// (tampered members, a bad signature, a missing manifest) is in the [`Verification`].
pub fn verify(bytes: &[u8], trusted: Option<&VerifyingKey>) -> Result<Verification, BundleError> {
    let entries = read_entries(bytes)?;
    let mut problems = Vec::new();
    let mut members: BTreeMap<String, EntryData> = BTreeMap::new();
    for (name, data) in entries {
        match members.entry(name) {
            Entry::Occupied(e) => problems.push(MemberProblem::Duplicate {
                path: e.key().clone(),
            }),
            Entry::Vacant(e) => {
                e.insert(data);
            }
        }
    }
    let mut verification = Verification {
        manifest: None,
        manifest_problem: None,
        problems: Vec::new(),
        matching: 0,
        signature: SignatureCheck::NotChecked,
        trusted_key: trusted.is_some(),
    };
    let manifest_bytes = match members.remove(MANIFEST) {
        None => {
            verification.manifest_problem = Some(format!(
                "`{MANIFEST}` is missing: this is not a Ward bundle, or it was REMOVED"
            ));
            verification.problems = problems;
            return Ok(verification);
        }
        Some(Err(reason)) => {
            verification.manifest_problem = Some(format!("`{MANIFEST}` cannot be read: {reason}"));
            verification.problems = problems;
            return Ok(verification);
        }
        Some(Ok(bytes)) => bytes,
    };
    let signature_bytes = members.remove(SIGNATURE);
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            verification.manifest_problem =
                Some(format!("`{MANIFEST}` is not a Ward bundle manifest: {e}"));
            verification.problems = problems;
            return Ok(verification);
        }
    };

    for expected in &manifest.members {
        match members.remove(&expected.path) {
            None => problems.push(MemberProblem::Removed {
                path: expected.path.clone(),
            }),
            Some(Err(reason)) => problems.push(MemberProblem::Unreadable {
                path: expected.path.clone(),
                reason,
            }),
            Some(Ok(data)) => {
                let actual = sha256_hex(&data);
                if actual == expected.sha256 && data.len() as u64 == expected.size {
                    verification.matching += 1;
                } else {
                    problems.push(MemberProblem::Changed {
                        path: expected.path.clone(),
                        expected_sha256: expected.sha256.clone(),
                        actual_sha256: actual,
                        expected_size: expected.size,
                        actual_size: data.len() as u64,
                    });
                }
            }
        }
    }
    for path in members.into_keys() {
        problems.push(MemberProblem::Added { path });
    }
    problems.sort_by(|a, b| a.path().cmp(b.path()).then(a.kind().cmp(b.kind())));

    verification.signature = check_signature(&manifest, &manifest_bytes, signature_bytes, trusted);
    verification.problems = problems;
    verification.manifest = Some(manifest);
    Ok(verification)
}

fn check_signature(
    manifest: &Manifest,
    manifest_bytes: &[u8],
    signature: Option<EntryData>,
    trusted: Option<&VerifyingKey>,
) -> SignatureCheck {
    let named = manifest.signer.as_ref();
    let embedded = named.and_then(signer_key);
    let signature = match signature {
        None => {
            return match named {
                Some(s) => SignatureCheck::Missing {
                    fingerprint: s.fingerprint.clone(),
                },
                None => SignatureCheck::Unsigned,
            };
        }
        Some(Err(reason)) => {
            return SignatureCheck::Invalid {
                reason: format!("`{SIGNATURE}` cannot be read: {reason}"),
            };
        }
        Some(Ok(bytes)) => bytes,
    };
    let Ok(raw) = <[u8; 64]>::try_from(signature.as_slice()) else {
        return SignatureCheck::Invalid {
            reason: format!(
                "`{SIGNATURE}` is {} bytes, not a 64-byte Ed25519 signature",
                signature.len()
            ),
        };
    };
    let signature = Signature::from_bytes(&raw);
    if named.is_some() && embedded.is_none() {
        return SignatureCheck::Invalid {
            reason: format!("the signer key in `{MANIFEST}` is not a valid Ed25519 public key"),
        };
    }
    if let (Some(trusted), Some(embedded)) = (trusted, embedded)
        && trusted != &embedded
    {
        return SignatureCheck::WrongKey {
            trusted: fingerprint(trusted),
            signer: fingerprint(&embedded),
        };
    }
    let Some(key) = trusted.copied().or(embedded) else {
        return SignatureCheck::Invalid {
            reason: format!("`{MANIFEST}` names no signer key, and no public key was given"),
        };
    };
    match key.verify_strict(manifest_bytes, &signature) {
        Ok(()) => SignatureCheck::Valid {
            fingerprint: fingerprint(&key),
            trusted: trusted.is_some(),
        },
        Err(_) => SignatureCheck::Invalid {
            reason: format!(
                "the signature does not match `{MANIFEST}`: the manifest was CHANGED after \
                 signing, or `{SIGNATURE}` was replaced"
            ),
        },
    }
}

fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

impl Verification {
    /// The report a person reads (`ward verify`): what the bundle is, one line per problem,
    /// the signature, the verdict. `name` is how the bundle is called in it.
    pub fn report(&self, name: &str) -> String {
        let v = self;
        let mut out = String::new();
        match &v.manifest {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "bundle {name}: Ward {}, bundle format {}, run at {}",
                    m.ward_version,
                    m.bundle_format_version,
                    m.as_of.as_deref().unwrap_or("(unknown)")
                );
                let _ = writeln!(
                    out,
                    "  {} of {} member(s) match the manifest",
                    v.matching,
                    m.members.len()
                );
            }
            None => {
                let _ = writeln!(out, "bundle {name}:");
            }
        }
        if let Some(problem) = &v.manifest_problem {
            let _ = writeln!(out, "  MANIFEST   {problem}");
        }
        for p in &v.problems {
            let detail = match p {
                MemberProblem::Added { .. } => "in the zip, not in the manifest".to_string(),
                MemberProblem::Removed { .. } => "in the manifest, not in the zip".to_string(),
                MemberProblem::Changed {
                    expected_sha256,
                    actual_sha256,
                    expected_size,
                    actual_size,
                    ..
                } => format!(
                    "SHA-256 {}… ({expected_size} bytes) in the manifest, {}… ({actual_size} bytes) in the zip",
                    short(expected_sha256),
                    short(actual_sha256)
                ),
                MemberProblem::Duplicate { .. } => {
                    "two entries of this name in the zip".to_string()
                }
                MemberProblem::Unreadable { reason, .. } => reason.clone(),
            };
            let _ = writeln!(out, "  {:<10} {}: {detail}", p.kind(), p.path());
        }
        let signature = match &v.signature {
            SignatureCheck::Valid {
                fingerprint,
                trusted: true,
            } => format!("valid, by the trusted key {fingerprint}"),
            SignatureCheck::Valid {
                fingerprint,
                trusted: false,
            } => format!(
                "valid for the key the bundle names ({fingerprint}), but the signer is NOT \
             AUTHENTICATED: anyone can sign with their own key; give --public-key KEY.pub \
             to check it was signed by a key you trust"
            ),
            SignatureCheck::Unsigned if v.trusted_key => {
                "MISSING: the bundle is not signed, and --public-key was given".into()
            }
            SignatureCheck::Unsigned => "none: the bundle is not signed, so the manifest itself \
             is not protected (anyone can rewrite a member and its digest)"
                .into(),
            SignatureCheck::Missing { fingerprint } => format!(
                "MISSING: the manifest names signer {fingerprint}, but manifest.sig was REMOVED"
            ),
            SignatureCheck::Invalid { reason } => format!("INVALID: {reason}"),
            SignatureCheck::WrongKey { trusted, signer } => {
                format!("WRONG KEY: signed by {signer}, not by the trusted key {trusted}")
            }
            SignatureCheck::NotChecked => "not checked (no manifest)".into(),
        };
        let _ = writeln!(out, "  signature  {signature}");
        if v.ok() {
            let _ = writeln!(
                out,
                "verdict: VERIFIED: every member matches the manifest{}",
                match &v.signature {
                    SignatureCheck::Valid { trusted: true, .. } => ", signed by the trusted key",
                    SignatureCheck::Valid { .. } => ", signature valid (signer not authenticated)",
                    _ => " (unsigned)",
                }
            );
        } else {
            let n = v.problems.len()
                + usize::from(v.manifest_problem.is_some())
                + usize::from(
                    !matches!(
                        v.signature,
                        SignatureCheck::Valid { .. }
                            | SignatureCheck::Unsigned
                            | SignatureCheck::NotChecked
                    ) || (v.signature == SignatureCheck::Unsigned && v.trusted_key),
                );
            let _ = writeln!(
                out,
                "verdict: NOT VERIFIED: {n} problem(s); do not rely on this bundle"
            );
        }
        out
    }
}
