//! Every cache of one source file, found the way the import system and pytest name them: the
//! files in `__pycache__` beside it (every tag, `opt-N` level and pytest rewrite), the legacy
//! `NAME.pyc`/`NAME.pyo` next to it, and, with a pycache prefix, its mirror in the prefix tree
//! (under the directory's absolute path as Python spells it, and its real path when that
//! differs). `explain SOURCE` explains them; `check` and `clean` audit them when given a source
//! as a PATH, so a pre-commit hook passing changed `.py` files audits their caches. A source
//! that no longer exists still finds the caches it left.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::find::prefix::lexical_absolute;
use crate::find::walk::{EntryKind, Found};
use crate::python::naming::{self, is_cache_file_name, CacheName, Layout};

/// Where a cache of the source was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Where {
    /// Beside the source (`__pycache__` or legacy).
    Tree,
    /// In the pycache-prefix tree.
    PrefixTree,
}

/// The caches of one source, sorted by path, and the directories that could not be listed.
#[derive(Debug, Default)]
pub(crate) struct SourceCaches {
    pub caches: Vec<(Found, CacheName, Where)>,
    pub errors: Vec<String>,
}

/// Returns true if and only if the argument names a source file (`.py`, `.pyw`) rather than a
/// directory or a cache.
pub(crate) fn is_source_argument(path: &Path) -> bool {
    let source_name = path
        .extension()
        .is_some_and(|e| e == OsStr::new("py") || e == OsStr::new("pyw"));
    source_name && !path.is_dir()
}

/// Finds every cache of `source`; `prefix` is the pycache prefix in effect (relative to `cwd`).
pub(crate) fn find(source: &Path, prefix: Option<&Path>, cwd: &Path) -> SourceCaches {
    let mut out = SourceCaches::default();
    let Some(name) = source.file_name() else {
        out.errors.push("names no file".into());
        return out;
    };
    let dir = source.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut scans = vec![
        (
            dir.join("__pycache__"),
            Scan::InTree(&[Layout::Pycache, Layout::Pytest][..]),
        ),
        (dir.clone(), Scan::InTree(&[Layout::Legacy][..])),
    ];
    if let Some(prefix) = prefix {
        scans.extend(
            mirrors(&dir, prefix, cwd)
                .into_iter()
                .map(|m| (m, Scan::Prefix(&dir))),
        );
    }
    for (scan, how) in scans {
        match scan_dir(&scan, how, name) {
            Ok(found) => out.caches.extend(found),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => out
                .errors
                .push(format!("cannot list {}: {e}", scan.display())),
        }
    }
    out.caches.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    out.caches.dedup_by(|a, b| a.0.path == b.0.path);
    out
}

/// How to name what a directory holds.
#[derive(Clone, Copy)]
enum Scan<'a> {
    /// In-tree caches of these layouts.
    InTree(&'a [Layout]),
    /// Prefix-tree caches whose sources are in this directory.
    Prefix(&'a Path),
}

/// The prefix-tree directories that mirror `dir`: its absolute path, and its real path.
fn mirrors(dir: &Path, prefix: &Path, cwd: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![lexical_absolute(dir, cwd)];
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(real) = fs::canonicalize(listed) {
        if real != dirs[0] {
            dirs.push(real);
        }
    }
    dirs.iter()
        .map(|d| crate::python::mirror::native_cache_dir(prefix, d, cwd))
        .collect()
}

/// The caches in `dir` named as `how` says whose source has this file name.
fn scan_dir(
    dir: &Path,
    how: Scan,
    source_name: &OsStr,
) -> io::Result<Vec<(Found, CacheName, Where)>> {
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut found = Vec::new();
    for entry in fs::read_dir(listed)? {
        let entry = entry?;
        if !is_cache_file_name(&entry.file_name()) {
            continue;
        }
        let path = dir.join(entry.file_name());
        let (name, place) = match how {
            Scan::InTree(layouts) => match naming::parse(&path) {
                Some(n) if layouts.contains(&n.layout) => (n, Where::Tree),
                _ => continue,
            },
            Scan::Prefix(sources) => match naming::parse_prefixed(&path, sources) {
                Some(n) => (n, Where::PrefixTree),
                None => continue,
            },
        };
        let ours = name
            .sources
            .iter()
            .any(|s| s.file_name() == Some(source_name));
        if ours {
            let kind = entry.file_type().map_or(EntryKind::File, kind_of);
            found.push((Found { path, kind }, name, place));
        }
    }
    Ok(found)
}

/// What a directory entry is, without following a symlink.
pub(crate) fn kind_of(file_type: fs::FileType) -> EntryKind {
    if file_type.is_symlink() {
        EntryKind::Symlink
    } else if file_type.is_dir() {
        EntryKind::Directory
    } else {
        EntryKind::File
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"").unwrap();
    }

    #[test]
    fn the_mirror_in_the_prefix_tree_is_found_with_its_place() {
        let tmp = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(tmp.path()).unwrap();
        let (proj, pfx) = (base.join("proj"), base.join("pfx"));
        touch(&proj.join("m.py"));
        touch(&proj.join("__pycache__/m.cpython-311.pyc"));
        let mirror = pfx.join(proj.strip_prefix("/").unwrap());
        touch(&mirror.join("m.cpython-312.pyc"));
        touch(&mirror.join("n.cpython-312.pyc"));
        let found = find(&proj.join("m.py"), Some(&pfx), Path::new("/"));
        let places: Vec<Where> = found.caches.iter().map(|c| c.2).collect();
        assert_eq!(places, [Where::PrefixTree, Where::Tree], "{found:?}");
        assert_eq!(found.caches[0].1.sources[0], proj.join("m.py"));
        assert_eq!(found.caches[0].1.layout, Layout::Prefix);
        let without = find(&proj.join("m.py"), None, Path::new(""));
        assert_eq!(without.caches.len(), 1);
    }

    #[test]
    fn source_arguments_are_py_and_pyw_files() {
        assert!(is_source_argument(Path::new("a/m.py")));
        assert!(is_source_argument(Path::new("gone.pyw")));
        assert!(!is_source_argument(Path::new("m.pyc")));
        assert!(!is_source_argument(Path::new("pkg")));
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("odd.py")).unwrap();
        assert!(!is_source_argument(&tmp.path().join("odd.py")));
    }
}
