//! The import's directory lookup in `explain`: the module's directory is listed here (one
//! file, so no walk noted its names), the verdict is adjusted as `check` adjusts it
//! (`verdict::readers`), and the resolution rule says what `import NAME` finds first, for the
//! file's judge or for each running interpreter that reads it (`--python`).

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use super::record::{Facts, Outcome, Step};
use crate::python::naming::CacheName;
use crate::verdict::model::Record;
use crate::verdict::readers::{self, Setup};
use crate::verdict::resolution::{self, Neighbours};
use crate::verdict::rule::Rule;

/// The verdict after the directory lookup, and the resolution rule's step.
pub(super) fn with_resolution(
    mut record: Record,
    facts: &mut Facts,
    name: &CacheName,
    setup: Setup,
) -> Record {
    let Some((dir, module)) = resolution::module_of(name) else {
        let why = "an __init__ cache: the lookup finds its package first";
        set(facts, Rule::Resolution, Outcome::NotApplied, why.into());
        return record;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let package = dir.join(module);
    let inits: Vec<OsString> = names(&package)
        .into_iter()
        .filter(|n| n.as_encoded_bytes().starts_with(b"__init__."))
        .collect();
    let extensions: Vec<OsString> = names(dir)
        .into_iter()
        .filter(|n| {
            let n = n.as_encoded_bytes();
            n.ends_with(b".so") || n.ends_with(b".pyd")
        })
        .collect();
    let around = Neighbours {
        package_inits: package.is_dir().then_some(&inits[..]),
        extensions: &extensions,
    };
    let (outcome, detail) = step(&record, name, around, setup, facts);
    set(facts, Rule::Resolution, outcome, detail);
    let before = record.python_action;
    readers::apply(&mut record, name, around, setup);
    if record.python_action != before {
        let detail = "the import never reaches this file (the rules below are how it would \
                      fare)";
        set(facts, Rule::Lookup, Outcome::Fail, detail.into());
        facts.never_read = Some(record.reason.to_string());
    }
    record
}

/// The resolution rule's step: what the import finds first, for each reader of the file.
fn step(
    record: &Record,
    name: &CacheName,
    around: Neighbours,
    setup: Setup,
    facts: &mut Facts,
) -> (Outcome, String) {
    let module = resolution::module_of(name)
        .map_or_else(String::new, |(_, m)| m.to_string_lossy().into_owned());
    let import = format!("`import {module}`");
    let lookups = readers::lookups(record, name, around, setup);
    let shadowed: Vec<_> = lookups
        .iter()
        .filter_map(|(r, found)| Some((r.label.as_str(), found.as_ref()?)))
        .collect();
    facts.shadowed = shadowed
        .iter()
        .map(|(label, ahead)| {
            let finds = format!("{import} finds {} first", ahead.describe());
            (label.to_string(), finds)
        })
        .collect();
    match shadowed.as_slice() {
        [] if lookups.is_empty() => (
            Outcome::NotApplied,
            "no interpreter that runs this tree reads this file".into(),
        ),
        [] => (
            Outcome::Pass,
            format!(
                "{import} reaches this module: no package with an __init__ or extension module \
                 of that name comes first"
            ),
        ),
        [(_, ahead), ..] if setup.running.is_empty() => (
            Outcome::Fail,
            format!(
                "{import} finds {} first: this module's source and caches are never reached",
                ahead.describe()
            ),
        ),
        _ => {
            let each: Vec<String> = shadowed
                .iter()
                .map(|(label, ahead)| {
                    format!(
                        "on {label} (running) {import} finds {} first",
                        ahead.describe()
                    )
                })
                .collect();
            (
                Outcome::Fail,
                format!(
                    "{}: it never reaches this module's source and caches",
                    each.join("; ")
                ),
            )
        }
    }
}

fn names(dir: &Path) -> Vec<OsString> {
    fs::read_dir(dir).map_or_else(
        |_| Vec::new(),
        |it| it.filter_map(|e| Some(e.ok()?.file_name())).collect(),
    )
}

/// Sets a rule's step (every rule has one once the recorder is closed).
fn set(facts: &mut Facts, rule: Rule, outcome: Outcome, detail: String) {
    match facts.steps.iter_mut().find(|s| s.rule == rule) {
        Some(step) => {
            step.outcome = outcome;
            step.detail = detail;
        }
        None => facts.steps.push(Step {
            rule,
            outcome,
            detail,
        }),
    }
}
