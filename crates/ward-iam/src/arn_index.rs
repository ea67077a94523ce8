//! An index of resources by their ARNs (which may themselves be patterns, such as a bucket's
//! objects `arn:aws:s3:::B/*`), to find the resources a policy's `Resource` patterns may
//! reach without trying every resource.

use std::collections::{HashMap, HashSet};

/// The ARNs of a set of resources (by their index in the caller's list).
#[derive(Default)]
pub(crate) struct ArnIndex {
    /// (the ARN up to its first wildcard, resource), sorted.
    by_literal: Vec<(String, usize)>,
    /// ARNs with a wildcard (`arn:aws:s3:::B/*`), by their part before it.
    wildcard: HashMap<String, Vec<usize>>,
    pub(crate) members: HashSet<usize>,
}

/// The part of a pattern before its first wildcard (`*` or `?`), and whether it has one.
pub(crate) fn literal_prefix(pattern: &str) -> (&str, bool) {
    match pattern.find(['*', '?']) {
        Some(at) => (pattern.get(..at).unwrap_or(""), true),
        None => (pattern, false),
    }
}

impl ArnIndex {
    /// Indexes `arns`: (resource, one of its ARNs) pairs.
    pub(crate) fn new<'s>(arns: impl IntoIterator<Item = (usize, &'s str)>) -> Self {
        let mut index = ArnIndex::default();
        for (r, arn) in arns {
            index.members.insert(r);
            let (literal, wild) = literal_prefix(arn);
            index.by_literal.push((literal.to_string(), r));
            if wild {
                index
                    .wildcard
                    .entry(literal.to_string())
                    .or_default()
                    .push(r);
            }
        }
        index.by_literal.sort_unstable();
        index
    }

    /// Adds to `out` every resource with an ARN that `pattern` may match (a superset: the
    /// caller matches each; a resource may come more than once). Two patterns can only share
    /// a string when their parts before their first wildcard agree as far as the shorter
    /// goes: an ARN that starts with the pattern's literal part, or a wildcard ARN whose
    /// literal part starts the pattern's.
    pub(crate) fn may_reach(&self, pattern: &str, out: &mut Vec<usize>) {
        let (literal, _) = literal_prefix(pattern);
        let from = self
            .by_literal
            .partition_point(|(l, _)| l.as_str() < literal);
        out.extend(
            self.by_literal
                .get(from..)
                .unwrap_or_default()
                .iter()
                .take_while(|(l, _)| l.starts_with(literal))
                .map(|(_, r)| *r),
        );
        for end in 0..literal.len() {
            if let Some(shorter) = literal.get(..end)
                && let Some(list) = self.wildcard.get(shorter)
            {
                out.extend(list);
            }
        }
    }

    pub(crate) fn all(&self, out: &mut Vec<usize>) {
        out.extend(self.members.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_arns_a_pattern_may_match_and_the_wildcard_arns_that_may_match_it() {
        let index = ArnIndex::new([
            (0, "arn:aws:s3:::phi-a"),
            (0, "arn:aws:s3:::phi-a/*"),
            (1, "arn:aws:s3:::phi-b"),
            (2, "arn:aws:s3:::logs"),
        ]);
        let reached = |pattern: &str| {
            let mut out = Vec::new();
            index.may_reach(pattern, &mut out);
            out.sort_unstable();
            out.dedup();
            out
        };
        assert_eq!(reached("arn:aws:s3:::phi-*"), vec![0, 1]);
        assert_eq!(reached("arn:aws:s3:::phi-a/report.pdf"), vec![0]);
        assert_eq!(reached("arn:aws:s3:::logs"), vec![2]);
        assert_eq!(reached("*"), vec![0, 1, 2]);
        assert!(reached("arn:aws:kms:*").is_empty());
    }
}
