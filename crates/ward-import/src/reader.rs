//! Reading one input stream: gzip detection, format detection and item-by-item streaming.
//!
//! The top-level value is walked by a serde [`Visitor`]; the big lists (`configurationItems`,
//! `resources`, `Results`, `SecurityGroups`, ...) are consumed one element at a time, so a
//! snapshot file is never held as one `serde_json::Value`. Every other top-level key is
//! small and kept as a `Value` until the object ends, because keys come in any order and
//! some (`fileVersion`, `ResponseMetadata`, `Owner`) only tell what the lists meant after
//! the lists were read.

use std::fmt;
use std::fs;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use miette::{NamedSource, SourceSpan};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use ward_model::{Inventory, Resource, Source};

use crate::account_facts::{self, PendingFact};
use crate::api::{self, ApiKind};
use crate::diagnostic::{Code, ImportDiagnostic};
use crate::format::{ACCEPTED, Format};
use crate::normalize::{self, json_kind, normalize_item};
use crate::service_facts;
use crate::split::{Failure, FailureKind, Input, Position, Split};
use crate::{FileReport, ImportReport};

/// Files whose (decompressed) text is at most this big keep their text for diagnostics,
/// so a syntax error can be underlined.
pub(crate) const SOURCE_LIMIT: usize = 8 * 1024 * 1024;

/// How deep arrays and objects may nest in an input: serde_json's recursion limit.
const JSON_DEPTH_LIMIT: usize = 128;

/// Keys that only say something about pagination or the HTTP exchange.
const ENVELOPE_KEYS: &[&str] = &["ResponseMetadata", "NextToken", "nextToken", "Marker"];

pub(crate) fn import_path(path: &Path, inventory: &mut Inventory) -> ImportReport {
    let mut report = ImportReport::default();
    match fs::metadata(path) {
        Err(err) => report.files.push(io_report(path, "could not open", &err)),
        Ok(meta) if meta.is_dir() => {
            // `*.json`, `*.json.gz` and `*.csv` (the credential report), any case.
            let walk = ward_model::walk::walk_files(path, &|p| {
                [".json", ".json.gz", ".csv"]
                    .iter()
                    .any(|s| ward_model::walk::has_suffix(p, s))
            });
            for problem in &walk.problems {
                report
                    .files
                    .push(io_report(&problem.path, "could not read", &problem.error));
            }
            for file in walk.files {
                report.files.push(import_file(&file, inventory));
            }
        }
        Ok(_) => report.files.push(import_file(path, inventory)),
    }
    report
}

fn io_report(path: &Path, what: &str, err: &io::Error) -> FileReport {
    let name = path.display().to_string();
    FileReport {
        diagnostics: vec![ImportDiagnostic::error(
            Code::Io,
            name.clone(),
            format!("{what} `{name}`: {err}"),
        )],
        path: name,
        format: None,
        resources: 0,
        redactions: Vec::new(),
        pending: Vec::new(),
    }
}

fn import_file(path: &Path, inventory: &mut Inventory) -> FileReport {
    match fs::File::open(path) {
        Ok(file) => read_stream(&path.display().to_string(), file, inventory),
        Err(err) => io_report(path, "could not open", &err),
    }
}

/// Reads one input (plain or gzip JSON) into `inventory`.
pub(crate) fn read_stream<R: Read>(name: &str, reader: R, inventory: &mut Inventory) -> FileReport {
    let mut state = FileState::new(name);
    state.needs = inventory.field_needs().clone();
    let mut reader = reader;
    let head = match read_head(&mut reader) {
        Ok(head) => head,
        Err(err) => {
            state.diagnostics.push(ImportDiagnostic::error(
                Code::Io,
                name,
                format!("could not read `{name}`: {err}"),
            ));
            return state.finish(inventory);
        }
    };
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if head.starts_with(b"us") {
        // No JSON text starts with `us`: the credential report CSV (`user,arn,...`).
        return read_csv(&mut state, head, reader, inventory);
    }
    let raw = io::Cursor::new(head).chain(reader);
    let decoded = if gzip {
        Decoded::Gzip(Box::new(MultiGzDecoder::new(BufReader::new(raw))))
    } else {
        Decoded::Plain(raw)
    };
    let mut capture = Capture {
        inner: decoded,
        kept: Some(Vec::new()),
        total: 0,
    };
    let (detected, error) = {
        let input = Input::new(&mut capture);
        let mut de = serde_json::Deserializer::from_reader(&input);
        let seed = ObjectSeed {
            state: &mut state,
            input: &input,
            depth: 0,
        };
        match seed.deserialize(&mut de) {
            Ok(detected) => (Some(detected), de.end().err()),
            Err(err) => (None, Some(err)),
        }
    };
    if let Some(detected) = detected {
        state.detected(detected);
    }
    // A list's own failure (the split, or one of its elements) is the first in the input;
    // serde_json's is only a consequence of it then.
    let failure = state
        .failure
        .take()
        .or_else(|| error.map(|err| Failure::from_serde(&err, Position { line: 1, column: 1 })));
    if let Some(failure) = failure {
        state.json_error(failure, &mut capture, gzip);
    } else if state
        .diagnostics
        .iter()
        .any(|d| d.line_column.is_some() && d.source_code.is_none())
        && let Some(text) = capture.finish()
    {
        state.show_locations(text);
    }
    state.finish(inventory)
}

/// The credential report as CSV.
fn read_csv<R: Read>(
    state: &mut FileState,
    head: Vec<u8>,
    reader: R,
    inventory: &mut Inventory,
) -> FileReport {
    let mut bytes = Vec::new();
    let read = io::Cursor::new(head)
        .chain(reader)
        .take(account_facts::CSV_LIMIT + 1)
        .read_to_end(&mut bytes);
    let name = state.name.clone();
    let mut done = std::mem::replace(state, FileState::new(&name));
    match read {
        Err(err) => done
            .diagnostics
            .push(done.error(Code::Io, format!("could not read `{name}`: {err}"))),
        Ok(_) if bytes.len() as u64 > account_facts::CSV_LIMIT => {
            done.diagnostics.push(done.error(
                Code::Io,
                format!(
                    "`{name}` is larger than {} MiB; a credential report that large is not read",
                    account_facts::CSV_LIMIT / (1024 * 1024)
                ),
            ))
        }
        Ok(_) => {
            let read = account_facts::read_credential_report_csv(&bytes, None, &name);
            done.format = Some(Format::CredentialReportCsv);
            done.take_facts(read);
        }
    }
    done.finish(inventory)
}

/// The first two bytes (fewer at the end of input), enough to recognize gzip.
fn read_head<R: Read>(reader: &mut R) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(2);
    reader.by_ref().take(2).read_to_end(&mut head)?;
    Ok(head)
}

enum Decoded<R: Read> {
    Plain(R),
    Gzip(Box<MultiGzDecoder<BufReader<R>>>),
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoded::Plain(r) => r.read(buf),
            Decoded::Gzip(r) => r.read(buf),
        }
    }
}

/// Passes bytes through and keeps a copy of them while they fit in [`SOURCE_LIMIT`].
struct Capture<R> {
    inner: R,
    kept: Option<Vec<u8>>,
    total: u64,
}

impl<R: Read> Read for Capture<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if let Some(kept) = &mut self.kept {
            if kept.len() + n > SOURCE_LIMIT {
                self.kept = None;
            } else if let Some(bytes) = buf.get(..n) {
                kept.extend_from_slice(bytes);
            }
        }
        Ok(n)
    }
}

impl<R: Read> Capture<R> {
    /// Reads the rest of the input (while it fits) and returns the whole text.
    fn finish(&mut self) -> Option<String> {
        let mut scratch = [0_u8; 64 * 1024];
        while self.kept.is_some() {
            match self.read(&mut scratch) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        self.kept
            .take()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Which list an element came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
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

fn list_kind(key: &str) -> Option<ListKind> {
    Some(match key {
        "configurationItems" | "baseConfigurationItems" => ListKind::ConfigItems,
        "resources" => ListKind::WardResources,
        "Results" => ListKind::SelectResults,
        "SecurityGroups" => ListKind::Api(ApiKind::SecurityGroup),
        "DBInstances" => ListKind::Api(ApiKind::DbInstance),
        "Buckets" => ListKind::Api(ApiKind::Bucket),
        _ => return None,
    })
}

impl ListKind {
    /// The format assumed while the list is read (before the rest of the object is known).
    fn format(self) -> Format {
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

/// What an object turned out to be.
enum Detected {
    Format(Format),
    /// `{}`.
    Empty,
    /// Nothing recognized; says what was found.
    Unknown(String),
}

/// Everything learned about one file so far.
struct FileState {
    name: String,
    resources: Vec<Resource>,
    diagnostics: Vec<ImportDiagnostic>,
    format: Option<Format>,
    /// Account facts that wait for their account to be known.
    pending: Vec<PendingFact>,
    /// What the evaluation reads of each configuration (the inventory's): the rest of a
    /// configuration item is skipped while reading.
    needs: ward_model::FieldNeeds,
    /// The first failure met splitting a list or parsing one of its elements.
    failure: Option<Failure>,
    /// Where the `Snapshots` key is, for a diagnostic about it.
    snapshots_key: Option<Position>,
    /// Resources (index ranges of `resources`) already projected and redacted on the
    /// parsing threads, with their redactions, in order.
    prepared: Vec<std::ops::Range<usize>>,
    prepared_redactions: Vec<(usize, Vec<ward_model::Redaction>)>,
}

impl FileState {
    fn new(name: &str) -> Self {
        FileState {
            name: name.to_string(),
            resources: Vec::new(),
            diagnostics: Vec::new(),
            format: None,
            pending: Vec::new(),
            needs: ward_model::FieldNeeds::everything(),
            failure: None,
            snapshots_key: None,
            prepared: Vec::new(),
            prepared_redactions: Vec::new(),
        }
    }

    fn take_facts(&mut self, read: account_facts::Read) {
        self.resources.extend(read.resources);
        self.pending.extend(read.pending);
        self.diagnostics.extend(read.diagnostics);
    }

    fn source(&self, index: Option<usize>) -> Source {
        Source {
            format: String::new(),
            file: Some(self.name.clone()),
            index,
        }
    }

    fn error(&self, code: Code, message: impl Into<String>) -> ImportDiagnostic {
        ImportDiagnostic::error(code, self.name.clone(), message)
    }

    fn info(&self, code: Code, message: impl Into<String>) -> ImportDiagnostic {
        ImportDiagnostic::info(code, self.name.clone(), message)
    }

    fn warning(&self, code: Code, message: impl Into<String>) -> ImportDiagnostic {
        ImportDiagnostic::warning(code, self.name.clone(), message)
    }

    fn handle_element(&mut self, kind: ListKind, index: usize, value: Value) {
        let index = Some(index);
        match kind {
            ListKind::ConfigItems | ListKind::Items => self.push_item(value, index),
            ListKind::WardResources => self.push_ward(value, index),
            ListKind::SelectResults => self.push_select(value, index),
            ListKind::Api(api) => self.push_api(api, value, index),
        }
    }

    fn push_item(&mut self, value: Value, index: Option<usize>) {
        let normalized = normalize_item(value, self.source(index));
        self.take_normalized(normalized);
    }

    /// A normalized item (with its warnings), or why it could not be.
    fn take_normalized(&mut self, item: Result<normalize::Normalized, ImportDiagnostic>) {
        match item {
            Ok(normalized) => {
                self.diagnostics.extend(normalized.warnings);
                self.resources.push(normalized.resource);
            }
            Err(diagnostic) => self.diagnostics.push(diagnostic),
        }
    }

    /// A resource of Ward's own snapshot: already normalized, read as is. Its `source` (the
    /// file it was first imported from) is kept when present.
    fn push_ward(&mut self, value: Value, index: Option<usize>) {
        let id = value
            .get("resourceId")
            .and_then(Value::as_str)
            .map(str::to_string);
        match serde_json::from_value::<Resource>(value) {
            Ok(mut resource)
                if !resource.resource_type.is_empty() && !resource.resource_id.is_empty() =>
            {
                if resource.source.format.is_empty() {
                    resource.source = self.source(index);
                }
                self.resources.push(resource);
            }
            Ok(_) => self.diagnostics.push(
                self.error(
                    Code::Item,
                    "resource has an empty `resourceType` or `resourceId`",
                )
                .with_index(index)
                .with_resource_id(id),
            ),
            Err(err) => self.diagnostics.push(
                self.error(
                    Code::Item,
                    format!("resource does not match the inventory format: {err}"),
                )
                .with_index(index)
                .with_resource_id(id)
                .with_help("see docs/inventory-format.md for the resource fields"),
            ),
        }
    }

    /// One `select-resource-config` result: a JSON string holding a partial item.
    fn push_select(&mut self, value: Value, index: Option<usize>) {
        let parsed = match value {
            Value::String(text) => match serde_json::from_str::<Value>(&text) {
                Ok(parsed) => parsed,
                Err(err) => {
                    self.diagnostics.push(
                        self.error(Code::Item, format!("result is not valid JSON: {err}"))
                            .with_index(index)
                            .with_help(format!(
                                "the result is a string of {} characters (not shown)",
                                text.chars().count()
                            )),
                    );
                    return;
                }
            },
            other => other,
        };
        let Value::Object(mut obj) = parsed else {
            self.diagnostics.push(
                self.error(
                    Code::Item,
                    format!("result is {}, expected a JSON object", json_kind(&parsed)),
                )
                .with_index(index),
            );
            return;
        };
        if !obj.contains_key("resourceType") || !obj.contains_key("resourceId") {
            match infer_identity(&obj) {
                Some(identity) => {
                    self.diagnostics.push(
                        self.info(
                            Code::Inferred,
                            format!(
                                "result has no `resourceType`/`resourceId`; inferred `{}` `{}` from its configuration",
                                identity.resource_type, identity.resource_id
                            ),
                        )
                        .with_index(index)
                        .with_resource_id(Some(identity.resource_id.clone()))
                        .with_help("select `resourceType, resourceId, accountId, awsRegion` in the query to avoid the guess"),
                    );
                    identity.apply(&mut obj);
                }
                None => {
                    self.diagnostics.push(
                        self.error(
                            Code::Item,
                            "result has no `resourceType`/`resourceId` and they cannot be inferred from the selected fields",
                        )
                        .with_index(index)
                        .with_help("select `resourceType, resourceId, configuration` (and `accountId, awsRegion, tags, relationships`) in the query"),
                    );
                    return;
                }
            }
        }
        self.push_item(Value::Object(obj), index);
    }

    fn push_api(&mut self, api: ApiKind, value: Value, index: Option<usize>) {
        let id = api.id_of(&value);
        match api.to_item(value) {
            Ok(item) => self.push_item(item, index),
            Err(message) => self.diagnostics.push(
                self.error(Code::Item, message)
                    .with_index(index)
                    .with_resource_id(id),
            ),
        }
    }

    /// A Config rule event (`invokingEvent` as a string or object), or the invoking event
    /// itself when `rest` is one.
    fn push_event(&mut self, mut rest: Map<String, Value>) {
        let invoking = match rest.remove("invokingEvent") {
            Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
                Ok(value) => value,
                Err(err) => {
                    self.diagnostics.push(self.error(
                        Code::Item,
                        format!("`invokingEvent` is not valid JSON: {err}"),
                    ));
                    return;
                }
            },
            Some(value @ Value::Object(_)) => value,
            Some(other) => {
                self.diagnostics.push(self.error(
                    Code::Item,
                    format!(
                        "`invokingEvent` is {}, expected a JSON string",
                        json_kind(&other)
                    ),
                ));
                return;
            }
            None => Value::Object(rest),
        };
        let message_type = invoking
            .get("messageType")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string();
        let present = |key: &str| invoking.get(key).filter(|v| !v.is_null()).cloned();
        if let Some(item) = present("configurationItem") {
            self.push_item(item, None);
        } else if let Some(summary) = present("configurationItemSummary") {
            let before = self.resources.len();
            self.push_item(summary, None);
            if self.resources.len() > before {
                let id = self.resources.last().map(|r| r.resource_id.clone());
                self.diagnostics.push(
                    self.warning(
                        Code::Incomplete,
                        format!(
                            "event (`{message_type}`) carries only a `configurationItemSummary`; the resource was imported without its `configuration`"
                        ),
                    )
                    .with_resource_id(id)
                    .with_help("Config sends a summary when the item is too large for the event; fetch the full item with `aws configservice get-resource-config-history` and import that"),
                );
            }
        } else {
            self.diagnostics.push(
                self.info(
                    Code::NoResources,
                    format!("event (`{message_type}`) carries no configuration item; nothing imported"),
                )
                .with_help("periodic rules get a `ScheduledNotification` without an item; import a Config snapshot for them"),
            );
        }
    }

    /// Ends one JSON object: decides its format from the keys seen and handles the small
    /// keys that were kept.
    fn finish_object(
        &mut self,
        lists: &[ListKind],
        mut rest: Map<String, Value>,
        nested: Option<Detected>,
        keys: &[String],
        start: usize,
        depth: u8,
    ) -> Detected {
        if let Some(&kind) = lists.first() {
            let format = match kind {
                ListKind::ConfigItems
                    if rest.contains_key("fileVersion")
                        || rest.contains_key("configSnapshotId") =>
                {
                    Format::ConfigSnapshot
                }
                ListKind::WardResources => {
                    self.check_version(&rest);
                    self.check_collection(&rest);
                    Format::WardInventory
                }
                other => other.format(),
            };
            if matches!(kind, ListKind::Api(_)) {
                self.patch_api_resources(start, &rest);
            }
            self.note_incomplete(&rest);
            return Detected::Format(format);
        }
        if let Some(instance) = rest.remove("DBInstance") {
            self.push_api(ApiKind::DbInstance, instance, None);
            self.patch_api_resources(start, &rest);
            return Detected::Format(Format::RdsApi);
        }
        if let Some(recognized) = account_facts::recognize(&rest) {
            let read = account_facts::read_object(&recognized, rest, &self.name);
            self.take_facts(read);
            return Detected::Format(Format::AccountFacts(recognized.operation));
        }
        match account_facts::recognize_snapshots(&rest, &self.name) {
            Some(account_facts::SnapshotsOutput::Public) => {
                let read = account_facts::read_public_snapshots(rest, &self.name);
                self.take_facts(read);
                return Detected::Format(Format::AccountFacts(
                    account_facts::PUBLIC_SNAPSHOTS_OPERATION,
                ));
            }
            Some(account_facts::SnapshotsOutput::Unnamed) => {
                let at = self.snapshots_key.map(|at| (at.line, at.column));
                let diagnostic = account_facts::unnamed_snapshots(&rest, &self.name, at);
                self.diagnostics.push(diagnostic);
                return Detected::Format(Format::AccountFacts(
                    account_facts::DESCRIBE_SNAPSHOTS_OPERATION,
                ));
            }
            None => {}
        }
        if let Some(spec) = service_facts::recognize(&rest) {
            let read = service_facts::read(&spec, rest, &self.name);
            self.take_facts(read);
            return Detected::Format(Format::ServiceFacts(spec.operation));
        }
        let is_event = [
            "invokingEvent",
            "configurationItem",
            "configurationItemSummary",
        ]
        .iter()
        .any(|k| rest.contains_key(*k))
            || (rest.contains_key("messageType") && !rest.contains_key("resourceType"));
        if is_event {
            self.push_event(rest);
            return Detected::Format(Format::ConfigRuleEvent);
        }
        if rest.contains_key("resourceType") {
            self.push_item(Value::Object(rest), None);
            return Detected::Format(Format::ConfigurationItem);
        }
        if let Some(nested) = nested {
            // A placebo recording: `{"status_code": 200, "data": {...}}`.
            if let Some(code) = rest.get("status_code").and_then(Value::as_i64)
                && !(200..300).contains(&code)
            {
                self.diagnostics.push(self.warning(
                    Code::Incomplete,
                    format!("the recorded response has status code `{code}`"),
                ));
            }
            return nested;
        }
        let meaningful: Vec<&String> = rest
            .keys()
            .filter(|k| !ENVELOPE_KEYS.contains(&k.as_str()))
            .collect();
        let operation = if meaningful.len() == 1 && rest.contains_key("LoggingEnabled") {
            Some("s3.GetBucketLogging".to_string())
        } else if meaningful.is_empty() && (depth > 0 || rest.contains_key("ResponseMetadata")) {
            Some(placebo_operation(&self.name).unwrap_or_else(|| "aws-api-response".to_string()))
        } else {
            None
        };
        if let Some(operation) = operation {
            let help = if operation.ends_with(".GetBucketLogging") {
                "`GetBucketLogging` does not name its bucket, so its settings cannot be attached to a resource; Config's `BucketLoggingConfiguration` carries them"
            } else {
                "the response holds no resource description (only request metadata)"
            };
            self.diagnostics.push(
                self.info(
                    Code::NoResources,
                    format!("`{operation}` response describes no resource; nothing imported"),
                )
                .with_help(help),
            );
            return Detected::Format(Format::NoResources(operation));
        }
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

    fn detected(&mut self, detected: Detected) {
        match detected {
            Detected::Format(format) => self.format = Some(format),
            Detected::Empty => self.diagnostics.push(self.warning(
                Code::UnknownFormat,
                "the file holds an empty JSON object; nothing imported",
            )),
            Detected::Unknown(found) => {
                self.format = None;
                self.diagnostics.push(
                    self.error(
                        Code::UnknownFormat,
                        format!("unrecognized input format: found {found}"),
                    )
                    .with_help(ACCEPTED),
                );
            }
        }
    }

    /// `ward collect` marks an inventory it could not read completely (a call that failed
    /// after its retries) with `collection.complete: false`: say so, never pass it off as
    /// complete.
    fn check_collection(&mut self, rest: &Map<String, Value>) {
        let Some(collection) = rest.get("collection") else {
            return;
        };
        if collection.get("complete") == Some(&Value::Bool(true)) {
            return;
        }
        let problems = collection
            .get("problems")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let first = problems
            .first()
            .and_then(|p| p.get("message"))
            .and_then(Value::as_str)
            .map(|m| format!(", first: {m}"))
            .unwrap_or_default();
        self.diagnostics.push(
            self.warning(
                Code::Incomplete,
                format!(
                    "this inventory is partial: `ward collect` could not read everything ({} problem(s){first})",
                    problems.len()
                ),
            )
            .with_help("resources that could not be read are missing, and rules that look for them may report what is not so; see `collection.problems` in the file and collect again"),
        );
    }

    fn check_version(&mut self, rest: &Map<String, Value>) {
        match rest.get("wardInventoryVersion") {
            Some(Value::String(v)) if v == ward_model::INVENTORY_FORMAT_VERSION => {}
            None => self.diagnostics.push(
                self.warning(Code::Version, "`wardInventoryVersion` is missing; read as version `1`"),
            ),
            Some(other) => self.diagnostics.push(
                self.error(
                    Code::Version,
                    format!(
                        "unsupported `wardInventoryVersion` `{}`; this Ward reads version `{}`",
                        match other {
                            Value::String(s) => s.clone(),
                            v => v.to_string(),
                        },
                        ward_model::INVENTORY_FORMAT_VERSION
                    ),
                )
                .with_help("the resources were read as version 1 where they matched; upgrade Ward to read this file"),
            ),
        }
    }

    /// API responses: the response date is the capture time; `ListBuckets`' `Owner` is
    /// each bucket's `configuration.owner`.
    fn patch_api_resources(&mut self, start: usize, rest: &Map<String, Value>) {
        let time = rest.get("ResponseMetadata").and_then(api::response_time);
        let owner = rest.get("Owner").and_then(api::bucket_owner);
        for resource in self.resources.iter_mut().skip(start) {
            if resource.configuration_item_capture_time.is_none() {
                resource.configuration_item_capture_time.clone_from(&time);
            }
            if resource.resource_type == "AWS::S3::Bucket"
                && let (Some(owner), Value::Object(config)) = (&owner, &mut resource.configuration)
            {
                config.entry("owner").or_insert_with(|| owner.clone());
            }
        }
    }

    fn note_incomplete(&mut self, rest: &Map<String, Value>) {
        for key in ["nextToken", "NextToken", "Marker"] {
            if rest
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
            {
                self.diagnostics.push(
                    self.info(
                        Code::Incomplete,
                        format!("the output holds one page of results (`{key}` is set); later pages are not in this file"),
                    )
                    .with_help("fetch every page (the AWS CLI does unless `--no-paginate` or `--max-items` is given)"),
                );
            }
        }
        if let Some(Value::Array(keys)) = rest.get("unprocessedResourceKeys")
            && !keys.is_empty()
        {
            self.diagnostics.push(
                self.warning(
                    Code::Incomplete,
                    format!(
                        "`{}` resource keys were not processed (`unprocessedResourceKeys`)",
                        keys.len()
                    ),
                )
                .with_help("call `batch-get-resource-config` again for them"),
            );
        }
    }

    fn json_error<R: Read>(&mut self, failure: Failure, capture: &mut Capture<R>, gzip: bool) {
        let text = capture.finish();
        let detail = failure.detail;
        let blank = capture.total == 0 || text.as_deref().is_some_and(|t| t.trim().is_empty());
        let (code, message) = match failure.kind {
            FailureKind::Io if gzip => (
                Code::Io,
                format!("could not decompress the gzip input: {detail}"),
            ),
            FailureKind::Io => (Code::Io, format!("could not read the input: {detail}")),
            FailureKind::Eof if blank => (Code::Syntax, "the file is empty".to_string()),
            FailureKind::Eof => (
                Code::Syntax,
                "the file ends in the middle of a JSON value (truncated?)".to_string(),
            ),
            FailureKind::Syntax => (Code::Syntax, format!("invalid JSON: {detail}")),
            FailureKind::Data => (Code::Syntax, format!("unexpected JSON: {detail}")),
        };
        let (line, column) = failure.at.map_or((0, 0), |at| (at.line, at.column));
        let read = self.resources.len();
        let help = match read {
            0 => "nothing was imported from this file".to_string(),
            1 => "the 1 resource read before the error was imported; the rest of the file was not read".to_string(),
            n => format!("the {n} resources read before the error were imported; the rest of the file was not read"),
        };
        let mut diagnostic = self.error(code, message).with_help(help);
        if line > 0 {
            diagnostic.line_column = Some((line, column));
        }
        if let Some(text) = text
            && line > 0
        {
            let offset = byte_offset(&text, line, column);
            let len = usize::from(offset < text.len());
            // A file that did not parse was not redacted: show its shape, not its values.
            let source: Arc<str> = Arc::from(crate::redact::mask_json_string_values(&text));
            diagnostic.span = Some(SourceSpan::from((offset, len)));
            diagnostic.source_code =
                Some(NamedSource::new(self.name.clone(), source).with_language("json"));
        }
        self.diagnostics.push(diagnostic);
    }

    /// Gives the diagnostics that point at a place in the file (a key) the file's text, with
    /// that place underlined: the whole string when it is one, else one character.
    fn show_locations(&mut self, text: String) {
        // The file's text as read, before redaction: its values are not shown.
        let source: Arc<str> = Arc::from(crate::redact::mask_json_string_values(&text));
        for diagnostic in &mut self.diagnostics {
            let Some((line, column)) = diagnostic.line_column else {
                continue;
            };
            if diagnostic.source_code.is_some() || line == 0 {
                continue;
            }
            let offset = byte_offset(&source, line, column);
            let len = source.get(offset..).map_or(0, |rest| {
                string_token_len(rest).unwrap_or(usize::from(!rest.is_empty()))
            });
            diagnostic.span = Some(SourceSpan::from((offset, len)));
            diagnostic.source_code = Some(
                NamedSource::new(self.name.clone(), Arc::clone(&source)).with_language("json"),
            );
        }
    }

    /// Hands the file's resources to the inventory.
    fn finish(self, inventory: &mut Inventory) -> FileReport {
        let format_name = self
            .format
            .as_ref()
            .map(Format::source_format)
            .unwrap_or("unknown");
        let count = self.resources.len() + self.pending.len();
        let mut resources = self.resources;
        let prepared = self.prepared;
        let is_prepared = |index: usize| prepared.iter().any(|range| range.contains(&index));
        // Secrets never enter the inventory (docs/redaction.md). On all cores, in order;
        // configuration items were redacted as they were parsed.
        let redacted_here: Vec<(usize, Vec<ward_model::Redaction>)> = resources
            .par_iter_mut()
            .enumerate()
            .filter_map(|(index, resource)| {
                if resource.source.format.is_empty() {
                    resource.source.format = format_name.to_string();
                }
                if is_prepared(index) {
                    return None;
                }
                let found = crate::redact::redact_resource(resource);
                (!found.is_empty()).then_some((index, found))
            })
            .collect();
        let mut redacted = redacted_here;
        redacted.extend(self.prepared_redactions);
        redacted.sort_by_key(|(index, _)| *index);
        let redactions = redacted.into_iter().flat_map(|(_, found)| found).collect();
        for (index, resource) in resources.into_iter().enumerate() {
            if is_prepared(index) {
                inventory.insert_projected(resource);
            } else {
                inventory.insert(resource);
            }
        }
        FileReport {
            path: self.name,
            format: self.format,
            resources: count,
            diagnostics: self.diagnostics,
            redactions,
            pending: self.pending,
        }
    }
}

/// Byte offset of a one-based line and column (serde_json counts columns in bytes).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text.get(start..).and_then(|rest| rest.find('\n')) {
            Some(newline) => start += newline + 1,
            None => break,
        }
    }
    let mut offset = (start + column.saturating_sub(1)).min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The length in bytes of the JSON string `text` starts with (quotes included), if it
/// starts with one that ends.
fn string_token_len(text: &str) -> Option<usize> {
    let mut bytes = text.bytes().enumerate();
    if bytes.next().map(|(_, b)| b) != Some(b'"') {
        return None;
    }
    let mut escaped = false;
    for (i, b) in bytes {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Some(i + 1),
            b'\n' => return None,
            _ => {}
        }
    }
    None
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

/// The resource type and id of a partial `select-resource-config` result, guessed from
/// the configuration fields that only one type has.
struct Identity {
    resource_type: &'static str,
    resource_id: String,
    resource_name: Option<String>,
    account_id: Option<String>,
}

impl Identity {
    fn apply(self, obj: &mut Map<String, Value>) {
        obj.entry("resourceType")
            .or_insert_with(|| Value::String(self.resource_type.to_string()));
        obj.entry("resourceId")
            .or_insert_with(|| Value::String(self.resource_id));
        if let Some(name) = self.resource_name {
            obj.entry("resourceName").or_insert(Value::String(name));
        }
        if let Some(account) = self.account_id
            && !obj.contains_key("accountId")
            && !obj.contains_key("awsAccountId")
        {
            obj.insert("accountId".into(), Value::String(account));
        }
    }
}

fn infer_identity(obj: &Map<String, Value>) -> Option<Identity> {
    let config = match obj.get("configuration")? {
        Value::Object(map) => map.clone(),
        Value::String(text) => match normalize::decode_json_text(text)? {
            Value::Object(map) => map,
            _ => return None,
        },
        _ => return None,
    };
    let field = |key: &str| {
        config
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let identity = |resource_type, resource_id, resource_name, account_id| {
        Some(Identity {
            resource_type,
            resource_id,
            resource_name,
            account_id,
        })
    };
    if let Some(id) = field("groupId").filter(|id| id.starts_with("sg-"))
        && config.contains_key("ipPermissions")
    {
        return identity(
            "AWS::EC2::SecurityGroup",
            id,
            field("groupName"),
            field("ownerId"),
        );
    }
    if let (Some(id), Some(name)) = (field("dbiResourceId"), field("dBInstanceIdentifier")) {
        return identity("AWS::RDS::DBInstance", id, Some(name), None);
    }
    if let Some(id) = field("instanceId").filter(|id| id.starts_with("i-")) {
        return identity("AWS::EC2::Instance", id, None, None);
    }
    if let Some(id) = field("volumeId").filter(|id| id.starts_with("vol-")) {
        return identity("AWS::EC2::Volume", id, None, None);
    }
    None
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
                                // core: keep only what the controls read, redact it, and
                                // give back the spare capacity of its trees.
                                if !needs.is_everything() {
                                    needs.project(&mut normalized.resource);
                                }
                                let redactions =
                                    crate::redact::redact_resource(&mut normalized.resource);
                                normalized.resource.compact();
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn offsets() {
        let text = "{\n  \"a\": x\n}";
        assert_eq!(byte_offset(text, 2, 8), 9);
        assert_eq!(text.get(9..10), Some("x"));
        assert_eq!(byte_offset(text, 9, 9), text.len());
    }
}
