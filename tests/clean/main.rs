//! Integration tests of `pyc-audit clean`: trees built by every real interpreter (`real`,
//! `recompile`), the safety rules on hand-made trees (`safety`), and a cache rewritten between
//! the audit and its removal (`race`).

// A test binary exports nothing: `pub` items here are for its sibling modules.
#![allow(unreachable_pub)]

#[allow(dead_code)]
#[path = "../cli/support.rs"]
mod support;

#[allow(dead_code)] // the optimisation helpers are the interpreter suites'
#[path = "../differential/common/pythons.rs"]
mod pythons;

#[path = "../differential/common/interpreters.rs"]
mod interpreters;

mod consistency;
mod race;
mod real;
mod recompile;
mod safety;
mod snapshot;
mod swap;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use interpreters::Interpreter;

/// Returns early from a check with a formatted error.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Runs `check` for every interpreter in its own thread and fails with every problem at once;
/// under CI a missing expected interpreter is a problem too.
pub fn for_each(suite: &str, check: impl Fn(&Interpreter) -> Result<(), String> + Sync) {
    let run = interpreters::run_each(suite, |interp, _| check(interp));
    for (interp, ()) in &run.results {
        let executable = interp.executable.display();
        eprintln!("{suite}: {} ({executable}): ok", interp.label());
    }
    assert!(run.problems.is_empty(), "\n{}", run.problems.join("\n"));
}

/// Runs the binary with NO_COLOR set and the rest of the environment kept (`--recompile`
/// needs PATH and pyenv to find interpreters).
pub fn pyc_audit(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(args)
        .args(paths)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The exit code and the JSON document of a run, or why there is none.
pub fn json_run(args: &[&str], paths: &[&Path]) -> Result<(i32, Value), String> {
    let out = pyc_audit(args, paths);
    let code = out.status.code().unwrap_or(-1);
    let doc = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "pyc-audit {args:?} exited {code} without JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    Ok((code, doc))
}

/// The rows (or records) of a JSON document.
pub fn rows(doc: &Value) -> &[Value] {
    doc["findings"].as_array().map_or(&[], Vec::as_slice)
}

/// The paths of the rows with this outcome, relative to `root`.
pub fn with_outcome(doc: &Value, outcome: &str, root: &Path) -> BTreeSet<PathBuf> {
    rows(doc)
        .iter()
        .filter(|r| r["outcome"] == outcome)
        .map(|r| relative(r, root))
        .collect()
}

/// A row's path relative to `root`.
pub fn relative(row: &Value, root: &Path) -> PathBuf {
    let path = Path::new(row["path"].as_str().unwrap_or_default());
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Runs `tree.py` with an interpreter; its JSON output.
pub fn tree_py(python: &Path, args: &[&std::ffi::OsStr]) -> Result<Value, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clean/tree.py");
    let out = pythons::python_command(python)
        .arg(script)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    ensure!(
        out.status.success(),
        "tree.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).map_err(|e| format!("tree.py output: {e}"))
}
