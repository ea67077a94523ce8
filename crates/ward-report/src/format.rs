//! The findings formats of `ward check --format`, by name, and how each is written: one
//! place, so adding a format is a renderer module plus a row here.

use std::io::Write;

use crate::rule_info::RuleInfo;
use crate::{FindingsDocument, render_text};

/// A findings format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Csv,
    Markdown,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 6] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Csv,
        Format::Markdown,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Writes `doc` in this format. The JSON document is written as it is serialized (the
    /// findings of a large estate are hundreds of megabytes, not worth holding twice); the
    /// others are rendered, then written. `color` and `verbose` concern the text report only.
    pub fn write(
        self,
        doc: &FindingsDocument,
        rules: &[RuleInfo],
        text: TextOptions,
        out: &mut dyn Write,
    ) -> Result<(), WriteError> {
        let rendered = match self {
            Format::Json => return doc.write_json(out).map_err(WriteError::Io),
            Format::Text => render_text(doc, text.color, text.verbose),
            Format::Sarif => crate::sarif::render_sarif(doc, rules),
            Format::Junit => crate::junit::render_junit(doc, rules),
            Format::Csv => crate::csv::render_csv(doc).map_err(WriteError::Csv)?,
            Format::Markdown => crate::markdown::render_markdown(doc, rules),
        };
        out.write_all(rendered.as_bytes()).map_err(WriteError::Io)
    }
}

/// How the text report is rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colours.
    pub color: bool,
    /// List compliant and not-applicable findings too.
    pub verbose: bool,
}

/// Why a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Io(std::io::Error),
    #[error(transparent)]
    Csv(crate::csv::CsvError),
}
