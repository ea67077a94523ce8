//! Import diagnostics: what went wrong (or is worth knowing) about one input file.
//!
//! Every problem an importer meets becomes an [`ImportDiagnostic`] in the file's
//! [`FileReport`](crate::FileReport); nothing stops at the first problem, and a bad item
//! never costs the other items of the file. Operational failures (a file that cannot be
//! opened or read, a directory that cannot be listed) are diagnostics too, with the code
//! [`Code::Io`], so a caller has one place to look.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Worth knowing; nothing was lost (a response that describes no resource, a paginated
    /// API output, a resource type inferred from the selected fields).
    Info,
    /// Something was imported, but not quite as given (a policy document that could not be
    /// decoded, a relationship without a type).
    Warning,
    /// An item or the rest of a file could not be imported.
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of problem a diagnostic reports; rendered as `ward::import::<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// The file or directory could not be opened, read or decompressed.
    Io,
    /// The file is not valid JSON (or ends early); the location is in the diagnostic.
    Syntax,
    /// The file's top-level shape matches none of the accepted formats.
    UnknownFormat,
    /// One item of the file is malformed; the other items were imported.
    Item,
    /// A field of an item was kept as given because it could not be normalized.
    Normalize,
    /// The input is recognized but describes no resource.
    NoResources,
    /// API output holds only one page (`nextToken`, `NextToken` or `Marker` is set), or
    /// lists keys it did not process.
    Incomplete,
    /// The resource type and id of a partial item were inferred from its fields.
    Inferred,
    /// A Ward inventory file with a missing or unsupported `wardInventoryVersion`.
    Version,
    /// An account-level fact whose account (or Region) cannot be told from the inventory.
    Unattributed,
    /// The input is recognized, but what it means depends on how it was produced and
    /// nothing tells (`describe-snapshots` output, with or without the public-snapshot
    /// filter): refused rather than guessed.
    Ambiguous,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "ward::import::io",
            Code::Syntax => "ward::import::syntax",
            Code::UnknownFormat => "ward::import::unknown-format",
            Code::Item => "ward::import::item",
            Code::Normalize => "ward::import::normalize",
            Code::NoResources => "ward::import::no-resources",
            Code::Incomplete => "ward::import::incomplete",
            Code::Inferred => "ward::import::inferred",
            Code::Version => "ward::import::version",
            Code::Unattributed => "ward::import::unattributed",
            Code::Ambiguous => "ward::import::ambiguous",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem (or notice) about one input file, and where in it.
///
/// `Display` renders the location and the message on one line:
/// `` `snapshot.json`, item 3 (`sg-0a1b`): `configuration` is an array, expected a JSON object ``.
/// As a [`miette::Diagnostic`] it also carries the code, the severity, the help and, for a
/// JSON syntax error in a file smaller than 8 MiB, the file text with the error underlined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", Headline(self))]
pub struct ImportDiagnostic {
    pub level: Level,
    pub code: Code,
    /// The file (or reader name) the diagnostic is about.
    pub file: String,
    /// Zero-based position of the item in the file's item list.
    pub index: Option<usize>,
    /// The item's `resourceId` (or API id such as `GroupId`) when known.
    pub resource_id: Option<String>,
    /// One-based line and column of a JSON syntax error, or of the key a diagnostic is about.
    pub line_column: Option<(usize, usize)>,
    /// Lowercase, no trailing period, user input in backticks.
    pub message: String,
    pub help: Option<String>,
    /// The file text (for files under 8 MiB) and the span of the error in it.
    pub source_code: Option<NamedSource<Arc<str>>>,
    pub span: Option<SourceSpan>,
}

impl ImportDiagnostic {
    pub fn new(
        level: Level,
        code: Code,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ImportDiagnostic {
            level,
            code,
            file: file.into(),
            index: None,
            resource_id: None,
            line_column: None,
            message: message.into(),
            help: None,
            source_code: None,
            span: None,
        }
    }

    pub fn error(code: Code, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Level::Error, code, file, message)
    }

    pub fn warning(code: Code, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Level::Warning, code, file, message)
    }

    pub fn info(code: Code, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Level::Info, code, file, message)
    }

    pub fn with_index(mut self, index: Option<usize>) -> Self {
        self.index = index;
        self
    }

    pub fn with_resource_id(mut self, resource_id: Option<String>) -> Self {
        self.resource_id = resource_id;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// The one-line rendering: location, then message.
struct Headline<'a>(&'a ImportDiagnostic);

impl fmt::Display for Headline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "`{}`", d.file)?;
        if let Some((line, column)) = d.line_column {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(index) = d.index {
            write!(f, ", item {index}")?;
        }
        if let Some(id) = &d.resource_id {
            write!(f, " (`{id}`)")?;
        }
        write!(f, ": {}", d.message)
    }
}

// Implemented by hand rather than derived: the severity and the code vary per value,
// and miette's derive only takes them as constants.
impl Diagnostic for ImportDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.level {
            Level::Info => miette::Severity::Advice,
            Level::Warning => miette::Severity::Warning,
            Level::Error => miette::Severity::Error,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source_code.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        self.source_code.as_ref()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some("here".to_string()), span),
        )))
    }
}
