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
    #[command(flatten)]
    pub(crate) bundle: super::bundle::BundleFlags,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

pub(crate) fn check(args: CheckArgs) -> ExitCode {
    let sign_key = match super::bundle::read_sign_key(args.bundle.sign_key.as_deref()) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let Run {
        doc,
        input_errors,
        pack,
        inventory,
        input_files,
        ..
    } = match run(&args.run) {
        Ok(run) => run,
        Err(code) => return code,
    };
    if let Some(out) = &args.bundle.bundle {
        let written = super::bundle::write_bundle(super::bundle::BundleSource {
            out,
            doc: &doc,
            pack: &pack,
            policies: &args.run.policies,
            citations: None,
            inventory: Some(&inventory),
            no_snapshot: args.bundle.no_snapshot,
            input_files: input_files.iter().map(std::path::PathBuf::from).collect(),
            waiver_files: &args.run.waivers,
            parameters: Some(super::bundle::run_parameters(&args.run)),
            key: sign_key.as_ref(),
        });
        if let Err(code) = written {
            return code;
        }
    }
    let text = match args.format {
        Format::Json => doc.to_json(),
        Format::Text => render_text(&doc, color_enabled(), args.verbose),
    };
    if let Err(code) = write_stdout(&text) {
        return code;
    }
    run_exit_code(input_errors, &doc)
}
