//! `ward cedar`: the Cedar backend's own commands (`ward cedar schema`).

use std::io::Write as _;

use ward_cedar::WardSchema;

use super::{Exit, Outcome, fail};

/// What `ward cedar` does.
#[derive(clap::Subcommand)]
pub(crate) enum CedarCommand {
    /// Print the Cedar schema Ward generates from its inventory model: the entity type of
    /// every resource type with its attributes, and the actions of control and
    /// least-privilege requests. Cedar policies are validated against it.
    Schema {
        #[arg(long, value_enum, default_value_t = SchemaFormat::Cedar)]
        format: SchemaFormat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum SchemaFormat {
    /// Cedar schema syntax
    Cedar,
    /// Cedar's JSON schema format
    Json,
}

pub(crate) fn cedar(command: CedarCommand) -> Outcome {
    match command {
        CedarCommand::Schema { format } => {
            let schema = WardSchema::builtin()
                .map_err(|e| fail(format!("the Cedar schema could not be built: {e}")))?;
            let text = match format {
                SchemaFormat::Json => schema.to_json_string(),
                SchemaFormat::Cedar => schema.to_cedarschema().map_err(fail)?,
            };
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{}", text.trim_end());
            Ok(Exit::Clean)
        }
    }
}
