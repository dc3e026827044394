//! Ghost packages: directories that import, or import differently, because caches outlived
//! their sources (a namespace package where a package was, or a deleted package still run from
//! a legacy `__init__.pyc`). One row per directory, the topmost when they nest.
//!
//! Without `--python`, the row is judged as the caches' own interpreters see it (a namespace
//! package as on Python 3.3+, a legacy `__init__.pyc` by its judge). With it, each running
//! interpreter is asked what `import NAME` does (`seen_by`): a row appears only where one of
//! them gets a namespace package or runs, or fails on, the leftover.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;

use super::{dir_key, seen_by, DirCaches};
use crate::find::survey::DirFacts;
use crate::python::interp::Interpreter;
use crate::python::pythons::Running;
use crate::verdict::keyed;
use crate::verdict::model::{display_path, Action, Kind, Record, Status};
use crate::verdict::resolution;
use crate::verdict::text;

/// Directories whose caches outlived their sources; a directory inside a reported one is
/// not reported again.
pub(super) fn ghosts(
    dirs: &[DirFacts],
    index: &keyed::Map<Vec<u8>, DirCaches>,
    running: &[Running],
) -> Vec<Record> {
    // Most trees have none: the maps below are built only when some directory can be one.
    let mut candidates: Vec<(&DirFacts, &DirCaches)> = dirs
        .iter()
        .filter_map(|d| index.get(dir_key(&d.path)).map(|found| (d, found)))
        .filter(|(d, found)| could_be_ghost(d, found))
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let packages: keyed::Set<&[u8]> = dirs
        .iter()
        .filter(|d| {
            d.init_source
                || index
                    .get(dir_key(&d.path))
                    .is_some_and(|c| c.legacy_init.is_some())
        })
        .map(|d| dir_key(&d.path))
        .collect();
    let by_path: keyed::Map<&[u8], &DirFacts> =
        dirs.iter().map(|d| (dir_key(&d.path), d)).collect();
    // Byte order puts every directory after its ancestors, and is far cheaper than Path's.
    candidates.sort_by(|a, b| a.0.path.as_os_str().cmp(b.0.path.as_os_str()));
    let mut reported: keyed::Set<&[u8]> = keyed::Set::default();
    let mut out = Vec::new();
    for (dir, found) in candidates {
        if !reported.is_empty()
            && dir
                .path
                .ancestors()
                .skip(1)
                .any(|a| reported.contains(dir_key(a)))
        {
            continue;
        }
        let beside = module_beside(&dir.path, &by_path);
        let name = module_name(&dir.path, &packages);
        if let Some(rec) = ghost(dir, &name, found, &beside, running) {
            reported.insert(dir_key(&dir.path));
            out.push(rec);
        }
    }
    out
}

/// Whether [`ghost`] could find anything here: most directories with caches have their
/// sources, and need neither a name worked out nor a module looked for beside them.
fn could_be_ghost(dir: &DirFacts, found: &DirCaches) -> bool {
    found.legacy_init.is_some() || Remains::of(dir, found).is_some()
}

/// The name a directory imports as: its own, after those of the enclosing directories that are
/// regular packages (an `__init__` source or a legacy `__init__.pyc`), up to the root.
fn module_name(path: &Path, packages: &keyed::Set<&[u8]>) -> String {
    let mut parts = vec![own_name(path)];
    let mut dir = path;
    while let Some(parent) = dir.parent().filter(|p| packages.contains(dir_key(p))) {
        parts.push(own_name(parent));
        dir = parent;
    }
    parts.reverse();
    parts.join(".")
}

/// A directory's own name; a path ending in `.` or `..` is resolved to learn it.
fn own_name(path: &Path) -> String {
    path.file_name()
        .map(Into::into)
        .or_else(|| fs::canonicalize(path).ok()?.file_name().map(Into::into))
        .map_or_else(
            || display_path(path),
            |n: OsString| n.to_string_lossy().into_owned(),
        )
}

/// Whether a module of the directory's name sits beside it (`NAME.py`, a legacy `NAME.pyc`,
/// an extension module): Python 3's import finds that module, not a namespace package.
fn module_beside<'a>(dir: &'a Path, by_path: &keyed::Map<&[u8], &'a DirFacts>) -> Beside<'a> {
    let (Some(parent), Some(own)) = (dir.parent(), dir.file_name()) else {
        return Beside::Nothing;
    };
    let file = |ext: &str| {
        let mut path = dir.as_os_str().to_owned();
        path.push(ext);
        fs::metadata(path).is_ok_and(|m| m.is_file())
    };
    if file(".py") || file(".pyc") {
        return Beside::File;
    }
    let mine = own.as_encoded_bytes();
    let files: Vec<&OsStr> = by_path
        .get(dir_key(parent))
        .map(|p| {
            p.extensions
                .iter()
                .filter(|e| {
                    let e = e.as_encoded_bytes();
                    e.starts_with(mine) && e.get(mine.len()) == Some(&b'.')
                })
                .map(OsString::as_os_str)
                .collect()
        })
        .unwrap_or_default();
    match files.is_empty() {
        true => Beside::Nothing,
        false => Beside::Extensions { own, files },
    }
}

/// A module of a directory's name beside it, which an import finds instead of a namespace
/// portion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Beside<'a> {
    Nothing,
    /// `NAME.py` or a legacy `NAME.pyc`: every interpreter finds it.
    File,
    /// Extension modules `NAME.*`: an interpreter finds one with its own suffixes (without
    /// `--python`, any of them counts).
    Extensions {
        own: &'a OsStr,
        files: Vec<&'a OsStr>,
    },
}

impl Beside<'_> {
    fn any(&self) -> bool {
        *self != Beside::Nothing
    }

    /// Whether this interpreter's import finds the module beside the directory.
    pub(super) fn shadows(&self, r: &Running) -> bool {
        let interpreter = Interpreter {
            implementation: r.implementation,
            python: Some(r.python),
        };
        match self {
            Beside::Nothing => false,
            Beside::File => true,
            Beside::Extensions { own, files } => files
                .iter()
                .any(|f| resolution::extension_of(interpreter, own, f)),
        }
    }
}

fn ghost(
    dir: &DirFacts,
    name: &str,
    found: &DirCaches,
    beside: &Beside,
    running: &[Running],
) -> Option<Record> {
    if !running.is_empty() {
        return seen_by::ghost(dir, name, found, beside, running);
    }
    // A legacy __init__.pyc Python cannot open (a dangling symlink) is passed over.
    let legacy = found
        .legacy_init
        .as_ref()
        .filter(|_| !dir.init_source)
        .and_then(|init| legacy_package(name, init));
    let (action, reason) = match (legacy, Remains::of(dir, found)) {
        (Some(found), _) => found,
        // A namespace portion loses to a module of the same name beside it.
        _ if beside.any() => return None,
        (None, Some(remains)) => (
            Action::Namespace,
            format!(
                "{}: {}",
                remains.left(found),
                remains.gives(found, name, None)
            ),
        ),
        (None, None) => return None,
    };
    Some(Record::finding(
        Kind::Directory,
        dir.path.clone(),
        Status::Ghost,
        action,
        reason,
    ))
}

/// What is left of a package that makes a Python 3.3+ import give a namespace package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Remains {
    /// No Python source below the directory, caches in its `__pycache__`.
    SourcesGone,
    /// `__init__.py` gone, its caches left in `__pycache__`.
    InitGone,
}

impl Remains {
    pub(super) fn of(dir: &DirFacts, found: &DirCaches) -> Option<Remains> {
        if !dir.sources_below && found.pycache > 0 {
            Some(Remains::SourcesGone)
        } else if !dir.init_source && found.inits > 0 {
            Some(Remains::InitGone)
        } else {
            None
        }
    }

    /// What is left, before what the import does with it.
    pub(super) fn left(self, found: &DirCaches) -> String {
        match self {
            Remains::SourcesGone => format!(
                "no Python source is left here, only {} in __pycache__{}",
                text::count(found.pycache, "cache"),
                if found.leftovers == found.pycache {
                    " (none of them read by an interpreter that runs this tree)"
                } else {
                    ""
                }
            ),
            Remains::InitGone => format!(
                "__init__.py is gone but __pycache__ still holds {}",
                text::count(found.inits, "__init__ cache")
            ),
        }
    }

    /// What `import NAME` gives, on the interpreters named (`None`: any Python 3.3+).
    pub(super) fn gives(self, found: &DirCaches, name: &str, on: Option<&str>) -> String {
        let (on, since) = match on {
            Some(who) => (format!("on {who}, "), ""),
            None => (String::new(), " (Python 3.3+)"),
        };
        let gives = match self {
            Remains::SourcesGone => format!(
                "{}{}",
                if found.legacy_loaded {
                    format!(
                        "a namespace package{since} and only its modules with a legacy .pyc \
                         still import, running old code"
                    )
                } else {
                    format!("an empty namespace package{since} and its modules no longer import")
                },
                if found.inits == 0 {
                    ""
                } else {
                    "; its __init__ code never runs"
                }
            ),
            Remains::InitGone => {
                "a namespace package and the package's init code no longer runs".to_string()
            }
        };
        format!("{on}`import {name}` gives {gives}")
    }
}

/// `__init__.py is gone but __init__.pyc remains`.
pub(super) fn legacy_left(init: &Record) -> String {
    let file = init
        .path
        .file_name()
        .map_or("__init__.pyc".into(), OsStr::to_string_lossy);
    format!("__init__.py is gone but {file} remains")
}

/// A package whose `__init__` source is gone but whose legacy `__init__.pyc` remains.
fn legacy_package(name: &str, init: &Record) -> Option<(Action, String)> {
    let who = init.python.as_deref().map_or_else(
        || "Python".to_string(),
        |p| {
            format!(
                "{} {p}",
                init.implementation
                    .map_or("Python".into(), |i| i.to_string())
            )
        },
    );
    let left = legacy_left(init);
    match init.python_action {
        Action::Load => Some((
            Action::Load,
            format!(
                "{left}: `import {name}` still imports the deleted package under {who}, running \
                 its old code"
            ),
        )),
        Action::Fail => Some((
            Action::Fail,
            format!("{left}: `import {name}` raises ({})", init.reason),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ghost_is_named_as_it_imports() {
        let packages: keyed::Set<&[u8]> = [&b"r/pkg"[..], b"r/pkg/sub"].into_iter().collect();
        assert_eq!(
            module_name(Path::new("r/pkg/sub/inner"), &packages),
            "pkg.sub.inner"
        );
        assert_eq!(module_name(Path::new("r/pkg"), &packages), "pkg");
        assert_eq!(module_name(Path::new("r/ns/x"), &packages), "x");
        // `.` is named by what it resolves to.
        let cwd = std::env::current_dir().unwrap();
        let real = cwd.file_name().unwrap().to_string_lossy();
        assert_eq!(module_name(Path::new("."), &keyed::Set::default()), real);
    }
}
