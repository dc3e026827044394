//! `clean` audits what `check` audits: the pycache prefix (flag and environment), source
//! arguments, the same environment report; it removes a ghost package directory its removals
//! empty; and it never removes a cache whose verdict needed a source it could not read (run as
//! an unprivileged user, since CI runs as root).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{exists, pep552, prefixed, Tree, T};

fn outcomes(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let path = r["path"].as_str().unwrap();
            (path.to_string(), r["outcome"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn clean_honours_the_pycache_prefix_and_reports_the_environment() {
    let (t, mirror) = prefixed();
    let stale = t.path(&format!("{mirror}/ui.cpython-312.pyc"));
    let env = [
        ("PYTHONPYCACHEPREFIX", "../pfx"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
    ];
    let check = t.run_in("proj", &["--format", "json"], &env).json();
    let run = t.run_in("proj", &["clean", "-n", "--format", "json"], &env);
    run.expect(1);
    let doc = run.json();
    let removed: Vec<(String, String)> = outcomes(&doc);
    assert_eq!(removed.len(), 1, "{doc:#}");
    assert_eq!(removed[0].1, "would_remove");
    assert!(removed[0].0.ends_with("ui.cpython-312.pyc"), "{doc:#}");
    let audit = &doc["summary"]["audit"];
    assert_eq!(audit["caches"], check["summary"]["caches"]);
    assert_eq!(audit["environment"], check["summary"]["environment"]);
    assert_eq!(audit["environment"].as_array().unwrap().len(), 2);
    // The flag does the same; --no-env leaves the prefix tree alone.
    let flag = ["clean", "--pycache-prefix", "../pfx", "."];
    t.run_in("proj", &flag, &[]).expect(0);
    assert!(!exists(&stale));
    assert!(exists(&t.path("proj/__pycache__/ui.cpython-311.pyc")));
}

#[test]
fn clean_with_no_env_ignores_the_prefix() {
    let (t, mirror) = prefixed();
    let env = [("PYTHONPYCACHEPREFIX", "../pfx")];
    let doc = t
        .run_in(
            "proj",
            &["clean", "-n", "--no-env", "--format", "json"],
            &env,
        )
        .json();
    assert!(outcomes(&doc).is_empty(), "{doc:#}");
    assert_eq!(doc["summary"]["audit"]["environment"], Value::Array(vec![]));
    assert!(exists(&t.path(&format!("{mirror}/ui.cpython-312.pyc"))));
}

#[test]
fn a_source_argument_cleans_only_its_caches() {
    let src = b"x = 22\n";
    let stale = pep552(3495, 0, T as u32, 1);
    let t = Tree::new()
        .file("a.py", src)
        .file("b.py", src)
        .file("__pycache__/a.cpython-311.pyc", &stale)
        .file("__pycache__/a.cpython-311.opt-1.pyc", &stale)
        .file("__pycache__/b.cpython-311.pyc", &stale);
    let run = t.run(&["clean", "-n", "a.py"]);
    run.expect(1);
    t.run(&["clean", "a.py"]).expect(0);
    assert!(!exists(&t.path("__pycache__/a.cpython-311.pyc")));
    assert!(!exists(&t.path("__pycache__/a.cpython-311.opt-1.pyc")));
    assert!(exists(&t.path("__pycache__/b.cpython-311.pyc")));
}

#[test]
fn a_ghost_package_directory_goes_with_its_caches() {
    let orphan = pep552(3495, 0, T as u32, 1);
    let t = Tree::new()
        .file("app/__init__.py", b"")
        .file("app/payments/__pycache__/__init__.cpython-311.pyc", &orphan)
        .file("app/payments/__pycache__/api.cpython-311.pyc", &orphan)
        .file("app/kept/__pycache__/x.cpython-311.pyc", &orphan)
        .file("app/kept/notes.txt", b"");
    let run = t.run(&["clean", "-n", "--format", "json"]);
    run.expect(1);
    let doc = run.json();
    let ghost = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "app/payments")
        .unwrap_or_else(|| panic!("no ghost row: {doc:#}"));
    assert_eq!(ghost["status"], "ghost");
    assert_eq!(ghost["outcome"], "would_remove");
    assert!(exists(&t.path("app/payments")), "a dry run removes nothing");
    t.run(&["clean"]).expect(0);
    assert!(!exists(&t.path("app/payments")));
    // A directory with anything else in it stays; rmdir never recurses.
    assert!(exists(&t.path("app/kept/notes.txt")));
    assert!(exists(&t.path("app")));
    // Re-audited: nothing left, and the package no longer exists to import.
    t.run(&[]).expect(0);
}

/// Runs the binary as user and group 65534 (CI runs as root, who reads everything), from a
/// copy it can execute.
fn as_nobody(t: &Tree, args: &[&str]) -> (i32, String, String) {
    let bin = t.path("bin/pyc-audit");
    if !bin.exists() {
        fs::create_dir_all(bin.parent().unwrap()).unwrap();
        fs::copy(env!("CARGO_BIN_EXE_pyc-audit"), &bin).unwrap();
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(args)
        .current_dir(t.path("src"))
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .expect("setpriv (util-linux)");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap(),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Sources only root can read: a checked-hash cache, a stale and a fresh timestamp cache, an
/// unchecked-hash cache. What Python 3.11 does as that user (observed with `python3 -v`):
/// PermissionError, load, PermissionError, load.
#[test]
fn a_source_the_user_cannot_read() {
    if !nix_root() {
        eprintln!("not root: cannot make a source unreadable to another user; skipped");
        return;
    }
    let src = b"V = 1\n";
    let size = src.len() as u32;
    let hash = [0u8; 8];
    let words = |w: &[u8; 8]| {
        (
            u32::from_le_bytes(w[..4].try_into().unwrap()),
            u32::from_le_bytes(w[4..].try_into().unwrap()),
        )
    };
    let (h1, h2) = words(&hash);
    let t = Tree::new()
        .file("src/chk.py", src)
        .file("src/unchk.py", src)
        .file("src/fresh.py", src)
        .file("src/stale.py", src)
        .file(
            "src/__pycache__/chk.cpython-311.pyc",
            &pep552(3495, 3, h1, h2),
        )
        .file(
            "src/__pycache__/unchk.cpython-311.pyc",
            &pep552(3495, 1, h1, h2),
        )
        .file(
            "src/__pycache__/fresh.cpython-311.pyc",
            &pep552(3495, 0, T as u32, size),
        )
        .file(
            "src/__pycache__/stale.cpython-311.pyc",
            &pep552(3495, 0, 7, size),
        );
    for dir in ["", "src", "src/__pycache__"] {
        fs::set_permissions(t.path(dir), fs::Permissions::from_mode(0o755)).unwrap();
    }
    for name in ["chk", "unchk", "fresh", "stale"] {
        let cache = t.path(&format!("src/__pycache__/{name}.cpython-311.pyc"));
        fs::set_permissions(cache, fs::Permissions::from_mode(0o644)).unwrap();
        let source = t.path(&format!("src/{name}.py"));
        fs::set_permissions(source, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, out, err) = as_nobody(&t, &["--format", "json", "--all"]);
    assert_eq!(code, 2, "{out}\n{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let verdict = |name: &str| {
        let path = format!("__pycache__/{name}.cpython-311.pyc");
        let r = crate::support::record(&doc, &path);
        format!(
            "{}/{}",
            r["status"].as_str().unwrap(),
            r["python_action"].as_str().unwrap()
        )
    };
    assert_eq!(verdict("chk"), "unreadable/fail");
    assert_eq!(verdict("unchk"), "unreadable/load");
    assert_eq!(verdict("fresh"), "fresh/load");
    assert_eq!(verdict("stale"), "unreadable/fail");
    // clean never removes a cache whose verdict needed the source it could not read.
    let (code, out, err) = as_nobody(&t, &["clean", "-n", "--format", "json"]);
    assert_eq!(code, 2, "{out}\n{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    for (path, outcome) in outcomes(&doc) {
        assert_ne!(outcome, "would_remove", "{path}: {doc:#}");
    }
    assert!(Path::new(&t.path("src/__pycache__/chk.cpython-311.pyc")).exists());
}

fn nix_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
