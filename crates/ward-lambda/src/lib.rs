//! Ward as an AWS Config custom rule Lambda: the handler behind the `bootstrap` binary (the
//! Lambda custom runtime, `provided.al2023`). It is `ward config-rule --put` in a function:
//! the same event parsing, rule selection, evaluation and `PutEvaluations`
//! (`ward_aws::config_rule`), over the HIPAA pack built into the binary.
//!
//! Which Ward rules a Config rule runs: its `wardRules` parameter, else its name (see
//! `docs/aws.md`).

#![forbid(unsafe_code)]

use serde_json::{Value, json};
use ward_aws::config_rule::{self, RuleEvent};
use ward_aws::{AwsError, Clients};
use ward_run::backends::ControlSet;

/// What one invocation did, returned to the Lambda service (and so logged).
pub async fn handle(
    controls: &ControlSet,
    clients: Option<&Clients>,
    payload: &Value,
) -> Result<Value, AwsError> {
    let event = RuleEvent::parse(&payload.to_string())?;
    let plan = config_rule::plan(controls, &event, &[])?;
    let evaluations = config_rule::evaluate_event(controls, &event, &plan, clients).await?;
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
