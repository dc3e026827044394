//! The report is the same bytes whatever the number of threads and from one run to the next:
//! the walk and the judging run in parallel, and only the sorted findings are printed.

use crate::support::{pep552, Tree, T};

/// A generated tree with every kind of record: fresh, stale and orphan caches, legacy caches,
/// ghost packages, an empty `__pycache__`, debris and clamped sources, in many directories.
fn mixed_tree() -> Tree {
    let mut t = Tree::new();
    for p in 0..12 {
        for m in 0..8 {
            let stem = format!("pkg{p}/sub{}/mod{m}", m % 3);
            t = t.fresh_311(&stem, format!("x = {m}\n").as_bytes());
            if (p + m) % 3 == 0 {
                // Stale: the header records another size.
                let pyc = format!("pkg{p}/sub{}/__pycache__/mod{m}.cpython-311.pyc", m % 3);
                t = t.file(&pyc, &pep552(3495, 0, T as u32, 999));
            }
        }
        t = t.file(&format!("pkg{p}/__init__.py"), b"");
        t = t.file(
            &format!("ghost{p}/__pycache__/__init__.cpython-311.pyc"),
            &pep552(3495, 0, T as u32, 1),
        );
        t = t.file(
            &format!("legacy{p}/__init__.pyc"),
            &pep552(3495, 0, T as u32, 1),
        );
        t = t.file(&format!("pkg{p}/__pycache__/x.cpython-311.pyc.{p}42"), b"");
        t = t.dir(&format!("empty{p}/__pycache__"));
    }
    for m in 0..4 {
        t = t.fresh_311(&format!("clamped/m{m}"), b"y = 1\n");
        t = t.mtime(&format!("clamped/m{m}.py"), 0, 0);
    }
    t
}

#[test]
fn the_same_bytes_with_one_thread_or_many() {
    let t = mixed_tree();
    for args in [
        &["--format", "json", "."][..],
        &["--format", "json", "--all", "--deep", "."],
        &["--format", "paths", "--all", "."],
        &["clean", "--dry-run", "."],
    ] {
        let one = t.run_env(args, &[("RAYON_NUM_THREADS", "1")]);
        assert!(!one.stdout().is_empty(), "{args:?}");
        for threads in ["2", "7", "16"] {
            let many = t.run_env(args, &[("RAYON_NUM_THREADS", threads)]);
            assert_eq!(one.output.stdout, many.output.stdout, "{args:?} {threads}");
            assert_eq!(one.code(), many.code());
        }
    }
}

#[test]
fn the_summary_counts_every_record_whether_kept_or_not() {
    // Without --all the fresh records are counted and dropped; with it they are kept.
    let t = mixed_tree();
    let findings = t.run(&["--format", "json", "."]).json();
    let all = t.run(&["--format", "json", "--all", "."]).json();
    assert_eq!(findings["summary"], all["summary"]);
    assert!(findings["summary"]["by_status"]["fresh"].as_u64().unwrap() > 0);
    let shown = |doc: &serde_json::Value| doc["findings"].as_array().unwrap().len();
    assert!(shown(&findings) < shown(&all));
}
