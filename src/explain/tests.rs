//! The trace must conclude what `check` concludes: on a sweep of synthetic headers, names,
//! bodies and source states, and on every fixture cache (written by the real interpreters,
//! with the sources as compiled, then edited) and the demo tree. Only the body rule may see
//! further than the header verdict, and only where the body really does not unmarshal. The
//! rules must also tell the same story as the status: the rule that decided is there.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::explanation;
use super::trace::{self, Body, Outcome, Rule, Trace};
use crate::audit;
use crate::model::{Action, Record, Status};
use crate::naming;
use crate::pyc::magic::Magic;
use crate::pyc::marshal::MarshalError;
use crate::source::{source_hash, SourceStat};
use crate::verdict::{self, CacheRead, Evidence, SourceState, HEAD_LEN};
use crate::walk::{EntryKind, Found, WalkOptions};

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

fn variant_of(k: &Kind) -> crate::source::HashVariant {
    use crate::source::HashVariant::*;
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

/// The verdict's reader of the bytes after the head: all of them at once.
fn rest_of(whole: &[u8]) -> impl Fn(&mut Vec<u8>, usize) -> Result<bool, String> + '_ {
    move |buf: &mut Vec<u8>, _| {
        buf.extend_from_slice(whole.get(HEAD_LEN..).unwrap_or_default());
        Ok(true)
    }
}

/// Checks one case; returns the trace for further checks.
fn agree(path: &str, head_bytes: &[u8], body: &[u8], source: Option<SourceStat>, ctx: &str) {
    let name = naming::parse(Path::new(path)).unwrap();
    let mut whole = head_bytes.to_vec();
    whole.extend_from_slice(body);
    let read = CacheRead {
        head: whole[..whole.len().min(HEAD_LEN)].to_vec(),
        written_ns: i128::from(T) * 1_000_000_000 + 900_000_000,
        len: whole.len() as u64,
    };
    let rest = rest_of(&whole);
    let source = match source {
        Some(stat) => SourceState::Present {
            path: name.sources[0].clone(),
            stat,
        },
        None => SourceState::Missing,
    };
    let hash = |variant, key| Ok(source_hash(variant, key, SRC));
    for cache in [Ok(&read), Err("cannot read: test")] {
        let ev = Evidence {
            path: Path::new(path),
            name: &name,
            cache,
            source: &source,
            rest: &rest,
            deep: true,
        };
        let rec = verdict::judge(&ev, &hash);
        let t = trace::build(&ev, &Body::Whole(whole.clone()), &hash);
        let ctx = format!("{ctx}, readable {}: {}", cache.is_ok(), rec.reason);
        // The verdict walks the body itself (deep), so it agrees with the trace everywhere.
        assert_eq!(conclusion(&rec), (t.status, t.action), "{ctx}\n{t:#?}");
        tells_the_story(&t, &ctx);
    }
}

fn conclusion(r: &Record) -> (Status, Action) {
    (r.status, r.python_action)
}

/// Every rule once, in order; and the rule that decided is among them.
fn tells_the_story(t: &Trace, ctx: &str) {
    let rules: Vec<Rule> = t.steps.iter().map(|s| s.rule).collect();
    assert_eq!(rules, Rule::ALL, "{ctx}");
    let outcome = |rule: Rule| t.steps.iter().find(|s| s.rule == rule).unwrap().outcome;
    let failed = |rules: &[Rule]| rules.iter().any(|&r| outcome(r) == Outcome::Fail);
    let header = [
        Rule::Magic,
        Rule::Length,
        Rule::Flags,
        Rule::Mtime,
        Rule::Size,
    ];
    let told = match t.status {
        Status::Fresh => !failed(&header) && !failed(&[Rule::Hash, Rule::Body]),
        Status::Suspect => outcome(Rule::SameSecond) == Outcome::Warning,
        Status::Stale => {
            failed(&[Rule::Mtime, Rule::Size, Rule::Hash])
                || outcome(Rule::Hash) == Outcome::Warning
        }
        Status::Mismatch => outcome(Rule::Magic) == Outcome::Fail,
        Status::Corrupt => failed(&[
            Rule::Magic,
            Rule::Length,
            Rule::Flags,
            Rule::Hash,
            Rule::Body,
        ]),
        Status::Orphan => outcome(Rule::Source) == Outcome::Fail,
        Status::Unreadable => failed(&[Rule::Source, Rule::Read]),
        // Not statuses of a cache, or (diverged) not without --verify.
        Status::Debris | Status::Ghost | Status::Clamped | Status::Diverged => false,
    };
    assert!(told, "{ctx}: no rule tells {:?}\n{t:#?}", t.status);
    let skipped =
        t.action == Action::Skip && !matches!(t.status, Status::Orphan | Status::Unreadable);
    if skipped {
        assert_eq!(outcome(Rule::Lookup), Outcome::Fail, "{ctx}");
    }
}

#[test]
fn trace_concludes_as_the_verdict_on_synthetic_caches() {
    let mut cases = 0;
    for k in kinds() {
        let half = k.body[..k.body.len() / 2].to_vec();
        let bodies = [
            ("real body", k.body.clone()),
            ("empty body", Vec::new()),
            ("int body", vec![0xE9, 1, 0, 0, 0]),
            ("half body", half),
        ];
        for (label, head) in headers(&k) {
            for (body_label, body) in &bodies {
                for (source_label, source) in sources() {
                    let ctx = format!("{} / {label} / {body_label} / {source_label}", k.path);
                    agree(k.path, &head, body, source, &ctx);
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 1000, "{cases} cases");
}

#[test]
fn real_bodies_pass_and_broken_ones_fail_only_in_the_body_rule() {
    let k = &kinds()[0];
    let fresh = &headers(k)[0].1;
    let run = |body: &[u8]| {
        let name = naming::parse(Path::new(k.path)).unwrap();
        let mut whole = fresh.clone();
        whole.extend_from_slice(body);
        let read = CacheRead {
            head: whole[..whole.len().min(HEAD_LEN)].to_vec(),
            written_ns: 0,
            len: whole.len() as u64,
        };
        let rest = rest_of(&whole);
        let source = SourceState::Present {
            path: name.sources[0].clone(),
            stat: SourceStat {
                sec: T,
                nsec: 0,
                size: 6,
            },
        };
        let ev = Evidence {
            path: Path::new(k.path),
            name: &name,
            cache: Ok(&read),
            source: &source,
            rest: &rest,
            deep: true,
        };
        let hash = |variant, key| Ok(source_hash(variant, key, SRC));
        trace::build(&ev, &Body::Whole(whole.clone()), &hash)
    };
    let good = run(&k.body);
    assert_eq!((good.status, good.action), (Status::Fresh, Action::Load));
    let half = run(&k.body[..k.body.len() / 2]);
    assert_eq!((half.status, half.action), (Status::Corrupt, Action::Fail));
    let Some(MarshalError { offset, .. }) = half.body_error else {
        panic!("{half:#?}")
    };
    assert!(offset < k.body.len(), "offset {offset}");
    let body = half.steps.iter().find(|s| s.rule == Rule::Body).unwrap();
    assert!(
        body.detail
            .contains(&format!("file offset {}", offset + 16)),
        "{body:?}"
    );
}

/// Every cache under `root`, as `check` reports it, against its explanation.
fn explain_matches_check(root: &Path) -> usize {
    let opts = WalkOptions {
        follow: false,
        exclude: &globset::GlobSet::empty(),
        prune: None,
    };
    let plan = crate::prefix::Plan::new(&[root.to_path_buf()], None, Path::new(""));
    let checks = audit::Checks {
        depth: audit::Depth::Body,
        source_date_epoch: None,
        verify: false,
    };
    let (records, errors) = audit::audit(&plan, &opts, checks);
    assert!(errors.is_empty(), "{errors:?}");
    for checked in records
        .iter()
        .filter(|r| r.kind == crate::model::Kind::Cache)
    {
        let found = Found {
            path: checked.path.clone(),
            kind: EntryKind::File,
        };
        let name = naming::parse(&found.path).unwrap();
        let judged = explanation::judge(&found, &name);
        let t = &judged.trace;
        let ctx = format!("{}: {}", checked.path.display(), checked.reason);
        assert_eq!(&judged.record, checked, "{ctx}");
        if t.body_error.is_some() {
            // The header verdict sees these too (an empty body): nothing is left to the body rule.
            assert_eq!(checked.status, Status::Corrupt, "{ctx}\n{t:#?}");
        }
        assert_eq!(conclusion(checked), (t.status, t.action), "{ctx}\n{t:#?}");
        tells_the_story(t, &ctx);
        let explained = explanation::explain(&found, &name);
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
