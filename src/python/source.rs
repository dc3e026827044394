//! Source stamps and source hashes: the values a cache is compared with.
//!
//! Interpreters do not compare raw `stat` fields. CPython 3.3+ and PyPy compare
//! `int(st_mtime)`, where `st_mtime` is the double `sec + nsec * 1e-9` (so a mtime of
//! `…999999999` ns rounds up into the next second, and pre-1970 values truncate toward zero);
//! Python 2 and 3.0-3.2 compare the C `time_t` second. Sizes are compared modulo 2**32. The
//! source hash is SipHash keyed with the cache's own magic word (k0) and 0 (k1), over the raw
//! source bytes; the variant (2-4 or 1-3) depends on the interpreter. RustPython hashes the
//! source as a Rust slice, its length first (see [`HashVariant::RustPython`]).

use std::fs::Metadata;
use std::hash::Hasher;
use std::io;
use std::path::Path;

use siphasher::sip::{SipHasher13, SipHasher24};

use crate::pyc::header::{RecordedMtime, SourceHash};

/// The source's metadata, as `stat` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceStat {
    /// Seconds since the epoch (floor, as in `st_mtim.tv_sec`).
    pub sec: i64,
    /// Nanoseconds within that second.
    pub nsec: u32,
    pub size: u64,
}

impl SourceStat {
    #[cfg(unix)]
    pub fn from_metadata(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        let nsec = u32::try_from(meta.mtime_nsec()).unwrap_or(0);
        SourceStat {
            sec: meta.mtime(),
            nsec,
            size: meta.len(),
        }
    }

    #[cfg(not(unix))]
    pub fn from_metadata(meta: &Metadata) -> Self {
        let (sec, nsec) = meta.modified().map(split_system_time).unwrap_or((0, 0));
        SourceStat {
            sec,
            nsec,
            size: meta.len(),
        }
    }

    /// From a stat made relative to a directory handle.
    #[cfg(unix)]
    pub(crate) fn from_stat(st: &rustix::fs::Stat) -> Self {
        SourceStat {
            sec: st.st_mtime,
            nsec: u32::try_from(st.st_mtime_nsec).unwrap_or(0),
            size: u64::try_from(st.st_size).unwrap_or(0),
        }
    }

    /// The mtime in nanoseconds since the epoch, for ordering against the cache's own mtime.
    pub fn mtime_ns(&self) -> i128 {
        i128::from(self.sec) * 1_000_000_000 + i128::from(self.nsec)
    }

    /// The mtime in whole seconds as the interpreter computes it before comparing.
    pub fn python_mtime(&self, rule: MtimeRule) -> i64 {
        match rule {
            MtimeRule::Signed32 => self.sec,
            MtimeRule::Unmasked | MtimeRule::Masked => {
                // CPython's posixmodule: st_mtime = (double)sec + nsec * 1e-9; then int().
                let float = self.sec as f64 + f64::from(self.nsec) * 1e-9;
                float.trunc() as i64
            }
        }
    }
}

#[cfg(not(unix))]
fn split_system_time(t: std::time::SystemTime) -> (i64, u32) {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

/// How an interpreter compares the recorded mtime with the source's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MtimeRule {
    /// Python 1.x-3.2 (C import): `time_t & 0xFFFFFFFF` against the recorded word read as a
    /// signed 32-bit value, so seconds at or past 2**31 (mod 2**32) never match.
    Signed32,
    /// CPython 3.3-3.6: `int(st_mtime)` unmasked, so mtimes < 0 or >= 2**32 never match.
    Unmasked,
    /// CPython 3.7+ and PyPy 3: `int(st_mtime) & 0xFFFFFFFF`.
    Masked,
}

impl MtimeRule {
    /// Returns true if and only if the recorded mtime matches the source's Python mtime.
    pub fn matches(self, recorded: RecordedMtime, python_mtime: i64) -> bool {
        let recorded = recorded.0;
        match self {
            MtimeRule::Signed32 => {
                let masked = python_mtime & 0xFFFF_FFFF;
                masked < (1 << 31) && i64::from(recorded) == masked
            }
            MtimeRule::Unmasked => i64::from(recorded) == python_mtime,
            MtimeRule::Masked => i64::from(recorded) == python_mtime & 0xFFFF_FFFF,
        }
    }
}

/// Returns true if and only if the recorded size matches the source size modulo 2**32.
pub(crate) fn size_matches(recorded: u32, size: u64) -> bool {
    u64::from(recorded) == size & 0xFFFF_FFFF
}

/// The SipHash variant an interpreter uses for `_imp.source_hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashVariant {
    /// CPython 3.7-3.10 and PyPy.
    Sip24,
    /// CPython 3.11+ and GraalPy.
    Sip13,
    /// RustPython's `_imp.source_hash` (`crates/vm/src/stdlib/_imp.rs`, since 2022-08) calls
    /// `common::hash::keyed_hash`: SipHash-2-4 keyed (key, 0) fed through `Hash for [u8]`,
    /// which writes the slice's length as a `usize` before its bytes. The length is taken as
    /// 8 bytes, little-endian: the 64-bit hosts RustPython writes caches on.
    RustPython,
}

/// `_imp.source_hash(key, source)`: SipHash with k0 = the magic word, k1 = 0 (the tests'
/// one-shot form of `SourceHasher`).
#[cfg(test)]
pub(crate) fn source_hash(variant: HashVariant, key: u32, source: &[u8]) -> SourceHash {
    let mut h = SourceHasher::new(variant, key);
    h.start(source.len() as u64);
    h.write(source);
    h.finish()
}

/// The source hash of the file at `path`, read a fixed buffer at a time (memory does not grow
/// with the source), never blocking on a special file; the error is a reason for a row.
pub(crate) fn source_file_hash(
    variant: HashVariant,
    key: u32,
    path: &Path,
) -> io::Result<SourceHash> {
    let start = |len| {
        let mut h = SourceHasher::new(variant, key);
        h.start(len);
        h
    };
    let h = crate::python::open::stream(path, start, |h, chunk| h.write(chunk))?;
    Ok(h.finish())
}

/// SipHash fed in chunks: the same digest as over the whole input at once.
enum SourceHasher {
    Sip24(SipHasher24),
    Sip13(SipHasher13),
    /// RustPython's: SipHash-2-4 with the source's length before it.
    LengthFirst(SipHasher24),
}

impl SourceHasher {
    fn new(variant: HashVariant, key: u32) -> Self {
        let k0 = u64::from(key);
        match variant {
            HashVariant::Sip24 => SourceHasher::Sip24(SipHasher24::new_with_keys(k0, 0)),
            HashVariant::Sip13 => SourceHasher::Sip13(SipHasher13::new_with_keys(k0, 0)),
            HashVariant::RustPython => SourceHasher::LengthFirst(SipHasher24::new_with_keys(k0, 0)),
        }
    }

    /// Told the source's length before its first byte.
    fn start(&mut self, len: u64) {
        if let SourceHasher::LengthFirst(h) = self {
            h.write(&len.to_le_bytes());
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        match self {
            SourceHasher::Sip24(h) | SourceHasher::LengthFirst(h) => h.write(bytes),
            SourceHasher::Sip13(h) => h.write(bytes),
        }
    }

    fn finish(&self) -> SourceHash {
        SourceHash(match self {
            SourceHasher::Sip24(h) | SourceHasher::LengthFirst(h) => h.finish(),
            SourceHasher::Sip13(h) => h.finish(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = include_str!("../../data/source-hash-vectors.csv");

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn every_interpreter_vector_matches() {
        let mut checked = 0;
        for line in VECTORS.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            let (implementation, python, magic) = (cols[0], cols[1], cols[2]);
            let minor: u8 = python.split('.').nth(1).unwrap().parse().unwrap();
            let variant = match (implementation, minor) {
                ("cpython", m) if m >= 11 => HashVariant::Sip13,
                _ => HashVariant::Sip24,
            };
            let key = u32::from(magic.parse::<u16>().unwrap()) | 0x0A0D_0000;
            let got = source_hash(variant, key, &unhex(cols[4])).to_hex();
            assert_eq!(got, cols[5], "{implementation} {python} source {}", cols[4]);
            checked += 1;
        }
        assert!(checked >= 80, "only {checked} vectors");
    }

    /// RustPython computes `source.hash(&mut SipHasher24::new_with_keys(key, 0))` on a byte
    /// slice; the same crate here must give the same digest as the length-first variant.
    #[test]
    fn rustpython_hashes_the_slice_as_rust_does() {
        use std::hash::Hash;
        for source in [&b""[..], b"x = 1\n", &[7u8; 1000][..]] {
            let mut rust = SipHasher24::new_with_keys(0x0A0D_0BB4, 0);
            source.hash(&mut rust);
            let ours = source_hash(HashVariant::RustPython, 0x0A0D_0BB4, source);
            assert_eq!(ours, SourceHash(rust.finish()));
            let plain = source_hash(HashVariant::Sip24, 0x0A0D_0BB4, source);
            assert_ne!(ours, plain);
        }
    }

    #[test]
    fn streaming_gives_the_same_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.py");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        for variant in [
            HashVariant::Sip13,
            HashVariant::Sip24,
            HashVariant::RustPython,
        ] {
            let whole = source_hash(variant, 0x0A0D_0DA7, &bytes);
            assert_eq!(
                source_file_hash(variant, 0x0A0D_0DA7, &path).unwrap(),
                whole
            );
        }
    }

    #[test]
    fn python_mtime_follows_the_float_conversion() {
        let s = |sec, nsec| SourceStat { sec, nsec, size: 0 };
        assert_eq!(
            s(1_700_000_000, 200_000_000).python_mtime(MtimeRule::Masked),
            1_700_000_000
        );
        // 1700000000.999999999 is not representable: the double rounds up to the next second.
        assert_eq!(
            s(1_700_000_000, 999_999_999).python_mtime(MtimeRule::Masked),
            1_700_000_001
        );
        assert_eq!(
            s(1_700_000_000, 999_999_999).python_mtime(MtimeRule::Signed32),
            1_700_000_000
        );
        // Before 1970, int() truncates toward zero: -315619200.5 becomes -315619200.
        assert_eq!(
            s(-315_619_201, 500_000_000).python_mtime(MtimeRule::Unmasked),
            -315_619_200
        );
    }

    #[test]
    fn mtime_rules_per_era() {
        let r = |v| RecordedMtime(v);
        let past_2106 = 7_258_118_400_i64;
        let wrapped = (past_2106 & 0xFFFF_FFFF) as u32;
        assert!(MtimeRule::Masked.matches(r(wrapped), past_2106));
        assert!(!MtimeRule::Unmasked.matches(r(wrapped), past_2106));
        let before_1970 = -315_619_200_i64;
        let wrapped = (before_1970 & 0xFFFF_FFFF) as u32;
        assert!(MtimeRule::Masked.matches(r(wrapped), before_1970));
        assert!(!MtimeRule::Unmasked.matches(r(wrapped), before_1970));
        assert!(!MtimeRule::Signed32.matches(r(wrapped), before_1970));
        // Python 2: 2**32 + 1000 wraps to 1000 and matches; 2**31 + 1000 never does.
        assert!(MtimeRule::Signed32.matches(r(1000), (1 << 32) + 1000));
        assert!(!MtimeRule::Signed32.matches(r((1 << 31) + 1000), (1 << 31) + 1000));
        assert!(size_matches(5, (1 << 32) + 5));
    }
}
