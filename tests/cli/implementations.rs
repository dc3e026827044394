//! Caches of implementations with no interpreter here, built from what their sources say:
//! RustPython's tags and magics (RustPython/RustPython: `crates/vm/src/stdlib/sys.rs` for
//! `cache_tag`, `crates/vm/src/version.rs` for `PYC_MAGIC_NUMBER`, `vm/src/import.rs` for the
//! 2019-2025 git-revision magic, the bundled CPython importlib for the PEP 552 header), and
//! GraalPy's (oracle/graalpython: `MAGIC_NUMBER = 21000 + 10 × bytecode version`, the cache tag
//! of `SysModuleBuiltins`, `PythonLanguage.MINOR` at each release tag).

use std::hash::{Hash, Hasher};

use serde_json::Value;

use crate::support::{pep552, record, Tree, T};

const SRC: &[u8] = b"x = 1\n";

/// A PEP 552 timestamp header whose mtime and size match `SRC` (written at `T`).
fn fresh(magic: u16) -> Vec<u8> {
    pep552(magic, 0, T as u32, SRC.len() as u32)
}

/// The same header with a 2019-2025 RustPython build's magic: four characters of its git
/// revision (`rev-parse --short HEAD`), no `\r\n`.
fn git_revision(rev: &[u8; 4], flags: u32) -> Vec<u8> {
    let mut v = fresh(3495);
    v[..4].copy_from_slice(rev);
    v[4..8].copy_from_slice(&flags.to_le_bytes());
    v
}

/// A hash-based header as RustPython's `_imp.source_hash` makes it: `keyed_hash` feeds the
/// source slice to SipHash-2-4 keyed (magic word, 0) through `Hash for [u8]`.
fn rustpython_hashed(magic: u16, flags: u32, source: &[u8]) -> Vec<u8> {
    let word = u64::from(magic) | 0x0A0D_0000;
    let mut h = siphasher::sip::SipHasher24::new_with_keys(word, 0);
    source.hash(&mut h);
    let hash = h.finish();
    pep552(magic, flags, hash as u32, (hash >> 32) as u32)
}

fn field<'a>(doc: &'a Value, path: &str, key: &str) -> &'a Value {
    &record(doc, path)[key]
}

#[test]
fn rustpython_caches_are_judged_as_rustpython() {
    let t = Tree::new()
        .file("pkg/a.py", SRC)
        .file("pkg/__pycache__/a.rustpython-313.pyc", &fresh(2997))
        .file("pkg/b.py", SRC)
        // 2025-12 builds wrote CPython 3.12's number under their own 3.13 tag.
        .file("pkg/__pycache__/b.rustpython-313.pyc", &fresh(3531))
        .file("pkg/c.py", SRC)
        .file(
            "pkg/__pycache__/c.rustpython-01.pyc",
            &git_revision(b"cc1e", 0),
        )
        .file("pkg/d.py", b"x = 22\n")
        .file("pkg/__pycache__/d.rustpython-314.pyc", &fresh(2996))
        .file("pkg/e.py", SRC)
        .file(
            "pkg/__pycache__/e.rustpython-314.pyc",
            &rustpython_hashed(2994, 3, SRC),
        )
        .file("pkg/f.py", b"x = 2\n")
        .file(
            "pkg/__pycache__/f.rustpython-314.pyc",
            &rustpython_hashed(2994, 1, SRC),
        )
        .file("pkg/g.py", SRC)
        .file("pkg/__pycache__/g.rustpython-314.opt-1.pyc", &fresh(2996))
        .file("pkg/__pycache__/gone.rustpython-313.pyc", &fresh(2997));
    let run = t.run(&["--format", "json", "--all", "pkg"]);
    let doc = run.json();
    let cache = |name: &str| format!("pkg/__pycache__/{name}");
    for (name, python) in [
        ("a.rustpython-313.pyc", Value::from("3.13")),
        ("b.rustpython-313.pyc", Value::from("3.13")),
        ("c.rustpython-01.pyc", Value::Null),
        ("e.rustpython-314.pyc", Value::from("3.14")),
    ] {
        let path = cache(name);
        assert_eq!(field(&doc, &path, "status"), "fresh", "{path}: {doc:#}");
        assert_eq!(field(&doc, &path, "implementation"), "rustpython", "{path}");
        assert_eq!(field(&doc, &path, "python"), &python, "{path}");
    }
    assert_eq!(
        field(&doc, &cache("a.rustpython-313.pyc"), "magic_python"),
        "RustPython 3.13-3.14 (2026 builds)"
    );
    assert_eq!(
        field(&doc, &cache("d.rustpython-314.pyc"), "status"),
        "stale"
    );
    // An unchecked hash of an older source: RustPython runs it without looking.
    let f = record(&doc, &cache("f.rustpython-314.pyc"));
    assert_eq!(
        (&f["status"], &f["python_action"]),
        (&"stale".into(), &"load".into())
    );
    assert_eq!(
        field(&doc, &cache("g.rustpython-314.opt-1.pyc"), "python_action"),
        "skip"
    );
    assert_eq!(
        field(&doc, &cache("gone.rustpython-313.pyc"), "status"),
        "orphan"
    );
}

#[test]
fn a_hash_based_git_revision_cache_is_not_guessed_at() {
    let t = Tree::new()
        .file("m.py", SRC)
        .file("__pycache__/m.rustpython-01.pyc", &git_revision(b"3fa2", 1));
    let doc = t.run(&["--format", "json", "--all"]).json();
    let r = record(&doc, "__pycache__/m.rustpython-01.pyc");
    assert_eq!(r["implementation"], "rustpython");
    assert_eq!(r["status"], "mismatch");
    assert!(r["reason"].as_str().unwrap().contains("3fa2"), "{r:#}");
}

#[test]
fn graalpy_caches_are_placed_on_their_python_version() {
    let t = Tree::new()
        .file("a.py", SRC)
        .file("__pycache__/a.graalpython-38.pyc", &fresh(21150))
        .file("b.py", SRC)
        .file("__pycache__/b.graalpy-38.pyc", &fresh(21260))
        .file("c.py", SRC)
        .file("__pycache__/c.graalpy231-310.pyc", &fresh(21280))
        .file("d.py", SRC)
        .file("__pycache__/d.graalpy250-312.pyc", &fresh(21290))
        .file("e.py", SRC)
        .file(
            "__pycache__/e.graalpy253dev0123456789-313.pyc",
            &fresh(21330),
        )
        .file("lib/one.pyc", &fresh(21320))
        .file("lib/two.pyc", &fresh(21270))
        .file("lib/three.pyc", &fresh(21290))
        .file("lib/next.pyc", &fresh(21340));
    let doc = t.run(&["--format", "json", "--all"]).json();
    for (path, python) in [
        ("__pycache__/a.graalpython-38.pyc", "3.8"),
        ("__pycache__/b.graalpy-38.pyc", "3.8"),
        ("__pycache__/c.graalpy231-310.pyc", "3.10"),
        ("__pycache__/d.graalpy250-312.pyc", "3.12"),
        ("__pycache__/e.graalpy253dev0123456789-313.pyc", "3.13"),
    ] {
        assert_eq!(field(&doc, path, "status"), "fresh", "{path}: {doc:#}");
        assert_eq!(field(&doc, path, "implementation"), "graalpy", "{path}");
        assert_eq!(field(&doc, path, "python"), python, "{path}");
    }
    // Sourceless legacy files: the magic alone names the release, and its Python version
    // where all the releases writing that number implement one.
    for (path, python, label) in [
        ("lib/one.pyc", Value::from("3.12"), "GraalPy 25.1"),
        ("lib/two.pyc", Value::from("3.10"), "GraalPy 23.0"),
        ("lib/three.pyc", Value::Null, "GraalPy 24.1-25.0"),
        ("lib/next.pyc", Value::Null, "GraalPy (code format 34)"),
    ] {
        assert_eq!(field(&doc, path, "implementation"), "graalpy", "{path}");
        assert_eq!(field(&doc, path, "python"), &python, "{path}");
        assert_eq!(field(&doc, path, "magic_python"), label, "{path}");
    }
}
