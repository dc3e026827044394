//! Differential test of the optimisation level (`--optimize`, `PYTHONOPTIMIZE`): at level N
//! the import reads `opt-N` caches (`.pyo` on Python 2) and not the others, and every rule
//! applies to the one it reads.
//!
//! For each interpreter, one tree: `a.py` with a fresh cache at every level it writes; `h.py`
//! (3.7+) with an unchecked-hash cache at every level, then its source changed (the import
//! runs the old code at every level); `u`, a sourceless legacy file (`u.pyo` written under `-O`
//! on Python 2, `u.pyc` on 3.x). At each level 0, 1 and 2, given as `--optimize N` and as
//! `PYTHONOPTIMIZE=N` (the interpreter run with `-O`s or that variable, `-v -B`): a cache of
//! `a` is read (named under `-v`) exactly when pyc-audit does not say `skip`; the cache of `h`
//! at that level is `load` and the import ran its old code; `u` is `load` where it imported
//! and `skip` where the module was not found.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::disagreements::{assert_none, Row};
use crate::common::interpreters::{self, Interpreter};
use crate::common::pythons::{optimized_command, python_command, Via};

fn run(interp: &Interpreter, dir: &Path, level: u8, via: Via, code: &str) -> (bool, String) {
    let mut command = optimized_command(&interp.executable, level, via);
    command.current_dir(dir).arg("-B");
    let out = command.args(["-v", "-c", code]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn build(interp: &Interpreter, dir: &Path) -> Result<(), String> {
    let py = |args: &[&str]| -> Result<(), String> {
        let out = python_command(&interp.executable)
            .current_dir(dir)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        match out.status.success() {
            true => Ok(()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    };
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("a.py", "V = 1\n");
    write("u.py", "V = 1\n");
    for flag in ["-c", "-O", "-OO"] {
        let args: Vec<&str> = match flag {
            "-c" => vec!["-c", "import a"],
            f => vec![f, "-c", "import a"],
        };
        py(&args)?;
    }
    if interp.is_py2() {
        py(&["-O", "-c", "import u"])?;
        std::fs::remove_file(dir.join("u.pyc")).ok();
    } else {
        py(&[
            "-c",
            "import py_compile; py_compile.compile('u.py', cfile='u.pyc')",
        ])?;
    }
    std::fs::remove_file(dir.join("u.py")).unwrap();
    let hashed = "import sys, py_compile as p, importlib.util as u\n\
        if sys.version_info >= (3, 7):\n\
        \x20   for n in (0, 1, 2):\n\
        \x20       c = u.cache_from_source('h.py', optimization=n or '')\n\
        \x20       p.compile('h.py', cfile=c, optimize=n,\n\
        \x20                 invalidation_mode=p.PycInvalidationMode.UNCHECKED_HASH)\n";
    if !interp.is_py2() {
        write("h.py", "V = 1\n");
        py(&["-c", hashed])?;
        write("h.py", "V = 2  # hot fix\n");
    }
    Ok(())
}

fn audit(dir: &Path, level: u8, via: Via) -> Vec<Value> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
    command.args(["--format", "json", "--all", "--fail-on", "never"]);
    command.env_remove("PYTHONOPTIMIZE");
    match via {
        Via::Flag => {
            command.arg(format!("--optimize={level}"));
        }
        Via::Env => {
            command.env("PYTHONOPTIMIZE", level.to_string());
        }
    }
    let out = command.arg(dir).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    doc["findings"].as_array().cloned().unwrap_or_default()
}

fn text<'a>(rec: &'a Value, key: &str) -> &'a str {
    rec[key].as_str().unwrap_or("null")
}

fn check(interp: &Interpreter) -> Result<Vec<Row>, String> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = temp.path();
    build(interp, dir)?;
    let mut rows = Vec::new();
    for level in 0..=2u8 {
        for via in [Via::Flag, Via::Env] {
            let records = audit(dir, level, via);
            let case = |what: &str| format!("{what} level {level} {via:?}");
            let mut disagree = |what: &str, rec: &Value, observed: String| {
                rows.push(Row {
                    interpreter: interp.label(),
                    case: case(what),
                    tool: format!("{}/{}", text(rec, "status"), text(rec, "python_action")),
                    reason: text(rec, "reason").into(),
                    observed,
                })
            };
            let (_, a_err) = run(interp, dir, level, via, "import a");
            let (u_ok, _) = run(interp, dir, level, via, "import u");
            let probe = "import h, sys; print('V=%d O=%d' % (h.V, sys.flags.optimize))";
            let (_, h_out) = run(interp, dir, level, via, probe);
            // The level the interpreter really runs at (PYTHONOPTIMIZE=0 is -O on some).
            let real = (0..=2u8)
                .find(|n| h_out.contains(&format!("O={n}")))
                .unwrap_or(level);
            for rec in &records {
                let path = Path::new(text(rec, "path"));
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let action = text(rec, "python_action");
                let level_of = text(rec, "path").contains(&format!("opt-{real}"))
                    || (real == 0 && !name.contains("opt-"));
                if name.starts_with("a.") {
                    let read =
                        a_err.contains(&format!("{name}'")) || a_err.contains(&format!("{name} "));
                    if read == (action == "skip") {
                        disagree(&name, rec, format!("-v names it: {read}"));
                    }
                } else if name.starts_with("u.") {
                    let want = if u_ok { "load" } else { "skip" };
                    if action != want {
                        disagree(&name, rec, format!("import u: {want}"));
                    }
                } else if name.starts_with("h.") {
                    let old_ran = h_out.contains("V=1");
                    let want = if level_of && old_ran { "load" } else { "skip" };
                    if action != want {
                        disagree(&name, rec, format!("old code ran: {old_ran}"));
                    }
                }
            }
        }
    }
    Ok(rows)
}

#[test]
fn the_optimisation_level_picks_the_caches_read() {
    let _one = crate::common::one_suite_at_a_time();
    let suite = "optimize differential";
    let run = interpreters::run_each(suite, |interp, _| check(interp));
    let mut rows = Vec::new();
    for (interp, mut found) in run.results {
        eprintln!("{suite}: {}: {} disagreements", interp.label(), found.len());
        rows.append(&mut found);
    }
    assert_none(&rows, &run.problems);
}
