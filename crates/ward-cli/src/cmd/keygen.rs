//! `ward keygen`: an Ed25519 key pair for signing evidence bundles.

use std::path::PathBuf;

use ward_bundle::keys;

use super::{Exit, Failed, Outcome, fail};

#[derive(clap::Args)]
pub(crate) struct KeygenArgs {
    /// The private key file to write (PKCS#8 PEM, mode 0600); the public key goes to FILE.pub
    /// (SPKI PEM), the file to hand to auditors
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Replace existing key files
    #[arg(long)]
    pub(crate) force: bool,
}

/// `ward keygen --out KEY`: 0 when both files were written, 2 otherwise.
pub(crate) fn keygen(args: KeygenArgs) -> Outcome {
    let public_path = PathBuf::from(format!("{}.pub", args.out.display()));
    if !args.force {
        for path in [&args.out, &public_path] {
            if path.exists() {
                let failed = fail(format!("`{}` already exists", path.display()));
                eprintln!("  help: give --force to replace it");
                return Err(failed);
            }
        }
    }
    let made = keys::generate().and_then(|key| {
        Ok((
            keys::private_key_pem(&key)?,
            keys::public_key_pem(&key.verifying_key())?,
            keys::fingerprint(&key.verifying_key()),
        ))
    });
    let (private, public, fingerprint) = made.map_err(fail)?;
    for (path, text, is_private) in [(&args.out, &private, true), (&public_path, &public, false)] {
        if let Err(e) = keys::write_key_file(path, text, is_private, args.force) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                eprintln!("  help: give --force to replace it");
            }
            return Err(Failed);
        }
    }
    println!(
        "private key: {} (keep it secret)\npublic key:  {} (give it to auditors)\nfingerprint: {fingerprint}",
        args.out.display(),
        public_path.display()
    );
    Ok(Exit::Clean)
}
