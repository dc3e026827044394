//! The rules that decide whether `clean` may remove a path, as pure functions of names and
//! paths; what is on disk is checked through directory handles (`handles`, `unlink`).
//!
//! Together with those they guarantee that only regular files named like a cache (or like a
//! cache write's temporary file) and `__pycache__` directories are removed, that nothing is
//! reached through a symlink (so no symlink's target, and nothing outside the given roots),
//! and that a source is never removed (its name is never a cache name).

use std::ffi::OsStr;
use std::path::{Component, Path};

use crate::find::survey::is_debris_name;
use crate::python::naming::is_cache_file_name;

/// What a file is by its name, when `clean` may ever remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileName {
    /// `*.pyc` or `*.pyo`.
    Cache,
    /// `*.pyc.<digits>`: the temporary file of an interrupted cache write.
    Debris,
}

/// Why a path is left in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Nothing is there any more.
    Vanished,
    /// A policy reason: outside the roots, reached through a symlink, not a regular file...
    Unsafe(String),
    /// The check itself failed.
    Io(String),
}

/// The file name classes `clean` may remove; `None` for everything else (sources included).
pub(crate) fn removable_file_name(name: &OsStr) -> Option<FileName> {
    if is_debris_name(name) {
        Some(FileName::Debris)
    } else if is_cache_file_name(name) {
        Some(FileName::Cache)
    } else {
        None
    }
}

/// Returns true if and only if `name` is `__pycache__`, the only directory `clean` removes.
pub(crate) fn is_pycache_name(name: Option<&OsStr>) -> bool {
    name == Some(OsStr::new("__pycache__"))
}

/// The part of `path` below `root`, when `path` is `root` or lexically below it through
/// plain names only (no `..`, no `.`, no second root). Never touches the disk.
pub(crate) fn below_root<'a>(root: &Path, path: &'a Path) -> Option<&'a Path> {
    let rel = path.strip_prefix(root).ok()?;
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(rel)
}

/// Why `clean` refuses a root without `--force`, given its canonical form and the canonical
/// home directory; `None` when it may be cleaned.
pub(crate) fn refused_root(canonical: &Path, home: Option<&Path>) -> Option<&'static str> {
    if canonical.parent().is_none() {
        Some("it is the filesystem root")
    } else if home == Some(canonical) {
        Some("it is the home directory")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn names_sources_never_removable() {
        let name = |s: &str| removable_file_name(OsStr::new(s));
        assert_eq!(name("m.cpython-311.pyc"), Some(FileName::Cache));
        assert_eq!(name("m.pyo"), Some(FileName::Cache));
        assert_eq!(name("m.cpython-311.pyc.140234"), Some(FileName::Debris));
        for no in [
            "m.py",
            "m.pyw",
            "m.pyc.bak",
            "pyc",
            "__pycache__",
            "m.so",
            "m.pyc.12a",
        ] {
            assert_eq!(name(no), None, "{no}");
        }
        assert!(is_pycache_name(Some(OsStr::new("__pycache__"))));
        assert!(!is_pycache_name(Some(OsStr::new("pycache"))));
        assert!(!is_pycache_name(None));
    }

    #[test]
    fn below_root_is_lexical_and_plain() {
        let p = Path::new;
        assert_eq!(below_root(p("."), p("./a/b.pyc")), Some(p("a/b.pyc")));
        assert_eq!(below_root(p("r"), p("r/a/b.pyc")), Some(p("a/b.pyc")));
        assert_eq!(below_root(p("r/"), p("r/a")), Some(p("a")));
        assert_eq!(below_root(p("r/x.pyc"), p("r/x.pyc")), Some(p("")));
        assert_eq!(below_root(p("r"), p("r/../s/a.pyc")), None);
        assert_eq!(below_root(p("r"), p("rr/a.pyc")), None);
        assert_eq!(below_root(p("r"), p("s/a.pyc")), None);
        assert_eq!(below_root(p("/r"), p("/r/a/./b")), Some(p("a/b")));
    }

    #[test]
    fn refuses_filesystem_root_and_home() {
        let home = PathBuf::from("/home/u");
        assert!(refused_root(Path::new("/"), Some(&home)).is_some());
        assert!(refused_root(&home, Some(&home)).is_some());
        assert_eq!(refused_root(Path::new("/home/u/src"), Some(&home)), None);
        assert_eq!(refused_root(Path::new("/home"), Some(&home)), None);
        assert_eq!(refused_root(Path::new("/srv"), None), None);
    }
}
