//! `ward config-rule`: evaluate an AWS Config custom rule event, print the evaluations in
//! the `PutEvaluations` shape, and with `--put` send them (docs/aws.md).

use std::path::PathBuf;

use ward_aws::Clients;
use ward_aws::config_rule::{self, RuleEvent};
use ward_run::backends::LoadOptions;

use super::collect::AwsArgs;
use super::{Exit, Outcome, fail};

#[derive(clap::Args)]
pub(crate) struct ConfigRuleArgs {
    /// The event Config sends to the rule's Lambda (or its invoking event alone)
    #[arg(long, value_name = "FILE")]
    pub(crate) event: PathBuf,
    /// Output: one line per evaluation, or `{"evaluations": [...]}`
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub(crate) format: EvalFormat,
    /// Send the evaluations to AWS Config with the event's result token
    #[arg(long)]
    pub(crate) put: bool,
    /// The Ward rule(s) to run (default: the rule parameter `wardRules`, else the Config
    /// rule's name). Repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub(crate) rules: Vec<String>,
    /// Rule directories (default: the built-in HIPAA pack). Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub(crate) policies: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EvalFormat {
    Text,
    Json,
}

/// Exit codes: 0 nothing non-compliant, 1 some evaluation is NON_COMPLIANT, 2 the event,
/// the rules or AWS failed (nothing, or not everything, was sent).
pub(crate) fn config_rule(args: ConfigRuleArgs) -> Outcome {
    let text = std::fs::read_to_string(&args.event)
        .map_err(|e| fail(format!("cannot read `{}`: {e}", args.event.display())))?;
    let event_fail = |e: ward_aws::AwsError| fail(format!("`{}`: {e}", args.event.display()));
    let event = RuleEvent::parse(&text).map_err(event_fail)?;
    // Only the rules the event runs (and what they import) are loaded and checked.
    let options = LoadOptions {
        policies: args.policies.clone(),
        ..LoadOptions::default()
    };
    let controls = ward_run::aws::controls_for_event(&options, &event, &args.rules)
        .map_err(super::report_load_error)?;
    let plan = config_rule::plan(&controls, &event, &args.rules).map_err(event_fail)?;
    // The same parameters are read (and refused) as in the Lambda; acting is the Lambda's
    // and `ward remediate`'s.
    if ward_aws::remediate::event_options(&event, &plan)
        .map_err(event_fail)?
        .is_some()
    {
        eprintln!(
            "note: the event asks for remediation (`{}`); `ward config-rule` only evaluates: `ward remediate --group-id SG` revokes what these evaluations find",
            ward_aws::remediate::REMEDIATE_PARAM
        );
    }
    if args.put && event.result_token.is_none() {
        return Err(event_fail(ward_aws::AwsError::NoResultToken));
    }
    let needs_aws = args.put || config_rule::needs_aws(&controls, &event, &plan);
    let runtime = ward_aws::runtime().map_err(event_fail)?;
    let outcome = runtime.block_on(async {
        let clients = if needs_aws {
            Some(Clients::load(&args.aws.options()).await?)
        } else {
            None
        };
        let evaluations =
            config_rule::evaluate_event(&controls, &event, &plan, clients.as_ref()).await?;
        let put = match (&clients, &event.result_token) {
            (Some(c), Some(token)) if args.put => {
                Some(config_rule::put_evaluations(c, token, &evaluations).await?)
            }
            _ => None,
        };
        Ok::<_, ward_aws::AwsError>((evaluations, put))
    });
    let (evaluations, put) = outcome.map_err(event_fail)?;
    let out = match args.format {
        EvalFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({"evaluations": evaluations}))
                .map_err(fail)?
                + "\n"
        }
        EvalFormat::Text => evaluations
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}{}\n",
                    e.compliance_type,
                    e.compliance_resource_type,
                    e.compliance_resource_id,
                    e.ordering_timestamp,
                    e.annotation
                        .as_ref()
                        .map(|a| format!(": {a}"))
                        .unwrap_or_default()
                )
            })
            .collect(),
    };
    super::write_stdout(&out)?;
    if let Some(report) = put {
        eprintln!(
            "sent {} evaluation(s) to AWS Config in {} batch(es), {} PutEvaluations call(s)",
            report.accepted, report.batches, report.calls
        );
    }
    Ok(Exit::flagged_if(
        evaluations
            .iter()
            .any(|e| e.compliance_type == "NON_COMPLIANT"),
    ))
}
