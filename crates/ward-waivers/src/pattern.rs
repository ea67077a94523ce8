//! `*` wildcards for resource ids and ARNs.

use std::fmt;

/// A text with `*` wildcards: `*` matches any run of characters (none included); every other
/// character matches itself. Matching is case-sensitive, as AWS ids and ARNs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
}

impl Pattern {
    pub fn new(text: impl Into<String>) -> Self {
        Pattern { text: text.into() }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `candidate` matches the whole pattern.
    pub fn matches(&self, candidate: &str) -> bool {
        let mut parts = self.text.split('*');
        // `split` always yields at least one part.
        let first = parts.next().unwrap_or("");
        let Some(mut rest) = candidate.strip_prefix(first) else {
            return false;
        };
        let middle: Vec<&str> = parts.collect();
        let Some((last, middle)) = middle.split_last() else {
            // No `*`: the whole candidate must be the pattern.
            return rest.is_empty();
        };
        for part in middle {
            match rest.find(part) {
                Some(at) => rest = rest.get(at + part.len()..).unwrap_or(""),
                None => return false,
            }
        }
        rest.ends_with(last)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
