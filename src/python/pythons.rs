//! The interpreters that run the audited tree (`--python VERSION|EXECUTABLE`).
//!
//! An executable is run once to learn what it is: implementation, `X.Y`, cache tag and magic
//! number. A bare version (`3.12`, `pypy3.9`) is looked up as `clean --recompile` finds
//! interpreters (`PATH`, then pyenv) and that one is asked; a CPython version with no
//! interpreter on this machine is taken from the tables (tag `cpython-XY`, the final
//! release's magic), so a tree can be audited for a Python that is installed elsewhere.

use std::path::{Path, PathBuf};

use crate::pyc::magic::{cpython_final, Implementation, PyVersion};
use crate::python::interpreters::{python_command, Finder, Wanted};

/// One interpreter that runs the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    pub implementation: Implementation,
    pub python: PyVersion,
    /// `sys.implementation.cache_tag`; `None` on Python 2, which writes only legacy files.
    pub tag: Option<String>,
    /// The magic number its import checks.
    pub magic: u16,
    /// The executable asked, if one was.
    pub executable: Option<PathBuf>,
}

impl Running {
    /// `CPython 3.12`, as the reasons name it.
    pub fn label(&self) -> String {
        format!("{} {}", self.implementation, self.python)
    }
}

/// Prints implementation, `X.Y`, cache tag (empty on 2.x) and magic; valid Python 2 and 3.
const PROBE: &str = "import platform, sys\n\
try:\n    import importlib.util as u; m = u.MAGIC_NUMBER\n\
except Exception:\n    import imp; m = imp.get_magic()\n\
m = bytearray(m)\n\
print(platform.python_implementation())\n\
print('%d.%d' % sys.version_info[:2])\n\
print(getattr(getattr(sys, 'implementation', None), 'cache_tag', None) or '')\n\
print(m[0] | m[1] << 8)\n";

/// Resolves each `--python` value, in order; duplicates (by tag and magic) are dropped.
pub(crate) fn resolve_all(specs: &[String]) -> Result<Vec<Running>, String> {
    let mut finder = Finder::default();
    let mut out: Vec<Running> = Vec::new();
    for spec in specs {
        let running = resolve(spec, &mut finder)?;
        if !out
            .iter()
            .any(|r| r.tag == running.tag && r.magic == running.magic)
        {
            out.push(running);
        }
    }
    Ok(out)
}

fn resolve(spec: &str, finder: &mut Finder) -> Result<Running, String> {
    if spec.contains('/') || Path::new(spec).is_file() {
        return ask(Path::new(spec));
    }
    let wanted = parse_version(spec).ok_or_else(|| {
        format!("--python {spec:?}: neither an executable nor a version (3.12, pypy3.9)")
    })?;
    if let Some(executable) = finder.find(wanted) {
        return ask(&executable);
    }
    match (wanted.implementation, cpython_final(wanted.version)) {
        (Implementation::CPython, Some(magic)) if wanted.version.major == 3 => Ok(Running {
            implementation: Implementation::CPython,
            python: wanted.version,
            tag: Some(format!(
                "cpython-{}{}",
                wanted.version.major, wanted.version.minor
            )),
            magic: magic.0,
            executable: None,
        }),
        (Implementation::CPython, Some(magic)) => Ok(Running {
            implementation: Implementation::CPython,
            python: wanted.version,
            tag: None,
            magic: magic.0,
            executable: None,
        }),
        _ => Err(format!(
            "--python {spec}: no {} found on PATH or in pyenv",
            wanted.label()
        )),
    }
}

/// `3.12` (CPython), `pypy3.9`, `graalpy3.11`, `rustpython3.13`.
fn parse_version(spec: &str) -> Option<Wanted> {
    let (implementation, rest) = if let Some(rest) = spec.strip_prefix("pypy") {
        (Implementation::PyPy, rest)
    } else if let Some(rest) = spec.strip_prefix("graalpy") {
        (Implementation::GraalPy, rest)
    } else if let Some(rest) = spec.strip_prefix("rustpython") {
        (Implementation::RustPython, rest)
    } else {
        (
            Implementation::CPython,
            spec.strip_prefix("python").unwrap_or(spec),
        )
    };
    let (major, minor) = rest.split_once('.')?;
    Some(Wanted {
        implementation,
        version: PyVersion::new(major.parse().ok()?, minor.parse().ok()?),
    })
}

/// Runs an executable once and reads what it says it is.
fn ask(executable: &Path) -> Result<Running, String> {
    let shown = executable.display();
    let output = python_command(executable)
        .args(["-c", PROBE])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("--python {shown}: {e}"))?;
    if !output.status.success() {
        return Err(format!("--python {shown}: exited {}", output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let bad = || format!("--python {shown}: unexpected answer {text:?}");
    let [implementation, version, tag, magic] = lines[..] else {
        return Err(bad());
    };
    let implementation = match implementation {
        "CPython" => Implementation::CPython,
        "PyPy" => Implementation::PyPy,
        "GraalVM" | "GraalPy" => Implementation::GraalPy,
        "RustPython" => Implementation::RustPython,
        _ => return Err(bad()),
    };
    Ok(Running {
        implementation,
        python: PyVersion::parse_prefix(version).ok_or_else(bad)?,
        tag: (!tag.is_empty()).then(|| tag.to_string()),
        magic: magic.parse().map_err(|_| bad())?,
        executable: Some(executable.to_path_buf()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        let w = parse_version("pypy3.9").unwrap();
        assert_eq!(w.implementation, Implementation::PyPy);
        assert_eq!(w.version, PyVersion::new(3, 9));
        assert_eq!(
            parse_version("3.12").unwrap().version,
            PyVersion::new(3, 12)
        );
        let rust = parse_version("rustpython3.13").unwrap();
        assert_eq!(rust.implementation, Implementation::RustPython);
        assert_eq!(rust.version, PyVersion::new(3, 13));
        assert!(parse_version("latest").is_none());
    }

    #[test]
    fn an_unknown_version_without_interpreter_is_an_error() {
        let mut finder = Finder::default();
        assert!(resolve("pypy9.9", &mut finder).is_err());
    }
}
