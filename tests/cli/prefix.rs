//! The pycache prefix: caches in the mirror tree, in-tree files Python no longer reads, the
//! environment variable, and the environment report.

use std::fs;

use serde_json::Value;

use crate::support::{finding_paths, pep552, record, Tree, T};

/// `proj/` and `other/` with caches in `__pycache__` and in the prefix tree `pfx/`:
/// fresh, stale, orphan, and a 3.7 cache (3.7 ignores the prefix).
fn project() -> (Tree, String) {
    let tree = Tree::new();
    let real = fs::canonicalize(tree.dir.path()).unwrap();
    let mirror = real
        .strip_prefix("/")
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let src = b"x = 1\n";
    let header = |magic| pep552(magic, 0, T as u32, src.len() as u32);
    let tree = tree
        .file("proj/ok.py", src)
        .file("proj/old.py", src)
        .file("proj/stale.py", b"x = 22\n")
        .file("other/x.py", src)
        .file("proj/__pycache__/ok.cpython-311.pyc", &header(3495))
        .file("proj/__pycache__/old.cpython-37.pyc", &header(3394))
        .file(
            &format!("pfx/{mirror}/proj/ok.cpython-311.pyc"),
            &header(3495),
        )
        .file(
            &format!("pfx/{mirror}/proj/stale.cpython-311.pyc"),
            &header(3495),
        )
        .file(
            &format!("pfx/{mirror}/proj/gone.cpython-311.pyc"),
            &header(3495),
        )
        .file(
            &format!("pfx/{mirror}/proj/old.cpython-37.pyc"),
            &header(3394),
        )
        .file(
            &format!("pfx/{mirror}/other/x.cpython-311.pyc"),
            &header(3495),
        );
    (tree, mirror)
}

fn verdict(r: &Value) -> (&str, &str, &Value) {
    (
        r["status"].as_str().unwrap(),
        r["python_action"].as_str().unwrap(),
        &r["severity"],
    )
}

#[test]
fn prefix_caches_are_judged_against_their_mirrored_source() {
    let (tree, mirror) = project();
    let args = [
        "--pycache-prefix",
        "../pfx",
        "--format",
        "json",
        "--all",
        ".",
    ];
    let run = tree.run_in("proj", &args, &[]);
    run.expect(1);
    let doc = run.json();
    let at = |name: &str| format!("../pfx/{mirror}/proj/{name}");
    let ok = record(&doc, &at("ok.cpython-311.pyc"));
    assert_eq!(verdict(ok), ("fresh", "load", &Value::Null));
    assert_eq!(
        (ok["layout"].as_str(), ok["source"].as_str()),
        (Some("prefix"), Some("ok.py"))
    );
    let stale = record(&doc, &at("stale.cpython-311.pyc"));
    assert_eq!(
        verdict(stale),
        ("stale", "recompile", &Value::from("warning"))
    );
    let gone = record(&doc, &at("gone.cpython-311.pyc"));
    assert_eq!(verdict(gone), ("orphan", "skip", &Value::from("warning")));
    let old = record(&doc, &at("old.cpython-37.pyc"));
    assert_eq!(verdict(old), ("fresh", "skip", &Value::Null));
    assert!(old["reason"]
        .as_str()
        .unwrap()
        .ends_with("Python 3.7 ignores the pycache prefix"));

    // In the tree: 3.11 never reads __pycache__ with a prefix, 3.7 still does.
    let shadowed = record(&doc, "__pycache__/ok.cpython-311.pyc");
    assert_eq!(verdict(shadowed), ("fresh", "skip", &Value::Null));
    assert!(shadowed["reason"]
        .as_str()
        .unwrap()
        .contains("never in __pycache__"));
    let kept = record(&doc, "__pycache__/old.cpython-37.pyc");
    assert_eq!(verdict(kept), ("fresh", "load", &Value::Null));

    assert!(
        !finding_paths(&doc).iter().any(|p| p.contains("/other/")),
        "only the mirror of ."
    );
    let summary = &doc["summary"];
    let prefix = fs::canonicalize(tree.path("pfx")).unwrap();
    assert_eq!(summary["pycache_prefix"], prefix.to_str().unwrap());
    assert_eq!(summary["caches"], 6);
}

#[test]
fn no_path_audits_the_whole_prefix_tree() {
    let (tree, mirror) = project();
    let run = tree.run(&["--pycache-prefix", "pfx", "--format", "json", "--all"]);
    run.expect(1);
    let doc = run.json();
    assert_eq!(doc["summary"]["caches"], 5, "the prefix tree only: {doc:#}");
    let x = record(&doc, &format!("pfx/{mirror}/other/x.cpython-311.pyc"));
    assert_eq!(x["source"], format!("/{mirror}/other/x.py"));
    assert_eq!(verdict(x), ("fresh", "load", &Value::Null));
    assert!(!finding_paths(&doc)
        .iter()
        .any(|p| p.contains("__pycache__")));
}

#[test]
fn the_environment_prefix_is_honoured_relative_to_the_current_directory() {
    let (tree, mirror) = project();
    let env = [("PYTHONPYCACHEPREFIX", "../pfx")];
    let run = tree.run_in("proj", &["--format", "json", "--all"], &env);
    run.expect(1);
    let doc = run.json();
    let ok = record(&doc, &format!("../pfx/{mirror}/proj/ok.cpython-311.pyc"));
    assert_eq!(verdict(ok), ("fresh", "load", &Value::Null));
    let shadowed = record(&doc, "__pycache__/ok.cpython-311.pyc");
    assert_eq!(shadowed["python_action"], "skip");
    assert_eq!(
        run.stderr().lines().count(),
        1,
        "said once: {}",
        run.stderr()
    );
    assert!(run
        .stderr()
        .starts_with("pyc-audit: note: PYTHONPYCACHEPREFIX=../pfx: "));
    assert_eq!(
        doc["summary"]["environment"][0]["name"],
        "PYTHONPYCACHEPREFIX"
    );
    assert_eq!(doc["summary"]["environment"][0]["value"], "../pfx");

    let clean = tree.run_in("proj", &["--format", "json", "--all", "--no-env"], &env);
    clean.expect(0);
    let doc = clean.json();
    assert_eq!(
        finding_paths(&doc),
        [
            "__pycache__/ok.cpython-311.pyc",
            "__pycache__/old.cpython-37.pyc"
        ]
    );
    assert_eq!(
        record(&doc, "__pycache__/ok.cpython-311.pyc")["python_action"],
        "load"
    );
    assert_eq!(doc["summary"]["pycache_prefix"], Value::Null);
    assert_eq!(doc["summary"]["environment"], Value::Array(vec![]));
    assert_eq!(clean.stderr(), "");

    let empty = tree.run_in(
        "proj",
        &["--format", "json"],
        &[("PYTHONPYCACHEPREFIX", "")],
    );
    empty.expect(0);
    assert_eq!(empty.json()["summary"]["pycache_prefix"], Value::Null);
}

#[test]
fn a_prefix_inside_the_root_is_walked_only_as_prefix_tree() {
    let tree = Tree::new();
    let real = fs::canonicalize(tree.dir.path()).unwrap();
    let mirror = real
        .strip_prefix("/")
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let src = b"x = 1\n";
    let cache = format!(".cache/py/{mirror}/m.cpython-312.pyc");
    let tree = tree
        .file("m.py", src)
        .file(&cache, &pep552(3531, 0, T as u32, src.len() as u32));
    let run = tree.run_in(
        "",
        &["--format", "json", "--all"],
        &[("PYTHONPYCACHEPREFIX", ".cache/py")],
    );
    run.expect(0);
    let doc = run.json();
    assert_eq!(finding_paths(&doc), [cache.as_str()]);
    let r = record(&doc, &cache);
    assert_eq!(
        (r["layout"].as_str(), r["source"].as_str()),
        (Some("prefix"), Some("m.py"))
    );
    assert_eq!(verdict(r), ("fresh", "load", &Value::Null));
    // Named directly, a directory of the prefix tree is still prefix tree.
    let direct = format!(".cache/py/{mirror}");
    let run = tree.run(&[
        "--pycache-prefix",
        ".cache/py",
        "--format",
        "json",
        "--all",
        &direct,
    ]);
    run.expect(0);
    let doc = run.json();
    let r = record(&doc, &cache);
    assert_eq!(r["source"], format!("/{mirror}/m.py"));
    assert_eq!(verdict(r), ("fresh", "load", &Value::Null));
}

#[test]
fn the_summary_reports_the_environment_python_runs_in() {
    let tree = Tree::new().fresh_311("m", b"x = 1\n");
    let env = [("PYTHONDONTWRITEBYTECODE", "1"), ("SOURCE_DATE_EPOCH", "0")];
    let run = tree.run_in("", &["--format", "json"], &env);
    run.expect(0);
    let vars = &run.json()["summary"]["environment"];
    assert_eq!(vars[0]["name"], "PYTHONDONTWRITEBYTECODE");
    assert!(vars[0]["effect"]
        .as_str()
        .unwrap()
        .contains("recompiled on every run"));
    assert_eq!(vars[1]["name"], "SOURCE_DATE_EPOCH");
    assert!(vars[1]["effect"].as_str().unwrap().contains("checked-hash"));
    let table = tree.run_in("", &[], &env);
    let lines: Vec<String> = table.stdout().lines().map(str::to_string).collect();
    assert_eq!(
        lines[0],
        "0 findings in 1 cache: 1 fresh; 113 B in caches, 0 B reclaimable"
    );
    assert!(lines[1].starts_with("PYTHONDONTWRITEBYTECODE=1: imports never rewrite a cache"));
    assert!(lines[2].starts_with("SOURCE_DATE_EPOCH=0: py_compile and compileall"));
    let quiet = tree.run_in("", &["--no-env"], &env);
    assert_eq!(
        quiet.stdout(),
        "0 findings in 1 cache: 1 fresh; 113 B in caches, 0 B reclaimable\n"
    );
}

#[test]
fn a_missing_prefix_is_an_error_only_when_it_is_all_there_is_to_audit() {
    let tree = Tree::new().fresh_311("m", b"x = 1\n");
    let alone = tree.run(&["--pycache-prefix", "nowhere"]);
    alone.expect(2);
    assert!(
        alone.stderr().starts_with("pyc-audit: error: nowhere: "),
        "{}",
        alone.stderr()
    );
    assert_eq!(alone.stderr().lines().count(), 1, "{}", alone.stderr());
    let with_paths = tree.run(&["--pycache-prefix", "nowhere", "."]);
    with_paths.expect(0);
    assert!(with_paths
        .stderr()
        .contains("pyc-audit: warning: pycache prefix nowhere does not exist"));
}
