//! `explain`'s on-import sentence under `--python`: it names the running interpreters as the
//! record's `by_python` lists them. Those whose action is the verdict's share the verdict's
//! sentence, each named with "(running)"; each other one says in a sentence of its own what it
//! does with the file, and, when it never reads it, why (the lookup turns it away, the tag is
//! not its own, or its import does not look for that name). When none reads the file, every one
//! says why.

use super::record::Facts;
use crate::python::interp::Interpreter;
use crate::python::naming::{CacheName, Layout};
use crate::python::optimize::Optimize;
use crate::python::pythons::Running;
use crate::verdict::judge::{importable_without_source, never_read, Fit, Judge};
use crate::verdict::model::{Action, Record};

/// The on-import sentences; `sentence(who)` is the verdict's own, for the deciding ones.
pub(super) fn on_import(
    rec: &Record,
    facts: &Facts,
    name: &CacheName,
    (running, optimize): (&[Running], Optimize),
    sentence: impl Fn(&str) -> String,
) -> String {
    let each = each_action(rec, running);
    let deciding: Vec<String> = each
        .iter()
        .filter(|(_, a)| *a == rec.python_action && *a != Action::Skip)
        .map(|(r, _)| format!("{} (running)", r.label()))
        .collect();
    let mut out = Vec::new();
    if !deciding.is_empty() {
        out.push(sentence(&listed(&deciding)));
    }
    for (r, action) in each {
        if deciding.is_empty() || action != rec.python_action {
            out.push(other(rec, facts, name, r, action, optimize));
        }
    }
    out.join(" ")
}

/// Each running interpreter with its action: `by_python`, or the record's for a single one.
fn each_action<'a>(rec: &Record, running: &'a [Running]) -> Vec<(&'a Running, Action)> {
    match &rec.by_python {
        Some(each) => running
            .iter()
            .zip(each)
            .map(|(r, b)| (r, b.python_action))
            .collect(),
        None => running.iter().map(|r| (r, rec.python_action)).collect(),
    }
}

/// What one running interpreter does, when it is not the verdict's action.
fn other(
    rec: &Record,
    facts: &Facts,
    name: &CacheName,
    r: &Running,
    action: Action,
    optimize: Optimize,
) -> String {
    let who = format!("{} (running)", r.label());
    match action {
        Action::Skip => format!(
            "{who} never reads this file: {}.",
            why_unread(rec, facts, name, r, optimize)
        ),
        Action::Load => format!("{who} runs this file's bytecode."),
        Action::Recompile => format!("{who} does not use this file and compiles the source."),
        Action::Fail => format!("{who} imports this file, and the import raises."),
        Action::Namespace => format!("{who} imports a namespace package."),
    }
}

/// Why a running interpreter never reads the file, as the verdict's rules say it.
fn why_unread(
    rec: &Record,
    facts: &Facts,
    name: &CacheName,
    r: &Running,
    optimize: Optimize,
) -> String {
    let label = r.label();
    if let Some((_, finds)) = facts.shadowed.iter().find(|(l, _)| *l == label) {
        return finds.clone();
    }
    let tag = name.tag.as_ref().map(|t| &*t.text);
    if name.layout != Layout::Legacy && tag != r.tag.as_deref() {
        let tag = tag.unwrap_or("(none)");
        return match &r.tag {
            Some(own) => format!("its tag is {tag}, and it reads {own}"),
            None => format!("its tag is {tag}, and Python 2 reads no __pycache__"),
        };
    }
    let judge = Judge {
        interpreter: Some(Interpreter {
            implementation: r.implementation,
            python: Some(r.python),
        }),
        fit: Fit::Consistent,
    };
    if let Some(why) = never_read(name, &judge, optimize) {
        return why;
    }
    if rec.source.is_none() && !importable_without_source(name, &judge, optimize) {
        return "its import does not look for this name without a source".into();
    }
    rec.reason.to_string()
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
