//! `ward bundle` (from a saved result) and `ward check --bundle`: the evidence bundle
//! (`docs/evidence-bundle.md`, crate `ward-bundle`).

use std::path::{Path, PathBuf};

use ward_bundle::Parameters;
use ward_bundle::keys::{self, SigningKey};
use ward_model::FieldNeeds;
use ward_run::backends::LoadOptions;
use ward_run::evidence::{BundleRequest, build_bundle};
use ward_run::{import_inputs_for, parse_param_overrides};

use super::controls::read_findings;
use super::{Exit, Failed, Outcome, RunArgs, VERSION, fail};

/// The bundle flags of `ward check`.
#[derive(clap::Args)]
pub(crate) struct BundleFlags {
    /// Also write the evidence bundle (a zip: findings, per-citation report, rule sources,
    /// input digests, normalized inventory, manifest) to FILE
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: Option<PathBuf>,
    /// Sign the bundle's manifest with this Ed25519 private key (from `ward keygen`)
    #[arg(long = "sign-key", value_name = "FILE", requires = "bundle")]
    pub(crate) sign_key: Option<PathBuf>,
    /// Leave the normalized inventory out of the bundle (the inputs' SHA-256 stay in)
    #[arg(long = "no-snapshot", requires = "bundle")]
    pub(crate) no_snapshot: bool,
}

/// `ward bundle`: a bundle from a saved `ward check --format json` result.
#[derive(clap::Args)]
pub(crate) struct BundleArgs {
    /// The saved result (`ward check --format json > run.json`)
    #[arg(long, value_name = "FILE")]
    pub(crate) findings: PathBuf,
    /// Where to write the bundle (a zip)
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// The inventory files the run read: their SHA-256 are recorded, and (unless
    /// --no-snapshot) the normalized inventory read from them is included. Repeatable.
    #[arg(long = "snapshot", value_name = "FILE")]
    pub(crate) snapshots: Vec<PathBuf>,
    /// The rule directories the run used (default: the built-in HIPAA pack). Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub(crate) policies: Vec<PathBuf>,
    /// The citation catalogue (default: as `ward controls`)
    #[arg(long, value_name = "FILE")]
    pub(crate) citations: Option<PathBuf>,
    /// The waiver files the run used: their SHA-256 are recorded. Repeatable.
    #[arg(long = "waivers", value_name = "FILE")]
    pub(crate) waivers: Vec<PathBuf>,
    /// Sign the manifest with this Ed25519 private key (from `ward keygen`)
    #[arg(long = "sign-key", value_name = "FILE")]
    pub(crate) sign_key: Option<PathBuf>,
    /// Leave the normalized inventory out (the inputs' SHA-256 stay in)
    #[arg(long = "no-snapshot")]
    pub(crate) no_snapshot: bool,
}

/// Reads a signing key file; a problem is reported.
pub(crate) fn read_sign_key(path: Option<&Path>) -> Result<Option<SigningKey>, Failed> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(format!(
            "cannot read the signing key `{}`: {e}",
            path.display()
        ))
    })?;
    keys::read_private_key(&text, &path.display().to_string())
        .map(Some)
        .map_err(|e| {
            let failed = fail(e);
            eprintln!("  help: make a key pair with `ward keygen --out KEY`");
            failed
        })
}

/// Builds the bundle and writes it to `out`; a problem is reported.
pub(crate) fn write_bundle(out: &Path, req: BundleRequest) -> Result<(), Failed> {
    let key = req.key;
    let bytes = build_bundle(req).map_err(fail)?;
    std::fs::write(out, &bytes)
        .map_err(|e| fail(format!("cannot write `{}`: {e}", out.display())))?;
    let signed = match key {
        Some(k) => format!("signed by {}", keys::fingerprint(&k.verifying_key())),
        None => "not signed".into(),
    };
    eprintln!(
        "wrote the evidence bundle `{}` ({} bytes, {signed})",
        out.display(),
        bytes.len()
    );
    Ok(())
}

/// The parameters of a run, as the bundle records them.
pub(crate) fn run_parameters(args: &RunArgs) -> Parameters {
    Parameters {
        overrides: parse_param_overrides(&args.params).unwrap_or_default(),
        rules: args.rules.clone(),
        as_of: args.as_of.clone(),
        policies: if args.policies.is_empty() {
            vec!["<builtin>".into()]
        } else {
            args.policies
                .iter()
                .map(|p| p.display().to_string())
                .collect()
        },
    }
}

/// `ward bundle`: clean when the bundle was written.
pub(crate) fn bundle(args: BundleArgs) -> Outcome {
    let key = read_sign_key(args.sign_key.as_deref())?;
    let doc = read_findings(&args.findings).map_err(fail)?;
    let controls = super::load_controls(&LoadOptions {
        policies: args.policies.clone(),
        ..LoadOptions::default()
    })?;
    let (inventory, input_files) = if args.snapshots.is_empty() {
        (None, Vec::new())
    } else {
        // The fields the run read, as its document records (all of them when it says none).
        let needs = doc
            .fields_read
            .as_ref()
            .map_or_else(FieldNeeds::everything, FieldNeeds::from_record);
        let (inventory, report) = import_inputs_for(&args.snapshots, needs);
        if report.has_errors() {
            for d in report.diagnostics() {
                if d.level == ward_import::Level::Error {
                    eprintln!("{:?}", miette::Report::new(d.clone()));
                }
            }
            return Err(fail("some input could not be read; no bundle was written"));
        }
        let files = report
            .files
            .iter()
            .map(|f| PathBuf::from(&f.path))
            .collect();
        (Some(inventory), files)
    };
    write_bundle(
        &args.out,
        BundleRequest {
            doc: &doc,
            controls: &controls,
            policies: &args.policies,
            citations: args.citations.as_deref(),
            inventory: inventory.as_ref(),
            no_snapshot: args.no_snapshot,
            input_files,
            waiver_files: &args.waivers,
            parameters: None,
            key: key.as_ref(),
            ward_version: VERSION,
        },
    )?;
    Ok(Exit::Clean)
}
