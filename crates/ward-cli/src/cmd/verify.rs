//! `ward verify`: check an evidence bundle against its manifest and signature.

use std::path::PathBuf;
use std::process::ExitCode;

use ward_bundle::keys;

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
    let text = verification.report(&args.bundle.display().to_string());
    if let Err(code) = write_stdout(&text) {
        return code;
    }
    if verification.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
