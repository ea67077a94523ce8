//! Walking one input's JSON: the top-level value and the lists streamed item by item.
//!
//! The top-level value is walked by a serde [`Visitor`]; the big lists (`configurationItems`,
//! `resources`, `Results`, `SecurityGroups`, ...) are consumed one element at a time, so a
//! snapshot file is never held as one `serde_json::Value`. Every other top-level key is
//! small and kept as a `Value` until the object ends, because keys come in any order and
//! some (`fileVersion`, `ResponseMetadata`, `Owner`) only tell what the lists meant after
//! the lists were read.
//!
//! When an object ends, [`FileState::finish_object`] names its format from what was seen
//! ([`crate::detect`]) and reads the keys that were kept.

use std::fmt;
use std::io::Read;

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use ward_model::Source;

use crate::api::ApiKind;
use crate::detect::Detected;
use crate::diagnostic::{Code, ImportDiagnostic};
use crate::format::Format;
use crate::normalize::{self, normalize_item};
use crate::reader::FileState;
use crate::split::{Failure, Input, Position, Split};

/// How deep arrays and objects may nest in an input: serde_json's recursion limit.
const JSON_DEPTH_LIMIT: usize = 128;

/// Which list an element came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// `configurationItems` / `baseConfigurationItems`.
    ConfigItems,
    /// A top-level JSON array of configuration items.
    Items,
    /// Ward's `resources`.
    WardResources,
    /// `select-resource-config`'s `Results` (JSON strings).
    SelectResults,
    Api(ApiKind),
}

/// The keys whose lists are streamed element by element, and what each list holds.
pub(crate) const LISTS: &[(&str, ListKind)] = &[
    ("configurationItems", ListKind::ConfigItems),
    ("baseConfigurationItems", ListKind::ConfigItems),
    ("resources", ListKind::WardResources),
    ("Results", ListKind::SelectResults),
    ("SecurityGroups", ListKind::Api(ApiKind::SecurityGroup)),
    ("DBInstances", ListKind::Api(ApiKind::DbInstance)),
    ("Buckets", ListKind::Api(ApiKind::Bucket)),
];

fn list_kind(key: &str) -> Option<ListKind> {
    LISTS
        .iter()
        .find(|(list, _)| *list == key)
        .map(|(_, kind)| *kind)
}

impl ListKind {
    /// The format assumed while the list is read (before the rest of the object is known).
    pub(crate) fn format(self) -> Format {
        match self {
            ListKind::ConfigItems => Format::ConfigApiItems,
            ListKind::Items => Format::ConfigurationItemList,
            ListKind::WardResources => Format::WardInventory,
            ListKind::SelectResults => Format::SelectResourceConfig,
            ListKind::Api(ApiKind::SecurityGroup) => Format::Ec2Api,
            ListKind::Api(ApiKind::DbInstance) => Format::RdsApi,
            ListKind::Api(ApiKind::Bucket) => Format::S3Api,
        }
    }
}

/// Walks the JSON text of one input into `state`: what its top-level value turned out to
/// be (`None` when the walk stopped on an error), and serde_json's error, if any.
pub(crate) fn read_json<R: Read>(
    state: &mut FileState,
    text: R,
) -> (Option<Detected>, Option<serde_json::Error>) {
    let input = Input::new(text);
    let mut de = serde_json::Deserializer::from_reader(&input);
    let seed = ObjectSeed {
        state,
        input: &input,
        depth: 0,
    };
    match seed.deserialize(&mut de) {
        Ok(detected) => (Some(detected), de.end().err()),
        Err(err) => (None, Some(err)),
    }
}

/// Walks one JSON value that should be an object (or, at the top, an array of items).
struct ObjectSeed<'s, 'r> {
    state: &'s mut FileState,
    /// The file's input, for splitting the lists met inside.
    input: &'s Input<'r>,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_> {
    type Value = Detected;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Detected, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_> {
    type Value = Detected;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Detected, A::Error> {
        let state = self.state;
        let start = state.resources.len();
        let mut lists = Vec::new();
        let mut keys = Vec::new();
        let mut rest = Map::new();
        let mut nested = None;
        while let Some(key) = map.next_key::<String>()? {
            if let Some(kind) = list_kind(&key) {
                if state.format.is_none() {
                    state.format = Some(kind.format());
                }
                map.next_value_seed(ListSeed {
                    state: &mut *state,
                    input: self.input,
                    kind,
                    key: &key,
                })?;
                lists.push(kind);
            } else if key == "data" && self.depth == 0 {
                nested = Some(map.next_value_seed(ObjectSeed {
                    state: &mut *state,
                    input: self.input,
                    depth: 1,
                })?);
            } else {
                if key == "Snapshots" {
                    // Just past the key: back to its opening quote (an unescaped key).
                    let after = self.input.position();
                    state.snapshots_key = Some(Position {
                        line: after.line,
                        column: after.column.saturating_sub(key.len() + 2).max(1),
                    });
                }
                let value: Value = map.next_value()?;
                rest.insert(key.clone(), value);
            }
            keys.push(key);
        }
        Ok(state.finish_object(&lists, rest, nested, &keys, start, self.depth))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Detected, A::Error> {
        self.state.format = Some(Format::ConfigurationItemList);
        stream_list(self.state, self.input, ListKind::Items, seq)?;
        Ok(Detected::Format(Format::ConfigurationItemList))
    }

    fn visit_unit<E>(self) -> Result<Detected, E> {
        Ok(Detected::Unknown("`null`".into()))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Detected, E> {
        Ok(Detected::Unknown("a boolean".into()))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Detected, E> {
        Ok(Detected::Unknown("a number".into()))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Detected, E> {
        Ok(Detected::Unknown("a number".into()))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Detected, E> {
        Ok(Detected::Unknown("a number".into()))
    }

    fn visit_str<E>(self, _: &str) -> Result<Detected, E> {
        Ok(Detected::Unknown("a string".into()))
    }
}

/// The elements of a list, split off the input at scan speed and each parsed on its own:
/// configuration items on every core ([`stream_items`]), anything else here, in order.
/// `seq` is serde_json's view of the list, which the split leaves at its `]`; any failure
/// is kept in `state` (the first in the input) and stops the reading of the file.
fn stream_list<'de, A: SeqAccess<'de>>(
    state: &mut FileState,
    input: &Input<'_>,
    kind: ListKind,
    _seq: A,
) -> Result<(), A::Error> {
    if matches!(kind, ListKind::ConfigItems | ListKind::Items) {
        return stream_items(state, input);
    }
    let split = input.split_list(
        |element| match serde_json::from_slice::<Value>(element.text) {
            Ok(value) => {
                state.progress.add_item();
                state.handle_element(kind, element.index, value);
                true
            }
            Err(err) => {
                state.failure = Some(Failure::from_serde(&err, element.at));
                false
            }
        },
    );
    list_read(state, split)
}

/// serde_json goes on after a list only when every element of it was read.
fn list_read<E: serde::de::Error>(
    state: &mut FileState,
    split: Result<Split, Failure>,
) -> Result<(), E> {
    match split {
        Ok(Split::Ended) if state.failure.is_none() => Ok(()),
        Ok(_) => Err(E::custom("the list could not be read")),
        Err(failure) => {
            state.failure.get_or_insert(failure);
            Err(E::custom("the list could not be read"))
        }
    }
}

/// Items handed to the parsing threads at a time, at most.
const ITEM_BATCH: usize = 256;
/// Bytes of item text handed to the parsing threads at a time, at most (about).
const ITEM_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Configuration items' texts, copied off the input one after the other.
#[derive(Default)]
struct ItemBatch {
    text: Vec<u8>,
    items: Vec<(std::ops::Range<usize>, Position, usize)>,
}

/// One item that could not become a resource.
enum ItemProblem {
    /// The item is not what Ward reads (or too deep): a diagnostic; the others go on.
    Item(ImportDiagnostic),
    /// The item is not JSON: the file stops there.
    Syntax(Failure),
}

/// Configuration items. This thread only finds where each item starts and ends
/// ([`Input::split_list`]); their texts go, a batch at a time, to every core, where each is
/// parsed (projected to the fields the controls read, [`crate::project`]) and normalized.
/// Items keep their order. After a syntax error the items before it are kept, as if read
/// one at a time, and the rest of the file is not read.
fn stream_items<E: serde::de::Error>(state: &mut FileState, input: &Input<'_>) -> Result<(), E> {
    let needs = state.needs.clone();
    let file = state.name.clone();
    let progress = state.progress.clone();
    let broken = std::sync::atomic::AtomicBool::new(false);
    let (sender, receiver) = std::sync::mpsc::sync_channel::<ItemBatch>(4);
    let (split, parsed) = std::thread::scope(|scope| {
        let broken = &broken;
        let workers = scope.spawn(move || {
            let mut parsed = Vec::new();
            for batch in receiver {
                parsed.extend(
                    batch
                        .items
                        .par_iter()
                        .map(|(range, at, index)| {
                            let text = batch.text.get(range.clone()).unwrap_or_default();
                            let source = Source {
                                format: String::new(),
                                file: Some(file.clone()),
                                index: Some(*index),
                            };
                            let item = parse_item(text, *at, &needs, source);
                            if matches!(item, Err(ItemProblem::Syntax(_))) {
                                broken.store(true, std::sync::atomic::Ordering::Relaxed);
                            }
                            item.map(|mut normalized| {
                                // What the inventory would do on insert, done here on every
                                // core: keep only what the controls read, and redact it.
                                if !needs.is_everything() {
                                    needs.project(&mut normalized.resource);
                                }
                                let redactions =
                                    crate::redact::redact_resource(&mut normalized.resource);
                                (normalized, redactions)
                            })
                        })
                        .collect::<Vec<_>>(),
                );
            }
            parsed
        });
        let mut batch = ItemBatch::default();
        let split = input.split_list(|element| {
            progress.add_item();
            let start = batch.text.len();
            batch.text.extend_from_slice(element.text);
            batch
                .items
                .push((start..batch.text.len(), element.at, element.index));
            if batch.items.len() == ITEM_BATCH || batch.text.len() >= ITEM_BATCH_BYTES {
                // The workers only stop early by panicking, reported below.
                if sender.send(std::mem::take(&mut batch)).is_err() {
                    return false;
                }
            }
            !broken.load(std::sync::atomic::Ordering::Relaxed)
        });
        if !batch.items.is_empty() {
            let _ = sender.send(batch);
        }
        drop(sender);
        (split, workers.join())
    });
    let first = state.resources.len();
    match parsed {
        Ok(parsed) => {
            for item in parsed {
                match item {
                    Ok((normalized, redactions)) => {
                        if !redactions.is_empty() {
                            let index = state.resources.len();
                            state.prepared_redactions.push((index, redactions));
                        }
                        state.take_normalized(Ok(normalized));
                    }
                    Err(ItemProblem::Item(diagnostic)) => state.diagnostics.push(diagnostic),
                    Err(ItemProblem::Syntax(failure)) => {
                        state.failure = Some(failure);
                        break;
                    }
                }
            }
        }
        Err(_) => {
            let problem = state.error(
                Code::Io,
                "the configuration items could not be normalized (internal error)",
            );
            state.diagnostics.push(problem);
        }
    }
    let end = state.resources.len();
    if end > first {
        state.prepared.push(first..end);
    }
    list_read(state, split)
}

/// One configuration item from its text, projected to what the controls read, then
/// normalized. `at` is where the text starts in the input.
fn parse_item(
    text: &[u8],
    at: Position,
    needs: &ward_model::FieldNeeds,
    source: Source,
) -> Result<normalize::Normalized, ItemProblem> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let parsed = if needs.is_everything() {
        Value::deserialize(&mut de)
    } else {
        crate::project::ItemSeed { needs }.deserialize(&mut de)
    }
    .and_then(|value| de.end().map(|()| value));
    match parsed {
        Ok(value) => normalize_item(value, source).map_err(ItemProblem::Item),
        // The split does not count nesting against a limit; the parse does, and an item
        // too deep is refused alone.
        Err(err) if err.to_string().contains("recursion limit") => Err(ItemProblem::Item(
            ImportDiagnostic::error(
                Code::Item,
                source.file.clone().unwrap_or_default(),
                format!(
                    "item nests arrays and objects more than {JSON_DEPTH_LIMIT} deep \
                         (serde_json's recursion limit); it is not read"
                ),
            )
            .with_index(source.index),
        )),
        Err(err) => Err(ItemProblem::Syntax(Failure::from_serde(&err, at))),
    }
}

/// Streams one list-valued key element by element.
struct ListSeed<'s, 'r> {
    state: &'s mut FileState,
    input: &'s Input<'r>,
    kind: ListKind,
    key: &'s str,
}

impl ListSeed<'_, '_> {
    fn not_a_list(self, found: &str) {
        let diagnostic = self.state.error(
            Code::UnknownFormat,
            format!("`{}` is {found}, expected a list", self.key),
        );
        self.state.diagnostics.push(diagnostic);
    }
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        stream_list(self.state, self.input, self.kind, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.not_a_list("an object");
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_a_list("a boolean");
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_a_list("a number");
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_a_list("a number");
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_a_list("a number");
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_a_list("a string");
        Ok(())
    }
}
