//! The fast walk against the full parser: whatever the fast walk accepts, the parser accepts
//! at the same offset. Checked on real caches (the repository's fixtures, written by each
//! interpreter), on hand-built streams that hold every kind of object, and on both after
//! damage: every truncation, and bytes flipped at random.

use std::path::Path;

// A seeded generator: the same damaged cases on every run.
use fastrand::Rng;

use super::reader::Scratch;
use super::sample::*;
use super::*;
use MarshalVersion::*;

/// Runs both walks; true if the fast walk accepted (and then the parser agreed).
fn agree(body: &[u8], version: MarshalVersion) -> bool {
    let fast = fast::check(body, version, &mut Vec::new());
    if let Some(end) = fast {
        let full = parse(body, version, Scratch::default());
        assert_eq!(full, Ok(end), "{version:?} on {body:02x?}");
    }
    fast.is_some()
}

/// The reader of a cache, from its magic number, and its header's length (CPython 3 only:
/// the readers the fast walk serves).
fn reader_of(cache: &[u8]) -> Option<(MarshalVersion, usize)> {
    let magic = u16::from_le_bytes([*cache.first()?, *cache.get(1)?]);
    let version = match magic {
        3310..=3412 => CPython34,
        3413..=3494 => CPython38,
        3495..=3530 => CPython311,
        3531..=3570 => CPython312,
        3571..=3599 => CPython313,
        _ => return None,
    };
    let header = if magic >= 3392 { 16 } else { 12 };
    Some((version, header))
}

/// Every cache under `dir`: its reader and its body.
fn bodies(dir: &Path, out: &mut Vec<(MarshalVersion, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            bodies(&path, out);
        } else if path.extension().is_some_and(|e| e == "pyc") {
            let cache = std::fs::read(&path).unwrap();
            if let Some((version, header)) = reader_of(&cache) {
                if let Some(body) = cache.get(header..) {
                    out.push((version, body.to_vec()));
                }
            }
        }
    }
}

/// Cuts `body` at about `cuts` places and flips its bytes `rounds` times, and compares the
/// walks on each result; how many the fast walk accepted.
fn damage(
    body: &[u8],
    version: MarshalVersion,
    (cuts, rounds): (usize, usize),
    rng: &mut Rng,
) -> usize {
    let mut accepted = 0;
    let step = (body.len() / cuts).max(1);
    for len in (0..body.len()).step_by(step) {
        accepted += usize::from(agree(&body[..len], version));
    }
    // Type bytes with and without FLAG_REF, small sizes, and anything at all.
    const TELLING: &[u8] = b"0NFTSi.lgfyxsturz)([{<>ca:\x00\x01\x02\x80\xff";
    for _ in 0..rounds {
        let mut flipped = body.to_vec();
        for _ in 0..1 + rng.usize(..3) {
            let at = rng.usize(..flipped.len().max(1));
            let Some(byte) = flipped.get_mut(at) else {
                break;
            };
            *byte = match rng.usize(..3) {
                0 => TELLING[rng.usize(..TELLING.len())],
                1 => *byte ^ 0x80,
                _ => rng.u8(..),
            };
        }
        accepted += usize::from(agree(&flipped, version));
    }
    accepted
}

#[test]
fn real_caches_take_the_fast_walk_and_damaged_ones_agree() {
    let mut found = Vec::new();
    bodies(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut found,
    );
    assert!(found.len() > 50, "{} fixture caches", found.len());
    let mut rng = Rng::with_seed(0x5EED);
    let mut accepted = 0;
    for (version, body) in &found {
        // Some fixtures are damaged on purpose: the fast walk must take every sound one.
        let sound = parse(body, *version, Scratch::default()).is_ok();
        assert_eq!(agree(body, *version), sound, "{version:?}");
        accepted += damage(body, *version, (400, 300), &mut rng);
    }
    // Flips inside payloads keep a body sound: the comparison saw acceptances.
    assert!(accepted > 1000, "{accepted}");
}

/// Streams that hold every kind of object the fast walk reads, and references to them.
fn samples(version: MarshalVersion) -> Vec<Vec<u8>> {
    let t = |items: &[S]| tuple(version, items);
    let items = [
        s().raw(b"{z\x01aN0"),
        s().raw(b"{\xfa\x01a)\x00N0"),
        s().raw(b"<").int(2).raw(b"i\x01\x00\x00\x00z\x01b"),
        s().raw(b">").int(1).obj(&t(&[name(version, "x")])),
        s().raw(b"[").int(2).raw(b"NF"),
        s().raw(b"\xa9\x02Nr").int(0),
        s().raw(b"\xfa\x01qr").int(0),
        s().raw(b"l").int(2).raw(b"\x01\x00\x01\x00"),
        s().raw(b"g12345678"),
        s().raw(b"f\x031.5"),
        s().sized(b"u", "é".as_bytes()),
        s().sized(b"a", b"abc"),
        bytes(b"\x01\x02"),
        s().raw(b"[").int(1).raw(b"[").int(0),
        s().raw(b"{0"),
        s().raw(b"{NN0"),
    ];
    let mut out: Vec<Vec<u8>> = items
        .iter()
        .map(|item| {
            Code {
                consts: Some(t(&[item.clone(), s().raw(b"N")])),
                ..code()
            }
            .encode(version)
        })
        .collect();
    out.push(code().encode(version));
    out
}

#[test]
fn hand_built_streams_agree_damaged_or_not() {
    let mut rng = Rng::with_seed(0xB0D1);
    for version in [
        CPython30, CPython34, CPython38, CPython311, CPython312, CPython313,
    ] {
        for body in samples(version) {
            agree(&body, version);
            damage(&body, version, (400, 500), &mut rng);
        }
    }
}

/// The same comparison on a tree of real caches named by `PYC_AUDIT_FAST_TREE` (for example
/// a site-packages compiled by each interpreter): `cargo test --release --lib fast_tests --
/// --ignored`.
#[test]
#[ignore = "needs a tree of caches in PYC_AUDIT_FAST_TREE"]
fn a_tree_of_real_caches_agrees() {
    let dir = std::env::var_os("PYC_AUDIT_FAST_TREE").expect("PYC_AUDIT_FAST_TREE");
    let mut found = Vec::new();
    bodies(Path::new(&dir), &mut found);
    let mut rng = Rng::with_seed(0x7EE);
    for (version, body) in &found {
        let sound = parse(body, *version, Scratch::default()).is_ok();
        assert_eq!(agree(body, *version), sound, "{version:?}");
        damage(body, *version, (10, 10), &mut rng);
    }
    eprintln!("{} caches compared", found.len());
}
