//! `ward bundle` (from a saved result) and `ward check --bundle`: the evidence bundle
//! (`docs/evidence-bundle.md`, crate `ward-bundle`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ward_bundle::keys::{self, SigningKey};
use ward_bundle::{Evidence, InputFile, Parameters, rule_sources_relative};
use ward_model::{FieldNeeds, Inventory};
use ward_report::FindingsDocument;
use ward_report::controls::ControlsReport;
use ward_run::backends::{ControlSet, LoadOptions};
use ward_run::{import_inputs_for, load_catalogue, parse_param_overrides, rule_citations};

use super::controls::read_findings;
use super::{RunArgs, VERSION};

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

/// Reads a signing key file, reporting a problem as exit code 2.
pub(crate) fn read_sign_key(path: Option<&Path>) -> Result<Option<SigningKey>, ExitCode> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!(
            "error: cannot read the signing key `{}`: {e}",
            path.display()
        );
        ExitCode::from(2)
    })?;
    keys::read_private_key(&text, &path.display().to_string())
        .map(Some)
        .map_err(|e| {
            eprintln!("error: {e}");
            eprintln!("  help: make a key pair with `ward keygen --out KEY`");
            ExitCode::from(2)
        })
}

/// What a bundle is made from, whichever command makes it.
pub(crate) struct BundleSource<'a> {
    pub(crate) out: &'a Path,
    pub(crate) doc: &'a FindingsDocument,
    pub(crate) controls: &'a ControlSet,
    /// The rule directories (where the citation catalogue is looked for).
    pub(crate) policies: &'a [PathBuf],
    pub(crate) citations: Option<&'a Path>,
    pub(crate) inventory: Option<&'a Inventory>,
    pub(crate) no_snapshot: bool,
    pub(crate) input_files: Vec<PathBuf>,
    pub(crate) waiver_files: &'a [PathBuf],
    pub(crate) parameters: Option<Parameters>,
    pub(crate) key: Option<&'a SigningKey>,
}

/// Builds and writes the bundle; a problem is reported and becomes exit code 2.
pub(crate) fn write_bundle(src: BundleSource) -> Result<(), ExitCode> {
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let catalogue = load_catalogue(src.policies, src.citations).map_err(fail)?;
    // The per-citation report counts the rules the result ran (as `ward controls --findings`).
    let ran: BTreeSet<&str> = src
        .doc
        .summary
        .by_rule
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    let mut rules = rule_citations(src.controls.rules());
    rules.retain(|r| ran.contains(r.rule.as_str()));
    let controls = ControlsReport::build(&catalogue, &rules, src.doc);
    let hash_all = |paths: &[PathBuf]| -> Result<Vec<InputFile>, ExitCode> {
        paths
            .iter()
            .map(|p| InputFile::read(p).map_err(|e| fail(e.to_string())))
            .collect()
    };
    let inputs = hash_all(&src.input_files)?;
    let waiver_files = hash_all(src.waiver_files)?;
    let evidence = Evidence {
        ward_version: VERSION,
        doc: src.doc,
        controls: &controls,
        rules: rule_sources_relative(src.controls.sources()),
        inputs,
        inventory: if src.no_snapshot {
            None
        } else {
            src.inventory.map(Inventory::to_snapshot)
        },
        waiver_files,
        parameters: src.parameters,
        inventory_left_out: Some(if src.no_snapshot {
            "--no-snapshot was given".into()
        } else {
            "no --snapshot was given".into()
        }),
    };
    let bytes = ward_bundle::build(&evidence, src.key).map_err(|e| fail(e.to_string()))?;
    std::fs::write(src.out, &bytes)
        .map_err(|e| fail(format!("cannot write `{}`: {e}", src.out.display())))?;
    let signed = match src.key {
        Some(k) => format!("signed by {}", keys::fingerprint(&k.verifying_key())),
        None => "not signed".into(),
    };
    eprintln!(
        "wrote the evidence bundle `{}` ({} bytes, {signed})",
        src.out.display(),
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

/// `ward bundle`: exit 0 when the bundle was written, 2 otherwise.
pub(crate) fn bundle(args: BundleArgs) -> ExitCode {
    let key = match read_sign_key(args.sign_key.as_deref()) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let doc = match read_findings(&args.findings) {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let controls = match super::load_controls(&LoadOptions {
        policies: args.policies.clone(),
        ..LoadOptions::default()
    }) {
        Ok(c) => c,
        Err(code) => return code,
    };
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
            eprintln!("error: some input could not be read; no bundle was written");
            return ExitCode::from(2);
        }
        let files = report
            .files
            .iter()
            .map(|f| PathBuf::from(&f.path))
            .collect();
        (Some(inventory), files)
    };
    let written = write_bundle(BundleSource {
        out: &args.out,
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
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
