//! The directory-swap race: while `clean` (and `clean --recompile`) runs, a thread exchanges
//! a `__pycache__` directory and a whole package with symlinks to an outside directory that
//! holds same-named caches (`renameat2(RENAME_EXCHANGE)` in a tight loop, so each name is a
//! real directory and a symlink in turn). Nothing outside the root may change: every file
//! there is checksummed before and after, and no file may appear there.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::fs::{renameat_with, RenameFlags, CWD};

use crate::pyc_audit;
use crate::support::{pep552, T};

const CACHES: usize = 12;

/// Source and stale cache names of one package, written into `dir`.
fn package(dir: &Path, with_sources: bool) {
    fs::create_dir_all(dir.join("__pycache__")).unwrap();
    for i in 0..CACHES {
        if with_sources {
            let source = dir.join(format!("m{i}.py"));
            fs::write(&source, format!("V = {i}\n")).unwrap();
            filetime::set_file_mtime(&source, filetime::FileTime::from_unix_time(T, 0)).unwrap();
        }
        let cache = dir.join(format!("__pycache__/m{i}.cpython-311.pyc"));
        fs::write(cache, pep552(3495, 0, T as u32, 999)).unwrap();
    }
}

/// Every file under `dir` (not following symlinks) and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_file() {
            out.insert(e.path().to_path_buf(), fs::read(e.path()).unwrap());
        }
    }
    out
}

/// Builds the root and the outside tree; returns the pairs of names the swapper exchanges.
fn build(root: &Path, outside: &Path) -> Vec<(PathBuf, PathBuf)> {
    let _ = fs::remove_dir_all(root);
    package(&root.join("a"), true);
    package(&root.join("b"), true);
    package(&outside.join("a"), true);
    package(&outside.join("b"), true);
    let a_link = root.join("a/.swap");
    let b_link = root.join(".swap-b");
    std::os::unix::fs::symlink(outside.join("a/__pycache__"), &a_link).unwrap();
    std::os::unix::fs::symlink(outside.join("b"), &b_link).unwrap();
    vec![
        (root.join("a/__pycache__"), a_link),
        (root.join("b"), b_link),
    ]
}

/// Runs `clean` with `args` `rounds` times under the swapper; the outside tree's changes.
fn rounds(args: &[&str], rounds: usize) -> (usize, Vec<String>) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("root");
    let outside = temp.path().join("outside");
    let mut problems = Vec::new();
    let swaps = AtomicUsize::new(0);
    for round in 0..rounds {
        let _ = fs::remove_dir_all(&outside);
        let pairs = build(&root, &outside);
        let before = snapshot(&outside);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    for (x, y) in &pairs {
                        if renameat_with(CWD, x, CWD, y, RenameFlags::EXCHANGE).is_ok() {
                            swaps.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
            pyc_audit(args, &[&root]);
            stop.store(true, Ordering::Relaxed);
        });
        let after = snapshot(&outside);
        for (path, bytes) in &before {
            match after.get(path) {
                None => problems.push(format!("round {round}: removed {}", path.display())),
                Some(b) if b != bytes => {
                    problems.push(format!("round {round}: rewritten {}", path.display()))
                }
                Some(_) => {}
            }
        }
        for path in after.keys().filter(|p| !before.contains_key(*p)) {
            problems.push(format!("round {round}: created {}", path.display()));
        }
    }
    (swaps.into_inner(), problems)
}

#[test]
fn swapped_directories_never_let_clean_reach_outside() {
    let (swaps, mut problems) = rounds(&["clean", "--format", "json"], 40);
    eprintln!(
        "swap race, clean: 40 runs, {swaps} swaps, {} outside files changed",
        problems.len()
    );
    let python = crate::interpreters::discover("swap")
        .into_iter()
        .find(|i| i.implementation == "CPython" && i.label().contains("3.11"));
    if python.is_some() {
        let (swaps, more) = rounds(&["clean", "--recompile", "--format", "json"], 10);
        eprintln!(
            "swap race, clean --recompile: 10 runs, {swaps} swaps, {} outside files changed",
            more.len()
        );
        problems.extend(more);
    } else {
        assert!(
            !crate::interpreters::all_required(),
            "no CPython 3.11 under CI"
        );
        eprintln!("swap race: no CPython 3.11, --recompile not raced");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
