//! Importers: AWS Config snapshots, Config API output, Config rule events, single
//! configuration items, Ward's own inventory snapshot and boto3 (placebo) recordings of EC2,
//! RDS and S3 responses, read into an [`Inventory`].
//!
//! The format of each input is detected from its content (gzip by its magic bytes, JSON by
//! its top-level keys), see [`Format`]. Large lists are streamed item by item. Nothing stops
//! at the first problem: each file gets a [`FileReport`] with its [`ImportDiagnostic`]s, a
//! malformed item costs only that item, and a syntax error keeps the items read before it.
//! Operational failures (a file that cannot be opened) are error diagnostics with
//! [`Code::Io`] in the same report: the functions here never return `Err`.
//!
//! The normalization rules are listed in this crate's `README.md`.
//!
//! ```no_run
//! use ward_model::{Inventory, Redaction};
//! let mut inventory = Inventory::new();
//! let report = ward_import::import_path("snapshots/".as_ref(), &mut inventory);
//! for diagnostic in report.diagnostics() {
//!     eprintln!("{}: {diagnostic}", diagnostic.level);
//! }
//! println!("{} resources, {} in the inventory", report.resources(), inventory.len());
//! ```

#![forbid(unsafe_code)]

mod account_facts;
mod api;
mod detect;
mod diagnostic;
mod discover;
mod format;
mod identity;
mod normalize;
mod progress;
mod project;
mod reader;
mod redact;
mod service_facts;
mod split;
mod stream;

use std::io::Read;
use std::path::{Path, PathBuf};

use ward_model::{Inventory, Redaction};

pub use account_facts::PSEUDO_TYPES as ACCOUNT_FACT_TYPES;
pub use diagnostic::{Code, ImportDiagnostic, Level};
pub use format::Format;
pub use normalize::resource_from_item;
pub use progress::{ImportCounts, ImportProgress};
pub use redact::{MARKER_PREFIX, marker, redact_resource};
pub use service_facts::PSEUDO_TYPES as SERVICE_FACT_TYPES;

/// Imports a file, or every `*.json` / `*.json.gz` file under a directory (recursively,
/// sorted by name, hidden entries and symlinked directories skipped), into `inventory`.
///
/// A file named explicitly is read whatever its name. Resources that are already in the
/// inventory (same type and id) are replaced only by a newer capture.
pub fn import_path(path: &Path, inventory: &mut Inventory) -> ImportReport {
    discover::import_inputs(discover::discover(path), inventory, &ImportProgress::new())
}

/// Imports every path (see [`import_path`]), then attributes the account-level facts that do
/// not name their account (see [`ImportReport::attribute_facts`]). This is what a caller with
/// several inputs wants.
pub fn import_paths(paths: &[PathBuf], inventory: &mut Inventory) -> ImportReport {
    import_paths_with_progress(paths, inventory, &ImportProgress::new())
}

/// [`import_paths`], counting into `progress` as it reads, for a caller that shows how far
/// the import has got (from another thread: see [`ImportProgress`]). Every input is found
/// before the first is read, so the totals are known from the start.
pub fn import_paths_with_progress(
    paths: &[PathBuf],
    inventory: &mut Inventory,
    progress: &ImportProgress,
) -> ImportReport {
    let inputs = paths.iter().flat_map(|p| discover::discover(p)).collect();
    let mut report = discover::import_inputs(inputs, inventory, progress);
    report.attribute_facts(inventory);
    report
}

/// Imports one input stream (plain or gzip JSON) into `inventory`. `name` is what
/// diagnostics and each resource's `source.file` call it (a path, `-` for stdin).
pub fn import_reader(name: &str, reader: impl Read, inventory: &mut Inventory) -> ImportReport {
    ImportReport {
        files: vec![discover::read_stream(
            name,
            reader,
            inventory,
            &ImportProgress::new(),
        )],
    }
}

/// What happened to each input file.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
}

impl ImportReport {
    /// True when any file has an error diagnostic.
    pub fn has_errors(&self) -> bool {
        self.files.iter().any(FileReport::has_errors)
    }

    /// Every diagnostic of every file, in file order.
    pub fn diagnostics(&self) -> impl Iterator<Item = &ImportDiagnostic> {
        self.files.iter().flat_map(|f| f.diagnostics.iter())
    }

    /// How many resources were read (and handed to the inventory, where a newer capture of
    /// the same resource may have kept its place).
    pub fn resources(&self) -> usize {
        self.files.iter().map(|f| f.resources).sum()
    }

    /// Every secret removed from the input before it entered the inventory (see
    /// [`redact_resource`]), sorted, without repeats.
    pub fn redactions(&self) -> Vec<Redaction> {
        let mut all: Vec<Redaction> = self
            .files
            .iter()
            .flat_map(|f| f.redactions.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Appends another report (for a caller that imports several paths).
    pub fn extend(&mut self, other: ImportReport) {
        self.files.extend(other.files);
    }

    /// Account-level facts read so far that do not name their account (or Region) and wait
    /// for [`ImportReport::attribute_facts`].
    pub fn pending_facts(&self) -> usize {
        self.files.iter().map(|f| f.pending.len()).sum()
    }

    /// Inserts the account-level facts that did not name their account (a password policy,
    /// an account summary, EBS encryption by default, ...) once every input is read: each
    /// goes to the inventory's only account (and, for a regional fact, that account's only
    /// Region). When the inventory leaves a doubt, the fact is dropped with an error
    /// diagnostic on its file: a fact is never attributed to a guessed account.
    pub fn attribute_facts(&mut self, inventory: &mut Inventory) {
        for file in &mut self.files {
            let pending = std::mem::take(&mut file.pending);
            if pending.is_empty() {
                continue;
            }
            let waiting = pending.len();
            let (imported, diagnostics) =
                account_facts::attribute(pending, &file.path, inventory, &mut file.redactions);
            file.resources = file.resources + imported - waiting;
            file.diagnostics.extend(diagnostics);
        }
    }
}

/// One input file: its detected format, how many resources it gave, and its diagnostics.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The path (or reader name).
    pub path: String,
    /// `None` when the file could not be read or its format was not recognized.
    pub format: Option<Format>,
    /// Resources read from the file and handed to the inventory.
    pub resources: usize,
    pub diagnostics: Vec<ImportDiagnostic>,
    /// Secrets replaced by a marker in this file's resources, before they entered the
    /// inventory: where, and what kind (never the value).
    pub redactions: Vec<Redaction>,
    /// Account facts waiting for their account (see [`ImportReport::attribute_facts`]).
    pending: Vec<account_facts::PendingFact>,
}

impl FileReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(ImportDiagnostic::is_error)
    }
}
