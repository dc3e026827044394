//! `--format github` against the workflow-command grammar and `--format sarif` against the
//! OASIS SARIF 2.1.0 schema, on trees with hostile names and on the demo tree.

use std::path::{Path, PathBuf};

use crate::support::{pep552, Tree, T};

/// The official OASIS SARIF 2.1.0 schema (sarif-schema-2.1.0.json, as published), kept in
/// the repository so that `cargo test` validates SARIF from any fresh clone.
fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json")
}

fn sarif_validator() -> jsonschema::Validator {
    let path = schema_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the SARIF schema {}: {e}", path.display()));
    let mut schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The published schema nests `anyOf` (a region needs startLine, charOffset or byteOffset)
    // in the region's `properties`, where it is an invalid property schema, so the meta-schema
    // rejects the whole document. Put it where it was meant to be: that only adds constraints.
    let region = &mut schema["definitions"]["region"];
    let any_of = region["properties"]
        .as_object_mut()
        .and_then(|p| p.remove("anyOf"))
        .expect("the schema's misplaced region anyOf");
    region["anyOf"] = any_of;
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the validator is built for the schema's declared draft"
    );
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    assert!(
        !validator.is_valid(&serde_json::json!({})),
        "an empty document must be rejected, or validation proves nothing"
    );
    validator
}

#[track_caller]
fn assert_valid_sarif(doc: &serde_json::Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

/// Every kind of finding, under names with the characters workflow commands and URIs escape.
fn hostile() -> Tree {
    let tree = Tree::new()
        .fresh_311("ok", b"x = 1\n")
        .file("a,b:c%d.py", b"x = 22\n")
        .file(
            "__pycache__/a,b:c%d.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        )
        .file(
            "sp ace/__pycache__/gone.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        )
        .file("nl\nx.pyc", &pep552(3495, 0, T as u32, 6))
        .file("__pycache__/m.cpython-311.pyc.123", b"")
        .file(
            "p#/__pycache__/__init__.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.pyc");
        std::fs::write(tree.dir.path().join(name), b"junk").unwrap();
    }
    tree
}

/// `::COMMAND file=F,title=T::MESSAGE`: the properties unescaped, or a panic naming the line.
fn parse_command(line: &str) -> (String, String, String, String) {
    let rest = line
        .strip_prefix("::")
        .unwrap_or_else(|| panic!("{line:?}"));
    let (head, message) = rest.split_once("::").unwrap_or_else(|| panic!("{line:?}"));
    let (command, props) = head.split_once(' ').unwrap_or_else(|| panic!("{line:?}"));
    assert!(
        ["error", "warning", "notice"].contains(&command),
        "{line:?}"
    );
    assert!(!message.contains(['\r', '\n']), "{line:?}");
    let mut file = None;
    let mut title = None;
    for prop in props.split(',') {
        let (key, value) = prop.split_once('=').unwrap_or_else(|| panic!("{line:?}"));
        assert!(!value.contains(':'), "{line:?}");
        match key {
            "file" => file = Some(unescape(value)),
            "title" => title = Some(unescape(value)),
            other => panic!("unexpected property {other} in {line:?}"),
        }
    }
    (
        command.to_string(),
        file.unwrap(),
        title.unwrap(),
        unescape(message),
    )
}

fn unescape(s: &str) -> String {
    s.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_lines_follow_the_workflow_command_grammar() {
    let tree = hostile();
    let json = tree.run(&["--format", "json"]).json();
    let findings = json["summary"]["findings"].as_u64().unwrap() as usize;
    let run = tree.run(&["--format", "github"]);
    run.expect(1);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), findings, "one line per finding:\n{out}");
    let parsed: Vec<_> = lines.iter().map(|l| parse_command(l)).collect();
    let stale = parsed
        .iter()
        .find(|(_, _, title, _)| title == "pyc-audit stale")
        .unwrap();
    assert_eq!(stale.0, "warning");
    assert_eq!(stale.1, "a,b:c%d.py", "on the source, which exists");
    assert!(stale.3.starts_with("__pycache__/a,b:c%d.cpython-311.pyc: "));
    let newline = parsed.iter().find(|p| p.1.contains('\n')).unwrap();
    assert_eq!(
        newline.1, "nl\nx.pyc",
        "an orphan's annotation is on the cache"
    );
    let debris = parsed.iter().find(|p| p.2 == "pyc-audit debris").unwrap();
    assert_eq!(debris.0, "notice");
}

#[test]
fn sarif_of_every_finding_kind_is_valid_and_complete() {
    let tree = hostile();
    let run = tree.run(&["--all", "--format", "sarif"]);
    run.expect(1);
    let doc = run.json();
    assert_valid_sarif(&doc);
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(
        !sarif_validator().is_valid(&broken),
        "the validator reaches the results"
    );
    let sarif_run = &doc["runs"][0];
    let base = sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(rule["help"]["text"].is_string());
    }
    let results = sarif_run["results"].as_array().unwrap();
    let json = tree.run(&["--format", "json"]).json();
    assert_eq!(
        results.len() as u64,
        json["summary"]["findings"],
        "fresh caches are no result"
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let location = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uriBaseId"], "%SRCROOT%");
        assert!(!location["uri"].as_str().unwrap().starts_with('/'));
    }
    let stale = results.iter().find(|r| r["ruleId"] == "stale").unwrap();
    assert_eq!(stale["level"], "warning");
    let uri = |l: &serde_json::Value| l["physicalLocation"]["artifactLocation"]["uri"].clone();
    assert_eq!(uri(&stale["locations"][0]), "a%2Cb%3Ac%25d.py");
    assert_eq!(
        uri(&stale["relatedLocations"][0]),
        "__pycache__/a%2Cb%3Ac%25d.cpython-311.pyc"
    );
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(levels.contains(&"note"), "debris is a note: {levels:?}");
    assert!(
        results
            .iter()
            .any(|r| uri(&r["locations"][0]) == "caf%E9.pyc"),
        "a name that is not UTF-8 keeps its bytes"
    );
}

#[test]
fn sarif_of_an_empty_tree_and_of_the_demo_are_valid() {
    let empty = Tree::new().fresh_311("ok", b"x = 1\n");
    let run = empty.run(&["--format", "sarif"]);
    run.expect(0);
    let doc = run.json();
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
    assert_valid_sarif(&doc);

    let demo = std::process::Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(["--no-env", "--no-git", "--format", "sarif", "fixtures/demo"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(demo.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&demo.stdout).unwrap();
    assert_valid_sarif(&doc);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 14);
    let errors = results.iter().filter(|r| r["level"] == "error").count();
    assert_eq!(errors, 3);
}
