//! The import's directory lookup in `explain`: the module's directory is listed here (one
//! file, so no walk noted its names), the verdict is adjusted as `check` adjusts it
//! (`verdict::resolution`), and the resolution rule says what `import NAME` finds first.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use super::record::{Facts, Outcome, Step};
use crate::python::naming::CacheName;
use crate::verdict::model::Record;
use crate::verdict::resolution::{self, Neighbours};
use crate::verdict::rule::Rule;

/// The verdict after the directory lookup, and the resolution rule's step.
pub(super) fn with_resolution(mut record: Record, facts: &mut Facts, name: &CacheName) -> Record {
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
    let import = format!("`import {}`", module.to_string_lossy());
    match resolution::found(&record, name, around) {
        Some(ahead) => {
            let detail = format!(
                "{import} finds {} first: this module's source and caches are never reached",
                ahead.describe()
            );
            set(facts, Rule::Resolution, Outcome::Fail, detail);
        }
        None => {
            let detail = format!(
                "{import} reaches this module: no package with an __init__ or extension module \
                 of that name comes first"
            );
            set(facts, Rule::Resolution, Outcome::Pass, detail);
        }
    }
    let before = record.python_action;
    resolution::apply(&mut record, name, around);
    if record.python_action != before {
        let detail = "the import never reaches this file (the rules below are how it would \
                      fare)";
        set(facts, Rule::Lookup, Outcome::Fail, detail.into());
        facts.never_read = Some(record.reason.clone());
    }
    record
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
