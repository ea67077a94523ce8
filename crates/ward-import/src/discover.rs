//! The front door: which files a path names (a directory walked with [`ward_model::walk`]),
//! and, for each input stream, what its first bytes say it is: gzip (decompressed on the
//! fly), the credential report's CSV, or JSON, which [`crate::stream`] walks and
//! [`crate::detect`] names.

use std::fs;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use ward_model::Inventory;

use crate::account_facts;
use crate::diagnostic::{Code, ImportDiagnostic};
use crate::format::Format;
use crate::progress::ImportProgress;
use crate::reader::FileState;
use crate::split::{Failure, Position};
use crate::stream;
use crate::{FileReport, ImportReport};

/// Files whose (decompressed) text is at most this big keep their text for diagnostics,
/// so a syntax error can be underlined.
pub(crate) const SOURCE_LIMIT: usize = 8 * 1024 * 1024;

/// An input a path names: a file to read, with its size, or why it cannot be read.
pub(crate) enum InputFile {
    Readable { path: PathBuf, size: u64 },
    Unreadable(FileReport),
}

/// The inputs `path` names, in the order they are read: a directory's unreadable entries
/// first, then its files sorted by name.
pub(crate) fn discover(path: &Path) -> Vec<InputFile> {
    let mut found = Vec::new();
    match fs::metadata(path) {
        Err(err) => found.push(InputFile::Unreadable(io_report(
            path,
            "could not open",
            &err,
        ))),
        Ok(meta) if meta.is_dir() => {
            // `*.json`, `*.json.gz` and `*.csv` (the credential report), any case.
            let walk = ward_model::walk::walk_files(path, &|p| {
                [".json", ".json.gz", ".csv"]
                    .iter()
                    .any(|s| ward_model::walk::has_suffix(p, s))
            });
            for problem in &walk.problems {
                found.push(InputFile::Unreadable(io_report(
                    &problem.path,
                    "could not read",
                    &problem.error,
                )));
            }
            for file in walk.files {
                // A file whose size cannot be known counts for nothing; opening it says why.
                let size = fs::metadata(&file).map_or(0, |m| m.len());
                found.push(InputFile::Readable { path: file, size });
            }
        }
        Ok(meta) => found.push(InputFile::Readable {
            path: path.to_path_buf(),
            size: meta.len(),
        }),
    }
    found
}

/// Reads every input in order, counting into `progress` (all of them are added to its
/// totals before the first is read).
pub(crate) fn import_inputs(
    inputs: Vec<InputFile>,
    inventory: &mut Inventory,
    progress: &ImportProgress,
) -> ImportReport {
    for input in &inputs {
        if let InputFile::Readable { size, .. } = input {
            progress.add_input(*size);
        }
    }
    let mut report = ImportReport::default();
    for input in inputs {
        report.files.push(match input {
            InputFile::Unreadable(file_report) => file_report,
            InputFile::Readable { path, size } => import_file(&path, size, inventory, progress),
        });
    }
    report
}

fn io_report(path: &Path, what: &str, err: &io::Error) -> FileReport {
    let name = path.display().to_string();
    FileReport {
        diagnostics: vec![ImportDiagnostic::error(
            Code::Io,
            name.clone(),
            format!("{what} `{name}`: {err}"),
        )],
        path: name,
        format: None,
        resources: 0,
        redactions: Vec::new(),
        pending: Vec::new(),
    }
}

fn import_file(
    path: &Path,
    size: u64,
    inventory: &mut Inventory,
    progress: &ImportProgress,
) -> FileReport {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(err) => {
            progress.file_done(size);
            return io_report(path, "could not open", &err);
        }
    };
    let mut counted = Counted {
        inner: file,
        progress,
        read: 0,
    };
    let name = path.display().to_string();
    let report = read_stream(&name, &mut counted, inventory, progress);
    progress.file_done(size.saturating_sub(counted.read));
    report
}

/// Passes a file's bytes through, counting them into the import's progress: one relaxed
/// atomic add per read.
struct Counted<'p, R> {
    inner: R,
    progress: &'p ImportProgress,
    /// Bytes read of this file.
    read: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.progress.add_bytes(n as u64);
        Ok(n)
    }
}

/// Reads one input (plain or gzip JSON) into `inventory`.
pub(crate) fn read_stream<R: Read>(
    name: &str,
    reader: R,
    inventory: &mut Inventory,
    progress: &ImportProgress,
) -> FileReport {
    let mut state = FileState::new(name);
    state.needs = inventory.field_needs().clone();
    state.progress = progress.clone();
    let mut reader = reader;
    let head = match read_head(&mut reader) {
        Ok(head) => head,
        Err(err) => {
            state.diagnostics.push(ImportDiagnostic::error(
                Code::Io,
                name,
                format!("could not read `{name}`: {err}"),
            ));
            return state.finish(inventory);
        }
    };
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if head.starts_with(b"us") {
        // No JSON text starts with `us`: the credential report CSV (`user,arn,...`).
        return read_csv(&mut state, head, reader, inventory);
    }
    let raw = io::Cursor::new(head).chain(reader);
    let decoded = if gzip {
        Decoded::Gzip(Box::new(MultiGzDecoder::new(BufReader::new(raw))))
    } else {
        Decoded::Plain(raw)
    };
    let mut capture = Capture {
        inner: decoded,
        kept: Some(Vec::new()),
        total: 0,
    };
    let (detected, error) = stream::read_json(&mut state, &mut capture);
    if let Some(detected) = detected {
        state.detected(detected);
    }
    // A list's own failure (the split, or one of its elements) is the first in the input;
    // serde_json's is only a consequence of it then.
    let failure = state
        .failure
        .take()
        .or_else(|| error.map(|err| Failure::from_serde(&err, Position { line: 1, column: 1 })));
    if let Some(failure) = failure {
        let text = capture.finish();
        state.json_error(failure, text, capture.total, gzip);
    } else if state
        .diagnostics
        .iter()
        .any(|d| d.line_column.is_some() && d.source_code.is_none())
        && let Some(text) = capture.finish()
    {
        state.show_locations(text);
    }
    state.finish(inventory)
}

/// The credential report as CSV.
fn read_csv<R: Read>(
    state: &mut FileState,
    head: Vec<u8>,
    reader: R,
    inventory: &mut Inventory,
) -> FileReport {
    let mut bytes = Vec::new();
    let read = io::Cursor::new(head)
        .chain(reader)
        .take(account_facts::CSV_LIMIT + 1)
        .read_to_end(&mut bytes);
    let name = state.name.clone();
    let mut done = std::mem::replace(state, FileState::new(&name));
    match read {
        Err(err) => done
            .diagnostics
            .push(done.error(Code::Io, format!("could not read `{name}`: {err}"))),
        Ok(_) if bytes.len() as u64 > account_facts::CSV_LIMIT => {
            done.diagnostics.push(done.error(
                Code::Io,
                format!(
                    "`{name}` is larger than {} MiB; a credential report that large is not read",
                    account_facts::CSV_LIMIT / (1024 * 1024)
                ),
            ))
        }
        Ok(_) => {
            let read = account_facts::read_credential_report_csv(&bytes, None, &name);
            done.format = Some(Format::CredentialReportCsv);
            done.take_facts(read);
        }
    }
    done.finish(inventory)
}

/// The first two bytes (fewer at the end of input), enough to recognize gzip.
fn read_head<R: Read>(reader: &mut R) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(2);
    reader.by_ref().take(2).read_to_end(&mut head)?;
    Ok(head)
}

enum Decoded<R: Read> {
    Plain(R),
    Gzip(Box<MultiGzDecoder<BufReader<R>>>),
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoded::Plain(r) => r.read(buf),
            Decoded::Gzip(r) => r.read(buf),
        }
    }
}

/// Passes bytes through and keeps a copy of them while they fit in [`SOURCE_LIMIT`].
struct Capture<R> {
    inner: R,
    kept: Option<Vec<u8>>,
    total: u64,
}

impl<R: Read> Read for Capture<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if let Some(kept) = &mut self.kept {
            if kept.len() + n > SOURCE_LIMIT {
                self.kept = None;
            } else if let Some(bytes) = buf.get(..n) {
                kept.extend_from_slice(bytes);
            }
        }
        Ok(n)
    }
}

impl<R: Read> Capture<R> {
    /// Reads the rest of the input (while it fits) and returns the whole text.
    fn finish(&mut self) -> Option<String> {
        let mut scratch = [0_u8; 64 * 1024];
        while self.kept.is_some() {
            match self.read(&mut scratch) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        self.kept
            .take()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }
}
