//! `ward check`: evaluate the rules over the inventory and print the findings.

use std::process::ExitCode;

use clap::ValueEnum;
use ward_report::render_text;

use super::{Run, RunArgs, color_enabled, run, run_exit_code, write_stdout};

#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// In text output, list compliant and not-applicable findings too
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

pub(crate) fn check(args: CheckArgs) -> ExitCode {
    let Run {
        doc, input_errors, ..
    } = match run(&args.run) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let text = match args.format {
        Format::Json => doc.to_json(),
        Format::Text => render_text(&doc, color_enabled(), args.verbose),
    };
    if let Err(code) = write_stdout(&text) {
        return code;
    }
    run_exit_code(input_errors, &doc)
}
