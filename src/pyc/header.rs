//! The cache header: its layout per era, and what it records about the source.
//!
//! After the 4-byte magic, Python 1.x-3.2 store the source mtime (8 bytes in all); 3.3-3.6 add
//! the source size (12 bytes); 3.7+ (PEP 552) insert a flags word, after which come either the
//! mtime and size (flags 0, and 2, which reads as a timestamp) or an 8-byte source hash (flag
//! bit 0; bit 1 asks for it to be checked). All fields are little-endian. Parsing takes the first
//! bytes of the file and never fails on any input: short or invalid headers are typed errors.

use serde::Serialize;

/// A header layout, chosen by the interpreter that reads the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// magic, mtime: Python 1.x, 2.x, 3.0-3.2.
    Classic8,
    /// magic, mtime, size: Python 3.3-3.6 (and pytest before 6.2 on any version).
    Sized12,
    /// magic, flags, then mtime and size or a source hash: Python 3.7+.
    Flags16,
}

impl Era {
    pub fn header_len(self) -> usize {
        match self {
            Era::Classic8 => 8,
            Era::Sized12 => 12,
            Era::Flags16 => 16,
        }
    }
}

/// How a cache says it should be checked against its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invalidation {
    Timestamp,
    CheckedHash,
    UncheckedHash,
}

/// A source mtime as the header stores it: 32 bits, seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordedMtime(pub u32);

/// A source hash exactly as stored at bytes 8..16, read as a little-endian integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SourceHash(pub u64);

impl SourceHash {
    /// The 16 hex digits of the stored bytes, in file order.
    pub(crate) fn to_hex(self) -> String {
        self.0
            .to_le_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// What the header records, by invalidation mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    Timestamp {
        mtime: RecordedMtime,
        size: Option<u32>,
    },
    Hash {
        checked: bool,
        hash: SourceHash,
    },
}

/// The first byte after the header, which is the marshal type of the code object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    Empty,
    Starts(u8),
}

/// A parsed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub flags: Option<u32>,
    pub recorded: Recorded,
    pub body: Body,
}

impl Header {
    pub(crate) fn invalidation(&self) -> Invalidation {
        match self.recorded {
            Recorded::Timestamp { .. } => Invalidation::Timestamp,
            Recorded::Hash { checked: true, .. } => Invalidation::CheckedHash,
            Recorded::Hash { checked: false, .. } => Invalidation::UncheckedHash,
        }
    }
}

/// Why a header was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// The file ends before the header does.
    Short { len: usize, need: usize },
    /// Flag bits other than 0 and 1 are set (3.7+ raises "invalid flags").
    InvalidFlags(u32),
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Parses a header in the given layout; `bytes` starts at the magic number.
pub(crate) fn parse(bytes: &[u8], era: Era) -> Result<Header, HeaderError> {
    let need = era.header_len();
    if bytes.len() < need {
        return Err(HeaderError::Short {
            len: bytes.len(),
            need,
        });
    }
    let body = bytes.get(need).map_or(Body::Empty, |&b| Body::Starts(b));
    let (flags, recorded) = match era {
        Era::Classic8 => (None, timestamp(bytes, 4, None)),
        Era::Sized12 => (None, timestamp(bytes, 4, Some(8))),
        Era::Flags16 => {
            let flags = u32_at(bytes, 4);
            if flags & !0b11 != 0 {
                return Err(HeaderError::InvalidFlags(flags));
            }
            (Some(flags), flagged(bytes, flags))
        }
    };
    Ok(Header {
        flags,
        recorded,
        body,
    })
}

fn timestamp(bytes: &[u8], mtime_at: usize, size_at: Option<usize>) -> Recorded {
    Recorded::Timestamp {
        mtime: RecordedMtime(u32_at(bytes, mtime_at)),
        size: size_at.map(|at| u32_at(bytes, at)),
    }
}

fn flagged(bytes: &[u8], flags: u32) -> Recorded {
    if flags & 1 == 0 {
        // Flags 0, and 2 (check_source without hash-based), are timestamp caches.
        return timestamp(bytes, 8, Some(12));
    }
    let mut hash = [0u8; 8];
    hash.copy_from_slice(&bytes[8..16]);
    Recorded::Hash {
        checked: flags & 2 != 0,
        hash: SourceHash(u64::from_le_bytes(hash)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn real_headers_from_the_reference_hexdumps() {
        let py27 = parse(&hex("03f30d0a 257d9365 63"), Era::Classic8).unwrap();
        let stamp = Recorded::Timestamp {
            mtime: RecordedMtime(1_704_164_645),
            size: None,
        };
        assert_eq!(py27.recorded, stamp);
        assert_eq!(py27.body, Body::Starts(0x63));
        let py36 = parse(&hex("330d0d0a 257d9365 06000000 e3"), Era::Sized12).unwrap();
        let stamp = Recorded::Timestamp {
            mtime: RecordedMtime(1_704_164_645),
            size: Some(6),
        };
        assert_eq!(py36.recorded, stamp);
        let py311 = parse(&hex("a70d0d0a 00000000 257d9365 06000000 e3"), Era::Flags16).unwrap();
        assert_eq!(py311.recorded, stamp);
        assert_eq!(py311.invalidation(), Invalidation::Timestamp);
        assert_eq!(py311.flags, Some(0));
    }

    #[test]
    fn hash_headers_keep_the_stored_bytes() {
        let checked = parse(&hex("a70d0d0a 03000000 4c0372aa93f75252 e3"), Era::Flags16).unwrap();
        assert_eq!(checked.invalidation(), Invalidation::CheckedHash);
        let Recorded::Hash { hash, .. } = checked.recorded else {
            panic!()
        };
        assert_eq!(hash.to_hex(), "4c0372aa93f75252");
        let unchecked = parse(&hex("a70d0d0a 01000000 4c0372aa93f75252"), Era::Flags16).unwrap();
        assert_eq!(unchecked.invalidation(), Invalidation::UncheckedHash);
        assert_eq!(unchecked.body, Body::Empty);
    }

    #[test]
    fn flags_two_reads_as_timestamp_and_other_bits_are_invalid() {
        let two = parse(&hex("a70d0d0a 02000000 257d9365 06000000"), Era::Flags16).unwrap();
        assert_eq!(two.invalidation(), Invalidation::Timestamp);
        assert_eq!(two.flags, Some(2));
        let bad = parse(&hex("a70d0d0a 04000000 257d9365 06000000"), Era::Flags16);
        assert_eq!(bad, Err(HeaderError::InvalidFlags(4)));
        let high = parse(&hex("a70d0d0a 000000ff 257d9365 06000000"), Era::Flags16);
        assert_eq!(high, Err(HeaderError::InvalidFlags(0xff00_0000)));
    }

    #[test]
    fn short_input_of_any_length_is_an_error_not_a_panic() {
        let full = hex("a70d0d0a 00000000 257d9365 06000000 e3");
        for era in [Era::Classic8, Era::Sized12, Era::Flags16] {
            for len in 0..era.header_len() {
                let got = parse(&full[..len], era);
                assert_eq!(
                    got,
                    Err(HeaderError::Short {
                        len,
                        need: era.header_len()
                    })
                );
            }
            assert!(parse(&full[..era.header_len()], era).is_ok());
        }
    }
}
