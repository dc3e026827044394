//! The real interpreters the `clean` tests build trees with: every pyenv version, then
//! `python3` and `pypy3` on PATH, each asked what it is and de-duplicated by its real
//! executable. Under `CI=true` every expected interpreter must be found, unless
//! `PYC_AUDIT_PARTIAL_INTERPRETERS=1` says the machine lacks some (as in the differential
//! suite).

use std::collections::BTreeSet;
use std::env;
use std::path::{Path, PathBuf};
use std::thread;

use crate::pythons::{on_path, pyenv_root, python_command};

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
    pub fn label(&self) -> String {
        format!("{} {}", self.implementation, self.version)
    }

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
    let mut lines = text.lines().map(str::trim);
    Some(Interpreter {
        implementation: lines.next()?.to_string(),
        version: lines.next()?.to_string(),
        executable: PathBuf::from(lines.next()?),
    })
}

pub fn discover() -> Vec<Interpreter> {
    let mut candidates = Vec::new();
    if let Some(root) = pyenv_root() {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin").join("python"))
            .filter(|p| p.is_file())
            .collect();
        versions.sort();
        candidates.extend(versions);
    }
    candidates.extend(on_path("python3"));
    candidates.extend(on_path("pypy3"));
    let mut seen = BTreeSet::new();
    candidates
        .iter()
        .filter_map(|c| probe(c))
        .filter(|i| seen.insert(std::fs::canonicalize(&i.executable).unwrap_or_default()))
        .collect()
}

/// Returns true if and only if every expected interpreter must be there: under `CI=true`,
/// unless `PYC_AUDIT_PARTIAL_INTERPRETERS=1`.
pub fn required() -> bool {
    let partial_ok = env::var("PYC_AUDIT_PARTIAL_INTERPRETERS").is_ok_and(|v| v == "1");
    env::var("CI").is_ok_and(|v| v == "true") && !partial_ok
}

/// Runs `check` for every interpreter in its own thread and fails with every problem at once;
/// under CI a missing expected interpreter is a problem too.
pub fn for_each(suite: &str, check: impl Fn(&Interpreter) -> Result<(), String> + Sync) {
    let found = discover();
    let in_ci = required();
    let missing: Vec<String> = EXPECTED
        .iter()
        .filter(|(imp, ver)| {
            !found
                .iter()
                .any(|i| i.implementation == *imp && ver.is_none_or(|v| i.version == v))
        })
        .map(|(imp, ver)| format!("{imp} {}", ver.unwrap_or("3")))
        .collect();
    if !missing.is_empty() {
        eprintln!("{suite}: interpreters not found: {}", missing.join(", "));
    }
    let check = &check;
    let mut problems: Vec<String> = thread::scope(|scope| {
        let handles: Vec<_> = found
            .iter()
            .map(|i| (i, scope.spawn(move || check(i))))
            .collect();
        handles
            .into_iter()
            .filter_map(|(i, h)| {
                let result = h.join().unwrap_or_else(|_| Err("panicked".into()));
                eprintln!(
                    "{suite}: {} ({}): {result:?}",
                    i.label(),
                    i.executable.display()
                );
                result.err().map(|e| format!("{}: {e}", i.label()))
            })
            .collect()
    });
    if in_ci && !missing.is_empty() {
        problems.push(format!(
            "CI=true but interpreters are missing: {}",
            missing.join(", ")
        ));
    }
    if found.is_empty() {
        assert!(!in_ci, "{suite}: no Python interpreter found under CI");
        eprintln!("{suite}: no Python interpreter found; nothing tested");
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
