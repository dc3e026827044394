//! Gathering the judged records as the walk goes: each thread of the pool counts, indexes (for
//! the tree-wide checks) and keeps the records of the batches it judged in a share of its own,
//! and the shares are merged once the walk is done. Memory grows with what is kept, not with
//! the caches judged; nothing is allocated or contended per batch.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::Keep;
use crate::verdict::model::{Record, Summary};
use crate::verdict::tree;

/// What the judging of some batches gathered: one per thread, merged into one at the end.
pub(super) struct Gathered {
    pub(super) kept: Vec<Record>,
    pub(super) summary: Summary,
    pub(super) index: tree::Index,
}

impl Gathered {
    pub(super) fn new(roots: usize) -> Gathered {
        Gathered {
            kept: Vec::new(),
            summary: Summary::zero(),
            index: tree::Index::new(roots),
        }
    }

    /// Counts and indexes every record, and keeps those `keep` asks for.
    pub(super) fn take(
        &mut self,
        records: impl IntoIterator<Item = Record>,
        keep: Keep,
        roots: &[PathBuf],
    ) {
        for record in records {
            self.summary.add(&record);
            self.index.add(&record, roots);
            if keep.keeps(&record) {
                self.kept.push(record);
            }
        }
    }

    fn merge(&mut self, other: Gathered) {
        self.kept.extend(other.kept);
        self.summary.merge(&other.summary);
        self.index.merge(other.index);
    }
}

/// What each thread of the pool gathered, behind a lock only its own thread takes (the last
/// is for a caller outside the pool): batches are counted and kept with no allocation or
/// contention per batch.
pub(super) struct PerThread(Vec<Mutex<Gathered>>);

impl PerThread {
    pub(super) fn new(roots: usize) -> PerThread {
        let threads = rayon::current_num_threads() + 1;
        PerThread(
            (0..threads)
                .map(|_| Mutex::new(Gathered::new(roots)))
                .collect(),
        )
    }

    fn mine(&self) -> std::sync::MutexGuard<'_, Gathered> {
        let at = rayon::current_thread_index().unwrap_or(self.0.len() - 1);
        let slot = &self.0[at.min(self.0.len() - 1)];
        slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The shares merged into the largest, which is taken whole (its map is not rebuilt).
    pub(super) fn merged(self, roots: usize) -> Gathered {
        let mut parts: Vec<Gathered> = (self.0.into_iter())
            .map(|part| part.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect();
        parts.sort_by_key(|part| std::cmp::Reverse(part.index.dirs()));
        let mut parts = parts.into_iter();
        let mut all = parts.next().unwrap_or_else(|| Gathered::new(roots));
        for part in parts {
            all.merge(part);
        }
        all
    }
}

/// Counts, indexes and keeps one batch's records in this thread's share, emptying `judged`.
pub(super) fn gather(
    into: &PerThread,
    judged: &mut Vec<Record>,
    keep: Keep,
    roots: &[PathBuf],
    counts: &Counts,
) {
    let findings = judged.iter().filter(|r| r.severity.is_some()).count();
    counts.add(judged.len(), findings);
    into.mine().take(judged.drain(..), keep, roots);
}

/// What the audit has done so far, bumped from any thread (`report::progress` draws it).
#[derive(Debug, Default)]
pub struct Counts {
    judged: AtomicUsize,
    findings: AtomicUsize,
}

impl Counts {
    /// Adds some records judged, of which `findings` have a severity.
    pub(crate) fn add(&self, judged: usize, findings: usize) {
        self.judged.fetch_add(judged, Ordering::Relaxed);
        self.findings.fetch_add(findings, Ordering::Relaxed);
    }

    /// The records judged so far, and how many of them are findings.
    pub(crate) fn so_far(&self) -> (usize, usize) {
        let judged = self.judged.load(Ordering::Relaxed);
        (judged, self.findings.load(Ordering::Relaxed))
    }
}
