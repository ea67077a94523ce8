//! The front door: which files a path names (a directory walked with [`ward_model::walk`]),
//! and, for each input stream, what its first bytes say it is: gzip (decompressed on the
//! fly), the credential report's CSV, or JSON, which [`crate::stream`] walks and
//! [`crate::detect`] names.

use std::fs;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use ward_model::Inventory;

use crate::account_facts;
use crate::diagnostic::{Code, ImportDiagnostic};
use crate::format::Format;
use crate::reader::FileState;
use crate::split::{Failure, Position};
use crate::stream;
use crate::{FileReport, ImportReport};

/// Files whose (decompressed) text is at most this big keep their text for diagnostics,
/// so a syntax error can be underlined.
pub(crate) const SOURCE_LIMIT: usize = 8 * 1024 * 1024;

pub(crate) fn import_path(path: &Path, inventory: &mut Inventory) -> ImportReport {
    let mut report = ImportReport::default();
    match fs::metadata(path) {
        Err(err) => report.files.push(io_report(path, "could not open", &err)),
        Ok(meta) if meta.is_dir() => {
            // `*.json`, `*.json.gz` and `*.csv` (the credential report), any case.
            let walk = ward_model::walk::walk_files(path, &|p| {
                [".json", ".json.gz", ".csv"]
                    .iter()
                    .any(|s| ward_model::walk::has_suffix(p, s))
            });
            for problem in &walk.problems {
                report
                    .files
                    .push(io_report(&problem.path, "could not read", &problem.error));
            }
            for file in walk.files {
                report.files.push(import_file(&file, inventory));
            }
        }
        Ok(_) => report.files.push(import_file(path, inventory)),
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

fn import_file(path: &Path, inventory: &mut Inventory) -> FileReport {
    match fs::File::open(path) {
        Ok(file) => read_stream(&path.display().to_string(), file, inventory),
        Err(err) => io_report(path, "could not open", &err),
    }
}

/// Reads one input (plain or gzip JSON) into `inventory`.
pub(crate) fn read_stream<R: Read>(name: &str, reader: R, inventory: &mut Inventory) -> FileReport {
    let mut state = FileState::new(name);
    state.needs = inventory.field_needs().clone();
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
