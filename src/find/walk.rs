//! Walking the given paths to find every bytecode cache.
//!
//! Yields each entry whose name ends in `.pyc` or `.pyo`, whatever it is (a regular file, a
//! symlink, even a directory named like a cache, which becomes an `unreadable` row), plus the
//! directories that could not be read. `.git`, `.hg` and `.svn` are skipped, `--exclude` globs
//! prune what they match (as does the pycache-prefix tree, walked on its own), and symlinked
//! directories are entered only with `--follow`. The walk
//! never reads a file and never prints: problems are returned as data. Caches are handed over
//! in batches of one directory's consecutive entries, so checking can start while the walk goes
//! on (a `__pycache__` directory's caches always arrive as one batch).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use walkdir::WalkDir;

use crate::find::survey::{Survey, Surveyor};
use crate::python::naming::is_cache_file_name;

/// One entry named like a cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub kind: EntryKind,
}

/// What the walk saw at a cache path, before opening it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Symlink,
    Directory,
}

/// A path the walk could not read (a root that does not exist, a directory it cannot list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// What to walk and how.
#[derive(Clone, Copy)]
pub struct WalkOptions<'a> {
    pub follow: bool,
    pub exclude: &'a GlobSet,
    /// A directory not to enter, by its real path (the pycache-prefix tree).
    pub prune: Option<&'a Path>,
}

const SKIPPED_DIRS: [&str; 3] = [".git", ".hg", ".svn"];

/// Groups consecutive entries of one directory and hands each group to a callback.
struct Batcher<F: FnMut(Vec<Found>)> {
    batch: Vec<Found>,
    on_batch: F,
}

impl<F: FnMut(Vec<Found>)> Batcher<F> {
    fn push(&mut self, found: Found) {
        let same_dir = |last: &Found| parent_bytes(&last.path) == parent_bytes(&found.path);
        if !self.batch.last().is_none_or(same_dir) {
            self.flush();
        }
        self.batch.push(found);
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            (self.on_batch)(std::mem::take(&mut self.batch));
        }
    }
}

/// The bytes of a walked path up to its last `/` (cheaper than `Path::parent`).
fn parent_bytes(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    &bytes[..bytes.iter().rposition(|&b| b == b'/').unwrap_or(0)]
}

/// What the walk returns once every cache has been handed over.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// The paths that could not be read.
    pub errors: Vec<WalkError>,
    /// What was seen of every directory, for the tree-wide checks.
    pub survey: Survey,
}

/// Walks every root in order, handing caches over in per-directory batches.
pub(crate) fn walk(
    roots: &[PathBuf],
    opts: &WalkOptions,
    on_batch: impl FnMut(Vec<Found>),
) -> Walked {
    let mut batcher = Batcher {
        batch: Vec::new(),
        on_batch,
    };
    let mut errors = Vec::new();
    let mut surveyor = Surveyor::default();
    for root in roots {
        walk_root(root, opts, &mut batcher, &mut errors, &mut surveyor);
        surveyor.end_root();
    }
    batcher.flush();
    Walked {
        errors,
        survey: surveyor.finish(),
    }
}

fn walk_root<F: FnMut(Vec<Found>)>(
    root: &Path,
    opts: &WalkOptions,
    out: &mut Batcher<F>,
    errors: &mut Vec<WalkError>,
    surveyor: &mut Surveyor,
) {
    if let Err(e) = root.symlink_metadata() {
        let message = e.to_string();
        errors.push(WalkError {
            path: root.to_path_buf(),
            message,
        });
        return;
    }
    // The filter and the loop take turns with the surveyor, in walk order.
    let surveyor = RefCell::new(surveyor);
    let walker = WalkDir::new(root).follow_links(opts.follow).into_iter();
    let walker = walker.filter_entry(|e| {
        let pruned = e.depth() > 0 && is_pruned(e, root, opts);
        if pruned {
            let is_dir = e.file_type().is_dir();
            surveyor
                .borrow_mut()
                .see_pruned(e.file_name(), e.depth(), is_dir);
        }
        !pruned
    });
    for entry in walker {
        if let Ok(e) = &entry {
            surveyor
                .borrow_mut()
                .see(e.path(), e.file_name(), e.depth(), e.file_type().is_dir());
        }
        match entry {
            Ok(e) if is_cache_file_name(e.file_name()) => {
                let kind = if e.path_is_symlink() {
                    EntryKind::Symlink
                } else if e.file_type().is_dir() {
                    EntryKind::Directory
                } else {
                    EntryKind::File
                };
                out.push(Found {
                    path: e.into_path(),
                    kind,
                });
            }
            Ok(_) => {}
            Err(e) if dangling_cache(&e) => {
                // With -L, walkdir cannot follow it: a row, as without -L.
                let path = e.path().unwrap_or(root).to_path_buf();
                if let Some(name) = path.file_name() {
                    surveyor.borrow_mut().see(&path, name, e.depth(), false);
                }
                out.push(Found {
                    path,
                    kind: EntryKind::Symlink,
                });
            }
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                errors.push(WalkError {
                    path,
                    message: walk_message(&e),
                });
            }
        }
    }
}

/// Returns true if and only if the error is a symlink named like a cache that `-L` could not
/// follow (dangling, or a loop): not a walk error but a cache that cannot be read.
fn dangling_cache(e: &walkdir::Error) -> bool {
    let Some(path) = e.path() else {
        return false;
    };
    e.depth() > 0
        && path.file_name().is_some_and(is_cache_file_name)
        && path
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
}

fn walk_message(e: &walkdir::Error) -> String {
    if e.loop_ancestor().is_some() {
        return "symlink loop".to_string();
    }
    match e.io_error() {
        Some(io) => io.to_string(),
        None => e.to_string(),
    }
}

/// Returns true if and only if the entry is a VCS directory, the pruned directory, or matches
/// an `--exclude` glob (by file name, or by its path relative to the root for globs with a `/`).
fn is_pruned(e: &walkdir::DirEntry, root: &Path, opts: &WalkOptions) -> bool {
    let name = e.file_name();
    if e.file_type().is_dir() && SKIPPED_DIRS.iter().any(|d| name == *d) {
        return true;
    }
    if let Some(pruned) = opts.prune {
        // Only a directory with the same name can be it: canonicalize just those.
        let candidate = e.file_type().is_dir() && pruned.file_name() == Some(name);
        if candidate && e.path().canonicalize().is_ok_and(|real| real == pruned) {
            return true;
        }
    }
    let exclude = opts.exclude;
    if exclude.is_empty() {
        return false;
    }
    let relative = e.path().strip_prefix(root).unwrap_or(e.path());
    exclude.is_match(name) || exclude.is_match(relative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use globset::{Glob, GlobSetBuilder};
    use std::fs;

    fn collect(roots: &[PathBuf], exclude: &GlobSet) -> (Vec<Vec<Found>>, Vec<WalkError>) {
        let mut batches = Vec::new();
        let walked = walk(
            roots,
            &WalkOptions {
                follow: false,
                exclude,
                prune: None,
            },
            |b| batches.push(b),
        );
        (batches, walked.errors)
    }

    fn names(batches: &[Vec<Found>], root: &Path) -> Vec<String> {
        let mut v: Vec<String> = batches
            .iter()
            .flatten()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn finds_caches_skips_vcs_and_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "a.pyc",
            "b.py",
            "__pycache__/b.cpython-311.pyc",
            ".git/x.pyc",
            "skip/y.pyc",
            "c.pyo",
        ] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, b"").unwrap();
        }
        fs::create_dir_all(root.join("d.pyc")).unwrap();
        let mut b = GlobSetBuilder::new();
        b.add(Glob::new("skip").unwrap());
        let exclude = b.build().unwrap();
        let (batches, errors) = collect(&[root.to_path_buf()], &exclude);
        assert_eq!(
            names(&batches, root),
            ["__pycache__/b.cpython-311.pyc", "a.pyc", "c.pyo", "d.pyc"]
        );
        let dir_entry = batches
            .iter()
            .flatten()
            .find(|f| f.path.ends_with("d.pyc"))
            .unwrap();
        assert_eq!(dir_entry.kind, EntryKind::Directory);
        assert!(errors.is_empty());
        // One batch per run of a directory's entries: the root's, then __pycache__'s, or so.
        assert!(batches
            .iter()
            .all(|b| b.iter().all(|f| f.path.parent() == b[0].path.parent())));
    }

    #[test]
    fn the_pruned_directory_is_not_entered_whatever_its_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("proj");
        for f in ["a.pyc", "pfx/x/b.pyc", "sub/pfx/c.pyc"] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, b"").unwrap();
        }
        let pruned = root.join("pfx").canonicalize().unwrap();
        let exclude = GlobSet::empty();
        let opts = WalkOptions {
            follow: false,
            exclude: &exclude,
            prune: Some(&pruned),
        };
        let mut batches = Vec::new();
        let errors = walk(&[root.join("sub/..")], &opts, |b| batches.push(b));
        assert!(errors.errors.is_empty());
        let found = names(&batches, &root.join("sub/.."));
        assert_eq!(
            found,
            ["a.pyc", "sub/pfx/c.pyc"],
            "a same-named directory stays"
        );
    }

    #[test]
    fn a_missing_root_is_an_error_not_a_panic() {
        let (batches, errors) = collect(
            &[PathBuf::from("/nonexistent/pyc-audit")],
            &GlobSet::empty(),
        );
        assert_eq!(errors.len(), 1);
        assert!(batches.is_empty());
    }
}
