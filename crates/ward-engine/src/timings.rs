//! Where the wall time of a run goes, stage by stage: `ward check --timings`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The stages of one run and the wall time each took, in the order they began (a stage
/// inside another comes after it). Shared by the command and the backends (through
/// [`crate::EvalOptions::timings`]); recording costs two locks per stage.
#[derive(Debug, Default)]
pub struct Timings {
    stages: Mutex<Vec<(String, Option<Duration>)>>,
}

impl Timings {
    pub fn new() -> Arc<Timings> {
        Arc::new(Timings::default())
    }

    /// Records that `stage` took `took`.
    pub fn record(&self, stage: impl Into<String>, took: Duration) {
        if let Ok(mut stages) = self.stages.lock() {
            stages.push((stage.into(), Some(took)));
        }
    }

    /// Runs `work`, recording its wall time as `stage`, in the place of its beginning.
    pub fn time<T>(&self, stage: impl Into<String>, work: impl FnOnce() -> T) -> T {
        let slot = self.stages.lock().ok().map(|mut stages| {
            stages.push((stage.into(), None));
            stages.len() - 1
        });
        let start = Instant::now();
        let out = work();
        let took = start.elapsed();
        if let (Some(slot), Ok(mut stages)) = (slot, self.stages.lock())
            && let Some((_, entry)) = stages.get_mut(slot)
        {
            *entry = Some(took);
        }
        out
    }

    /// The stages finished so far, in the order they began.
    pub fn stages(&self) -> Vec<(String, Duration)> {
        self.stages
            .lock()
            .map(|stages| {
                stages
                    .iter()
                    .filter_map(|(name, took)| took.map(|t| (name.clone(), t)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The stages as a table for a person: one line per stage, seconds and share of `total`.
    pub fn render(&self, total: Duration) -> String {
        let stages = self.stages();
        let width = stages
            .iter()
            .map(|(name, _)| name.chars().count())
            .chain(["total".len()])
            .max()
            .unwrap_or(5);
        let mut out = String::from("timings (wall clock; nested stages are indented)\n");
        let whole = total.as_secs_f64().max(f64::MIN_POSITIVE);
        for (name, took) in stages.iter().chain([&("total".to_string(), total)]) {
            let seconds = took.as_secs_f64();
            out.push_str(&format!(
                "  {name:<width$}  {seconds:>8.3} s  {:>5.1}%\n",
                100.0 * seconds / whole
            ));
        }
        out
    }
}

/// How many of the slowest rules `--timings` names.
const SLOWEST: usize = 5;

/// Records the rules that took the most time (`spent`, nanoseconds per rule of the pack,
/// summed over the threads that evaluated them), slowest first.
pub(crate) fn record_slowest(
    timings: &Timings,
    pack: &ward_lang::Pack,
    spent: Vec<std::sync::atomic::AtomicU64>,
) {
    let mut by_rule: Vec<(u64, &str)> = spent
        .into_iter()
        .zip(&pack.rules)
        .map(|(nanos, rule)| (nanos.into_inner(), rule.id.as_str()))
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
