//! Walking the given paths to find every bytecode cache.
//!
//! Yields each entry whose name ends in `.pyc` or `.pyo`, whatever it is (a regular file, a
//! symlink, even a directory named like a cache, which becomes an `unreadable` row), plus the
//! directories that could not be read. `.git`, `.hg` and `.svn` are skipped, `--exclude` globs
//! prune what they match, and symlinked directories are entered only with `--follow`. The walk
//! never reads a file and never prints: problems are returned as data.

use std::path::{Path, PathBuf};

use globset::GlobSet;
use walkdir::WalkDir;

use crate::naming::is_cache_file_name;

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
pub struct WalkOptions<'a> {
    pub follow: bool,
    pub exclude: &'a GlobSet,
}

/// The result of walking every root.
#[derive(Debug, Default)]
pub struct Walked {
    pub found: Vec<Found>,
    pub errors: Vec<WalkError>,
}

const SKIPPED_DIRS: [&str; 3] = [".git", ".hg", ".svn"];

/// Walks every root, in order.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> Walked {
    let mut out = Walked::default();
    for root in roots {
        walk_root(root, opts, &mut out);
    }
    out
}

fn walk_root(root: &Path, opts: &WalkOptions, out: &mut Walked) {
    if let Err(e) = root.symlink_metadata() {
        out.errors.push(WalkError {
            path: root.to_path_buf(),
            message: e.to_string(),
        });
        return;
    }
    let walker = WalkDir::new(root).follow_links(opts.follow).into_iter();
    let walker = walker.filter_entry(|e| e.depth() == 0 || !is_pruned(e, root, opts.exclude));
    for entry in walker {
        match entry {
            Ok(e) if is_cache_file_name(e.file_name()) => {
                let kind = if e.path_is_symlink() {
                    EntryKind::Symlink
                } else if e.file_type().is_dir() {
                    EntryKind::Directory
                } else {
                    EntryKind::File
                };
                out.found.push(Found {
                    path: e.into_path(),
                    kind,
                });
            }
            Ok(_) => {}
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                out.errors.push(WalkError {
                    path,
                    message: walk_message(&e),
                });
            }
        }
    }
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

/// Returns true if and only if the entry is a VCS directory or matches an `--exclude` glob
/// (by file name, or by its path relative to the root for globs with a `/`).
fn is_pruned(e: &walkdir::DirEntry, root: &Path, exclude: &GlobSet) -> bool {
    let name = e.file_name();
    if e.file_type().is_dir() && SKIPPED_DIRS.iter().any(|d| name == *d) {
        return true;
    }
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

    fn names(w: &Walked, root: &Path) -> Vec<String> {
        let mut v: Vec<String> = w
            .found
            .iter()
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
        let w = walk(
            &[root.to_path_buf()],
            &WalkOptions {
                follow: false,
                exclude: &exclude,
            },
        );
        assert_eq!(
            names(&w, root),
            ["__pycache__/b.cpython-311.pyc", "a.pyc", "c.pyo", "d.pyc"]
        );
        let dir_entry = w.found.iter().find(|f| f.path.ends_with("d.pyc")).unwrap();
        assert_eq!(dir_entry.kind, EntryKind::Directory);
        assert!(w.errors.is_empty());
    }

    #[test]
    fn a_missing_root_is_an_error_not_a_panic() {
        let w = walk(
            &[PathBuf::from("/nonexistent/pyc-audit")],
            &WalkOptions {
                follow: false,
                exclude: &GlobSet::empty(),
            },
        );
        assert_eq!(w.errors.len(), 1);
        assert!(w.found.is_empty());
    }
}
