//! Discovering the real interpreters the suites that build trees with them use, the rule for
//! which of them CI must have, and running a check on each of them at once.
//!
//! Interpreters are discovered, never configured: every `<pyenv root>/versions/*/bin/python`
//! (`$PYENV_ROOT`, else `pyenv root`, else `$HOME/.pyenv`), then `python3` and `pypy3` on
//! `PATH`, de-duplicated by their real executable. Under `CI=true` a missing expected
//! interpreter (CPython 2.7, 3.6-3.13, PyPy 3) fails the suite, unless the CI says explicitly
//! that its machines lack some with `PYC_AUDIT_PARTIAL_INTERPRETERS=1`.

use std::collections::BTreeSet;
use std::env;
use std::path::{Path, PathBuf};
use std::thread;

use super::pythons::{on_path, pyenv_root, python_command};

/// Interpreters CI must provide: (implementation, X.Y), `None` meaning any version.
const EXPECTED: &[(&str, Option<&str>)] = &[
    ("CPython", Some("2.7")),
    ("CPython", Some("3.6")),
    ("CPython", Some("3.7")),
    ("CPython", Some("3.8")),
    ("CPython", Some("3.9")),
    ("CPython", Some("3.10")),
    ("CPython", Some("3.11")),
    ("CPython", Some("3.12")),
    ("CPython", Some("3.13")),
    ("PyPy", None),
];

/// Prints the implementation, X.Y and the real executable; valid Python 2 and 3.
const PROBE: &str = "import os, platform, sys\n\
print(platform.python_implementation())\n\
print('%d.%d' % sys.version_info[:2])\n\
print(os.path.realpath(sys.executable))\n";

#[derive(Clone, Debug)]
pub struct Interpreter {
    pub implementation: String,
    pub version: String,
    pub executable: PathBuf,
}

impl Interpreter {
    /// Runs the interpreter with `args` in `dir`: its stdout, or what it said on stderr (with
    /// the command) when it failed.
    #[allow(dead_code)] // not every suite that includes this module runs it this way
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Result<String, String> {
        let out = python_command(&self.executable)
            .current_dir(dir)
            .args(args)
            .output()
            .map_err(|e| format!("{}: {e}", self.label()))?;
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            false => Err(format!(
                "{} {args:?} in {}: {}",
                self.label(),
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            )),
        }
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.implementation, self.version)
    }

    #[allow(dead_code)] // not every suite that includes this module asks
    pub fn is_py2(&self) -> bool {
        self.version.starts_with("2.")
    }
}

fn probe(candidate: &Path) -> Option<Interpreter> {
    let output = python_command(candidate)
        .args(["-c", PROBE])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    Some(Interpreter {
        implementation: lines.next()?.trim().to_string(),
        version: lines.next()?.trim().to_string(),
        executable: PathBuf::from(lines.next()?.trim()),
    })
}

/// Every interpreter found, once each; `suite` names the caller in messages.
pub fn discover(suite: &str) -> Vec<Interpreter> {
    let mut candidates = Vec::new();
    if let Some(root) = pyenv_root() {
        if let Ok(entries) = std::fs::read_dir(root.join("versions")) {
            let mut versions: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin").join("python"))
                .filter(|p| p.is_file())
                .collect();
            versions.sort();
            candidates.extend(versions);
        }
    }
    candidates.extend(on_path("python3"));
    candidates.extend(on_path("pypy3"));

    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for candidate in candidates {
        match probe(&candidate) {
            Some(interp) => {
                let key = std::fs::canonicalize(&interp.executable)
                    .unwrap_or_else(|_| interp.executable.clone());
                if seen.insert(key) {
                    found.push(interp);
                }
            }
            None => eprintln!("{suite}: {} does not run; ignored", candidate.display()),
        }
    }
    found
}

/// The expected interpreters that are not among `found`, as "CPython 3.6" or "PyPy 3".
pub fn missing(found: &[Interpreter]) -> Vec<String> {
    EXPECTED
        .iter()
        .filter(|(implementation, version)| {
            !found.iter().any(|i| {
                i.implementation == *implementation && version.is_none_or(|v| i.version == v)
            })
        })
        .map(|(implementation, version)| format!("{implementation} {}", version.unwrap_or("3")))
        .collect()
}

/// True under `CI=true`, where every expected interpreter must be present, unless
/// `PYC_AUDIT_PARTIAL_INTERPRETERS=1` says the CI machines lack some (a hosted runner
/// without pyenv).
pub fn all_required() -> bool {
    let partial_ok = env::var("PYC_AUDIT_PARTIAL_INTERPRETERS").is_ok_and(|v| v == "1");
    env::var("CI").is_ok_and(|v| v == "true") && !partial_ok
}

/// What running a check on every interpreter gave: each interpreter whose check ran and its
/// result, and the problems (a check that failed, under CI a missing expected interpreter).
pub struct Run<T> {
    pub results: Vec<(Interpreter, T)>,
    pub problems: Vec<String>,
    /// How many interpreters were found.
    #[allow(dead_code)] // not every suite reports it
    pub found: usize,
}

/// Runs `check` (given the interpreter and all the others found) on every interpreter, each
/// in its own thread; `suite` names the caller in messages. Finding none fails under CI and
/// is only reported elsewhere.
pub fn run_each<T: Send>(
    suite: &str,
    check: impl Fn(&Interpreter, &[Interpreter]) -> Result<T, String> + Sync,
) -> Run<T> {
    let found = discover(suite);
    let in_ci = all_required();
    let missing = missing(&found);
    if !missing.is_empty() {
        eprintln!("{suite}: interpreters not found: {}", missing.join(", "));
    }
    if found.is_empty() {
        assert!(!in_ci, "{suite}: no Python interpreter found under CI");
        eprintln!("{suite}: no Python interpreter found; nothing to compare");
    }
    let (check, all) = (&check, found.as_slice());
    let outcomes: Vec<(&Interpreter, Result<T, String>)> = thread::scope(|scope| {
        let handles: Vec<_> = all
            .iter()
            .map(|interp| (interp, scope.spawn(move || check(interp, all))))
            .collect();
        handles
            .into_iter()
            .map(|(interp, handle)| {
                let result = handle.join().unwrap_or_else(|_| Err("panicked".into()));
                (interp, result)
            })
            .collect()
    });
    let mut run = Run {
        results: Vec::new(),
        problems: Vec::new(),
        found: found.len(),
    };
    for (interp, outcome) in outcomes {
        match outcome {
            Ok(result) => run.results.push((interp.clone(), result)),
            Err(message) => {
                eprintln!("{suite}: {}: {message}", interp.label());
                run.problems.push(format!("{}: {message}", interp.label()));
            }
        }
    }
    if in_ci && !missing.is_empty() {
        let missing = missing.join(", ");
        run.problems
            .push(format!("CI=true but interpreters are missing: {missing}"));
    }
    run
}
