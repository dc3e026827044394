//! Any bytes, any name, any entry: a row in the report, never a crash.

use std::fs;

use crate::support::{exists, pep552, record, Tree, T};

#[test]
fn any_bytes_in_a_cache_give_a_corrupt_row() {
    let mut t = Tree::new().file("m.py", b"x = 1\n");
    let mut seed: u32 = 7;
    let inputs: Vec<Vec<u8>> = (0..40)
        .map(|n| {
            (0..n * 3)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect()
        })
        .collect();
    for (i, bytes) in inputs.iter().enumerate() {
        t = t.file(&format!("__pycache__/m.cpython-31{}.pyc", i % 4), bytes);
        let run = t.run(&["--format", "json", "--all"]);
        assert!(
            matches!(run.code(), 0 | 1),
            "input {bytes:02x?}: {}",
            run.stderr()
        );
        let doc = run.json();
        assert_eq!(
            doc["summary"]["caches"].as_u64(),
            Some(1 + (i.min(3)) as u64)
        );
    }
    let run = Tree::new()
        .file("m.py", b"x = 1\n")
        .file("__pycache__/m.cpython-311.pyc", b"")
        .file("__pycache__/m.cpython-312.pyc", b"\xa7\x0d\x0d")
        .run(&["--format", "json"]);
    let doc = run.json();
    assert_eq!(
        record(&doc, "__pycache__/m.cpython-311.pyc")["status"],
        "corrupt"
    );
    assert_eq!(
        record(&doc, "__pycache__/m.cpython-312.pyc")["status"],
        "corrupt"
    );
    assert!(record(&doc, "__pycache__/m.cpython-311.pyc")["magic"].is_null());
}

#[test]
fn a_huge_cache_is_judged_without_reading_it_whole() {
    let t = Tree::new().fresh_311("m", b"x = 1\n");
    let pyc = t.path("__pycache__/m.cpython-311.pyc");
    // A sparse 64 GiB file: reading it whole would take minutes. The header check reads 17
    // bytes; the --deep body check stops where the code object ends, in the first megabyte.
    fs::OpenOptions::new()
        .write(true)
        .open(&pyc)
        .unwrap()
        .set_len(64 << 30)
        .unwrap();
    filetime::set_file_mtime(&pyc, filetime::FileTime::from_unix_time(T, 0)).unwrap();
    t.run(&[]).expect(0);
    let run = t.run(&["--deep", "--format", "json"]);
    let doc = run.expect(1).json();
    let rec = record(&doc, "__pycache__/m.cpython-311.pyc");
    assert_eq!(
        (&rec["status"], &rec["python_action"]),
        (&"corrupt".into(), &"load".into())
    );
    let reason = rec["reason"].as_str().unwrap();
    assert!(reason.contains("68719476623 trailing bytes"), "{reason}");
}

#[test]
fn unreadable_entries_are_rows_and_exit_two() {
    let t = Tree::new()
        .file("a.py", b"x = 1\n")
        .symlink("__pycache__/a.cpython-311.pyc", "nowhere/a.pyc")
        .file("b.py", b"x = 1\n")
        .dir("__pycache__/b.cpython-311.pyc");
    let run = t.run(&["--format", "json"]);
    run.expect(2);
    let doc = run.json();
    let dangling = record(&doc, "__pycache__/a.cpython-311.pyc");
    assert_eq!(dangling["status"], "unreadable");
    assert_eq!(dangling["python_action"], "recompile");
    assert!(dangling["reason"]
        .as_str()
        .unwrap()
        .contains("dangling symlink"));
    let dir = record(&doc, "__pycache__/b.cpython-311.pyc");
    assert_eq!(dir["status"], "unreadable");
    assert!(dir["reason"].as_str().unwrap().contains("is a directory"));
    assert_eq!(doc["summary"]["errors"], 2);
    let stderr = run.stderr();
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.lines().all(|l| l.starts_with("pyc-audit: ")),
        "{stderr}"
    );
    assert!(
        exists(&t.path("__pycache__/a.cpython-311.pyc")),
        "audit never modifies the tree"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_names_are_reported_unambiguously() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let dir = t.path("caf\u{e9}");
    fs::create_dir_all(&dir).unwrap();
    let raw = std::ffi::OsStr::from_bytes(b"m\xff.pyc");
    fs::write(dir.join(raw), pep552(3495, 0, T as u32, 6)).unwrap();
    let doc = t.run(&["--format", "json"]).json();
    let r = &doc["findings"][0];
    assert_eq!(r["status"], "orphan");
    let hex: String = "café/m\u{fffd}.pyc".to_string();
    assert_eq!(r["path"], hex.as_str());
    assert_eq!(r["path_bytes_hex"], "636166c3a92f6dff2e707963");
    let table = t.run(&[]).stdout();
    assert!(table.contains("café/m\\xff.pyc"), "{table}");
    let paths = t.run(&["--format", "paths"]).output.stdout;
    assert_eq!(paths, b"caf\xc3\xa9/m\xff.pyc\n");
}
