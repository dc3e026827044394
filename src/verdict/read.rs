//! The read stage: what the verdict is given of a cache and its source. A cache's first bytes,
//! its size and mtime; its source's stat, as the interpreter tries the candidates in order.
//!
//! During the audit the walk holds each cache's directory open (and, for a `__pycache__`, the
//! directory of the sources too), so caches are opened and sources stat'ed relative to those
//! handles: one path component for the kernel to resolve, not the whole path. Anything else
//! (`explain`, `clean`'s re-check, a prefix tree) goes by path. Either way, opens never block
//! and only a regular file is read (see `python::open`).

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType};

use crate::find::walk::{EntryKind, Found, Held};
use crate::python::open::{open_regular, open_regular_at};
use crate::python::source::SourceStat;
use crate::verdict::{CacheError, CacheRead, SourceState, HEAD_LEN};

/// A cache's first bytes, [`HEAD_LEN`] at most, held inline: they are read for every cache.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    bytes: [u8; HEAD_LEN],
    len: u8,
}

impl Head {
    /// The first [`HEAD_LEN`] bytes of `bytes` (all of them when fewer).
    pub(crate) fn new(bytes: &[u8]) -> Head {
        let len = bytes.len().min(HEAD_LEN);
        let mut head = Head {
            bytes: [0; HEAD_LEN],
            len: len as u8,
        };
        head.bytes[..len].copy_from_slice(&bytes[..len]);
        head
    }
}

impl std::ops::Deref for Head {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// The directories the walk holds open for a batch of caches (none outside the audit's walk).
#[derive(Clone, Copy, Default)]
pub(crate) struct At<'a> {
    pub(crate) dir: Option<Held<'a>>,
    pub(crate) parent: Option<Held<'a>>,
}

impl At<'_> {
    /// The held directory that is `path`'s parent, and `path`'s last component.
    fn holder<'p>(&self, path: &'p Path) -> Option<(Held<'_>, &'p [u8])> {
        let bytes = path.as_os_str().as_bytes();
        let slash = bytes.iter().rposition(|&b| b == b'/')?;
        let (parent, leaf) = (&bytes[..slash], &bytes[slash + 1..]);
        [self.dir, self.parent]
            .into_iter()
            .flatten()
            .find(|held| trimmed(held.path) == parent)
            .map(|held| (held, leaf))
    }
}

/// A path's bytes without trailing slashes (a root given as `dir/`).
fn trimmed(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_bytes();
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    &bytes[..end]
}

/// What a stat says of a source candidate.
struct Stat {
    file_type: FileType,
    mode: u32,
    stat: SourceStat,
}

impl Stat {
    fn of(path: &Path, at: &At) -> io::Result<Stat> {
        if let Some((held, leaf)) = at.holder(path) {
            let st =
                rustix::fs::statat(held.fd, std::ffi::OsStr::from_bytes(leaf), AtFlags::empty())?;
            return Ok(Stat {
                file_type: FileType::from_raw_mode(st.st_mode),
                mode: st.st_mode,
                stat: SourceStat::from_stat(&st),
            });
        }
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(path)?;
        Ok(Stat {
            file_type: FileType::from_raw_mode(meta.mode()),
            mode: meta.mode(),
            stat: SourceStat::from_metadata(&meta),
        })
    }
}

/// Stats the source candidates in the order the interpreter tries them (a stat, which never
/// blocks; the source is only opened, non-blocking, if its hash is needed). A symlink that does
/// not resolve (dangling, or a loop) is no source, as the import system's `isfile` sees it.
pub(crate) fn stat_source(candidates: &[PathBuf]) -> SourceState {
    stat_source_at(candidates, &At::default())
}

/// [`stat_source`], relative to the directories held in `at` where the candidates lie there.
pub(crate) fn stat_source_at(candidates: &[PathBuf], at: &At) -> SourceState {
    for path in candidates {
        match Stat::of(path, at) {
            Ok(st) if st.file_type == FileType::RegularFile => {
                return SourceState::Present {
                    path: path.clone(),
                    stat: st.stat,
                    read_error: read_error(path, st.mode),
                };
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(_) if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {}
            Err(e) => {
                return SourceState::Unreadable {
                    path: path.clone(),
                    kind: e.kind(),
                    error: e.to_string(),
                }
            }
        }
    }
    SourceState::Missing
}

/// Why the source cannot be read, if it cannot: a file readable by everyone is taken as
/// readable without a syscall; any other is opened once (and closed) to find out.
fn read_error(path: &Path, mode: u32) -> Option<CacheError> {
    if mode & 0o444 == 0o444 {
        return None;
    }
    open_regular(path).err().map(CacheError::from)
}

/// Reads the first bytes of a cache and its mtime, and keeps the file open (positioned after
/// those bytes) in case the verdict needs the body. Never blocks: anything but a regular file
/// (a FIFO, a socket, a device, a symlink to one) is an error, and is never read.
pub(crate) fn read_head(found: &Found) -> Result<(CacheRead, File), CacheError> {
    read_head_at(found, &At::default())
}

/// [`read_head`], opening the cache relative to its directory when `at` holds it.
pub(crate) fn read_head_at(found: &Found, at: &At) -> Result<(CacheRead, File), CacheError> {
    if found.kind == EntryKind::Directory {
        return Err(CacheError::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let opened = match at.holder(&found.path) {
        Some((held, leaf)) => {
            open_regular_at(held.fd, std::ffi::OsStr::from_bytes(leaf), &found.path)
        }
        None => {
            open_regular(&found.path).map(|(file, meta)| (file, SourceStat::from_metadata(&meta)))
        }
    };
    let (file, stat) = opened.map_err(|e| open_error(&found.path, found.kind, &e))?;
    read_head_from(file, stat)
}

/// [`read_head`] from a handle already opened and checked to be a regular file, with what
/// its fstat says (its size and mtime).
pub(crate) fn read_head_from(
    file: File,
    stat: SourceStat,
) -> Result<(CacheRead, File), CacheError> {
    let written_ns = stat.mtime_ns();
    let mut bytes = [0u8; HEAD_LEN];
    let mut got = 0;
    while got < HEAD_LEN {
        match (&file).read(&mut bytes[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let cache = CacheRead {
        head: Head::new(&bytes[..got]),
        written_ns,
        len: stat.size,
    };
    Ok((cache, file))
}

fn open_error(path: &Path, kind: EntryKind, e: &io::Error) -> CacheError {
    let text = match (e.kind(), kind) {
        (io::ErrorKind::NotFound, EntryKind::Symlink) => match fs::read_link(path) {
            Ok(target) => format!("dangling symlink to {}", target.display()),
            Err(_) => "dangling symlink".into(),
        },
        (io::ErrorKind::NotFound, _) => "vanished during the scan".into(),
        _ => e.to_string(),
    };
    CacheError::new(e.kind(), text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn held_directories_are_matched_by_the_parent_of_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        std::fs::create_dir_all(root.join("__pycache__")).unwrap();
        std::fs::write(root.join("m.py"), "x = 1\n").unwrap();
        let fd =
            rustix::fs::open(&root, rustix::fs::OFlags::RDONLY, rustix::fs::Mode::empty()).unwrap();
        let spelled = PathBuf::from(format!("{}/", root.display()));
        let at = At {
            dir: None,
            parent: Some(Held {
                path: &spelled,
                fd: fd.as_fd(),
            }),
        };
        let source = root.join("m.py");
        let (held, leaf) = at.holder(&source).unwrap();
        assert_eq!(leaf, b"m.py");
        assert_eq!(held.path, spelled);
        assert!(at.holder(&root.join("__pycache__/m.pyc")).is_none());
        let by_path = stat_source(&[root.join("m.py")]);
        assert_eq!(stat_source_at(&[root.join("m.py")], &at), by_path);
        assert!(matches!(by_path, SourceState::Present { .. }));
    }
}
