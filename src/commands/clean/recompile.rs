//! `--recompile`: rebuilding the caches `clean` removed for being stale, suspect, mismatched
//! or corrupt, when their source exists, with the interpreter that reads them.
//!
//! Each cache is compiled by `py_compile` in that interpreter (one process per interpreter and
//! optimisation level, fed the jobs on stdin; the script is `compile.py`), with the same
//! optimisation level and invalidation mode (timestamp when the old header could not say),
//! into a private temporary directory: the interpreter never writes into the tree. The bytes
//! are then installed at the cache's place through the directory handles `clean` removes
//! with (a temporary file opened in the cache's directory, then renamed over the name, as
//! importlib does), so an interrupted rebuild leaves no cache or an old one, never half of
//! one, and a directory swapped for a symlink fails the rebuild instead of writing outside.
//! Every new cache is then judged by the audit from its handle; only a fresh one counts as
//! rebuilt.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{openat, renameat, unlinkat, AtFlags, Mode as RawMode, OFlags};

use super::config::Mode;
use super::handles::{Handles, Place};
use super::outcome::{Rebuild, RebuildOutcome, Row};
use super::safety::Refusal;
use crate::find::prefix::Plan;
use crate::find::walk::{EntryKind, Found};
use crate::pyc::header::Invalidation;
use crate::pyc::magic::PyVersion;
use crate::python::interpreters::{python_command, Finder, Wanted};
use crate::python::naming::Layout;
use crate::verdict::audit::{judge_held, Depth};
use crate::verdict::model::{Kind, Record, Status};

const SCRIPT: &str = include_str!("compile.py");

/// How to rebuild one cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub source: PathBuf,
    pub cache: PathBuf,
    pub wanted: Wanted,
    pub level: u8,
    pub mode: Invalidation,
}

/// Returns true if and only if `clean --recompile` rebuilds a row's cache (when it can).
pub(crate) fn is_candidate(row: &Row) -> bool {
    let r = &row.record;
    row.outcome.removes()
        && r.kind == Kind::Cache
        && matches!(
            r.status,
            Status::Stale | Status::Suspect | Status::Mismatch | Status::Corrupt | Status::Diverged
        )
}

/// How to rebuild a removed cache, or why it cannot be.
pub(crate) fn spec(r: &Record) -> Result<Spec, String> {
    let source = r.source.clone().ok_or("no source")?;
    if r.layout == Some(Layout::Pytest) {
        return Err("pytest writes its assertion-rewrite caches itself on the next run".into());
    }
    let level = r
        .opt_level
        .ok_or("the file name has no numeric optimisation level")?;
    let (Some(implementation), Some(version)) = (
        r.implementation,
        r.python.as_deref().and_then(PyVersion::parse_prefix),
    ) else {
        return Err("neither its name nor its magic number says which Python reads it".into());
    };
    Ok(Spec {
        source,
        cache: r.path.clone(),
        wanted: Wanted {
            implementation,
            version,
        },
        level,
        mode: r.invalidation.unwrap_or(Invalidation::Timestamp),
    })
}

/// What rebuilding needs besides the rows.
pub(crate) struct How<'a> {
    pub mode: Mode,
    pub depth: Depth,
    pub handles: &'a Handles,
    /// What the audit walked, to judge a rebuilt cache as it judged the old one.
    pub plan: &'a Plan,
}

/// Rebuilds (or, in a dry run, says what would rebuild) every candidate row's cache, filling
/// in its `rebuild`; each row comes with the root it was found under.
pub(crate) fn rebuild<'a>(
    rows: impl IntoIterator<Item = (&'a mut Row, &'a Path)>,
    how: &How,
    finder: &mut Finder,
) {
    let mut rows: Vec<(&'a mut Row, &'a Path)> = rows.into_iter().collect();
    let mut batches: BTreeMap<(PathBuf, u8), Vec<(usize, Spec)>> = BTreeMap::new();
    for (i, (row, _)) in rows.iter_mut().enumerate() {
        if !is_candidate(row) {
            continue;
        }
        let spec = match spec(&row.record) {
            Ok(spec) => spec,
            Err(why) => {
                row.rebuild = Some(not_rebuilt(None, why));
                continue;
            }
        };
        let Some(exe) = finder.find(spec.wanted) else {
            let why = format!(
                "no {} found ({} on PATH, or under pyenv)",
                spec.wanted.label(),
                spec.wanted.names()[0]
            );
            row.rebuild = Some(not_rebuilt(None, why));
            continue;
        };
        if how.mode == Mode::DryRun {
            row.rebuild = Some(Rebuild {
                outcome: RebuildOutcome::WouldRebuild,
                interpreter: Some(exe.display().to_string()),
                reason: format!("with {}", spec.wanted.label()),
            });
            continue;
        }
        batches
            .entry((exe, spec.level))
            .or_default()
            .push((i, spec));
    }
    // The interpreter writes every cache into a private directory; the bytes are then
    // installed in the tree through its directory handles, never by a path it resolves.
    let private = match tempfile::Builder::new().prefix("pyc-audit-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            for (i, _) in batches.values().flatten() {
                let why = format!("cannot create a private directory: {e}");
                rows[*i].0.rebuild = Some(not_rebuilt(None, why));
            }
            return;
        }
    };
    for ((exe, level), jobs) in batches {
        let outputs: Vec<(usize, Spec)> = jobs
            .iter()
            .map(|(i, spec)| {
                let cache = private.path().join(format!("{i}.pyc"));
                (
                    *i,
                    Spec {
                        cache,
                        ..spec.clone()
                    },
                )
            })
            .collect();
        let results = run(&exe, level, &outputs);
        for (((i, spec), (_, out)), result) in jobs.into_iter().zip(&outputs).zip(results) {
            let interpreter = Some(exe.display().to_string());
            let root = rows[i].1;
            let installed = result.and_then(|()| install(how.handles, root, &spec, &out.cache));
            rows[i].0.rebuild = Some(match installed {
                Ok(place) => judged(&place, &spec.cache, how, interpreter),
                Err(why) => not_rebuilt(interpreter, why),
            });
        }
    }
}

static INSTALLED: AtomicU64 = AtomicU64::new(0);

/// Writes the interpreter's bytes to the cache's place, atomically as importlib does: a new
/// temporary file (`NAME.<digits>`, debris if a crash leaves it) in the cache's directory,
/// opened through that directory's handle, then renamed over the name.
fn install(handles: &Handles, root: &Path, spec: &Spec, written: &Path) -> Result<Place, String> {
    let bytes = fs::read(written).map_err(|e| format!("the interpreter wrote no cache: {e}"))?;
    let place = handles.locate(root, &spec.cache).map_err(|r| match r {
        Refusal::Vanished => "its directory is gone".to_string(),
        Refusal::Unsafe(why) | Refusal::Io(why) => why,
    })?;
    // importlib's mode: the source's, writable by its owner, never executable.
    let mode = fs::metadata(&spec.source).map_or(0o644, |m| (m.mode() | 0o200) & 0o666);
    let n = INSTALLED.fetch_add(1, Ordering::Relaxed);
    let mut tmp = place.name.clone();
    tmp.push(format!(".{}{n:04}", std::process::id()));
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = openat(place.fd(), &*tmp, flags, RawMode::from_raw_mode(mode))
        .map_err(|e| format!("cannot write a temporary file: {e}"))?;
    let written = File::from(fd)
        .write_all(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            renameat(place.fd(), &*tmp, place.fd(), &*place.name).map_err(|e| e.to_string())
        });
    if let Err(why) = written {
        let _ = unlinkat(place.fd(), &*tmp, AtFlags::empty());
        return Err(format!("cannot install the new cache: {why}"));
    }
    Ok(place)
}

fn not_rebuilt(interpreter: Option<String>, reason: String) -> Rebuild {
    Rebuild {
        outcome: RebuildOutcome::NotRebuilt,
        interpreter,
        reason,
    }
}

/// The audit's verdict on a new cache, read through its directory handle: rebuilt only when
/// fresh.
fn judged(place: &Place, cache: &Path, how: &How, interpreter: Option<String>) -> Rebuild {
    let found = Found {
        path: cache.to_path_buf(),
        kind: EntryKind::File,
    };
    let record = place.open_file().ok().and_then(|file| {
        let meta = file.metadata().ok().filter(|m| m.is_file())?;
        judge_held(found, file, &meta, how.plan, how.depth)
    });
    match record {
        Some(r) if r.status == Status::Fresh => Rebuild {
            outcome: RebuildOutcome::Rebuilt,
            interpreter,
            reason: r.reason.into_owned(),
        },
        Some(r) => not_rebuilt(
            interpreter,
            format!(
                "the new cache is judged {}: {}",
                r.status.as_str(),
                r.reason
            ),
        ),
        None => not_rebuilt(interpreter, "no cache was written".into()),
    }
}

/// The four NUL-terminated fields of each job, as `compile.py` reads them.
fn encode(jobs: &[(usize, Spec)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (_, spec) in jobs {
        let mode = match spec.mode {
            Invalidation::Timestamp => "timestamp",
            Invalidation::CheckedHash => "checked-hash",
            Invalidation::UncheckedHash => "unchecked-hash",
        };
        for field in [
            spec.source.as_os_str().as_encoded_bytes(),
            spec.cache.as_os_str().as_encoded_bytes(),
            spec.level.to_string().as_bytes(),
            mode.as_bytes(),
        ] {
            out.extend_from_slice(field);
            out.push(0);
        }
    }
    out
}

/// Runs `compile.py` in one interpreter; one result per job.
fn run(exe: &Path, level: u8, jobs: &[(usize, Spec)]) -> Vec<Result<(), String>> {
    let fail = |why: String| vec![Err(why); jobs.len()];
    let mut command = python_command(exe);
    // Python 2 has no `optimize` argument: the level comes from its own flags.
    match level {
        0 => {}
        1 => {
            command.arg("-O");
        }
        _ => {
            command.arg("-OO");
        }
    }
    let child = command
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return fail(format!("cannot run {}: {e}", exe.display())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A write error shows up below as missing results.
        let _ = stdin.write_all(&encode(jobs));
    }
    let output = match child.wait_with_output() {
        Ok(output) => output,
        Err(e) => return fail(format!("{}: {e}", exe.display())),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut results: Vec<Result<(), String>> = stdout.lines().map(parse_line).collect();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let why = stderr
        .lines()
        .last()
        .unwrap_or("no output")
        .trim()
        .to_string();
    results.resize(jobs.len(), Err(format!("{} stopped: {why}", exe.display())));
    results
}

fn parse_line(line: &str) -> Result<(), String> {
    match line.split_once('\t') {
        None if line == "ok" => Ok(()),
        Some(("error", why)) => Err(why.to_string()),
        _ => Err(format!("unexpected output {line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyc::magic::Implementation;
    use crate::verdict::model::Action;

    fn removed(status: Status) -> Row {
        let mut r = Record::example();
        r.status = status;
        Row::new(r, super::super::outcome::Outcome::Removed, None)
    }

    #[test]
    fn candidates_are_removed_caches_that_had_a_use() {
        assert!(is_candidate(&removed(Status::Stale)));
        assert!(is_candidate(&removed(Status::Corrupt)));
        assert!(!is_candidate(&removed(Status::Orphan)));
        let mut kept = removed(Status::Stale);
        kept.outcome = super::super::outcome::Outcome::Kept;
        assert!(!is_candidate(&kept));
        let mut dir = removed(Status::Debris);
        dir.record.kind = Kind::Directory;
        dir.record.python_action = Action::Skip;
        assert!(!is_candidate(&dir));
    }

    #[test]
    fn spec_keeps_level_and_mode() {
        let mut r = Record::example();
        r.opt_level = Some(2);
        r.invalidation = Some(Invalidation::CheckedHash);
        let s = spec(&r).unwrap();
        assert_eq!(s.level, 2);
        assert_eq!(s.mode, Invalidation::CheckedHash);
        assert_eq!(s.wanted.implementation, Implementation::CPython);
        assert_eq!(s.wanted.version, PyVersion::new(3, 11));
        r.invalidation = None;
        assert_eq!(spec(&r).unwrap().mode, Invalidation::Timestamp);
        r.layout = Some(Layout::Pytest);
        assert!(spec(&r).unwrap_err().contains("pytest"));
        let mut r = Record::example();
        r.python = None;
        assert!(spec(&r).is_err());
        r.source = None;
        assert_eq!(spec(&r).unwrap_err(), "no source");
    }

    #[test]
    fn jobs_are_nul_separated_and_results_parsed() {
        let s = spec(&Record::example()).unwrap();
        let bytes = encode(&[(0, s)]);
        assert_eq!(
            bytes,
            [
                &b"m.py\0__pycache__/m.cpython-311.pyc\0"[..],
                b"0\0timestamp\0"
            ]
            .concat()
        );
        assert_eq!(parse_line("ok"), Ok(()));
        assert_eq!(parse_line("error\tbad syntax"), Err("bad syntax".into()));
        assert!(parse_line("okay").is_err());
    }
}
