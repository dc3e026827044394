//! Differential test of `explain`: what it says the import does, and the fix it prints, are
//! checked against the real interpreters.
//!
//! Interpreters are found as in `main.rs` (every pyenv version, `python3`,
//! `pypy3`). For each, `tests/differential/harness.py` builds its cases twice:
//!
//! 1. On the first tree, `pyc-audit explain --format json` explains every case's cache, then
//!    `harness.py observe` imports each module under `python -v`. Explain's `python_action`
//!    must be what the interpreter did, in every case, including the caches cut behind a
//!    matching header (the body rule sees those); where stale code ran, severity is `error`.
//!    Explain's status, action, severity and reason must also be `check --deep`'s.
//! 2. On the second tree, every fix command explain printed is run with the interpreters'
//!    directories first on `PATH`. Each fixed cache must then be gone (`rm`) or fresh, and a
//!    second `observe` must show each interpreter doing what the new explanation says.

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::interpreters::{self, Interpreter};
use crate::common::pythons::python_command;

/// Another CPython 3 for the harness's "foreign magic under this tag" case.
fn other_python(this: &Interpreter, all: &[Interpreter]) -> Option<PathBuf> {
    all.iter()
        .find(|p| {
            p.implementation == "CPython"
                && p.version.starts_with("3.")
                && p.version != this.version
        })
        .filter(|_| !this.is_py2())
        .map(|p| p.executable.clone())
}

/// `PATH` with every interpreter's directory first, so fix commands find `python3.X`.
fn fix_path(all: &[Interpreter]) -> String {
    let mut dirs: Vec<PathBuf> = all
        .iter()
        .filter_map(|p| p.executable.parent().map(Path::to_path_buf))
        .collect();
    dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn harness(
    python: &Interpreter,
    other: Option<&Path>,
    command: &str,
    root: &Path,
) -> Result<Value, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/harness.py");
    let mut cmd = python_command(&python.executable);
    cmd.arg(script).arg(command).arg(root);
    match other {
        Some(path) => cmd.env("HARNESS_OTHER_PYTHON", path),
        None => cmd.env_remove("HARNESS_OTHER_PYTHON"),
    };
    let output = cmd
        .output()
        .map_err(|e| format!("harness {command}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "harness {command} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if command == "build" {
        let cases = std::fs::read(root.join("cases.json")).map_err(|e| e.to_string())?;
        return serde_json::from_slice(&cases).map_err(|e| e.to_string());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("observe output: {e}"))
}

/// Explains every case's cache, from the tree's root; one explanation per case, by name.
fn explain(root: &Path, cases: &[Value]) -> Result<BTreeMap<String, Value>, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(["explain", "--format", "json"])
        .args(cases.iter().map(|c| c["cache"].as_str().unwrap()))
        .current_dir(root)
        .output()
        .map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "explain printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let files = doc["files"].as_array().cloned().unwrap_or_default();
    let mut by_case = BTreeMap::new();
    for (case, file) in cases.iter().zip(files) {
        if let Some(cache) = file["caches"].get(0) {
            by_case.insert(case["case"].as_str().unwrap().to_string(), cache.clone());
        }
    }
    Ok(by_case)
}

/// `check --deep`'s record of every case's cache must be explain's: status, action, severity
/// and reason. Both run the one evaluator, so this holds by construction; it is checked on
/// every tree this suite builds anyway.
fn agrees_with_check(label: &str, root: &Path, explained: &BTreeMap<String, Value>) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args([
            "--deep",
            "--format",
            "json",
            "--all",
            "--fail-on",
            "never",
            ".",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let checked: BTreeMap<&str, &Value> = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["kind"] == "cache")
        .map(|r| (r["path"].as_str().unwrap_or_default(), r))
        .collect();
    let fields = ["status", "python_action", "severity", "reason"];
    let mut problems = Vec::new();
    for (case, e) in explained {
        let path = e["path"].as_str().unwrap_or_default();
        match checked.get(path) {
            None => problems.push(format!(
                "{label} {case}: check --deep has no record of {path}"
            )),
            Some(c) if fields.iter().any(|f| c[f] != e[f]) => problems.push(format!(
                "{label} {case}: check --deep says {}/{}/{} ({}), explain {}/{}/{} ({})",
                c["status"],
                c["python_action"],
                c["severity"],
                c["reason"],
                e["status"],
                e["python_action"],
                e["severity"],
                e["reason"]
            )),
            Some(_) => {}
        }
    }
    problems
}

fn observed(observations: &Value) -> BTreeMap<String, Value> {
    observations
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| (o["case"].as_str().unwrap().to_string(), o.clone()))
        .collect()
}

/// Explain's action and severity against what the interpreter did; one line per mismatch.
fn compare(label: &str, explained: &BTreeMap<String, Value>, observations: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (case, obs) in observed(observations) {
        let Some(e) = explained.get(&case) else {
            problems.push(format!("{label} {case}: not explained"));
            continue;
        };
        let (action, seen) = (&e["python_action"], &obs["observed"]);
        let stale_ran =
            seen == "load" && !obs["source_value"].is_null() && obs["value"] != obs["source_value"];
        if action != seen || (stale_ran && e["severity"] != "error") {
            problems.push(format!(
                "{label} {case}: explain says {}/{action}/{} ({}); observed {seen} ({})",
                e["status"], e["severity"], e["reason"], obs["evidence"]
            ));
        }
    }
    problems
}

/// Runs every fix command, then checks each fixed cache is gone or fresh.
fn apply_fixes(
    label: &str,
    root: &Path,
    cases: &[Value],
    path: &str,
) -> Result<(usize, Vec<String>), String> {
    let before = explain(root, cases)?;
    let mut problems = Vec::new();
    let mut fixed = 0;
    for (case, e) in &before {
        let Some(command) = e["fix"]["command"].as_str() else {
            continue;
        };
        let mut sh = Command::new("sh");
        sh.args(["-c", command]).current_dir(root).env_clear();
        // As a user's shell would run it, minus PYTHON* settings (see common/pythons.rs).
        sh.envs(env::vars_os().filter(|(k, _)| !k.to_string_lossy().starts_with("PYTHON")));
        let output = sh.env("PATH", path).output().map_err(|e| e.to_string())?;
        fixed += 1;
        if env::var_os("PYC_AUDIT_SHOW_FIXES").is_some() {
            eprintln!("explain differential: {label} {case}: {command}");
        }
        if !output.status.success() {
            problems.push(format!(
                "{label} {case}: `{command}` failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    if fixed == 0 {
        problems.push(format!("{label}: no case had a fix to run"));
    }
    let after = explain(root, cases)?;
    for (case, e) in &before {
        let Some(command) = e["fix"]["command"].as_str() else {
            continue;
        };
        let cache = root.join(e["path"].as_str().unwrap());
        let gone = cache.symlink_metadata().is_err();
        let ok = match (command.starts_with("rm "), after.get(case)) {
            (true, _) => gone,
            (false, Some(now)) => now["status"] == "fresh",
            (false, None) => false,
        };
        if !ok {
            let now = after.get(case).map_or("gone".into(), |n| {
                format!("{}: {}", n["status"], n["reason"])
            });
            problems.push(format!("{label} {case}: after `{command}`: {now}"));
        }
    }
    Ok((fixed, problems))
}

/// Per interpreter: cases compared, fixes run, problems.
type Outcome = Result<(usize, usize, Vec<String>), String>;

fn check(python: &Interpreter, all: &[Interpreter]) -> Outcome {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let other = other_python(python, all);
    let label = &python.label();

    let root = tmp.path().join("observe");
    let cases = harness(python, other.as_deref(), "build", &root)?;
    let cases = cases.as_array().cloned().unwrap_or_default();
    let explained = explain(&root, &cases)?;
    let mut problems = agrees_with_check(label, &root, &explained);
    let observations = harness(python, None, "observe", &root)?;
    problems.extend(compare(label, &explained, &observations));

    let root = tmp.path().join("fix");
    let fix_cases = harness(python, other.as_deref(), "build", &root)?;
    let fix_cases = fix_cases.as_array().cloned().unwrap_or_default();
    let (fixes, found) = apply_fixes(label, &root, &fix_cases, &fix_path(all))?;
    problems.extend(found);
    let existing: Vec<Value> = fix_cases
        .iter()
        .filter(|c| {
            root.join(c["cache"].as_str().unwrap())
                .symlink_metadata()
                .is_ok()
        })
        .cloned()
        .collect();
    let explained = explain(&root, &existing)?;
    let observations = harness(python, None, "observe", &root)?;
    let kept: BTreeSet<&str> = existing
        .iter()
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    let observations: Vec<Value> = observations
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| kept.contains(o["case"].as_str().unwrap()))
        .cloned()
        .collect();
    problems.extend(compare(
        &format!("{label} (after the fixes)"),
        &explained,
        &Value::from(observations),
    ));
    Ok((cases.len(), fixes, problems))
}

#[test]
fn explain_states_what_the_interpreter_does_and_its_fixes_work() {
    let _one = crate::common::one_suite_at_a_time();
    let suite = "explain differential";
    let run = interpreters::run_each(suite, check);
    let mut problems = run.problems;
    for (interp, (cases, fixes, found)) in run.results {
        eprintln!(
            "{suite}: {}: {cases} cases, {fixes} fix commands run, {} problems",
            interp.label(),
            found.len()
        );
        problems.extend(found);
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
