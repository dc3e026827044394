//! Spreading verification requests over worker processes: the requests of each interpreter
//! are cut into batches; one thread per core takes the next batch and hands it to its own
//! worker of that batch's interpreter (started on first use and kept), so each interpreter
//! runs at most as many workers as there are cores, each started once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::worker::Worker;
use super::Request;
use crate::verdict::verify::Verification;

/// A run of requests of one interpreter.
struct Batch {
    executable: usize,
    requests: Vec<usize>,
}

/// Verifies `requests`, each by the executable at its index in `executables`; the answers
/// are in the order of the requests.
pub(super) fn run(
    requests: &[(usize, Request)],
    executables: &[PathBuf],
    jobs: usize,
) -> Vec<Verification> {
    let batches = batches(requests, executables.len(), jobs);
    let next = AtomicUsize::new(0);
    let answers: Mutex<Vec<Option<Verification>>> = Mutex::new(vec![None; requests.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(batches.len()) {
            scope.spawn(|| {
                let mut workers: HashMap<usize, Worker> = HashMap::new();
                while let Some(batch) = batches.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let exe = &executables[batch.executable];
                    let got = run_batch(&mut workers, batch, exe, requests);
                    let mut all = answers.lock().unwrap_or_else(|e| e.into_inner());
                    for (&i, answer) in batch.requests.iter().zip(got) {
                        all[i] = Some(answer);
                    }
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap_or_else(|e| e.into_inner());
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Verification::Error("no answer".into())))
        .collect()
}

/// One batch on this thread's worker of its interpreter; a worker that dies is dropped (the
/// next batch starts a new one) and its batch's requests are errors.
fn run_batch(
    workers: &mut HashMap<usize, Worker>,
    batch: &Batch,
    exe: &Path,
    requests: &[(usize, Request)],
) -> Vec<Verification> {
    let failed = |why: String| vec![Verification::Error(why); batch.requests.len()];
    let worker = match workers.entry(batch.executable) {
        std::collections::hash_map::Entry::Occupied(w) => w.into_mut(),
        std::collections::hash_map::Entry::Vacant(slot) => match Worker::spawn(exe) {
            Ok(w) => slot.insert(w),
            Err(e) => return failed(format!("cannot run {}: {e}", exe.display())),
        },
    };
    let items: Vec<&Request> = batch.requests.iter().map(|&i| &requests[i].1).collect();
    match worker.run(&items) {
        Ok(answers) => answers,
        Err(e) => {
            workers.remove(&batch.executable);
            failed(format!("{} stopped answering: {e}", exe.display()))
        }
    }
}

/// Batches of one interpreter's requests: small enough that every thread gets several (the
/// last ones finish together), large enough that a pipe round trip is cheap beside them.
fn batches(requests: &[(usize, Request)], executables: usize, jobs: usize) -> Vec<Batch> {
    let mut by_exe: Vec<Vec<usize>> = vec![Vec::new(); executables];
    for (i, (exe, _)) in requests.iter().enumerate() {
        by_exe[*exe].push(i);
    }
    let mut out = Vec::new();
    for (executable, indices) in by_exe.into_iter().enumerate() {
        let size = (indices.len() / (jobs * 8)).clamp(1, 64);
        out.extend(indices.chunks(size).map(|c| Batch {
            executable,
            requests: c.to_vec(),
        }));
    }
    out
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
    fn batches_hold_one_interpreter_each() {
        let requests: Vec<_> = (0..1000).map(|i| req(i % 2)).collect();
        let got = batches(&requests, 2, 2);
        assert!(got
            .iter()
            .all(|b| b.requests.iter().all(|&i| requests[i].0 == b.executable)));
        assert_eq!(got.iter().map(|b| b.requests.len()).sum::<usize>(), 1000);
        assert!(got.iter().all(|b| b.requests.len() <= 64));
    }

    #[test]
    fn an_interpreter_that_cannot_run_answers_errors() {
        let requests = vec![req(0), req(0)];
        let got = run(&requests, &[PathBuf::from("/nonexistent/python3")], 2);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|v| matches!(v, Verification::Error(_))));
    }
}
