//! `explain --verify`: the comparison of each explained cache's code with its source's, as one
//! more rule after the body, from the same engine and the same verdict rule as `check --verify`.

use super::fix;
use super::record::{Outcome, Step};
use super::FileReport;
use crate::verdict::model::{display_path, Status};
use crate::verdict::rule::Rule;
use crate::verdict::verify::{self as rule, Verification};
use crate::verify::{self as engine, Tally};

/// Verifies every explained cache the rule wants, all at once; updates each verdict, its rule
/// trace, its import sentence and its fix.
pub(super) fn verify(reports: &mut [FileReport]) -> Tally {
    let records: Vec<_> = reports
        .iter()
        .flat_map(|r| r.caches.iter().map(|e| e.record.clone()))
        .collect();
    let (outcomes, tally) = engine::verify(&records);
    let explained = reports.iter_mut().flat_map(|r| r.caches.iter_mut());
    for (e, outcome) in explained.zip(outcomes) {
        let Some(outcome) = outcome else {
            e.rules.push(Step {
                rule: Rule::Verify,
                outcome: Outcome::NotApplied,
                detail:
                    "the import does not load this cache's code, so there is nothing to compare"
                        .into(),
            });
            continue;
        };
        rule::apply(&mut e.record, &outcome);
        let src = e
            .record
            .source
            .as_deref()
            .map_or_else(String::new, display_path);
        let who = e.judge.clone().unwrap_or_else(|| "Python".into());
        let (result, detail) = match &outcome {
            Verification::Equal => (
                Outcome::Pass,
                format!("{who} compiles {src} to the very code this cache holds"),
            ),
            Verification::Differs(how) => (
                Outcome::Warning,
                format!("{who} compiles {src} to other code: {how}"),
            ),
            Verification::SourceDoesNotCompile(message) => (
                Outcome::Warning,
                format!("{src} does not compile: {message}"),
            ),
            Verification::NoInterpreter(label) => (
                Outcome::NotApplied,
                format!("{label} is not installed: not verified"),
            ),
            Verification::Error(why) => (Outcome::NotApplied, format!("not verified: {why}")),
        };
        e.rules.push(Step {
            rule: Rule::Verify,
            outcome: result,
            detail,
        });
        if e.record.status == Status::Diverged {
            e.on_import = format!(
                "{who} runs this cache's bytecode, which is not what {src} compiles to: the \
                 header matches, so the import never looks further."
            );
            e.fix = fix::diverged(&e.record);
        } else if e.record.status == Status::Fresh && outcome == Verification::Equal {
            if e.record.python_action == crate::verdict::model::Action::Load {
                e.on_import = format!(
                    "{who} runs this cache's bytecode, which is what {src} compiles to (verified)."
                );
            }
            e.fix = None;
        }
    }
    tally
}
