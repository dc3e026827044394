//! No false alarms on real trees: every interpreter's own installed standard library and
//! site-packages (pip, setuptools and whatever else is there), byte-compiled by that
//! interpreter when it was installed, must audit clean with `--deep` (every body walked).
//!
//! Only findings of severity warning or error count: an installed tree may rightly carry an
//! info row (Debian's packages clamp their sources' mtimes, for instance). The test fails if
//! the interpreters found hold fewer than 1,000 caches in all, so it cannot pass by finding
//! nothing to audit.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common::interpreters::{self, Interpreter};
use crate::common::pythons::python_command;

const PATHS: &str = "import sysconfig\n\
    p = sysconfig.get_paths()\n\
    print(p['stdlib'])\n\
    print(p['purelib'])\n";

/// The interpreter's stdlib and site-packages directories (one when nested or equal).
fn trees(interp: &Interpreter) -> Result<Vec<PathBuf>, String> {
    let out = python_command(&interp.executable)
        .args(["-c", PATHS])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let dirs: BTreeSet<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    Ok(dirs
        .iter()
        .filter(|d| !dirs.iter().any(|o| o != *d && d.starts_with(o)))
        .cloned()
        .collect())
}

/// Audits the trees; returns (caches, findings of severity warning or error, as text).
fn audit(interp: &Interpreter, _: &[Interpreter]) -> Result<(usize, Vec<String>), String> {
    let mut caches = 0;
    let mut alarms = Vec::new();
    for tree in trees(interp)? {
        let out = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
            .args([
                "--deep",
                "--no-env",
                "--format",
                "json",
                "--fail-on",
                "never",
            ])
            .arg(&tree)
            .output()
            .map_err(|e| e.to_string())?;
        let doc: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("{}: no JSON ({e})", tree.display()))?;
        caches += doc["summary"]["caches"].as_u64().unwrap_or(0) as usize;
        for r in doc["findings"].as_array().into_iter().flatten() {
            if matches!(r["severity"].as_str(), Some("warning" | "error")) {
                alarms.push(format!("{}: {} {}", r["path"], r["status"], r["reason"]));
            }
        }
    }
    Ok((caches, alarms))
}

#[test]
fn installed_trees_audit_clean() {
    let _one = crate::common::one_suite_at_a_time();
    let run = interpreters::run_each("installed trees", audit);
    let mut total = 0;
    let mut alarms = Vec::new();
    for (interp, (caches, found)) in &run.results {
        eprintln!(
            "installed trees: {}: {caches} caches walked, {} false alarms",
            interp.label(),
            found.len()
        );
        total += caches;
        alarms.extend(found.iter().map(|a| format!("{}: {a}", interp.label())));
    }
    assert!(run.problems.is_empty(), "{}", run.problems.join("\n"));
    assert!(alarms.is_empty(), "false alarms:\n{}", alarms.join("\n"));
    if !run.results.is_empty() {
        assert!(total >= 1000, "only {total} caches found to audit");
    }
}
