//! The pycache-prefix half of the differential suite: for every interpreter, caches written by
//! imports with `PYTHONPYCACHEPREFIX` set (then edited, deleted, cut), audited with the prefix,
//! then imported again with the prefix set. Every `python_action` must be what the interpreter
//! did. 2.7, 3.6 and 3.7 ignore the prefix: only their in-tree caches are built.
//!
//! `prefix_cases.py build DIR` writes the cases. Three audits see the tree before any import
//! touches it: `--pycache-prefix DIR/pfx DIR/tree` for the "tree" cases; `--pycache-prefix
//! DIR/pfx` alone for the "whole" cases (another source tree), where every prefix cache of the
//! tree audit must get the same verdict again; and, run from `DIR/rel` with the relative
//! `PYTHONPYCACHEPREFIX=relpfx` and no flag, the "relative" cases. The tree audit must report
//! nothing outside `DIR/tree` and its mirror, and none of the "whole" cases. `explain` of every
//! "tree" and "relative" case cache, with the same prefix (flag or variable), must give check's
//! verdict, and `clean -n` of the tree with the prefix must condemn exactly check's findings.

use std::ffi::OsString;
use std::fs;

use super::*;

fn prefix_cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/prefix_cases.py")
}

/// One run of pyc-audit: where it ran, what it reported, what it said on stderr.
struct Audit {
    cwd: PathBuf,
    records: Vec<Value>,
    stderr: String,
}

impl Audit {
    fn run(cwd: &Path, args: &[OsString], env_prefix: Option<&str>) -> Result<Audit, String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
        command
            .args(["--deep", "--format", "json", "--all", "--fail-on", "never"])
            .args(args)
            .current_dir(cwd);
        match env_prefix {
            Some(prefix) => command.env("PYTHONPYCACHEPREFIX", prefix),
            None => command.env_remove("PYTHONPYCACHEPREFIX"),
        };
        let output = command.output().map_err(|e| format!("pyc-audit: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let report: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("pyc-audit {args:?} printed no JSON ({e}); stderr: {stderr}"))?;
        Ok(Audit {
            cwd: cwd.to_path_buf(),
            records: report["findings"].as_array().cloned().unwrap_or_default(),
            stderr,
        })
    }

    fn path(&self, record: &Value) -> PathBuf {
        self.cwd.join(str_field(record, "path"))
    }

    /// The records of the cache at `path` (absolute).
    fn find(&self, path: &Path) -> Vec<&Value> {
        self.records
            .iter()
            .filter(|r| self.path(r) == path)
            .collect()
    }
}

fn verdict(record: &Value) -> String {
    let fields = ["status", "python_action", "severity"];
    fields.map(|f| str_field(record, f)).join("/")
}

/// `explain --format json` of these caches: each one's status/action/severity, by path.
fn explain(
    cwd: &Path,
    pre: &[OsString],
    files: &[PathBuf],
    env_prefix: Option<&str>,
) -> Result<std::collections::HashMap<PathBuf, String>, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
    command
        .arg("explain")
        .args(["--format", "json", "--isolated"])
        .args(pre)
        .args(files)
        .current_dir(cwd);
    match env_prefix {
        Some(prefix) => command.env("PYTHONPYCACHEPREFIX", prefix),
        None => command.env_remove("PYTHONPYCACHEPREFIX"),
    };
    let output = command.output().map_err(|e| format!("explain: {e}"))?;
    let doc: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        format!("explain printed no JSON ({e}): {stderr}")
    })?;
    let mut out = std::collections::HashMap::new();
    for file in doc["files"].as_array().into_iter().flatten() {
        for cache in file["caches"].as_array().into_iter().flatten() {
            out.insert(cwd.join(str_field(cache, "path")), verdict(cache));
        }
    }
    Ok(out)
}

/// `clean --format json` rows of caches: path, status/action/severity, outcome.
fn clean_rows(cwd: &Path, args: &[OsString]) -> Result<Vec<(PathBuf, String, String)>, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(args)
        .args([
            "--format",
            "json",
            "--status",
            "orphan,stale,mismatch,corrupt,suspect",
        ])
        .env_remove("PYTHONPYCACHEPREFIX")
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("clean: {e}"))?;
    let doc: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        format!("clean printed no JSON ({e}): {stderr}")
    })?;
    let rows = doc["findings"].as_array().cloned().unwrap_or_default();
    Ok(rows
        .iter()
        .filter(|r| r["kind"] == "cache" && r["status"] != "unreadable")
        .map(|r| {
            let path = cwd.join(str_field(r, "path"));
            (path, verdict(r), str_field(r, "outcome").to_string())
        })
        .collect())
}

/// Builds, audits and observes the prefix cases of one interpreter.
fn check_interpreter(interp: &Interpreter) -> Outcome {
    let label = interp.label();
    let temp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let root = fs::canonicalize(temp.path())
        .map_err(|e| format!("tempdir: {e}"))?
        .join("cases");
    let output = python_command(&interp.executable)
        .arg(prefix_cases())
        .arg("build")
        .arg(&root)
        .output()
        .map_err(|e| format!("prefix_cases build: {e}"))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Err(format!("prefix_cases build failed: {err}"));
    }
    let text = fs::read(root.join("cases.json")).map_err(|e| format!("cases.json: {e}"))?;
    let cases: Vec<Value> = serde_json::from_slice(&text).map_err(|e| format!("{e}"))?;

    let pfx = root.join("pfx");
    let flag = |path: &Path| [OsString::from("--pycache-prefix"), path.into()];
    let tree_args = [flag(&pfx).to_vec(), vec![root.join("tree").into()]].concat();
    let tree = Audit::run(&root, &tree_args, None)?;
    let whole = match pfx.exists() {
        true => Some(Audit::run(&root, &flag(&pfx), None)?),
        false => None,
    };
    let relative = match root.join("rel").exists() {
        true => Some(Audit::run(&root.join("rel"), &[], Some("relpfx"))?),
        false => None,
    };

    // explain and clean of the same cases, with the same prefix, before any import.
    let mut explained = std::collections::HashMap::new();
    for (cwd, env_prefix) in [(root.clone(), None), (root.join("rel"), Some("relpfx"))] {
        let files: Vec<PathBuf> = cases
            .iter()
            .filter(|c| {
                str_field(c, "audit")
                    == if env_prefix.is_none() {
                        "tree"
                    } else {
                        "relative"
                    }
            })
            .map(|c| root.join(str_field(c, "cache")))
            .collect();
        if files.is_empty() {
            continue;
        }
        let pre = match env_prefix {
            None => flag(&pfx).to_vec(),
            Some(_) => Vec::new(),
        };
        explained.extend(explain(&cwd, &pre, &files, env_prefix)?);
    }
    let clean_args = [
        vec![OsString::from("clean"), "-n".into()],
        flag(&pfx).to_vec(),
        vec![root.join("tree").into()],
    ]
    .concat();
    let cleaned = clean_rows(&root, &clean_args)?;

    let output = python_command(&interp.executable)
        .arg(harness())
        .arg("observe")
        .arg(&root)
        .output()
        .map_err(|e| format!("harness observe: {e}"))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Err(format!("harness observe failed: {err}"));
    }
    let observations: Vec<Value> =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("observe output: {e}"))?;
    if observations.len() != cases.len() {
        return Err(format!(
            "{} cases, {} observed",
            cases.len(),
            observations.len()
        ));
    }

    let mut rows = Vec::new();
    let mut row = |case: &str, tool: String, reason: String, observed: String| {
        rows.push(Row {
            interpreter: label.clone(),
            case: case.to_string(),
            tool,
            reason,
            observed,
        });
    };
    for (case, obs) in cases.iter().zip(&observations) {
        let name = str_field(case, "case");
        let cache = root.join(str_field(case, "cache"));
        let audit = match str_field(case, "audit") {
            "tree" => Some(&tree),
            "whole" => whole.as_ref(),
            _ => relative.as_ref(),
        };
        let Some(audit) = audit else {
            row(name, "no audit".into(), String::new(), String::new());
            continue;
        };
        let observed = str_field(obs, "observed");
        let (value, source_value) = (&obs["value"], &obs["source_value"]);
        let observed_text = match observed {
            "load" => format!("load (V={value}, source V={source_value})"),
            _ => format!("{observed} ({})", str_field(obs, "evidence")),
        };
        let record = match audit.find(&cache).as_slice() {
            [record] => *record,
            found => {
                let why = format!("{} records for {}", found.len(), cache.display());
                row(name, "no single record".into(), why, observed_text);
                continue;
            }
        };
        let reason = str_field(record, "reason").to_string();
        let stale_ran = observed == "load" && !source_value.is_null() && value != source_value;
        if str_field(record, "python_action") != observed {
            row(name, verdict(record), reason, observed_text.clone());
        } else if stale_ran && str_field(record, "severity") != "error" {
            let reason = format!("stale code ran but severity is not error; {reason}");
            row(name, verdict(record), reason, observed_text.clone());
        }
        // The same cache, found from the whole prefix tree, gets the same verdict; a cache of
        // another tree is not in the tree audit.
        let in_prefix = cache.starts_with(&pfx);
        if let (Some(whole), "tree", true) = (&whole, str_field(case, "audit"), in_prefix) {
            let again: Vec<String> = whole.find(&cache).into_iter().map(verdict).collect();
            if again != [verdict(record)] {
                let why = format!("whole-tree audit says {again:?}");
                row(name, verdict(record), why, observed_text.clone());
            }
        }
        if str_field(case, "audit") == "whole" && !tree.find(&cache).is_empty() {
            let why = "a cache of another source tree is in the tree audit".to_string();
            row(name, verdict(record), why, observed_text);
        }
    }
    // explain and clean, given the same prefix, say what check says of every case.
    for case in &cases {
        let audit = match str_field(case, "audit") {
            "tree" => &tree,
            "relative" => match &relative {
                Some(a) => a,
                None => continue,
            },
            _ => continue,
        };
        let file = root.join(str_field(case, "cache"));
        let Some(record) = audit.find(&file).first().copied() else {
            continue; // Reported above.
        };
        let said = explained.get(&file).cloned().unwrap_or_default();
        if said != verdict(record) {
            let why = format!("explain says {said:?}");
            row(str_field(case, "case"), verdict(record), why, String::new());
        }
    }
    let condemned = ["orphan", "stale", "mismatch", "corrupt", "suspect"];
    for record in &tree.records {
        let path = tree.path(record);
        let removable =
            record["kind"] == "cache" && condemned.contains(&str_field(record, "status"));
        if removable && !cleaned.iter().any(|(p, _, _)| *p == path) {
            let why = format!("clean -n leaves {}", path.display());
            row("(clean)", verdict(record), why, String::new());
        }
    }
    for (path, said, outcome) in cleaned {
        let Some(record) = tree.find(&path).first().copied() else {
            let why = format!("{} is not in the check audit", path.display());
            row("(clean)", said, why, String::new());
            continue;
        };
        let status = str_field(record, "status");
        if !said.starts_with(&format!("{status}/")) || outcome != "would_remove" {
            let why = format!("clean -n: {said}, {outcome}");
            row("(clean)", verdict(record), why, path.display().to_string());
        }
    }
    let mirror = pfx
        .join(root.strip_prefix("/").unwrap_or(&root))
        .join("tree");
    for record in &tree.records {
        let path = tree.path(record);
        if !path.starts_with(root.join("tree")) && !path.starts_with(&mirror) {
            let why = format!("{} is neither under tree/ nor its mirror", path.display());
            row("(tree audit)", verdict(record), why, String::new());
        }
    }
    if let Some(audit) = &relative {
        if !audit.stderr.contains("note: PYTHONPYCACHEPREFIX=relpfx") {
            let why = format!("no note on stderr: {}", audit.stderr);
            row("(relative audit)", String::new(), why, String::new());
        }
    }
    Ok((cases.len(), rows))
}

/// Runs the prefix cases on every interpreter found; CI requires the same ones as the suite.
pub fn run() {
    let suite = "differential (pycache prefix)";
    let run = interpreters::run_each(suite, |interp, _| check_interpreter(interp));
    let mut rows = Vec::new();
    for (interp, (count, mut found)) in run.results {
        eprintln!(
            "{suite}: {}: {count} cases, {} disagreements",
            interp.label(),
            found.len()
        );
        rows.append(&mut found);
    }
    assert_none(&rows, &run.problems);
}
