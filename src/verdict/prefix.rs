//! The pycache prefix in the verdict: which files an interpreter reads when a prefix is in
//! effect (`sys.pycache_prefix`, from `PYTHONPYCACHEPREFIX` or `-X pycache_prefix`).
//!
//! Interpreters of Python 3.8 and later (CPython; PyPy 3.9 is checked too) read and write
//! caches only in the prefix tree then: their `__pycache__` files are never read. pytest 5.3+
//! on those versions keeps its assertion-rewrite caches in the prefix tree too. Python 2.7,
//! 3.6 and 3.7, and older pytest, ignore the prefix: their in-tree caches are read as without
//! one, and nothing of theirs in the prefix tree is. Legacy files beside their source are
//! found by the import system's directory scan, which no prefix changes.

use std::path::Path;

use super::settle;
use crate::pyc::magic::PyVersion;
use crate::python::interp::Interpreter;
use crate::python::naming::{CacheName, Layout, PytestVersion};
use crate::verdict::model::{display_path, Action, Record};

use super::judge::version_tuple;

/// Where a judged cache was found.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place<'a> {
    /// Under the given paths, while Python runs with this pycache prefix.
    InTree { prefix: &'a Path },
    /// In the pycache-prefix tree.
    PrefixTree,
}

/// Returns true if and only if whatever reads this name (its tag's interpreter, or pytest)
/// keeps its caches in the prefix tree when a prefix is set.
pub(crate) fn reads_prefix(name: &CacheName) -> bool {
    let python = name.claim().and_then(|c| c.python);
    let modern = python.is_some_and(|p| p >= PyVersion::new(3, 8));
    match &name.pytest {
        None => modern,
        Some(PytestVersion::Release(v)) => modern && version_tuple(v) >= (5, 3, 0),
        Some(PytestVersion::Legacy) => false,
    }
}

/// Adjusts a verdict for the prefix: a file its reader never opens with the prefix in effect
/// keeps its status but its action becomes `skip`.
pub(crate) fn apply(rec: Record, name: &CacheName, place: Place) -> Record {
    if rec.python_action == Action::Skip {
        return rec;
    }
    let Some(why) = unread_reason(name, place) else {
        return rec;
    };
    let (status, reason) = (rec.status, rec.reason.clone());
    let reason = if reason.is_empty() {
        why
    } else {
        format!("{reason}; {why}")
    };
    settle(rec, status, Action::Skip, reason)
}

/// Why the reader of `name` never opens the file found at `place`, if it does not.
pub(crate) fn unread_reason(name: &CacheName, place: Place) -> Option<String> {
    match place {
        Place::InTree { prefix }
            if matches!(name.layout, Layout::Pycache | Layout::Pytest) && reads_prefix(name) =>
        {
            Some(format!(
                "with the pycache prefix {}, {} reads its caches there, never in __pycache__",
                display_path(prefix),
                reader(name)
            ))
        }
        Place::PrefixTree if !reads_prefix(name) => {
            Some(format!("{} ignores the pycache prefix", reader(name)))
        }
        _ => None,
    }
}

fn reader(name: &CacheName) -> String {
    let interpreter = name.claim().map(|c| Interpreter {
        implementation: c.implementation,
        python: c.python,
    });
    let python = interpreter.map_or_else(|| "Python".to_string(), |i| i.to_string());
    match &name.pytest {
        Some(_) => format!("pytest on {python}"),
        None => python,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::naming::{parse, parse_prefixed};
    use crate::verdict::model::{Severity, Status};

    fn intree(path: &str) -> CacheName {
        parse(Path::new(path)).unwrap()
    }

    fn loaded(status: Status, action: Action) -> Record {
        let mut rec = Record::example();
        rec.status = status;
        rec.python_action = action;
        rec.severity = Severity::of(status, action);
        rec.reason = "recorded size 1 B, source 2 B".into();
        rec
    }

    #[test]
    fn who_honours_the_prefix() {
        assert!(reads_prefix(&intree("__pycache__/m.cpython-38.pyc")));
        assert!(reads_prefix(&intree("__pycache__/m.pypy39.pyc")));
        assert!(!reads_prefix(&intree("__pycache__/m.cpython-37.pyc")));
        assert!(!reads_prefix(&intree("__pycache__/m.pypy3-71.pyc")));
        assert!(!reads_prefix(&intree("m.pyc")));
        assert!(reads_prefix(&intree(
            "__pycache__/t.cpython-311-pytest-8.3.4.pyc"
        )));
        assert!(!reads_prefix(&intree(
            "__pycache__/t.cpython-311-pytest-5.2.4.pyc"
        )));
        assert!(!reads_prefix(&intree(
            "__pycache__/t.cpython-38-PYTEST.pyc"
        )));
    }

    #[test]
    fn in_tree_caches_of_prefix_readers_are_skipped() {
        let prefix = Path::new("/pfx");
        let place = Place::InTree { prefix };
        let name = intree("__pycache__/m.cpython-311.pyc");
        let rec = apply(loaded(Status::Fresh, Action::Load), &name, place);
        assert_eq!((rec.python_action, rec.severity), (Action::Skip, None));
        assert!(
            rec.reason.contains("/pfx, Python 3.11 reads"),
            "{}",
            rec.reason
        );
        let rec = apply(loaded(Status::Stale, Action::Recompile), &name, place);
        assert_eq!(rec.status, Status::Stale);
        assert_eq!(rec.severity, Some(Severity::Info));
        // 3.7 ignores the prefix, and legacy files are found beside their source.
        let old = intree("__pycache__/m.cpython-37.pyc");
        let rec = apply(loaded(Status::Fresh, Action::Load), &old, place);
        assert_eq!(rec.python_action, Action::Load);
        let rec = apply(
            loaded(Status::Orphan, Action::Load),
            &intree("m.pyc"),
            place,
        );
        assert_eq!(rec.python_action, Action::Load);
    }

    #[test]
    fn prefix_tree_caches_of_older_readers_are_never_read() {
        let src = Path::new("/src");
        let old = parse_prefixed(Path::new("/p/src/m.cpython-37.pyc"), src).unwrap();
        let rec = apply(loaded(Status::Fresh, Action::Load), &old, Place::PrefixTree);
        assert_eq!(rec.python_action, Action::Skip);
        assert!(rec
            .reason
            .ends_with("Python 3.7 ignores the pycache prefix"));
        let new = parse_prefixed(Path::new("/p/src/m.cpython-312.pyc"), src).unwrap();
        let rec = apply(loaded(Status::Fresh, Action::Load), &new, Place::PrefixTree);
        assert_eq!(rec.python_action, Action::Load);
        let pytest = parse_prefixed(Path::new("/p/t.cpython-38-pytest-5.2.0.pyc"), src).unwrap();
        let rec = apply(
            loaded(Status::Fresh, Action::Load),
            &pytest,
            Place::PrefixTree,
        );
        assert!(rec.reason.contains("pytest on Python 3.8 ignores"));
    }
}
