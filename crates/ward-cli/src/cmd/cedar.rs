//! `ward cedar`: the Cedar backend's own commands (`ward cedar schema`).

use std::io::Write as _;
use std::process::ExitCode;

use ward_cedar::WardSchema;

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

pub(crate) fn cedar(command: CedarCommand) -> ExitCode {
    match command {
        CedarCommand::Schema { format } => {
            let schema = match WardSchema::builtin() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: the Cedar schema could not be built: {e}");
                    return ExitCode::from(2);
                }
            };
            let text = match format {
                SchemaFormat::Json => Ok(schema.to_json_string()),
                SchemaFormat::Cedar => schema.to_cedarschema(),
            };
            match text {
                Ok(t) => {
                    // A closed pipe (`| head`) is not an error worth a panic.
                    let _ = writeln!(std::io::stdout().lock(), "{}", t.trim_end());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
