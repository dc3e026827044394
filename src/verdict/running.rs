//! The interpreters that run the tree (`--python`): which caches any of them reads.
//!
//! A `__pycache__`, pytest or prefix-tree cache is read only by the interpreter whose tag it
//! carries: when none of the running ones has that tag, the file is a `leftover` (never read,
//! disk wasted; pip leaves these behind on every upgrade). A legacy `NAME.pyc` is opened by
//! every running interpreter whose import reaches it: any of them when there is no source (a
//! sourceless import), only Python 2 beside a source. Each checks the magic against its own:
//! a foreign one raises `ImportError: bad magic number` without a source and is recompiled
//! beside one; a file whose magic could not be read (a dangling symlink, a file cut short)
//! fares under each as under its own judge. The worst of the running interpreters' actions
//! decides.
//!
//! Whenever more than one interpreter runs the tree, every cache record lists each of them, in
//! the order given, with what it does with the file (`by_python`): for a tagged cache, the
//! verdict's action for the one whose tag it carries and `skip` for the others; for a legacy
//! file, each one's own action. With one running interpreter the record's action is its own,
//! and `by_python` is null.

use std::path::Path;

use crate::python::naming::{CacheName, Layout};
use crate::python::pythons::Running;
use crate::verdict::model::{display_path, Action, ByPython, Record, Status};
use crate::verdict::settle_in;

use super::judge::{importable_without_source, never_read, Fit, Judge};
use crate::python::interp::Interpreter;
use crate::python::optimize::Optimize;

/// Adjusts a verdict for the running interpreters; nothing changes when none was given.
pub(crate) fn apply(rec: &mut Record, name: &CacheName, running: &[Running], optimize: Optimize) {
    if running.is_empty() {
        return;
    }
    match name.layout {
        Layout::Pycache | Layout::Pytest | Layout::Prefix => leftover(rec, name, running),
        Layout::Legacy => legacy(rec, name, running, optimize),
    }
}

fn leftover(rec: &mut Record, name: &CacheName, running: &[Running]) {
    let tag = name.tag.as_ref().map_or("", |t| &*t.text);
    let reads = |r: &Running| r.tag.as_deref() == Some(tag);
    rec.by_python = each_one(running, |_, r| match reads(r) {
        true => rec.python_action,
        false => Action::Skip,
    });
    if running.iter().any(reads) {
        return;
    }
    let names: Vec<String> = running.iter().map(Running::label).collect();
    let reason = format!(
        "no interpreter that runs this tree ({}) uses the tag {tag}: never read, disk wasted",
        names.join(", ")
    );
    settle_in(rec, Status::Leftover, Action::Skip, reason);
}

/// What one running interpreter does with a legacy file, and why when it differs from the
/// file's own judge.
fn legacy_action(
    rec: &Record,
    name: &CacheName,
    r: &Running,
    optimize: Optimize,
) -> (Action, Option<String>) {
    let sourceless = rec.source.is_none();
    let judge = Judge {
        interpreter: Some(Interpreter {
            implementation: r.implementation,
            python: Some(r.python),
        }),
        fit: Fit::Consistent,
    };
    let opens = if sourceless {
        importable_without_source(name, &judge, optimize)
    } else {
        r.python.major == 2 && never_read(name, &judge, optimize).is_none()
    };
    if !opens {
        return (Action::Skip, None);
    }
    // A file whose magic could not be read (a dangling symlink, a file cut short) fares alike
    // under every interpreter that reaches it: as its own judge said.
    let own = rec.magic.is_none_or(|m| m == r.magic);
    match (own, sourceless) {
        (true, _) => (rec.python_action, None),
        (false, true) => (
            Action::Fail,
            Some(format!(
                "{} raises ImportError: bad magic number (the file has magic {}, it reads {})",
                r.label(),
                rec.magic.map_or_else(|| "none".into(), |m| m.to_string()),
                r.magic
            )),
        ),
        (false, false) => (
            Action::Recompile,
            Some(format!(
                "{} finds a foreign magic and recompiles the source",
                r.label()
            )),
        ),
    }
}

fn legacy(rec: &mut Record, name: &CacheName, running: &[Running], optimize: Optimize) {
    let each: Vec<(&Running, Action, Option<String>)> = running
        .iter()
        .map(|r| {
            let (action, why) = legacy_action(rec, name, r, optimize);
            (r, action, why)
        })
        .collect();
    let Some(worst) = each.iter().map(|(_, a, _)| *a).max_by_key(|a| rank(*a)) else {
        return;
    };
    let whys: Vec<&str> = each
        .iter()
        .filter(|(_, a, _)| *a == worst)
        .filter_map(|(_, _, why)| why.as_deref())
        .collect();
    let why = (!whys.is_empty()).then(|| whys.join("; "));
    rec.by_python = each_one(running, |n, _| each[n].1);
    let status = match (worst, rec.source.is_some(), &why) {
        (Action::Recompile, true, Some(_)) => Status::Mismatch,
        _ => rec.status,
    };
    let reason = match (worst, &why) {
        (_, Some(why)) if rec.source.is_none() => {
            format!("{}: {why}", no_source(&name.sources[0]))
        }
        (_, Some(why)) => why.clone(),
        (Action::Skip, None) => format!(
            "{}; no interpreter that runs this tree opens it",
            rec.reason
        ),
        (_, None) => rec.reason.to_string(),
    };
    settle_in(rec, status, worst, reason);
}

/// Each running interpreter's action, when there are several.
pub(crate) fn each_one(
    running: &[Running],
    action: impl Fn(usize, &Running) -> Action,
) -> Option<Vec<ByPython>> {
    (running.len() > 1).then(|| {
        running
            .iter()
            .enumerate()
            .map(|(n, r)| ByPython {
                python: r.label(),
                python_action: action(n, r),
            })
            .collect()
    })
}

/// How the reason of a sourceless legacy file starts: `no source (PATH)`, PATH its source.
pub(crate) fn no_source(wanted: &Path) -> String {
    format!("no source ({})", display_path(wanted))
}

/// The reason `legacy` gave, without the clauses of the interpreters named (the directory
/// lookup turns them away before they open the file): its clauses are each one's why, each
/// starting with the interpreter's label, after `head: ` ([`no_source`]) for a sourceless
/// file. The head is matched whole, never parsed: a path may hold any text.
pub(crate) fn without_clauses_of(reason: &str, head: &str, labels: &[&str]) -> String {
    let (head, body) = match reason.strip_prefix(head).and_then(|r| r.strip_prefix(": ")) {
        Some(body) => (head.to_string(), body),
        None => (String::new(), reason),
    };
    let named = |clause: &&str| labels.iter().any(|l| clause.starts_with(&format!("{l} ")));
    let kept: Vec<&str> = body.split("; ").filter(|c| !named(c)).collect();
    match (kept.is_empty(), head.is_empty()) {
        (false, true) => kept.join("; "),
        (false, false) => format!("{head}: {}", kept.join("; ")),
        (true, _) => head,
    }
}

/// How much an action matters: the worst one decides.
pub(crate) fn rank(action: Action) -> u8 {
    match action {
        Action::Skip => 0,
        Action::Recompile => 1,
        Action::Namespace => 2,
        Action::Load => 3,
        Action::Fail => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_file_without_a_magic_fares_as_its_judge_said() {
        let running = [Running {
            implementation: crate::pyc::magic::Implementation::CPython,
            python: crate::pyc::magic::PyVersion::new(3, 12),
            tag: Some("cpython-312".into()),
            magic: 3531,
            executable: None,
        }];
        let name = crate::python::naming::parse(std::path::Path::new("pkg/__init__.pyc")).unwrap();
        let mut rec = Record::example();
        rec.path = "pkg/__init__.pyc".into();
        rec.layout = Some(Layout::Legacy);
        rec.source = None;
        rec.magic = None;
        rec.status = Status::Unreadable;
        rec.python_action = Action::Skip;
        apply(&mut rec, &name, &running, Optimize::default());
        assert_eq!(
            (rec.status, rec.python_action),
            (Status::Unreadable, Action::Skip)
        );
        assert!(!rec.reason.contains("bad magic"), "{}", rec.reason);
    }

    #[test]
    fn clauses_of_turned_away_interpreters_are_dropped() {
        let reason = "no source (m.py): CPython 3.11 raises ImportError: bad magic number; \
                      CPython 3.12 raises ImportError: bad magic number";
        let head = no_source(std::path::Path::new("m.py"));
        assert_eq!(
            without_clauses_of(reason, &head, &["CPython 3.12"]),
            "no source (m.py): CPython 3.11 raises ImportError: bad magic number"
        );
        assert_eq!(
            without_clauses_of(reason, &head, &["CPython 3.11", "CPython 3.12"]),
            "no source (m.py)"
        );
        let beside = "CPython 2.7 finds a foreign magic and recompiles the source";
        assert_eq!(without_clauses_of(beside, &head, &["CPython 3.12"]), beside);
        let own = "recorded mtime and size match the source";
        assert_eq!(without_clauses_of(own, &head, &["CPython 3.12"]), own);
        // A path that reads like the reason's own words is the head all the same.
        let odd = "no source (a): CPython 3.12 x; b.py): CPython 3.11 raises ImportError";
        let head = no_source(std::path::Path::new("a): CPython 3.12 x; b.py"));
        assert_eq!(
            without_clauses_of(odd, &head, &["CPython 3.11"]),
            "no source (a): CPython 3.12 x; b.py)"
        );
    }
}
