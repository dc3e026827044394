//! One behaviour across commands, and the verdicts' edge cases: source arguments, the pycache
//! prefix in `explain`, overlapping paths, `-L` with a dangling cache, a reader that closes
//! the pipe, pre-release magic numbers under a release tag, sources that cannot be resolved,
//! and the words of the reports.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{finding_paths, pep552, prefixed, record, Tree, T};

/// `myapp/flag.py` edited within the second its cache was written (same size): Python ran the
/// old value. `myapp/other.py` has a stale cache; `myapp/gone.py` left one behind.
fn same_second() -> Tree {
    let src = b"FLAG = 1\n";
    Tree::new()
        .fresh_311("myapp/flag", src)
        .mtime("myapp/__pycache__/flag.cpython-311.pyc", T, 200_000_000)
        .mtime("myapp/flag.py", T, 900_000_000)
        .file("myapp/other.py", b"x = 22\n")
        .file(
            "myapp/__pycache__/other.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 1),
        )
        .file(
            "myapp/__pycache__/gone.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 1),
        )
}

#[test]
fn a_source_argument_audits_its_caches() {
    let t = same_second();
    let run = t.run(&["--format", "json", "myapp/flag.py"]);
    run.expect(1);
    let doc = run.json();
    assert_eq!(
        finding_paths(&doc),
        ["myapp/__pycache__/flag.cpython-311.pyc"]
    );
    assert_eq!(doc["findings"][0]["status"], "suspect");
    // Only that source's caches; a deleted source's path still finds what it left.
    let run = t.run(&["--format", "json", "myapp/gone.py"]);
    run.expect(1);
    assert_eq!(run.json()["findings"][0]["status"], "orphan");
    // A source that exists with no cache is audited clean, not the whole tree.
    let t = t.file("myapp/lonely.py", b"");
    let run = t.run(&["--format", "json", "myapp/lonely.py"]);
    run.expect(0);
    assert_eq!(run.json()["summary"]["caches"], 0);
    // A source that neither exists nor left a cache is a path that could not be read.
    t.run(&["myapp/nothing.py"]).expect(2);
}

#[test]
fn explain_honours_the_pycache_prefix_as_check_does() {
    let (t, mirror) = prefixed();
    let env = [("PYTHONPYCACHEPREFIX", "../pfx")];
    let run = t.run_in("proj", &["explain", "--format", "json", "ui.py"], &env);
    run.expect(1);
    let doc = run.json();
    let caches = doc["files"][0]["caches"].as_array().unwrap();
    assert_eq!(caches.len(), 2, "{doc:#}");
    let verdicts: Vec<(String, &str, &str)> = caches
        .iter()
        .map(|c| {
            let path = c["path"].as_str().unwrap();
            let name = path.rsplit('/').next().unwrap().to_string();
            (
                name,
                c["status"].as_str().unwrap(),
                c["python_action"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(verdicts.contains(&("ui.cpython-312.pyc".into(), "stale", "recompile")));
    assert!(verdicts.contains(&("ui.cpython-311.pyc".into(), "fresh", "skip")));
    assert_eq!(
        doc["summary"]["environment"][0]["name"],
        "PYTHONPYCACHEPREFIX"
    );
    // The prefix-tree cache itself is what check says it is, not a legacy orphan.
    let cache = t.path(&format!("{mirror}/ui.cpython-312.pyc"));
    let cache = cache.to_str().unwrap();
    let run = t.run_in("proj", &["explain", "--format", "json", cache], &env);
    run.expect(1);
    let explained = &run.json()["files"][0]["caches"][0];
    assert_eq!(explained["status"], "stale", "{explained:#}");
    let check = t.run_in("proj", &["--format", "json", "--all", cache], &env);
    assert_eq!(check.json()["findings"][0]["status"], "stale");
    // The flag does the same, and --no-env drops the variable.
    let flag = [
        "explain",
        "--format",
        "json",
        "--pycache-prefix",
        "../pfx",
        "ui.py",
    ];
    let run = t.run_in("proj", &flag, &[]);
    assert_eq!(
        run.json()["files"][0]["caches"].as_array().unwrap().len(),
        2
    );
    let run = t.run_in(
        "proj",
        &["explain", "--no-env", "--format", "json", "ui.py"],
        &env,
    );
    assert_eq!(
        run.json()["files"][0]["caches"].as_array().unwrap().len(),
        1
    );
    assert_eq!(run.json()["summary"]["environment"], Value::Array(vec![]));
}

#[test]
fn a_prefix_tree_walked_without_the_prefix_is_never_importable() {
    let (t, _) = prefixed();
    let run = t.run(&["--no-env", "--format", "json", "pfx"]);
    let doc = run.json();
    let record = &doc["findings"][0];
    assert_eq!(record["status"], "orphan", "{doc:#}");
    assert_eq!(record["python_action"], "skip", "{doc:#}");
}

#[test]
fn explain_reports_the_environment_as_check_does() {
    let (t, _) = prefixed();
    let env = [("PYTHONDONTWRITEBYTECODE", "1")];
    let check = t.run_env(&["--format", "json", "proj"], &env).json();
    let explain = t
        .run_env(&["explain", "--format", "json", "proj/ui.py"], &env)
        .json();
    assert_eq!(
        check["summary"]["environment"],
        explain["summary"]["environment"]
    );
    assert_eq!(
        explain["summary"]["environment"][0]["name"],
        "PYTHONDONTWRITEBYTECODE"
    );
}

#[test]
fn overlapping_paths_are_audited_once() {
    let t = Tree::new().file(
        "ov/pkg/__pycache__/m.cpython-311.pyc",
        &pep552(3495, 0, T as u32, 1),
    );
    let args = [
        "--format",
        "json",
        "ov",
        "ov/pkg",
        "ov/pkg/__pycache__/m.cpython-311.pyc",
        "./ov",
    ];
    let run = t.run(&args);
    run.expect(1);
    let doc = run.json();
    // The cache, and its package's ghost row, once each.
    assert_eq!(
        finding_paths(&doc),
        ["ov/pkg", "ov/pkg/__pycache__/m.cpython-311.pyc"]
    );
    assert_eq!(doc["summary"]["caches"], 1);
}

#[test]
fn follow_keeps_a_dangling_cache_symlink_as_a_row() {
    let t = Tree::new()
        .file("m.py", b"")
        .symlink("__pycache__/m.cpython-311.pyc", "nowhere.pyc");
    for args in [&["--format", "json"][..], &["-L", "--format", "json"][..]] {
        let run = t.run(args);
        run.expect(2);
        let doc = run.json();
        let r = record(&doc, "__pycache__/m.cpython-311.pyc");
        assert_eq!(r["status"], "unreadable", "{args:?}");
        assert!(
            !finding_paths(&doc).contains(&"__pycache__".to_string()),
            "{args:?}: a __pycache__ holding a symlink is not empty: {doc:#}"
        );
    }
}

#[test]
fn a_closed_pipe_keeps_the_exit_code() {
    let mut t = Tree::new();
    for i in 0..200 {
        t = t.file(&format!("{i}/__pycache__/m.cpython-311.pyc"), b"");
    }
    for args in [&["check"][..], &["clean", "-n"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
            .args(args)
            .current_dir(t.dir.path())
            .env_clear()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // The reader goes away before anything is printed.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{stderr}");
    }
}

#[test]
fn a_pre_release_magic_under_a_release_tag_is_a_mismatch() {
    let src = b"x = 1\n";
    let header = |magic| pep552(magic, 0, T as u32, src.len() as u32);
    let mut cut = header(3523);
    cut.truncate(20);
    let t = Tree::new()
        .file("a.py", src)
        .file("b.py", src)
        .file("c.py", src)
        .file("d.py", src)
        .file("__pycache__/a.cpython-312.pyc", &header(3523))
        .file("__pycache__/b.cpython-312.pyc", &header(3547))
        .file("__pycache__/c.cpython-312.pyc", &cut)
        .file("__pycache__/d.cpython-312.pyc", &header(3531));
    let run = t.run(&["--format", "json", "--all", "--deep"]);
    let doc = run.json();
    for (cache, what) in [
        ("a", "3.12a7"),
        ("b", "no CPython release"),
        ("c", "3.12a7"),
    ] {
        let r = record(&doc, &format!("__pycache__/{cache}.cpython-312.pyc"));
        assert_eq!(r["status"], "mismatch", "{r:#}");
        assert_eq!(r["python_action"], "recompile", "{r:#}");
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.contains(what) && reason.contains("write magic 3531"),
            "{reason}"
        );
    }
    assert_eq!(
        record(&doc, "__pycache__/d.cpython-312.pyc")["status"],
        "fresh"
    );
}

#[test]
fn a_source_symlink_that_does_not_resolve_is_no_source() {
    let t = Tree::new()
        .symlink("loop.py", "loop.py")
        .symlink("dangling.py", "nowhere.py")
        .file("__pycache__/loop.cpython-311.pyc", &pep552(3495, 0, 1, 1))
        .file(
            "__pycache__/dangling.cpython-311.pyc",
            &pep552(3495, 0, 1, 1),
        );
    let run = t.run(&["--format", "json"]);
    run.expect(1);
    let doc = run.json();
    for name in ["loop", "dangling"] {
        let r = record(&doc, &format!("__pycache__/{name}.cpython-311.pyc"));
        assert_eq!(r["status"], "orphan", "{r:#}");
    }
}

#[test]
fn words() {
    // One trailing byte, and PyPy named once.
    let mut body = pep552(3495, 0, T as u32, 1);
    body.push(0);
    let t = Tree::new()
        .file("m.py", b"x")
        .file("__pycache__/m.cpython-311.pyc", &body)
        .file("p.py", b"x")
        .file("__pycache__/p.cpython-311.pyc", &pep552(336, 0, 1, 1));
    let doc = t.run(&["--format", "json", "--deep", "--all"]).json();
    let m = record(&doc, "__pycache__/m.cpython-311.pyc");
    assert!(
        m["reason"]
            .as_str()
            .unwrap()
            .contains("1 trailing byte follows"),
        "{m:#}"
    );
    let p = record(&doc, "__pycache__/p.cpython-311.pyc");
    assert!(
        p["reason"]
            .as_str()
            .unwrap()
            .contains("holds PyPy 3.9 bytecode"),
        "{p:#}"
    );
    // The PYTHON cell of a row without an interpreter is the same in check and clean.
    let t = Tree::new().file("__pycache__/m.cpython-311.pyc.12345", b"");
    let check = t.run(&["--color", "never"]).stdout();
    let clean = t.run(&["clean", "-n", "--color", "never"]).stdout();
    let cell = |table: &str| {
        let line = table
            .lines()
            .find(|l| l.contains(".pyc.12345"))
            .unwrap()
            .to_string();
        line.split_whitespace().any(|w| w == "-")
    };
    assert!(cell(&check) && cell(&clean), "{check}\n{clean}");
    // --no-env names every variable it ignores.
    let help = Tree::new().run(&["--help"]).stdout();
    assert!(help.contains("SOURCE_DATE_EPOCH"), "{help}");
}

#[test]
fn explain_and_clean_accept_every_audit_option() {
    let t = Tree::new().fresh_311("m", b"x = 1\n");
    let shared = [
        "--deep",
        "-L",
        "--no-env",
        "--exclude",
        "nothing",
        "--extend-exclude",
        "none",
        "--pycache-prefix",
        "pfx",
        "--isolated",
        "-v",
    ];
    let mut explain = vec!["explain"];
    explain.extend(shared);
    explain.push("m.py");
    t.run(&explain).expect(0);
    let mut clean = vec!["clean", "-n"];
    clean.extend(shared);
    clean.push(".");
    t.run(&clean).expect(0);
}
