//! Format detection: an ordered table of recognizers, [`RECOGNIZERS`].
//!
//! When a JSON object ends, what is known of it (a [`Seen`]: the lists streamed from it,
//! its other keys with their values, the file's name, what a recording's `data` turned out
//! to be) goes down the table; the first row that recognizes it names its format, as a
//! [`Found`] that carries what the reader needs. When no row does, the object is
//! [`unrecognized`] and the file gets the unknown-format error. A top-level array is a list
//! of configuration items and a top-level scalar is unrecognized without asking the table
//! (`ObjectSeed` in `stream.rs`); a file starting `us` is the credential report's CSV and
//! never reaches JSON (`discover.rs`).
//!
//! # Adding a format
//!
//! 1. `format.rs`: a [`Format`] variant, its `source_format` and `description`, and its
//!    phrase in `ACCEPTED` (the help of the unknown-format error).
//! 2. `detect.rs` (here): a row in [`RECOGNIZERS`], placed as the order notes there say,
//!    and, when its reader needs something the row learned, a [`Found`] variant for it.
//! 3. `reader.rs`: the arm of `FileState::read_found` that reads the object's kept keys
//!    (for a family of responses, a module of its own called from there, as
//!    `account_facts.rs`, `service_facts.rs` and `api.rs` are).
//! 4. Only when its resources come in a list big enough to stream: the list's key in
//!    `LISTS` (`stream.rs`) with a `ListKind` variant, the format assumed while the list is
//!    read in `ListKind::format`, and the element reader in `FileState::handle_element`.
//! 5. Its row in the accepted-inputs table of `crates/ward-import/README.md`, its resource
//!    shapes in `docs/inventory-format.md` when it brings new ones, and a test in
//!    `crates/ward-import/tests/formats.rs`.

use serde_json::{Map, Value};

use crate::account_facts::{self, SnapshotsOutput};
use crate::api::ApiKind;
use crate::format::Format;
use crate::service_facts;
use crate::stream::ListKind;

/// What an object turned out to be.
#[derive(Debug, Clone)]
pub(crate) enum Detected {
    Format(Format),
    /// `{}`.
    Empty,
    /// Nothing recognized; says what was found.
    Unknown(String),
}

/// What is known of one JSON object when it ends.
pub(crate) struct Seen<'a> {
    /// The input's name. Content decides, but two formats need the name too: the query a
    /// `describe-snapshots` output answers, and the operation of a placebo recording.
    pub(crate) file: &'a str,
    /// The lists streamed from the object (their elements are read already), in order.
    pub(crate) lists: &'a [ListKind],
    /// Every other key, with its value (small, kept until the object ended).
    pub(crate) rest: &'a Map<String, Value>,
    /// What the `data` object of a placebo recording turned out to be (at the top only).
    pub(crate) data: Option<&'a Detected>,
    /// 0 at the top, 1 inside a recording's `data`.
    pub(crate) depth: u8,
}

impl Seen<'_> {
    fn has(&self, key: &str) -> bool {
        self.rest.contains_key(key)
    }

    /// The object's first streamed list was a `kind` list: its format is that list's.
    fn first_list(&self, kind: ListKind) -> Option<Found> {
        (self.lists.first() == Some(&kind)).then(|| Found::List {
            kind,
            format: kind.format(),
        })
    }
}

/// What a recognizer found: the format, with what its reader (`FileState::read_found`)
/// needs to know.
pub(crate) enum Found {
    /// An object whose first streamed list decided it; the list's elements are read.
    List {
        kind: ListKind,
        format: Format,
    },
    /// `rds.ModifyDBInstance` output: one `DBInstance`.
    DbInstance,
    AccountFacts(account_facts::Recognized),
    /// `ec2 describe-snapshots` output: the public-snapshot list, or refused.
    Snapshots(SnapshotsOutput),
    ServiceFacts(service_facts::Spec),
    /// A Config rule event, or its invoking event.
    Event,
    /// One configuration item.
    Item,
    /// A placebo recording `{"status_code": 200, "data": {...}}`: what its `data` is.
    Recording(Detected),
    /// A response that describes no resource, with the operation's name.
    NoResources(String),
}

/// One row of the table.
pub(crate) struct Recognizer {
    /// The format the row recognizes, as the user reads it: the row's name for the reader
    /// of this table and for its tests (what the row found carries the [`Format`] itself).
    #[cfg_attr(not(test), expect(dead_code, reason = "a name for readers and tests"))]
    pub(crate) format: &'static str,
    /// From what is known of an object, whether it is this format.
    pub(crate) recognize: fn(&Seen<'_>) -> Option<Found>,
}

/// The recognizers, tried in order; the first that recognizes an object names its format.
///
/// The order, and why:
/// - The list rows come first: a list's elements were read into resources as they streamed
///   by, so the object is its first list's format whatever else it holds.
/// - Among them, the Config snapshot before the Config API items: the same list, told
///   apart by the snapshot's own keys.
/// - Every row that asks for a key of its own comes before the recording, the recording
///   before the no-resource row, and that one last: a recording's verdict is its `data`'s,
///   and "describes no resource" is what an object with nothing but envelope keys left is.
/// - Among the rows that each ask for keys of their own (`DBInstance` to the item), the
///   order matters only for an object with the keys of two formats: the earlier row wins.
///   One such order is needed: the event before the item, because an event is told by its
///   own keys (`invokingEvent`, `configurationItem`, ...) even beside a `resourceType`,
///   while the event row leaves an item that only has a `messageType` to the item row.
pub(crate) const RECOGNIZERS: &[Recognizer] = &[
    Recognizer {
        format: "AWS Config snapshot",
        recognize: |seen| {
            let snapshot = seen.has("fileVersion") || seen.has("configSnapshotId");
            let items = seen.lists.first() == Some(&ListKind::ConfigItems);
            (snapshot && items).then_some(Found::List {
                kind: ListKind::ConfigItems,
                format: Format::ConfigSnapshot,
            })
        },
    },
    Recognizer {
        format: "Config API configuration items",
        recognize: |seen| seen.first_list(ListKind::ConfigItems),
    },
    Recognizer {
        format: "Ward inventory",
        recognize: |seen| seen.first_list(ListKind::WardResources),
    },
    Recognizer {
        format: "select-resource-config output",
        recognize: |seen| seen.first_list(ListKind::SelectResults),
    },
    Recognizer {
        format: "EC2 DescribeSecurityGroups response",
        recognize: |seen| seen.first_list(ListKind::Api(ApiKind::SecurityGroup)),
    },
    Recognizer {
        format: "RDS DescribeDBInstances response",
        recognize: |seen| seen.first_list(ListKind::Api(ApiKind::DbInstance)),
    },
    Recognizer {
        format: "S3 ListBuckets response",
        recognize: |seen| seen.first_list(ListKind::Api(ApiKind::Bucket)),
    },
    Recognizer {
        format: "RDS ModifyDBInstance response",
        recognize: |seen| seen.has("DBInstance").then_some(Found::DbInstance),
    },
    Recognizer {
        format: "account-level facts",
        recognize: |seen| account_facts::recognize(seen.rest).map(Found::AccountFacts),
    },
    Recognizer {
        format: "EC2 describe-snapshots output",
        recognize: |seen| {
            account_facts::recognize_snapshots(seen.rest, seen.file).map(Found::Snapshots)
        },
    },
    Recognizer {
        format: "service facts",
        recognize: |seen| service_facts::recognize(seen.rest).map(Found::ServiceFacts),
    },
    Recognizer {
        format: "AWS Config rule event",
        recognize: |seen| {
            let event = [
                "invokingEvent",
                "configurationItem",
                "configurationItemSummary",
            ]
            .iter()
            .any(|k| seen.has(k))
                || (seen.has("messageType") && !seen.has("resourceType"));
            event.then_some(Found::Event)
        },
    },
    Recognizer {
        format: "AWS Config configuration item",
        recognize: |seen| seen.has("resourceType").then_some(Found::Item),
    },
    Recognizer {
        format: "placebo recording",
        recognize: |seen| seen.data.cloned().map(Found::Recording),
    },
    Recognizer {
        format: "response describing no resource",
        recognize: no_resources,
    },
];

/// The format of an object, from the first row of [`RECOGNIZERS`] that recognizes it.
pub(crate) fn recognize(seen: &Seen<'_>) -> Option<Found> {
    RECOGNIZERS.iter().find_map(|row| (row.recognize)(seen))
}

/// Keys that only say something about pagination or the HTTP exchange.
const ENVELOPE_KEYS: &[&str] = &["ResponseMetadata", "NextToken", "nextToken", "Marker"];

/// A response that describes no resource: `s3.GetBucketLogging`'s (`LoggingEnabled` alone,
/// which does not name its bucket), or nothing but envelope keys, in a recording or beside
/// a `ResponseMetadata`. The operation comes from a placebo file name when there is one.
fn no_resources(seen: &Seen<'_>) -> Option<Found> {
    let meaningful = seen
        .rest
        .keys()
        .filter(|k| !ENVELOPE_KEYS.contains(&k.as_str()))
        .count();
    if meaningful == 1 && seen.has("LoggingEnabled") {
        Some(Found::NoResources("s3.GetBucketLogging".to_string()))
    } else if meaningful == 0 && (seen.depth > 0 || seen.has("ResponseMetadata")) {
        Some(Found::NoResources(
            placebo_operation(seen.file).unwrap_or_else(|| "aws-api-response".to_string()),
        ))
    } else {
        None
    }
}

/// What an object no row recognized is: empty, or unknown, with (at most twelve of) the keys
/// it had, all of them, streamed lists included, in the order met.
pub(crate) fn unrecognized(keys: &[String], depth: u8) -> Detected {
    if keys.is_empty() {
        return Detected::Empty;
    }
    let listed = keys
        .iter()
        .take(12)
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let more = if keys.len() > 12 { ", …" } else { "" };
    Detected::Unknown(if depth == 0 {
        format!("top-level keys {listed}{more}")
    } else {
        format!("keys of `data` {listed}{more}")
    })
}

/// `ec2.RevokeSecurityGroupIngress` from a placebo file name
/// `…/ec2.RevokeSecurityGroupIngress_1.json(.gz)`.
pub(crate) fn placebo_operation(name: &str) -> Option<String> {
    let file = name.rsplit(['/', '\\']).next()?;
    let stem = file.strip_suffix(".gz").unwrap_or(file);
    let stem = stem.strip_suffix(".json")?;
    let (service, rest) = stem.split_once('.')?;
    let (operation, number) = rest.rsplit_once('_')?;
    let valid = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && operation
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
        && operation.chars().all(|c| c.is_ascii_alphanumeric())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit());
    valid.then(|| format!("{service}.{operation}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_streamed_list_has_its_row() {
        let rest = Map::new();
        for (key, kind) in crate::stream::LISTS {
            let seen = Seen {
                file: "a.json",
                lists: &[*kind],
                rest: &rest,
                data: None,
                depth: 0,
            };
            match recognize(&seen) {
                Some(Found::List {
                    kind: found,
                    format,
                }) => {
                    assert_eq!(found, *kind, "`{key}`");
                    assert_eq!(format, kind.format(), "`{key}`");
                }
                _ => panic!("no list row recognizes `{key}`"),
            }
        }
    }

    #[test]
    fn rows_name_distinct_formats() {
        let mut names: Vec<&str> = RECOGNIZERS.iter().map(|row| row.format).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RECOGNIZERS.len());
    }

    #[test]
    fn placebo_names() {
        assert_eq!(
            placebo_operation("a/b/ec2.RevokeSecurityGroupIngress_1.json").as_deref(),
            Some("ec2.RevokeSecurityGroupIngress")
        );
        assert_eq!(
            placebo_operation("s3.GetBucketLogging_12.json.gz").as_deref(),
            Some("s3.GetBucketLogging")
        );
        assert_eq!(placebo_operation("snapshot.json"), None);
        assert_eq!(placebo_operation("AWS_S3_Bucket.json"), None);
    }
}
