//! `ward check`: evaluate the rules over the inventory and print the findings.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::builder::EnumValueParser;
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, FromArgMatches, ValueEnum};
use ward_report::rule_info::RuleInfo;
use ward_report::{FindingsDocument, render_text};

use super::{Run, RunArgs, color_enabled, run, run_exit_code, write_stdout};

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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Csv,
    Markdown,
}

impl Format {
    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
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
                .value_parser(EnumValueParser::<Format>::new())
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
        let to_stdout: Vec<String> = pairs
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

fn render(
    format: Format,
    doc: &FindingsDocument,
    rules: &[RuleInfo],
    color: bool,
    verbose: bool,
) -> Result<String, String> {
    Ok(match format {
        Format::Json => doc.to_json(),
        Format::Text => render_text(doc, color, verbose),
        Format::Sarif => ward_report::sarif::render_sarif(doc, rules),
        Format::Junit => ward_report::junit::render_junit(doc, rules),
        Format::Csv => ward_report::csv::render_csv(doc).map_err(|e| e.to_string())?,
        Format::Markdown => ward_report::markdown::render_markdown(doc, rules),
    })
}

pub(crate) fn check(args: CheckArgs) -> ExitCode {
    let sign_key = match super::bundle::read_sign_key(args.bundle.sign_key.as_deref()) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let Run {
        doc,
        input_errors,
        controls,
        inventory,
        input_files,
        timings,
        started,
    } = match run(&args.run) {
        Ok(run) => run,
        Err(code) => return code,
    };
    if let Some(out) = &args.bundle.bundle {
        let written = super::bundle::write_bundle(super::bundle::BundleSource {
            out,
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
        });
        if let Err(code) = written {
            return code;
        }
    }
    let rules = controls.rules();
    let output_started = Instant::now();
    for (format, output) in &args.outputs.pairs {
        if *format == Format::Json {
            // Written as it is serialized: the findings of a large estate are hundreds of
            // megabytes of JSON, not worth holding twice.
            let written = match output {
                Some(path) => std::fs::File::create(path).and_then(|f| doc.write_json(f)),
                None => doc.write_json(std::io::stdout().lock()),
            };
            match (written, output) {
                (Ok(()), _) => {}
                (Err(e), Some(path)) => {
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    return ExitCode::from(2);
                }
                (Err(_), None) => return ExitCode::from(2),
            }
            continue;
        }
        let color = output.is_none() && color_enabled();
        let text = match render(*format, &doc, rules, color, args.verbose) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        match output {
            Some(path) => {
                if let Err(e) = std::fs::write(path, text) {
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            None => {
                if let Err(code) = write_stdout(&text) {
                    return code;
                }
            }
        }
    }
    if let Some(timings) = &timings {
        timings.record("output", output_started.elapsed());
    }
    Run::print_timings(timings.as_deref(), started);
    let code = run_exit_code(input_errors, &doc);
    // The process ends with this command: freeing the inventory and the findings one
    // allocation at a time would only add to its run time (a tenth of it on large snapshots).
    std::mem::forget(inventory);
    std::mem::forget(doc);
    code
}
