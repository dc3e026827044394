//! Who reaches a cache through the import's directory lookup, and what each finds there.
//!
//! Without `--python`, a cache's one reader is the interpreter that judged it, at the level it
//! runs at. With `--python`, its readers are the running interpreters, each with its own action
//! (`by_python` when there are several, else the record's). Every reader whose action is not
//! `skip` looks the module up at its own level (`resolution::ahead`): one that finds a package
//! or an extension module first never reads the cache, so its action becomes `skip` (in
//! `by_python` too) and the worst of the others decides. A cache that no reader reaches keeps
//! its status and is `skip`; its reason names what the import finds instead.
//!
//! The lookup runs once the walk is done, from the names the walk noted (`find::survey`): like
//! the pycache-prefix rule (`prefix`), it adjusts a settled verdict, so that judging one
//! directory's caches need not wait for its siblings.

use std::ffi::OsStr;
use std::path::Path;

use crate::pyc::magic::PyVersion;
use crate::python::interp::Interpreter;
use crate::python::naming::CacheName;
use crate::python::optimize::Optimize;
use crate::python::pythons::Running;
use crate::verdict::model::{Action, Record, Status};
use crate::verdict::resolution::{self, Ahead, Neighbours};
use crate::verdict::running::{no_source, rank, without_clauses_of};
use crate::verdict::settle_in;

/// The setup a tree runs in: the running interpreters (`--python`) and the level.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Setup<'a> {
    pub running: &'a [Running],
    pub optimize: Optimize,
}

/// One interpreter that may read a cache, and what it does with it before the lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reader {
    /// `Python 3.12` for the file's own judge, `CPython 3.12` for a running one.
    pub label: String,
    pub interpreter: Interpreter,
    pub level: u8,
    pub action: Action,
}

/// The interpreters that may read the cache: its own judge, or every running one.
pub(crate) fn readers(rec: &Record, setup: Setup) -> Vec<Reader> {
    let level = |i: Interpreter| setup.optimize.level(Some(i));
    if setup.running.is_empty() {
        let Some(interpreter) = interpreter_of(rec) else {
            return Vec::new();
        };
        return vec![Reader {
            label: interpreter.to_string(),
            interpreter,
            level: level(interpreter),
            action: rec.python_action,
        }];
    }
    let each = rec.by_python.as_deref().unwrap_or_default();
    setup
        .running
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let interpreter = Interpreter {
                implementation: r.implementation,
                python: Some(r.python),
            };
            Reader {
                label: r.label(),
                interpreter,
                level: level(interpreter),
                action: each.get(n).map_or(rec.python_action, |b| b.python_action),
            }
        })
        .collect()
}

/// What each reader finds ahead of the cache's module (for `explain`): the readers that open
/// it (without `--python`, the judge whatever its action), with what the lookup finds first.
pub(crate) fn lookups(
    rec: &Record,
    name: &CacheName,
    around: Neighbours,
    setup: Setup,
) -> Vec<(Reader, Option<Ahead>)> {
    let Some((dir, module)) = resolution::module_of(name) else {
        return Vec::new();
    };
    readers(rec, setup)
        .into_iter()
        .filter(|r| setup.running.is_empty() || r.action != Action::Skip)
        .map(|r| {
            let found = resolution::ahead(r.interpreter, r.level, dir, module, around);
            (r, found)
        })
        .collect()
}

/// Adjusts a verdict for the directory lookup of every reader.
pub(crate) fn apply(rec: &mut Record, name: &CacheName, around: Neighbours, setup: Setup) {
    if rec.python_action == Action::Skip {
        return;
    }
    let Some((dir, module)) = resolution::module_of(name) else {
        return;
    };
    let mut readers = readers(rec, setup);
    let mut shadowed: Vec<(String, Ahead)> = Vec::new();
    for r in readers.iter_mut().filter(|r| r.action != Action::Skip) {
        if let Some(found) = resolution::ahead(r.interpreter, r.level, dir, module, around) {
            r.action = Action::Skip;
            shadowed.push((r.label.clone(), found));
        }
    }
    if shadowed.is_empty() {
        return;
    }
    if let Some(each) = rec.by_python.as_mut() {
        for (entry, r) in each.iter_mut().zip(&readers) {
            entry.python_action = r.action;
        }
    }
    let worst = readers
        .iter()
        .map(|r| r.action)
        .max_by_key(|a| rank(*a))
        .unwrap_or(Action::Skip);
    let wanted = dir.join(module).with_extension("py");
    let reason = shadowed_reason(rec, worst, &wanted, module, &shadowed);
    settle_in(rec, rec.status, worst, reason);
}

/// Why the shadowed readers never read the cache, after what the verdict found without the
/// lookup.
fn shadowed_reason(
    rec: &Record,
    worst: Action,
    wanted: &Path,
    module: &OsStr,
    shadowed: &[(String, Ahead)],
) -> String {
    let who = listed(shadowed.iter().map(|(label, _)| label.as_str()));
    let first = &shadowed[0].1;
    let finds = match shadowed.iter().all(|(_, found)| found == first) {
        true => format!("{} first", first.describe()),
        false => listed(
            shadowed
                .iter()
                .map(|(label, found)| format!("{} first on {label}", found.describe())),
        ),
    };
    let import = format!("`import {}` finds {finds}", module.to_string_lossy());
    match (rec.status, &rec.source, worst) {
        (Status::Orphan, _, Action::Skip) | (_, None, Action::Skip) => format!(
            "{}, and {import}: {who} never opens this cache",
            no_source(wanted)
        ),
        _ => {
            let labels: Vec<&str> = shadowed.iter().map(|(label, _)| label.as_str()).collect();
            let head = no_source(wanted);
            let mut before = without_clauses_of(&rec.reason, &head, &labels);
            if before == head {
                before = format!("{before}: {}", what_the_others_do(rec, worst, &labels));
            }
            match before.is_empty() {
                true => format!("{import}: {who} never reads this cache"),
                false => format!("{before}; but {import}: {who} never reads this cache"),
            }
        }
    }
}

/// What the readers the lookup leaves do with a sourceless file, when no clause of the reason
/// said it (their action was not the worst before the lookup).
fn what_the_others_do(rec: &Record, worst: Action, shadowed: &[&str]) -> String {
    let who = match rec.by_python.as_deref() {
        Some(each) => listed(
            each.iter()
                .filter(|b| b.python_action == worst && !shadowed.contains(&b.python.as_str()))
                .map(|b| b.python.as_str()),
        ),
        None => "the interpreter that runs this tree".into(),
    };
    let does = match worst {
        Action::Load => "runs its bytecode",
        Action::Fail => "imports it, and the import raises",
        Action::Recompile => "recompiles the source",
        Action::Namespace | Action::Skip => "never reads it",
    };
    format!("{who} {does}")
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn listed<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    let items: Vec<S> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.as_ref().to_string(),
        Some((last, rest)) => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

/// The interpreter that judged the record, as the record names it.
fn interpreter_of(rec: &Record) -> Option<Interpreter> {
    Some(Interpreter {
        implementation: rec.implementation?,
        python: rec.python.as_deref().and_then(PyVersion::parse_prefix),
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;
    use crate::pyc::magic::Implementation;
    use crate::python::naming;
    use crate::verdict::model::ByPython;
    use crate::verdict::running;

    fn cpython(minor: u8, magic: u16) -> Running {
        Running {
            implementation: Implementation::CPython,
            python: PyVersion::new(3, minor),
            tag: Some(format!("cpython-3{minor}")),
            magic,
            executable: None,
        }
    }

    #[test]
    fn an_extension_of_one_running_version_turns_only_it_away() {
        let running = [cpython(11, 3495), cpython(12, 3531)];
        let setup = Setup {
            running: &running,
            optimize: Optimize::default(),
        };
        let name = naming::parse(Path::new("__pycache__/m.cpython-311.pyc")).unwrap();
        let mut rec = Record::example();
        running::apply(&mut rec, &name, &running, setup.optimize);
        let actions = |rec: &Record| -> Vec<Action> {
            let each = rec.by_python.as_deref().unwrap_or_default();
            each.iter().map(|b: &ByPython| b.python_action).collect()
        };
        assert_eq!(actions(&rec), [Action::Load, Action::Skip]);
        let other = [OsString::from("m.cpython-312-x86_64-linux-gnu.so")];
        let mut kept = rec.clone();
        apply(
            &mut kept,
            &name,
            Neighbours {
                package_inits: None,
                extensions: &other,
            },
            setup,
        );
        assert_eq!(kept, rec, "3.12 never read it: nothing changes");
        let own = [OsString::from("m.cpython-311-x86_64-linux-gnu.so")];
        apply(
            &mut rec,
            &name,
            Neighbours {
                package_inits: None,
                extensions: &own,
            },
            setup,
        );
        assert_eq!(actions(&rec), [Action::Skip, Action::Skip]);
        assert_eq!(
            (rec.status, rec.python_action),
            (Status::Fresh, Action::Skip)
        );
        assert!(
            rec.reason.contains("CPython 3.11 never reads"),
            "{}",
            rec.reason
        );
    }

    #[test]
    fn a_python2_init_pyo_is_a_package_under_o_only() {
        let name = naming::parse(Path::new("m.pyo")).unwrap();
        let inits = [OsString::from("__init__.pyo")];
        let around = Neighbours {
            package_inits: Some(&inits),
            extensions: &[],
        };
        let judged = |level: u8| {
            let mut rec = Record::example();
            rec.python = Some("2.7".into());
            rec.layout = Some(naming::Layout::Legacy);
            let setup = Setup {
                running: &[],
                optimize: Optimize::flag(level),
            };
            apply(&mut rec, &name, around, setup);
            rec.python_action
        };
        assert_eq!(judged(0), Action::Load);
        assert_eq!(judged(1), Action::Skip);
    }
}
