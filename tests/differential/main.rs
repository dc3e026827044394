//! The suites that run the real interpreters, in one test binary: this module's own
//! differential test and its pycache-prefix half (`prefix`), the tree-wide findings (`tree`),
//! `explain` (`explain`), ghost rows under `--python` (`ghosts`), the marshal validator
//! (`marshal`), the interpreters' installed trees (`installed`), `--verify` (`verify`),
//! `--python` (`running`), the optimisation level (`optimize`), the directory lookup of every
//! running interpreter at every level (`lookup`) and the marshal throughput bench
//! (`marshal_bench`, ignored), sharing the interpreter discovery and helpers in `common`.
//!
//! Differential test: every `python_action` pyc-audit prints must be what the real interpreter
//! does with that cache on `import`.
//!
//! Interpreters are discovered, never configured: every `<pyenv root>/versions/*/bin/python`
//! (`$PYENV_ROOT`, else `pyenv root`, else `$HOME/.pyenv`), then `python3` and `pypy3` on
//! `PATH`, de-duplicated by their real executable. For each one, in its own thread:
//!
//! 1. `harness.py build DIR` (run by that interpreter) writes one scenario per case and
//!    `DIR/cases.json`;
//! 2. `pyc-audit --deep --format json --all --fail-on never DIR` judges the untouched tree;
//! 3. `harness.py observe DIR` imports each case under `python -v` and reports what the
//!    interpreter did with the case's cache: `load`, `recompile`, `fail` or `skip`.
//!
//! For each case, the record whose `path` ends with the case's cache path must carry
//! `python_action == observed`; where Python loaded code whose `V` differs from the source's,
//! the record's severity must be `error`. All disagreements over all interpreters are reported
//! in one table. Under `CI=true` a missing expected interpreter (CPython 2.7, 3.6-3.13, PyPy 3)
//! fails the test; elsewhere it is only reported.

// A test binary exports nothing: `pub` items here are for its sibling modules.
#![allow(unreachable_pub)]

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
mod explain;
mod ghosts;
mod installed;
mod lookup;
mod marshal;
mod marshal_bench;
mod optimize;
mod running;
mod tree;
mod verify;

use common::disagreements::{assert_none, Row};
use common::interpreters::{self, Interpreter};
use common::pythons::python_command;

/// What checking one interpreter gives: its case count and disagreements, or why it could not
/// be checked.
type Outcome = Result<(usize, Vec<Row>), String>;

fn version_key(version: &str) -> (u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Another CPython 3 to write the "foreign magic under this tag" cache: 3.10 (3.11 for 3.10
/// itself), else any CPython 3 of another minor version.
fn other_python(this: &Interpreter, all: &[Interpreter]) -> Option<PathBuf> {
    if version_key(&this.version).0 < 3 {
        return None;
    }
    let candidates: Vec<&Interpreter> = all
        .iter()
        .filter(|i| i.implementation == "CPython" && version_key(&i.version).0 == 3)
        .filter(|i| !(this.implementation == "CPython" && i.version == this.version))
        .collect();
    let preferred = if this.implementation == "CPython" && this.version == "3.10" {
        "3.11"
    } else {
        "3.10"
    };
    candidates
        .iter()
        .find(|i| i.version == preferred)
        .or_else(|| candidates.first())
        .map(|i| i.executable.clone())
}

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/harness.py")
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("null")
}

/// Runs build, audit and observe for one interpreter; returns the case count and the rows.
fn check_interpreter(interp: &Interpreter, other: Option<PathBuf>) -> Outcome {
    let label = interp.label();
    let temp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let root = temp.path().join("cases");

    let mut build = python_command(&interp.executable);
    build.arg(harness()).arg("build").arg(&root);
    match &other {
        Some(path) => build.env("HARNESS_OTHER_PYTHON", path),
        None => build.env_remove("HARNESS_OTHER_PYTHON"),
    };
    let output = build.output().map_err(|e| format!("harness build: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "harness build failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let cases: Value = serde_json::from_slice(
        &std::fs::read(root.join("cases.json")).map_err(|e| format!("cases.json: {e}"))?,
    )
    .map_err(|e| format!("cases.json: {e}"))?;

    // The tool must see the tree before any import touches it, judging it for imports
    // without a pycache prefix, as the observations are made.
    let output = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(["--deep", "--format", "json", "--all", "--fail-on", "never"])
        .arg(&root)
        .env_remove("PYTHONPYCACHEPREFIX")
        .output()
        .map_err(|e| format!("pyc-audit: {e}"))?;
    let report: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "pyc-audit exited {} without a JSON document ({e}); stderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let records = report["findings"].as_array().cloned().unwrap_or_default();

    let output = python_command(&interp.executable)
        .arg(harness())
        .arg("observe")
        .arg(&root)
        .output()
        .map_err(|e| format!("harness observe: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "harness observe failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let observations: Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("observe output: {e}"))?;
    let observations = observations.as_array().cloned().unwrap_or_default();
    let case_count = cases.as_array().map_or(0, Vec::len);
    if observations.len() != case_count {
        return Err(format!(
            "{case_count} cases built, {} observed",
            observations.len()
        ));
    }

    let mut rows = Vec::new();
    for obs in &observations {
        let case = str_field(obs, "case");
        let cache = Path::new(str_field(obs, "cache"));
        let observed = str_field(obs, "observed");
        let evidence = str_field(obs, "evidence");
        let value = &obs["value"];
        let source_value = &obs["source_value"];
        let observed_text = if observed == "load" {
            format!("{observed} (V={value}, source V={source_value})")
        } else {
            format!("{observed} ({evidence})")
        };
        let mut row = |tool: String, reason: String| {
            rows.push(Row {
                interpreter: label.clone(),
                case: case.to_string(),
                tool,
                reason,
                observed: observed_text.clone(),
            });
        };

        let matching: Vec<&Value> = records
            .iter()
            .filter(|r| Path::new(str_field(r, "path")).ends_with(cache))
            .collect();
        let record = match matching.as_slice() {
            [record] => *record,
            [] => {
                row(
                    "no record".into(),
                    format!("no record for {}", cache.display()),
                );
                continue;
            }
            _ => {
                row(
                    "several records".into(),
                    format!("{} records", matching.len()),
                );
                continue;
            }
        };
        let action = str_field(record, "python_action");
        let severity = str_field(record, "severity");
        let tool = format!("{}/{}/{}", str_field(record, "status"), action, severity);
        let reason = str_field(record, "reason").to_string();
        if action != observed {
            row(tool, reason);
        } else if observed == "load"
            && !source_value.is_null()
            && value != source_value
            && severity != "error"
        {
            row(
                tool,
                format!("stale code ran but severity is not error; {reason}"),
            );
        }
    }
    Ok((case_count, rows))
}

#[test]
fn python_action_matches_the_interpreter() {
    let _one = crate::common::one_suite_at_a_time();
    let suite = "differential";
    let run = interpreters::run_each(suite, |interp, all| {
        check_interpreter(interp, other_python(interp, all))
    });
    let mut rows = Vec::new();
    let mut total = 0;
    for (interp, (count, mut found)) in run.results {
        eprintln!(
            "{suite}: {} ({}): {count} cases compared, {} disagreements",
            interp.label(),
            interp.executable.display(),
            found.len()
        );
        total += count;
        rows.append(&mut found);
    }
    eprintln!(
        "{suite}: {} interpreters, {total} cases, {} disagreements",
        run.found,
        rows.len()
    );
    assert_none(&rows, &run.problems);
}

mod prefix;

/// The same comparison with a pycache prefix set (see `prefix`).
#[test]
fn python_action_matches_the_interpreter_with_a_pycache_prefix() {
    let _one = crate::common::one_suite_at_a_time();
    prefix::run();
}
