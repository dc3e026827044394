//! Finding the interpreter that reads a cache, to rebuild it: by implementation and `X.Y`,
//! among `pythonX.Y` (`pypyX.Y`, `graalpy`, ...) on `PATH`, then pyenv's versions
//! (`$PYENV_ROOT`, else `~/.pyenv`). Every candidate is run once to ask what it is, because a
//! name proves nothing (a pyenv shim for a version that is not selected exits with an error,
//! and `python3` may be any 3.x).

use std::collections::HashMap;
use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pyc::magic::{Implementation, PyVersion};

/// An interpreter to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Wanted {
    pub implementation: Implementation,
    pub version: PyVersion,
}

impl Wanted {
    /// The executable names to look for on `PATH`, most specific first.
    pub(crate) fn names(self) -> Vec<String> {
        let v = self.version;
        match self.implementation {
            Implementation::CPython => vec![
                format!("python{}.{}", v.major, v.minor),
                format!("python{}", v.major),
                "python".into(),
            ],
            Implementation::PyPy => vec![
                format!("pypy{}.{}", v.major, v.minor),
                format!("pypy{}", v.major),
                "pypy".into(),
            ],
            Implementation::GraalPy => vec!["graalpy".into()],
            Implementation::RustPython => vec!["rustpython".into()],
        }
    }

    /// Returns true if and only if a pyenv version directory name can hold this interpreter
    /// (`3.12.1`, `3.12-dev`, `pypy3.9-7.3.11`, `graalpy-24.1.0`; not `3.1.5` for 3.12).
    pub(crate) fn matches_pyenv_dir(self, name: &str) -> bool {
        let prefix = match self.implementation {
            Implementation::CPython => format!("{}", self.version),
            Implementation::PyPy => format!("pypy{}", self.version),
            Implementation::GraalPy => return name.starts_with("graalpy"),
            Implementation::RustPython => return name.starts_with("rustpython"),
        };
        name.strip_prefix(&prefix)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
    }

    pub(crate) fn label(self) -> String {
        format!("{} {}", self.implementation, self.version)
    }
}

/// Every candidate path for `wanted`, in the order they are tried: each name in each `PATH`
/// directory, then pyenv's matching versions, newest directory name first.
pub(crate) fn candidates(
    wanted: Wanted,
    path_dirs: &[PathBuf],
    pyenv: Option<&Path>,
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for name in wanted.names() {
        out.extend(path_dirs.iter().map(|d| d.join(&name)));
    }
    if let Some(root) = pyenv {
        let mut dirs: Vec<String> = fs::read_dir(root.join("versions"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| wanted.matches_pyenv_dir(n))
            .collect();
        dirs.sort_by(|a, b| natural_key(b).cmp(&natural_key(a)));
        out.extend(
            dirs.iter()
                .map(|d| root.join("versions").join(d).join("bin/python")),
        );
    }
    out
}

/// `3.12.10` after `3.12.9`: the numbers in a name, compared as numbers, then the name.
fn natural_key(name: &str) -> (Vec<u64>, &str) {
    let numbers = name
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers, name)
}

/// Prints the implementation and `X.Y`; valid Python 2 and 3.
const PROBE: &str = "import platform, sys\n\
print(platform.python_implementation())\n\
print('%d.%d' % sys.version_info[:2])\n";

/// A `Command` for an interpreter, without the `PYTHON*` variables (but `PYTHONHOME`) and
/// `SOURCE_DATE_EPOCH`, which change how caches are written.
pub(crate) fn python_command(executable: &Path) -> Command {
    let mut command = Command::new(executable);
    for (key, _) in env::vars_os() {
        let name = key.to_string_lossy();
        if (name.starts_with("PYTHON") && name != "PYTHONHOME") || name == "SOURCE_DATE_EPOCH" {
            command.env_remove(&key);
        }
    }
    command
}

/// What a candidate says it is, if it runs.
fn probe(executable: &Path) -> Option<(String, String)> {
    if !executable.is_file() {
        return None;
    }
    let output = python_command(executable)
        .args(["-c", PROBE])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let found = (
        lines.next()?.trim().to_string(),
        lines.next()?.trim().to_string(),
    );
    output.status.success().then_some(found)
}

/// What `platform.python_implementation()` says for an implementation.
fn implementation_name(implementation: Implementation) -> &'static [&'static str] {
    match implementation {
        Implementation::CPython => &["CPython"],
        Implementation::PyPy => &["PyPy"],
        Implementation::GraalPy => &["GraalVM", "GraalPy"],
        // RustPython's bundled `Lib/platform.py` ("XXX: RUSTPYTHON support").
        Implementation::RustPython => &["RustPython"],
    }
}

/// Finds interpreters, asking each candidate once.
#[derive(Default)]
pub(crate) struct Finder {
    found: HashMap<Wanted, Option<PathBuf>>,
    probed: HashMap<PathBuf, Option<(String, String)>>,
}

impl Finder {
    /// The first candidate that runs and is the wanted implementation and version.
    pub(crate) fn find(&mut self, wanted: Wanted) -> Option<PathBuf> {
        if let Some(found) = self.found.get(&wanted) {
            return found.clone();
        }
        let path_dirs: Vec<PathBuf> = env::split_paths(&env::var_os("PATH").unwrap_or_default())
            .filter(|d| !d.as_os_str().is_empty())
            .collect();
        let pyenv = pyenv_root();
        let want = (
            wanted.version.to_string(),
            implementation_name(wanted.implementation),
        );
        let found = candidates(wanted, &path_dirs, pyenv.as_deref())
            .into_iter()
            .find(|c| {
                let said = self.probed.entry(c.clone()).or_insert_with(|| probe(c));
                said.as_ref()
                    .is_some_and(|(imp, ver)| *ver == want.0 && want.1.contains(&imp.as_str()))
            });
        self.found.insert(wanted, found.clone());
        found
    }
}

/// `$PYENV_ROOT`, else `~/.pyenv`.
fn pyenv_root() -> Option<PathBuf> {
    let nonempty = |v: OsString| (!v.is_empty()).then_some(v);
    if let Some(root) = env::var_os("PYENV_ROOT").and_then(nonempty) {
        return Some(PathBuf::from(root));
    }
    env::var_os("HOME")
        .and_then(nonempty)
        .map(|h| PathBuf::from(h).join(".pyenv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPY312: Wanted = Wanted {
        implementation: Implementation::CPython,
        version: PyVersion::new(3, 12),
    };

    #[test]
    fn pyenv_dirs_match_the_minor_version_exactly() {
        assert!(CPY312.matches_pyenv_dir("3.12.1"));
        assert!(CPY312.matches_pyenv_dir("3.12-dev"));
        assert!(CPY312.matches_pyenv_dir("3.12"));
        assert!(!CPY312.matches_pyenv_dir("3.1.5"));
        assert!(!CPY312.matches_pyenv_dir("3.120"));
        assert!(!CPY312.matches_pyenv_dir("pypy3.12-7.3"));
        let pypy = Wanted {
            implementation: Implementation::PyPy,
            version: PyVersion::new(3, 9),
        };
        assert!(pypy.matches_pyenv_dir("pypy3.9-7.3.11"));
        assert!(!pypy.matches_pyenv_dir("3.9.18"));
        assert_eq!(pypy.names()[..2], ["pypy3.9", "pypy3"]);
    }

    #[test]
    fn candidates_path_first_then_newest_pyenv() {
        let pyenv = tempfile::tempdir().unwrap();
        for v in ["3.12.1", "3.12.10", "3.12.9", "3.11.7", "3.1.2"] {
            fs::create_dir_all(pyenv.path().join("versions").join(v)).unwrap();
        }
        let dirs = [PathBuf::from("/a"), PathBuf::from("/b")];
        let got = candidates(CPY312, &dirs, Some(pyenv.path()));
        let v = |d: &str| pyenv.path().join("versions").join(d).join("bin/python");
        assert_eq!(
            got,
            [
                PathBuf::from("/a/python3.12"),
                PathBuf::from("/b/python3.12"),
                PathBuf::from("/a/python3"),
                PathBuf::from("/b/python3"),
                PathBuf::from("/a/python"),
                PathBuf::from("/b/python"),
                v("3.12.10"),
                v("3.12.9"),
                v("3.12.1"),
            ]
        );
    }

    #[test]
    fn a_missing_candidate_is_not_an_interpreter() {
        assert_eq!(probe(Path::new("/nonexistent/python3.12")), None);
    }
}
