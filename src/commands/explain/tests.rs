//! `explain` says what `check --deep` says: on a sweep of synthetic names, headers, bodies
//! (sound, empty, not code, cut, damaged, trailing bytes) and source states, and on every
//! fixture cache (written by the real interpreters, with the sources as compiled, then edited)
//! and the demo tree. This is true by construction: both run the verdict's one evaluator, and
//! explain only observes it. The tests hold it anyway, and check that the recorded rules tell
//! the verdict's cause: the rule that decided is there.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::explanation;
use super::record::{Facts, Outcome, Recorder, Step};
use crate::find::walk::{EntryKind, Found, WalkOptions};
use crate::pyc::magic::Magic;
use crate::python::naming;
use crate::python::source::{source_hash, SourceStat};
use crate::verdict::audit;
use crate::verdict::model::{Action, Record, Severity, Status};
use crate::verdict::rule::Rule;
use crate::verdict::{
    self, CacheError, CacheRead, Cause, Evidence, Head, Memory, SourceState, Unread, Verdict,
    HEAD_LEN,
};

const T: i64 = 1_700_000_000;
const SRC: &[u8] = b"x = 1\n";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The body of a real cache: its bytes after the header.
fn real_body(rel: &str, header_len: usize) -> Vec<u8> {
    let bytes = fs::read(fixtures().join("interpreters").join(rel)).unwrap();
    bytes[header_len..].to_vec()
}

/// A cache name, its judge's magic and header length, and a body that judge writes.
struct Kind {
    path: &'static str,
    magic: u16,
    header_len: usize,
    body: Vec<u8>,
}

fn kinds() -> Vec<Kind> {
    let b311 = real_body("cpython-3.11/__pycache__/mod_ts.cpython-311.pyc", 16);
    let b36 = real_body("cpython-3.6/__pycache__/mod_ts.cpython-36.pyc", 12);
    let b27 = real_body("cpython-2.7/mod_ts.pyc", 8);
    let pypy = real_body("pypy-3.9/__pycache__/mod_ts.pypy39.pyc", 16);
    let kind = |path, magic, header_len, body: &Vec<u8>| Kind {
        path,
        magic,
        header_len,
        body: body.clone(),
    };
    vec![
        kind("__pycache__/m.cpython-311.pyc", 3495, 16, &b311),
        kind("__pycache__/m.cpython-311.opt-1.pyc", 3495, 16, &b311),
        kind("__pycache__/m.cpython-36.pyc", 3379, 12, &b36),
        kind("m.pyc", 62211, 8, &b27),
        kind("m.pyo", 62211, 8, &b27),
        kind("m.pyc", 3495, 16, &b311),
        kind("__pycache__/m.pypy39.pyc", 336, 16, &pypy),
        kind(
            "__pycache__/m.cpython-311-pytest-8.3.4.pyc",
            3495,
            16,
            &b311,
        ),
        kind("__pycache__/m.cpython-36-pytest-6.0.0.pyc", 3379, 12, &b36),
        kind("__pycache__/m.jython-27.pyc", 3495, 16, &b311),
    ]
}

/// Header variants: (label, header bytes) for a kind's layout.
fn headers(k: &Kind) -> Vec<(&'static str, Vec<u8>)> {
    let magic = Magic(k.magic).word().to_le_bytes().to_vec();
    let words = |words: &[u32]| {
        let mut v = magic.clone();
        for w in words {
            v.extend_from_slice(&w.to_le_bytes());
        }
        v
    };
    let stamp = |mtime: u32, size: u32| match k.header_len {
        8 => words(&[mtime]),
        12 => words(&[mtime, size]),
        _ => words(&[0, mtime, size]),
    };
    let t = T as u32;
    let mut v = vec![
        ("fresh", stamp(t, 6)),
        ("mtime", stamp(t - 5, 6)),
        ("size", stamp(t, 7)),
        (
            "bad magic",
            b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f".to_vec(),
        ),
        ("foreign", {
            let mut h = stamp(t, 6);
            h[..4].copy_from_slice(&Magic(3439).word().to_le_bytes());
            h
        }),
        ("unknown", {
            let mut h = stamp(t, 6);
            h[..4].copy_from_slice(&Magic(4242).word().to_le_bytes());
            h
        }),
    ];
    for cut in [0, 3, 4, k.header_len - 1] {
        v.push(("short", stamp(t, 6)[..cut].to_vec()));
    }
    if k.header_len == 16 {
        let good = source_hash(variant_of(k), Magic(k.magic).word(), SRC).0;
        let hash = |flags: u32, h: u64| {
            let mut v = magic.clone();
            v.extend_from_slice(&flags.to_le_bytes());
            v.extend_from_slice(&h.to_le_bytes());
            v
        };
        v.push(("checked", hash(3, good)));
        v.push(("checked bad", hash(3, good ^ 1)));
        v.push(("unchecked", hash(1, good)));
        v.push(("unchecked bad", hash(1, good ^ 1)));
        v.push(("flags 2", words(&[2, t, 6])));
        v.push(("flags 4", words(&[4, t, 6])));
    }
    v
}

fn variant_of(k: &Kind) -> crate::python::source::HashVariant {
    use crate::python::source::HashVariant::*;
    match k.magic {
        336 => Sip24,
        m if m < 3450 => Sip24,
        _ => Sip13,
    }
}

fn sources() -> Vec<(&'static str, Option<SourceStat>)> {
    let stat = |sec, nsec, size| Some(SourceStat { sec, nsec, size });
    vec![
        ("matching", stat(T, 200_000_000, 6)),
        ("touched", stat(T + 60, 0, 6)),
        ("same second after", stat(T, 950_000_000, 6)),
        ("past 2106", stat(7_258_118_400, 0, 6)),
        ("missing", None),
    ]
}

/// The six body outcomes: sound, empty, not code, cut, damaged, trailing bytes.
fn bodies(k: &Kind) -> Vec<(&'static str, Vec<u8>)> {
    let mut damaged = vec![k.body[0]];
    // Past the code object's fixed fields, an unknown type code.
    damaged.extend_from_slice(&[0xFF; 64]);
    let mut trailing = k.body.clone();
    trailing.extend_from_slice(b"junk");
    vec![
        ("sound body", k.body.clone()),
        ("empty body", Vec::new()),
        ("int body", vec![0xE9, 1, 0, 0, 0]),
        ("cut body", k.body[..k.body.len() / 2].to_vec()),
        ("damaged body", damaged),
        ("trailing bytes", trailing),
    ]
}

/// One cache in memory, judged as `check --deep` judges it (nobody observes) and as `explain`
/// judges it (the recorder observes). Both are the one evaluator, so they agree by
/// construction; this says so on every case, and that the recorded rules tell the cause.
fn agree(path: &str, whole: &[u8], source: Option<SourceStat>, ctx: &str) -> Vec<Cause> {
    let name = naming::parse(Path::new(path)).unwrap();
    let head = &whole[..whole.len().min(HEAD_LEN)];
    let read = CacheRead {
        head: Head::new(head),
        written_ns: i128::from(T) * 1_000_000_000 + 900_000_000,
        len: whole.len() as u64,
    };
    let source = match source {
        Some(stat) => SourceState::Present {
            path: name.sources[0].clone(),
            stat,
            read_error: None,
        },
        None => SourceState::Missing,
    };
    let unreadable = CacheError::new(io::ErrorKind::PermissionDenied, "test");
    let mut causes = Vec::new();
    for cache in [Ok(&read), Err(&unreadable)] {
        let ev = Evidence {
            path: Path::new(path),
            name: &name,
            cache,
            source: &source,
            deep: true,
            optimize: Default::default(),
        };
        let rest = &whole[head.len()..];
        let checked = verdict::judge(&ev, &mut Memory::new(rest, Some(SRC)));
        let mut recorder = Recorder::new(&name);
        let explained = verdict::judge_with(&ev, &mut Memory::new(rest, Some(SRC)), &mut recorder);
        let ctx = format!("{ctx}, readable {}: {}", cache.is_ok(), checked.reason);
        assert_eq!(checked, explained.record, "{ctx}");
        let facts = recorder.close();
        tells_the_story(&facts.steps, explained.cause, &explained.record, &ctx);
        causes.push(explained.cause);
    }
    causes
}

/// Every rule once, in order; and the rules tell the verdict's cause.
fn tells_the_story(steps: &[Step], cause: Cause, rec: &Record, ctx: &str) {
    let rules: Vec<Rule> = steps.iter().map(|s| s.rule).collect();
    assert_eq!(rules, Rule::ALL, "{ctx}");
    let outcome = |rule: Rule| steps.iter().find(|s| s.rule == rule).unwrap().outcome;
    let failed = |rules: &[Rule]| rules.iter().any(|&r| outcome(r) == Outcome::Fail);
    let header = [Rule::Magic, Rule::Length, Rule::Flags];
    let told = match cause {
        Cause::Fresh => {
            !failed(&header)
                && !failed(&[Rule::Mtime, Rule::Size, Rule::Hash, Rule::Body])
                && outcome(Rule::Body) != Outcome::Warning
        }
        Cause::Suspect => outcome(Rule::SameSecond) == Outcome::Warning,
        Cause::Stale => failed(&[Rule::Mtime, Rule::Size, Rule::Hash]),
        Cause::TrustedStale => outcome(Rule::Hash) == Outcome::Warning,
        Cause::Mismatch => outcome(Rule::Magic) == Outcome::Fail,
        Cause::BadHeader => failed(&header),
        Cause::BadBody => outcome(Rule::Body) == Outcome::Fail,
        Cause::Trailing => outcome(Rule::Body) == Outcome::Warning,
        Cause::Unreadable(Unread::Cache, _) => outcome(Rule::Read) == Outcome::Fail,
        Cause::Unreadable(Unread::Body, _) => outcome(Rule::Body) == Outcome::Fail,
        Cause::Unreadable(Unread::Source, _) => outcome(Rule::Source) == Outcome::Fail,
        Cause::Unreadable(Unread::SourceContent | Unread::SourceNotNeeded, _) => {
            outcome(Rule::Hash) == Outcome::Fail
        }
        Cause::Unreadable(Unread::SourceToRecompile, _) => {
            outcome(Rule::Source) == Outcome::Warning
        }
        Cause::OrphanDebris => outcome(Rule::Lookup) == Outcome::Fail,
        Cause::OrphanLoads => outcome(Rule::Source) == Outcome::Fail && !failed(&header),
        Cause::OrphanRaises => {
            outcome(Rule::Source) == Outcome::Fail
                && failed(&[Rule::Magic, Rule::Length, Rule::Flags, Rule::Body])
        }
    };
    assert!(told, "{ctx}: no rule tells {cause:?}\n{steps:#?}");
    let orphan = matches!(
        cause,
        Cause::OrphanDebris | Cause::OrphanLoads | Cause::OrphanRaises | Cause::Unreadable(..)
    );
    if rec.python_action == Action::Skip && !orphan {
        assert_eq!(outcome(Rule::Lookup), Outcome::Fail, "{ctx}");
    }
}

#[test]
fn explain_is_check_deep_on_every_body_under_every_header() {
    let mut cases = 0;
    let mut causes = HashSet::new();
    for k in kinds() {
        for (label, head) in headers(&k) {
            for (body_label, body) in bodies(&k) {
                for (source_label, source) in sources() {
                    let ctx = format!("{} / {label} / {body_label} / {source_label}", k.path);
                    let mut whole = head.clone();
                    whole.extend_from_slice(&body);
                    causes.extend(agree(k.path, &whole, source, &ctx));
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 1500, "{cases} cases");
    for cause in [
        Cause::Fresh,
        Cause::Suspect,
        Cause::Stale,
        Cause::TrustedStale,
        Cause::Mismatch,
        Cause::BadHeader,
        Cause::BadBody,
        Cause::Trailing,
        Cause::Unreadable(Unread::Cache, io::ErrorKind::PermissionDenied),
        Cause::OrphanDebris,
        Cause::OrphanLoads,
        Cause::OrphanRaises,
    ] {
        assert!(causes.contains(&cause), "no case is {cause:?}");
    }
}

/// A fresh 3.11 cache with this body, explained in memory.
fn explain_body(body: &[u8]) -> (Verdict, Facts) {
    let k = &kinds()[0];
    let name = naming::parse(Path::new(k.path)).unwrap();
    let mut whole = headers(k)[0].1.clone();
    whole.extend_from_slice(body);
    let read = CacheRead {
        head: Head::new(&whole[..HEAD_LEN]),
        written_ns: 0,
        len: whole.len() as u64,
    };
    let source = SourceState::Present {
        path: name.sources[0].clone(),
        stat: SourceStat {
            sec: T,
            nsec: 0,
            size: 6,
        },
        read_error: None,
    };
    let ev = Evidence {
        path: Path::new(k.path),
        name: &name,
        cache: Ok(&read),
        source: &source,
        deep: true,
        optimize: Default::default(),
    };
    let mut recorder = Recorder::new(&name);
    let mut inputs = Memory::new(&whole[HEAD_LEN..], Some(SRC));
    let verdict = verdict::judge_with(&ev, &mut inputs, &mut recorder);
    (verdict, recorder.close())
}

fn body_step(facts: &Facts) -> &Step {
    facts.steps.iter().find(|s| s.rule == Rule::Body).unwrap()
}

#[test]
fn real_bodies_pass_and_broken_ones_fail_only_in_the_body_rule() {
    let body = &kinds()[0].body;
    let (good, facts) = explain_body(body);
    assert_eq!(good.cause, Cause::Fresh);
    assert_eq!(body_step(&facts).outcome, Outcome::Pass);
    let (half, facts) = explain_body(&body[..body.len() / 2]);
    assert_eq!(half.cause, Cause::BadBody);
    let step = body_step(&facts);
    assert_eq!(step.outcome, Outcome::Fail);
    assert!(step.detail.contains("(file offset "), "{step:?}");
}

#[test]
fn trailing_bytes_are_a_warning_in_the_body_rule_and_the_import_loads() {
    let mut body = kinds()[0].body.clone();
    body.extend_from_slice(b"\0\0\0\0");
    let (verdict, facts) = explain_body(&body);
    let rec = &verdict.record;
    assert_eq!(
        (rec.status, rec.python_action, rec.severity),
        (Status::Corrupt, Action::Load, Some(Severity::Warning))
    );
    assert_eq!(verdict.cause, Cause::Trailing);
    let step = body_step(&facts);
    assert_eq!(step.outcome, Outcome::Warning);
    assert!(step.detail.contains("4 trailing bytes"), "{step:?}");
    assert!(rec
        .reason
        .contains("4 trailing bytes follow the code object"));
}

/// Every cache under `root`, as `check` reports it, against its explanation.
fn explain_matches_check(root: &Path) -> usize {
    let opts = WalkOptions {
        follow: false,
        exclude: &globset::GlobSet::empty(),
        prune: None,
    };
    let plan = crate::find::prefix::Plan::new(&[root.to_path_buf()], None, Path::new(""));
    let checks = audit::Checks {
        depth: audit::Depth::Body,
        source_date_epoch: None,
        verify: false,
    };
    let (records, errors) = audit::audit(&plan, &opts, checks);
    assert!(errors.is_empty(), "{errors:?}");
    for checked in records
        .iter()
        .filter(|r| r.kind == crate::verdict::model::Kind::Cache)
    {
        let found = Found {
            path: checked.path.clone(),
            kind: EntryKind::File,
        };
        let name = naming::parse(&found.path).unwrap();
        let judged = explanation::judge(&found, &name, Default::default());
        let ctx = format!("{}: {}", checked.path.display(), checked.reason);
        // The whole record: status, action, severity and reason, and every value.
        assert_eq!(&judged.verdict.record, checked, "{ctx}");
        tells_the_story(&judged.facts.steps, judged.verdict.cause, checked, &ctx);
        let explained = explanation::explain(&found, &name, None, &[], Default::default());
        assert_eq!(&explained.record, checked, "{ctx}");
    }
    records.len()
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn explain_agrees_with_check_on_every_fixture_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("interpreters");
    copy_tree(&fixtures().join("interpreters"), &root);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("manifest.json")).unwrap()).unwrap();
    let caches = manifest["caches"].as_array().unwrap();
    for cache in caches {
        let source = root.join(cache["source"].as_str().unwrap());
        let mtime = cache["source_mtime"].as_i64().unwrap();
        filetime::set_file_mtime(&source, filetime::FileTime::from_unix_time(mtime, 0)).unwrap();
    }
    assert_eq!(explain_matches_check(&root), caches.len());
    for cache in caches {
        let source = root.join(cache["source"].as_str().unwrap());
        let mut file = fs::OpenOptions::new().append(true).open(source).unwrap();
        file.write_all(b"\n").unwrap();
    }
    assert_eq!(explain_matches_check(&root), caches.len());
    assert!(explain_matches_check(&fixtures().join("demo")) >= 16);
}
