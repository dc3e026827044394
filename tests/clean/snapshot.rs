//! What a tree holds, without following symlinks: every file's bytes and mtime, every
//! directory, every symlink's target. Two snapshots compare equal when nothing was touched.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    File { bytes: Vec<u8>, mtime: SystemTime },
    Dir,
    Link(PathBuf),
}

/// Every entry below `root` (the root itself excluded), by path relative to it.
pub type Snapshot = BTreeMap<PathBuf, Entry>;

pub fn take(root: &Path) -> Snapshot {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let path = e.path();
            let meta = fs::symlink_metadata(path).unwrap();
            let entry = if meta.file_type().is_symlink() {
                Entry::Link(fs::read_link(path).unwrap())
            } else if meta.is_dir() {
                Entry::Dir
            } else {
                Entry::File {
                    bytes: fs::read(path).unwrap(),
                    mtime: meta.modified().unwrap(),
                }
            };
            (path.strip_prefix(root).unwrap().to_path_buf(), entry)
        })
        .collect()
}

/// The differences between two snapshots, one line each; empty when equal.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (path, entry) in before {
        match after.get(path) {
            None => out.push(format!("removed: {}", path.display())),
            Some(e) if e != entry => out.push(format!("changed: {}", path.display())),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        out.push(format!("added: {}", path.display()));
    }
    out
}
