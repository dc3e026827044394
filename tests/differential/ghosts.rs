//! Differential test of ghost rows under `--python`: a ghost directory's row, and each running
//! interpreter's action in it (`by_python`, or the row's own with one), must be what that
//! interpreter's `import pkg` does.
//!
//! Every interpreter found builds, in a tree of its own, the ways a package leaves caches
//! behind: every source deleted with the caches left in `__pycache__` (`sources_gone`), the
//! same with a module `pkg.py` beside the directory (`beside`), or an extension module with
//! the builder's first suffix (`beside_ext`, an empty file: the interpreters that load that
//! suffix find it and fail on it, which is `skip` for the directory), `__init__.py` alone deleted
//! (`init_gone`), and a legacy `__init__.pyc` written by it and left without its source
//! (`legacy_init`; Python 2 writes only legacy files, so it builds only that case, and the same
//! written under `-O`, `legacy_init_pyo`). Then every case is audited with each interpreter
//! alone as `--python`, and with Python 2 and each Python 3 together, at `--optimize 0` and 1;
//! each interpreter imports `pkg` (under `-B`, and `-O` for level 1) in every case. Per case,
//! level and running set, the tool's action for each running interpreter (`skip` where there is
//! no row) must be the observed one: `namespace` (no `__file__`), `load` (`__file__` a `.pyc`
//! or `.pyo`), `fail` (any error but "No module named"), or `skip` ("No module named", or a
//! source imported).
//!
//! A directory whose only leftover is a legacy file none of the running interpreters opens is
//! no ghost (Python 3 gives it the namespace package any directory gives), so the `.pyo` case is
//! compared only under `-O` and with Python 2 running.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::disagreements::{assert_none, Row};
use crate::common::interpreters::{self, Interpreter};

/// Prints, as JSON, what `import pkg` gave; valid Python 2 and 3.
const PROBE: &str = "import json, sys\n\
try:\n    import pkg\n    out = {'ok': True, 'file': getattr(pkg, '__file__', None)}\n\
except Exception as e:\n    out = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}\n\
sys.stdout.write(json.dumps(out) + '\\n')\n";

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| e.to_string())
}

fn remove(path: &Path) -> Result<(), String> {
    std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `pkg/__init__.py` and `pkg/mod.py`.
fn package(case: &Path) -> Result<(), String> {
    write(&case.join("pkg/__init__.py"), "INIT = 1\n")?;
    write(&case.join("pkg/mod.py"), "V = 1\n")
}

/// The cases one interpreter builds, as directories of `dir`.
fn build(interp: &Interpreter, n: usize, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut cases = Vec::new();
    let case = |name: &str| dir.join(format!("{n}_{name}"));
    if !interp.is_py2() {
        let suffix = interp.run_in(
            dir,
            &[
                "-c",
                "import importlib.machinery as m; print(m.EXTENSION_SUFFIXES[0])",
            ],
        )?;
        for name in ["sources_gone", "beside", "beside_ext", "init_gone"] {
            let root = case(name);
            package(&root)?;
            interp.run_in(&root, &["-c", "import pkg.mod"])?;
            remove(&root.join("pkg/__init__.py"))?;
            if name != "init_gone" {
                remove(&root.join("pkg/mod.py"))?;
            }
            if name == "beside" {
                write(&root.join("pkg.py"), "V = 2\n")?;
            }
            if name == "beside_ext" {
                write(&root.join(format!("pkg{}", suffix.trim())), "")?;
            }
            cases.push(root);
        }
    }
    let root = case("legacy_init");
    package(&root)?;
    let compile = "import py_compile; \
                   py_compile.compile('pkg/__init__.py', cfile='pkg/__init__.pyc', doraise=True)";
    interp.run_in(&root, &["-B", "-c", compile])?;
    remove(&root.join("pkg/__init__.py"))?;
    cases.push(root);
    if interp.is_py2() {
        let root = case("legacy_init_pyo");
        package(&root)?;
        interp.run_in(&root, &["-O", "-c", "import pkg"])?;
        remove(&root.join("pkg/__init__.py"))?;
        cases.push(root);
    }
    Ok(cases)
}

/// What `import pkg` did in `case`, as an action, and the evidence.
fn observe(interp: &Interpreter, case: &Path, level: u8) -> Result<(String, String), String> {
    let flags: &[&str] = if level == 0 { &["-B"] } else { &["-B", "-O"] };
    let out = interp.run_in(case, &[flags, &["-c", PROBE]].concat())?;
    let line = out.lines().rfind(|l| l.starts_with('{')).unwrap_or("{}");
    let result: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let error = result["error"].as_str().unwrap_or("");
    let file = result["file"].as_str();
    let action = match (result["ok"].as_bool(), file) {
        (Some(true), None) => "namespace",
        (Some(true), Some(f)) if f.ends_with(".pyc") || f.ends_with(".pyo") => "load",
        (Some(true), Some(_)) => "skip",
        _ if error.contains("No module named") => "skip",
        // The extension module beside the directory was found (and is empty).
        _ if error.contains(".so: ") => "skip",
        _ => "fail",
    };
    Ok((action.into(), format!("{error}{}", file.unwrap_or(""))))
}

/// Every record of `pyc-audit --optimize LEVEL --python R...` over all the cases.
fn audit(running: &[&Interpreter], cases: &[PathBuf], level: u8) -> Result<Vec<Value>, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
    command.args(["--format", "json", "--all", "--fail-on", "never"]);
    command.arg("--optimize").arg(level.to_string());
    for r in running {
        command.arg("--python").arg(&r.executable);
    }
    let output = command
        .args(cases)
        .env_remove("PYTHONOPTIMIZE")
        .output()
        .map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("no JSON ({e}): {}", String::from_utf8_lossy(&output.stderr)))?;
    Ok(doc["findings"].as_array().cloned().unwrap_or_default())
}

/// The running sets: each interpreter alone, and Python 2 with each Python 3 (one of each
/// version: `--python` drops an interpreter with the tag and magic of an earlier one).
fn running_sets(all: &[Interpreter]) -> Vec<Vec<&Interpreter>> {
    let mut seen = Vec::new();
    let distinct: Vec<&Interpreter> = all
        .iter()
        .filter(|i| {
            let key = i.label();
            let new = !seen.contains(&key);
            seen.push(key);
            new
        })
        .collect();
    let mut sets: Vec<Vec<&Interpreter>> = distinct.iter().map(|i| vec![*i]).collect();
    if let Some(py2) = distinct.iter().find(|i| i.is_py2()) {
        sets.extend(
            distinct
                .iter()
                .filter(|i| !i.is_py2())
                .map(|py3| vec![*py2, *py3]),
        );
    }
    sets
}

/// The tool's action for each running interpreter in `case`: from its ghost row at `pkg`,
/// `skip` for each where there is none.
fn tool_actions(records: &[Value], case: &Path, running: usize) -> (Vec<String>, String) {
    let at = case.join("pkg");
    let row = records
        .iter()
        .find(|r| r["kind"] == "directory" && Path::new(r["path"].as_str().unwrap_or("")) == at);
    let Some(row) = row else {
        return (vec!["skip".into(); running], "no row".into());
    };
    let text = |v: &Value| v.as_str().unwrap_or("null").to_string();
    let actions = match row["by_python"].as_array() {
        Some(each) => each.iter().map(|b| text(&b["python_action"])).collect(),
        None => vec![text(&row["python_action"]); running],
    };
    let shown = format!(
        "{}/{}: {}",
        text(&row["status"]),
        text(&row["python_action"]),
        text(&row["reason"])
    );
    (actions, shown)
}

/// What each interpreter's `import pkg` did, by executable, case and level.
type Observed = HashMap<(PathBuf, PathBuf, u8), (String, String)>;

/// Whether a case is compared at a level with a running set (see the module comment).
fn compared(case: &Path, level: u8, set: &[&Interpreter]) -> bool {
    let pyo = case.to_string_lossy().ends_with("_legacy_init_pyo");
    !pyo || (level == 1 && set.iter().any(|i| i.is_py2()))
}

/// The disagreements of one audit (a running set at a level) over every case; counts the
/// actions compared by what was observed.
fn disagreements(
    (set, level): (&[&Interpreter], u8),
    records: &[Value],
    cases: &[PathBuf],
    observed: &Observed,
    counts: &mut HashMap<String, usize>,
) -> Vec<Row> {
    let labels: Vec<String> = set.iter().map(|i| i.label()).collect();
    let mut rows = Vec::new();
    for case in cases.iter().filter(|c| compared(c, level, set)) {
        let (tool, shown) = tool_actions(records, case, set.len());
        for (n, interp) in set.iter().enumerate() {
            let key = (interp.executable.clone(), case.clone(), level);
            let Some((action, evidence)) = observed.get(&key) else {
                continue;
            };
            *counts.entry(action.clone()).or_default() += 1;
            if tool.get(n) != Some(action) {
                rows.push(Row {
                    interpreter: interp.label(),
                    case: format!(
                        "{} --optimize {level} --python {}",
                        case.file_name().unwrap().to_string_lossy(),
                        labels.join(",")
                    ),
                    tool: tool.get(n).cloned().unwrap_or_else(|| "none".into()),
                    reason: shown.clone(),
                    observed: format!("{action}: {evidence}"),
                });
            }
        }
    }
    rows
}

#[test]
fn ghost_rows_follow_each_running_interpreter() {
    let _one = crate::common::one_suite_at_a_time();
    let suite = "ghost differential";
    let all = interpreters::discover(suite);
    let temp = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for (n, interp) in all.iter().enumerate() {
        match build(interp, n, temp.path()) {
            Ok(mut built) => cases.append(&mut built),
            Err(e) => panic!("{suite}: build: {e}"),
        }
    }
    let sets = running_sets(&all);
    let runs: Vec<(&[&Interpreter], u8)> = [0, 1]
        .into_iter()
        .flat_map(|level| sets.iter().map(move |set| (set.as_slice(), level)))
        .collect();
    let audits: Vec<Vec<Value>> = runs
        .iter()
        .map(|(set, level)| {
            audit(set, &cases, *level).unwrap_or_else(|e| panic!("{suite}: audit: {e}"))
        })
        .collect();
    let run = interpreters::run_each(suite, |interp, _| {
        let mut seen = Vec::new();
        for case in &cases {
            for level in [0, 1] {
                let key = (interp.executable.clone(), case.clone(), level);
                seen.push((key, observe(interp, case, level)?));
            }
        }
        Ok(seen)
    });
    let observed: Observed = run.results.into_iter().flat_map(|(_, seen)| seen).collect();
    let mut counts = HashMap::new();
    let mut rows = Vec::new();
    for (run, records) in runs.iter().zip(&audits) {
        rows.extend(disagreements(*run, records, &cases, &observed, &mut counts));
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort();
    eprintln!(
        "{suite}: {} interpreters, {} cases, {} audits (running sets by level), {} actions \
         compared {counts:?}, {} disagreements",
        all.len(),
        cases.len(),
        runs.len(),
        counts.iter().map(|(_, n)| n).sum::<usize>(),
        rows.len()
    );
    assert_none(&rows, &run.problems);
}
