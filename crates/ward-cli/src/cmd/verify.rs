//! `ward verify`: check an evidence bundle against its manifest and signature.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use ward_bundle::keys;
use ward_bundle::{MemberProblem, SignatureCheck, Verification};

use super::write_stdout;

#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// The bundle (a zip written by `ward check --bundle` or `ward bundle`)
    pub(crate) bundle: PathBuf,
    /// The signer's public key you trust (KEY.pub from `ward keygen`, SPKI PEM): the bundle
    /// must be signed by it. Without it, the signature is checked with the key the bundle
    /// names itself, which shows integrity but not who signed.
    #[arg(long = "public-key", value_name = "FILE")]
    pub(crate) public_key: Option<PathBuf>,
}

fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

/// The report a person reads: one line per problem, the signature, the verdict.
fn render(name: &str, v: &Verification) -> String {
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
            MemberProblem::Duplicate { .. } => "two entries of this name in the zip".to_string(),
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

/// `ward verify`: 0 when everything holds, 1 when something does not, 2 when the bundle or
/// the key cannot be read.
pub(crate) fn verify(args: VerifyArgs) -> ExitCode {
    let trusted = match &args.public_key {
        None => None,
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!(
                        "error: cannot read the public key `{}`: {e}",
                        path.display()
                    );
                    return ExitCode::from(2);
                }
            };
            match keys::read_public_key(&text, &path.display().to_string()) {
                Ok(k) => Some(k),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let bytes = match std::fs::read(&args.bundle) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", args.bundle.display());
            return ExitCode::from(2);
        }
    };
    let verification = match ward_bundle::verify(&bytes, trusted.as_ref()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: `{}` is {e}", args.bundle.display());
            eprintln!(
                "  help: a Ward bundle is the zip written by `ward check --bundle` or `ward bundle`; this file is truncated, damaged or something else"
            );
            return ExitCode::from(2);
        }
    };
    let text = render(&args.bundle.display().to_string(), &verification);
    if let Err(code) = write_stdout(&text) {
        return code;
    }
    if verification.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
