//! The safety rules of `clean` on hand-made trees (3.11 headers written byte by byte):
//! symlinks and their targets are never removed, entries that cannot be read or removed are
//! rows and make the exit code 2 while the run goes on, dangerous roots are refused, and only
//! the selected statuses go.

use std::fs;
use std::process::Command;

use crate::support::{exists, pep552, Tree, T};

/// A tree with one fresh cache, one stale and one orphan.
fn mixed() -> Tree {
    Tree::new()
        .fresh_311("a", b"V = 1\n")
        .file("s.py", b"V = 22\n")
        .file(
            "__pycache__/s.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        )
        .file(
            "__pycache__/o.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        )
}

fn outcomes(doc: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let path = r["path"].as_str().unwrap().to_string();
            (path, r["outcome"].as_str().unwrap().to_string())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn symlinks_stay_and_unreadable_entries_fail_the_run_but_not_the_rest() {
    let outside = Tree::new().file("target.pyc", &pep552(3495, 0, 1, 1));
    let target = outside.path("target.pyc");
    let before = fs::read(&target).unwrap();
    let t = mixed()
        .file("l.py", b"V = 333\n")
        .symlink("__pycache__/l.cpython-311.pyc", target.to_str().unwrap())
        .symlink("__pycache__/d.cpython-311.pyc", "nowhere")
        .dir("x.pyc")
        .symlink("lib", outside.dir.path().to_str().unwrap());
    let run = t.run(&["clean", "--format", "json"]);
    run.expect(2);
    assert_eq!(
        outcomes(&run.json()),
        [
            ("__pycache__/d.cpython-311.pyc".into(), "failed".into()),
            ("__pycache__/l.cpython-311.pyc".into(), "kept".into()),
            ("__pycache__/o.cpython-311.pyc".into(), "removed".into()),
            ("__pycache__/s.cpython-311.pyc".into(), "removed".into()),
            ("x.pyc".into(), "failed".into()),
        ]
    );
    assert!(run
        .stderr()
        .contains("pyc-audit: error: __pycache__/d.cpython-311.pyc"));
    for kept in [
        "__pycache__/l.cpython-311.pyc",
        "__pycache__/d.cpython-311.pyc",
        "x.pyc",
    ] {
        assert!(exists(&t.path(kept)), "{kept}");
    }
    assert!(exists(&t.path("__pycache__/a.cpython-311.pyc")));
    assert_eq!(fs::read(&target).unwrap(), before);
    assert!(exists(&t.path("lib")));
}

#[test]
fn a_symlinked_directory_is_not_entered_and_a_file_root_keeps_its_directory() {
    let outside = Tree::new().file("__pycache__/o.cpython-311.pyc", &pep552(3495, 0, 1, 1));
    let t = mixed().symlink("pkg", outside.dir.path().to_str().unwrap());
    let run = t.run(&["clean", "--format", "json", "."]);
    run.expect(0);
    assert!(!run.stdout().contains("pkg/"), "{}", run.stdout());
    assert!(exists(&outside.path("__pycache__/o.cpython-311.pyc")));
    // A cache given as the root is removed; its __pycache__, not below that root, stays.
    let t = Tree::new().file("__pycache__/x.cpython-311.pyc", &pep552(3495, 0, 1, 1));
    t.run(&["clean", "__pycache__/x.cpython-311.pyc"]).expect(0);
    assert!(!exists(&t.path("__pycache__/x.cpython-311.pyc")));
    assert!(exists(&t.path("__pycache__")));
}

#[test]
fn only_selected_statuses_go() {
    let t = mixed();
    t.run(&["clean", "--status", "orphan"]).expect(0);
    assert!(!exists(&t.path("__pycache__/o.cpython-311.pyc")));
    assert!(exists(&t.path("__pycache__/s.cpython-311.pyc")));
    assert!(exists(&t.path("__pycache__/a.cpython-311.pyc")));
    t.run(&["clean", "--status", "stale"]).expect(0);
    assert!(!exists(&t.path("__pycache__/s.cpython-311.pyc")));
    assert!(exists(&t.path("__pycache__/a.cpython-311.pyc")));
    assert!(exists(&t.path("s.py")) && exists(&t.path("a.py")));
}

#[test]
fn excluded_trees_are_neither_audited_nor_touched() {
    let t = mixed().file(
        "vendor/__pycache__/v.cpython-311.pyc",
        &pep552(3495, 0, 1, 1),
    );
    let run = t.run(&["clean", "--exclude", "vendor", "--format", "jsonl"]);
    run.expect(0);
    assert!(exists(&t.path("vendor/__pycache__/v.cpython-311.pyc")));
    assert!(!run.stdout().contains("vendor"));
    for line in run.stdout().lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(row["outcome"], "removed", "{row}");
    }
}

#[test]
fn dry_run_formats_and_exit_codes() {
    let t = mixed().dir("pkg/__pycache__");
    let run = t.run(&["clean", "-n", "--format", "paths", "-0"]);
    run.expect(1);
    assert_eq!(
        run.stdout(),
        "__pycache__/o.cpython-311.pyc\0__pycache__/s.cpython-311.pyc\0pkg/__pycache__\0"
    );
    let table = t.run(&["clean", "--dry-run"]);
    table.expect(1);
    assert!(
        table
            .stdout()
            .ends_with("would remove 2 files (226 B) and 1 directory; 3 caches audited\n"),
        "{}",
        table.stdout()
    );
    let doc = t.run(&["clean", "-n", "--format", "json"]).json();
    assert_eq!(doc["command"], "clean");
    assert_eq!(doc["summary"]["dry_run"], true);
    assert_eq!(doc["summary"]["files"], 2);
    assert_eq!(doc["summary"]["bytes"], 226);
    assert_eq!(doc["summary"]["directories"], 1);
    assert_eq!(doc["summary"]["audit"]["caches"], 3);
    assert!(exists(&t.path("pkg/__pycache__")));
    t.run(&["clean"]).expect(0);
    assert!(!exists(&t.path("pkg/__pycache__")));
    let after = t.run(&["clean", "-n"]);
    after.expect(0);
    assert!(
        after.stdout().starts_with("would remove 0 files"),
        "{}",
        after.stdout()
    );
}

#[test]
fn refuses_the_filesystem_root_and_home_without_force() {
    let t = mixed();
    // Dry runs: even a broken guard would remove nothing here.
    let root = t.run(&["clean", "-n", "/"]);
    root.expect(2);
    assert!(
        root.stderr().contains("refusing to clean /"),
        "{}",
        root.stderr()
    );
    assert!(root.stdout().is_empty());
    let home = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
            .args(args)
            .arg(t.dir.path())
            .env_clear()
            .env("HOME", t.dir.path())
            .output()
            .unwrap()
    };
    let refused = home(&["clean", "-n"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("home directory"));
    assert_eq!(home(&["clean", "-n", "--force"]).status.code(), Some(1));
    assert!(exists(&t.path("__pycache__/o.cpython-311.pyc")));
}

#[test]
fn a_missing_root_fails_the_run_and_the_others_are_cleaned() {
    let t = mixed();
    let run = t.run(&["clean", "--format", "json", "missing", "."]);
    run.expect(2);
    assert!(
        run.stderr().contains("pyc-audit: error: missing"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.json()["summary"]["failed"], 1);
    assert!(!exists(&t.path("__pycache__/o.cpython-311.pyc")));
}

#[test]
fn a_young_temporary_file_may_be_a_write_in_progress_and_stays() {
    let t = Tree::new()
        .file("__pycache__/old.cpython-311.pyc.123", b"partial")
        .file("__pycache__/new.cpython-311.pyc.456", b"partial");
    // Written just now: a write may still be going on.
    fs::write(t.path("__pycache__/new.cpython-311.pyc.456"), b"partial").unwrap();
    let run = t.run(&["clean", "--format", "json"]);
    run.expect(0);
    assert_eq!(
        outcomes(&run.json()),
        [
            ("__pycache__/new.cpython-311.pyc.456".into(), "kept".into()),
            (
                "__pycache__/old.cpython-311.pyc.123".into(),
                "removed".into()
            ),
        ]
    );
    assert!(exists(&t.path("__pycache__/new.cpython-311.pyc.456")));
    assert!(!exists(&t.path("__pycache__/old.cpython-311.pyc.123")));
}

#[test]
fn every_spelling_of_keep_and_exclude_means_the_same_entry() {
    let t = Tree::new()
        .file(
            "root/legacy/__pycache__/o.cpython-311.pyc",
            &pep552(3495, 0, 1, 1),
        )
        .file(
            "root/other/__pycache__/o.cpython-311.pyc",
            &pep552(3495, 0, 1, 1),
        );
    let absolute = t.path("root/legacy");
    let absolute = absolute.to_str().unwrap();
    for spelling in ["legacy", "./legacy", "legacy/", "root/legacy", absolute] {
        for flag in ["--keep", "--exclude"] {
            let run = t.run(&["clean", "-n", "--format", "json", flag, spelling, "root"]);
            let doc = run.json();
            let removed: Vec<&str> = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["outcome"] == "would_remove")
                .map(|r| r["path"].as_str().unwrap())
                .collect();
            assert!(
                removed.iter().all(|p| !p.contains("legacy")),
                "{flag} {spelling}: {removed:?}"
            );
            assert!(
                removed.iter().any(|p| p.contains("other")),
                "{flag} {spelling}"
            );
            assert!(
                !run.stderr().contains("protects nothing"),
                "{}",
                run.stderr()
            );
        }
    }
    let run = t.run(&["clean", "-n", "--keep", "nowhere", "root"]);
    assert!(
        run.stderr()
            .contains("pyc-audit: warning: --keep \"nowhere\" matches nothing"),
        "{}",
        run.stderr()
    );
}
