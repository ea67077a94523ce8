//! `ward collect`, `ward config-rule` and `ward remediate` in a `ward` built without the
//! `aws` feature: each is still a command, so that its name is known and `--help` lists it,
//! and each says how to get a `ward` that runs it instead of failing as an unknown command.

use clap::Args;

/// The arguments of a command this build does not have: taken as they are, never read.
#[derive(Args)]
pub(crate) struct WithoutAws {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

fn needs_aws(command: &str) -> super::Outcome {
    Err(super::fail(format!(
        "`ward {command}` talks to AWS, and this `ward` was built without AWS support (to keep the quick start's build small).\n  \
help: build it with the `aws` feature: `cargo run -p ward-cli --features aws -- {command} ...` (or `--features full`; `cargo install --path crates/ward-cli --features full`)"
    )))
}

pub(crate) mod collect {
    pub(crate) use super::WithoutAws as CollectArgs;

    pub(crate) fn collect(_: CollectArgs) -> super::super::Outcome {
        super::needs_aws("collect")
    }
}

pub(crate) mod config_rule {
    pub(crate) use super::WithoutAws as ConfigRuleArgs;

    pub(crate) fn config_rule(_: ConfigRuleArgs) -> super::super::Outcome {
        super::needs_aws("config-rule")
    }
}

pub(crate) mod remediate {
    pub(crate) use super::WithoutAws as RemediateArgs;

    pub(crate) fn remediate(_: RemediateArgs) -> super::super::Outcome {
        super::needs_aws("remediate")
    }
}
