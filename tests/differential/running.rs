//! Differential test of `--python`: the interpreters that run a tree decide which caches are
//! read (a tag none of them uses is a `leftover`) and what a sourceless legacy file does (a
//! foreign magic raises `bad magic number`).
//!
//! One tree is built by every interpreter found: each imports `m.py` (writing its own
//! `__pycache__/m.<tag>.pyc`, or Python 2's `m.pyc`) and compiles `o_<n>.py` into a legacy
//! `o_<n>.pyc` whose source is then deleted. Then, for each interpreter R (in its own thread),
//! `pyc-audit --python R` judges the tree and R, under `-v -B`, imports `m` and every `o_<n>`.
//! Every cache of `m` must be `leftover` exactly when R never named it, and the one R reads
//! must be `load`; every `o_<n>.pyc` must be `load` where R imported it and `fail` where the
//! import raised.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::disagreements::{assert_none, Row};
use crate::common::interpreters::{self, Interpreter};
use crate::common::pythons::python_command;

fn python(interp: &Interpreter, dir: &Path, args: &[&str]) -> Result<(bool, String), String> {
    let output = python_command(&interp.executable)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("{}: {e}", interp.label()))?;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// Every interpreter writes its caches into one tree; the legacy orphans it wrote, by module.
fn build(dir: &Path, all: &[Interpreter]) -> Result<Vec<String>, String> {
    std::fs::write(dir.join("m.py"), "V = 1\n").map_err(|e| e.to_string())?;
    let mut orphans = Vec::new();
    for (n, interp) in all.iter().enumerate() {
        python(interp, dir, &["-c", "import m"])?;
        let module = format!("o_{n}");
        let source = format!("{module}.py");
        std::fs::write(dir.join(&source), "V = 2\n").map_err(|e| e.to_string())?;
        let code = format!(
            "import py_compile; py_compile.compile({source:?}, cfile={:?}, doraise=True)",
            format!("{module}.pyc")
        );
        let (ok, err) = python(interp, dir, &["-c", &code])?;
        if !ok {
            return Err(format!("{}: compile: {err}", interp.label()));
        }
        std::fs::remove_file(dir.join(&source)).map_err(|e| e.to_string())?;
        orphans.push(module);
    }
    Ok(orphans)
}

fn audit(dir: &Path, running: &Interpreter) -> Result<Vec<Value>, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args([
            "--format",
            "json",
            "--all",
            "--fail-on",
            "never",
            "--python",
        ])
        .arg(&running.executable)
        .arg(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("no JSON ({e}): {}", String::from_utf8_lossy(&output.stderr)))?;
    Ok(doc["findings"].as_array().cloned().unwrap_or_default())
}

fn field<'a>(rec: &'a Value, key: &str) -> &'a str {
    rec[key].as_str().unwrap_or("null")
}

/// What R did with each cache, against what pyc-audit said.
fn check(interp: &Interpreter, dir: &Path, orphans: &[String]) -> Result<Vec<Row>, String> {
    let records = audit(dir, interp)?;
    let (_, m_err) = python(interp, dir, &["-v", "-B", "-c", "import m"])?;
    let mut rows = Vec::new();
    let mut checked = 0;
    let mut row = |case: String, rec: &Value, observed: String| {
        rows.push(Row {
            interpreter: interp.label(),
            case,
            tool: format!("{}/{}", field(rec, "status"), field(rec, "python_action")),
            reason: field(rec, "reason").to_string(),
            observed,
        })
    };
    for rec in &records {
        let path = PathBuf::from(field(rec, "path"));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let action = field(rec, "python_action");
        if name.starts_with("m.") {
            // -v names a cache it reads ("code object from", "matches").
            let read = m_err.contains(&format!("{name}'")) || m_err.contains(&format!("{name} "));
            let leftover = field(rec, "status") == "leftover";
            let in_pycache = path.parent().is_some_and(|p| p.ends_with("__pycache__"));
            let agrees = match read {
                true => action == "load" && !leftover,
                // A __pycache__ file R never reads has a tag R does not use.
                false => action != "load" && leftover == in_pycache,
            };
            checked += 1;
            if !agrees {
                row(name, rec, format!("-v read it: {read}"));
            }
            continue;
        }
        let module = name.trim_end_matches(".pyc");
        if !orphans.iter().any(|o| o == module) {
            continue;
        }
        let probe = format!("import {module}");
        let (ok, err) = python(interp, dir, &["-B", "-c", &probe])?;
        let observed = if ok { "load" } else { "fail" };
        checked += 1;
        if action != observed {
            let last = err.lines().last().unwrap_or("").to_string();
            row(name, rec, format!("{observed}: {last}"));
        }
    }
    let wanted = orphans.len() * 2;
    if checked < wanted {
        return Err(format!(
            "{checked} caches checked, {wanted} at least expected"
        ));
    }
    Ok(rows)
}

#[test]
fn running_interpreters_decide_what_is_read() {
    let _one = crate::common::one_suite_at_a_time();
    let suite = "running differential";
    let all = interpreters::discover(suite);
    let temp = tempfile::tempdir().unwrap();
    let orphans = match build(temp.path(), &all) {
        Ok(o) => o,
        Err(e) => panic!("{suite}: build: {e}"),
    };
    let run = interpreters::run_each(suite, |interp, _| check(interp, temp.path(), &orphans));
    let mut rows = Vec::new();
    for (interp, mut found) in run.results {
        eprintln!("{suite}: {}: {} disagreements", interp.label(), found.len());
        rows.append(&mut found);
    }
    assert_none(&rows, &run.problems);
}
