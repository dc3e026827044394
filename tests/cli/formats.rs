//! Output formats: table, json (the contract), jsonl, paths with -0, colour.

use crate::support::{pep552, record, Tree, T};

fn mixed() -> Tree {
    Tree::new()
        .fresh_311("ok", b"x = 1\n")
        .file("stale.py", b"x = 22\n")
        .file(
            "__pycache__/stale.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        )
        .file(
            "__pycache__/gone.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        )
}

const FIELDS: [&str; 22] = [
    "path",
    "path_bytes_hex",
    "kind",
    "source",
    "layout",
    "implementation",
    "python",
    "magic",
    "magic_python",
    "tag",
    "opt_level",
    "invalidation",
    "flags",
    "bytes",
    "status",
    "python_action",
    "severity",
    "reason",
    "recorded",
    "actual",
    "by_python",
    "tracked",
];

#[test]
fn json_document_carries_the_contract() {
    let tree = mixed();
    let run = tree.run(&["--format", "json"]);
    run.expect(1);
    let doc = run.json();
    assert_eq!(doc["schema_version"], 3);
    assert_eq!(doc["tool"]["name"], "pyc-audit");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "fresh caches are not findings");
    for r in findings {
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = FIELDS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
    }
    // Field order is part of the contract too: check it on the raw text.
    let text = run.stdout();
    let first = &text[text
        .find("{\n      \"path\"")
        .expect("records start with path")..];
    let at: Vec<usize> = FIELDS
        .iter()
        .map(|f| first.find(&format!("\"{f}\":")).unwrap())
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "fields out of order: {at:?}"
    );
    let stale = record(&doc, "__pycache__/stale.cpython-311.pyc");
    assert_eq!(stale["status"], "stale");
    let size = std::fs::metadata(tree.path("__pycache__/stale.cpython-311.pyc"));
    assert_eq!(stale["bytes"], size.unwrap().len());
    let summary = &doc["summary"];
    assert!(summary["reclaimable_bytes"].as_u64().unwrap() > 0);
    assert!(summary["bytes"].as_u64() >= summary["reclaimable_bytes"].as_u64());
    assert_eq!(stale["python_action"], "recompile");
    assert_eq!(stale["severity"], "warning");
    assert_eq!(stale["source"], "stale.py");
    assert_eq!(stale["implementation"], "cpython");
    assert_eq!(stale["python"], "3.11");
    assert_eq!(stale["magic"], 3495);
    assert_eq!(stale["invalidation"], "timestamp");
    assert_eq!(stale["recorded"]["size"], 6);
    assert_eq!(stale["actual"]["size"], 7);
    assert_eq!(stale["recorded"]["mtime"], T);
    assert_eq!(stale["recorded"]["mtime_utc"], "2023-11-14T22:13:20Z");
    let gone = record(&doc, "__pycache__/gone.cpython-311.pyc");
    assert_eq!(
        (gone["status"].as_str(), gone["source"].is_null()),
        (Some("orphan"), true)
    );
    assert!(gone["actual"].is_null());
    let summary = &doc["summary"];
    assert_eq!(summary["caches"], 3);
    assert_eq!(summary["findings"], 2);
    assert_eq!(summary["by_status"]["fresh"], 1);
    assert_eq!(summary["by_status"]["orphan"], 1);
    assert_eq!(summary["by_severity"]["warning"], 2);
    assert_eq!(summary["errors"], 0);
}

#[test]
fn all_adds_fresh_records_in_path_order() {
    let doc = mixed().run(&["--format", "json", "--all"]).json();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let expected = [
        "__pycache__/gone.cpython-311.pyc",
        "__pycache__/ok.cpython-311.pyc",
        "__pycache__/stale.cpython-311.pyc",
    ];
    assert_eq!(paths, expected);
    assert_eq!(
        record(&doc, "__pycache__/ok.cpython-311.pyc")["severity"],
        serde_json::Value::Null
    );
}

#[test]
fn jsonl_is_one_record_per_line() {
    let run = mixed().run(&["--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = run
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .all(|r| r["status"].is_string() && r.get("summary").is_none()));
}

#[test]
fn paths_newline_and_nul() {
    let t = mixed();
    let run = t.run(&["--format", "paths"]);
    assert_eq!(
        run.stdout(),
        "__pycache__/gone.cpython-311.pyc\n__pycache__/stale.cpython-311.pyc\n"
    );
    let run = t.run(&["--format", "paths", "-0", "--all"]);
    let stdout = run.stdout();
    let parts: Vec<&str> = stdout.split_terminator('\0').collect();
    assert_eq!(parts.len(), 3);
    assert!(!stdout.contains('\n'));
}

#[test]
fn table_lists_findings_then_a_summary() {
    let run = mixed().run(&[]);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0]
            .split_whitespace()
            .eq(["STATUS", "PYTHON", "PATH", "REASON"]),
        "{out}"
    );
    assert!(
        lines[1].starts_with(" orphan") && lines[1].contains("no source (gone.py)"),
        "{out}"
    );
    assert!(lines[2].contains("recorded size 6 B, source 7 B"), "{out}");
    assert_eq!(
        lines[lines.len() - 2],
        "2 findings in 3 caches (2 warnings): 1 fresh, 1 stale, 1 orphan; 339 B in caches, 226 B reclaimable"
    );
    assert!(lines.last().unwrap().starts_with("Next: "), "{out}");
    assert!(!out.contains('\x1b'), "NO_COLOR is set");
    assert!(
        lines.iter().all(|l| !l.ends_with(' ')),
        "no trailing padding"
    );
}

#[test]
fn colour_is_opt_in_off_a_terminal() {
    let t = mixed();
    assert!(t
        .run(&["--color", "always"])
        .stdout()
        .contains("\x1b[33mstale\x1b[0m"));
    assert!(!t.run(&["--color", "auto"]).stdout().contains('\x1b'));
    assert!(!t
        .run(&["--color", "always", "--format", "json"])
        .stdout()
        .contains('\x1b'));
}
