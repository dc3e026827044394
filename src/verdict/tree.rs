//! Findings about more than one cache: leftover temporary files, empty `__pycache__`
//! directories, ghost packages (directories that import, or import differently, because
//! caches outlived their sources: `ghost`, and with `--python` as each running interpreter
//! imports them, `seen_by`), and trees whose source mtimes are clamped so that a
//! timestamp cache cannot tell one version of a source from the next.
//!
//! These are computed once the walk and the verdicts are done, from the walk's survey and an
//! [`Index`] of the cache records: no file is read here (a root given as `.` or `..` is
//! resolved, to name it). The index keeps, per directory, counts and the rare legacy
//! `__init__.pyc` record, and per root the mtimes of the sources timestamp caches pair with:
//! the records themselves (most of them fresh) are not kept.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::find::survey::{DirFacts, Survey};
use crate::pyc::header::Invalidation;
use crate::python::naming::{split_name, Layout};
use crate::python::pythons::Running;
use crate::python::source::SourceStat;
use crate::verdict::keyed;
use crate::verdict::model::{Action, Kind, Record, Status};
use crate::verdict::text;

mod ghost;
mod seen_by;

/// Every finding about temporary files, directories and trees.
pub(crate) fn findings(
    roots: &[PathBuf],
    survey: &Survey,
    index: &Index,
    source_date_epoch: Option<i64>,
    running: &[Running],
) -> Vec<Record> {
    let mut out: Vec<Record> = survey.debris.iter().map(|p| temp_file(p)).collect();
    out.extend(
        survey
            .dirs
            .iter()
            .filter(|d| is_empty_pycache(d))
            .map(empty_pycache),
    );
    out.extend(ghost::ghosts(&survey.dirs, &index.dirs, running));
    out.extend(
        roots
            .iter()
            .zip(&index.clamp)
            .filter_map(|(root, sources)| clamped(root, &unique(sources), source_date_epoch)),
    );
    out
}

fn temp_file(path: &Path) -> Record {
    Record::finding(
        Kind::File,
        path.to_path_buf(),
        Status::Debris,
        Action::Skip,
        "temporary file of a cache write that never completed: nothing reads it",
    )
}

fn is_empty_pycache(dir: &DirFacts) -> bool {
    dir.entries == 0 && dir.path.file_name() == Some(OsStr::new("__pycache__"))
}

fn empty_pycache(dir: &DirFacts) -> Record {
    Record::finding(
        Kind::Directory,
        dir.path.clone(),
        Status::Debris,
        Action::Skip,
        "empty __pycache__ directory",
    )
}

/// The caches of one directory: in its `__pycache__`, and its legacy `__init__.pyc`.
#[derive(Default)]
struct DirCaches {
    /// Caches in its `__pycache__` (or pytest's caches there).
    pycache: usize,
    /// Of those, the caches of `__init__`.
    inits: usize,
    /// Of those, the `leftover` ones (`--python`: no interpreter that runs the tree reads them).
    leftovers: usize,
    /// Boxed: most directories have none, and a record is large.
    legacy_init: Option<Box<Record>>,
    /// Legacy caches of other modules that Python imports (without a source, running old code).
    legacy_loaded: bool,
}

impl DirCaches {
    fn merge(&mut self, other: DirCaches) {
        self.pycache += other.pycache;
        self.inits += other.inits;
        self.leftovers += other.leftovers;
        self.legacy_init = self.legacy_init.take().or(other.legacy_init);
        self.legacy_loaded |= other.legacy_loaded;
    }
}

/// What the tree-wide checks need of the cache records, built record by record (on any thread,
/// then merged): the same findings whatever the order the records arrive in.
#[derive(Default)]
pub(crate) struct Index {
    /// Keyed by the directory's bytes ([`dir_key`]).
    dirs: keyed::Map<Vec<u8>, DirCaches>,
    /// Per root, in order: the mtime of every source a timestamp cache that a default import
    /// reads pairs with, keyed by a hash of the source's path (24 bytes a source, not a path);
    /// a source with several caches appears once per cache until [`Index::sources`].
    clamp: Vec<Vec<(u64, SourceStat)>>,
}

impl Index {
    /// An empty index for the given roots.
    pub(crate) fn new(roots: usize) -> Index {
        Index {
            dirs: keyed::Map::default(),
            clamp: vec![Vec::new(); roots],
        }
    }

    /// Takes one record (any kind: only caches count).
    pub(crate) fn add(&mut self, rec: &Record, roots: &[PathBuf]) {
        if rec.kind != Kind::Cache {
            return;
        }
        self.add_dir(rec);
        // Only caches a default import reads count: a legacy cache beside its source under
        // Python 3, or an `-O` cache, never runs stale code there.
        if let (Some(Invalidation::Timestamp), Some(src), Some(stat), false) = (
            rec.invalidation,
            &rec.source,
            rec.source_stat,
            rec.python_action == Action::Skip,
        ) {
            let key = source_key(src);
            for (root, sources) in roots.iter().zip(&mut self.clamp) {
                if under(&rec.path, root) {
                    sources.push((key, stat));
                }
            }
        }
    }

    fn add_dir(&mut self, rec: &Record) {
        let Some(parent) = split_name(&rec.path).0 else {
            return;
        };
        let dirs = &mut self.dirs;
        match rec.layout {
            Some(Layout::Pycache | Layout::Pytest) => {
                if let Some(dir) = split_name(parent).0 {
                    let caches = dir_entry(dirs, dir);
                    caches.pycache += 1;
                    caches.inits += usize::from(is_init_cache(&rec.path));
                    caches.leftovers += usize::from(rec.status == Status::Leftover);
                }
            }
            // `__init__.pyc`, or `.pyo` (Python 2 under -O): the one the import reads wins.
            Some(Layout::Legacy) if is_init_cache(&rec.path) => {
                let caches = dir_entry(dirs, parent);
                if caches
                    .legacy_init
                    .as_ref()
                    .is_none_or(|r| r.python_action == Action::Skip)
                {
                    caches.legacy_init = Some(Box::new(rec.clone()));
                }
            }
            Some(Layout::Legacy) if rec.python_action == Action::Load => {
                dir_entry(dirs, parent).legacy_loaded = true;
            }
            _ => {}
        }
    }

    /// How many directories it holds caches of.
    pub(crate) fn dirs(&self) -> usize {
        self.dirs.len()
    }

    /// Adds what another index (of other records) holds.
    pub(crate) fn merge(&mut self, other: Index) {
        self.dirs.reserve(other.dirs.len());
        for (dir, caches) in other.dirs {
            self.dirs.entry(dir).or_default().merge(caches);
        }
        for (mine, theirs) in self.clamp.iter_mut().zip(other.clamp) {
            mine.extend(theirs);
        }
    }
}

/// The caches of `dir`, allocating its key only the first time.
fn dir_entry<'a>(dirs: &'a mut keyed::Map<Vec<u8>, DirCaches>, dir: &Path) -> &'a mut DirCaches {
    let key = dir_key(dir);
    if !dirs.contains_key(key) {
        dirs.insert(key.to_vec(), DirCaches::default());
    }
    dirs.get_mut(key).expect("inserted above")
}

/// A source path as a fixed-key SipHash: the same on every run, and a collision between two of
/// a tree's sources is as likely as guessing a 64-bit key.
fn source_key(path: &Path) -> u64 {
    use std::hash::Hasher;
    let mut hasher = siphasher::sip::SipHasher13::new();
    hasher.write(path.as_os_str().as_encoded_bytes());
    hasher.finish()
}

/// A directory as a hash key: its bytes without trailing slashes (`Path`'s own hash walks
/// components and cost more than the rest of these checks on a large tree).
fn dir_key(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(1, |i| i + 1);
    &bytes[..end.min(bytes.len())]
}

/// Returns true if and only if `path` was walked from `root` (a byte-prefix test: `Path`'s
/// component-wise `starts_with` costs more than the rest of this module on a large tree).
fn under(path: &Path, root: &Path) -> bool {
    let path = path.as_os_str().as_encoded_bytes();
    let root = root.as_os_str().as_encoded_bytes();
    let trimmed = match root {
        [rest @ .., b'/'] => rest,
        _ => root,
    };
    path.starts_with(trimmed) && (path.len() == trimmed.len() || path[trimmed.len()] == b'/')
}

fn is_init_cache(path: &Path) -> bool {
    split_name(path)
        .1
        .is_some_and(|n| n.as_encoded_bytes().starts_with(b"__init__."))
}

/// The fewest sources sharing one whole-second mtime that look like a clamp.
const CLAMP_GROUP: usize = 3;

/// Each source once (by its path's key), from what every thread noted.
fn unique(sources: &[(u64, SourceStat)]) -> Vec<SourceStat> {
    let mut sorted = sources.to_vec();
    sorted.par_sort_unstable_by_key(|(key, _)| *key);
    sorted.dedup_by_key(|(key, _)| *key);
    sorted.into_iter().map(|(_, stat)| stat).collect()
}

/// The whole second that at least [`CLAMP_GROUP`] sources, and half of them, share: a clamp.
/// Ties go to the latest second, the same on every run.
fn shared_second(sources: &[SourceStat], total: usize) -> Option<i64> {
    let mut whole: Vec<i64> = sources
        .iter()
        .filter(|s| s.nsec == 0)
        .map(|s| s.sec)
        .collect();
    whole.sort_unstable();
    whole
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() >= CLAMP_GROUP && run.len() * 2 >= total)
        .max_by_key(|run| (run.len(), run[0]))
        .map(|run| run[0])
}

/// One finding for a root whose timestamp caches pair with sources whose mtimes are clamped
/// (the sources are those [`Index::add`] kept for the root).
fn clamped(root: &Path, sources: &[SourceStat], epoch: Option<i64>) -> Option<Record> {
    let total = sources.len();
    let shared = shared_second(sources, total);
    let is_clamped = |s: &SourceStat| {
        s.sec == 0 || s.sec == 1 || Some(s.sec) == epoch || (s.nsec == 0 && Some(s.sec) == shared)
    };
    let hits: Vec<&SourceStat> = sources.iter().filter(|s| is_clamped(s)).collect();
    if hits.is_empty() {
        return None;
    }
    let mut values: Vec<i64> = hits.iter().map(|s| s.sec).collect();
    values.sort_unstable();
    values.dedup();
    let shown: Vec<String> = values.iter().take(3).map(|&s| text::date(s)).collect();
    let reason = format!(
        "{} of {} paired with timestamp caches have clamped mtimes ({}{}): a source changed to \
         another version of the same size keeps its old cache, and Python runs stale code \
         (--verify finds those caches). Use hash-based caches: python -m compileall \
         --invalidation-mode checked-hash",
        hits.len(),
        text::count(total, "source"),
        shown.join(", "),
        if values.len() > 3 { ", ..." } else { "" }
    );
    Some(Record::finding(
        Kind::Tree,
        root.to_path_buf(),
        Status::Clamped,
        Action::Load,
        reason,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_a_root_is_a_whole_component_prefix() {
        assert!(under(Path::new("./a/b.pyc"), Path::new(".")));
        assert!(under(Path::new("src/a.pyc"), Path::new("src/")));
        assert!(under(Path::new("/x/a.pyc"), Path::new("/")));
        assert!(under(Path::new("src"), Path::new("src")));
        assert!(!under(Path::new("srcx/a.pyc"), Path::new("src")));
        assert!(!under(Path::new("../pfx/a.pyc"), Path::new(".")));
    }
}
