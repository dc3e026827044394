//! The config file: `[tool.pyc-audit]` in pyproject.toml or a pyc-audit.toml, found from the
//! current directory upwards; the command line wins; `--config` and `--isolated`; every error
//! names the file, the line and the key, and exits 2.

use crate::support::{finding_paths, pep552, Tree, T};

/// A project with a stale cache (warning), an orphan in `build/`, and a subdirectory to run in.
fn project(config_name: &str, config: &str) -> Tree {
    Tree::new()
        .file(config_name, config.as_bytes())
        .file("pkg/m.py", b"x = 22\n")
        .file(
            "pkg/__pycache__/m.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 1),
        )
        .file(
            "build/__pycache__/gone.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 1),
        )
        .dir("pkg/sub")
}

#[test]
fn pyproject_is_found_from_a_subdirectory() {
    let t = project(
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.pyc-audit]\nformat = \"json\"\nexclude = [\"build\"]\nfail-on = \"error\"\n",
    );
    let run = t.run_in("pkg/sub", &["-v", ".."], &[]);
    run.expect(0); // fail-on error: a stale cache is a warning.
    assert_eq!(
        finding_paths(&run.json()),
        ["../__pycache__/m.cpython-311.pyc"]
    );
    let stderr = run.stderr();
    assert!(
        stderr.contains("pyc-audit: note: using config file") && stderr.contains("pyproject.toml"),
        "{stderr}"
    );
    // Without -v nothing is said.
    assert!(!t
        .run_in("pkg/sub", &[".."], &[])
        .stderr()
        .contains("config file"));
}

#[test]
fn the_command_line_wins() {
    let t = project(
        "pyc-audit.toml",
        "format = \"json\"\nfail-on = \"error\"\nexclude = [\"build\"]\n",
    );
    let run = t.run(&["--fail-on", "warning", "--exclude", "nothing"]);
    run.expect(1);
    assert_eq!(
        run.json()["summary"]["caches"],
        2,
        "--exclude replaces the file's"
    );
    let run = t.run(&["--format", "paths", "--extend-exclude", "pkg"]);
    run.expect(0);
    assert_eq!(
        run.stdout(),
        "",
        "extend-exclude adds to the file's exclude"
    );
}

#[test]
fn the_closest_file_wins_and_dot_file_first() {
    let t = project("pyproject.toml", "[tool.pyc-audit]\nformat = \"json\"\n")
        .file("pkg/pyc-audit.toml", b"format = \"paths\"\n")
        .file("pkg/.pyc-audit.toml", b"format = \"jsonl\"\n");
    let out = t.run_in("pkg/sub", &[".."], &[]).stdout();
    assert!(out.starts_with("{\"path\""), "{out}");
    // A pyproject.toml without the table is passed over.
    let t = project("pyc-audit.toml", "format = \"json\"\n")
        .file("pkg/pyproject.toml", b"[tool.ruff]\nline-length = 100\n");
    t.run_in("pkg/sub", &[".."], &[]).json();
}

#[test]
fn config_names_a_file_and_isolated_reads_none() {
    let t = project("pyc-audit.toml", "format = \"json\"\n")
        .file("other/settings.toml", b"format = \"paths\"\n")
        .file(
            "other/pyproject.toml",
            b"[tool.pyc-audit]\nall = true\nformat = \"jsonl\"\n",
        );
    let paths = t.run(&["--config", "other/settings.toml"]).stdout();
    assert!(paths.contains("__pycache__/m.cpython-311.pyc\n"), "{paths}");
    let lines = t.run(&["--config", "other/pyproject.toml"]).stdout();
    assert!(lines.starts_with("{\"path\""), "{lines}");
    let table = t.run(&["--isolated", "--color", "never"]).stdout();
    assert!(table.contains("STATUS"), "{table}");
    let run = t.run(&["--isolated", "-v"]);
    assert!(
        run.stderr().contains("no config file (--isolated)"),
        "{}",
        run.stderr()
    );
    t.run(&["--isolated", "--config", "pyc-audit.toml"])
        .expect(2);
    let run = t.run(&["--config", "missing.toml"]);
    run.expect(2);
    assert!(run.stderr().contains("missing.toml"), "{}", run.stderr());
}

#[test]
fn a_relative_prefix_is_relative_to_the_file() {
    let t = project(
        "pyc-audit.toml",
        "pycache-prefix = \"pfx\"\nformat = \"json\"\n",
    )
    .dir("pfx");
    let run = t.run_in("pkg/sub", &["--fail-on", "never", "."], &[]);
    let doc = run.json();
    let prefix = doc["summary"]["pycache_prefix"].as_str().unwrap();
    let want = std::fs::canonicalize(t.path("pfx")).unwrap();
    assert_eq!(prefix, want.to_str().unwrap(), "{}", run.stderr());
    assert!(run.stderr().contains("pycache-prefix from the config file"));
}

#[test]
fn clean_reads_its_own_table() {
    let t = project(
        "pyproject.toml",
        "[tool.pyc-audit.clean]\nstatus = [\"orphan\"]\nkeep = [\"build\"]\n",
    );
    let run = t.run(&["clean", "-n", "--format", "json"]);
    let doc = run.json();
    let rows: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert!(
        rows.contains(&("build/__pycache__/gone.cpython-311.pyc", "kept")),
        "{rows:?}"
    );
    assert!(
        !rows.iter().any(|(p, _)| p.starts_with("pkg/")),
        "stale is not selected"
    );
    let run = t.run(&["clean", "-n", "--format", "json", "--status", "stale"]);
    let doc = run.json();
    let stale = crate::support::record(&doc, "pkg/__pycache__/m.cpython-311.pyc");
    assert_eq!(stale["outcome"], "would_remove");
}

#[test]
fn every_error_names_the_file_the_line_and_the_key() {
    let cases = [
        (
            "pyc-audit.toml",
            "deep = true\nfrobnicate = 1\n",
            ":2: key `frobnicate`",
            "unknown field",
        ),
        (
            "pyc-audit.toml",
            "fail-on = \"sometimes\"\n",
            ":1: key `fail-on`",
            "unknown variant",
        ),
        (
            "pyc-audit.toml",
            "\ndeep = \"yes\"\n",
            ":2: key `deep`",
            "invalid type",
        ),
        (
            "pyc-audit.toml",
            "exclude = [\"a[\"]\n",
            ":1: key `exclude`",
            "a[",
        ),
        (
            "pyproject.toml",
            "[tool.pyc-audit]\nformat = \"xml\"\n",
            ":2: key `format`",
            "xml",
        ),
        (
            "pyproject.toml",
            "[tool.pyc-audit.clean]\nstatus = [\"fresh\"]\n",
            ":2: key `status`",
            "fresh",
        ),
        ("pyproject.toml", "[tool.pyc-audit]\nall = \n", ":2:", ""),
        (
            ".pyc-audit.toml",
            "[unknown]\n",
            ":1: key `unknown`",
            "unknown field",
        ),
    ];
    for (name, text, place, what) in cases {
        let t = project(name, text);
        let run = t.run_in("pkg", &[], &[]);
        run.expect(2);
        let stderr = run.stderr();
        assert!(stderr.starts_with("pyc-audit: error: "), "{stderr}");
        assert!(stderr.contains(name), "{text:?}: {stderr}");
        assert!(
            stderr.contains(place) && stderr.contains(what),
            "{text:?}: {stderr}"
        );
        // --isolated never reads it.
        t.run_in("pkg", &["--isolated", "--fail-on", "never"], &[])
            .expect(0);
        for command in ["explain", "clean"] {
            let mut args = vec![command, "-n"];
            if command == "explain" {
                args = vec![command, "m.py"];
            }
            t.run_in("pkg", &args, &[]).expect(2);
        }
    }
}
