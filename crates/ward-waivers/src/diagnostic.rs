//! A problem in a waiver file, with its location: a miette diagnostic the CLI renders with
//! the source span, and `file:line:column` for plain listings.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};

/// One problem in a waiver file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct WaiverDiagnostic {
    pub message: String,
    /// `ward::waivers::unknown-field`, `ward::waivers::yaml`, …
    pub code: String,
    pub help: Option<String>,
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub label: String,
    source_code: NamedSource<Arc<str>>,
    span: SourceSpan,
}

impl WaiverDiagnostic {
    /// A diagnostic at `line`/`column` (1-based) of `text`, underlining `len` bytes (at
    /// least one character, at most to the end of the line).
    pub(crate) fn new(
        source: &Source,
        line: usize,
        column: usize,
        len: Option<usize>,
        code: &str,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
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
        WaiverDiagnostic {
            message: message.into(),
            code: format!("ward::waivers::{code}"),
            help: None,
            file: source.file.clone(),
            line,
            column,
            label: label.into(),
            source_code: NamedSource::new(source.file.clone(), source.text.clone()),
            span: SourceSpan::new(offset.into(), len),
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:column`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }

    /// `file:line:column: message`, for logs and tests.
    pub fn to_plain(&self) -> String {
        format!("{}: {}", self.location(), self.message)
    }
}

impl Diagnostic for WaiverDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.label.clone()),
            self.span,
        ))))
    }
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
