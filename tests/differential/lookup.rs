//! Differential test of the directory lookup under the real setup: `--python` naming every
//! interpreter at once, at every level (`--optimize N` and `PYTHONOPTIMIZE=N`). Each running
//! interpreter looks a module up by its own rules at its own level, and every cache record must
//! list, in `by_python`, what each of them really does with the file.
//!
//! One tree is built by every interpreter found: each imports the modules below at levels 0, 1
//! and 2 (writing its own caches), then the files that decide the lookup are added:
//!
//! - `ext_mod`: an extension module with one CPython 3's suffix (E1) beside `ext_mod.py`: only
//!   E1 finds it first;
//! - `pyo_init/__init__.pyo` (Python 2.7 under `-O`): a package for 2.7 under `-O` only;
//! - `pyc_init/__init__.pyc` (2.7's, else E1's): a package for every Python 3 at every level
//!   and for 2.7 at level 0, not under `-O`;
//! - `ext_init/__init__` with another CPython 3's suffix (E2): a package for E2 only;
//! - `mod2module.so` (Python 2's second suffix), `plain.so` (every CPython's, not PyPy's) and
//!   `abi.abi3.so` (every CPython 3's) beside their sources;
//! - `lone3.pyc`, sourceless, E1's, beside `lone3/__init__.pyo`;
//! - `lone2.pyc` and `lone2.pyo`, sourceless, 2.7's, beside `ext_init`'s kind of `lone2/`;
//! - `gone/`, a deleted package of which only 2.7's `__init__.pyo` is left: a ghost row
//!   (`load`) exactly where 2.7 still imports it (under `-O`).
//!
//! Then, for each interpreter R (in its own thread), each module M, each level and each way of
//! giving it: R, under `-B -v`, finds M (`find_spec`, `imp.find_module` on 2.7) and imports it.
//! A cache R reads is the one found (a sourceless file or `__init__`) or one `-v` names as
//! read; R's action on it is `load` when the import succeeded, `fail` when it raised, and
//! `skip` for every cache of M that R did not read. That must be R's `python_action` in the
//! record's `by_python`.
//!
//! `explain`, given the same setup, must give each cache the same `by_python`, and its
//! on-import sentence must name every running interpreter, saying that one "never reads this
//! file" exactly where its action is `skip`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::disagreements::{assert_none, Row};
use crate::common::interpreters::{self, Interpreter};
use crate::common::pythons::{optimized_command, Via};

const MODULES: [&str; 10] = [
    "ext_mod", "pyo_init", "pyc_init", "ext_init", "mod2", "plain", "abi", "lone3", "lone2", "gone",
];
/// The modules with a source, which every interpreter imports to write its caches.
const SOURCED: usize = 7;

/// Finds the module as the import does (without loading it), then imports it: prints the
/// file found and whether the import succeeded. Valid Python 2 and 3.
const PROBE: &str = r#"
import json, os, sys
m = sys.argv[1]
origin = None
try:
    import importlib.util as u
    spec = u.find_spec(m)
    origin = spec and spec.origin
except ImportError:
    import imp
    try:
        f, origin, _ = imp.find_module(m)
        if f:
            f.close()
        if os.path.isdir(origin):
            ext = "o" if sys.flags.optimize else "c"
            for n in ("__init__.py", "__init__.py" + ext):
                if os.path.exists(os.path.join(origin, n)):
                    origin = os.path.join(origin, n)
                    break
    except ImportError:
        pass
ok = True
try:
    __import__(m)
except Exception:
    ok = False
print(json.dumps({"origin": origin and os.path.abspath(origin), "ok": ok}))
"#;

fn py(interp: &Interpreter, dir: &Path, args: &[&str]) -> Result<String, String> {
    interp.run_in(dir, args).map(|out| out.trim().to_string())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    std::fs::write(path, bytes).map_err(|e| e.to_string())
}

/// Compiles `source` into `cfile` with `interp` (with `flag`, e.g. `-O`), then deletes the
/// source.
fn compiled(
    interp: &Interpreter,
    dir: &Path,
    flag: &str,
    source: &str,
    cfile: &str,
) -> Result<(), String> {
    write(&dir.join(source), b"V = 1\n")?;
    let code =
        format!("import py_compile; py_compile.compile({source:?}, cfile={cfile:?}, doraise=True)");
    let mut args = vec![];
    if !flag.is_empty() {
        args.push(flag);
    }
    args.extend(["-c", &code]);
    py(interp, dir, &args)?;
    std::fs::remove_file(dir.join(source)).map_err(|e| e.to_string())
}

fn ext_suffix(interp: &Interpreter, dir: &Path) -> Result<String, String> {
    py(
        interp,
        dir,
        &[
            "-c",
            "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))",
        ],
    )
}

/// Builds the tree; `None` when fewer than two CPython 3 interpreters are found.
fn build(dir: &Path, all: &[Interpreter]) -> Result<Option<()>, String> {
    let cpython3: Vec<&Interpreter> = all
        .iter()
        .filter(|i| i.implementation == "CPython" && !i.is_py2())
        .collect();
    let (Some(e1), Some(e2)) = (
        cpython3.first(),
        cpython3.iter().find(|i| i.version != cpython3[0].version),
    ) else {
        return Ok(None);
    };
    let py2 = all.iter().find(|i| i.is_py2());
    for m in &MODULES[..SOURCED] {
        write(&dir.join(format!("{m}.py")), b"V = 1\n")?;
    }
    let imports = format!("import {}", MODULES[..SOURCED].join(", "));
    for interp in all {
        for flag in ["-c", "-O", "-OO"] {
            let mut args = vec![];
            if flag != "-c" {
                args.push(flag);
            }
            args.extend(["-c", &imports]);
            py(interp, dir, &args)?;
        }
    }
    let (s1, s2) = (ext_suffix(e1, dir)?, ext_suffix(e2, dir)?);
    write(
        &dir.join(format!("ext_mod{s1}")),
        b"not an extension module\n",
    )?;
    write(
        &dir.join(format!("ext_init/__init__{s2}")),
        b"not an extension module\n",
    )?;
    write(
        &dir.join(format!("lone2/__init__{s2}")),
        b"not an extension module\n",
    )?;
    for ext in ["mod2module.so", "plain.so", "abi.abi3.so"] {
        write(&dir.join(ext), b"not an extension module\n")?;
    }
    compiled(e1, dir, "", "lone3.py", "lone3.pyc")?;
    match py2 {
        Some(p2) => {
            compiled(
                p2,
                dir,
                "-O",
                "pyo_init/__init__.py",
                "pyo_init/__init__.pyo",
            )?;
            compiled(p2, dir, "-O", "lone3/__init__.py", "lone3/__init__.pyo")?;
            compiled(p2, dir, "", "pyc_init/__init__.py", "pyc_init/__init__.pyc")?;
            compiled(p2, dir, "", "lone2.py", "lone2.pyc")?;
            compiled(p2, dir, "-O", "lone2.py", "lone2.pyo")?;
            compiled(p2, dir, "-O", "gone/__init__.py", "gone/__init__.pyo")?;
        }
        None => {
            compiled(e1, dir, "", "pyc_init/__init__.py", "pyc_init/__init__.pyc")?;
            write(&dir.join("pyo_init/__init__.pyo"), b"")?;
        }
    }
    Ok(Some(()))
}

/// Every record of the tree, with every interpreter running.
fn audit(dir: &Path, all: &[Interpreter], level: u8, via: Via) -> Result<Vec<Value>, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
    command.args(["--format", "json", "--all", "--fail-on", "never"]);
    command.env_remove("PYTHONOPTIMIZE");
    for interp in all {
        command.arg("--python").arg(&interp.executable);
    }
    match via {
        Via::Flag => command.arg(format!("--optimize={level}")),
        Via::Env => command.env("PYTHONOPTIMIZE", level.to_string()),
    };
    let out = command.arg(dir).output().map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))?;
    let records = doc["findings"].as_array().cloned().unwrap_or_default();
    Ok(records)
}

fn text<'a>(rec: &'a Value, key: &str) -> &'a str {
    rec[key].as_str().unwrap_or("null")
}

/// R's action in the record: its `by_python` entry (every interpreter runs).
fn action_for<'a>(rec: &'a Value, label: &str) -> &'a str {
    rec["by_python"]
        .as_array()
        .and_then(|each| each.iter().find(|b| text(b, "python") == label))
        .map_or("(not listed)", |b| text(b, "python_action"))
}

/// The module a cache belongs to: `M.xxx.pyc`, `__pycache__/M.xxx.pyc` or `M/__init__...`.
fn module_of(dir: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(dir).ok()?;
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let name = match first.as_str() {
        "__pycache__" => rel.file_name()?.to_string_lossy().into_owned(),
        _ => first,
    };
    let module = name.split('.').next()?.to_string();
    MODULES.contains(&module.as_str()).then_some(module)
}

type Audits = BTreeMap<(u8, Via), Vec<Value>>;

/// The cases compared, by observed action, and the disagreements.
type Checked = (BTreeMap<&'static str, usize>, Vec<Row>);

fn check(interp: &Interpreter, dir: &Path, audits: &Audits) -> Result<Checked, String> {
    let label = interp.label();
    let mut rows = Vec::new();
    let mut cases = BTreeMap::new();
    for (&(level, via), records) in audits {
        for module in MODULES {
            let mut command = optimized_command(&interp.executable, level, via);
            command.current_dir(dir).arg("-B");
            let out = command
                .args(["-v", "-c", PROBE, module])
                .output()
                .map_err(|e| e.to_string())?;
            let said = String::from_utf8_lossy(&out.stdout);
            let verbose = String::from_utf8_lossy(&out.stderr);
            let probe: Value = said
                .lines()
                .rev()
                .find_map(|l| serde_json::from_str(l).ok())
                .ok_or_else(|| format!("{label} import {module}: no result: {verbose}"))?;
            let origin = probe["origin"].as_str().map(PathBuf::from);
            for rec in records.iter().filter(|r| r["kind"] == "cache") {
                let path = PathBuf::from(text(rec, "path"));
                if module_of(dir, &path).as_deref() != Some(module) {
                    continue;
                }
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                let abs = path.display().to_string();
                let named = verbose.contains(&format!("{abs}'"))
                    || verbose.contains(&format!("{abs} "))
                    || verbose.contains(&format!("# {rel} "))
                    || verbose.contains(&format!("from {rel}\n"));
                let read = named || origin.as_deref() == Some(path.as_path());
                let observed = match (read, probe["ok"] == true) {
                    (false, _) => "skip",
                    (true, true) => "load",
                    (true, false) => "fail",
                };
                *cases.entry(observed).or_insert(0) += 1;
                let tool = action_for(rec, &label);
                if tool != observed {
                    rows.push(Row {
                        interpreter: label.clone(),
                        case: format!("{rel} level {level} {via:?}"),
                        tool: format!(
                            "{}/{}: {label} {tool}",
                            text(rec, "status"),
                            text(rec, "python_action")
                        ),
                        reason: text(rec, "reason").into(),
                        observed: format!(
                            "{observed} (found {}, import ok: {})",
                            origin
                                .as_ref()
                                .map_or("nothing".into(), |o| o.display().to_string()),
                            probe["ok"]
                        ),
                    });
                }
            }
        }
    }
    if cases.is_empty() {
        return Err("no cache record compared".into());
    }
    Ok((cases, rows))
}

/// `explain` under the same setup: the same `by_python`, and an on-import sentence that names
/// each running interpreter as its `by_python` entry says.
fn explained(
    dir: &Path,
    all: &[Interpreter],
    level: u8,
    checked: &[Value],
) -> Result<Vec<Row>, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
    command.args(["explain", "--format", "json"]);
    command
        .env_remove("PYTHONOPTIMIZE")
        .arg(format!("--optimize={level}"));
    for interp in all {
        command.arg("--python").arg(&interp.executable);
    }
    for rec in checked {
        command.arg(text(rec, "path"));
    }
    let out = command
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "explain: no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let mut rows = Vec::new();
    let files = doc["files"].as_array().cloned().unwrap_or_default();
    for (rec, file) in checked.iter().zip(&files) {
        let ex = &file["caches"][0];
        let sentence = text(ex, "on_import");
        let mut wrong = Vec::new();
        if ex["by_python"] != rec["by_python"] {
            wrong.push(format!(
                "by_python {} (check: {})",
                ex["by_python"], rec["by_python"]
            ));
        }
        for each in rec["by_python"].as_array().into_iter().flatten() {
            let label = text(each, "python");
            let never = sentence.contains(&format!("{label} (running) never reads this file"));
            if !sentence.contains(&format!("{label} (running)"))
                || never != (text(each, "python_action") == "skip")
            {
                wrong.push(format!("{label}: {}", text(each, "python_action")));
            }
        }
        if !wrong.is_empty() {
            rows.push(Row {
                interpreter: "explain".into(),
                case: format!("{} level {level}", text(rec, "path")),
                tool: wrong.join("; "),
                reason: sentence.into(),
                observed: "check's by_python".into(),
            });
        }
    }
    Ok(rows)
}

/// The ghost row of `gone/`, at each level: there exactly when Python 2.7 imports the deleted
/// package from its `__init__.pyo`.
fn deleted_package(dir: &Path, all: &[Interpreter], audits: &Audits) -> Result<Vec<Row>, String> {
    let Some(py2) = all.iter().find(|i| i.is_py2()) else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for (&(level, via), records) in audits {
        let mut command = optimized_command(&py2.executable, level, via);
        command.current_dir(dir).arg("-B");
        let out = command
            .args(["-c", "import gone; print(gone.__file__)"])
            .output()
            .map_err(|e| e.to_string())?;
        let imported = String::from_utf8_lossy(&out.stdout).contains("__init__.pyo");
        let row = records
            .iter()
            .find(|r| r["kind"] == "directory" && Path::new(text(r, "path")) == dir.join("gone"));
        let said = row.map(|r| format!("{}/{}", text(r, "status"), text(r, "python_action")));
        if said.as_deref() != imported.then_some("ghost/load") {
            rows.push(Row {
                interpreter: py2.label(),
                case: format!("gone/ level {level} {via:?}"),
                tool: said.unwrap_or_else(|| "no row".into()),
                reason: row.map_or("", |r| text(r, "reason")).into(),
                observed: format!("imports the deleted package: {imported}"),
            });
        }
    }
    Ok(rows)
}

#[test]
fn each_running_interpreter_looks_up_at_its_level() {
    let _one = crate::common::one_suite_at_a_time();
    let suite = "lookup differential";
    let all = interpreters::discover(suite);
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    match build(&dir, &all) {
        Ok(Some(())) => {}
        Ok(None) => {
            assert!(
                !interpreters::all_required(),
                "{suite}: two CPython 3 needed"
            );
            eprintln!("{suite}: fewer than two CPython 3 found; nothing to compare");
            return;
        }
        Err(e) => panic!("{suite}: build: {e}"),
    }
    let mut audits = Audits::new();
    for level in 0..=2u8 {
        for via in [Via::Flag, Via::Env] {
            let records = audit(&dir, &all, level, via).unwrap_or_else(|e| panic!("{suite}: {e}"));
            audits.insert((level, via), records);
        }
    }
    let run = interpreters::run_each(suite, |interp, _| check(interp, &dir, &audits));
    let mut rows = deleted_package(&dir, &all, &audits).unwrap_or_else(|e| panic!("{suite}: {e}"));
    eprintln!("{suite}: gone/ at 6 settings: {} disagreements", rows.len());
    for level in 0..=2u8 {
        let records: Vec<Value> = audits[&(level, Via::Flag)]
            .iter()
            .filter(|r| r["kind"] == "cache")
            .cloned()
            .collect();
        let found =
            explained(&dir, &all, level, &records).unwrap_or_else(|e| panic!("{suite}: {e}"));
        eprintln!(
            "{suite}: explain at level {level}: {} caches, {} disagreements",
            records.len(),
            found.len()
        );
        rows.extend(found);
    }
    for (interp, (cases, mut found)) in run.results {
        eprintln!(
            "{suite}: {}: {} cases ({cases:?}), {} disagreements",
            interp.label(),
            cases.values().sum::<usize>(),
            found.len()
        );
        rows.append(&mut found);
    }
    assert_none(&rows, &run.problems);
}
