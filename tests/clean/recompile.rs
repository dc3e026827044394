//! `clean --recompile` on trees written by every real interpreter: each stale, mismatched or
//! corrupt cache is rebuilt in its own invalidation mode and optimisation level, and the
//! rebuilt cache is judged fresh by pyc-audit and by the interpreter itself (which loads it
//! on import, under `-O`/`-OO` for optimised caches, without rewriting it).

use std::path::Path;

use serde_json::Value;

use crate::for_each;
use crate::interpreters::Interpreter;
use crate::pythons::python_command;
use crate::snapshot::{self, Entry};
use crate::{ensure, json_run, relative, rows, tree_py};

#[test]
fn recompile_rebuilds_caches_the_interpreter_loads() {
    for_each("clean --recompile", check_interpreter);
}

fn check_interpreter(interp: &Interpreter) -> Result<(), String> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("rc");
    let built = tree_py(
        &interp.executable,
        &["recompile".as_ref(), root.as_os_str()],
    )?;
    let cases = built["cases"].as_array().ok_or("no cases")?;
    ensure!(cases.len() >= 3, "only {} cases", cases.len());

    let (code, doc) = json_run(&["clean", "--recompile", "--format", "json"], &[&root])?;
    ensure!(code == 0, "clean --recompile exited {code}: {doc}");
    let (_, after) = json_run(
        &["--all", "--format", "json", "--fail-on", "never"],
        &[&root],
    )?;
    for case in cases {
        let cache = Path::new(case["cache"].as_str().unwrap_or_default());
        let row = find(&doc, &root, cache).ok_or(format!("no row for {}", cache.display()))?;
        let rebuild = &row["rebuild"];
        ensure!(
            row["outcome"] == "removed" && rebuild["outcome"] == "rebuilt",
            "{}: {row}",
            cache.display()
        );
        let now = find(&after, &root, cache).ok_or(format!("{} is gone", cache.display()))?;
        ensure!(
            now["status"] == "fresh",
            "{}: rebuilt as {now}",
            cache.display()
        );
        ensure!(
            now["invalidation"] == case["mode"] && now["opt_level"] == case["opt"],
            "{}: built {} opt {}, rebuilt {} opt {}",
            cache.display(),
            case["mode"],
            case["opt"],
            now["invalidation"],
            now["opt_level"]
        );
        let module = case["module"].as_str().unwrap_or_default();
        let level = case["opt"].as_u64().unwrap_or(0);
        loads(interp, &root, module, level, &root.join(cache))?;
    }
    Ok(())
}

fn find<'a>(doc: &'a Value, root: &Path, cache: &Path) -> Option<&'a Value> {
    rows(doc).iter().find(|r| relative(r, root) == cache)
}

/// The interpreter imports `module` from the rebuilt cache and leaves the cache as it is.
fn loads(
    interp: &Interpreter,
    dir: &Path,
    module: &str,
    level: u64,
    cache: &Path,
) -> Result<(), String> {
    let before = snapshot::take(dir);
    let mut command = python_command(&interp.executable);
    match level {
        0 => {}
        1 => {
            command.arg("-O");
        }
        _ => {
            command.arg("-OO");
        }
    }
    let out = command
        .args(["-v", "-c", &format!("import {module}")])
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = cache.file_name().unwrap_or_default().to_string_lossy();
    // 3.x and PyPy: "# code object from '<pyc>'"; 2.7: "import m # precompiled from <pyc>".
    let loaded = stderr.lines().any(|l| {
        (l.starts_with("# code object from ") || l.contains(" # precompiled from "))
            && l.trim_end_matches('\'').ends_with(&*name)
    });
    ensure!(
        out.status.success() && loaded,
        "{} did not load {}:\n{stderr}",
        interp.label(),
        cache.display()
    );
    let rel = cache.strip_prefix(dir).unwrap_or(cache);
    let after = snapshot::take(dir);
    ensure!(
        matches!(after.get(rel), Some(Entry::File { .. })) && before.get(rel) == after.get(rel),
        "{} rewrote {} on import",
        interp.label(),
        cache.display()
    );
    Ok(())
}
