//! What the verdict may ask of the world beyond its evidence: more of the cache's body, and the
//! source's hash. One small trait, implemented once for files on disk ([`Disk`], what `check`,
//! `clean` and `explain` use) and once for bytes in memory ([`Memory`], for tests).
//!
//! Errors stay `io::Error`s, so whoever reads the verdict's cause can react to their kind (a
//! permission problem, a directory where a file belongs) instead of parsing a message.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::Path;

use rustix::buffer::spare_capacity;
use rustix::io::Errno;

use super::{CacheRead, SourceState};
use crate::pyc::header::SourceHash;
#[cfg(test)]
use crate::python::source::source_hash;
use crate::python::source::{source_file_hash, HashVariant};

/// What the verdict may read beyond the first bytes of a cache.
pub(crate) trait Inputs {
    /// Appends up to `upto` more bytes of the cache to `buf`, continuing where the last read
    /// stopped; returns true once the end of the file is reached.
    fn read_on(&mut self, buf: &mut Vec<u8>, upto: usize) -> io::Result<bool>;
    /// The source hashed with a variant and key; asked only for hash-based caches.
    fn source_hash(&mut self, variant: HashVariant, key: u32) -> io::Result<SourceHash>;
}

/// Why a cache could not be read at all: the error's kind, and words for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CacheError {
    pub kind: io::ErrorKind,
    pub text: String,
}

impl CacheError {
    pub(crate) fn new(kind: io::ErrorKind, text: impl Into<String>) -> CacheError {
        CacheError {
            kind,
            text: text.into(),
        }
    }
}

impl From<io::Error> for CacheError {
    fn from(e: io::Error) -> CacheError {
        CacheError::new(e.kind(), e.to_string())
    }
}

/// A source, hashed once per variant and key (streamed: memory stays one buffer whatever its
/// size), shared by the caches that pair with it. A read error is kept, with its kind.
#[derive(Default)]
pub(crate) struct SourceBytes<'a> {
    path: Option<&'a Path>,
    failed: OnceCell<(io::ErrorKind, String)>,
    hashes: RefCell<HashMap<(HashVariant, u32), SourceHash>>,
}

impl<'a> SourceBytes<'a> {
    /// The source the stat found, if it is present.
    pub(crate) fn of(source: &'a SourceState) -> SourceBytes<'a> {
        SourceBytes::new(match source {
            SourceState::Present { path, .. } => Some(path.as_path()),
            _ => None,
        })
    }

    /// The source at `path`, or none (`None`: hashing fails with `NotFound`).
    pub(crate) fn new(path: Option<&'a Path>) -> SourceBytes<'a> {
        SourceBytes {
            path,
            ..SourceBytes::default()
        }
    }

    fn hash(&self, variant: HashVariant, key: u32) -> io::Result<SourceHash> {
        if let Some(h) = self.hashes.borrow().get(&(variant, key)) {
            return Ok(*h);
        }
        let Some(path) = self.path else {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no source"));
        };
        if let Some((kind, text)) = self.failed.get() {
            return Err(io::Error::new(*kind, text.clone()));
        }
        let h = source_file_hash(variant, key, path).inspect_err(|e| {
            let _ = self.failed.set((e.kind(), e.to_string()));
        })?;
        self.hashes.borrow_mut().insert((variant, key), h);
        Ok(h)
    }
}

/// Splits how a cache's first bytes were read into what the verdict sees and the handle
/// [`Disk`] reads on from, with the bytes fstat says are left after them.
pub(crate) fn split_read(
    read: Result<(CacheRead, File), CacheError>,
) -> (Result<CacheRead, CacheError>, Option<(File, u64)>) {
    match read {
        Ok((cache, file)) => {
            let left = cache.len.saturating_sub(cache.head.len() as u64);
            (Ok(cache), Some((file, left)))
        }
        Err(e) => (Err(e), None),
    }
}

/// A cache open on disk, positioned after its first bytes, and its source.
pub(crate) struct Disk<'a> {
    /// The open cache and how many bytes fstat says are left; `None` when it could not be read.
    file: Option<(File, u64)>,
    source: &'a SourceBytes<'a>,
}

impl<'a> Disk<'a> {
    pub(crate) fn new(file: Option<(File, u64)>, source: &'a SourceBytes<'a>) -> Disk<'a> {
        Disk { file, source }
    }
}

impl Inputs for Disk<'_> {
    fn read_on(&mut self, buf: &mut Vec<u8>, upto: usize) -> io::Result<bool> {
        let Some((file, left)) = self.file.as_mut() else {
            return Err(io::Error::other("the file is closed"));
        };
        // Never ask past the size fstat gave: no extra read() to find the end.
        let want = (upto as u64).min(*left);
        let got = read_into(file, buf, want as usize)? as u64;
        *left -= got;
        Ok(got < want || *left == 0)
    }

    fn source_hash(&mut self, variant: HashVariant, key: u32) -> io::Result<SourceHash> {
        self.source.hash(variant, key)
    }
}

/// Appends up to `want` bytes of the file to `buf` in as few reads as the kernel allows
/// (`read_to_end` starts with a small read, which would cost a second call per cache), and
/// stops early only at the end of the file. Returns how many bytes came.
///
/// The bytes are read straight into the buffer's spare capacity: zeroing it first (what a
/// safe `&mut [u8]` needs) cost as much as a sixth of a deep check. A read may fill more than
/// `want` (the spare capacity of a reused buffer); the excess is given back to the file.
fn read_into(file: &File, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    let start = buf.len();
    buf.reserve(want);
    while buf.len() - start < want {
        match rustix::io::read(file, spare_capacity(buf)) {
            Ok(0) => break,
            Ok(_) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let got = buf.len() - start;
    if got > want {
        buf.truncate(start + want);
        let excess = i64::try_from(got - want).unwrap_or(i64::MAX);
        let mut file = file;
        file.seek(SeekFrom::Current(-excess))?;
    }
    Ok(got.min(want))
}

/// A cache and its source in memory: `rest` is what follows the bytes the evidence holds.
#[cfg(test)]
pub(crate) struct Memory<'a> {
    pub rest: &'a [u8],
    pub source: Option<&'a [u8]>,
    /// At most this many bytes per read, to exercise reading in chunks.
    pub chunk: usize,
    at: usize,
}

#[cfg(test)]
impl<'a> Memory<'a> {
    pub(crate) fn new(rest: &'a [u8], source: Option<&'a [u8]>) -> Memory<'a> {
        Memory {
            rest,
            source,
            chunk: usize::MAX,
            at: 0,
        }
    }
}

#[cfg(test)]
impl Inputs for Memory<'_> {
    fn read_on(&mut self, buf: &mut Vec<u8>, upto: usize) -> io::Result<bool> {
        let end = self
            .rest
            .len()
            .min(self.at.saturating_add(upto.min(self.chunk)));
        buf.extend_from_slice(&self.rest[self.at..end]);
        self.at = end;
        Ok(end == self.rest.len())
    }

    fn source_hash(&mut self, variant: HashVariant, key: u32) -> io::Result<SourceHash> {
        match self.source {
            Some(bytes) => Ok(source_hash(variant, key, bytes)),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "no source")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reads_on_in_chunks_and_says_when_it_ends() {
        let mut m = Memory::new(b"abcdefgh", None);
        m.chunk = 3;
        let mut buf = Vec::new();
        assert!(!m.read_on(&mut buf, 10).unwrap());
        assert!(!m.read_on(&mut buf, 2).unwrap());
        assert!(m.read_on(&mut buf, 10).unwrap());
        assert_eq!(buf, b"abcdefgh");
        let e = m.source_hash(HashVariant::Sip13, 1).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn disk_reads_on_where_it_stopped_whatever_the_spare_capacity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.pyc");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        std::fs::write(&path, &bytes).unwrap();
        let source = SourceBytes::new(None);
        let mut disk = Disk::new(Some((File::open(&path).unwrap(), 10_000)), &source);
        // A reused buffer: far more spare capacity than each read asks for.
        let mut buf = Vec::with_capacity(1 << 16);
        assert!(!disk.read_on(&mut buf, 3).unwrap());
        assert_eq!(buf, bytes[..3]);
        assert!(!disk.read_on(&mut buf, 4000).unwrap());
        assert!(disk.read_on(&mut buf, 1 << 20).unwrap());
        assert_eq!(buf, bytes);
    }

    #[test]
    fn an_unreadable_source_keeps_its_error_kind() {
        let dir = tempfile::tempdir().unwrap();
        let source = SourceBytes::new(Some(dir.path()));
        let e = Disk::new(None, &source)
            .source_hash(HashVariant::Sip13, 1)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
    }
}
