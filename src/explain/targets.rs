//! What each FILE argument stands for: a cache (its name ends in `.pyc` or `.pyo`), or a
//! source whose every cache is wanted.
//!
//! A source's caches are found by the same name parsing `check` pairs with: the files in
//! `__pycache__` beside it (every tag, `opt-N` level and pytest rewrite) and the legacy
//! `NAME.pyc`/`NAME.pyo` next to it, whose parsed source is this file. A source that does not
//! exist may still have caches (orphans); only when it has none is it an error.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::naming::{self, is_cache_file_name, CacheName, Layout};
use crate::walk::{EntryKind, Found};

/// How a FILE argument was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Cache,
    Source,
}

/// A FILE argument and the caches it stands for.
#[derive(Debug)]
pub struct Target {
    pub file: PathBuf,
    pub kind: TargetKind,
    pub exists: bool,
    pub caches: Vec<(Found, CacheName)>,
    /// Why the argument could not be explained (it then counts as an error).
    pub error: Option<String>,
}

/// Resolves one FILE argument; never fails, problems go in `error`.
pub fn resolve(file: &Path) -> Target {
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
            target.caches.extend(with_name(found));
        }
        (_, false) if file.is_dir() => {
            target.error = Some("is a directory (`pyc-audit check DIR` audits a tree)".into());
        }
        (_, false) => find_caches(&mut target),
    }
    target
}

fn find_caches(target: &mut Target) {
    let Some(name) = target.file.file_name().map(|n| n.to_os_string()) else {
        target.error = Some("names no file".into());
        return;
    };
    let dir = target.file.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut caches = Vec::new();
    let mut errors = Vec::new();
    for (scan, layouts) in [
        (
            dir.join("__pycache__"),
            &[Layout::Pycache, Layout::Pytest][..],
        ),
        (dir.clone(), &[Layout::Legacy][..]),
    ] {
        match scan_dir(&scan, layouts, &name) {
            Ok(found) => caches.extend(found),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => errors.push(format!("cannot list {}: {e}", scan.display())),
        }
    }
    caches.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    if !errors.is_empty() {
        target.error = Some(errors.join("; "));
    } else if !target.exists && caches.is_empty() {
        target.error = Some("No such file or directory, and no cache of it".into());
    }
    target.caches = caches;
}

/// The caches in `dir` of these layouts whose source has this file name.
fn scan_dir(
    dir: &Path,
    layouts: &[Layout],
    source_name: &std::ffi::OsStr,
) -> io::Result<Vec<(Found, CacheName)>> {
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
        let Some(name) = naming::parse(&path) else {
            continue;
        };
        let ours = name
            .sources
            .iter()
            .any(|s| s.file_name() == Some(source_name));
        if ours && layouts.contains(&name.layout) {
            let kind = entry.file_type().map_or(EntryKind::File, kind_of);
            found.push((Found { path, kind }, name));
        }
    }
    Ok(found)
}

fn with_name(found: Found) -> Option<(Found, CacheName)> {
    let name = naming::parse(&found.path)?;
    Some((found, name))
}

fn kind_of(file_type: fs::FileType) -> EntryKind {
    if file_type.is_symlink() {
        EntryKind::Symlink
    } else if file_type.is_dir() {
        EntryKind::Directory
    } else {
        EntryKind::File
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

    fn names(t: &Target, root: &Path) -> Vec<String> {
        t.caches
            .iter()
            .map(|(f, _)| f.path.strip_prefix(root).unwrap().display().to_string())
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
        let t = resolve(&root.join("m.py"));
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
        let dotted = resolve(&root.join("m.b.py"));
        assert_eq!(names(&dotted, root), ["__pycache__/m.b.cpython-311.pyc"]);
    }

    #[test]
    fn missing_files_are_errors_unless_caches_remain() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("__pycache__")).unwrap();
        fs::write(root.join("__pycache__/gone.cpython-311.pyc"), b"").unwrap();
        fs::write(root.join("lonely.py"), b"").unwrap();
        let gone = resolve(&root.join("gone.py"));
        assert!(!gone.exists && gone.error.is_none());
        assert_eq!(gone.caches.len(), 1);
        assert!(resolve(&root.join("nothing.py")).error.is_some());
        assert!(resolve(&root.join("nothing.pyc")).error.is_some());
        let lonely = resolve(&root.join("lonely.py"));
        assert!(lonely.exists && lonely.error.is_none() && lonely.caches.is_empty());
        assert!(resolve(root).error.unwrap().contains("directory"));
    }

    #[test]
    fn a_cache_argument_keeps_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("d.pyc")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("s.pyc")).unwrap();
        let d = resolve(&root.join("d.pyc"));
        assert_eq!(d.caches[0].0.kind, EntryKind::Directory);
        let s = resolve(&root.join("s.pyc"));
        assert_eq!(s.caches[0].0.kind, EntryKind::Symlink);
        assert_eq!(s.kind, TargetKind::Cache);
    }
}
