//! Ward as an AWS Config custom rule Lambda: the handler behind the `bootstrap` binary (the
//! Lambda custom runtime, `provided.al2023`). It is `ward config-rule --put` in a function:
//! the same event parsing, rule selection, evaluation and `PutEvaluations`
//! (`ward_aws::config_rule`), over the HIPAA pack built into the binary.
//!
//! Which Ward rules a Config rule runs: its `wardRules` parameter, else its name (see
//! `docs/aws.md`). The event is read first; then only those rules are loaded (their files
//! and what those import, parsed and checked: `ward_run::aws::controls_for_event`), once
//! per container for each set of rules ([`ControlsByRules`]).

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use ward_aws::config_rule::{self, RuleEvent};
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

/// What one invocation did, returned to the Lambda service (and so logged).
pub async fn handle(
    controls: &ControlsByRules,
    clients: Option<&Clients>,
    payload: &Value,
) -> Result<Value, HandleError> {
    let event = RuleEvent::parse(&payload.to_string())?;
    let loaded = controls.for_event(&event)?;
    Ok(handle_with(&loaded, clients, &event).await?)
}

/// One event over `controls`: every control, or those the event runs, gives the same answer.
pub async fn handle_with(
    controls: &ControlSet,
    clients: Option<&Clients>,
    event: &RuleEvent,
) -> Result<Value, AwsError> {
    let plan = config_rule::plan(controls, event, &[])?;
    let evaluations = config_rule::evaluate_event(controls, event, &plan, clients).await?;
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
    }))
}
