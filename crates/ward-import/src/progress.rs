//! How far an import has got, for a caller that shows progress: the importer counts (relaxed
//! atomic adds: one per read of a file and one per list element), it never prints.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters an import advances as it reads, readable from any thread while it runs; clones
/// share them. Every input is found, and its size known, before the first is read
/// ([`crate::import_paths_with_progress`]), so the byte total is the whole import's from the
/// start. Bytes are counted as stored (a gzip file's compressed bytes); when an input is
/// done, what it left unread (after a syntax error) is counted as read, so that the bytes
/// read reach the total exactly.
#[derive(Debug, Clone, Default)]
pub struct ImportProgress(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    files_total: AtomicU64,
    files_done: AtomicU64,
    bytes_total: AtomicU64,
    bytes_read: AtomicU64,
    items_read: AtomicU64,
}

/// What an import has done so far ([`ImportProgress::counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Input files found.
    pub files_total: u64,
    /// Input files read to their end (or to the error that stopped them).
    pub files_done: u64,
    /// The sizes of the input files found, added up.
    pub bytes_total: u64,
    pub bytes_read: u64,
    /// Elements of the big lists read: configuration items, Ward resources, query results,
    /// API objects.
    pub items_read: u64,
}

impl ImportProgress {
    pub fn new() -> ImportProgress {
        ImportProgress::default()
    }

    /// The counters as they are now (each read on its own: a snapshot for display).
    pub fn counts(&self) -> ImportCounts {
        let c = &self.0;
        ImportCounts {
            files_total: c.files_total.load(Ordering::Relaxed),
            files_done: c.files_done.load(Ordering::Relaxed),
            bytes_total: c.bytes_total.load(Ordering::Relaxed),
            bytes_read: c.bytes_read.load(Ordering::Relaxed),
            items_read: c.items_read.load(Ordering::Relaxed),
        }
    }

    /// One more input file to read, of `bytes`.
    pub(crate) fn add_input(&self, bytes: u64) {
        self.0.files_total.fetch_add(1, Ordering::Relaxed);
        self.0.bytes_total.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn add_bytes(&self, bytes: u64) {
        self.0.bytes_read.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn add_item(&self) {
        self.0.items_read.fetch_add(1, Ordering::Relaxed);
    }

    /// An input file is done; `unread` of its bytes were not read (counted as read).
    pub(crate) fn file_done(&self, unread: u64) {
        self.0.bytes_read.fetch_add(unread, Ordering::Relaxed);
        self.0.files_done.fetch_add(1, Ordering::Relaxed);
    }
}
