//! Where the wall time of a run goes, stage by stage, and how high its memory has risen
//! when each stage ends: `ward check --timings`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The stages of one run and the wall time each took, in the order they began (a stage
/// inside another comes after it). Shared by the command and the backends (through
/// [`crate::EvalOptions::timings`]); recording costs two locks per stage.
#[derive(Debug, Default)]
pub struct Timings {
    stages: Mutex<Vec<Stage>>,
}

#[derive(Debug, Clone)]
struct Stage {
    name: String,
    took: Option<Duration>,
    /// The process's peak resident memory when the stage ended, in KiB (Linux).
    peak_kib: Option<u64>,
}

/// The process's peak resident set size so far (`VmHWM`), where the system tells it.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Timings {
    pub fn new() -> Arc<Timings> {
        Arc::new(Timings::default())
    }

    /// Records that `stage` took `took`.
    pub fn record(&self, stage: impl Into<String>, took: Duration) {
        if let Ok(mut stages) = self.stages.lock() {
            stages.push(Stage {
                name: stage.into(),
                took: Some(took),
                peak_kib: None,
            });
        }
    }

    /// Runs `work`, recording its wall time as `stage`, in the place of its beginning.
    pub fn time<T>(&self, stage: impl Into<String>, work: impl FnOnce() -> T) -> T {
        let slot = self.stages.lock().ok().map(|mut stages| {
            stages.push(Stage {
                name: stage.into(),
                took: None,
                peak_kib: None,
            });
            stages.len() - 1
        });
        let start = Instant::now();
        let out = work();
        let took = start.elapsed();
        let peak_kib = peak_resident_kib();
        if let (Some(slot), Ok(mut stages)) = (slot, self.stages.lock())
            && let Some(entry) = stages.get_mut(slot)
        {
            entry.took = Some(took);
            entry.peak_kib = peak_kib;
        }
        out
    }

    /// The stages finished so far, in the order they began.
    pub fn stages(&self) -> Vec<(String, Duration)> {
        self.finished()
            .into_iter()
            .filter_map(|stage| stage.took.map(|t| (stage.name, t)))
            .collect()
    }

    fn finished(&self) -> Vec<Stage> {
        self.stages
            .lock()
            .map(|stages| {
                stages
                    .iter()
                    .filter(|s| s.took.is_some())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The stages as a table for a person: one line per stage, seconds, share of `total`,
    /// and the peak memory so far when the stage ended (where the system tells it).
    pub fn render(&self, total: Duration) -> String {
        let mut stages = self.finished();
        stages.push(Stage {
            name: "total".to_string(),
            took: Some(total),
            peak_kib: peak_resident_kib(),
        });
        let width = stages
            .iter()
            .map(|stage| stage.name.chars().count())
            .max()
            .unwrap_or(5);
        let mut out = String::from(
            "timings (wall clock; nested stages are indented; peak memory so far at the end of each)\n",
        );
        let whole = total.as_secs_f64().max(f64::MIN_POSITIVE);
        for stage in &stages {
            let name = &stage.name;
            let seconds = stage.took.unwrap_or_default().as_secs_f64();
            let peak = stage
                .peak_kib
                .map(|kib| format!("  {:>7.0} MiB", kib as f64 / 1024.0))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {name:<width$}  {seconds:>8.3} s  {:>5.1}%{peak}\n",
                100.0 * seconds / whole
            ));
        }
        out
    }
}

/// How many of the slowest rules `--timings` names.
const SLOWEST: usize = 5;

/// Records the rules that took the most time (`spent`, nanoseconds per rule, in the order
/// of `rules`, summed over the threads that evaluated them), slowest first.
pub fn record_slowest<'a>(
    timings: &Timings,
    rules: impl IntoIterator<Item = &'a str>,
    spent: Vec<std::sync::atomic::AtomicU64>,
) {
    let mut by_rule: Vec<(u64, &str)> = spent
        .into_iter()
        .zip(rules)
        .map(|(nanos, id)| (nanos.into_inner(), id))
        .filter(|(nanos, _)| *nanos > 0)
        .collect();
    by_rule.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    for (nanos, id) in by_rule.into_iter().take(SLOWEST) {
        timings.record(
            format!("      rule {id} (summed over threads)"),
            Duration::from_nanos(nanos),
        );
    }
}

/// Runs `work`, recording it as `stage` when `timings` is given.
pub fn timed<T>(timings: Option<&Timings>, stage: &str, work: impl FnOnce() -> T) -> T {
    match timings {
        Some(timings) => timings.time(stage, work),
        None => work(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_keep_their_order_and_render_with_the_total() {
        let timings = Timings::new();
        let three = timings.time("evaluate", || {
            timings.record("  cedar: entities", Duration::from_millis(250));
            3
        });
        assert_eq!(three, 3);
        let names: Vec<String> = timings.stages().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["evaluate", "  cedar: entities"],
            "in the order they began"
        );
        let table = timings.render(Duration::from_secs(1));
        assert!(
            table.contains("  cedar: entities     0.250 s   25.0%"),
            "{table}"
        );
        assert!(
            table.lines().last().unwrap_or_default().contains("total"),
            "{table}"
        );
        assert_eq!(timed(None, "x", || 1), 1);
    }
}
