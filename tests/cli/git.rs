//! Caches in git: real repositories made here, asked through the real `git`.

use std::process::Command;

use serde_json::Value;

use crate::support::Tree;

fn git(tree: &Tree, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(tree.path(""))
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn rows<'a>(doc: &'a Value, status: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == status)
        .collect()
}

fn cache<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("no record {path}"))
}

#[test]
fn committed_caches_are_marked_and_their_repository_gets_one_row() {
    let tree = Tree::new()
        .fresh_311("a", b"x = 1\n")
        .fresh_311("pkg/b", b"y = 1\n");
    git(&tree, &["init", "-q", "."]);
    git(&tree, &["add", "a.py", "__pycache__/a.cpython-311.pyc"]);
    git(&tree, &["commit", "-q", "-m", "caches committed"]);
    let doc = tree
        .run(&["--format", "json", "--all", "--fail-on", "never"])
        .json();
    assert_eq!(
        cache(&doc, "__pycache__/a.cpython-311.pyc")["tracked"],
        true
    );
    assert_eq!(
        cache(&doc, "pkg/__pycache__/b.cpython-311.pyc")["tracked"],
        false
    );
    let tracked = rows(&doc, "tracked");
    assert_eq!(tracked.len(), 1, "one row per repository");
    assert_eq!(tracked[0]["kind"], "tree");
    assert_eq!(tracked[0]["severity"], "warning");
    let reason = tracked[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("1 cache") && reason.contains("git rm"),
        "{reason}"
    );
    let unignored = rows(&doc, "unignored");
    assert_eq!(unignored.len(), 1);
    assert_eq!(unignored[0]["severity"], "info");

    // Ignored caches are not reported as unignored; --no-git says nothing at all.
    std::fs::write(tree.path(".gitignore"), "__pycache__/\n*.py[cod]\n").unwrap();
    let doc = tree
        .run(&["--format", "json", "--all", "--fail-on", "never"])
        .json();
    assert!(rows(&doc, "unignored").is_empty());
    assert_eq!(
        rows(&doc, "tracked").len(),
        1,
        "still tracked although ignored"
    );
    let doc = tree
        .run(&[
            "--format",
            "json",
            "--all",
            "--fail-on",
            "never",
            "--no-git",
        ])
        .json();
    assert!(rows(&doc, "tracked").is_empty());
    assert_eq!(
        cache(&doc, "__pycache__/a.cpython-311.pyc")["tracked"],
        Value::Null
    );
}

#[test]
fn outside_a_repository_nothing_is_said() {
    let tree = Tree::new().fresh_311("a", b"x = 1\n");
    let doc = tree.run(&["--format", "json", "--all"]).json();
    assert_eq!(
        cache(&doc, "__pycache__/a.cpython-311.pyc")["tracked"],
        Value::Null
    );
    assert!(rows(&doc, "tracked").is_empty() && rows(&doc, "unignored").is_empty());
}
