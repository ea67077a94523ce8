//! The evidence bundle of a run (`docs/evidence-bundle.md`): what `ward check --bundle` and
//! `ward bundle` put in it, assembled from the findings document and the controls that made
//! it. The zip, the manifest and the signature are `ward-bundle`'s.

use std::path::{Path, PathBuf};

use ward_bundle::keys::SigningKey;
use ward_bundle::{BundleError, Evidence, InputFile, Parameters, rule_sources_relative};
use ward_model::Inventory;
use ward_report::FindingsDocument;

use crate::backends::ControlSet;
use crate::{controls_report, load_catalogue};

/// What a bundle is made from, whichever command makes it.
pub struct BundleRequest<'a> {
    pub doc: &'a FindingsDocument,
    pub controls: &'a ControlSet,
    /// The rule directories (where the citation catalogue is looked for).
    pub policies: &'a [PathBuf],
    pub citations: Option<&'a Path>,
    pub inventory: Option<&'a Inventory>,
    pub no_snapshot: bool,
    pub input_files: Vec<PathBuf>,
    pub waiver_files: &'a [PathBuf],
    pub parameters: Option<Parameters>,
    pub key: Option<&'a SigningKey>,
    /// The Ward version that made the run.
    pub ward_version: &'a str,
}

/// Why no bundle was made.
#[derive(Debug, thiserror::Error)]
pub enum BundleRequestError {
    /// The citation catalogue could not be read.
    #[error("{0}")]
    Catalogue(String),
    /// An input or waiver file could not be read, or the bundle not built.
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

/// The bundle's bytes: the findings, the per-citation report of the rules the run ran (as
/// `ward controls --findings` counts them), the rule sources, the inputs' and waivers'
/// digests, and (unless `no_snapshot`) the normalized inventory; signed with `key`.
pub fn build_bundle(req: BundleRequest<'_>) -> Result<Vec<u8>, BundleRequestError> {
    let catalogue =
        load_catalogue(req.policies, req.citations).map_err(BundleRequestError::Catalogue)?;
    let controls = controls_report(&catalogue, req.controls, req.doc);
    let hash_all = |paths: &[PathBuf]| -> Result<Vec<InputFile>, BundleError> {
        paths.iter().map(|p| InputFile::read(p)).collect()
    };
    let evidence = Evidence {
        ward_version: req.ward_version,
        doc: req.doc,
        controls: &controls,
        rules: rule_sources_relative(req.controls.sources()),
        inputs: hash_all(&req.input_files)?,
        inventory: if req.no_snapshot {
            None
        } else {
            req.inventory.map(Inventory::to_snapshot)
        },
        waiver_files: hash_all(req.waiver_files)?,
        parameters: req.parameters,
        inventory_left_out: Some(if req.no_snapshot {
            "--no-snapshot was given".into()
        } else {
            "no --snapshot was given".into()
        }),
    };
    Ok(ward_bundle::build(&evidence, req.key)?)
}
