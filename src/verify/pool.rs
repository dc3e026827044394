//! Spreading verification requests over worker processes: each interpreter's requests are cut
//! into batches, and at most one worker per core of that interpreter takes them, the next
//! batch from a shared counter each time, so the last ones finish together.
//!
//! Each worker is fed by its own writer thread, a batch ahead of the answers its reader thread
//! reads: the interpreter never waits for pyc-audit to be scheduled between two batches (on a
//! busy machine that wait, twice per batch, cost a third of the run), and as the writer and the
//! reader block independently, no size of batch or answer can deadlock the pipes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

use super::worker::{Feeder, Worker};
use super::Request;
use crate::verdict::verify::Verification;

/// Verifies `requests`, each by the executable at its index in `executables`; the answers
/// are in the order of the requests.
pub(super) fn run(
    requests: &[(usize, Request)],
    executables: &[PathBuf],
    jobs: usize,
) -> Vec<Verification> {
    let answers: Mutex<Vec<Option<Verification>>> = Mutex::new(vec![None; requests.len()]);
    let jobs = jobs.max(1);
    std::thread::scope(|scope| {
        for (exe, path) in executables.iter().enumerate() {
            let mine: Vec<usize> = (0..requests.len())
                .filter(|&i| requests[i].0 == exe)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let size = (mine.len() / (jobs * 8)).clamp(1, 32);
            let batches: Vec<Vec<usize>> = mine.chunks(size).map(<[usize]>::to_vec).collect();
            let shared = Shared {
                batches,
                next: AtomicUsize::new(0),
            };
            let workers = jobs.min(shared.batches.len());
            let (shared, answers) = (std::sync::Arc::new(shared), &answers);
            for _ in 0..workers {
                let shared = shared.clone();
                scope.spawn(move || one_worker(path, &shared, requests, answers));
            }
        }
    });
    let answers = answers.into_inner().unwrap_or_else(|e| e.into_inner());
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Verification::Error("no worker answered".into())))
        .collect()
}

/// One interpreter's batches and the next one to take.
struct Shared {
    batches: Vec<Vec<usize>>,
    next: AtomicUsize,
}

impl Shared {
    fn take(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.batches.len()).then_some(i)
    }
}

/// Runs one worker until the batches run out: a writer thread feeds it, this thread reads.
fn one_worker(
    exe: &Path,
    shared: &Shared,
    requests: &[(usize, Request)],
    answers: &Mutex<Vec<Option<Verification>>>,
) {
    let store = |batch: &[usize], got: Vec<Verification>| {
        let mut all = answers.lock().unwrap_or_else(|e| e.into_inner());
        for (&i, answer) in batch.iter().zip(got) {
            all[i] = Some(answer);
        }
    };
    let (mut feeder, mut worker) = match Worker::spawn(exe) {
        Ok(pair) => pair,
        Err(e) => {
            let why = format!("cannot run {}: {e}", exe.display());
            while let Some(b) = shared.take() {
                let batch = &shared.batches[b];
                store(batch, vec![Verification::Error(why.clone()); batch.len()]);
            }
            return;
        }
    };
    // One batch in the channel, one being written: the writer stays at most two ahead.
    let (sent, received) = sync_channel::<usize>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || write_all(&mut feeder, shared, requests, &sent));
        let mut dead: Option<String> = None;
        for b in received {
            let batch = &shared.batches[b];
            let got = match &dead {
                Some(why) => Err(why.clone()),
                None => worker.read(batch.len()).map_err(|e| e.to_string()),
            };
            match got {
                Ok(got) => store(batch, got),
                Err(why) => {
                    let why = format!("{} stopped answering: {why}", exe.display());
                    store(batch, vec![Verification::Error(why.clone()); batch.len()]);
                    dead = Some(why);
                }
            }
        }
    });
}

/// Takes batches and writes them to the worker, telling the reader each one written.
fn write_all(
    feeder: &mut Feeder,
    shared: &Shared,
    requests: &[(usize, Request)],
    sent: &std::sync::mpsc::SyncSender<usize>,
) {
    while let Some(b) = shared.take() {
        let items: Vec<&Request> = shared.batches[b].iter().map(|&i| &requests[i].1).collect();
        let written = feeder.write(&items);
        // Sent even when the write failed, so the reader marks the batch as not verified.
        if sent.send(b).is_err() || written.is_err() {
            break;
        }
    }
    feeder.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(exe: usize) -> (usize, Request) {
        let r = Request {
            cache: PathBuf::from("m.pyc"),
            source: PathBuf::from("m.py"),
            level: 0,
            header_len: 16,
        };
        (exe, r)
    }

    #[test]
    fn an_interpreter_that_cannot_run_answers_errors() {
        let requests = vec![req(0), req(0), req(1)];
        let exes = [
            PathBuf::from("/nonexistent/python3"),
            PathBuf::from("/nonexistent/python2"),
        ];
        let got = run(&requests, &exes, 2);
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|v| matches!(v, Verification::Error(_))));
    }

    #[test]
    fn a_worker_that_exits_answers_errors_not_a_hang() {
        let requests: Vec<_> = (0..100).map(|_| req(0)).collect();
        // `true` reads nothing and exits at once.
        let got = run(&requests, &[PathBuf::from("/bin/true")], 2);
        assert_eq!(got.len(), 100);
        assert!(got.iter().all(|v| matches!(v, Verification::Error(_))));
    }
}
