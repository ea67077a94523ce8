//! Ward as an AWS Config custom rule Lambda: the handler behind the `bootstrap` binary (the
//! Lambda custom runtime, `provided.al2023`). It is `ward config-rule --put` in a function:
//! the same event parsing, rule selection, evaluation and `PutEvaluations`
//! (`ward_aws::config_rule`), over the HIPAA pack built into the binary.
//!
//! Which Ward rules a Config rule runs: its `wardRules` parameter, else its name (see
//! `docs/aws.md`). The event is read first; then only those rules are loaded (their files
//! and what those import, parsed and checked: `ward_run::aws::controls_for_event`), once
//! per container for each set of rules ([`ControlsByRules`]).
//!
//! With the Config rule parameter `wardRemediate=true`, the function then revokes the
//! world-open ingress its security-group rules found (`ward_aws::remediate`:
//! `restricted-ssh`, `restricted-common-ports`, `vpc-default-security-group-closed`),
//! says what it did in each evaluation's annotation, and keeps the before/after evidence
//! ([`EvidenceStore`]): one JSON line in its log, and an S3 object when a bucket is set.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use ward_aws::config_rule::{self, RuleEvent};
use ward_aws::remediate;
use ward_aws::{AwsError, Clients};
use ward_run::backends::{ControlSet, LoadError, LoadOptions};

/// How many sets of rules a warm container keeps loaded; past it, the oldest is dropped.
/// A function serves the few Config rules deployed with it, so this is rarely reached.
pub const RULE_SETS_KEPT: usize = 16;

/// Why an event was not handled.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The event, the rule selection, the evaluation or AWS.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The rules the event asks for could not be loaded.
    #[error("the Ward rules cannot be loaded: {0}")]
    Load(#[from] LoadError),
}

/// The controls of each set of Ward rules the container has been asked to run, loaded on
/// the first event that asks for them and kept while the container is warm.
pub struct ControlsByRules {
    options: LoadOptions,
    loaded: Mutex<Loaded>,
}

#[derive(Default)]
struct Loaded {
    /// By the rules an event asks for, with the load's sequence number (oldest first out).
    sets: BTreeMap<BTreeSet<String>, (u64, Arc<ControlSet>)>,
    /// How many loads there were.
    loads: u64,
}

impl ControlsByRules {
    /// Nothing is loaded until an event asks for some rules.
    pub fn new(options: LoadOptions) -> ControlsByRules {
        ControlsByRules {
            options,
            loaded: Mutex::new(Loaded::default()),
        }
    }

    /// The controls `event` runs: loaded by the first event that asks for these rules, then
    /// kept.
    pub fn for_event(&self, event: &RuleEvent) -> Result<Arc<ControlSet>, LoadError> {
        let requested: BTreeSet<String> = config_rule::requested_rules(event, &[])
            .into_iter()
            .collect();
        // One event at a time per container (Lambda's model): holding the lock while loading
        // costs nothing and loads each set once.
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, controls)) = loaded.sets.get(&requested) {
            return Ok(controls.clone());
        }
        let controls = Arc::new(ward_run::aws::controls_for_event(
            &self.options,
            event,
            &[],
        )?);
        loaded.loads += 1;
        if loaded.sets.len() >= RULE_SETS_KEPT {
            let oldest = loaded
                .sets
                .iter()
                .min_by_key(|(_, (sequence, _))| *sequence)
                .map(|(rules, _)| rules.clone());
            if let Some(oldest) = oldest {
                loaded.sets.remove(&oldest);
            }
        }
        let sequence = loaded.loads;
        loaded.sets.insert(requested, (sequence, controls.clone()));
        Ok(controls)
    }

    /// How many times controls were loaded (each set of rules once while it is kept).
    pub fn loads(&self) -> u64 {
        self.loaded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .loads
    }
}

/// The environment variable naming the bucket that receives remediation evidence.
pub const EVIDENCE_BUCKET_ENV: &str = "WARD_EVIDENCE_BUCKET";
/// The environment variable giving the key prefix of evidence objects.
pub const EVIDENCE_PREFIX_ENV: &str = "WARD_EVIDENCE_PREFIX";
/// The key prefix of evidence objects unless the environment gives one.
pub const DEFAULT_EVIDENCE_PREFIX: &str = "ward-remediation/";

/// Where the evidence of a remediation goes: always one JSON line on standard output (the
/// function's CloudWatch Logs stream), and an S3 object when a bucket is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceStore {
    pub bucket: Option<String>,
    pub prefix: String,
}

impl EvidenceStore {
    /// From `WARD_EVIDENCE_BUCKET` and `WARD_EVIDENCE_PREFIX` (empty values are unset).
    pub fn from_env() -> EvidenceStore {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        EvidenceStore {
            bucket: var(EVIDENCE_BUCKET_ENV),
            prefix: var(EVIDENCE_PREFIX_ENV).unwrap_or_else(|| DEFAULT_EVIDENCE_PREFIX.into()),
        }
    }

    /// Logs `evidence` and, with a bucket, stores it; where it went (a failed S3 write is
    /// reported here, the log line is written first either way).
    async fn keep(&self, clients: &Clients, event: &RuleEvent, mut evidence: Value) -> Value {
        if let Some(record) = evidence.as_object_mut() {
            record.insert("configRuleName".into(), json!(event.config_rule_name));
        }
        let line = evidence.to_string();
        println!("{line}");
        let Some(bucket) = &self.bucket else {
            return json!({"log": true});
        };
        let field = |k: &str| evidence.get(k).and_then(Value::as_str).unwrap_or("unknown");
        let key = format!(
            "{}{}/{}/{}-{}.json",
            self.prefix,
            field("accountId"),
            field("region"),
            field("startedAt").replace(':', ""),
            event.config_rule_name.as_deref().unwrap_or("ward")
        );
        match remediate::put_evidence(clients, bucket, &key, line.into_bytes()).await {
            Ok(()) => json!({"log": true, "s3": format!("s3://{bucket}/{key}")}),
            Err(e) => {
                eprintln!(
                    "error: the remediation evidence could not be written to s3://{bucket}/{key}: {e}"
                );
                json!({"log": true, "s3Error": format!("s3://{bucket}/{key}: {e}")})
            }
        }
    }
}

/// What one invocation did, returned to the Lambda service (and so logged).
pub async fn handle(
    controls: &ControlsByRules,
    clients: Option<&Clients>,
    store: &EvidenceStore,
    payload: &Value,
) -> Result<Value, HandleError> {
    let event = RuleEvent::parse(&payload.to_string())?;
    let loaded = controls.for_event(&event)?;
    Ok(handle_with(&loaded, clients, store, &event).await?)
}

/// One event over `controls`: every control, or those the event runs, gives the same answer.
/// With `wardRemediate=true`, what the evaluation found is then remediated (a failed
/// revocation is reported in the result and the annotation, and the invocation still
/// succeeds: Lambda would otherwise retry the whole event).
pub async fn handle_with(
    controls: &ControlSet,
    clients: Option<&Clients>,
    store: &EvidenceStore,
    event: &RuleEvent,
) -> Result<Value, AwsError> {
    let plan = config_rule::plan(controls, event, &[])?;
    let remediation = remediate::event_options(event, &plan)?;
    let mut evaluations = config_rule::evaluate_event(controls, event, &plan, clients).await?;
    let remediated = match (&remediation, clients) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(AwsError::Remediation(format!(
                "`{}` is true, but no AWS access was given to remediate with",
                remediate::REMEDIATE_PARAM
            )));
        }
        (Some(options), Some(c)) => {
            let done =
                remediate::remediate_evaluations(c, controls, &plan, options, &mut evaluations)
                    .await;
            let mut summary = done.summary;
            if let (Some(evidence), Some(record)) = (done.evidence, summary.as_object_mut()) {
                record.insert("evidence".into(), store.keep(c, event, evidence).await);
            }
            Some(summary)
        }
    };
    let sent = match (clients, &event.result_token) {
        (Some(c), Some(token)) => Some(config_rule::put_evaluations(c, token, &evaluations).await?),
        (Some(_), None) => return Err(AwsError::NoResultToken),
        (None, _) => None,
    };
    let count = |t: &str| {
        evaluations
            .iter()
            .filter(|e| e.compliance_type == t)
            .count()
    };
    Ok(json!({
        "configRuleName": event.config_rule_name,
        "wardRules": plan.rules,
        "evaluations": evaluations,
        "summary": {
            "COMPLIANT": count("COMPLIANT"),
            "NON_COMPLIANT": count("NON_COMPLIANT"),
            "NOT_APPLICABLE": count("NOT_APPLICABLE"),
        },
        "sent": sent.map(|r| json!({"accepted": r.accepted, "batches": r.batches, "calls": r.calls})),
        "remediation": remediated,
    }))
}
