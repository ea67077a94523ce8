//! `ward verify`: check an evidence bundle against its manifest and signature.

use std::path::PathBuf;

use ward_bundle::keys;

use super::{Exit, Outcome, fail, write_stdout};

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

/// `ward verify`: 0 when everything holds, 1 when something does not, 2 when the bundle or
/// the key cannot be read.
pub(crate) fn verify(args: VerifyArgs) -> Outcome {
    let trusted = match &args.public_key {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                fail(format!(
                    "cannot read the public key `{}`: {e}",
                    path.display()
                ))
            })?;
            Some(keys::read_public_key(&text, &path.display().to_string()).map_err(fail)?)
        }
    };
    let bytes = std::fs::read(&args.bundle)
        .map_err(|e| fail(format!("cannot read `{}`: {e}", args.bundle.display())))?;
    let verification = ward_bundle::verify(&bytes, trusted.as_ref()).map_err(|e| {
        let failed = fail(format!("`{}` is {e}", args.bundle.display()));
        eprintln!(
            "  help: a Ward bundle is the zip written by `ward check --bundle` or `ward bundle`; this file is truncated, damaged or something else"
        );
        failed
    })?;
    write_stdout(&verification.report(&args.bundle.display().to_string()))?;
    Ok(Exit::flagged_if(!verification.ok()))
}
