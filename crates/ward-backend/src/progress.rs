//! How far an evaluation has got, for a caller that shows progress: backends count, they
//! never print.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Shared by a run and its backends through [`EvalOptions::progress`](crate::EvalOptions):
/// each backend, as it starts, says its name and how many (control, resource) pairs it will
/// decide ([`EvalProgress::begin`]), then counts each pair decided
/// ([`EvalProgress::advance`]: one relaxed atomic add, no lock). Whoever shows it reads
/// [`EvalProgress::view`] from another thread.
#[derive(Debug, Default)]
pub struct EvalProgress {
    /// The backend evaluating and what it is doing: changed a few times a run.
    names: Mutex<Names>,
    pairs_total: AtomicU64,
    pairs_done: AtomicU64,
}

#[derive(Debug, Default)]
struct Names {
    backend: String,
    step: String,
}

/// The evaluation as it is now ([`EvalProgress::view`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalProgressView {
    /// The backend evaluating (empty before the first begins).
    pub backend: String,
    /// What it is doing, when it says (Cedar: building its entities, a control's id).
    pub step: String,
    pub pairs_done: u64,
    pub pairs_total: u64,
}

impl EvalProgress {
    pub fn new() -> EvalProgress {
        EvalProgress::default()
    }

    /// `backend` starts, with `pairs` (control, resource) pairs to decide.
    pub fn begin(&self, backend: &str, pairs: u64) {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        names.backend = backend.to_string();
        names.step.clear();
        self.pairs_done.store(0, Ordering::Relaxed);
        self.pairs_total.store(pairs, Ordering::Relaxed);
    }

    /// What the backend is doing now.
    pub fn step(&self, step: &str) {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        step.clone_into(&mut names.step);
    }

    /// One more pair decided.
    pub fn advance(&self) {
        self.pairs_done.fetch_add(1, Ordering::Relaxed);
    }

    /// The evaluation as it is now (a snapshot for display: the counters are read one after
    /// the other).
    pub fn view(&self) -> EvalProgressView {
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        EvalProgressView {
            backend: names.backend.clone(),
            step: names.step.clone(),
            pairs_done: self.pairs_done.load(Ordering::Relaxed),
            pairs_total: self.pairs_total.load(Ordering::Relaxed),
        }
    }
}
