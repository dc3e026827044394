//! Removing what the plan selected, one file at a time, each judged again right before its
//! removal from a handle that stays open until its name is gone.
//!
//! For every file: its name must be a cache or temporary-file name; its directory is opened
//! from the root's handle without following any symlink (`handles`), the file is opened in it
//! with `O_NOFOLLOW | O_NONBLOCK` and must be a regular file; a cache is judged again by the
//! audit from that handle (if it is no longer in a selected status, another process rewrote
//! it or its source came back, it stays); a temporary file stays unless untouched for
//! [`DEBRIS_AGE`]. Then `unlink::remove_judged` removes the name only if it still refers to
//! that very file. Directories are removed with `unlinkat(AT_REMOVEDIR)` relative to their
//! parent's handle, which fails unless the directory is empty, and only when named
//! `__pycache__`.
//!
//! Order, and why a crash part-way leaves a consistent tree: every step is one rename, one
//! `unlink` or one `rmdir`, each atomic, so there is never a half-removed file. Files go first,
//! directory by directory, the `__init__` caches of a directory last, so a package that loses
//! its caches stays the same kind of package until its last one goes; `__pycache__`
//! directories go last and only once empty. Whatever a crash leaves is a subset of the
//! original caches, each untouched and judged by a later run exactly as before, plus possibly
//! an empty `__pycache__` (which a later run removes as debris) and at most one
//! `.pyc-audit-PID-N.quarantine` file: a cache judged useless, set aside just before its
//! unlink, which Python never reads.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::{unlinkat, AtFlags};
use rustix::io::Errno;

use super::config::Mode;
use super::handles::{Handles, Place};
use super::outcome::{Outcome, Row};
use super::plan::{Decision, Planned};
use super::safety::{self, is_pycache_name, removable_file_name, FileName, Refusal};
use super::unlink::{remove_judged, Identity, Unlinked};
use crate::find::prefix::Plan;
use crate::find::walk::{EntryKind, Found};
use crate::verdict::audit::{component_key, judge_held, Depth};
use crate::verdict::model::{Action, Kind, Record, Status};

/// What removing needs besides the plan.
pub(crate) struct Context<'a> {
    pub mode: Mode,
    pub statuses: &'a HashSet<Status>,
    pub depth: Depth,
    pub handles: &'a Handles,
    /// What the audit walked, to judge a cache again as it did.
    pub plan: &'a Plan,
}

/// How long a temporary file of a cache write must be untouched before it is debris that
/// `clean` removes: a write in progress (importlib writes the whole cache, then renames it)
/// takes far less, and a minute leaves room for a slow disk or a stopped process.
pub(crate) const DEBRIS_AGE: Duration = Duration::from_secs(60);

/// A row and the root its path was found under.
pub(crate) struct Done {
    pub row: Row,
    pub root: PathBuf,
}

/// Acts on every planned file (caches and temporary files), in a crash-safe order.
pub(crate) fn files(mut planned: Vec<Planned>, ctx: &Context) -> Vec<Done> {
    planned.sort_by_cached_key(|p| order_key(&p.record.path));
    planned
        .into_iter()
        .map(|p| {
            let row = match p.decision {
                Decision::Keep(why) => Row::new(p.record, Outcome::Kept, Some(why)),
                Decision::Fail(why) => Row::new(p.record, Outcome::Failed, Some(why)),
                Decision::Remove | Decision::RemoveIfEmptied => remove_file(p.record, &p.root, ctx),
            };
            Done { row, root: p.root }
        })
        .collect()
}

/// Directory first, then `__init__` caches after the others, then the name (in `Path`'s
/// order, compared as bytes: see `component_key`).
fn order_key(path: &Path) -> (Vec<u8>, bool, Vec<u8>) {
    let parent = component_key(path.parent().unwrap_or(Path::new("")));
    let init = path
        .file_name()
        .is_some_and(|n| n.as_encoded_bytes().starts_with(b"__init__."));
    (parent, init, component_key(path))
}

fn remove_file(record: Record, root: &Path, ctx: &Context) -> Row {
    let name = record.path.file_name().and_then(removable_file_name);
    let Some(name) = name else {
        return refused(record, Refusal::Unsafe("not named like a cache".into()));
    };
    let place = match ctx.handles.locate(root, &record.path) {
        Ok(place) => place,
        Err(r) => return refused(record, r),
    };
    let (held, meta) = match open_held(&place) {
        Ok(opened) => opened,
        Err(r) => return refused(record, r),
    };
    // What the handle's fstat said when it was opened: the file judged below.
    let judged = Identity::from_metadata(&meta);
    let record = match name {
        FileName::Debris => match young_debris(&meta) {
            Some(why) => return Row::new(record, Outcome::Kept, Some(why)),
            None => record,
        },
        FileName::Cache => match recheck(record, &held, &meta, ctx) {
            Ok(record) => record,
            Err(row) => return *row,
        },
    };
    let outcome = match ctx.mode {
        Mode::DryRun => Ok(Outcome::WouldRemove),
        Mode::Remove => match remove_judged(&place, &held, judged) {
            Unlinked::Removed => Ok(Outcome::Removed),
            Unlinked::Vanished => Err(Refusal::Vanished),
            Unlinked::Changed => {
                let why = "replaced or changed just before its removal: left in place";
                return Row::new(record, Outcome::Kept, Some(why.into()));
            }
            Unlinked::Failed(why) => Err(Refusal::Io(why)),
        },
    };
    // The held handle is dropped only now, once its name is gone.
    drop(held);
    match outcome {
        Ok(outcome) => {
            let mut row = Row::new(record, outcome, None);
            row.bytes = meta.len();
            row
        }
        Err(r) => refused(record, r),
    }
}

/// Opens the file through its directory handle; only a regular file is kept open.
fn open_held(place: &Place) -> Result<(File, fs::Metadata), Refusal> {
    let file = place.open_file().map_err(|e| match e.raw_os_error() {
        Some(code) if code == Errno::LOOP.raw_os_error() => Refusal::Unsafe(
            "a symlink: clean removes only regular files, never a link or its target".into(),
        ),
        Some(code) if code == Errno::NXIO.raw_os_error() => {
            Refusal::Unsafe("not a regular file".into())
        }
        _ if e.kind() == io::ErrorKind::NotFound => Refusal::Vanished,
        _ => Refusal::Io(e.to_string()),
    })?;
    let meta = file.metadata().map_err(|e| Refusal::Io(e.to_string()))?;
    if meta.is_file() {
        Ok((file, meta))
    } else if meta.is_dir() {
        Err(Refusal::Unsafe("a directory named like a cache".into()))
    } else {
        Err(Refusal::Unsafe("not a regular file".into()))
    }
}

/// Why a temporary file of a cache write stays: a write may still be in progress unless it
/// has been untouched for [`DEBRIS_AGE`].
fn young_debris(meta: &fs::Metadata) -> Option<String> {
    let modified = meta.modified().ok()?;
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    (age < DEBRIS_AGE).then(|| {
        format!(
            "modified {}s ago: a cache write may still be in progress (temporary files are \
             removed once untouched for {}s)",
            age.as_secs(),
            DEBRIS_AGE.as_secs()
        )
    })
}

/// Judges a cache again from the held handle; the fresh record if it is still to be removed,
/// else its row.
fn recheck(
    old: Record,
    held: &File,
    meta: &fs::Metadata,
    ctx: &Context,
) -> Result<Record, Box<Row>> {
    let found = Found {
        path: old.path.clone(),
        kind: EntryKind::File,
    };
    let file = match held.try_clone() {
        Ok(file) => file,
        Err(e) => return Err(Box::new(refused(old, Refusal::Io(e.to_string())))),
    };
    let Some(new) = judge_held(found, file, meta, ctx.plan, ctx.depth) else {
        return Err(Box::new(refused(old, Refusal::Vanished)));
    };
    if new.status == Status::Unreadable {
        let why = new.reason.to_string();
        return Err(Box::new(Row::new(new, Outcome::Failed, Some(why))));
    }
    if ctx.statuses.contains(&new.status) {
        return Ok(new);
    }
    // `--verify` compared code, which the re-check does not redo: a diverged cache stays
    // diverged while its header and its source's stat are the ones that were verified.
    let unchanged = new.recorded == old.recorded && new.source_stat == old.source_stat;
    if old.status == Status::Diverged && unchanged && crate::verdict::verify::wants(&new) {
        return Ok(old);
    }
    let why = format!(
        "judged {} on the re-check just before removal (it changed since the audit): {}",
        new.status.as_str(),
        new.reason
    );
    Err(Box::new(Row::new(new, Outcome::Kept, Some(why))))
}

fn refused(record: Record, refusal: Refusal) -> Row {
    match refusal {
        Refusal::Vanished => Row::new(record, Outcome::Gone, Some("already gone".into())),
        Refusal::Unsafe(why) => Row::new(record, Outcome::Kept, Some(why)),
        Refusal::Io(why) => Row::new(record, Outcome::Failed, Some(why)),
    }
}

/// Removes (or, in a dry run, predicts the removal of) the `__pycache__` directories that
/// are empty: the debris directories planned, and the parents of the files removed.
/// `staying` holds files that will exist although removed: in a dry run with `--recompile`,
/// the caches that would be rebuilt.
pub(crate) fn directories(
    planned: Vec<Planned>,
    files: &[Done],
    staying: &HashSet<PathBuf>,
    mode: Mode,
    handles: &Handles,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut candidates: Vec<(PathBuf, PathBuf, Option<Record>)> = Vec::new();
    let mut ghosts = Vec::new();
    for p in planned {
        match p.decision {
            Decision::Keep(why) => rows.push(Row::new(p.record, Outcome::Kept, Some(why))),
            Decision::Fail(why) => rows.push(Row::new(p.record, Outcome::Failed, Some(why))),
            Decision::Remove => candidates.push((p.record.path.clone(), p.root, Some(p.record))),
            Decision::RemoveIfEmptied => ghosts.push(p),
        }
    }
    let planned_dirs: HashSet<PathBuf> = candidates.iter().map(|c| c.0.clone()).collect();
    let mut parents = HashSet::new();
    for done in files.iter().filter(|d| d.row.outcome.removes()) {
        if let Some(parent) = done.row.record.path.parent() {
            if !planned_dirs.contains(parent) && parents.insert(parent.to_path_buf()) {
                candidates.push((parent.to_path_buf(), done.root.clone(), None));
            }
        }
    }
    // Deepest first, so a __pycache__ inside another is tried before its parent.
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0.components().count()));
    let mut leaving: HashSet<PathBuf> = files
        .iter()
        .filter(|d| d.row.outcome.removes() && !staying.contains(&d.row.record.path))
        .map(|d| d.row.record.path.clone())
        .collect();
    for (dir, root, planned) in candidates {
        if let Some(row) = directory(&dir, &root, planned, &leaving, mode, handles) {
            if row.outcome.removes() {
                leaving.insert(row.record.path.clone());
            }
            rows.push(row);
        }
    }
    ghosts.sort_by_key(|g| std::cmp::Reverse(g.record.path.components().count()));
    for ghost in ghosts {
        if let Some(row) = ghost_directory(ghost, &leaving, mode, handles) {
            leaving.insert(row.record.path.clone());
            rows.push(row);
        }
    }
    rows
}

/// A ghost package directory the removals left empty: removed with `rmdir` (never
/// recursively), with the audit's ghost record as its row; nothing when it is not empty.
fn ghost_directory(
    ghost: Planned,
    leaving: &HashSet<PathBuf>,
    mode: Mode,
    handles: &Handles,
) -> Option<Row> {
    let (dir, root) = (&ghost.record.path, &ghost.root);
    if safety::below_root(root, dir).is_none_or(|r| r.as_os_str().is_empty()) {
        return None;
    }
    // Opened from the root's handle without following a symlink, like every removal.
    let place = handles.locate(root, dir).ok()?;
    let result = match mode {
        Mode::DryRun => would_be_empty(dir, leaving).map(|()| Outcome::WouldRemove),
        Mode::Remove => unlinkat(place.fd(), &*place.name, AtFlags::REMOVEDIR)
            .map(|()| Outcome::Removed)
            .map_err(io::Error::from),
    };
    match result {
        Ok(outcome) => {
            let why = "ghost package directory left empty by the removals".to_string();
            Some(Row::new(ghost.record, outcome, Some(why)))
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::NotFound
            ) || e.raw_os_error() == Some(Errno::NOTDIR.raw_os_error()) =>
        {
            None
        }
        Err(e) => Some(Row::new(ghost.record, Outcome::Failed, Some(e.to_string()))),
    }
}

/// One directory: a row when it is removed, or when it was planned (a debris row) and stays.
fn directory(
    dir: &Path,
    root: &Path,
    planned: Option<Record>,
    leaving: &HashSet<PathBuf>,
    mode: Mode,
    handles: &Handles,
) -> Option<Row> {
    let emptied = planned.is_none();
    let record = planned.unwrap_or_else(|| {
        Record::finding(
            Kind::Directory,
            dir.to_path_buf(),
            Status::Debris,
            Action::Skip,
            "__pycache__ directory left empty by the removals",
        )
    });
    let rel = safety::below_root(root, dir);
    if !is_pycache_name(dir.file_name()) || rel.is_none_or(|r| r.as_os_str().is_empty()) {
        let why = "only __pycache__ directories below a root are removed";
        return (!emptied).then(|| Row::new(record, Outcome::Kept, Some(why.into())));
    }
    let place = match handles.locate(root, dir) {
        Ok(place) => place,
        Err(r) => return (!emptied).then(|| refused(record, r)),
    };
    let result = match mode {
        Mode::DryRun => would_be_empty(dir, leaving).map(|_| Outcome::WouldRemove),
        // rmdir relative to the parent's handle: a symlink in its place is refused (ENOTDIR),
        // and only an empty directory goes.
        Mode::Remove => unlinkat(place.fd(), &*place.name, AtFlags::REMOVEDIR)
            .map(|()| Outcome::Removed)
            .map_err(io::Error::from),
    };
    match result {
        Ok(outcome) => Some(Row::new(record, outcome, None)),
        Err(e) if e.raw_os_error() == Some(Errno::NOTDIR.raw_os_error()) => {
            (!emptied).then(|| refused(record, Refusal::Unsafe("not a real directory".into())))
        }
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
            (!emptied).then(|| Row::new(record, Outcome::Kept, Some("no longer empty".into())))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            (!emptied).then(|| refused(record, Refusal::Vanished))
        }
        Err(e) => Some(Row::new(record, Outcome::Failed, Some(e.to_string()))),
    }
}

/// `Ok` when every entry of `dir` is leaving; the error `remove_dir` would give otherwise.
fn would_be_empty(dir: &Path, leaving: &HashSet<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        if !leaving.contains(&entry?.path()) {
            return Err(io::ErrorKind::DirectoryNotEmpty.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use filetime::FileTime;

    const T: i64 = 1_700_000_000;

    /// A 3.11 timestamp header recording `size`, and the first byte of a code object.
    fn cache_311(size: u32) -> Vec<u8> {
        let mut v = vec![0xa7, 0x0d, b'\r', b'\n'];
        for word in [0, T as u32, size] {
            v.extend_from_slice(&word.to_le_bytes());
        }
        v.push(0xe3);
        v
    }

    #[test]
    fn the_recheck_keeps_what_changed_and_reports_what_vanished() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let source = root.join("m.py");
        let cache = root.join("__pycache__/m.cpython-311.pyc");
        fs::create_dir(root.join("__pycache__")).unwrap();
        fs::write(&source, b"V = 1\n").unwrap();
        filetime::set_file_mtime(&source, FileTime::from_unix_time(T, 0)).unwrap();
        fs::write(&cache, cache_311(99)).unwrap();
        let found = Found {
            path: cache.clone(),
            kind: EntryKind::File,
        };
        let stale = crate::verdict::audit::judge_batch(vec![found], Depth::Header)
            .pop()
            .unwrap();
        assert_eq!(stale.status, Status::Stale);
        let statuses = [Status::Stale].into();
        let ctx = Context {
            mode: Mode::Remove,
            statuses: &statuses,
            depth: Depth::Header,
            handles: &Handles::default(),
            plan: &Plan::default(),
        };
        // Rewritten to match its source since the audit: it stays.
        fs::write(&cache, cache_311(6)).unwrap();
        let row = remove_file(stale.clone(), root, &ctx);
        assert_eq!(row.outcome, Outcome::Kept, "{row:?}");
        assert_eq!(row.record.status, Status::Fresh);
        assert!(cache.exists());
        // Stale again: removed, with its size.
        fs::write(&cache, cache_311(7)).unwrap();
        let row = remove_file(stale.clone(), root, &ctx);
        assert_eq!((row.outcome, row.bytes), (Outcome::Removed, 17));
        assert!(!cache.exists());
        let row = remove_file(stale, root, &ctx);
        assert_eq!(row.outcome, Outcome::Gone);
    }

    #[test]
    fn init_caches_go_last_in_their_directory() {
        let mut paths = vec![
            "p/__pycache__/__init__.cpython-311.pyc",
            "p/__pycache__/z.cpython-311.pyc",
            "p/__init__.pyc",
            "p/a.pyc",
            "p/__pycache__/a.cpython-311.pyc",
        ];
        paths.sort_by_key(|p| order_key(Path::new(p)));
        assert_eq!(
            paths,
            [
                "p/a.pyc",
                "p/__init__.pyc",
                "p/__pycache__/a.cpython-311.pyc",
                "p/__pycache__/z.cpython-311.pyc",
                "p/__pycache__/__init__.cpython-311.pyc",
            ]
        );
    }
}
