//! Opening files to read without ever blocking, and refusing anything that is not a regular
//! file before a byte is read.
//!
//! A FIFO, a socket, a terminal or a device named like a cache (or a symlink to one, such as
//! `/dev/zero` or `/proc/self/fd/0`) would hang a plain `open` or `read`, or feed it endless
//! bytes. Every cache and source is opened with `O_NONBLOCK` (opening a FIFO for reading then
//! returns at once, and a socket fails), its type is checked on the handle with `fstat`, and
//! only a regular file is handed back: the caller reports the rest as unreadable.

use std::ffi::OsStr;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::fd::BorrowedFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use rustix::fs::FileType;

use crate::python::source::SourceStat;

/// What a non-regular file is, for a reason column.
pub(crate) fn describe(meta: &Metadata) -> &'static str {
    describe_mode(meta.mode())
}

/// [`describe`], from a stat's mode.
fn describe_mode(mode: u32) -> &'static str {
    match FileType::from_raw_mode(mode) {
        FileType::Directory => "is a directory",
        FileType::Fifo => "not a regular file (a FIFO): never read",
        FileType::Socket => "not a regular file (a socket): never read",
        FileType::CharacterDevice => "not a regular file (a character device): never read",
        FileType::BlockDevice => "not a regular file (a block device): never read",
        _ => "not a regular file: never read",
    }
}

/// Opens `path` (following a final symlink, as the interpreter does) without blocking, and
/// returns the handle and its metadata only when it is a regular file.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let nonblock = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nonblock)
        .open(path)
        .map_err(|e| unopenable(e, path))?;
    regular(file)
}

/// [`open_regular`] for the entry `name` of the directory `dir`, whose path is `path`: the
/// kernel resolves one component instead of the whole path. The handle's size and mtime come
/// from a plain `fstat` (std's metadata is a `statx` with an empty path, which costs more, and
/// this runs for every cache of an audit).
pub(crate) fn open_regular_at(
    dir: BorrowedFd,
    name: &OsStr,
    path: &Path,
) -> io::Result<(File, SourceStat)> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty())
        .map_err(|e| unopenable(io::Error::from(e), path))?;
    let st = rustix::fs::fstat(&fd)?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok((File::from(fd), SourceStat::from_stat(&st))),
        FileType::Directory => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            describe_mode(st.st_mode),
        )),
        _ => Err(io::Error::other(describe_mode(st.st_mode))),
    }
}

/// What open() says of a socket, or of a device with nothing behind it, said plainly: a stat
/// (which never blocks) says which.
fn unopenable(e: io::Error, path: &Path) -> io::Error {
    match e.raw_os_error() {
        Some(code) if code == rustix::io::Errno::NXIO.raw_os_error() => {
            let what =
                std::fs::metadata(path).map_or("not a regular file: never read", |m| describe(&m));
            io::Error::other(what)
        }
        _ => e,
    }
}

/// The handle and its metadata, only when it is a regular file.
fn regular(file: File) -> io::Result<(File, Metadata)> {
    let meta = file.metadata()?;
    if meta.is_file() {
        Ok((file, meta))
    } else if meta.is_dir() {
        Err(io::Error::new(io::ErrorKind::IsADirectory, describe(&meta)))
    } else {
        Err(io::Error::other(describe(&meta)))
    }
}

/// Feeds every byte of a regular file to `sink`, a fixed buffer at a time, and stops at the
/// size fstat gave (a file growing meanwhile is not read forever). `start` is told that size
/// before the first byte and makes the state `sink` feeds, which is returned.
pub(crate) fn stream<S>(
    path: &Path,
    start: impl FnOnce(u64) -> S,
    mut sink: impl FnMut(&mut S, &[u8]),
) -> io::Result<S> {
    let (file, meta) = open_regular(path)?;
    let mut state = start(meta.len());
    let mut buf = vec![0u8; 256 * 1024];
    let mut limited = file.take(meta.len());
    loop {
        match limited.read(&mut buf) {
            Ok(0) => return Ok(state),
            Ok(n) => sink(&mut state, &buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.pyc");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let err = open_regular(&fifo).unwrap_err().to_string();
        assert!(err.contains("FIFO"), "{err}");
        let err = open_regular(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("character device"), "{err}");
        let err = open_regular(dir.path()).unwrap_err().to_string();
        assert!(err.contains("directory"), "{err}");
        let file = dir.path().join("m.py");
        std::fs::write(&file, b"abc").unwrap();
        let (len, got) = stream(
            &file,
            |len| (len, Vec::new()),
            |(_, got), b| got.extend_from_slice(b),
        )
        .unwrap();
        assert_eq!((len, got.as_slice()), (3, &b"abc"[..]));
    }
}
