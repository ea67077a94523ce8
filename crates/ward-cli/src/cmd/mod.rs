//! The subcommands of `ward`, one module each, and what they share: loading, importing and
//! evaluating a run, exit codes, and output.

pub(crate) mod bundle;
pub(crate) mod cedar;
pub(crate) mod check;
#[cfg(feature = "aws")]
pub(crate) mod collect;
#[cfg(feature = "aws")]
pub(crate) mod config_rule;
pub(crate) mod controls;
pub(crate) mod explain;
pub(crate) mod keygen;
#[cfg(feature = "aws")]
pub(crate) mod remediate;
#[cfg(not(feature = "aws"))]
pub(crate) mod without_aws;
#[cfg(not(feature = "aws"))]
pub(crate) use without_aws::{collect, config_rule, remediate};
pub(crate) mod report;
pub(crate) mod rules;
pub(crate) mod test;
pub(crate) mod verify;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use ward_engine::timings::Timings;
use ward_lang::PackError;
use ward_report::FindingsDocument;
use ward_run::backends::{ControlSet, LoadError, LoadOptions};
use ward_run::run::{RunError, RunRequest};
use ward_run::waivers::WaiverFilesError;

use crate::progress::RunProgressLine;

pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How a command that did its job ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Exit code 0: nothing non-compliant, nothing left to do.
    Clean,
    /// Exit code 1: something NON_COMPLIANT (or ERROR: failing closed), a PARTIAL collection,
    /// a bundle that does not verify, a remediation planned but not applied.
    Flagged,
}

impl Exit {
    pub(crate) fn flagged_if(flagged: bool) -> Exit {
        if flagged { Exit::Flagged } else { Exit::Clean }
    }
}

/// A command that could not do its job, after saying why on stderr: exit code 2.
#[derive(Debug)]
pub(crate) struct Failed;

/// What every command returns; `main` makes it the process's exit code ([`exit_code`]).
pub(crate) type Outcome = Result<Exit, Failed>;

/// Says `error: MESSAGE` on stderr.
pub(crate) fn fail(message: impl std::fmt::Display) -> Failed {
    eprintln!("error: {message}");
    Failed
}

/// 0, 1 or 2 (the exit codes `ward --help` documents).
pub(crate) fn exit_code(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(Exit::Clean) => ExitCode::SUCCESS,
        Ok(Exit::Flagged) => ExitCode::from(1),
        Err(Failed) => ExitCode::from(2),
    }
}

/// What to evaluate: shared by `check` and `controls`.
#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// An inventory file or a directory of them: AWS Config snapshot (.json or .json.gz),
    /// Config API output, a Config rule event, a Ward inventory, or account-level facts
    /// (credential report CSV, password policy, account summary...). Repeatable.
    #[arg(long = "snapshot", value_name = "FILE")]
    pub(crate) snapshots: Vec<PathBuf>,
    /// Rule directories (default: the built-in HIPAA pack). Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub(crate) policies: Vec<PathBuf>,
    /// Override a rule parameter: RULE.KEY=VALUE (lists as 1,2,3 or JSON). Repeatable.
    #[arg(long = "param", value_name = "RULE.KEY=VALUE")]
    pub(crate) params: Vec<String>,
    /// Evaluation time (RFC 3339) for ages; default: the snapshot's latest capture time
    #[arg(long = "as-of", value_name = "TIME")]
    pub(crate) as_of: Option<String>,
    /// Only these rules (repeatable)
    #[arg(long = "rule", value_name = "ID")]
    pub(crate) rules: Vec<String>,
    /// A waiver file (YAML, docs/waivers.md): failing findings a reviewed, unexpired waiver
    /// covers become WAIVED and do not fail the run. Repeatable.
    #[arg(long = "waivers", value_name = "FILE")]
    pub(crate) waivers: Vec<PathBuf>,
    /// A WASM plugin (docs/plugins.md) whose controls run beside the rules. Repeatable;
    /// a rule directory's plugins.yaml lists more.
    #[arg(long = "plugin", value_name = "FILE.wasm")]
    pub(crate) plugins: Vec<PathBuf>,
    /// Fuel of each plugin call (about one unit per WebAssembly instruction; default 500
    /// million, docs/plugins.md)
    #[arg(long = "plugin-fuel", value_name = "UNITS")]
    pub(crate) plugin_fuel: Option<u64>,
    /// Memory of each plugin instance, in MiB (default 64)
    #[arg(long = "plugin-memory", value_name = "MIB")]
    pub(crate) plugin_memory: Option<usize>,
    /// Read every configuration field. By default only the fields the loaded controls read
    /// are kept, the rest skipped unread (faster, less memory; the document's `fields_read`
    /// says which). With this flag the redactions list covers every field and an evidence
    /// bundle's inventory holds the whole input.
    #[arg(long = "all-fields")]
    pub(crate) all_fields: bool,
    /// Print to stderr, at the end, the wall time of each stage (loading, import, each
    /// backend, output), the peak memory when each ended, and the slowest rules
    #[arg(long = "timings")]
    pub(crate) timings: bool,
    /// The most evaluation steps one rule may take for one resource (default 20 million,
    /// about a second); past it that finding is ERROR, naming the rule and the budget
    #[arg(long = "step-budget", value_name = "STEPS")]
    pub(crate) step_budget: Option<u64>,
    /// No progress line. Without it, a line on stderr shows the stage (loading, importing,
    /// evaluating), bytes read and (control, resource) pairs decided, with rate and ETA, and
    /// is cleared when the run ends; it is shown only when stderr is a terminal
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl RunArgs {
    /// Where this run's controls come from.
    pub(crate) fn load_options(&self, timings: Option<Arc<Timings>>) -> LoadOptions {
        LoadOptions {
            timings,
            policies: self.policies.clone(),
            plugins: self.plugins.clone(),
            plugin_limits: ward_run::plugins::PluginLimits {
                fuel: self.plugin_fuel,
                memory_bytes: self.plugin_memory.map(|m| m.saturating_mul(1 << 20)),
            },
            only: None,
        }
    }
}

/// Loads the controls; a problem is reported.
pub(crate) fn load_controls(options: &LoadOptions) -> Result<ControlSet, Failed> {
    ControlSet::load(options).map_err(report_load_error)
}

pub(crate) fn report_load_error(e: LoadError) -> Failed {
    match e {
        LoadError::Pack(PackError::Invalid(diags)) => report_diagnostics(diags, "the rules"),
        LoadError::Invalid { what, diagnostics } => {
            let n = diagnostics.len();
            for d in diagnostics {
                eprintln!("{d:?}");
            }
            eprintln!("error: {n} problem(s) in {what}; nothing was evaluated");
        }
        other => eprintln!("error: {other}"),
    }
    Failed
}

/// Prints every diagnostic with its source, then how many there were in `what`.
fn report_diagnostics<D>(diags: Vec<D>, what: &str)
where
    D: miette::Diagnostic + Send + Sync + 'static,
{
    let n = diags.len();
    for d in diags {
        eprintln!("{:?}", miette::Report::new(d));
    }
    eprintln!("error: {n} problem(s) in {what}; nothing was evaluated");
}

pub(crate) fn color_enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A finished evaluation: the document, and whether some input could not be read.
pub(crate) struct Run {
    pub(crate) controls: ControlSet,
    pub(crate) doc: FindingsDocument,
    pub(crate) input_errors: bool,
    /// The normalized inventory that was evaluated (for the evidence bundle).
    pub(crate) inventory: ward_model::Inventory,
    /// Every input file read, as the importer named it (for the evidence bundle).
    pub(crate) input_files: Vec<String>,
    /// The stages' wall times and peak memory, with `--timings`, and when the run began.
    pub(crate) timings: Option<Arc<Timings>>,
    pub(crate) started: Instant,
}

impl Run {
    /// With `--timings`, the stages' table goes to stderr (the output is written).
    pub(crate) fn print_timings(timings: Option<&Timings>, started: Instant) {
        if let Some(timings) = timings {
            eprint!("{}", timings.render(started.elapsed()));
        }
    }
}

/// Loads the pack, imports the inputs and evaluates (`ward_run::run`); an `Err` once the
/// problem was reported.
pub(crate) fn run(args: &RunArgs) -> Result<Run, Failed> {
    let started = Instant::now();
    let timings = args.timings.then(Timings::new);
    let progress_line = RunProgressLine::start_if_shown(args.quiet);
    let request = RunRequest {
        load: args.load_options(timings.clone()),
        snapshots: args.snapshots.clone(),
        params: args.params.clone(),
        rules: args.rules.clone(),
        waivers: args.waivers.clone(),
        as_of: args.as_of.clone(),
        all_fields: args.all_fields,
        step_budget: args.step_budget,
        version: VERSION.to_string(),
        progress: progress_line.as_ref().map(RunProgressLine::progress),
    };
    let mut show_import = |report: &ward_import::ImportReport| {
        let print = || {
            for d in report.diagnostics() {
                if d.level != ward_import::Level::Info {
                    eprintln!("{:?}", miette::Report::new(d.clone()));
                }
            }
        };
        match &progress_line {
            Some(line) => line.suspend(print),
            None => print(),
        }
    };
    let outcome = ward_run::run::run(&request, &mut show_import);
    // The line is cleared before anything else is printed.
    drop(progress_line);
    let outcome = outcome.map_err(|e| match e {
        RunError::Load(e) => report_load_error(e),
        RunError::Waivers(WaiverFilesError::Invalid(diags)) => {
            report_diagnostics(diags, "the waiver files");
            Failed
        }
        other => fail(other),
    })?;
    if !args.waivers.is_empty() {
        for warning in outcome
            .doc
            .waivers
            .iter()
            .filter_map(ward_report::waiver_warning)
        {
            eprintln!("warning: {warning}");
        }
    }
    Ok(Run {
        controls: outcome.controls,
        doc: outcome.doc,
        input_errors: outcome.input_errors,
        inventory: outcome.inventory,
        input_files: outcome.input_files,
        timings,
        started,
    })
}

/// Writes to standard output; a closed one (a pipe to `head`) leaves nothing to say it on.
pub(crate) fn write_stdout(text: &str) -> Result<(), Failed> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).map_err(|_| Failed)
}

/// Failed when some input could not be read, flagged when something failed, else clean.
pub(crate) fn run_outcome(input_errors: bool, doc: &FindingsDocument) -> Outcome {
    if input_errors {
        return Err(fail(
            "some input could not be read (see above); the rest was evaluated",
        ));
    }
    Ok(Exit::flagged_if(
        doc.summary.non_compliant > 0 || doc.summary.error > 0,
    ))
}
