//! Authoring diagnostics shared by every way of writing controls (the rule language, Cedar,
//! waivers): a source file, a span in it, the diagnostic with its code, message, label and
//! help (rendered by miette), and "did you mean". They are collected, never thrown at the
//! first problem. Small on purpose: no parser lives here.

use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A rule file as loaded: its path and text, shared by every diagnostic that points into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The name diagnostics show (the path as given, relative where possible).
    pub name: String,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(
        path: impl Into<PathBuf>,
        name: impl Into<String>,
        text: impl Into<Arc<str>>,
    ) -> Self {
        SourceFile {
            path: path.into(),
            name: name.into(),
            text: text.into(),
        }
    }

    /// One-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    fn named_source(&self) -> NamedSource<Arc<str>> {
        NamedSource::new(self.name.clone(), self.text.clone()).with_language("ward")
    }
}

/// One problem in a rule file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct LangDiagnostic {
    pub message: String,
    /// `ward::unknown-field`, `ward::syntax`, …
    pub code: String,
    pub help: Option<String>,
    pub source_code: NamedSource<Arc<str>>,
    pub span: SourceSpan,
    pub label: String,
    /// `file:line:column`, for plain-text listings.
    pub location: String,
}

impl Diagnostic for LangDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
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

impl LangDiagnostic {
    pub fn new(file: &SourceFile, span: Span, code: &str, message: impl Into<String>) -> Self {
        let (line, col) = file.line_col(span.start);
        LangDiagnostic {
            message: message.into(),
            code: format!("ward::{code}"),
            help: None,
            source_code: file.named_source(),
            span: SourceSpan::new(span.start.into(), span.end.saturating_sub(span.start)),
            label: "here".to_string(),
            location: format!("{}:{line}:{col}", file.name),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// `file:line:column: message`, for logs and tests.
    pub fn to_plain(&self) -> String {
        format!("{}: {}", self.location, self.message)
    }
}

/// The closest candidate to `word`, if close enough to be a plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1) + usize::from(word.len() > 6))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `help` text for an unknown word: "did you mean `x`?" or the list of what is allowed.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let all: Vec<&str> = candidates.into_iter().collect();
    match suggest(word, all.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            if all.len() <= 12 {
                format!("expected one of: {}", all.join(", "))
            } else {
                format!(
                    "expected one of {} names, e.g. {}",
                    all.len(),
                    all.iter().take(6).copied().collect::<Vec<_>>().join(", ")
                )
            }
        }
    }
}

/// Keeps `PathBuf` in the public API tidy for callers that only have a name.
pub fn display_name(path: &std::path::Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("asert", ["assert", "when", "let"]), Some("assert"));
        assert_eq!(
            suggest("remediaton", ["remediation", "rationale"]),
            Some("remediation")
        );
        assert_eq!(
            suggest("ipPermisions", ["ipPermissions", "groupName"]),
            Some("ipPermissions")
        );
        assert_eq!(suggest("zzz", ["assert", "when"]), None);
    }

    #[test]
    fn line_col() {
        let f = SourceFile::new("a", "a", "ab\ncd");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(4), (2, 2));
    }
}
