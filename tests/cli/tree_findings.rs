//! Findings that are not about one cache: debris (temporary cache files, empty `__pycache__`),
//! ghost packages and clamped source mtimes; their rows, exit codes and summary counts.

use serde_json::Value;

use crate::support::{pep552, record, Tree, T};

/// A source `stem.py` at mtime `secs.nanos` with a 3.11 timestamp cache whose header matches.
fn timed(t: Tree, stem: &str, secs: i64, nanos: u32) -> Tree {
    let source = format!("{stem}.py");
    let (dir, name) = stem.rsplit_once('/').unwrap_or(("", stem));
    let cache = format!("{dir}/__pycache__/{name}.cpython-311.pyc");
    let cache = cache.trim_start_matches('/');
    t.file(&source, b"x = 1\n")
        .mtime(&source, secs, nanos)
        .file(cache, &pep552(3495, 0, secs as u32, 6))
}

/// The rows that are not about a cache, as (kind, status, path).
fn tree_rows(doc: &Value) -> Vec<(String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] != "cache")
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap().to_string();
            (field("kind"), field("status"), field("path"))
        })
        .collect()
}

fn row(kind: &str, status: &str, path: &str) -> (String, String, String) {
    (kind.into(), status.into(), path.into())
}

#[test]
fn debris_is_info_and_fails_only_with_fail_on_info() {
    let t = Tree::new()
        .fresh_311("m", b"x = 1\n")
        .file(
            "__pycache__/m.cpython-311.pyc.140234567",
            &pep552(3495, 0, T as u32, 6),
        )
        .file("pkg/__init__.py", b"")
        .dir("pkg/__pycache__");
    let run = t.run(&["--format", "json"]);
    run.expect(0);
    let doc = run.json();
    assert_eq!(
        tree_rows(&doc),
        [
            row("file", "debris", "__pycache__/m.cpython-311.pyc.140234567"),
            row("directory", "debris", "pkg/__pycache__"),
        ]
    );
    for path in ["__pycache__/m.cpython-311.pyc.140234567", "pkg/__pycache__"] {
        let r = record(&doc, path);
        assert_eq!(r["python_action"], "skip", "{r:#}");
        assert_eq!(r["severity"], "info", "{r:#}");
        assert_eq!(r["layout"], Value::Null, "{r:#}");
        assert_eq!(r["python"], Value::Null, "{r:#}");
    }
    t.run(&["--fail-on", "info"]).expect(1);
}

#[test]
fn the_summary_counts_only_caches_as_caches() {
    let t = Tree::new()
        .fresh_311("m", b"x = 1\n")
        .file("m.pyc.7", b"partial")
        .dir("empty/__pycache__")
        .file(
            "gone/__pycache__/x.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        );
    let run = t.run(&["--format", "json", "--all"]);
    run.expect(1);
    let summary = &run.json()["summary"];
    assert_eq!(summary["caches"], 2, "{summary:#}");
    assert_eq!(summary["by_status"]["debris"], 2, "{summary:#}");
    assert_eq!(summary["by_status"]["ghost"], 1, "{summary:#}");
    // The orphan, the ghost and two debris rows.
    assert_eq!(summary["findings"], 4, "{summary:#}");
    let table = t.run(&[]).stdout();
    assert!(
        table.contains(
            "\n4 findings in 2 caches (2 warnings, 2 info): 1 fresh, 1 orphan, 2 debris, 1 ghost; 226 B in caches, 113 B reclaimable\n"
        ),
        "{table}"
    );
}

#[test]
fn a_package_without_sources_is_one_ghost_row_at_the_top() {
    let orphan = pep552(3495, 0, T as u32, 6);
    let t = Tree::new()
        .file("pkg/__pycache__/__init__.cpython-311.pyc", &orphan)
        .file("pkg/__pycache__/mod.cpython-311.pyc", &orphan)
        .file("pkg/sub/__pycache__/__init__.cpython-311.pyc", &orphan)
        .file("pkg/sub/deep/__pycache__/x.cpython-311.pyc", &orphan)
        .fresh_311("ok/__init__", b"")
        .fresh_311("ns/m", b"x = 1\n");
    let run = t.run(&["--format", "json"]);
    run.expect(1);
    let doc = run.json();
    assert_eq!(tree_rows(&doc), [row("directory", "ghost", "pkg")]);
    let ghost = record(&doc, "pkg");
    assert_eq!(ghost["python_action"], "namespace");
    assert_eq!(ghost["severity"], "warning");
    let reason = ghost["reason"].as_str().unwrap();
    assert!(
        reason.contains("`import pkg` gives an empty namespace package"),
        "{reason}"
    );
    assert!(reason.contains("its __init__ code never runs"), "{reason}");
}

#[test]
fn a_ghost_with_a_legacy_module_says_that_module_still_imports() {
    let t = Tree::new()
        .file(
            "pkg/__pycache__/__init__.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 0),
        )
        .file("pkg/mod.pyc", &pep552(3495, 0, T as u32, 6));
    let doc = t.run(&["--format", "json"]).json();
    assert_eq!(tree_rows(&doc), [row("directory", "ghost", "pkg")]);
    let reason = record(&doc, "pkg")["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains("only its modules with a legacy .pyc still import, running old code"),
        "{reason}"
    );
    assert!(!reason.contains("no longer import"), "{reason}");
}

#[test]
fn a_deleted_init_source_is_a_ghost_named_by_its_dotted_name() {
    let t = Tree::new()
        .fresh_311("pkg/__init__", b"")
        .fresh_311("pkg/sub/mod", b"x = 1\n")
        .file(
            "pkg/sub/__pycache__/__init__.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 0),
        );
    let run = t.run(&["--format", "json"]);
    run.expect(1);
    let doc = run.json();
    assert_eq!(tree_rows(&doc), [row("directory", "ghost", "pkg/sub")]);
    let ghost = record(&doc, "pkg/sub");
    assert_eq!(ghost["python_action"], "namespace");
    let reason = ghost["reason"].as_str().unwrap();
    assert!(reason.starts_with("__init__.py is gone"), "{reason}");
    assert!(reason.contains("`import pkg.sub`"), "{reason}");
    // Given as the root, it is named from there.
    let inside = t.run(&["--format", "json", "pkg/sub"]).json();
    let reason = record(&inside, "pkg/sub")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("`import sub`"), "{reason}");
}

#[test]
fn a_legacy_init_cache_keeps_a_deleted_package_importable() {
    let t = Tree::new()
        .file("old/__init__.pyc", &pep552(3495, 0, T as u32, 0))
        .fresh_311("old/mod", b"x = 1\n");
    let run = t.run(&["--format", "json"]);
    run.expect(1);
    let doc = run.json();
    assert_eq!(tree_rows(&doc), [row("directory", "ghost", "old")]);
    let ghost = record(&doc, "old");
    assert_eq!(ghost["python_action"], "load");
    assert_eq!(ghost["severity"], "error");
    let reason = ghost["reason"].as_str().unwrap();
    assert!(
        reason.contains("still imports the deleted package under CPython 3.11"),
        "{reason}"
    );
    t.run(&["--fail-on", "error"]).expect(1);
}

#[test]
fn a_legacy_init_python_cannot_open_is_passed_over() {
    let orphan = pep552(3495, 0, T as u32, 6);
    let t = Tree::new()
        .symlink("pkg/__init__.pyc", "nowhere.pyc")
        .file("pkg/__pycache__/mod.cpython-311.pyc", &orphan)
        .file("pkg/sub/__pycache__/x.cpython-311.pyc", &orphan);
    let doc = t.run(&["--format", "json"]).json();
    assert_eq!(tree_rows(&doc), [row("directory", "ghost", "pkg")]);
    assert_eq!(record(&doc, "pkg")["python_action"], "namespace");
}

#[test]
fn packages_and_namespaces_with_sources_are_not_ghosts() {
    let t = Tree::new()
        .fresh_311("pkg/__init__", b"")
        .fresh_311("ns/m", b"x = 1\n")
        .file("legacy/__init__.py", b"")
        .mtime("legacy/__init__.py", T + 5, 0)
        .file("legacy/__init__.pyc", &pep552(3495, 0, T as u32 + 5, 0))
        .dir("data/__pycache__")
        .file("data/__pycache__/notes.txt", b"");
    let run = t.run(&["--format", "json", "--all"]);
    let doc = run.json();
    assert_eq!(tree_rows(&doc), [], "{doc:#}");
}

#[test]
fn excluded_entries_still_exist_for_python() {
    let t = Tree::new()
        .fresh_311("m", b"x = 1\n")
        .file("conf/setup.py", b"x = 1\n")
        .file(
            "conf/__pycache__/setup.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        );
    // Every cache excluded: no __pycache__ is empty for that.
    let doc = t.run(&["--format", "json", "--exclude", "*.pyc"]).json();
    assert_eq!(tree_rows(&doc), [], "{doc:#}");
    // An excluded source is still there: conf is no ghost.
    let doc = t.run(&["--format", "json", "--exclude", "setup.py"]).json();
    assert_eq!(tree_rows(&doc), [], "{doc:#}");
}

#[test]
fn source_date_epoch_marks_sources_at_that_mtime_as_clamped() {
    let epoch = 1_500_000_000;
    let t = timed(Tree::new(), "m", epoch, 0);
    let with = |value: &str| t.run_env(&["--format", "json"], &[("SOURCE_DATE_EPOCH", value)]);
    let run = with("1500000000");
    run.expect(0);
    let doc = run.json();
    assert_eq!(tree_rows(&doc), [row("tree", "clamped", ".")]);
    let clamped = record(&doc, ".");
    assert_eq!(clamped["python_action"], "load");
    assert_eq!(clamped["severity"], "info");
    let reason = clamped["reason"].as_str().unwrap();
    assert!(reason.contains("1 of 1 source"), "{reason}");
    assert!(reason.contains("checked-hash"), "{reason}");
    with("1500000000").expect(0);
    t.run_env(
        &["--fail-on", "info"],
        &[("SOURCE_DATE_EPOCH", "1500000000")],
    )
    .expect(1);
    // Another value, or none at all (run clears the environment): nothing clamped.
    assert_eq!(tree_rows(&with("1500000001").json()), []);
    assert_eq!(tree_rows(&t.run(&["--format", "json"]).json()), []);
    // --no-env: the report depends on the arguments and files only.
    let ignored = t.run_env(
        &["--no-env", "--format", "json"],
        &[("SOURCE_DATE_EPOCH", "1500000000")],
    );
    assert_eq!(tree_rows(&ignored.json()), []);
}

#[test]
fn mtimes_zero_and_one_are_clamped_alone() {
    for secs in [0, 1] {
        let t = timed(Tree::new(), "m", secs, 0);
        let doc = t.run(&["--format", "json", "--all"]).json();
        assert_eq!(
            tree_rows(&doc),
            [row("tree", "clamped", ".")],
            "mtime {secs}"
        );
        assert_eq!(
            record(&doc, "__pycache__/m.cpython-311.pyc")["status"],
            "fresh"
        );
    }
}

#[test]
fn one_shared_whole_second_is_clamped_from_three_sources_and_half() {
    let shared = 1_600_000_000;
    let tree = |shared_n: usize, other_n: usize, nanos: u32| {
        let mut t = Tree::new();
        for i in 0..shared_n {
            t = timed(t, &format!("s{i}"), shared, nanos);
        }
        for i in 0..other_n {
            t = timed(t, &format!("o{i}"), T + i as i64, 0);
        }
        tree_rows(&t.run(&["--format", "json"]).json())
    };
    let clamped = [row("tree", "clamped", ".")];
    assert_eq!(tree(3, 0, 0), clamped);
    assert_eq!(tree(3, 3, 0), clamped, "half of the sources is enough");
    assert_eq!(tree(3, 4, 0), [], "fewer than half");
    assert_eq!(tree(2, 0, 0), [], "two sources are no pattern");
    assert_eq!(
        tree(4, 0, 500_000_000),
        [],
        "one second, but not a whole one"
    );
    assert_eq!(tree(0, 5, 0), [], "distinct mtimes");
}

#[test]
fn hash_based_caches_and_caches_never_read_are_not_clamped() {
    // Sources at mtime 1 with unchecked-hash caches (flags 1), or with legacy 3.11 caches
    // beside them, which Python 3 never reads.
    for (cache, flags) in [("__pycache__/{}.cpython-311.pyc", 1), ("{}.pyc", 0)] {
        let mut t = Tree::new();
        for stem in ["a", "b", "c"] {
            let source = format!("{stem}.py");
            t = t
                .file(&source, b"x = 1\n")
                .mtime(&source, 1, 0)
                .file(&cache.replace("{}", stem), &pep552(3495, flags, 1, 6));
        }
        assert_eq!(
            tree_rows(&t.run(&["--format", "json"]).json()),
            [],
            "{cache}"
        );
    }
}

#[test]
fn each_root_gets_its_own_clamped_row() {
    let t = timed(Tree::new(), "one/m", 1, 0).fresh_311("two/m", b"x = 1\n");
    let doc = t.run(&["--format", "json", "one", "two"]).json();
    assert_eq!(tree_rows(&doc), [row("tree", "clamped", "one")]);
}

#[test]
fn paths_lists_files_never_directories_or_trees() {
    // A clamped root, a ghost directory, an empty __pycache__, a temporary file, an orphan.
    let t = timed(Tree::new(), "m", 1, 0)
        .file("m.pyc.12", b"partial")
        .dir("empty/__pycache__")
        .file(
            "gone/__pycache__/x.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        );
    let doc = t.run(&["--format", "json"]).json();
    assert_eq!(tree_rows(&doc).len(), 4, "{doc:#}");
    let run = t.run(&["--format", "paths"]);
    run.expect(1);
    assert_eq!(
        run.stdout(),
        "gone/__pycache__/x.cpython-311.pyc\nm.pyc.12\n"
    );
}
