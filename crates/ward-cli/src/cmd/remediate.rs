//! `ward remediate`: plan (and with `--apply` carry out) the `RevokeSecurityGroupIngress`
//! calls that fix `restricted-ssh`, `restricted-common-ports` and
//! `vpc-default-security-group-closed`, or with `--access-keys` the `UpdateAccessKey
//! Status=Inactive` calls that fix `access-keys-rotated` and
//! `iam-user-unused-credentials-check`, recording before and after as evidence.

use std::path::PathBuf;

use ward_aws::Clients;
use ward_run::backends::{ControlSet, LoadOptions};

use super::collect::AwsArgs;
use super::{Exit, Outcome, fail};

#[derive(clap::Args)]
pub(crate) struct RemediateArgs {
    /// Only these security groups (repeatable; default: every group of the Region)
    #[arg(long = "group-id", value_name = "SG", conflicts_with = "access_keys")]
    pub(crate) group_ids: Vec<String>,
    /// Deactivate the IAM access keys that fail access-keys-rotated or
    /// iam-user-unused-credentials-check (never delete them), instead of revoking
    /// security-group rules
    #[arg(long)]
    pub(crate) access_keys: bool,
    /// With --access-keys: only these IAM users (repeatable; default: every user)
    #[arg(long = "user", value_name = "NAME", requires = "access_keys")]
    pub(crate) users: Vec<String>,
    /// With --access-keys: deactivate at most this many keys (the others are listed as skipped)
    #[arg(long, value_name = "N", requires = "access_keys")]
    pub(crate) max_keys: Option<usize>,
    /// Carry out the plan (without it, only print it)
    #[arg(long)]
    pub(crate) apply: bool,
    /// Where to write the evidence of an applied plan (default: remediation-TIMESTAMP.json)
    #[arg(long, value_name = "FILE")]
    pub(crate) evidence: Option<PathBuf>,
    /// Leave alone a group (or with --access-keys a user) carrying this tag key, whatever its value
    #[arg(long, value_name = "KEY", default_value = ward_aws::remediate::DEFAULT_OPT_OUT_TAG)]
    pub(crate) opt_out_tag: String,
    /// Change at most this many groups (the others are listed as skipped)
    #[arg(long, value_name = "N", conflicts_with = "access_keys")]
    pub(crate) max_groups: Option<usize>,
    /// Print the plan as JSON
    #[arg(long)]
    pub(crate) json: bool,
    /// Override a rule parameter: RULE.KEY=VALUE (e.g. restricted-common-ports.blockedPorts=22,3389)
    #[arg(long = "param", value_name = "RULE.KEY=VALUE")]
    pub(crate) params: Vec<String>,
    /// Rule directories (default: the built-in HIPAA pack). Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub(crate) policies: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

/// Exit codes: 0 nothing to do or everything applied, 1 a plan to apply (without
/// `--apply`), a call that failed or a group whose fix could not be planned, 2 usage or AWS
/// errors.
pub(crate) fn remediate(args: RemediateArgs) -> Outcome {
    let controls = super::load_controls(&LoadOptions {
        policies: args.policies.clone(),
        ..LoadOptions::default()
    })?;
    let params = ward_run::parse_param_overrides(&args.params).map_err(fail)?;
    if args.access_keys {
        return remediate_keys(&args, &controls, &params);
    }
    let runtime = ward_aws::runtime().map_err(fail)?;
    let outcome = runtime.block_on(async {
        let clients = Clients::load(&args.aws.options()).await?;
        let options = ward_aws::remediate::PlanOptions {
            opt_out_tag: Some(args.opt_out_tag.clone()).filter(|t| !t.is_empty()),
            max_groups: args.max_groups,
            rules: None,
        };
        let plan =
            ward_aws::remediate::plan(&clients, &controls, &args.group_ids, &params, &options)
                .await?;
        let evidence = if args.apply && !plan.actions.is_empty() {
            Some(ward_aws::remediate::apply(&clients, &plan).await?)
        } else {
            None
        };
        Ok::<_, ward_aws::AwsError>((plan, evidence))
    });
    let (plan, evidence) = outcome.map_err(fail)?;
    let unplanned = plan.skipped.iter().filter(|s| s.error).count();
    let done = Done {
        actions: plan.actions.len(),
        unplanned,
        evidence,
    };
    finish(&args, &plan, plan.to_text(), done, &GROUPS)
}

/// What a run of either kind of plan leaves to report.
struct Done {
    actions: usize,
    unplanned: usize,
    evidence: Option<serde_json::Value>,
}

/// How the report names what a kind of plan changes.
struct Words {
    items: &'static str,
    left: &'static str,
    to_apply: &'static str,
    done: &'static str,
    failed: &'static str,
}

const GROUPS: Words = Words {
    items: "group(s)",
    left: "they are left as they are",
    to_apply: "revoke these rules",
    done: "call(s) made",
    failed: "some revocation failed",
};

const KEYS: Words = Words {
    items: "user(s)",
    left: "their keys are left as they are",
    to_apply: "deactivate these keys",
    done: "key(s) deactivated",
    failed: "some deactivation failed",
};

/// Prints the plan (`text`, or `plan` as JSON with `--json`), says what could not be
/// planned, writes the evidence of an applied plan, and gives the exit code: 1 for a plan
/// left to apply, a failed call or something unplanned.
fn finish(
    args: &RemediateArgs,
    plan: &impl serde::Serialize,
    text: String,
    done: Done,
    words: &Words,
) -> Outcome {
    let shown = if args.json {
        serde_json::to_string_pretty(plan)
            .map(|t| t + "\n")
            .unwrap_or_default()
    } else {
        text
    };
    super::write_stdout(&shown)?;
    let Done {
        actions,
        unplanned,
        evidence,
    } = done;
    if unplanned > 0 {
        eprintln!(
            "error: Ward could not plan the fix of {unplanned} {} (listed above); {}",
            words.items, words.left
        );
    }
    let Some(evidence) = evidence else {
        if actions > 0 {
            eprintln!("plan only: run again with --apply to {}", words.to_apply);
        }
        return Ok(Exit::flagged_if(actions > 0 || unplanned > 0));
    };
    let path = args.evidence.clone().unwrap_or_else(|| {
        let stamp = ward_aws::now_rfc3339().replace([':', '.'], "-");
        PathBuf::from(format!("remediation-{stamp}.json"))
    });
    let text = serde_json::to_string_pretty(&evidence).unwrap_or_default() + "\n";
    std::fs::write(&path, text).map_err(|e| {
        fail(format!(
            "the plan was applied, but the evidence cannot be written to `{}`: {e}",
            path.display()
        ))
    })?;
    let complete = evidence.get("complete") == Some(&serde_json::Value::Bool(true));
    eprintln!(
        "{actions} {}; before and after recorded in `{}`",
        words.done,
        path.display()
    );
    if !complete {
        eprintln!("error: {} (see the evidence file)", words.failed);
    }
    Ok(Exit::flagged_if(!complete || unplanned > 0))
}

/// `--access-keys`: the same plan, apply and evidence steps, for access keys.
fn remediate_keys(
    args: &RemediateArgs,
    controls: &ControlSet,
    params: &std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, serde_json::Value>,
    >,
) -> Outcome {
    let runtime = ward_aws::runtime().map_err(fail)?;
    let outcome = runtime.block_on(async {
        let clients = Clients::load(&args.aws.options()).await?;
        let options = ward_aws::remediate_keys::KeyPlanOptions {
            opt_out_tag: Some(args.opt_out_tag.clone()).filter(|t| !t.is_empty()),
            max_keys: args.max_keys,
            users: args.users.clone(),
        };
        let plan =
            ward_aws::remediate_keys::plan_keys(&clients, controls, params, &options).await?;
        let evidence = if args.apply && !plan.actions.is_empty() {
            Some(ward_aws::remediate_keys::apply_keys(&clients, &plan).await?)
        } else {
            None
        };
        Ok::<_, ward_aws::AwsError>((plan, evidence))
    });
    let (plan, evidence) = outcome.map_err(fail)?;
    let unplanned = plan.skipped.iter().filter(|s| s.error).count();
    let done = Done {
        actions: plan.actions.len(),
        unplanned,
        evidence,
    };
    finish(args, &plan, plan.to_text(), done, &KEYS)
}
