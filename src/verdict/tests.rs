//! The decision table, exercised on synthetic headers with no filesystem.

use super::*;
use std::io;

use crate::pyc::header::SourceHash;
use crate::pyc::marshal::sample;
use crate::python::naming;
use crate::python::source::{source_hash, HashVariant};
use crate::verdict::model::Severity;

const T: i64 = 1_700_000_000;

/// A 3.7+ header: magic, flags, then mtime+size or an 8-byte hash, then a body byte.
fn pep552(magic: u16, flags: u32, a: u32, b: u32, body: &[u8]) -> Vec<u8> {
    let mut v = Magic(magic).word().to_le_bytes().to_vec();
    for word in [flags, a, b] {
        v.extend_from_slice(&word.to_le_bytes());
    }
    v.extend_from_slice(body);
    v
}

fn hashed(magic: u16, flags: u32, hash: SourceHash) -> Vec<u8> {
    let mut v = Magic(magic).word().to_le_bytes().to_vec();
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&hash.0.to_le_bytes());
    v.push(0xE3);
    v
}

fn classic(magic: u16, mtime: u32, size: Option<u32>) -> Vec<u8> {
    let mut v = Magic(magic).word().to_le_bytes().to_vec();
    v.extend_from_slice(&mtime.to_le_bytes());
    if let Some(s) = size {
        v.extend_from_slice(&s.to_le_bytes());
    }
    v.push(0x63);
    v
}

fn stat(sec: i64, nsec: u32, size: u64) -> SourceStat {
    SourceStat { sec, nsec, size }
}

struct Case {
    path: &'static str,
    head: Vec<u8>,
    source: Option<SourceStat>,
    written_ns: i128,
    /// The bytes after `head`: by default, the rest of a valid empty module for the
    /// interpreter that judges the cache, so that the header alone decides.
    rest: Vec<u8>,
    deep: bool,
}

impl Case {
    fn new(path: &'static str, head: Vec<u8>, source: Option<SourceStat>) -> Case {
        let written_ns = i128::from(T) * 1_000_000_000 + 900_000_000;
        let name = naming::parse(Path::new(path)).unwrap();
        let (magic, id) = magic::identify(&head);
        let judge = Judge::choose(&name, magic, &id, &head);
        let rest = match judge.interpreter {
            Some(i) => i
                .marshal_version()
                .map_or_else(Vec::new, |v| sample::empty_module(v)[1..].to_vec()),
            None => Vec::new(),
        };
        Case {
            path,
            head,
            source,
            written_ns,
            rest,
            deep: true,
        }
    }

    fn run(&self, content: &[u8]) -> Record {
        let name = naming::parse(Path::new(self.path)).unwrap();
        let source = match self.source {
            Some(stat) => SourceState::Present {
                path: name.sources[0].clone(),
                stat,
                read_error: None,
            },
            None => SourceState::Missing,
        };
        // What a read gives: the first bytes, and the rest through the inputs.
        let read = CacheRead {
            head: Head::new(&self.head),
            written_ns: self.written_ns,
            len: (self.head.len() + self.rest.len()) as u64,
        };
        let rest = [self.head.get(HEAD_LEN..).unwrap_or_default(), &self.rest].concat();
        let ev = Evidence {
            path: Path::new(self.path),
            name: &name,
            cache: Ok(&read),
            source: &source,
            deep: self.deep,
            optimize: Default::default(),
        };
        // A few bytes at a time, fewer than asked, to exercise reading in chunks.
        let mut inputs = Memory::new(&rest, Some(content));
        inputs.chunk = 7;
        judge(&ev, &mut inputs)
    }
}

fn verdict(r: &Record) -> (Status, Action, Option<Severity>) {
    (r.status, r.python_action, r.severity)
}

const PYC311: &str = "__pycache__/m.cpython-311.pyc";
const SRC: &[u8] = b"x = 1\n";

#[test]
fn timestamp_caches() {
    let src = Some(stat(T, 200_000_000, 6));
    let fresh = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE3]), src).run(SRC);
    assert_eq!(
        verdict(&fresh),
        (Status::Fresh, Action::Load, None),
        "{}",
        fresh.reason
    );
    assert_eq!(fresh.actual.as_ref().unwrap().mtime, Some(T));
    let resized = Case::new(PYC311, pep552(3495, 0, T as u32, 7, &[0xE3]), src).run(SRC);
    assert_eq!(
        verdict(&resized),
        (Status::Stale, Action::Recompile, Some(Severity::Warning))
    );
    assert!(
        resized.reason.contains("recorded size 7 B, source 6 B"),
        "{}",
        resized.reason
    );
    let touched = Case::new(PYC311, pep552(3495, 0, T as u32 - 5, 6, &[0xE3]), src).run(SRC);
    assert_eq!(touched.status, Status::Stale);
    assert!(
        touched.reason.contains("2023-11-14 22:13:15 UTC"),
        "{}",
        touched.reason
    );
    let flags2 = Case::new(PYC311, pep552(3495, 2, T as u32, 6, &[0xE3]), src).run(SRC);
    assert_eq!(verdict(&flags2), (Status::Fresh, Action::Load, None));
}

#[test]
fn same_second_edit_after_the_write_is_suspect() {
    // Cache written at T.9; the source was rewritten at T.95 with the same size.
    let src = Some(stat(T, 950_000_000, 6));
    let r = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE3]), src).run(SRC);
    assert_eq!(
        verdict(&r),
        (Status::Suspect, Action::Load, Some(Severity::Error)),
        "{}",
        r.reason
    );
    // A source mtime far after the write is not a same-second edit: the header would differ.
    let mut later = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE3]), src);
    later.written_ns -= 5_000_000_000;
    assert_eq!(later.run(SRC).status, Status::Fresh);
}

#[test]
fn hash_caches() {
    let src = Some(stat(T, 0, 6));
    let good = source_hash(HashVariant::Sip13, Magic(3495).word(), SRC);
    assert_eq!(good.to_hex(), "4c0372aa93f75252");
    let checked = Case::new(PYC311, hashed(3495, 3, good), src).run(SRC);
    assert_eq!(verdict(&checked), (Status::Fresh, Action::Load, None));
    let edited = Case::new(PYC311, hashed(3495, 3, good), src).run(b"x = 2\n");
    assert_eq!(
        verdict(&edited),
        (Status::Stale, Action::Recompile, Some(Severity::Warning))
    );
    let unchecked = Case::new(PYC311, hashed(3495, 1, good), src).run(b"x = 2\n");
    assert_eq!(
        verdict(&unchecked),
        (Status::Stale, Action::Load, Some(Severity::Error))
    );
    assert_eq!(unchecked.recorded.hash.as_deref(), Some("4c0372aa93f75252"));
}

#[test]
fn bad_headers_with_a_source_are_recompiled() {
    let src = Some(stat(T, 0, 6));
    let cases = [
        (
            pep552(3495, 4, T as u32, 6, &[0xE3]),
            Status::Corrupt,
            "invalid flags 0x4",
        ),
        (
            Magic(3495).word().to_le_bytes()[..3].to_vec(),
            Status::Corrupt,
            "bad magic number",
        ),
        (
            pep552(3495, 0, 0, 0, &[])[..10].to_vec(),
            Status::Corrupt,
            "shorter than the 16-byte",
        ),
        (
            b"garbage bytes here".to_vec(),
            Status::Corrupt,
            "bad magic number",
        ),
        (
            pep552(3439, 0, T as u32, 6, &[0xE3]),
            Status::Mismatch,
            "CPython 3.10",
        ),
        (
            pep552(4242, 0, T as u32, 6, &[0xE3]),
            Status::Mismatch,
            "unknown magic 4242",
        ),
    ];
    for (head, status, words) in cases {
        let r = Case::new(PYC311, head, src).run(SRC);
        assert_eq!(
            verdict(&r),
            (status, Action::Recompile, Some(Severity::Warning)),
            "{}",
            r.reason
        );
        assert!(r.reason.contains(words), "{} lacks {words}", r.reason);
    }
}

#[test]
fn accepted_headers_with_broken_bodies_fail() {
    let src = Some(stat(T, 0, 6));
    let empty = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[]), src).run(SRC);
    assert_eq!(
        verdict(&empty),
        (Status::Corrupt, Action::Fail, Some(Severity::Error))
    );
    let int = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE9]), src).run(SRC);
    assert_eq!(
        verdict(&int),
        (Status::Corrupt, Action::Fail, Some(Severity::Error))
    );
    // A stale header never reaches the body: Python recompiles.
    let stale = Case::new(PYC311, pep552(3495, 0, T as u32, 9, &[]), src).run(SRC);
    assert_eq!(
        verdict(&stale),
        (Status::Stale, Action::Recompile, Some(Severity::Warning))
    );
    let plain_c = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0x63]), src).run(SRC);
    assert_eq!(plain_c.status, Status::Fresh);
}

#[test]
fn bodies_are_walked_to_their_end() {
    let src = Some(stat(T, 0, 6));
    let cut = |case: &mut Case| case.rest.truncate(case.rest.len() / 2);
    let mut truncated = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE3]), src);
    cut(&mut truncated);
    let r = truncated.run(SRC);
    assert_eq!(
        verdict(&r),
        (Status::Corrupt, Action::Fail, Some(Severity::Error))
    );
    assert!(r.reason.contains("at body offset"), "{}", r.reason);
    // Bytes after a sound code object: Python loads it and ignores them.
    let mut trailing = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE3]), src);
    trailing.rest.extend_from_slice(b"junk");
    let r = trailing.run(SRC);
    assert_eq!(
        verdict(&r),
        (Status::Corrupt, Action::Load, Some(Severity::Warning))
    );
    assert!(r.reason.contains("4 trailing bytes"), "{}", r.reason);
    // An unchecked-hash cache is loaded even when stale, so its body matters too.
    let recorded = source_hash(HashVariant::Sip13, Magic(3495).word(), SRC);
    let mut trusted = Case::new(PYC311, hashed(3495, 1, recorded), src);
    cut(&mut trusted);
    let r = trusted.run(b"x = 2\n");
    assert_eq!(
        verdict(&r),
        (Status::Corrupt, Action::Fail, Some(Severity::Error))
    );
    // A stale header is never unmarshalled: its body does not matter.
    let mut stale = Case::new(PYC311, pep552(3495, 0, T as u32, 9, &[0xE3]), src);
    cut(&mut stale);
    assert_eq!(stale.run(SRC).status, Status::Stale);
    // Without --deep only the first byte is checked.
    let mut shallow = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE3]), src);
    cut(&mut shallow);
    shallow.deep = false;
    assert_eq!(
        verdict(&shallow.run(SRC)),
        (Status::Fresh, Action::Load, None)
    );
    // An -O cache is read only under -O: a broken body is info.
    let mut opt1 = Case::new(
        "__pycache__/m.cpython-311.opt-1.pyc",
        pep552(3495, 0, T as u32, 6, &[0xE3]),
        src,
    );
    cut(&mut opt1);
    assert_eq!(
        verdict(&opt1.run(SRC)),
        (Status::Corrupt, Action::Skip, Some(Severity::Info))
    );
    // A legacy orphan Python 2 would import, with a cut body: the import raises.
    let mut py2 = Case::new("m.pyc", classic(62211, T as u32, None), None);
    cut(&mut py2);
    let r = py2.run(SRC);
    assert_eq!(
        verdict(&r),
        (Status::Orphan, Action::Fail, Some(Severity::Error))
    );
}

#[test]
fn orphans() {
    let pycache = Case::new(PYC311, pep552(3495, 0, T as u32, 6, &[0xE3]), None).run(SRC);
    assert_eq!(
        verdict(&pycache),
        (Status::Orphan, Action::Skip, Some(Severity::Warning))
    );
    assert_eq!(pycache.source, None);
    let py2 = Case::new("m.pyc", classic(62211, T as u32, None), None).run(SRC);
    assert_eq!(
        verdict(&py2),
        (Status::Orphan, Action::Load, Some(Severity::Error)),
        "{}",
        py2.reason
    );
    let unknown = Case::new("m.pyc", classic(4242, T as u32, None), None).run(SRC);
    assert_eq!(
        verdict(&unknown),
        (Status::Orphan, Action::Fail, Some(Severity::Error))
    );
    let unicode = Case::new("m.pyc", classic(62212, T as u32, None), None).run(SRC);
    assert_eq!(
        verdict(&unicode),
        (Status::Orphan, Action::Fail, Some(Severity::Error))
    );
    let pyo = Case::new("m.pyo", classic(62211, T as u32, None), None).run(SRC);
    assert_eq!(
        verdict(&pyo),
        (Status::Orphan, Action::Skip, Some(Severity::Warning))
    );
}

#[test]
fn legacy_beside_source() {
    let src = Some(stat(T, 0, 6));
    let py2 = Case::new("m.pyc", classic(62211, T as u32, None), src).run(SRC);
    assert_eq!(
        verdict(&py2),
        (Status::Fresh, Action::Load, None),
        "{}",
        py2.reason
    );
    let py2_stale = Case::new("m.pyc", classic(62211, T as u32 - 1, None), src).run(SRC);
    assert_eq!(
        verdict(&py2_stale),
        (Status::Stale, Action::Recompile, Some(Severity::Warning))
    );
    let py3 = Case::new("m.pyc", pep552(3495, 0, T as u32 - 1, 6, &[0xE3]), src).run(SRC);
    assert_eq!(
        verdict(&py3),
        (Status::Stale, Action::Skip, Some(Severity::Info)),
        "{}",
        py3.reason
    );
    let u = Case::new("m.pyc", classic(62212, T as u32, None), src).run(SRC);
    assert_eq!(
        verdict(&u),
        (Status::Mismatch, Action::Recompile, Some(Severity::Warning))
    );
}

#[test]
fn era_specific_mtime_rules() {
    let past_2106 = 7_258_118_400_i64;
    let wrapped = (past_2106 & 0xFFFF_FFFF) as u32;
    let src = Some(stat(past_2106, 0, 6));
    let py36 = "__pycache__/m.cpython-36.pyc";
    let r36 = Case::new(py36, classic(3379, wrapped, Some(6)), src).run(SRC);
    assert_eq!(
        verdict(&r36),
        (Status::Stale, Action::Recompile, Some(Severity::Warning))
    );
    assert!(r36.reason.contains("never matches"), "{}", r36.reason);
    let mut r37 = Case::new(
        "__pycache__/m.cpython-37.pyc",
        pep552(3394, 0, wrapped, 6, &[0xE3]),
        src,
    );
    r37.written_ns = i128::from(past_2106) * 1_000_000_000 + 1;
    assert_eq!(r37.run(SRC).status, Status::Fresh);
}

#[test]
fn optimised_and_pytest_names() {
    let src = Some(stat(T, 0, 6));
    let opt = Case::new(
        "__pycache__/m.cpython-311.opt-1.pyc",
        pep552(3495, 0, T as u32, 6, &[0xE3]),
        src,
    );
    assert_eq!(verdict(&opt.run(SRC)), (Status::Fresh, Action::Skip, None));
    let pytest = "__pycache__/m.cpython-311-pytest-8.3.4.pyc";
    let fresh = Case::new(pytest, pep552(3495, 0, T as u32, 6, &[0xE3]), src).run(SRC);
    assert_eq!(verdict(&fresh), (Status::Fresh, Action::Load, None));
    let empty = Case::new(pytest, pep552(3495, 0, T as u32, 6, &[]), src).run(SRC);
    assert_eq!(
        verdict(&empty),
        (Status::Corrupt, Action::Recompile, Some(Severity::Warning))
    );
    let hashed_flags = Case::new(pytest, pep552(3495, 3, 0, 0, &[0xE3]), src).run(SRC);
    assert_eq!(hashed_flags.status, Status::Corrupt);
}

#[test]
fn any_bytes_give_a_row() {
    let src = Some(stat(T, 0, 6));
    for len in 0..40 {
        let head: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        for path in [
            PYC311,
            "m.pyc",
            "__pycache__/m.pypy39.pyc",
            "__pycache__/m.cpython-311-pytest-8.0.0.pyc",
        ] {
            let with = Case::new(path, head.clone(), src).run(SRC);
            let without = Case::new(path, head.clone(), None).run(SRC);
            assert!(!with.reason.is_empty() && !without.reason.is_empty());
        }
    }
}

#[test]
fn unchecked_hash_bodies_are_unmarshalled_even_when_the_source_changed() {
    let src = Some(stat(T, 0, 6));
    let good = source_hash(HashVariant::Sip13, Magic(3495).word(), SRC);
    let mut head = hashed(3495, 1, good);
    head.pop();
    let r = Case::new(PYC311, head, src).run(b"x = 2\n");
    assert_eq!(
        verdict(&r),
        (Status::Corrupt, Action::Fail, Some(Severity::Error)),
        "{}",
        r.reason
    );
    assert!(r.reason.contains("unchecked-hash"), "{}", r.reason);
}

/// Inputs whose every read fails with one kind of error.
struct Failing(io::ErrorKind);

impl Inputs for Failing {
    fn read_on(&mut self, _: &mut Vec<u8>, _: usize) -> io::Result<bool> {
        Err(io::Error::new(self.0, "test"))
    }
    fn source_hash(&mut self, _: HashVariant, _: u32) -> io::Result<SourceHash> {
        Err(io::Error::new(self.0, "test"))
    }
}

#[test]
fn unreadable_inputs_keep_their_kind_in_the_cause() {
    let name = naming::parse(Path::new(PYC311)).unwrap();
    let source = SourceState::Present {
        path: name.sources[0].clone(),
        stat: stat(T, 0, 6),
        read_error: None,
    };
    let judged = |head: Vec<u8>| {
        let read = CacheRead {
            len: head.len() as u64 + 100,
            head: Head::new(&head),
            written_ns: 0,
        };
        let ev = Evidence {
            path: Path::new(PYC311),
            name: &name,
            cache: Ok(&read),
            source: &source,
            deep: true,
            optimize: Default::default(),
        };
        judge_with(&ev, &mut Failing(io::ErrorKind::PermissionDenied), &mut ())
    };
    let body = judged(pep552(3495, 0, T as u32, 6, &[0xE3]));
    let denied = io::ErrorKind::PermissionDenied;
    assert_eq!(body.cause, Cause::Unreadable(Unread::Body, denied));
    assert_eq!(
        (body.record.status, body.record.python_action),
        (Status::Unreadable, Action::Recompile)
    );
    let hash = judged(hashed(3495, 3, SourceHash(1)));
    assert_eq!(hash.cause, Cause::Unreadable(Unread::SourceContent, denied));
    assert!(
        hash.record
            .reason
            .contains("must read the source to hash it and cannot"),
        "{}",
        hash.record.reason
    );
    assert_eq!(
        (hash.record.status, hash.record.python_action),
        (Status::Unreadable, Action::Fail)
    );
}
