//! Differential test of the tree-wide findings: every ghost, debris and clamped row pyc-audit
//! prints must be what the real interpreter does when it imports that tree, and trees that are
//! healthy by design must get no such row.
//!
//! Interpreters are found as in `main.rs` (see `common/interpreters.rs`). For each
//! one, in its own thread:
//!
//! 1. `tests/tree/harness.py build DIR` (run by that interpreter) builds one tree per case,
//!    `DIR/<case>/`, by importing with that interpreter so that it writes its own caches, then
//!    deletes or alters sources (ghost packages), copies caches to temporary names (debris) or
//!    replaces sources at a clamped mtime; it writes `DIR/cases.json`;
//! 2. `pyc-audit --deep --format json --all --fail-on never DIR/<case>...` judges every case as
//!    a root of its own, with `SOURCE_DATE_EPOCH` set where the case says and removed elsewhere
//!    (`--deep`, as in the core suite: a legacy `__init__.pyc` with a cut body fails only there),
//!    once as the caches' own interpreters see them and once with `--python` naming the
//!    interpreter that built the tree (every check below holds for both);
//! 3. `harness.py observe DIR` imports each case's modules under `python -v` and reports what
//!    happened: `namespace`, `load`, `source`, `fail`, `absent`, `recompile`, `skip` or `read`.
//!
//! Per case: the one row that is not about a cache (kind file, directory or tree) that the case
//! expects must be there, with the expected kind and path, and no other such row. A ghost row's
//! `python_action` must be what `import NAME` did, and its reason must name that import (and say
//! that its modules no longer import only where none of them does). A debris row's must be
//! `skip`, and the interpreter must indeed have ignored the file. A clamped tree's cache must be
//! `fresh` and `load`, the interpreter must have run its old code, and the tree must get one
//! `clamped` row. Every import must also match what the scenario predicts (the claims of the
//! rows' reasons). All disagreements over all interpreters are reported in one table; under
//! `CI=true` a missing expected interpreter fails the test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::disagreements::{assert_none, Row};
use crate::common::interpreters::{self, Interpreter};
use crate::common::pythons::python_command;

/// What checking one interpreter gives: its case and import counts and its disagreements, or
/// why it could not be checked.
type Outcome = Result<(usize, usize, Vec<Row>), String>;

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tree/harness.py")
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("null")
}

/// Runs the harness with one command; stdout on success.
fn run_harness(interp: &Interpreter, command: &str, dir: &Path) -> Result<Vec<u8>, String> {
    let output = python_command(&interp.executable)
        .arg(harness())
        .arg(command)
        .arg(dir)
        .output()
        .map_err(|e| format!("harness {command}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "harness {command} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(output.stdout)
}

/// Runs pyc-audit on the given roots, with `--python` for the interpreter given; every record.
fn audit(
    roots: &[PathBuf],
    epoch: Option<i64>,
    running: Option<&Interpreter>,
) -> Result<Vec<Value>, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
    command.args(["--deep", "--format", "json", "--all", "--fail-on", "never"]);
    if let Some(running) = running {
        command.arg("--python").arg(&running.executable);
    }
    command.args(roots);
    match epoch {
        Some(e) => command.env("SOURCE_DATE_EPOCH", e.to_string()),
        None => command.env_remove("SOURCE_DATE_EPOCH"),
    };
    let output = command.output().map_err(|e| format!("pyc-audit: {e}"))?;
    let report: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "pyc-audit exited {} without a JSON document ({e}); stderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    Ok(report["findings"].as_array().cloned().unwrap_or_default())
}

/// One case's rows and what the interpreter did with its imports.
struct Case<'a> {
    spec: &'a Value,
    root: PathBuf,
    /// Records under the case's root.
    records: Vec<&'a Value>,
    /// Observations of the case's imports, in the harness's order.
    imports: Vec<&'a Value>,
}

impl Case<'_> {
    fn name(&self) -> &str {
        text(self.spec, "case")
    }

    /// The case's rows that are not about a cache.
    fn tree_rows(&self) -> Vec<&Value> {
        self.records
            .iter()
            .copied()
            .filter(|r| text(r, "kind") != "cache")
            .collect()
    }

    fn record_at(&self, path: &Path) -> Option<&Value> {
        self.records
            .iter()
            .copied()
            .find(|r| Path::new(text(r, "path")) == path)
    }

    /// A path as the table shows it: from the case's own directory on.
    fn shown(&self, path: &Path) -> String {
        let base = self.root.parent().unwrap_or(&self.root);
        path.strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn target(&self) -> PathBuf {
        self.root.join(text(self.spec, "target"))
    }
}

/// One disagreement of a case: what the tool said, its reason, what was observed.
type Issue = (String, String, String);

fn tool(record: &Value) -> String {
    format!(
        "{} {}/{}/{}",
        text(record, "kind"),
        text(record, "status"),
        text(record, "python_action"),
        text(record, "severity")
    )
}

fn observed(obs: &Value) -> String {
    format!(
        "import {}: {} ({}; V={}, source V={})",
        text(obs, "module"),
        text(obs, "observed"),
        text(obs, "evidence"),
        obs["value"],
        obs["source_value"]
    )
}

/// The disagreements of one case.
fn judge(case: &Case) -> Vec<Issue> {
    let first = case.imports.first().copied().unwrap_or(&Value::Null);
    let mut out = scenario(case);
    if text(case.spec, "check") == "shadowed" {
        out.extend(shadowed_cache(case, first));
    }
    let kind = case.spec["kind"].as_str();
    let want_path = match text(case.spec, "check") {
        "clamped" => case.root.clone(),
        _ => case.target(),
    };
    let (found, extra): (Vec<&Value>, Vec<&Value>) = case
        .tree_rows()
        .into_iter()
        .partition(|r| Some(text(r, "kind")) == kind && Path::new(text(r, "path")) == want_path);
    for r in extra {
        let reason = text(r, "reason");
        let at = case.shown(Path::new(text(r, "path")));
        out.push((
            format!("extra {}", tool(r)),
            format!("{at}: {reason}"),
            observed(first),
        ));
    }
    match (found.as_slice(), kind) {
        ([row], Some(_)) => out.extend(row_issues(case, row, first)),
        ([], None) => {}
        (_, kind) => out.push((
            format!("{} {} rows", found.len(), kind.unwrap_or("tree-wide")),
            format!("want one at {}", case.shown(&want_path)),
            observed(first),
        )),
    }
    out
}

/// Each import must be what the case's scenario predicts.
fn scenario(case: &Case) -> Vec<Issue> {
    let mut out = Vec::new();
    for obs in &case.imports {
        let expect = obs["expect"].as_array().cloned().unwrap_or_default();
        if !expect
            .iter()
            .any(|e| e.as_str() == Some(text(obs, "observed")))
        {
            let want = format!("expected {}", Value::Array(expect));
            out.push(("scenario".into(), want, observed(obs)));
        }
    }
    out
}

/// The expected row's status, action, severity and (for a ghost) reason.
fn row_issues(case: &Case, row: &Value, first: &Value) -> Vec<Issue> {
    let (status, action) = (text(row, "status"), text(row, "python_action"));
    let reason = text(row, "reason");
    let check = text(case.spec, "check");
    let mut out = Vec::new();
    let want_action = match check {
        "clamped" => {
            out.extend(clamped_cache(case, first));
            "load"
        }
        _ => text(first, "observed"),
    };
    if check == "ghost" {
        out.extend(ghost_reason(case, row, first));
    }
    if status != check || action != want_action || text(row, "severity") != severity(check, action)
    {
        out.push((tool(row), reason.into(), observed(first)));
    }
    out
}

/// A ghost's reason names the import that behaves so (`import pkg.sub`, not `import sub`), and
/// says that its modules no longer import only if none of them does.
fn ghost_reason(case: &Case, row: &Value, first: &Value) -> Vec<Issue> {
    let reason = text(row, "reason");
    let module = text(first, "module");
    let mut out = Vec::new();
    if !reason.contains(&format!("`import {module}`")) {
        out.push((tool(row), reason.into(), observed(first)));
    }
    let inside = format!("{module}.");
    let imported = |o: &&&Value| {
        text(o, "module").starts_with(&inside) && matches!(text(o, "observed"), "load" | "source")
    };
    if reason.contains("modules no longer import") {
        if let Some(obs) = case.imports.iter().find(imported) {
            out.push((tool(row), reason.into(), observed(obs)));
        }
    }
    out
}

/// The severity the README gives a tree-wide finding.
fn severity(status: &str, action: &str) -> &'static str {
    match (status, action) {
        ("ghost", "namespace") => "warning",
        ("ghost", _) => "error",
        _ => "info",
    }
}

/// A clamped case's cache must be judged fresh and loaded, and the interpreter must have run
/// its old code (else the scenario shows nothing).
fn clamped_cache(case: &Case, first: &Value) -> Option<Issue> {
    let cache = case.target();
    let stale_code_ran =
        text(first, "observed") == "load" && first["value"] != first["source_value"];
    match case.record_at(&cache) {
        Some(r) if text(r, "status") == "fresh" && text(r, "python_action") == "load" => {
            (!stale_code_ran).then(|| (tool(r), "old code did not run".into(), observed(first)))
        }
        Some(r) => Some((tool(r), text(r, "reason").into(), observed(first))),
        None => Some(("no record".into(), case.shown(&cache), observed(first))),
    }
}

/// A shadowed case's cache must be `skip`, its reason naming what the import finds instead.
fn shadowed_cache(case: &Case, first: &Value) -> Option<Issue> {
    let cache = case.target();
    match case.record_at(&cache) {
        Some(r) if text(r, "python_action") == "skip" && text(r, "reason").contains("finds") => {
            None
        }
        Some(r) => Some((tool(r), text(r, "reason").into(), observed(first))),
        None => Some(("no record".into(), case.shown(&cache), observed(first))),
    }
}

/// Builds, audits and observes with one interpreter.
fn check_interpreter(interp: &Interpreter) -> Outcome {
    let temp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let dir = temp.path().join("trees");
    run_harness(interp, "build", &dir)?;
    let cases: Value = serde_json::from_slice(
        &std::fs::read(dir.join("cases.json")).map_err(|e| format!("cases.json: {e}"))?,
    )
    .map_err(|e| format!("cases.json: {e}"))?;
    let cases = cases.as_array().cloned().unwrap_or_default();

    // One run per SOURCE_DATE_EPOCH value, before any import touches the trees.
    let mut by_epoch: BTreeMap<Option<i64>, Vec<PathBuf>> = BTreeMap::new();
    for case in &cases {
        by_epoch
            .entry(case["epoch"].as_i64())
            .or_default()
            .push(dir.join(text(case, "case")));
    }
    // Each case is judged twice: as the caches' own interpreters see it, and with the
    // interpreter that built it as the one that runs the tree (`--python`).
    let mut runs: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
    for (epoch, roots) in &by_epoch {
        runs[0].extend(audit(roots, *epoch, None)?);
        runs[1].extend(audit(roots, *epoch, Some(interp))?);
    }

    let observations: Value = serde_json::from_slice(&run_harness(interp, "observe", &dir)?)
        .map_err(|e| format!("observe output: {e}"))?;
    let observations = observations.as_array().cloned().unwrap_or_default();
    let imports: usize = cases
        .iter()
        .map(|c| c["imports"].as_array().map_or(0, Vec::len))
        .sum();
    if observations.len() != imports {
        return Err(format!(
            "{imports} imports listed, {} observed",
            observations.len()
        ));
    }

    let mut rows = Vec::new();
    for (records, how) in runs.iter().zip(["", " --python"]) {
        for spec in &cases {
            let root = dir.join(text(spec, "case"));
            let case = Case {
                spec,
                records: records
                    .iter()
                    .filter(|r| Path::new(text(r, "path")).starts_with(&root))
                    .collect(),
                imports: observations
                    .iter()
                    .filter(|o| text(o, "case") == text(spec, "case"))
                    .collect(),
                root,
            };
            for (tool, reason, observed) in judge(&case) {
                rows.push(Row {
                    interpreter: interp.label(),
                    case: format!("{}{how}", case.name()),
                    tool,
                    reason,
                    observed,
                });
            }
        }
    }
    Ok((cases.len(), imports, rows))
}

#[test]
fn tree_findings_match_the_interpreter() {
    let _one = crate::common::one_suite_at_a_time();
    let suite = "tree differential";
    let run = interpreters::run_each(suite, |interp, _| check_interpreter(interp));
    let mut rows = Vec::new();
    let (mut total_cases, mut total_imports) = (0, 0);
    for (interp, (cases, imports, mut found)) in run.results {
        eprintln!(
            "{suite}: {} ({}): {cases} cases, {imports} imports observed, {} disagreements",
            interp.label(),
            interp.executable.display(),
            found.len()
        );
        total_cases += cases;
        total_imports += imports;
        rows.append(&mut found);
    }
    eprintln!(
        "{suite}: {} interpreters, {total_cases} cases, {total_imports} imports, {} \
         disagreements",
        run.found,
        rows.len()
    );
    assert_none(&rows, &run.problems);
}
