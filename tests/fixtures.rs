//! Checks the binary against caches written by the real interpreters.
//!
//! `fixtures/interpreters/` holds, for every interpreter `fixtures/generate.py` found (CPython
//! 2.7 and 3.6-3.13, PyPy 3.9 when it was written), tiny sources and the caches that
//! interpreter itself wrote: timestamp, checked- and unchecked-hash, opt-1/opt-2, `.pyo`,
//! `compileall -b`, `-U`, packages, dotted stems, 2038/2106 mtimes and pytest's rewrite caches.
//! Git does not keep mtimes, so `manifest.json` records the source mtime each cache was
//! compiled against; the tests copy the tree, restore those mtimes with `filetime`, and expect
//! the verdict the generator confirmed with the interpreter. Hash-based caches must also show
//! `recorded.hash == actual.hash`: the tool's own SipHash of the source equals what each
//! interpreter stored, which pins the SipHash variant and key per version.
//!
//! `fixtures/demo/` is the tree the README audits. Its verdicts do not depend on mtimes, so it
//! is audited in place and must match `EXPECTED.json` exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use filetime::FileTime;
use serde_json::Value;

/// Record fields that must equal the manifest entry's field of the same name.
const IDENTITY_FIELDS: [&str; 7] = [
    "implementation",
    "python",
    "magic",
    "tag",
    "layout",
    "opt_level",
    "invalidation",
];

/// Record fields that make up a verdict.
const VERDICT_FIELDS: [&str; 3] = ["status", "python_action", "severity"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The audit of `dir` (run from inside it, so paths are relative): exit code and JSON document.
fn audit(dir: &Path, args: &[&str]) -> (i32, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(args)
        .arg(".")
        .current_dir(dir)
        .env_remove("PYTHONPYCACHEPREFIX")
        .output()
        .expect("run pyc-audit");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let document: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "pyc-audit {args:?} in {} printed no JSON ({e})\n--- stdout\n{stdout}\n--- stderr\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().expect("exit code"), document)
}

/// The records of a JSON document, by path (with `/` separators).
/// Audits a tree with `--all --fail-on never` (so the exit code must be 0) and indexes the
/// records by path.
fn audit_all(root: &Path) -> BTreeMap<String, Value> {
    let (code, document) = audit(root, &["--format", "json", "--all", "--fail-on", "never"]);
    let summary = pretty(&document["summary"]);
    assert_eq!(code, 0, "exit code with --fail-on never\n{summary}");
    records_by_path(&document)
}

fn records_by_path(document: &Value) -> BTreeMap<String, Value> {
    document["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|r| {
            (
                r["path"].as_str().expect("path").replace('\\', "/"),
                r.clone(),
            )
        })
        .collect()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

fn verdict_of(value: &Value) -> Value {
    VERDICT_FIELDS
        .iter()
        .map(|f| (f.to_string(), value[*f].clone()))
        .collect()
}

/// Panics with every problem found, each followed by the offending record.
fn report(problems: Vec<String>, what: &str) {
    if !problems.is_empty() {
        panic!(
            "{} problem(s) {what}:\n\n{}",
            problems.len(),
            problems.join("\n\n")
        );
    }
}

struct Interpreters {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    caches: Vec<Value>,
}

/// A copy of `fixtures/interpreters` with every source's mtime set to the manifest's value.
fn interpreters() -> Interpreters {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("interpreters");
    copy_tree(&fixtures().join("interpreters"), &root);
    let manifest = read_json(&root.join("manifest.json"));
    let caches = manifest["caches"].as_array().expect("caches array").clone();
    assert!(!caches.is_empty(), "the manifest lists no caches");
    for cache in &caches {
        let source = root.join(cache["source"].as_str().expect("source"));
        let mtime = cache["source_mtime"].as_i64().expect("source_mtime");
        filetime::set_file_mtime(&source, FileTime::from_unix_time(mtime, 0))
            .unwrap_or_else(|e| panic!("cannot set the mtime of {}: {e}", source.display()));
    }
    Interpreters {
        _tmp: tmp,
        root,
        caches,
    }
}

/// Compares every manifest entry with its record; `expect_key` names the expected verdict.
fn check_against_manifest(
    caches: &[Value],
    records: &BTreeMap<String, Value>,
    expect_key: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let listed: BTreeSet<&str> = caches.iter().map(|c| c["path"].as_str().unwrap()).collect();
    for path in records.keys().filter(|p| !listed.contains(p.as_str())) {
        problems.push(format!(
            "{path}: not in the manifest\n{}",
            pretty(&records[path])
        ));
    }
    for cache in caches {
        let path = cache["path"].as_str().unwrap();
        let Some(record) = records.get(path) else {
            problems.push(format!("{path}: no record (manifest entry {cache})"));
            continue;
        };
        let mut wrong = Vec::new();
        for field in IDENTITY_FIELDS {
            if record[field] != cache[field] {
                wrong.push(format!(
                    "{field} {} (manifest: {})",
                    record[field], cache[field]
                ));
            }
        }
        if record["source"]
            .as_str()
            .map(|s| s.replace('\\', "/"))
            .as_deref()
            != cache["source"].as_str()
        {
            wrong.push(format!(
                "source {} (manifest: {})",
                record["source"], cache["source"]
            ));
        }
        let want = &cache[expect_key];
        if verdict_of(record) != *want {
            wrong.push(format!("verdict {} (expected {want})", verdict_of(record)));
        }
        wrong.extend(check_values(cache, record, expect_key == "expect"));
        if !wrong.is_empty() {
            let written_by = &cache["written_by"];
            problems.push(format!(
                "{path} (written by {written_by}): {}\n{}",
                wrong.join("; "),
                pretty(record)
            ));
        }
    }
    problems
}

/// The compared values: hashes for hash-based caches, the source's mtime and size.
fn check_values(cache: &Value, record: &Value, pristine: bool) -> Vec<String> {
    let mut wrong = Vec::new();
    let recorded = &record["recorded"];
    let actual = &record["actual"];
    if cache["hash"].is_string() && recorded["hash"] != cache["hash"] {
        wrong.push(format!(
            "recorded.hash {} but the interpreter stored {}",
            recorded["hash"], cache["hash"]
        ));
    }
    if actual.is_null() {
        wrong.push("actual is null although the source exists".to_string());
        return wrong;
    }
    if cache["hash"].is_string() {
        let same = actual["hash"] == recorded["hash"];
        if pristine && !same {
            wrong.push(format!(
                "actual.hash {} differs from the hash the interpreter stored {}: wrong SipHash \
                 variant or key",
                actual["hash"], recorded["hash"]
            ));
        }
        if !pristine && same {
            wrong.push(format!(
                "actual.hash {} unchanged after the edit",
                actual["hash"]
            ));
        }
    }
    if pristine {
        if actual["mtime"] != cache["source_mtime"] {
            wrong.push(format!(
                "actual.mtime {} (source mtime set to {})",
                actual["mtime"], cache["source_mtime"]
            ));
        }
        if actual["size"] != cache["source_size"] {
            wrong.push(format!(
                "actual.size {} (source is {})",
                actual["size"], cache["source_size"]
            ));
        }
    }
    wrong
}

#[test]
fn interpreter_caches_match_their_restored_sources() {
    let tree = interpreters();
    let records = audit_all(&tree.root);
    report(
        check_against_manifest(&tree.caches, &records, "expect"),
        "auditing fixtures/interpreters with the manifest's mtimes",
    );
}

#[test]
fn interpreter_caches_go_stale_when_a_byte_is_appended() {
    let tree = interpreters();
    let sources: BTreeSet<&str> = tree
        .caches
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    for source in sources {
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(tree.root.join(source))
            .unwrap();
        file.write_all(b"\n").unwrap();
    }
    let records = audit_all(&tree.root);
    let mut problems = check_against_manifest(&tree.caches, &records, "expect_after_edit");
    // Independently of the manifest's expectations: nothing may stay fresh after an edit.
    for cache in &tree.caches {
        let path = cache["path"].as_str().unwrap();
        let Some(record) = records.get(path) else {
            continue;
        };
        let status = record["status"].as_str().unwrap_or("");
        let ok = match cache["invalidation"].as_str() {
            Some("unchecked-hash") => verdict_of(record) == cache["expect_after_edit"],
            _ if cache["expect"]["status"] == "mismatch" => status == "mismatch",
            _ => status == "stale",
        };
        if !ok {
            problems.push(format!(
                "{path}: {status} after the source changed\n{}",
                pretty(record)
            ));
        }
    }
    report(problems, "after appending a byte to every source");
}

#[test]
fn demo_matches_expected_verdicts() {
    let demo = fixtures().join("demo");
    let expected = read_json(&demo.join("EXPECTED.json"));
    let expected = expected.as_object().expect("EXPECTED.json is an object");
    let (code, document) = audit(&demo, &["--format", "json", "--all"]);
    let mut records = records_by_path(&document);
    // Whether the demo's sources look clamped depends on the mtimes of the checkout.
    records.retain(|_, r| r["kind"] != "tree");
    let mut problems = Vec::new();
    for (path, record) in &records {
        match expected.get(path) {
            None => problems.push(format!("{path}: not in EXPECTED.json\n{}", pretty(record))),
            Some(want) if verdict_of(record) != *want => problems.push(format!(
                "{path}: got {}, EXPECTED.json says {want}\n{}",
                verdict_of(record),
                pretty(record)
            )),
            Some(_) => {}
        }
    }
    for path in expected.keys().filter(|p| !records.contains_key(*p)) {
        problems.push(format!("{path}: in EXPECTED.json but not reported"));
    }
    report(problems, "auditing fixtures/demo");
    assert_eq!(
        code, 1,
        "exit code for the demo (warnings and errors present)"
    );

    // Without --all, exactly the records with a severity are listed.
    let (code, document) = audit(&demo, &["--format", "json"]);
    assert_eq!(code, 1, "exit code for the demo without --all");
    let mut listed = records_by_path(&document);
    listed.retain(|_, r| r["kind"] != "tree");
    let listed: BTreeSet<String> = listed.into_keys().collect();
    let with_severity: BTreeSet<String> = expected
        .iter()
        .filter(|(_, v)| !v["severity"].is_null())
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(listed, with_severity, "findings listed without --all");
}
