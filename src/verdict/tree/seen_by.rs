//! A ghost directory as each interpreter that runs the tree (`--python`) imports it.
//!
//! For each running interpreter, in the order given: a legacy `__init__.pyc` left without its
//! source decides when that interpreter opens it (its action on that cache: `load`, or `fail`
//! on a foreign magic); else a Python 3.3+ import gives a namespace package where the sources
//! or the `__init__` source are gone and caches remain, or where it never opens the legacy
//! `__init__` another one runs (`namespace`), unless a module of the directory's name sits
//! beside it; else the import never reads what is left (`skip`): Python 2 and 3.0-3.2 have no
//! namespace packages and Python 2 never reads `__pycache__`, so there `import NAME` raises
//! `ImportError` whatever the caches hold. A row appears only when some running interpreter
//! does more than `skip`; the worst action decides it, and with several running interpreters
//! the row lists each one's (`by_python`), as a cache record does.

use super::ghost::{legacy_left, Beside, Remains};
use super::DirCaches;
use crate::find::survey::DirFacts;
use crate::pyc::magic::PyVersion;
use crate::python::optimize::Optimize;
use crate::python::pythons::Running;
use crate::verdict::model::{Action, Kind, Record, Status};
use crate::verdict::readers::{listed, readers, Setup};
use crate::verdict::running::{each_one, rank};

/// Why an interpreter's import does what it does with the directory: its action, and for
/// `skip`, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Acts(Action),
    /// `fail`: the legacy `__init__` has another magic than the interpreter's.
    BadMagic,
    /// A module of the directory's name sits beside it and is found instead.
    Beside,
    /// No namespace packages (Python 2, 3.0-3.2): `import NAME` raises `ImportError`.
    NoNamespaces,
    /// `namespace`: Python 3.3+ that never opens the legacy `__init__` another running
    /// interpreter reads (an `__init__.pyo`): the directory alone gives a namespace package.
    NotOpened,
}

impl Seen {
    fn action(self) -> Action {
        match self {
            Seen::Acts(action) => action,
            Seen::BadMagic => Action::Fail,
            Seen::NotOpened => Action::Namespace,
            Seen::Beside | Seen::NoNamespaces => Action::Skip,
        }
    }
}

/// The ghost row for `dir` as the running interpreters see it, if any of them does more than
/// skip what is left.
pub(super) fn ghost(
    dir: &DirFacts,
    name: &str,
    found: &DirCaches,
    beside: &Beside,
    running: &[Running],
) -> Option<Record> {
    let init = found.legacy_init.as_deref().filter(|_| !dir.init_source);
    let setup = Setup {
        running,
        optimize: Optimize::default(),
    };
    // Each running interpreter's action on the legacy `__init__`, as its record says.
    let legacy: Vec<Action> = match init {
        Some(init) => readers(init, setup).iter().map(|r| r.action).collect(),
        None => vec![Action::Skip; running.len()],
    };
    let remains = Remains::of(dir, found);
    let runs_legacy = legacy
        .iter()
        .any(|a| matches!(a, Action::Load | Action::Fail));
    // `None` for one of them: nothing is left for any of them to find.
    let seen: Vec<Seen> = running
        .iter()
        .zip(&legacy)
        .map(|(r, &legacy)| {
            let beside = beside.shadows(r);
            seen(r, init.map(|i| (i, legacy)), remains, beside, runs_legacy)
        })
        .collect::<Option<_>>()?;
    let worst = seen
        .iter()
        .map(|s| s.action())
        .max_by_key(|a| rank(*a))
        .filter(|a| *a != Action::Skip)?;
    let words = Words {
        name,
        found,
        init,
        remains,
    };
    let clauses: Vec<String> = grouped(&seen, running)
        .into_iter()
        .map(|(s, who)| words.clause(s, &who))
        .collect();
    let reason = format!("{}: {}", words.left(runs_legacy), clauses.join("; "));
    let mut rec = Record::finding(
        Kind::Directory,
        dir.path.clone(),
        Status::Ghost,
        worst,
        reason,
    );
    rec.by_python = each_one(running, |n, _| seen[n].action());
    Some(rec)
}

/// What a row's reason is made of.
struct Words<'a> {
    name: &'a str,
    found: &'a DirCaches,
    /// The legacy `__init__` left without its source.
    init: Option<&'a Record>,
    remains: Option<Remains>,
}

impl Words<'_> {
    /// What is left: the legacy `__init__` when a running interpreter runs it.
    fn left(&self, runs_legacy: bool) -> String {
        match (self.init, self.remains) {
            (Some(init), _) if runs_legacy => legacy_left(init),
            (_, Some(remains)) => remains.left(self.found),
            _ => String::new(),
        }
    }

    /// What `import NAME` does on the interpreters `who` names.
    fn clause(&self, s: Seen, who: &str) -> String {
        let name = self.name;
        let file = self.init.and_then(|i| i.path.file_name()).map_or_else(
            || "__init__.pyc".into(),
            |f| f.to_string_lossy().into_owned(),
        );
        match s {
            Seen::Acts(Action::Fail) => format!(
                "on {who}, `import {name}` raises ({})",
                self.init.map_or("", |i| &i.reason)
            ),
            Seen::BadMagic => format!(
                "on {who}, `import {name}` raises ImportError: bad magic number ({file} has magic \
                 {})",
                self.init
                    .and_then(|i| i.magic)
                    .map_or_else(|| "none".into(), |m| m.to_string())
            ),
            Seen::Acts(Action::Load) => format!(
                "on {who}, `import {name}` still imports the deleted package, running its old code"
            ),
            Seen::Acts(_) => self
                .remains
                .map_or_else(String::new, |r| r.gives(self.found, name, Some(who))),
            Seen::Beside => format!("on {who}, `import {name}` finds the module beside it first"),
            Seen::NoNamespaces => format!(
                "on {who}, which has no namespace packages, `import {name}` raises ImportError"
            ),
            Seen::NotOpened => format!(
                "on {who}, which never opens {file}, `import {name}` gives a namespace package"
            ),
        }
    }
}

/// What one running interpreter does with the directory, given the legacy `__init__` left
/// without its source, if any, with the interpreter's action on it, and whether another one
/// runs it; `None` when nothing is left for it to find that makes a ghost.
fn seen(
    r: &Running,
    legacy: Option<(&Record, Action)>,
    remains: Option<Remains>,
    beside: bool,
    runs_legacy: bool,
) -> Option<Seen> {
    Some(match legacy {
        Some((init, Action::Fail)) if init.magic != Some(r.magic) => Seen::BadMagic,
        Some((_, action @ (Action::Load | Action::Fail))) => Seen::Acts(action),
        _ if beside => Seen::Beside,
        _ if r.python < PyVersion::new(3, 3) => Seen::NoNamespaces,
        _ if remains.is_some() => Seen::Acts(Action::Namespace),
        _ if runs_legacy => Seen::NotOpened,
        _ => return None,
    })
}

/// The interpreters by what they do, the worst first (then in the order given), each group
/// with its interpreters' labels as one list.
fn grouped(seen: &[Seen], running: &[Running]) -> Vec<(Seen, String)> {
    let mut kinds: Vec<Seen> = Vec::new();
    for s in seen {
        if !kinds.contains(s) {
            kinds.push(*s);
        }
    }
    kinds.sort_by_key(|s| std::cmp::Reverse(rank(s.action())));
    kinds
        .into_iter()
        .map(|kind| {
            let who = listed(
                running
                    .iter()
                    .zip(seen)
                    .filter(|(_, s)| **s == kind)
                    .map(|(r, _)| r.label()),
            );
            (kind, who)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::pyc::magic::Implementation;
    use crate::verdict::model::ByPython;

    fn cpython(major: u8, minor: u8, magic: u16) -> Running {
        Running {
            implementation: Implementation::CPython,
            python: PyVersion::new(major, minor),
            tag: (major == 3).then(|| format!("cpython-3{minor}")),
            magic,
            executable: None,
        }
    }

    /// `pkg/` with no source left and two caches of CPython 3.11 in its `__pycache__`.
    fn sources_gone() -> (DirFacts, DirCaches) {
        let dir = DirFacts {
            path: PathBuf::from("r/pkg"),
            entries: 1,
            sources: false,
            sources_below: false,
            init_source: false,
            inits: Vec::new(),
            extensions: Vec::new(),
        };
        let found = DirCaches {
            pycache: 2,
            inits: 1,
            ..DirCaches::default()
        };
        (dir, found)
    }

    fn actions(rec: &Record) -> Vec<Action> {
        let each = rec.by_python.as_deref().unwrap_or_default();
        each.iter().map(|b: &ByPython| b.python_action).collect()
    }

    #[test]
    fn python2_alone_gets_no_namespace_row() {
        let (dir, found) = sources_gone();
        let running = [cpython(2, 7, 62211)];
        assert_eq!(ghost(&dir, "pkg", &found, &Beside::Nothing, &running), None);
    }

    #[test]
    fn a_namespace_row_names_the_python3_that_imports_it() {
        let (dir, found) = sources_gone();
        let running = [cpython(3, 12, 3531)];
        let rec = ghost(&dir, "pkg", &found, &Beside::Nothing, &running).unwrap();
        assert_eq!(rec.python_action, Action::Namespace);
        assert_eq!(rec.by_python, None);
        assert!(
            rec.reason
                .contains("on CPython 3.12, `import pkg` gives an empty namespace package"),
            "{}",
            rec.reason
        );
        // A module beside it is found first.
        assert_eq!(ghost(&dir, "pkg", &found, &Beside::File, &running), None);
    }

    #[test]
    fn an_extension_module_beside_shadows_only_for_its_version() {
        let (dir, found) = sources_gone();
        let running = [cpython(3, 11, 3495), cpython(3, 12, 3531)];
        let own = std::ffi::OsStr::new("pkg");
        let beside = Beside::Extensions {
            own,
            files: vec![std::ffi::OsStr::new("pkg.cpython-311-x86_64-linux-gnu.so")],
        };
        let rec = ghost(&dir, "pkg", &found, &beside, &running).unwrap();
        assert_eq!(actions(&rec), [Action::Skip, Action::Namespace]);
        assert!(
            rec.reason
                .contains("on CPython 3.11, `import pkg` finds the module beside it first"),
            "{}",
            rec.reason
        );
    }

    #[test]
    fn with_both_each_one_is_listed_and_the_worst_decides() {
        let (dir, found) = sources_gone();
        let running = [cpython(2, 7, 62211), cpython(3, 12, 3531)];
        let rec = ghost(&dir, "pkg", &found, &Beside::Nothing, &running).unwrap();
        assert_eq!(actions(&rec), [Action::Skip, Action::Namespace]);
        assert_eq!(rec.python_action, Action::Namespace);
        assert!(
            rec.reason
                .contains("on CPython 2.7, which has no namespace packages"),
            "{}",
            rec.reason
        );
    }

    #[test]
    fn a_legacy_init_decides_by_each_interpreters_action_on_it() {
        let (dir, mut found) = sources_gone();
        found.pycache = 0;
        found.inits = 0;
        let mut init = Record::example();
        init.path = PathBuf::from("r/pkg/__init__.pyc");
        init.source = None;
        init.magic = Some(62211);
        init.python_action = Action::Fail;
        init.by_python = Some(vec![
            ByPython {
                python: "CPython 2.7".into(),
                python_action: Action::Load,
            },
            ByPython {
                python: "CPython 3.12".into(),
                python_action: Action::Fail,
            },
        ]);
        found.legacy_init = Some(Box::new(init));
        let running = [cpython(2, 7, 62211), cpython(3, 12, 3531)];
        let rec = ghost(&dir, "pkg", &found, &Beside::Nothing, &running).unwrap();
        assert_eq!(actions(&rec), [Action::Load, Action::Fail]);
        assert_eq!(rec.python_action, Action::Fail);
        assert!(
            rec.reason.contains(
                "on CPython 3.12, `import pkg` raises ImportError: bad magic number \
                 (__init__.pyc has magic 62211)"
            ),
            "{}",
            rec.reason
        );
    }
}
