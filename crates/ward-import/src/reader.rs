//! Reading what each format holds, once the format is known: the elements of a streamed
//! list ([`FileState::handle_element`]), the kept keys of an object the recognizers named
//! ([`FileState::read_found`]), then the file's diagnostics and its hand-over to the
//! inventory ([`FileState::finish`]).

use std::sync::Arc;

use miette::{NamedSource, SourceSpan};
use rayon::prelude::*;
use serde_json::{Map, Value};
use ward_model::{Inventory, Resource, Source};

use crate::FileReport;
use crate::account_facts::{self, PendingFact};
use crate::api::{self, ApiKind};
use crate::detect::{self, Detected, Found, Seen};
use crate::diagnostic::{Code, ImportDiagnostic};
use crate::format::{ACCEPTED, Format};
use crate::identity::infer_identity;
use crate::normalize::{self, json_kind, normalize_item};
use crate::service_facts;
use crate::split::{Failure, FailureKind, Position};
use crate::stream::ListKind;

/// Everything learned about one file so far.
pub(crate) struct FileState {
    pub(crate) name: String,
    pub(crate) resources: Vec<Resource>,
    pub(crate) diagnostics: Vec<ImportDiagnostic>,
    pub(crate) format: Option<Format>,
    /// Account facts that wait for their account to be known.
    pub(crate) pending: Vec<PendingFact>,
    /// What the evaluation reads of each configuration (the inventory's): the rest of a
    /// configuration item is skipped while reading.
    pub(crate) needs: ward_model::FieldNeeds,
    /// The first failure met splitting a list or parsing one of its elements.
    pub(crate) failure: Option<Failure>,
    /// Where the `Snapshots` key is, for a diagnostic about it.
    pub(crate) snapshots_key: Option<Position>,
    /// Resources (index ranges of `resources`) already projected and redacted on the
    /// parsing threads, with their redactions, in order.
    pub(crate) prepared: Vec<std::ops::Range<usize>>,
    pub(crate) prepared_redactions: Vec<(usize, Vec<ward_model::Redaction>)>,
    /// Where the list elements read are counted.
    pub(crate) progress: crate::ImportProgress,
}

impl FileState {
    pub(crate) fn new(name: &str) -> Self {
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
            progress: crate::ImportProgress::new(),
        }
    }

    pub(crate) fn take_facts(&mut self, read: account_facts::Read) {
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

    pub(crate) fn error(&self, code: Code, message: impl Into<String>) -> ImportDiagnostic {
        ImportDiagnostic::error(code, self.name.clone(), message)
    }

    pub(crate) fn info(&self, code: Code, message: impl Into<String>) -> ImportDiagnostic {
        ImportDiagnostic::info(code, self.name.clone(), message)
    }

    pub(crate) fn warning(&self, code: Code, message: impl Into<String>) -> ImportDiagnostic {
        ImportDiagnostic::warning(code, self.name.clone(), message)
    }

    pub(crate) fn handle_element(&mut self, kind: ListKind, index: usize, value: Value) {
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
    pub(crate) fn take_normalized(
        &mut self,
        item: Result<normalize::Normalized, ImportDiagnostic>,
    ) {
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

    /// Ends one JSON object: names its format with the first recognizer of
    /// [`detect::RECOGNIZERS`] that knows it, then reads the small keys that were kept.
    pub(crate) fn finish_object(
        &mut self,
        lists: &[ListKind],
        rest: Map<String, Value>,
        nested: Option<Detected>,
        keys: &[String],
        start: usize,
        depth: u8,
    ) -> Detected {
        let seen = Seen {
            file: &self.name,
            lists,
            rest: &rest,
            data: nested.as_ref(),
            depth,
        };
        match detect::recognize(&seen) {
            Some(found) => self.read_found(found, rest, start),
            None => detect::unrecognized(keys, depth),
        }
    }

    /// Reads an object a recognizer named. `rest` holds its keys but the streamed lists, and
    /// the resources from `start` on are the ones its lists gave.
    fn read_found(&mut self, found: Found, mut rest: Map<String, Value>, start: usize) -> Detected {
        match found {
            Found::List { kind, format } => {
                match kind {
                    ListKind::WardResources => {
                        self.check_version(&rest);
                        self.check_collection(&rest);
                    }
                    ListKind::Api(_) => self.patch_api_resources(start, &rest),
                    ListKind::ConfigItems | ListKind::Items | ListKind::SelectResults => {}
                }
                self.note_incomplete(&rest);
                Detected::Format(format)
            }
            Found::DbInstance => {
                if let Some(instance) = rest.remove("DBInstance") {
                    self.push_api(ApiKind::DbInstance, instance, None);
                }
                self.patch_api_resources(start, &rest);
                Detected::Format(Format::RdsApi)
            }
            Found::AccountFacts(recognized) => {
                let read = account_facts::read_object(&recognized, rest, &self.name);
                self.take_facts(read);
                Detected::Format(Format::AccountFacts(recognized.operation))
            }
            Found::Snapshots(account_facts::SnapshotsOutput::Public) => {
                let read = account_facts::read_public_snapshots(rest, &self.name);
                self.take_facts(read);
                Detected::Format(Format::AccountFacts(
                    account_facts::PUBLIC_SNAPSHOTS_OPERATION,
                ))
            }
            Found::Snapshots(account_facts::SnapshotsOutput::Unnamed) => {
                let at = self.snapshots_key.map(|at| (at.line, at.column));
                let diagnostic = account_facts::unnamed_snapshots(&rest, &self.name, at);
                self.diagnostics.push(diagnostic);
                Detected::Format(Format::AccountFacts(
                    account_facts::DESCRIBE_SNAPSHOTS_OPERATION,
                ))
            }
            Found::ServiceFacts(spec) => {
                let read = service_facts::read(&spec, rest, &self.name);
                self.take_facts(read);
                Detected::Format(Format::ServiceFacts(spec.operation))
            }
            Found::Event => {
                self.push_event(rest);
                Detected::Format(Format::ConfigRuleEvent)
            }
            Found::Item => {
                self.push_item(Value::Object(rest), None);
                Detected::Format(Format::ConfigurationItem)
            }
            Found::Recording(nested) => {
                if let Some(code) = rest.get("status_code").and_then(Value::as_i64)
                    && !(200..300).contains(&code)
                {
                    self.diagnostics.push(self.warning(
                        Code::Incomplete,
                        format!("the recorded response has status code `{code}`"),
                    ));
                }
                nested
            }
            Found::NoResources(operation) => {
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
                Detected::Format(Format::NoResources(operation))
            }
        }
    }

    pub(crate) fn detected(&mut self, detected: Detected) {
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
                && let (Some(owner), Some(config)) =
                    (&owner, resource.configuration.as_object_mut())
                && !config.contains_key("owner")
            {
                config.insert("owner", owner.clone());
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

    /// The diagnostic for the failure that stopped the reading of the file. `text` is the
    /// file's text when it was kept; `total` how many bytes were read.
    pub(crate) fn json_error(
        &mut self,
        failure: Failure,
        text: Option<String>,
        total: u64,
        gzip: bool,
    ) {
        let detail = failure.detail;
        let blank = total == 0 || text.as_deref().is_some_and(|t| t.trim().is_empty());
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
    pub(crate) fn show_locations(&mut self, text: String) {
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
    pub(crate) fn finish(self, inventory: &mut Inventory) -> FileReport {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        let text = "{\n  \"a\": x\n}";
        assert_eq!(byte_offset(text, 2, 8), 9);
        assert_eq!(text.get(9..10), Some("x"));
        assert_eq!(byte_offset(text, 9, 9), text.len());
    }
}
