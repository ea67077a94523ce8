//! Cohorts: PHI-bearing resources a principal's identity policies reach alike, found without
//! looking at each of them.
//!
//! A cohort is the PHI-bearing resources of one account and type, with the same kinds of
//! ARN, whose resource policies (if any) matter to no principal but those they name by ARN:
//! no statement that could change a grant (an `Allow`, an unconditional `Deny`) names
//! everyone, an account, or all but some. For a principal of that account, what it may do to
//! such a resource then depends only on which of its identity statements reach (an `Allow`)
//! or cover (a `Deny`) each of the resource's ARNs, and on whether the resource's policy
//! names it.
//!
//! A statement meets a cohort's ARNs at one position (a bucket's ARN, its objects' ARN...)
//! in one of two ways ([`Split`]): alike for every member but a few listed exceptions, found
//! through an index of the members' ARNs. A pattern such as `*` or `arn:aws:s3:::*` that
//! covers the prefix every member's ARN begins with has no exception; a narrow one
//! (`arn:aws:s3:::phi-a/*`) has as exceptions only the members it reaches. The members that
//! are an exception to none of a principal's statements, and whose policy does not name it,
//! have the same grants: the analysis works them out once, on one of them, however large the
//! cohort. This is what keeps a broad role in a large account from costing one step per
//! resource.

use std::sync::Arc;

use crate::arn_index::{ArnIndex, literal_prefix};
use crate::pattern;
use crate::policy::Patterns;

/// The resources of one cohort.
pub(crate) struct Cohort {
    pub(crate) account: String,
    /// Indices into the PHI index, ascending.
    pub(crate) members: Vec<usize>,
    /// By position among the members' ARNs ([`crate::access::targets`]): the longest prefix
    /// all of them begin with there.
    prefixes: Vec<String>,
    /// By position: the members' ARNs there.
    arns: Vec<ArnIndex>,
}

/// How a statement meets the members' ARNs at one position: alike for every member but
/// those in `except` (ascending), which meet it the other way. The exceptions are the fewer
/// of the two: a statement that reaches all members but one has that one as its exception.
#[derive(Clone)]
pub(crate) struct Split {
    pub(crate) except: Arc<[usize]>,
}

/// The longest common prefix of two strings, on a character boundary.
fn common_prefix<'s>(a: &'s str, b: &str) -> &'s str {
    let end = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((at, _), _)| at);
    a.get(..end).unwrap_or("")
}

/// Whether `pattern` is a literal followed by nothing but `*`, and every ARN that begins with
/// `prefix` is in it: then it covers (and intersects) every member's ARN.
fn covers_every(pattern: &str, prefix: &str) -> bool {
    let (literal, wild) = literal_prefix(pattern);
    wild && pattern
        .get(literal.len()..)
        .is_some_and(|tail| tail.chars().all(|c| c == '*'))
        && prefix.starts_with(literal)
}

impl Cohort {
    /// A cohort of `members` (ascending), whose ARNs by position are `arns_of(member)`.
    pub(crate) fn new<'t>(
        account: String,
        members: Vec<usize>,
        arns_of: impl Fn(usize) -> &'t [(&'static str, String)],
    ) -> Self {
        let width = members.first().map_or(0, |m| arns_of(*m).len());
        let mut prefixes: Vec<Option<&str>> = vec![None; width];
        for m in &members {
            for (slot, (_, arn)) in prefixes.iter_mut().zip(arns_of(*m)) {
                *slot = Some(match slot {
                    Some(known) => common_prefix(known, arn),
                    None => arn.as_str(),
                });
            }
        }
        let arns =
            (0..width)
                .map(|position| {
                    ArnIndex::new(members.iter().filter_map(|m| {
                        arns_of(*m).get(position).map(|(_, arn)| (*m, arn.as_str()))
                    }))
                })
                .collect();
        Cohort {
            account,
            prefixes: prefixes
                .into_iter()
                .map(|p| p.unwrap_or("").to_string())
                .collect(),
            members,
            arns,
        }
    }

    /// How `patterns` (a statement's `Resource` or `NotResource`) meet the members' ARNs at
    /// `position`: for an `Allow` (`deny` false), whether they reach each ARN
    /// ([`crate::policy::Statement::reaches`]); for an unconditional `Deny`, whether they
    /// cover it ([`crate::policy::Statement::covers_all`]). `arn_of(member)` is the member's
    /// ARN at `position`.
    pub(crate) fn split<'t>(
        &self,
        patterns: &Patterns,
        deny: bool,
        position: usize,
        arn_of: impl Fn(usize) -> Option<&'t str>,
    ) -> Split {
        let (listed, all_but) = match patterns {
            Patterns::Listed(p) => (p, false),
            Patterns::AllBut(p) => (p, true),
        };
        let prefix = self.prefixes.get(position).map_or("", String::as_str);
        if listed.iter().any(|p| covers_every(p, prefix)) {
            // Every ARN is in the patterns: reached and covered; outside the complement.
            return Split {
                except: Arc::from([]),
            };
        }
        // The members the patterns may touch; outside them, no pattern intersects (or
        // covers) the ARN.
        let mut candidates = Vec::new();
        if let Some(index) = self.arns.get(position) {
            for p in listed {
                index.may_reach(p, &mut candidates);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        // Listed, Allow: reached when some pattern intersects. Listed, Deny: covered when
        // some pattern covers. NotResource, Allow: reached unless some pattern covers.
        // NotResource, Deny: covered unless some pattern intersects.
        let by_intersection = deny == all_but;
        let touched = |arn: &str| {
            listed.iter().any(|p| {
                if by_intersection {
                    pattern::intersects(p, arn)
                } else {
                    pattern::covers(p, arn)
                }
            })
        };
        let touching: Vec<usize> = candidates
            .into_iter()
            .filter(|m| arn_of(*m).is_some_and(touched))
            .collect();
        let except = if touching.len() * 2 > self.members.len() {
            self.members
                .iter()
                .copied()
                .filter(|m| touching.binary_search(m).is_err())
                .collect()
        } else {
            touching
        };
        Split {
            except: except.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(names: &[&str]) -> Vec<Vec<(&'static str, String)>> {
        names
            .iter()
            .map(|n| {
                vec![
                    ("bucket", format!("arn:aws:s3:::{n}")),
                    ("object", format!("arn:aws:s3:::{n}/*")),
                ]
            })
            .collect()
    }

    fn split_of(
        targets: &[Vec<(&'static str, String)>],
        patterns: Patterns,
        deny: bool,
        position: usize,
    ) -> Vec<usize> {
        let cohort = Cohort::new("111122223333".into(), (0..targets.len()).collect(), |m| {
            targets.get(m).map_or(&[], Vec::as_slice)
        });
        let split = cohort.split(&patterns, deny, position, |m| {
            targets
                .get(m)
                .and_then(|t| t.get(position))
                .map(|(_, a)| a.as_str())
        });
        split.except.to_vec()
    }

    fn listed(p: &[&str]) -> Patterns {
        Patterns::Listed(p.iter().map(|s| s.to_string()).collect())
    }

    fn all_but(p: &[&str]) -> Patterns {
        Patterns::AllBut(p.iter().map(|s| s.to_string()).collect())
    }

    /// Checked against the statement's own test on every member: the members that are no
    /// exception all meet it alike, and opposite to each exception.
    #[test]
    fn the_members_that_are_no_exception_meet_a_statement_alike() {
        let targets = buckets(&["phi-a", "phi-b", "phi-ab", "logs"]);
        let cases = [
            listed(&["*"]),
            listed(&["arn:aws:s3:::*"]),
            listed(&["arn:aws:s3:::phi-a*"]),
            listed(&["arn:aws:s3:::phi-a/*"]),
            listed(&["arn:aws:s3:::*b*"]),
            listed(&["arn:aws:s3:::phi-?"]),
            all_but(&["arn:aws:s3:::phi-a", "arn:aws:s3:::phi-a/*"]),
            all_but(&["*"]),
            all_but(&["arn:aws:s3:::logs*"]),
        ];
        for patterns in cases {
            for deny in [false, true] {
                for position in 0..2 {
                    let except = split_of(&targets, patterns.clone(), deny, position);
                    let mut rest: Vec<bool> = Vec::new();
                    let mut exceptions: Vec<bool> = Vec::new();
                    for (m, t) in targets.iter().enumerate() {
                        let arn = t[position].1.as_str();
                        let statement = crate::policy::Statement {
                            effect: if deny {
                                crate::policy::Effect::Deny
                            } else {
                                crate::policy::Effect::Allow
                            },
                            actions: Arc::from([]),
                            resources: Arc::new(patterns.clone()),
                            conditional: false,
                            source: crate::policy::StatementRef {
                                kind: "inline",
                                policy: "p".into(),
                                attached_to: "role/r".into(),
                                index: 0,
                                sid: None,
                            },
                        };
                        let expected = if deny {
                            statement.covers_all(&[arn])
                        } else {
                            statement.reaches(&[arn])
                        };
                        if except.contains(&m) {
                            exceptions.push(expected);
                        } else {
                            rest.push(expected);
                        }
                    }
                    let context = format!("{patterns:?} deny={deny} at {position}");
                    rest.dedup();
                    assert!(rest.len() <= 1, "{context}: the rest differ");
                    if let Some(alike) = rest.first() {
                        assert!(
                            exceptions.iter().all(|e| e != alike),
                            "{context}: an exception meets it like the rest"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_exceptions_are_the_fewer_side() {
        let targets = buckets(&["phi-a", "phi-b"]);
        assert_eq!(
            split_of(&targets, listed(&["arn:aws:s3:::phi-*"]), false, 1),
            Vec::<usize>::new()
        );
        assert_eq!(
            split_of(&targets, all_but(&["*"]), true, 0),
            Vec::<usize>::new()
        );
        assert_eq!(
            split_of(&targets, listed(&["arn:aws:s3:::phi-a"]), false, 0),
            vec![0]
        );
        // Reaching all but one: that one is the exception.
        let targets = buckets(&["phi-a", "phi-b", "phi-c", "logs"]);
        assert_eq!(
            split_of(&targets, listed(&["arn:aws:s3:::phi-?"]), false, 0),
            vec![3]
        );
    }

    #[test]
    fn common_prefixes_end_on_character_boundaries() {
        assert_eq!(common_prefix("arn:é1", "arn:é2"), "arn:é");
        assert_eq!(common_prefix("arn:é", "arn:è"), "arn:");
        assert_eq!(common_prefix("abc", "ab"), "ab");
    }
}
