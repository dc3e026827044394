//! Exit codes: 0 clean, 1 findings at or above --fail-on, 2 an incomplete audit.

use crate::support::{pep552, Tree, T};

#[test]
fn clean_tree_exits_zero_and_says_so() {
    let t = Tree::new()
        .fresh_311("m", b"x = 1\n")
        .fresh_311("pkg/__init__", b"");
    let run = t.run(&[]);
    run.expect(0);
    assert_eq!(
        run.stdout(),
        "0 findings in 2 caches: 2 fresh; 226 B in caches, 0 B reclaimable\n"
    );
    assert_eq!(run.stderr(), "");
}

#[test]
fn findings_exit_one_unless_below_fail_on() {
    // Recorded size 7, source 6: stale, severity warning.
    let t = Tree::new().file("m.py", b"x = 1\n").file(
        "__pycache__/m.cpython-311.pyc",
        &pep552(3495, 0, T as u32, 7),
    );
    t.run(&[]).expect(1);
    t.run(&["--fail-on", "warning"]).expect(1);
    t.run(&["--fail-on", "error"]).expect(0);
    t.run(&["--fail-on", "never"]).expect(0);
}

#[test]
fn info_findings_fail_only_with_fail_on_info() {
    // A stale 3.11 legacy .pyc beside its source: Python 3 never reads it (info).
    let t = Tree::new()
        .file("m.py", b"x = 1\n")
        .file("m.pyc", &pep552(3495, 0, T as u32, 9));
    let run = t.run(&["--format", "json"]);
    run.expect(0);
    let doc = run.json();
    assert_eq!(doc["findings"][0]["severity"], "info");
    assert_eq!(doc["findings"][0]["python_action"], "skip");
    t.run(&["--fail-on", "info"]).expect(1);
}

#[test]
fn errors_exit_two_and_win_over_findings() {
    let t = Tree::new()
        .file("m.py", b"x = 1\n")
        .file("__pycache__/m.cpython-311.pyc", &pep552(3495, 0, 1, 6));
    let run = t.run(&["missing-dir", "."]);
    run.expect(2);
    assert!(
        run.stderr().starts_with("pyc-audit: error: missing-dir: "),
        "{}",
        run.stderr()
    );
    // The report of what could be audited is still complete.
    assert!(run.stdout().contains("__pycache__/m.cpython-311.pyc"));
    t.run(&["missing-dir", "--fail-on", "never"]).expect(2);
}

#[test]
fn usage_errors_exit_two() {
    let t = Tree::new();
    t.run(&["--format", "xml"]).expect(2);
    let run = t.run(&["-0"]);
    run.expect(2);
    assert!(
        run.stderr()
            .contains("pyc-audit: error: -0/--print0 needs --format paths"),
        "{}",
        run.stderr()
    );
    t.run(&["--exclude", "a[b"]).expect(2);
}
