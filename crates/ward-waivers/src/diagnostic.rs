//! A problem in a waiver file, with its location: the workspace's diagnostic (miette renders
//! it with the source span), and `file:line:column` for plain listings.

use std::sync::Arc;

use ward_diagnostics::{LangDiagnostic, SourceFile, Span};

/// One problem in a waiver file: the workspace's diagnostic (`ward-diagnostics`), its code
/// under `ward::waivers::`.
pub type WaiverDiagnostic = LangDiagnostic;

/// A diagnostic at `line`/`column` (1-based) of `source`, underlining `len` bytes (at least
/// one character, at most to the end of the line).
pub(crate) fn at(
    source: &Source,
    line: usize,
    column: usize,
    len: Option<usize>,
    code: &str,
    message: impl Into<String>,
    label: impl Into<String>,
) -> WaiverDiagnostic {
    let offset = source.offset(line, column);
    let rest = source.text.get(offset..).unwrap_or("");
    let line_rest = rest.split('\n').next().unwrap_or("").trim_end();
    let len = match len {
        Some(n) => n.min(line_rest.len()),
        None => line_rest.len(),
    };
    let len = if len == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        len
    };
    let file = SourceFile::new(
        source.file.clone(),
        source.file.clone(),
        source.text.clone(),
    );
    LangDiagnostic::new(
        &file,
        Span::new(offset, offset + len),
        &format!("waivers::{code}"),
        message,
    )
    .with_label(label)
}

/// The text of a waiver file and its name.
pub(crate) struct Source {
    pub(crate) file: String,
    pub(crate) text: Arc<str>,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl Source {
    pub(crate) fn new(file: &str, text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Source {
            file: file.to_string(),
            text: Arc::from(text),
            line_starts,
        }
    }

    /// The byte offset of a 1-based line and character column (clamped to the text).
    pub(crate) fn offset(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let line_text = self.text.get(start..).unwrap_or("");
        let within = line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
        start + within
    }
}
