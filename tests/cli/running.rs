//! `--python` and `--optimize` in the directory lookup: each running interpreter looks a module
//! up by its own rules and at its level, and every cache record lists each running interpreter
//! (`by_python`) when there are several, as does a ghost directory's row. The real interpreters
//! check the same rules in the differential `lookup` and `ghosts` suites; these run anywhere (an
//! interpreter that is not installed is taken from the tables).

use crate::support::{record, Tree, T};

/// `marshal.dumps(compile("", "m.py", "exec"))` of CPython 2.7.
const BODY_27: &str = "630000000000000000010000004000000073040000006400005328010000004e28000000002800\
                       0000002800000000280000000073040000006d2e707974080000003c6d6f64756c653e01000000\
                       7400000000";

/// A Python 2.7 legacy cache (magic 62211) recording the mtime `T`.
fn cache_27() -> Vec<u8> {
    let mut v = vec![0x03, 0xf3, b'\r', b'\n'];
    v.extend_from_slice(&(T as u32).to_le_bytes());
    let hex = BODY_27.as_bytes();
    v.extend(
        hex.chunks(2)
            .map(|d| u8::from_str_radix(std::str::from_utf8(d).unwrap(), 16).unwrap()),
    );
    v
}

fn by_python(rec: &serde_json::Value) -> Vec<(String, String)> {
    rec["by_python"]
        .as_array()
        .map(|each| {
            each.iter()
                .map(|b| {
                    let text = |k: &str| b[k].as_str().unwrap().to_string();
                    (text("python"), text("python_action"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const CACHE: &str = "__pycache__/m.cpython-311.pyc";

#[test]
fn several_running_interpreters_are_each_listed() {
    let tree = Tree::new().fresh_311("m", b"V = 1\n");
    let two = [
        "--format", "json", "--all", "--python", "3.11", "--python", "3.12", ".",
    ];
    let doc = tree.run(&two).json();
    let rec = record(&doc, CACHE);
    assert_eq!(rec["python_action"], "load");
    let want = [("CPython 3.11", "load"), ("CPython 3.12", "skip")];
    assert_eq!(by_python(rec), pairs(&want));
    let one = tree
        .run(&["--format", "json", "--all", "--python", "3.11", "."])
        .json();
    assert!(
        record(&one, CACHE)["by_python"].is_null(),
        "one running: its action is the record's"
    );
}

#[test]
fn an_extension_module_shadows_only_for_its_version() {
    let two = [
        "--format", "json", "--all", "--python", "3.11", "--python", "3.12", ".",
    ];
    let other = Tree::new()
        .fresh_311("m", b"V = 1\n")
        .file("m.cpython-312-x86_64-linux-gnu.so", b"");
    let rec = record(&other.run(&two).json(), CACHE).clone();
    assert_eq!(rec["python_action"], "load", "{rec:#}");
    let own = Tree::new()
        .fresh_311("m", b"V = 1\n")
        .file("m.cpython-311-x86_64-linux-gnu.so", b"");
    let doc = own.run(&two).json();
    let rec = record(&doc, CACHE);
    assert_eq!(
        (&rec["status"], &rec["python_action"]),
        (&"fresh".into(), &"skip".into())
    );
    let want = [("CPython 3.11", "skip"), ("CPython 3.12", "skip")];
    assert_eq!(by_python(rec), pairs(&want));
    let reason = rec["reason"].as_str().unwrap();
    assert!(
        reason.contains("CPython 3.11 never reads this cache"),
        "{reason}"
    );
}

#[test]
fn a_python2_init_pyo_makes_a_package_under_o_only() {
    let tree = Tree::new()
        .file("m.py", b"V = 1\n")
        .file("m.pyo", &cache_27())
        .file("m/__init__.pyo", &cache_27());
    let action = |level: &str| {
        let args = ["--format", "json", "--all", "--optimize", level, "."];
        record(&tree.run(&args).json(), "m.pyo")["python_action"].clone()
    };
    // Level 0 reads no .pyo at all; under -O, 2.7 finds the package m/ first.
    assert_eq!(action("0"), "skip");
    assert_eq!(action("1"), "skip");
    let doc = tree
        .run(&["--format", "json", "--all", "--optimize", "1", "."])
        .json();
    let reason = record(&doc, "m.pyo")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("finds the package m/ (its m/__init__.pyo)"),
        "{reason}"
    );
    let sourceless = Tree::new()
        .file("m.pyc", &cache_27())
        .file("m/__init__.pyo", &cache_27());
    let at = |level: &str| {
        let args = ["--format", "json", "--all", "--optimize", level, "."];
        record(&sourceless.run(&args).json(), "m.pyc")["python_action"].clone()
    };
    assert_eq!(at("0"), "load", "at level 0 m/ is no package for 2.7");
}

#[test]
fn explain_names_each_running_interpreter() {
    let tree = Tree::new().fresh_311("m", b"V = 1\n");
    let run = tree.run(&["explain", "--python", "3.11", "--python", "3.12", CACHE]);
    let out = run.stdout();
    assert!(
        out.contains("CPython 3.11 (running) runs this cache's bytecode"),
        "{out}"
    );
    let other =
        "CPython 3.12 (running) never reads this file: its tag is cpython-311, and it reads \
                 cpython-312";
    assert!(out.contains(other), "{out}");
}

#[test]
fn a_deleted_python2_package_left_as_init_pyo_is_a_ghost_under_o() {
    let tree = Tree::new().file("pkg/__init__.pyo", &cache_27());
    let ghost = |level: &str| {
        let doc = tree
            .run(&["--format", "json", "--optimize", level, "."])
            .json();
        let rows = doc["findings"].as_array().unwrap().clone();
        rows.into_iter()
            .find(|r| r["kind"] == "directory")
            .map(|r| (r["status"].clone(), r["python_action"].clone()))
    };
    assert_eq!(ghost("0"), None, "2.7 reads no __init__.pyo at level 0");
    assert_eq!(ghost("1"), Some(("ghost".into(), "load".into())));
}

#[test]
fn explain_of_a_shadowed_sourceless_file_says_it_is_never_opened() {
    let tree = Tree::new()
        .file("m.pyc", &cache_27())
        .file("m/__init__.py", b"V = 2\n");
    let out = tree.run(&["explain", "m.pyc"]).stdout();
    let want =
        "on import  Python 2.7 never opens this file: no source (m.py), and `import m` finds \
                the package m/";
    assert!(out.contains(want), "{out}");
}

/// The directory row at `pkg`, if any.
fn pkg_row(tree: &Tree, running: &[&str]) -> Option<serde_json::Value> {
    pkg_row_at(tree, running, "0")
}

fn pkg_row_at(tree: &Tree, running: &[&str], level: &str) -> Option<serde_json::Value> {
    let mut args = vec!["--format", "json", "--all", "--fail-on", "never"];
    args.extend(["--optimize", level]);
    for r in running {
        args.extend(["--python", r]);
    }
    args.push(".");
    let doc = tree.run(&args).json();
    let rows = doc["findings"].as_array().unwrap().clone();
    rows.into_iter()
        .find(|r| r["kind"] == "directory" && r["path"] == "pkg")
}

#[test]
fn a_namespace_ghost_is_judged_by_each_running_interpreter() {
    // Every source of pkg deleted, its CPython 3.11 caches left in __pycache__.
    let tree = Tree::new()
        .fresh_311("pkg/__init__", b"V = 1\n")
        .fresh_311("pkg/mod", b"V = 1\n");
    std::fs::remove_file(tree.path("pkg/__init__.py")).unwrap();
    std::fs::remove_file(tree.path("pkg/mod.py")).unwrap();

    let alone = pkg_row(&tree, &[]).expect("a ghost row without --python");
    assert!(alone["by_python"].is_null());
    assert!(alone["reason"].as_str().unwrap().contains("(Python 3.3+)"));

    assert_eq!(
        pkg_row(&tree, &["2.7"]),
        None,
        "Python 2 has no namespace packages"
    );

    let py3 = pkg_row(&tree, &["3.12"]).expect("a ghost row on 3.12");
    assert_eq!(
        (&py3["status"], &py3["python_action"], &py3["severity"]),
        (&"ghost".into(), &"namespace".into(), &"warning".into())
    );
    assert!(
        py3["by_python"].is_null(),
        "one running: its action is the row's"
    );
    let reason = py3["reason"].as_str().unwrap();
    assert!(
        reason.contains("(none of them read by an interpreter that runs this tree)")
            && reason.contains("on CPython 3.12, `import pkg` gives an empty namespace package"),
        "{reason}"
    );

    let both = pkg_row(&tree, &["2.7", "3.12"]).expect("a ghost row on 2.7 and 3.12");
    assert_eq!(both["python_action"], "namespace");
    let want = [("CPython 2.7", "skip"), ("CPython 3.12", "namespace")];
    assert_eq!(by_python(&both), pairs(&want));
}

#[test]
fn a_legacy_init_ghost_is_judged_by_each_running_interpreter() {
    let tree = Tree::new().file("pkg/__init__.pyc", &cache_27());
    let py2 = pkg_row(&tree, &["2.7"]).expect("2.7 imports the deleted package");
    assert_eq!(
        (&py2["python_action"], &py2["severity"]),
        (&"load".into(), &"error".into())
    );
    let both = pkg_row(&tree, &["2.7", "3.12"]).expect("a ghost row on 2.7 and 3.12");
    assert_eq!(
        (&both["python_action"], &both["severity"]),
        (&"fail".into(), &"error".into())
    );
    let want = [("CPython 2.7", "load"), ("CPython 3.12", "fail")];
    assert_eq!(by_python(&both), pairs(&want));
    let reason = both["reason"].as_str().unwrap();
    assert!(
        reason.contains("on CPython 3.12, `import pkg` raises ImportError: bad magic number")
            && reason.contains("on CPython 2.7, `import pkg` still imports the deleted package"),
        "{reason}"
    );
}

#[test]
fn python3_gets_a_namespace_where_python2_imports_an_init_pyo() {
    let tree = Tree::new().file("pkg/__init__.pyo", &cache_27());
    assert_eq!(pkg_row_at(&tree, &["2.7", "3.12"], "0"), None);
    let row = pkg_row_at(&tree, &["2.7", "3.12"], "1").expect("2.7 -O imports it");
    let want = [("CPython 2.7", "load"), ("CPython 3.12", "namespace")];
    assert_eq!(by_python(&row), pairs(&want));
    assert_eq!(row["python_action"], "load");
    let reason = row["reason"].as_str().unwrap();
    assert!(
        reason.contains("on CPython 3.12, which never opens __init__.pyo, `import pkg` gives"),
        "{reason}"
    );
    assert_eq!(
        pkg_row_at(&tree, &["3.12"], "1"),
        None,
        "nothing 3.12 reads"
    );
}
