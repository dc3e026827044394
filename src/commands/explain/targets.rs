//! What each FILE argument stands for: a cache (its name ends in `.pyc` or `.pyo`), or a
//! source whose every cache is wanted.
//!
//! A source's caches are found by `find::source_caches`, with the name parsing `check` pairs
//! with (with a pycache prefix, its mirror in the prefix tree too); a cache inside the prefix
//! tree is named by the source directory it mirrors, as `check` names it. A source that does not
//! exist may still have caches (orphans); only when it has none is it an error.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::find::source_caches::{self, kind_of, Where};
use crate::find::walk::Found;
use crate::python::naming::{self, is_cache_file_name, CacheName};

/// How a FILE argument was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TargetKind {
    Cache,
    Source,
}

/// A FILE argument and the caches it stands for.
#[derive(Debug)]
pub(super) struct Target {
    pub file: PathBuf,
    pub kind: TargetKind,
    pub exists: bool,
    pub caches: Vec<(Found, CacheName, Where)>,
    /// Why the argument could not be explained (it then counts as an error).
    pub error: Option<String>,
}

/// Resolves one FILE argument; never fails, problems go in `error`.
/// `prefix` is the pycache prefix in effect, relative to `cwd`.
pub(super) fn resolve(file: &Path, prefix: Option<&Path>, cwd: &Path) -> Target {
    let meta = file.symlink_metadata();
    let is_cache = file.file_name().is_some_and(is_cache_file_name);
    let mut target = Target {
        file: file.to_path_buf(),
        kind: if is_cache {
            TargetKind::Cache
        } else {
            TargetKind::Source
        },
        exists: meta.is_ok(),
        caches: Vec::new(),
        error: None,
    };
    match (&meta, is_cache) {
        (Err(e), true) => target.error = Some(io_words(e)),
        (Ok(m), true) => {
            let found = Found {
                path: file.to_path_buf(),
                kind: kind_of(m.file_type()),
            };
            target.caches.extend(named(found, prefix));
        }
        (_, false) if file.is_dir() => {
            target.error = Some("is a directory (`pyc-audit check DIR` audits a tree)".into());
        }
        (_, false) => find_caches(&mut target, prefix, cwd),
    }
    target
}

fn find_caches(target: &mut Target, prefix: Option<&Path>, cwd: &Path) {
    let found = source_caches::find(&target.file, prefix, cwd);
    if !found.errors.is_empty() {
        target.error = Some(found.errors.join("; "));
    } else if !target.exists && found.caches.is_empty() {
        target.error = Some("No such file or directory, and no cache of it".into());
    }
    target.caches = found.caches;
}

/// A cache named by the user: in the prefix tree, named by the directory it mirrors.
fn named(found: Found, prefix: Option<&Path>) -> Option<(Found, CacheName, Where)> {
    let canonical = prefix.and_then(|p| fs::canonicalize(p).ok());
    match canonical.and_then(|c| crate::find::prefix::name_in_tree(&found, &c)) {
        Some(name) => Some((found, name, Where::PrefixTree)),
        None => {
            let name = naming::parse(&found.path)?;
            Some((found, name, Where::Tree))
        }
    }
}

fn io_words(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "No such file or directory".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::find::walk::EntryKind;

    fn resolve_(file: &Path) -> Target {
        resolve(file, None, Path::new(""))
    }

    fn names(t: &Target, root: &Path) -> Vec<String> {
        t.caches
            .iter()
            .map(|(f, _, _)| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn a_source_gets_every_cache_of_it_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "m.py",
            "m.pyc",
            "m.pyo",
            "mm.pyc",
            "m.b.py",
            "__pycache__/m.cpython-311.pyc",
            "__pycache__/m.cpython-311.opt-2.pyc",
            "__pycache__/m.cpython-311-pytest-8.3.5.pyc",
            "__pycache__/m.b.cpython-311.pyc",
            "__pycache__/n.cpython-311.pyc",
        ] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, b"").unwrap();
        }
        let t = resolve_(&root.join("m.py"));
        assert_eq!(t.kind, TargetKind::Source);
        assert_eq!(t.error, None);
        assert_eq!(
            names(&t, root),
            [
                "__pycache__/m.cpython-311-pytest-8.3.5.pyc",
                "__pycache__/m.cpython-311.opt-2.pyc",
                "__pycache__/m.cpython-311.pyc",
                "m.pyc",
                "m.pyo",
            ]
        );
        let dotted = resolve_(&root.join("m.b.py"));
        assert_eq!(names(&dotted, root), ["__pycache__/m.b.cpython-311.pyc"]);
    }

    #[test]
    fn missing_files_are_errors_unless_caches_remain() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("__pycache__")).unwrap();
        fs::write(root.join("__pycache__/gone.cpython-311.pyc"), b"").unwrap();
        fs::write(root.join("lonely.py"), b"").unwrap();
        let gone = resolve_(&root.join("gone.py"));
        assert!(!gone.exists && gone.error.is_none());
        assert_eq!(gone.caches.len(), 1);
        assert!(resolve_(&root.join("nothing.py")).error.is_some());
        assert!(resolve_(&root.join("nothing.pyc")).error.is_some());
        let lonely = resolve_(&root.join("lonely.py"));
        assert!(lonely.exists && lonely.error.is_none() && lonely.caches.is_empty());
        assert!(resolve_(root).error.unwrap().contains("directory"));
    }

    #[test]
    fn a_cache_argument_keeps_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("d.pyc")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("s.pyc")).unwrap();
        let d = resolve_(&root.join("d.pyc"));
        assert_eq!(d.caches[0].0.kind, EntryKind::Directory);
        let s = resolve_(&root.join("s.pyc"));
        assert_eq!(s.caches[0].0.kind, EntryKind::Symlink);
        assert_eq!(s.kind, TargetKind::Cache);
    }
}
