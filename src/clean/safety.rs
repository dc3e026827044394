//! The rules that decide whether `clean` may remove a path, as small functions: the pure ones
//! look only at names and paths; the others stat with `symlink_metadata`, which never follows
//! a symlink, and are called right before each removal.
//!
//! Together they guarantee that only regular files named like a cache (or like a cache write's
//! temporary file) and `__pycache__` directories are removed, that nothing is reached through
//! a symlink (so no symlink's target, and nothing outside the given roots), and that a source
//! is never removed (its name is never a cache name).

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Component, Path};

use crate::naming::is_cache_file_name;
use crate::survey::is_debris_name;

/// What a file is by its name, when `clean` may ever remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileName {
    /// `*.pyc` or `*.pyo`.
    Cache,
    /// `*.pyc.<digits>`: the temporary file of an interrupted cache write.
    Debris,
}

/// Why a path is left in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing is there any more.
    Vanished,
    /// A policy reason: outside the roots, reached through a symlink, not a regular file...
    Unsafe(String),
    /// The check itself failed.
    Io(String),
}

/// The file name classes `clean` may remove; `None` for everything else (sources included).
pub fn removable_file_name(name: &OsStr) -> Option<FileName> {
    if is_debris_name(name) {
        Some(FileName::Debris)
    } else if is_cache_file_name(name) {
        Some(FileName::Cache)
    } else {
        None
    }
}

/// Returns true if and only if `name` is `__pycache__`, the only directory `clean` removes.
pub fn is_pycache_name(name: Option<&OsStr>) -> bool {
    name == Some(OsStr::new("__pycache__"))
}

/// The part of `path` below `root`, when `path` is `root` or lexically below it through
/// plain names only (no `..`, no `.`, no second root). Never touches the disk.
pub fn below_root<'a>(root: &Path, path: &'a Path) -> Option<&'a Path> {
    let rel = path.strip_prefix(root).ok()?;
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(rel)
}

/// Why `clean` refuses a root without `--force`, given its canonical form and the canonical
/// home directory; `None` when it may be cleaned.
pub fn refused_root(canonical: &Path, home: Option<&Path>) -> Option<&'static str> {
    if canonical.parent().is_none() {
        Some("it is the filesystem root")
    } else if home == Some(canonical) {
        Some("it is the home directory")
    } else {
        None
    }
}

/// Checks that every directory between `root` (excluded) and `path` (excluded) is a real
/// directory, not a symlink: so `path` is inside the root on disk, not only by name.
pub fn no_symlink_below_root(root: &Path, path: &Path) -> Result<(), Refusal> {
    let Some(rel) = below_root(root, path) else {
        return Err(Refusal::Unsafe("not below a given root".into()));
    };
    let mut dir = root.to_path_buf();
    let mut parts: Vec<Component> = rel.components().collect();
    parts.pop();
    for part in parts {
        dir.push(part);
        let meta = fs::symlink_metadata(&dir).map_err(|e| refusal(&e))?;
        if meta.file_type().is_symlink() {
            return Err(Refusal::Unsafe(format!(
                "{} is a symlink: clean never removes through one",
                crate::report::escaped_path(&dir)
            )));
        }
    }
    Ok(())
}

/// The size of the regular file at `path`, not following a final symlink.
pub fn regular_file_size(path: &Path) -> Result<u64, Refusal> {
    let meta = fs::symlink_metadata(path).map_err(|e| refusal(&e))?;
    let kind = meta.file_type();
    if kind.is_file() {
        Ok(meta.len())
    } else if kind.is_symlink() {
        Err(Refusal::Unsafe(
            "a symlink: clean removes only regular files, never a link or its target".into(),
        ))
    } else if kind.is_dir() {
        Err(Refusal::Unsafe("a directory named like a cache".into()))
    } else {
        Err(Refusal::Unsafe("not a regular file".into()))
    }
}

/// Checks that `path` is a real directory (not a symlink to one).
pub fn real_directory(path: &Path) -> Result<(), Refusal> {
    let meta = fs::symlink_metadata(path).map_err(|e| refusal(&e))?;
    if meta.file_type().is_dir() {
        Ok(())
    } else {
        Err(Refusal::Unsafe("not a real directory".into()))
    }
}

fn refusal(e: &io::Error) -> Refusal {
    if e.kind() == io::ErrorKind::NotFound {
        Refusal::Vanished
    } else {
        Refusal::Io(e.to_string())
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

    #[test]
    fn stat_checks_never_follow_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("t.pyc"), b"x").unwrap();
        fs::create_dir(root.join("real")).unwrap();
        fs::write(root.join("real/a.pyc"), b"abc").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("t.pyc"), root.join("f.pyc")).unwrap();
        fs::create_dir(root.join("d.pyc")).unwrap();

        assert_eq!(
            no_symlink_below_root(root, &root.join("real/a.pyc")),
            Ok(())
        );
        assert_eq!(regular_file_size(&root.join("real/a.pyc")), Ok(3));
        assert!(matches!(
            no_symlink_below_root(root, &root.join("link/t.pyc")),
            Err(Refusal::Unsafe(_))
        ));
        assert!(matches!(
            regular_file_size(&root.join("f.pyc")),
            Err(Refusal::Unsafe(_))
        ));
        assert!(matches!(
            regular_file_size(&root.join("d.pyc")),
            Err(Refusal::Unsafe(_))
        ));
        assert_eq!(
            regular_file_size(&root.join("gone.pyc")),
            Err(Refusal::Vanished)
        );
        assert!(real_directory(&root.join("real")).is_ok());
        assert!(real_directory(&root.join("link")).is_err());
        assert!(matches!(
            no_symlink_below_root(root, &outside.path().join("t.pyc")),
            Err(Refusal::Unsafe(_))
        ));
    }
}
