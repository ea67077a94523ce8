//! Progress on stderr for the long commands (`ward check`, `ward controls`, `ward report`,
//! `ward collect`): one line, drawn only when stderr is a terminal and `--quiet` is not
//! given, cleared before the command prints anything else. The libraries count (atomic
//! counters, `ward_run::progress`, `ward_aws::collect::CollectProgress`); this module draws,
//! with indicatif, from a thread of its own.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget};
#[cfg(feature = "aws")]
use ward_aws::collect::{CollectProblem, CollectProgress};
use ward_run::progress::{RunProgress, RunStage};

/// How often the line is brought up to date with the counters (and its spinner turned).
const TICK: Duration = Duration::from_millis(100);

/// Whether a command shows progress: stderr is a terminal, and `--quiet` was not given.
pub(crate) fn shown(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// The styles every command's line is drawn in: the stage, right-aligned, then what it is
/// doing.
mod style {
    use indicatif::ProgressStyle;

    // Each fits in 80 columns with room for the message, which is cut to the terminal's
    // width: a line that wrapped would be drawn again below itself.
    /// A stage whose size is not known: a spinner.
    pub(super) const SPINNER: &str = "{prefix:>10.cyan.bold} {spinner} {wide_msg}";
    /// Reading the inputs: bytes read of the inputs' size.
    pub(super) const IMPORT: &str = "{prefix:>10.cyan.bold} [{bar:20}] {bytes}/{total_bytes} \
{binary_bytes_per_sec}, ETA {eta}  {wide_msg}";
    /// Evaluating: (control, resource) pairs decided.
    pub(super) const EVALUATE: &str = "{prefix:>10.cyan.bold} [{bar:20}] {human_pos}/{human_len} \
pairs, {per_sec:0}, ETA {eta}  {wide_msg}";
    /// Collecting from AWS: resources read (how many there are is not known).
    #[cfg(feature = "aws")]
    pub(super) const COLLECT: &str =
        "{prefix:>10.cyan.bold} {spinner} {human_pos} resources  {wide_msg}";

    pub(super) fn of(template: &str) -> ProgressStyle {
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> ")
    }
}

/// A line on stderr, drawn in full the first time: configured hidden, then shown.
fn stderr_line(
    prefix: &'static str,
    template: &str,
    message: String,
    length: Option<u64>,
    position: u64,
) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::hidden());
    bar.set_style(style::of(template));
    bar.set_prefix(prefix);
    bar.set_message(message);
    bar.set_position(position);
    bar.reset_eta();
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.tick();
    bar
}

/// The progress line of a run (`ward check`, `ward controls`, `ward report`), following a
/// [`RunProgress`] from its own thread. Dropping it clears the line.
pub(crate) struct RunProgressLine {
    progress: Arc<RunProgress>,
    /// The line of the stage shown: each stage has its own, drawn in its place.
    bar: Arc<Mutex<Option<ProgressBar>>>,
    stop: Option<mpsc::Sender<()>>,
    follower: Option<JoinHandle<()>>,
}

impl RunProgressLine {
    /// A line following a new [`RunProgress`] when progress is [`shown`], else `None`.
    pub(crate) fn start_if_shown(quiet: bool) -> Option<RunProgressLine> {
        if !shown(quiet) {
            return None;
        }
        let progress = Arc::new(RunProgress::new());
        let bar = Arc::new(Mutex::new(None));
        let (stop, stopped) = mpsc::channel::<()>();
        let follower = std::thread::Builder::new()
            .name("ward-progress".into())
            .spawn({
                let progress = Arc::clone(&progress);
                let bar = Arc::clone(&bar);
                move || {
                    let mut shown = Shown::default();
                    loop {
                        shown.update(&bar, &progress);
                        if stopped.recv_timeout(TICK) != Err(mpsc::RecvTimeoutError::Timeout) {
                            break;
                        }
                    }
                }
            })
            .ok();
        Some(RunProgressLine {
            progress,
            bar,
            stop: Some(stop),
            follower,
        })
    }

    /// The counters the run advances.
    pub(crate) fn progress(&self) -> Arc<RunProgress> {
        Arc::clone(&self.progress)
    }

    /// Runs `print` (which writes to stderr) with the line taken off the screen.
    pub(crate) fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        let bar = self.bar.lock().unwrap_or_else(PoisonError::into_inner);
        match bar.as_ref() {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

impl Drop for RunProgressLine {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(follower) = self.follower.take() {
            let _ = follower.join();
        }
        let bar = self.bar.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bar) = bar.as_ref() {
            bar.finish_and_clear();
        }
    }
}

/// What the line shows: a new line when the stage (or the backend evaluating) changes.
#[derive(Default)]
struct Shown {
    stage: Option<RunStage>,
    backend: String,
}

/// One stage's line as it is now.
struct StageLine {
    prefix: &'static str,
    template: &'static str,
    message: String,
    /// `None` for a spinner.
    length: Option<u64>,
    position: u64,
}

impl Shown {
    fn update(&mut self, line: &Mutex<Option<ProgressBar>>, progress: &RunProgress) {
        let stage = progress.stage();
        let mut new_line = self.stage != Some(stage);
        self.stage = Some(stage);
        let now = match stage {
            RunStage::Loading => StageLine::spinner("loading", "the controls"),
            RunStage::Finishing => {
                StageLine::spinner("finishing", "waivers and the findings document")
            }
            RunStage::Importing => {
                let counts = progress.import.counts();
                let mut message = format!("{} items", HumanCount(counts.items_read));
                if counts.files_total > 1 {
                    message.push_str(&format!(
                        ", file {}/{}",
                        (counts.files_done + 1).min(counts.files_total),
                        counts.files_total
                    ));
                }
                StageLine {
                    prefix: "importing",
                    template: style::IMPORT,
                    message,
                    length: Some(counts.bytes_total),
                    position: counts.bytes_read,
                }
            }
            RunStage::Evaluating => {
                let view = progress.evaluation.view();
                if view.backend != self.backend {
                    new_line = true;
                    self.backend.clone_from(&view.backend);
                }
                StageLine {
                    prefix: "evaluating",
                    template: style::EVALUATE,
                    message: if view.step.is_empty() {
                        view.backend
                    } else {
                        format!("{}: {}", view.backend, view.step)
                    },
                    length: Some(view.pairs_total),
                    position: view.pairs_done,
                }
            }
        };
        let mut shown = line.lock().unwrap_or_else(PoisonError::into_inner);
        match shown.as_ref() {
            Some(bar) if !new_line => {
                if let Some(length) = now.length {
                    bar.set_length(length);
                    bar.set_position(now.position);
                }
                bar.set_message(now.message);
                bar.tick();
            }
            old => {
                // The rate and ETA are counted afresh for each stage.
                if let Some(old) = old {
                    old.finish_and_clear();
                }
                *shown = Some(stderr_line(
                    now.prefix,
                    now.template,
                    now.message,
                    now.length,
                    now.position,
                ));
            }
        }
    }
}

impl StageLine {
    fn spinner(prefix: &'static str, message: &str) -> StageLine {
        StageLine {
            prefix,
            template: style::SPINNER,
            message: message.to_string(),
            length: None,
            position: 0,
        }
    }
}

#[cfg(feature = "aws")]
/// The progress line of `ward collect`: a spinner with the resources read and the call
/// being made; the problems are said as warnings above it (on stderr as they happen, shown
/// or not). Dropping it clears the line.
pub(crate) struct CollectProgressLine {
    bar: Option<ProgressBar>,
}

#[cfg(feature = "aws")]
impl CollectProgressLine {
    pub(crate) fn start(quiet: bool) -> CollectProgressLine {
        let bar = shown(quiet).then(|| {
            let bar = stderr_line("collecting", style::COLLECT, String::new(), None, 0);
            bar.enable_steady_tick(TICK);
            bar
        });
        CollectProgressLine { bar }
    }
}

#[cfg(feature = "aws")]
impl CollectProgress for CollectProgressLine {
    fn reading(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
        }
    }

    fn resource_read(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn problem(&self, problem: &CollectProblem) {
        let line = format!("warning: {problem}");
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

#[cfg(feature = "aws")]
impl Drop for CollectProgressLine {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::ProgressStyle;

    #[test]
    fn every_template_parses() {
        for template in [
            style::SPINNER,
            style::IMPORT,
            style::EVALUATE,
            #[cfg(feature = "aws")]
            style::COLLECT,
        ] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
