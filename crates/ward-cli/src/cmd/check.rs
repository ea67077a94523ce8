//! `ward check`: evaluate the rules over the inventory and print the findings.

use std::path::PathBuf;
use std::time::Instant;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, FromArgMatches};
use ward_report::format::{Format, TextOptions, WriteError};

use super::{Failed, Outcome, Run, RunArgs, color_enabled, fail, run, run_outcome};

#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) outputs: Outputs,
    /// In text output, list compliant and not-applicable findings too
    #[arg(long, short)]
    pub(crate) verbose: bool,
    #[command(flatten)]
    pub(crate) bundle: super::bundle::BundleFlags,
}

/// The `--format`/`--output` pairs of a run, in command-line order: each `--output FILE`
/// belongs to the `--format` before it; a format without one goes to standard output.
pub(crate) struct Outputs {
    pub(crate) pairs: Vec<(Format, Option<PathBuf>)>,
}

impl clap::Args for Outputs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .value_parser(
                    PossibleValuesParser::new(Format::ALL.map(Format::name))
                        .try_map(|name| Format::from_name(&name).ok_or("unknown format")),
                )
                .action(ArgAction::Append)
                .help("Output format (default: text); repeat it, each with its own --output"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Append)
                .help("Write the preceding --format to FILE instead of standard output"),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for Outputs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let formats: Vec<(usize, Format)> = indexed(m, "format");
        let outputs: Vec<(usize, PathBuf)> = indexed(m, "output");
        let usage = |msg: String| clap::Error::raw(ErrorKind::ArgumentConflict, msg);
        let mut pairs: Vec<(Format, Option<PathBuf>)> =
            formats.iter().map(|(_, f)| (*f, None)).collect();
        for (at, path) in outputs {
            // The last --format before this --output.
            let Some(k) = formats.iter().rposition(|(i, _)| *i < at) else {
                return Err(usage(format!(
                    "`--output {}` must follow the `--format` it is for (e.g. `--format sarif --output {}`)",
                    path.display(),
                    path.display()
                )));
            };
            let Some(pair) = pairs.get_mut(k) else {
                continue;
            };
            if let Some(first) = &pair.1 {
                return Err(usage(format!(
                    "`--format {}` has two outputs, `{}` and `{}`: give each output its own `--format`",
                    pair.0.name(),
                    first.display(),
                    path.display()
                )));
            }
            pair.1 = Some(path);
        }
        if pairs.is_empty() {
            pairs.push((Format::Text, None));
        }
        let to_stdout: Vec<&str> = pairs
            .iter()
            .filter(|(_, o)| o.is_none())
            .map(|(f, _)| f.name())
            .collect();
        if to_stdout.len() > 1 {
            return Err(usage(format!(
                "formats {} would all go to standard output: give all but one an `--output FILE`",
                to_stdout.join(", ")
            )));
        }
        let mut seen: Vec<&PathBuf> = Vec::new();
        for path in pairs.iter().filter_map(|(_, o)| o.as_ref()) {
            if seen.contains(&path) {
                return Err(usage(format!(
                    "`--output {}` is given twice",
                    path.display()
                )));
            }
            seen.push(path);
        }
        Ok(Outputs { pairs })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

/// The values of a repeatable argument with their positions on the command line.
fn indexed<T: Clone + Send + Sync + 'static>(m: &ArgMatches, id: &str) -> Vec<(usize, T)> {
    match (m.indices_of(id), m.get_many::<T>(id)) {
        (Some(at), Some(values)) => at.zip(values.cloned()).collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn check(args: CheckArgs) -> Outcome {
    let sign_key = super::bundle::read_sign_key(args.bundle.sign_key.as_deref())?;
    let Run {
        doc,
        input_errors,
        controls,
        inventory,
        input_files,
        timings,
        started,
    } = run(&args.run)?;
    if let Some(out) = &args.bundle.bundle {
        let written = super::bundle::write_bundle(
            out,
            ward_run::evidence::BundleRequest {
                doc: &doc,
                controls: &controls,
                policies: &args.run.policies,
                citations: None,
                inventory: Some(&inventory),
                no_snapshot: args.bundle.no_snapshot,
                input_files: input_files.iter().map(std::path::PathBuf::from).collect(),
                waiver_files: &args.run.waivers,
                parameters: Some(super::bundle::run_parameters(&args.run)),
                key: sign_key.as_ref(),
                ward_version: super::VERSION,
            },
        );
        written?;
    }
    let rules = controls.rules();
    let output_started = Instant::now();
    for (format, output) in &args.outputs.pairs {
        let text = TextOptions {
            color: output.is_none() && color_enabled(),
            verbose: args.verbose,
        };
        let written = match output {
            // JSON is written to the file as it is serialized (it can be hundreds of
            // megabytes); the other formats are rendered first, so that a rendering error
            // leaves no half-written or empty file behind.
            Some(path) if *format == Format::Json => std::fs::File::create(path)
                .map_err(WriteError::Io)
                .and_then(|mut file| format.write(&doc, rules, text, &mut file)),
            Some(path) => {
                let mut rendered = Vec::new();
                format
                    .write(&doc, rules, text, &mut rendered)
                    .and_then(|()| std::fs::write(path, rendered).map_err(WriteError::Io))
            }
            None => format.write(&doc, rules, text, &mut std::io::stdout().lock()),
        };
        match (written, output) {
            (Ok(()), _) => {}
            (Err(WriteError::Csv(e)), _) => return Err(fail(e)),
            (Err(e), Some(path)) => {
                return Err(fail(format!("cannot write `{}`: {e}", path.display())));
            }
            // Standard output closed (a pipe to `head`): nothing to say it on.
            (Err(_), None) => return Err(Failed),
        }
    }
    if let Some(timings) = &timings {
        timings.record("output", output_started.elapsed());
    }
    Run::print_timings(timings.as_deref(), started);
    let outcome = run_outcome(input_errors, &doc);
    // The process ends with this command: freeing the inventory and the findings one
    // allocation at a time would only add to its run time (a tenth of it on large snapshots).
    std::mem::forget(inventory);
    std::mem::forget(doc);
    outcome
}
