//! The AWS Config custom rule backend: a Config rule event in, `PutEvaluations` out.
//!
//! 1. [`RuleEvent::parse`] reads the event Config sends to a custom rule's Lambda (or its
//!    invoking event alone).
//! 2. [`plan`] decides which Ward rules the Config rule runs and with which parameters: the
//!    rule parameter `wardRules` (ids separated by commas or spaces), else the Config rule's
//!    name when it is a Ward rule id. Every other rule parameter is a Ward rule parameter:
//!    `NAME` for each selected rule that declares it, or `RULE.NAME` for one. An unknown
//!    parameter is an error; one of the wrong type is the engine's error. Which rules an
//!    event asks for is known from the event alone ([`requested_rules`]), so the controls
//!    can be loaded after the event is read, those rules only.
//! 3. [`evaluate_event`] builds the inventory the rules see and evaluates them:
//!    - `ConfigurationItemChangeNotification`: the event's item, read by `ward-import` (the
//!      same as `ward check --snapshot EVENT`);
//!    - `OversizedConfigurationItemChangeNotification`: the item fetched with
//!      `GetResourceConfigHistory`;
//!    - `ScheduledNotification`: every resource of the rules' types (and of the types they
//!      read) listed through Config, the IAM credential report when a rule reads it, and the
//!      `AWS::::Account` of the event's account for account-level rules;
//!    - `eventLeftScope` or a deleted item: `NOT_APPLICABLE`, without evaluating.
//!
//!    One [`ConfigEvaluation`] per resource: `NON_COMPLIANT` when any selected rule fails it
//!    (an `ERROR` finding fails closed), else `COMPLIANT` when one passes it, else
//!    `NOT_APPLICABLE`. The annotation (1 to 256 characters) says what was wrong;
//!    `OrderingTimestamp` is the item's capture time, or the notification time for a
//!    scheduled run.
//! 4. [`put_evaluations`] sends them in batches of at most 100 with the result token.
//!    Throttling and server errors are retried by the SDK and then by Ward's own rounds;
//!    `FailedEvaluations` are sent again, and only they: an evaluation is resent only while
//!    it has not been accepted.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ward_backend::{EngineError, EvalOptions, Evaluation};
use ward_model::{ACCOUNT_TYPE, Finding, Inventory, Resource, RuleInfo, Source, Status, TypesRead};

use crate::AwsError;
use crate::client::Clients;
use crate::retry::{call_error, describe, is_retryable};

/// The rule parameter that names the Ward rules a Config rule runs.
pub const WARD_RULES_PARAM: &str = "wardRules";
/// The rule parameter that adds resource types to read in a scheduled run.
pub const WARD_TYPES_PARAM: &str = "wardResourceTypes";
/// The most evaluations one `PutEvaluations` call takes.
pub const PUT_BATCH: usize = 100;
/// Config's limit on an annotation, in characters.
pub const ANNOTATION_MAX: usize = 256;

/// The credential report's pseudo type: read from IAM in a scheduled run.
const CREDENTIAL_REPORT_TYPE: &str = "Ward::IAM::CredentialReportUser";

/// What evaluates: the rules of every backend (`ward_run`'s `ControlSet`), all of them or
/// only those [`requested_rules`] names. A rule that may read a resource of any type
/// (`lookup_arn`) reads every type some rule selects or reads ([`TypesRead::any_type`]): it
/// needs every rule there.
pub trait Controls: Sync {
    /// Every rule.
    fn rules(&self) -> &[RuleInfo];
    /// Evaluates the rules of `options.only` over the inventory.
    fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError>;
    /// The resources a rule reads besides the one it evaluates (`resources(T)`, lookups,
    /// through every `def` it calls), from the compiled rule. A change-triggered run fetches
    /// them beside the changed item, a scheduled run beside the types the rule selects. The
    /// default, "any type", is always safe.
    fn types_read(&self, _rule: &str) -> TypesRead {
        TypesRead {
            any_type: true,
            ..TypesRead::default()
        }
    }
}

/// The `Ward::` account facts a Config rule can read from AWS itself; the others exist only
/// as AWS CLI output imported by `ward check`.
pub const READABLE_FACTS: [&str; 1] = [CREDENTIAL_REPORT_TYPE];

/// What kind of notification an event is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageType {
    Change,
    Oversized,
    Scheduled,
}

/// A Config rule event.
#[derive(Debug, Clone)]
pub struct RuleEvent {
    pub message_type: MessageType,
    /// The decoded `invokingEvent`.
    pub invoking_event: Map<String, Value>,
    /// The decoded `ruleParameters` (values as Config sends them, strings).
    pub rule_parameters: Map<String, Value>,
    pub result_token: Option<String>,
    pub event_left_scope: bool,
    pub config_rule_name: Option<String>,
    pub account_id: Option<String>,
    pub notification_time: Option<String>,
    /// The event as given, for `ward-import`.
    text: String,
}

fn decode_object(value: &Value, what: &str) -> Result<Map<String, Value>, AwsError> {
    match value {
        Value::Object(o) => Ok(o.clone()),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(Value::Null) => Ok(Map::new()),
            Ok(_) => Err(AwsError::Event(format!("`{what}` is not a JSON object"))),
            Err(e) => Err(AwsError::Event(format!("`{what}` is not valid JSON: {e}"))),
        },
        Value::Null => Ok(Map::new()),
        _ => Err(AwsError::Event(format!(
            "`{what}` must be a JSON object or a string holding one"
        ))),
    }
}

fn str_field(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl RuleEvent {
    /// Reads an event: the Lambda event (`invokingEvent`, `ruleParameters`, `resultToken`,
    /// `eventLeftScope`, `configRuleName`...) or an invoking event alone.
    pub fn parse(text: &str) -> Result<RuleEvent, AwsError> {
        let top: Value =
            serde_json::from_str(text).map_err(|e| AwsError::Event(format!("not JSON: {e}")))?;
        let Value::Object(top) = top else {
            return Err(AwsError::Event("the event is not a JSON object".into()));
        };
        let invoking_event = match top.get("invokingEvent") {
            Some(v) => decode_object(v, "invokingEvent")?,
            None if top.contains_key("messageType") => top.clone(),
            None => {
                return Err(AwsError::Event(
                    "no `invokingEvent` (nor `messageType`): this is not a Config rule event"
                        .into(),
                ));
            }
        };
        let message_type = match invoking_event.get("messageType").and_then(Value::as_str) {
            Some("ConfigurationItemChangeNotification") => MessageType::Change,
            Some("OversizedConfigurationItemChangeNotification") => MessageType::Oversized,
            Some("ScheduledNotification") => MessageType::Scheduled,
            Some(other) => {
                return Err(AwsError::Event(format!(
                    "unsupported `messageType` `{other}`: Ward handles ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification and ScheduledNotification"
                )));
            }
            None => {
                return Err(AwsError::Event(
                    "the invoking event has no `messageType`".into(),
                ));
            }
        };
        let rule_parameters = match top.get("ruleParameters") {
            Some(v) => decode_object(v, "ruleParameters")?,
            None => Map::new(),
        };
        let event_left_scope = match top.get("eventLeftScope") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        let item = invoking_event
            .get("configurationItem")
            .or_else(|| invoking_event.get("configurationItemSummary"))
            .and_then(Value::as_object);
        let account_id = str_field(&top, "accountId")
            .or_else(|| str_field(&invoking_event, "awsAccountId"))
            .or_else(|| item.and_then(|i| str_field(i, "awsAccountId")))
            .or_else(|| item.and_then(|i| str_field(i, "accountId")));
        Ok(RuleEvent {
            message_type,
            notification_time: str_field(&invoking_event, "notificationCreationTime"),
            invoking_event,
            rule_parameters,
            result_token: str_field(&top, "resultToken"),
            event_left_scope,
            config_rule_name: str_field(&top, "configRuleName"),
            account_id,
            text: text.to_string(),
        })
    }

    /// The item (or, oversized, its summary) the event is about.
    fn item(&self) -> Option<&Map<String, Value>> {
        self.invoking_event
            .get("configurationItem")
            .or_else(|| self.invoking_event.get("configurationItemSummary"))
            .and_then(Value::as_object)
    }
}

/// Which Ward rules run, with which parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub rules: Vec<String>,
    pub params: BTreeMap<String, BTreeMap<String, Value>>,
    /// Resource types to read in a scheduled run besides the rules' own.
    pub extra_types: Vec<String>,
}

fn split_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// How an event names the Ward rules it runs, before anything says whether they exist.
enum Requested {
    /// `--rule` or the rule parameter `wardRules`.
    Listed(Vec<String>),
    /// The Config rule's own name, which runs the Ward rule of that id when there is one.
    ConfigRuleName(String),
}

fn requested(event: &RuleEvent, explicit: &[String]) -> Result<Requested, AwsError> {
    if !explicit.is_empty() {
        return Ok(Requested::Listed(explicit.to_vec()));
    }
    if let Some(v) = event.rule_parameters.get(WARD_RULES_PARAM) {
        let ids = split_list(v);
        if ids.is_empty() {
            return Err(AwsError::RuleSelection(format!(
                "the rule parameter `{WARD_RULES_PARAM}` names no rule: give Ward rule ids separated by commas (`ward rules` lists them)"
            )));
        }
        return Ok(Requested::Listed(ids));
    }
    match &event.config_rule_name {
        Some(name) => Ok(Requested::ConfigRuleName(name.clone())),
        None => Err(AwsError::RuleSelection(format!(
            "the event names no Config rule and has no `{WARD_RULES_PARAM}` parameter: say which Ward rule to run (`--rule ID`)"
        ))),
    }
}

/// The Ward rule ids an event asks for, known before any control is loaded: `explicit`
/// (the CLI's `--rule`), else the rule parameter `wardRules`, else the Config rule's name.
/// Controls holding these (and nothing else) are enough for [`plan`] and the evaluation;
/// an id no control has is [`plan`]'s error, as with every control loaded. Empty when the
/// event names no rule at all ([`plan`] says so).
pub fn requested_rules(event: &RuleEvent, explicit: &[String]) -> Vec<String> {
    match requested(event, explicit) {
        Ok(Requested::Listed(ids)) => ids,
        Ok(Requested::ConfigRuleName(name)) => vec![name],
        Err(_) => Vec::new(),
    }
}

/// Decides the rules and parameters. `explicit` (the CLI's `--rule`) overrides the event's
/// `wardRules` parameter and the Config rule's name. `controls` needs to hold only the
/// rules of [`requested_rules`].
pub fn plan(
    controls: &dyn Controls,
    event: &RuleEvent,
    explicit: &[String],
) -> Result<Plan, AwsError> {
    let rules = controls.rules();
    let known = |id: &str| rules.iter().any(|r| r.id == id);
    let selected: Vec<String> = match requested(event, explicit)? {
        Requested::Listed(ids) => ids,
        Requested::ConfigRuleName(name) if known(&name) => vec![name],
        Requested::ConfigRuleName(name) => {
            return Err(AwsError::RuleSelection(format!(
                "the Config rule `{name}` is not a Ward rule id and has no `{WARD_RULES_PARAM}` parameter: name the Config rule after a Ward rule, or set `{WARD_RULES_PARAM}` (e.g. `restricted-ssh`); `ward rules` lists them"
            )));
        }
    };
    let mut unknown: Vec<&str> = selected
        .iter()
        .map(String::as_str)
        .filter(|id| !known(id))
        .collect();
    if let Some(first) = unknown.pop() {
        return Err(AwsError::RuleSelection(format!(
            "unknown Ward rule `{first}` (see `ward rules`)"
        )));
    }
    let mut selected_unique = Vec::new();
    for id in selected {
        if !selected_unique.contains(&id) {
            selected_unique.push(id);
        }
    }
    let selected = selected_unique;
    let info = |id: &str| rules.iter().find(|r| r.id == id);
    for id in &selected {
        let read = controls.types_read(id);
        let unreadable: BTreeSet<&String> = info(id)
            .map(|r| r.resource_types.iter())
            .into_iter()
            .flatten()
            .chain(read.types.iter())
            .filter(|t| t.starts_with("Ward::") && !READABLE_FACTS.contains(&t.as_str()))
            .collect();
        if !unreadable.is_empty() {
            return Err(AwsError::RuleSelection(format!(
                "the rule `{id}` reads {}, account facts that AWS Config does not record and this path does not read: a Config rule would decide it without them. Run it with `ward check` over the AWS CLI output of those facts (docs/inventory-format.md); docs/aws.md lists the rules this applies to",
                unreadable
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut params: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut extra_types = Vec::new();
    for (key, value) in &event.rule_parameters {
        if key == WARD_RULES_PARAM || crate::remediate::PARAMS.contains(&key.as_str()) {
            continue;
        }
        if key == WARD_TYPES_PARAM {
            extra_types = split_list(value);
            continue;
        }
        let (targets, name): (Vec<&String>, &str) = match key.rsplit_once('.') {
            Some((rule, name)) => {
                if !selected.iter().any(|s| s == rule) {
                    return Err(AwsError::Param(format!(
                        "rule parameter `{key}` names the rule `{rule}`, which this Config rule does not run (it runs {})",
                        selected.join(", ")
                    )));
                }
                (selected.iter().filter(|s| *s == rule).collect(), name)
            }
            None => (
                selected
                    .iter()
                    .filter(|s| info(s).is_some_and(|r| r.params.iter().any(|p| p.name == *key)))
                    .collect(),
                key.as_str(),
            ),
        };
        let targets: Vec<&String> = targets
            .into_iter()
            .filter(|s| info(s).is_some_and(|r| r.params.iter().any(|p| p.name == name)))
            .collect();
        if targets.is_empty() {
            let declared: Vec<String> = selected
                .iter()
                .filter_map(|s| info(s))
                .flat_map(|r| r.params.iter().map(move |p| format!("{}.{}", r.id, p.name)))
                .collect();
            return Err(AwsError::Param(format!(
                "unknown rule parameter `{key}`: {}",
                if declared.is_empty() {
                    format!("the rule(s) {} take no parameter", selected.join(", "))
                } else {
                    format!("known: {}", declared.join(", "))
                }
            )));
        }
        for t in targets {
            params
                .entry(t.clone())
                .or_default()
                .insert(name.to_string(), value.clone());
        }
    }
    Ok(Plan {
        rules: selected,
        params,
        extra_types,
    })
}

/// One evaluation, in the shape of the `PutEvaluations` API's `Evaluation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigEvaluation {
    pub compliance_resource_type: String,
    pub compliance_resource_id: String,
    /// `COMPLIANT`, `NON_COMPLIANT` or `NOT_APPLICABLE`.
    pub compliance_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
    /// RFC 3339.
    pub ordering_timestamp: String,
}

impl ConfigEvaluation {
    fn key(&self) -> (&str, &str) {
        (&self.compliance_resource_type, &self.compliance_resource_id)
    }
}

/// Cuts `text` to Config's limit (256 characters), ending with `…` when cut; an empty text
/// becomes `fallback`.
pub fn annotation(text: &str, fallback: &str) -> String {
    let text = text.trim();
    let text = if text.is_empty() { fallback } else { text };
    if text.chars().count() <= ANNOTATION_MAX {
        return text.to_string();
    }
    let mut out: String = text.chars().take(ANNOTATION_MAX - 1).collect();
    out.push('…');
    out
}

fn not_applicable(rtype: &str, id: &str, why: &str, time: &str) -> ConfigEvaluation {
    ConfigEvaluation {
        compliance_resource_type: rtype.to_string(),
        compliance_resource_id: id.to_string(),
        compliance_type: "NOT_APPLICABLE".into(),
        annotation: Some(annotation(why, "not applicable")),
        ordering_timestamp: time.to_string(),
    }
}

/// One resource's evaluation from the findings of the selected rules on it.
fn combine(
    resource: &Resource,
    findings: &[&Finding],
    plan: &Plan,
    time: &str,
) -> ConfigEvaluation {
    let failing: Vec<&&Finding> = findings
        .iter()
        .filter(|f| matches!(f.status, Status::NonCompliant | Status::Error))
        .collect();
    let (compliance, note) = if !failing.is_empty() {
        let text = failing
            .iter()
            .map(|f| {
                let what = if f.status == Status::Error {
                    format!("could not be evaluated: {}", f.message)
                } else {
                    f.message.clone()
                };
                if plan.rules.len() > 1 {
                    format!("{}: {what}", f.rule)
                } else {
                    what
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let fallback = format!(
            "NON_COMPLIANT with {}",
            failing
                .iter()
                .map(|f| f.rule.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        ("NON_COMPLIANT", Some(annotation(&text, &fallback)))
    } else if findings.iter().any(|f| f.status == Status::Compliant) {
        ("COMPLIANT", None)
    } else if findings.is_empty() {
        (
            "NOT_APPLICABLE",
            Some(annotation(
                &format!(
                    "{} does not evaluate {}",
                    plan.rules.join(", "),
                    resource.resource_type
                ),
                "not applicable",
            )),
        )
    } else {
        let text = findings
            .iter()
            .map(|f| f.message.as_str())
            .find(|m| !m.is_empty())
            .unwrap_or("not applicable");
        ("NOT_APPLICABLE", Some(annotation(text, "not applicable")))
    };
    ConfigEvaluation {
        compliance_resource_type: resource.resource_type.clone(),
        compliance_resource_id: resource.resource_id.clone(),
        compliance_type: compliance.to_string(),
        annotation: note,
        ordering_timestamp: time.to_string(),
    }
}

/// Evaluates the plan's rules over `inventory` and gives one evaluation per resource of
/// `targets` (type, id), in that order. With `only_targets`, the rules evaluate no other
/// resource (the rest of the inventory is there to be read): a change event's item among
/// the resources fetched around it.
fn evaluate_targets(
    controls: &dyn Controls,
    plan: &Plan,
    inventory: &Inventory,
    targets: &[(String, String)],
    time: &str,
    as_of: Option<String>,
    only_targets: bool,
) -> Result<Vec<ConfigEvaluation>, AwsError> {
    let options = EvalOptions {
        as_of,
        params: plan.params.clone(),
        only: Some(plan.rules.iter().cloned().collect()),
        timings: None,
        targets: only_targets.then(|| targets.iter().cloned().collect()),
        // The default, as `ward check` without `--step-budget`: the same answer on every path.
        step_budget: None,
        progress: None,
    };
    let evaluation = controls
        .evaluate(inventory, &options)
        .map_err(|e| match e {
            EngineError::UnknownParam { .. } | EngineError::BadParam { .. } => {
                AwsError::Param(e.to_string())
            }
            other => AwsError::Engine(other),
        })?;
    let mut by_resource: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &evaluation.findings {
        by_resource
            .entry((&f.resource.resource_type, &f.resource.id))
            .or_default()
            .push(f);
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (rtype, id) in targets {
        if !seen.insert((rtype.clone(), id.clone())) {
            continue;
        }
        let Some(resource) = inventory.get(rtype, id) else {
            continue;
        };
        if resource.is_deleted() {
            out.push(not_applicable(rtype, id, "the resource was deleted", time));
            continue;
        }
        let findings = by_resource
            .get(&(rtype.as_str(), id.as_str()))
            .cloned()
            .unwrap_or_default();
        out.push(combine(resource, &findings, plan, time));
    }
    Ok(out)
}

/// Evaluates an event. `clients` is needed for oversized and scheduled notifications
/// (`None` makes them an error).
pub async fn evaluate_event(
    controls: &dyn Controls,
    event: &RuleEvent,
    plan: &Plan,
    clients: Option<&Clients>,
) -> Result<Vec<ConfigEvaluation>, AwsError> {
    match event.message_type {
        MessageType::Change | MessageType::Oversized => {
            let item = event.item().ok_or_else(|| {
                AwsError::Event("the invoking event has no `configurationItem`".into())
            })?;
            let rtype = str_field(item, "resourceType")
                .ok_or_else(|| AwsError::Event("the item has no `resourceType`".into()))?;
            let id = str_field(item, "resourceId")
                .ok_or_else(|| AwsError::Event("the item has no `resourceId`".into()))?;
            let status = str_field(item, "configurationItemStatus");
            let time = str_field(item, "configurationItemCaptureTime")
                .or_else(|| event.notification_time.clone())
                .ok_or_else(|| {
                    AwsError::Event(
                        "neither the item's capture time nor the notification time is given".into(),
                    )
                })?;
            let time = normalize_time(&time);
            if event.event_left_scope {
                return Ok(vec![not_applicable(
                    &rtype,
                    &id,
                    "the resource left the scope of the Config rule",
                    &time,
                )]);
            }
            if matches!(
                status.as_deref(),
                Some("ResourceDeleted" | "ResourceDeletedNotRecorded")
            ) {
                return Ok(vec![not_applicable(
                    &rtype,
                    &id,
                    "the resource was deleted",
                    &time,
                )]);
            }
            let mut inventory = Inventory::new();
            let reading_others = rules_reading_others(controls, plan, &rtype);
            if !reading_others.is_empty() {
                for r in other_resources(controls, &reading_others, &rtype, clients).await? {
                    inventory.insert(r);
                }
            }
            if event.message_type == MessageType::Change {
                let report =
                    ward_import::import_reader("event", event.text.as_bytes(), &mut inventory);
                if let Some(d) = report.diagnostics().find(|d| d.is_error()) {
                    return Err(AwsError::Event(d.to_string()));
                }
            } else {
                let clients = clients.ok_or_else(|| {
                    AwsError::Event(
                        "an oversized item must be fetched from AWS Config (GetResourceConfigHistory); no AWS access was given".into(),
                    )
                })?;
                let resource = fetch_item(clients, &rtype, &id, &time).await?;
                inventory.insert(resource);
            }
            inventory.synthesize_accounts();
            // The item's time, not the newest of the resources fetched beside it.
            let as_of = Some(time.clone());
            let targets = [(rtype, id)];
            evaluate_targets(controls, plan, &inventory, &targets, &time, as_of, true)
        }
        MessageType::Scheduled => {
            let clients = clients.ok_or_else(|| {
                AwsError::Event(
                    "a scheduled notification reads the resources from AWS Config; no AWS access was given".into(),
                )
            })?;
            let time = event.notification_time.clone().ok_or_else(|| {
                AwsError::Event(
                    "the scheduled notification has no `notificationCreationTime`".into(),
                )
            })?;
            let time = normalize_time(&time);
            let inventory = scheduled_inventory(controls, event, plan, clients, &time).await?;
            let selected: BTreeSet<String> = selected_types(controls, plan);
            let targets: Vec<(String, String)> = inventory
                .iter()
                .filter(|r| selected.contains(&r.resource_type))
                .map(|r| (r.resource_type.clone(), r.resource_id.clone()))
                .collect();
            evaluate_targets(
                controls,
                plan,
                &inventory,
                &targets,
                &time,
                Some(time.clone()),
                false,
            )
        }
    }
}

/// The types the plan's rules select.
fn selected_types(controls: &dyn Controls, plan: &Plan) -> BTreeSet<String> {
    controls
        .rules()
        .iter()
        .filter(|r| plan.rules.contains(&r.id))
        .flat_map(|r| r.resource_types.iter().cloned())
        .collect()
}

/// The types `rules` read besides the resources they evaluate. A rule that may read any
/// type (`lookup_arn`) reads every type that some rule selects or names.
fn types_read_by<'r>(
    controls: &dyn Controls,
    rules: impl IntoIterator<Item = &'r String>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut any = false;
    for id in rules {
        let read = controls.types_read(id);
        any |= read.any_type;
        out.extend(read.types);
    }
    if any {
        for r in controls.rules() {
            out.extend(r.resource_types.iter().cloned());
            out.extend(controls.types_read(&r.id).types);
        }
    }
    out
}

/// The rules of the plan that evaluate `resource_type` and read other resources too: a
/// change-triggered evaluation of such a rule needs them fetched beside the changed item.
pub fn rules_reading_others(
    controls: &dyn Controls,
    plan: &Plan,
    resource_type: &str,
) -> Vec<String> {
    controls
        .rules()
        .iter()
        .filter(|r| plan.rules.contains(&r.id))
        .filter(|r| r.resource_types.iter().any(|t| t == resource_type))
        .filter(|r| controls.types_read(&r.id).reads_others())
        .map(|r| r.id.clone())
        .collect()
}

/// Whether evaluating `event` needs AWS access: a scheduled or oversized notification, or a
/// change whose rules read other resources than the changed item.
pub fn needs_aws(controls: &dyn Controls, event: &RuleEvent, plan: &Plan) -> bool {
    match event.message_type {
        MessageType::Change => event
            .item()
            .and_then(|item| str_field(item, "resourceType"))
            .is_some_and(|t| !rules_reading_others(controls, plan, &t).is_empty()),
        MessageType::Oversized | MessageType::Scheduled => true,
    }
}

/// The resources besides a changed item that `rules` read, from AWS Config.
async fn other_resources(
    controls: &dyn Controls,
    rules: &[String],
    resource_type: &str,
    clients: Option<&Clients>,
) -> Result<Vec<Resource>, AwsError> {
    let types: BTreeSet<String> = types_read_by(controls, rules)
        .into_iter()
        .filter(|t| t.starts_with("AWS::") && t.as_str() != ACCOUNT_TYPE)
        .collect();
    let named = |types: &BTreeSet<String>| {
        types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(clients) = clients else {
        return Err(AwsError::Event(format!(
            "{} read{} {} besides the changed `{resource_type}`; without them the rule would decide by absence. Give AWS access to read them from AWS Config (the Lambda has it; `ward config-rule` uses --profile/--region/--endpoint-url), or evaluate with `ward check` over a snapshot",
            rules.join(", "),
            if rules.len() == 1 { "s" } else { "" },
            named(&types)
        )));
    };
    crate::collect::config_resources(clients, &types)
        .await
        .map_err(|e| {
            AwsError::Event(format!(
                "{} read {} besides the changed item, and reading them from AWS Config failed: {e}",
                rules.join(", "),
                named(&types)
            ))
        })
}

/// Every resource a scheduled run reads.
async fn scheduled_inventory(
    controls: &dyn Controls,
    event: &RuleEvent,
    plan: &Plan,
    clients: &Clients,
    time: &str,
) -> Result<Inventory, AwsError> {
    let mut types = selected_types(controls, plan);
    types.extend(types_read_by(controls, &plan.rules));
    types.extend(plan.extra_types.iter().cloned());
    let config_types: BTreeSet<String> = types
        .iter()
        .filter(|t| t.starts_with("AWS::") && t.as_str() != ACCOUNT_TYPE)
        .cloned()
        .collect();
    let mut inventory = Inventory::new();
    for r in crate::collect::config_resources(clients, &config_types).await? {
        inventory.insert(r);
    }
    if types.contains(CREDENTIAL_REPORT_TYPE) {
        for r in crate::collect::credential_report_resources(clients).await? {
            inventory.insert(r);
        }
    }
    if types.contains(ACCOUNT_TYPE) {
        let account = match &event.account_id {
            Some(a) => a.clone(),
            None => clients.account_id().await?,
        };
        let mut acct = Resource::new(ACCOUNT_TYPE, account.clone());
        acct.account_id = Some(account);
        acct.aws_region = Some(clients.region.clone());
        acct.configuration_item_capture_time = Some(time.to_string());
        acct.source = Source {
            format: "config-rule-event".into(),
            file: None,
            index: None,
        };
        inventory.insert(acct);
    }
    inventory.synthesize_accounts();
    Ok(inventory)
}

/// The item of an oversized notification, from `GetResourceConfigHistory`: the newest item
/// not later than the notified capture time.
async fn fetch_item(
    clients: &Clients,
    rtype: &str,
    id: &str,
    capture_time: &str,
) -> Result<Resource, AwsError> {
    use aws_sdk_config::types::ResourceType;
    let mut call = clients
        .config
        .get_resource_config_history()
        .resource_type(ResourceType::from(rtype))
        .resource_id(id)
        .limit(1);
    if let Ok(t) = aws_smithy_types::DateTime::from_str(
        capture_time,
        aws_smithy_types::date_time::Format::DateTime,
    ) {
        call = call.later_time(t);
    }
    let out = call
        .send()
        .await
        .map_err(|e| call_error("config", "GetResourceConfigHistory", &e))?;
    let item = out
        .configuration_items()
        .iter()
        .find(|i| i.resource_id() == Some(id))
        .ok_or_else(|| AwsError::Call {
            service: "config",
            operation: "GetResourceConfigHistory",
            message: format!("no configuration item of `{rtype}` `{id}`"),
        })?;
    let source = Source {
        format: "config-api".into(),
        file: Some("config:GetResourceConfigHistory".into()),
        index: None,
    };
    let mut resource = ward_import::resource_from_item(crate::convert::config_item(item), source)
        .map_err(|d| {
        AwsError::Event(format!("the fetched item cannot be read: {}", d.message))
    })?;
    ward_import::redact_resource(&mut resource);
    Ok(resource)
}

/// An RFC 3339 time as Config writes it, in UTC (`…Z`); kept as given when it does not parse.
fn normalize_time(t: &str) -> String {
    match t.parse::<jiff::Timestamp>() {
        Ok(ts) => crate::format_timestamp(ts),
        Err(_) => t.to_string(),
    }
}

/// What [`put_evaluations`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutReport {
    /// Evaluations accepted.
    pub accepted: usize,
    /// `PutEvaluations` calls made (retries included; the SDK's own retries not counted).
    pub calls: usize,
    /// Batches of at most 100.
    pub batches: usize,
}

/// Sends the evaluations with the result token, in batches of at most [`PUT_BATCH`].
/// An evaluation is sent again only while it has not been accepted: after a throttled or
/// failed call (the whole batch, which Config did not take) or when Config lists it in
/// `FailedEvaluations`. Gives up after the policy's rounds with [`AwsError::PutFailed`].
pub async fn put_evaluations(
    clients: &Clients,
    result_token: &str,
    evaluations: &[ConfigEvaluation],
) -> Result<PutReport, AwsError> {
    let mut report = PutReport::default();
    let total = evaluations.len();
    let mut sdk_evals = Vec::with_capacity(evaluations.len());
    for e in evaluations {
        sdk_evals.push((e, to_sdk(e)?));
    }
    for (batch_no, batch) in sdk_evals.chunks(PUT_BATCH).enumerate() {
        report.batches += 1;
        let mut pending: Vec<&(&ConfigEvaluation, aws_sdk_config::types::Evaluation)> =
            batch.iter().collect();
        let mut round = 0;
        loop {
            report.calls += 1;
            let answer = clients
                .config
                .put_evaluations()
                .result_token(result_token)
                .set_evaluations(Some(pending.iter().map(|(_, s)| s.clone()).collect()))
                .send()
                .await;
            let why = match answer {
                Ok(out) => {
                    let failed: HashSet<(String, String)> = out
                        .failed_evaluations()
                        .iter()
                        .map(|f| {
                            (
                                f.compliance_resource_type().to_string(),
                                f.compliance_resource_id().to_string(),
                            )
                        })
                        .collect();
                    let before = pending.len();
                    pending.retain(|(e, _)| {
                        failed.contains(&(e.key().0.to_string(), e.key().1.to_string()))
                    });
                    report.accepted += before - pending.len();
                    if pending.is_empty() {
                        break;
                    }
                    format!(
                        "FailedEvaluations: {}",
                        pending
                            .iter()
                            .map(|(e, _)| e.compliance_resource_id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
                Err(e) if is_retryable(&e) => describe(&e),
                Err(e) => {
                    return Err(AwsError::PutFailed {
                        failed: total - report.accepted,
                        total,
                        message: format!("batch {} refused: {}", batch_no + 1, describe(&e)),
                    });
                }
            };
            if round >= clients.retry.rounds {
                return Err(AwsError::PutFailed {
                    failed: total - report.accepted,
                    total,
                    message: format!("after {} retries: {why}", round),
                });
            }
            clients.retry.sleep(round).await;
            round += 1;
        }
    }
    Ok(report)
}

fn to_sdk(e: &ConfigEvaluation) -> Result<aws_sdk_config::types::Evaluation, AwsError> {
    use aws_sdk_config::types::{ComplianceType, Evaluation};
    let ts = aws_smithy_types::DateTime::from_str(
        &e.ordering_timestamp,
        aws_smithy_types::date_time::Format::DateTime,
    )
    .map_err(|err| {
        AwsError::Event(format!(
            "ordering timestamp `{}` is not RFC 3339: {err}",
            e.ordering_timestamp
        ))
    })?;
    Evaluation::builder()
        .compliance_resource_type(&e.compliance_resource_type)
        .compliance_resource_id(&e.compliance_resource_id)
        .compliance_type(ComplianceType::from(e.compliance_type.as_str()))
        .set_annotation(e.annotation.clone())
        .ordering_timestamp(ts)
        .build()
        .map_err(|err| AwsError::Event(err.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn annotations_fit_config_limits() {
        assert_eq!(annotation("  ", "fallback"), "fallback");
        let long = "é".repeat(300);
        let a = annotation(&long, "x");
        assert_eq!(a.chars().count(), 256);
        assert!(a.ends_with('…'));
        assert_eq!(annotation("port 22 open", "x"), "port 22 open");
    }

    #[test]
    fn ward_rules_lists_split_on_commas_and_spaces() {
        assert_eq!(
            split_list(&Value::String(
                "restricted-ssh, restricted-common-ports".into()
            )),
            ["restricted-ssh", "restricted-common-ports"]
        );
        assert_eq!(split_list(&serde_json::json!(["a", "b"])), ["a", "b"]);
    }

    #[test]
    fn the_rules_an_event_asks_for_are_known_from_the_event_alone() {
        let event = |top: Value| RuleEvent::parse(&top.to_string()).unwrap();
        let invoking = serde_json::json!({"messageType": "ScheduledNotification"}).to_string();
        let named = event(serde_json::json!({
            "invokingEvent": invoking, "configRuleName": "restricted-ssh"
        }));
        assert_eq!(requested_rules(&named, &[]), ["restricted-ssh"]);
        assert_eq!(requested_rules(&named, &["a".into()]), ["a"]);
        let listed = event(serde_json::json!({
            "invokingEvent": invoking, "configRuleName": "restricted-ssh",
            "ruleParameters": serde_json::json!({"wardRules": "a, b"}).to_string()
        }));
        assert_eq!(requested_rules(&listed, &[]), ["a", "b"]);
        let unnamed = event(serde_json::json!({"invokingEvent": invoking}));
        assert!(requested_rules(&unnamed, &[]).is_empty());
    }

    #[test]
    fn times_are_utc_with_milliseconds() {
        assert_eq!(
            normalize_time("2017-11-09T12:35:43.639-05:00"),
            "2017-11-09T17:35:43.639Z"
        );
        assert_eq!(
            normalize_time("2020-05-03T13:55:44.576Z"),
            "2020-05-03T13:55:44.576Z"
        );
    }
}
