//! `pyc-audit explain`: exit codes, what a source's caches are, the JSON document, the screen
//! and its colours, and agreement with `check` on the demo tree.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{pep552, Tree, T};

/// A 3.11 cache body written by CPython 3.11 itself (the fixture's `mod_ts`).
fn real_body() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/interpreters/cpython-3.11/__pycache__/mod_ts.cpython-311.pyc");
    fs::read(path).unwrap()[16..].to_vec()
}

/// A 3.11 timestamp cache of a source of `size` bytes: the header, then a real body.
fn cache_311(mtime: u32, size: u32) -> Vec<u8> {
    let mut bytes = pep552(3495, 0, mtime, size)[..16].to_vec();
    bytes.extend(real_body());
    bytes
}

const SRC: &[u8] = b"x = 1\n";
const PYC: &str = "__pycache__/m.cpython-311.pyc";

fn explained(doc: &Value) -> Vec<&Value> {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["caches"].as_array().unwrap())
        .collect()
}

fn rule<'a>(cache: &'a Value, name: &str) -> &'a Value {
    cache["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == name)
        .unwrap_or_else(|| panic!("no rule {name} in {cache:#}"))
}

#[test]
fn a_fresh_cache_exits_0_and_a_stale_one_1() {
    let t = Tree::new()
        .file("m.py", SRC)
        .file(PYC, &cache_311(T as u32, 6));
    let doc = t
        .run(&["explain", "--format", "json", PYC])
        .expect(0)
        .json();
    let cache = explained(&doc)[0];
    assert_eq!(cache["status"], "fresh");
    assert_eq!(cache["python_action"], "load");
    assert!(cache["fix"].is_null());
    assert_eq!(rule(cache, "body")["outcome"], "pass");
    assert_eq!(cache["header_hex"], "a70d0d0a 00000000 00f15365 06000000");
    assert_eq!(cache["magic_writer"], "CPython 3.11");

    let t = t.file("m.py", b"x = 22\n");
    let doc = t
        .run(&["explain", "--format", "json", "m.py"])
        .expect(1)
        .json();
    let cache = explained(&doc)[0];
    assert_eq!(cache["status"], "stale");
    assert_eq!(rule(cache, "size")["outcome"], "fail");
    assert_eq!(rule(cache, "mtime")["outcome"], "pass");
    assert_eq!(rule(cache, "body")["outcome"], "not_reached");
    // The mtime did not show the edit: only a checked-hash cache tells the versions apart.
    assert_eq!(
        cache["fix"]["command"],
        "python3.11 -m compileall -q -f --invalidation-mode checked-hash m.py"
    );
}

#[test]
fn a_source_is_explained_through_every_cache_of_it() {
    let t = Tree::new()
        .file("m.py", SRC)
        .file(PYC, &cache_311(T as u32, 6))
        .file(
            "__pycache__/m.cpython-311.opt-2.pyc",
            &cache_311(T as u32 - 5, 6),
        )
        .file("__pycache__/m.cpython-312-pytest-8.3.5.pyc", b"")
        .file("__pycache__/other.cpython-311.pyc", &cache_311(T as u32, 6))
        .file("m.pyc", &cache_311(T as u32, 6));
    let doc = t
        .run(&["explain", "--format", "json", "m.py"])
        .expect(1)
        .json();
    let file = &doc["files"][0];
    assert_eq!(
        (file["kind"].as_str(), file["exists"].as_bool()),
        (Some("source"), Some(true))
    );
    let by_path: BTreeMap<&str, &Value> = explained(&doc)
        .into_iter()
        .map(|c| (c["path"].as_str().unwrap(), c))
        .collect();
    let paths: Vec<&str> = by_path.keys().copied().collect();
    assert_eq!(
        paths,
        [
            "__pycache__/m.cpython-311.opt-2.pyc",
            "__pycache__/m.cpython-311.pyc",
            "__pycache__/m.cpython-312-pytest-8.3.5.pyc",
            "m.pyc"
        ]
    );
    let opt2 = by_path["__pycache__/m.cpython-311.opt-2.pyc"];
    assert_eq!(
        (opt2["status"].as_str(), opt2["python_action"].as_str()),
        (Some("stale"), Some("skip"))
    );
    assert_eq!(rule(opt2, "lookup")["outcome"], "fail");
    assert_eq!(opt2["fix"]["command"], "python3.11 -OO -m py_compile m.py");
    let legacy = by_path["m.pyc"];
    assert_eq!(legacy["python_action"], "skip");
    assert!(
        legacy["fix"].is_null(),
        "fresh, even if never read: {legacy:#}"
    );
    let pytest = by_path["__pycache__/m.cpython-312-pytest-8.3.5.pyc"];
    assert_eq!(pytest["status"], "corrupt");
    assert_eq!(
        pytest["fix"]["command"],
        "rm __pycache__/m.cpython-312-pytest-8.3.5.pyc"
    );
}

#[test]
fn sources_without_caches_and_deleted_sources() {
    let t = Tree::new()
        .file("lonely.py", SRC)
        .file("__pycache__/gone.cpython-311.pyc", &cache_311(T as u32, 6));
    let run = t.run(&["explain", "lonely.py"]);
    run.expect(0);
    assert!(
        run.stdout().starts_with("lonely.py: no caches"),
        "{}",
        run.stdout()
    );
    let doc = t
        .run(&["explain", "--format", "json", "gone.py"])
        .expect(1)
        .json();
    assert_eq!(doc["files"][0]["exists"], false);
    let gone = explained(&doc)[0];
    assert_eq!(
        (gone["status"].as_str(), gone["python_action"].as_str()),
        (Some("orphan"), Some("skip"))
    );
    assert_eq!(rule(gone, "source")["outcome"], "fail");
    assert_eq!(
        gone["fix"]["command"],
        "rm __pycache__/gone.cpython-311.pyc"
    );
}

#[test]
fn files_that_cannot_be_explained_exit_2_and_the_rest_still_is() {
    let t = Tree::new()
        .file("m.py", SRC)
        .file(PYC, &cache_311(T as u32, 6))
        .dir("pkg.py")
        .dir("__pycache__/d.cpython-311.pyc")
        .file("d.py", SRC)
        .symlink("__pycache__/s.cpython-311.pyc", "nowhere.pyc")
        .file("s.py", SRC);
    for args in [
        &["nope.py"][..],
        &["nope.pyc"],
        &["pkg.py"],
        &["d.py"],
        &["__pycache__/s.cpython-311.pyc"],
    ] {
        let mut all = vec!["explain", "--format", "json", PYC];
        all.extend_from_slice(args);
        let run = t.run(&all);
        run.expect(2);
        let doc = run.json();
        assert_eq!(explained(&doc)[0]["status"], "fresh", "{args:?}");
        assert!(
            run.stderr().starts_with("pyc-audit: "),
            "{args:?}: {}",
            run.stderr()
        );
    }
    let doc = t.run(&["explain", "--format", "json", "s.py"]).json();
    let dangling = explained(&doc)[0];
    assert_eq!(dangling["status"], "unreadable");
    assert_eq!(
        dangling["fix"]["command"],
        "rm __pycache__/s.cpython-311.pyc"
    );
    let doc = t.run(&["explain", "--format", "json", "d.py"]).json();
    let directory = explained(&doc)[0];
    assert!(directory["fix"]["command"].is_null(), "{directory:#}");
    let doc = t.run(&["explain", "--format", "json", "nope.py"]).json();
    assert!(doc["files"][0]["error"].is_string());
    assert_eq!(doc["summary"]["errors"], 1);
}

#[test]
fn a_body_that_does_not_unmarshal_behind_an_accepted_header_fails_the_import() {
    let mut cut = cache_311(T as u32, 6);
    cut.truncate(16 + real_body().len() / 2);
    let t = Tree::new().file("m.py", SRC).file(PYC, &cut);
    let doc = t
        .run(&["explain", "--format", "json", PYC])
        .expect(1)
        .json();
    let cache = explained(&doc)[0];
    assert_eq!(
        (
            cache["status"].as_str(),
            cache["python_action"].as_str(),
            cache["severity"].as_str()
        ),
        (Some("corrupt"), Some("fail"), Some("error"))
    );
    let body = rule(cache, "body");
    assert_eq!(body["outcome"], "fail");
    assert!(
        body["detail"].as_str().unwrap().contains("file offset"),
        "{body}"
    );
    assert_eq!(cache["fix"]["command"], "python3.11 -m py_compile m.py");
}

#[test]
fn the_screen_shows_verdict_rules_and_fix_and_colours_only_when_asked() {
    let t = Tree::new()
        .file("m.py", b"x = 22\n")
        .file(PYC, &cache_311(T as u32 - 5, 6));
    let plain = t.run(&["explain", PYC]).expect(1).stdout();
    for line in [
        "__pycache__/m.cpython-311.pyc\n",
        "  STALE · Python 3.11 recompiles the source · warning\n",
        "    magic    3495, CPython 3.11\n",
        "    mtime    1699999995 = 2023-11-14 22:13:15 UTC\n",
        "    ✓ magic        3495 (a7 0d 0d 0a) is one Python 3.11 writes\n",
        "    ✗ mtime        recorded 1699999995",
        "    · body         not reached\n",
        "  fix        python3.11 -m py_compile m.py\n",
        "1 finding in 1 cache (1 warning): 1 stale; ",
    ] {
        assert!(plain.contains(line), "no {line:?} in\n{plain}");
    }
    assert!(!plain.contains('\x1b'));
    let colored = t.run(&["explain", "--color", "always", PYC]).stdout();
    assert!(colored.contains("\x1b[1;33mSTALE\x1b[0m"), "{colored}");
    let json = t.run(&["explain", "--color", "always", "--format", "json", PYC]);
    assert!(!json.stdout().contains('\x1b'));
}

/// Every cache of the demo tree: explain's verdict is check's, field for field.
#[test]
fn explain_agrees_with_check_on_the_demo() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
            .args(args)
            .current_dir(&demo)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let checked = run(&["--deep", "--format", "json", "--all", "."]);
    let records: Vec<&Value> = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "cache")
        .collect();
    let paths: Vec<&str> = records
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let mut args = vec!["explain", "--format", "json"];
    args.extend(&paths);
    let doc = run(&args);
    let caches = explained(&doc);
    assert_eq!(caches.len(), records.len());
    for (record, cache) in records.iter().zip(caches) {
        for (field, value) in record.as_object().unwrap() {
            assert_eq!(&cache[field], value, "{field} of {}", record["path"]);
        }
        assert_eq!(cache["rules"].as_array().unwrap().len(), 13);
    }
}

/// The record `check --deep` gives one cache of the tree.
fn checked_deep(t: &Tree, path: &str) -> Value {
    let doc = t.run(&["--deep", "--format", "json", "--all", "."]).json();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)
        .cloned()
        .unwrap_or_else(|| panic!("no {path} in {doc:#}"))
}

fn verdict_of(v: &Value) -> [&Value; 4] {
    [
        &v["status"],
        &v["python_action"],
        &v["severity"],
        &v["reason"],
    ]
}

#[test]
fn trailing_bytes_behind_a_fresh_cache_are_told_as_check_deep_tells_them() {
    let mut bytes = cache_311(T as u32, 6);
    bytes.extend_from_slice(b"\0\0\0\0");
    let t = Tree::new().file("m.py", SRC).file(PYC, &bytes);
    let checked = checked_deep(&t, PYC);
    assert_eq!(
        (
            checked["status"].as_str(),
            checked["python_action"].as_str()
        ),
        (Some("corrupt"), Some("load"))
    );
    assert!(checked["reason"]
        .as_str()
        .unwrap()
        .contains("4 trailing bytes follow the code object"));
    let doc = t
        .run(&["explain", "--format", "json", PYC])
        .expect(1)
        .json();
    let cache = explained(&doc)[0];
    assert_eq!(verdict_of(cache), verdict_of(&checked));
    let body = rule(cache, "body");
    assert_eq!(body["outcome"], "warning");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("4 trailing bytes"),
        "{body}"
    );
    // Marshal stops at the end of the code object: Python loads it, and it is the source's.
    let on_import = cache["on_import"].as_str().unwrap();
    assert!(
        on_import.contains("ignores the bytes after it"),
        "{on_import}"
    );
    assert!(!on_import.contains("without comparing"), "{on_import}");
}

#[test]
fn a_huge_cache_is_read_only_as_far_as_its_code_object() {
    let t = Tree::new()
        .file("m.py", SRC)
        .file(PYC, &cache_311(T as u32, 6));
    // A sparse 64 GiB file: a code object, then zeros. Explain walks the body as `check
    // --deep` does, only as far as the code object goes, and says what it says.
    fs::OpenOptions::new()
        .write(true)
        .open(t.path(PYC))
        .unwrap()
        .set_len(64 << 30)
        .unwrap();
    let checked = checked_deep(&t, PYC);
    let doc = t
        .run(&["explain", "--format", "json", PYC])
        .expect(1)
        .json();
    let cache = explained(&doc)[0];
    assert_eq!(cache["file_size"], 64_u64 << 30);
    assert_eq!(verdict_of(cache), verdict_of(&checked));
    assert_eq!(rule(cache, "body")["outcome"], "warning");
    assert_eq!(cache["status"], "corrupt");
}

/// Runs `explain --format json` in the tree as a user its permissions apply to: `nobody` (via
/// `setpriv`) when the tests run as root, else the current user. `None` when root cannot drop
/// its privileges here.
fn explain_unprivileged(t: &Tree, args: &[&str]) -> Option<Value> {
    use std::os::unix::fs::MetadataExt;
    let bin = env!("CARGO_BIN_EXE_pyc-audit");
    let mut command = if fs::metadata("/proc/self").ok()?.uid() == 0 {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        std::process::Command::new(bin)
    };
    let output = command
        .args(["explain", "--format", "json"])
        .args(args)
        .current_dir(t.path(""))
        .env_clear()
        .output()
        .ok()?;
    serde_json::from_slice(&output.stdout).ok()
}

#[test]
fn an_unreadable_file_gets_the_fix_its_error_calls_for() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |t: &Tree, rel: &str, mode: u32| {
        fs::set_permissions(t.path(rel), fs::Permissions::from_mode(mode)).unwrap();
    };
    // A checked-hash cache whose source cannot be read, and a cache that cannot be read.
    let t = Tree::new()
        .file("m.py", SRC)
        .file(PYC, &pep552(3495, 3, 1, 2))
        .file("n.py", SRC)
        .file("__pycache__/n.cpython-311.pyc", &cache_311(T as u32, 6));
    mode(&t, "", 0o755);
    mode(&t, "m.py", 0o000);
    mode(&t, "__pycache__/n.cpython-311.pyc", 0o000);
    let Some(doc) = explain_unprivileged(&t, &[PYC, "__pycache__/n.cpython-311.pyc"]) else {
        eprintln!("skipped: cannot run explain unprivileged here");
        return;
    };
    let caches = explained(&doc);
    let (source, cache) = (caches[0], caches[1]);
    assert!(
        source["reason"]
            .as_str()
            .unwrap()
            .contains("must read the source to hash it and cannot"),
        "{source:#}"
    );
    assert!(source["fix"]["command"].is_null(), "{source:#}");
    assert_eq!(
        source["fix"]["note"],
        "make m.py readable, then explain again"
    );
    assert_eq!(rule(source, "hash")["outcome"], "fail");
    assert_eq!(
        (cache["status"].as_str(), cache["python_action"].as_str()),
        (Some("unreadable"), Some("recompile"))
    );
    assert_eq!(cache["fix"]["command"], "rm __pycache__/n.cpython-311.pyc");
    assert_eq!(rule(cache, "read")["outcome"], "fail");
}
