//! Findings about more than one cache: leftover temporary files, empty `__pycache__`
//! directories, ghost packages (directories that import, or import differently, because
//! caches outlived their sources), and trees whose source mtimes are clamped so that a
//! timestamp cache cannot tell one version of a source from the next.
//!
//! These are computed once the walk and the verdicts are done, from the walk's survey and an
//! [`Index`] of the cache records: no file is read here (a root given as `.` or `..` is
//! resolved, to name it). The index keeps, per directory, counts and the rare legacy
//! `__init__.pyc` record, and per root the mtimes of the sources timestamp caches pair with:
//! the records themselves (most of them fresh) are not kept.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};

use crate::find::survey::{DirFacts, Survey};
use crate::pyc::header::Invalidation;
use crate::python::naming::Layout;
use crate::python::source::SourceStat;
use crate::verdict::model::{display_path, Action, Kind, Record, Status};
use crate::verdict::text;

/// Every finding about temporary files, directories and trees.
pub(crate) fn findings(
    roots: &[PathBuf],
    survey: &Survey,
    index: &Index,
    source_date_epoch: Option<i64>,
) -> Vec<Record> {
    let mut out: Vec<Record> = survey.debris.iter().map(|p| temp_file(p)).collect();
    out.extend(
        survey
            .dirs
            .iter()
            .filter(|d| is_empty_pycache(d))
            .map(empty_pycache),
    );
    out.extend(ghosts(&survey.dirs, &index.dirs));
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
        "temporary file of a cache write that never completed: nothing reads it".into(),
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
        "empty __pycache__ directory".into(),
    )
}

/// The caches of one directory: in its `__pycache__`, and its legacy `__init__.pyc`.
#[derive(Default)]
struct DirCaches {
    /// Caches in its `__pycache__` (or pytest's caches there).
    pycache: usize,
    /// Of those, the caches of `__init__`.
    inits: usize,
    /// Boxed: most directories have none, and a record is large.
    legacy_init: Option<Box<Record>>,
    /// Legacy caches of other modules that Python imports (without a source, running old code).
    legacy_loaded: bool,
}

impl DirCaches {
    fn merge(&mut self, other: DirCaches) {
        self.pycache += other.pycache;
        self.inits += other.inits;
        self.legacy_init = self.legacy_init.take().or(other.legacy_init);
        self.legacy_loaded |= other.legacy_loaded;
    }
}

/// What the tree-wide checks need of the cache records, built record by record (on any thread,
/// then merged): the same findings whatever the order the records arrive in.
#[derive(Default)]
pub(crate) struct Index {
    /// Keyed by the directory's bytes ([`dir_key`]).
    dirs: HashMap<Vec<u8>, DirCaches>,
    /// Per root, in order: the mtime of every source a timestamp cache that a default import
    /// reads pairs with, keyed by a hash of the source's path (24 bytes a source, not a path);
    /// a source with several caches appears once per cache until [`Index::sources`].
    clamp: Vec<Vec<(u64, SourceStat)>>,
}

impl Index {
    /// An empty index for the given roots.
    pub(crate) fn new(roots: usize) -> Index {
        Index {
            dirs: HashMap::new(),
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
        let Some(parent) = rec.path.parent() else {
            return;
        };
        let dirs = &mut self.dirs;
        match rec.layout {
            Some(Layout::Pycache | Layout::Pytest) => {
                if let Some(dir) = parent.parent() {
                    let caches = dir_entry(dirs, dir);
                    caches.pycache += 1;
                    caches.inits += usize::from(is_init_cache(&rec.path));
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

    /// Adds what another index (of other records) holds.
    pub(crate) fn merge(&mut self, other: Index) {
        for (dir, caches) in other.dirs {
            self.dirs.entry(dir).or_default().merge(caches);
        }
        for (mine, theirs) in self.clamp.iter_mut().zip(other.clamp) {
            mine.extend(theirs);
        }
    }
}

/// The caches of `dir`, allocating its key only the first time.
fn dir_entry<'a>(dirs: &'a mut HashMap<Vec<u8>, DirCaches>, dir: &Path) -> &'a mut DirCaches {
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

/// Directories whose caches outlived their sources; a directory inside a reported one is
/// not reported again.
fn ghosts(dirs: &[DirFacts], index: &HashMap<Vec<u8>, DirCaches>) -> Vec<Record> {
    // Most trees have none: the maps below are built only when some directory can be one.
    let mut candidates: Vec<(&DirFacts, &DirCaches)> = dirs
        .iter()
        .filter_map(|d| index.get(dir_key(&d.path)).map(|found| (d, found)))
        .filter(|(d, found)| could_be_ghost(d, found))
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let packages: HashSet<&[u8]> = dirs
        .iter()
        .filter(|d| {
            d.init_source
                || index
                    .get(dir_key(&d.path))
                    .is_some_and(|c| c.legacy_init.is_some())
        })
        .map(|d| dir_key(&d.path))
        .collect();
    let by_path: HashMap<&[u8], &DirFacts> = dirs.iter().map(|d| (dir_key(&d.path), d)).collect();
    // Byte order puts every directory after its ancestors, and is far cheaper than Path's.
    candidates.sort_by(|a, b| a.0.path.as_os_str().cmp(b.0.path.as_os_str()));
    let mut reported: HashSet<&[u8]> = HashSet::new();
    let mut out = Vec::new();
    for (dir, found) in candidates {
        if !reported.is_empty()
            && dir
                .path
                .ancestors()
                .skip(1)
                .any(|a| reported.contains(dir_key(a)))
        {
            continue;
        }
        let beside = module_beside(&dir.path, &by_path);
        if let Some(rec) = ghost(dir, &module_name(&dir.path, &packages), found, beside) {
            reported.insert(dir_key(&dir.path));
            out.push(rec);
        }
    }
    out
}

/// The name a directory imports as: its own, after those of the enclosing directories that are
/// regular packages (an `__init__` source or a legacy `__init__.pyc`), up to the root.
fn module_name(path: &Path, packages: &HashSet<&[u8]>) -> String {
    let mut parts = vec![own_name(path)];
    let mut dir = path;
    while let Some(parent) = dir.parent().filter(|p| packages.contains(dir_key(p))) {
        parts.push(own_name(parent));
        dir = parent;
    }
    parts.reverse();
    parts.join(".")
}

/// A directory's own name; a path ending in `.` or `..` is resolved to learn it.
fn own_name(path: &Path) -> String {
    path.file_name()
        .map(Into::into)
        .or_else(|| fs::canonicalize(path).ok()?.file_name().map(Into::into))
        .map_or_else(
            || display_path(path),
            |n: OsString| n.to_string_lossy().into_owned(),
        )
}

/// Whether a module of the directory's name sits beside it (`NAME.py`, a legacy `NAME.pyc`,
/// an extension module): Python 3's import finds that module, not a namespace package.
fn module_beside(dir: &Path, by_path: &HashMap<&[u8], &DirFacts>) -> bool {
    let (Some(parent), Some(own)) = (dir.parent(), dir.file_name()) else {
        return false;
    };
    let file = |ext: &str| {
        let mut path = dir.as_os_str().to_owned();
        path.push(ext);
        fs::metadata(path).is_ok_and(|m| m.is_file())
    };
    let own = own.as_encoded_bytes();
    let extension = by_path.get(dir_key(parent)).is_some_and(|p| {
        p.extensions.iter().any(|e| {
            let e = e.as_encoded_bytes();
            e.starts_with(own) && e.get(own.len()) == Some(&b'.')
        })
    });
    extension || file(".py") || file(".pyc")
}

/// Whether [`ghost`] could find anything here: most directories with caches have their
/// sources, and need neither a name worked out nor a module looked for beside them.
fn could_be_ghost(dir: &DirFacts, found: &DirCaches) -> bool {
    found.legacy_init.is_some()
        || (!dir.sources_below && found.pycache > 0)
        || (!dir.init_source && found.inits > 0)
}

fn ghost(dir: &DirFacts, name: &str, found: &DirCaches, beside: bool) -> Option<Record> {
    let inits = found.inits;
    // A legacy __init__.pyc Python cannot open (a dangling symlink) is passed over.
    let legacy = found
        .legacy_init
        .as_ref()
        .filter(|_| !dir.init_source)
        .and_then(|init| legacy_package(name, init));
    let (action, reason) = match legacy {
        Some(found) => found,
        // A namespace portion loses to a module of the same name beside it.
        _ if beside => return None,
        _ if !dir.sources_below && found.pycache > 0 => (
            Action::Namespace,
            format!(
                "no Python source is left here, only {} in __pycache__: `import {name}` gives {}{}",
                text::count(found.pycache, "cache"),
                if found.legacy_loaded {
                    "a namespace package (Python 3.3+) and only its modules with a legacy .pyc \
                     still import, running old code"
                } else {
                    "an empty namespace package (Python 3.3+) and its modules no longer import"
                },
                if inits == 0 {
                    ""
                } else {
                    "; its __init__ code never runs"
                }
            ),
        ),
        _ if !dir.init_source && inits > 0 => (
            Action::Namespace,
            format!(
                "__init__.py is gone but __pycache__ still holds {}: `import {name}` gives a \
                 namespace package and the package's init code no longer runs",
                text::count(inits, "__init__ cache")
            ),
        ),
        _ => return None,
    };
    Some(Record::finding(
        Kind::Directory,
        dir.path.clone(),
        Status::Ghost,
        action,
        reason,
    ))
}

/// A package whose `__init__` source is gone but whose legacy `__init__.pyc` remains.
fn legacy_package(name: &str, init: &Record) -> Option<(Action, String)> {
    let who = init.python.as_deref().map_or_else(
        || "Python".to_string(),
        |p| {
            format!(
                "{} {p}",
                init.implementation
                    .map_or("Python".into(), |i| i.to_string())
            )
        },
    );
    let file = init
        .path
        .file_name()
        .map_or("__init__.pyc".into(), OsStr::to_string_lossy);
    match init.python_action {
        Action::Load => Some((
            Action::Load,
            format!(
                "__init__.py is gone but {file} remains: `import {name}` still imports the \
                 deleted package under {who}, running its old code"
            ),
        )),
        Action::Fail => Some((
            Action::Fail,
            format!(
                "__init__.py is gone but {file} remains: `import {name}` raises ({})",
                init.reason
            ),
        )),
        _ => None,
    }
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
    path.file_name()
        .is_some_and(|n| n.as_encoded_bytes().starts_with(b"__init__."))
}

/// The fewest sources sharing one whole-second mtime that look like a clamp.
const CLAMP_GROUP: usize = 3;

/// Each source once (by its path's key), from what every thread noted.
fn unique(sources: &[(u64, SourceStat)]) -> Vec<SourceStat> {
    let mut sorted = sources.to_vec();
    sorted.sort_unstable_by_key(|(key, _)| *key);
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
    fn a_ghost_is_named_as_it_imports() {
        let packages: HashSet<&[u8]> = [&b"r/pkg"[..], b"r/pkg/sub"].into();
        assert_eq!(
            module_name(Path::new("r/pkg/sub/inner"), &packages),
            "pkg.sub.inner"
        );
        assert_eq!(module_name(Path::new("r/pkg"), &packages), "pkg");
        assert_eq!(module_name(Path::new("r/ns/x"), &packages), "x");
        // `.` is named by what it resolves to.
        let cwd = std::env::current_dir().unwrap();
        let real = cwd.file_name().unwrap().to_string_lossy();
        assert_eq!(module_name(Path::new("."), &HashSet::new()), real);
    }

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
