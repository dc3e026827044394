//! The import's directory lookup: what `import NAME` finds in a directory before a module's
//! source and caches.
//!
//! CPython 3's `FileFinder` (PyPy's too) first takes a directory `NAME/` holding an `__init__`
//! with one of its suffixes (a regular package), then `NAME` plus each extension-module suffix
//! of that version, then `NAME.py` (whose `__pycache__` it reads), then a sourceless
//! `NAME.pyc`; a directory without `__init__` is a namespace portion, which any module in the
//! same directory shadows. Python 2.7's `imp` takes a package first, then `NAME.so` and
//! `NAMEmodule.so`, then `NAME.py`, then `NAME.pyc`.
//!
//! What makes a directory a package depends on the version and the optimisation level (checked
//! with each interpreter): Python 2 takes `__init__.py`, then `__init__.pyc` at level 0 or
//! `__init__.pyo` under `-O` (never an extension module, never the other bytecode name); Python
//! 3.5+ takes `__init__` with any of its loaders' suffixes (`.py`, `.pyc` at every level,
//! its extension suffixes); 3.0-3.4 take `.pyo` in place of `.pyc` under `-O`.
//!
//! This module says what one interpreter finds at one level (`ahead`); `readers` applies it to
//! every interpreter that reaches a cache, once the walk is done.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::pyc::magic::{Implementation, PyVersion};
use crate::python::interp::Interpreter;
use crate::python::naming::CacheName;
use crate::python::optimize;
use crate::verdict::model::display_path;

/// What the walk saw around a module: the `__init__` files of a directory of its name (if
/// there is one) and the extension modules beside it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Neighbours<'a> {
    /// `Some` when `NAME/` is a directory: the names of the `__init__` files it holds.
    pub package_inits: Option<&'a [OsString]>,
    /// Every extension module's file name in the module's directory.
    pub extensions: &'a [OsString],
}

/// What the import finds ahead of a module's source and caches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ahead {
    /// A regular package: the directory and the `__init__` that makes it one.
    Package { dir: PathBuf, init: PathBuf },
    /// An extension module.
    Extension(PathBuf),
}

impl Ahead {
    pub(crate) fn describe(&self) -> String {
        match self {
            Ahead::Package { dir, init } => format!(
                "the package {}/ (its {})",
                display_path(dir),
                display_path(init)
            ),
            Ahead::Extension(path) => format!("the extension module {}", display_path(path)),
        }
    }
}

/// The module a cache belongs to: its directory and name, `None` for an `__init__` (the
/// package itself, which the lookup finds first) or a name with no module.
pub(crate) fn module_of(name: &CacheName) -> Option<(&Path, &OsStr)> {
    let source = name.sources.first()?;
    let stem = source.file_stem()?;
    if stem == "__init__" || stem.as_encoded_bytes().contains(&b'.') {
        return None;
    }
    Some((source.parent()?, stem))
}

/// What `interpreter`'s import, at optimisation `level`, finds ahead of the module `module` in
/// `dir`, if anything.
pub(crate) fn ahead(
    interpreter: Interpreter,
    level: u8,
    dir: &Path,
    module: &OsStr,
    around: Neighbours,
) -> Option<Ahead> {
    if let Some(inits) = around.package_inits {
        let package = dir.join(module);
        let init = inits.iter().find(|i| init_accepted(interpreter, level, i));
        if let Some(init) = init {
            let init = package.join(init);
            return Some(Ahead::Package { dir: package, init });
        }
    }
    around
        .extensions
        .iter()
        .find(|e| extension_of(interpreter, module, e))
        .map(|e| Ahead::Extension(dir.join(e)))
}

/// Whether the interpreter, at `level`, takes this `__init__` file as making its directory a
/// package.
fn init_accepted(interpreter: Interpreter, level: u8, init: &OsStr) -> bool {
    let suffix = &init.as_encoded_bytes()["__init__".len()..];
    let bytecode: &[u8] = match optimize::uses_pyo(interpreter.python) && level > 0 {
        true => b".pyo",
        false => b".pyc",
    };
    let python2 = interpreter.python.is_some_and(|p| p.major == 2);
    suffix == b".py" || suffix == bytecode || (!python2 && extension_suffix(interpreter, suffix))
}

/// Whether `file` is the module `module` as an extension module this interpreter loads.
pub(crate) fn extension_of(interpreter: Interpreter, module: &OsStr, file: &OsStr) -> bool {
    let (module, file) = (module.as_encoded_bytes(), file.as_encoded_bytes());
    file.strip_prefix(module)
        .is_some_and(|suffix| extension_suffix(interpreter, suffix))
}

/// The extension-module suffixes of each interpreter (`importlib.machinery.EXTENSION_SUFFIXES`,
/// `imp.get_suffixes()` on Python 2), by their form rather than the build's platform name.
fn extension_suffix(interpreter: Interpreter, suffix: &[u8]) -> bool {
    let python = interpreter.python.unwrap_or(PyVersion::new(3, 99));
    let tagged = |prefix: &str| {
        suffix.starts_with(prefix.as_bytes())
            && (suffix.ends_with(b".so") || suffix.ends_with(b".pyd"))
    };
    let (major, minor) = (python.major, python.minor);
    match (interpreter.implementation, major) {
        (_, 2) => matches!(suffix, b".so" | b"module.so" | b".pyd"),
        (Implementation::PyPy, _) => tagged(&format!(".pypy{major}{minor}-")),
        (Implementation::CPython, _) => {
            matches!(suffix, b".so" | b".abi3.so" | b".pyd")
                || tagged(&format!(".cpython-{major}{minor}-"))
                || tagged(&format!(".cpython-{major}{minor}m-"))
                || tagged(&format!(".cp{major}{minor}-"))
        }
        _ => matches!(suffix, b".so" | b".pyd"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn cpython(minor: u8) -> Interpreter {
        Interpreter {
            implementation: Implementation::CPython,
            python: Some(PyVersion::new(if minor == 27 { 2 } else { 3 }, minor % 20)),
        }
    }

    #[test]
    fn a_package_with_an_init_shadows_the_module() {
        let inits = names(&["__init__.py"]);
        let around = Neighbours {
            package_inits: Some(&inits),
            extensions: &[],
        };
        let found = ahead(cpython(12), 0, Path::new("d"), OsStr::new("foo"), around);
        assert!(matches!(found, Some(Ahead::Package { .. })), "{found:?}");
        let empty = names(&[]);
        let namespace = Neighbours {
            package_inits: Some(&empty),
            extensions: &[],
        };
        assert_eq!(
            ahead(cpython(12), 0, Path::new("d"), OsStr::new("foo"), namespace),
            None
        );
    }

    #[test]
    fn extension_suffixes_are_each_versions() {
        let exts = names(&["foo.cpython-311-x86_64-linux-gnu.so", "barmodule.so"]);
        let around = Neighbours {
            package_inits: None,
            extensions: &exts,
        };
        let at = |i, m: &str| ahead(i, 0, Path::new("d"), OsStr::new(m), around).is_some();
        assert!(at(cpython(11), "foo"));
        assert!(!at(cpython(12), "foo"));
        assert!(at(cpython(27), "bar"));
        assert!(!at(cpython(12), "bar"));
    }

    #[test]
    fn package_markers_follow_the_version_and_level() {
        let marker = |i, level, init: &str| {
            let inits = names(&[init]);
            let around = Neighbours {
                package_inits: Some(&inits),
                extensions: &[],
            };
            ahead(i, level, Path::new("d"), OsStr::new("foo"), around).is_some()
        };
        // Python 2.7: `.pyc` at level 0, `.pyo` under -O, never an extension module.
        assert!(marker(cpython(27), 0, "__init__.pyc"));
        assert!(!marker(cpython(27), 1, "__init__.pyc"));
        assert!(!marker(cpython(27), 0, "__init__.pyo"));
        assert!(marker(cpython(27), 1, "__init__.pyo"));
        assert!(marker(cpython(27), 2, "__init__.pyo"));
        assert!(!marker(cpython(27), 0, "__init__.so"));
        // Python 3.5+: `.pyc` at every level, never `.pyo`; its own extension suffixes.
        assert!(marker(cpython(12), 0, "__init__.pyc"));
        assert!(marker(cpython(12), 2, "__init__.pyc"));
        assert!(!marker(cpython(12), 1, "__init__.pyo"));
        assert!(marker(
            cpython(12),
            0,
            "__init__.cpython-312-x86_64-linux-gnu.so"
        ));
        assert!(!marker(
            cpython(11),
            0,
            "__init__.cpython-312-x86_64-linux-gnu.so"
        ));
    }
}
