//! A cache whose source is gone: nothing imports a `__pycache__`, pytest or prefix-tree file
//! without its source, but a legacy `.pyc` is imported in its place (a sourceless import), so
//! its header and body decide whether the deleted module still imports or the import raises.

use super::accept::{self, accept, reject_text};
use super::body::{self, BodyCheck};
use super::rule::{Absent, Observer, Outcome, Rule, Seen};
use super::{check_body, finish, judge, CacheRead, Cause, Evidence, Inputs, Judge, Verdict};
use crate::pyc::magic::Magic;
use crate::verdict::model::{display_path, Action, Record, Status};

/// A cache whose source is gone.
#[allow(clippy::too_many_arguments)]
pub(super) fn orphan(
    rec: Record,
    ev: &Evidence,
    judge: &Judge,
    magic: Option<Magic>,
    header: accept::Parsed,
    read: &CacheRead,
    inputs: &mut impl Inputs,
    obs: &mut impl Observer,
) -> Verdict {
    let wanted = ev
        .name
        .sources
        .first()
        .map_or_else(String::new, |p| display_path(p));
    let importable = judge::importable_without_source(ev.name, judge, ev.optimize);
    let seen = Seen::Lookup {
        never_read: None,
        has_source: false,
        importable,
    };
    obs.rule(Rule::Lookup, Outcome::of(importable), seen);
    obs.rule(Rule::Read, Outcome::Pass, Seen::Read(Ok(())));
    if !importable {
        let reason = format!("no source ({wanted}): Python never reads this cache");
        return finish(
            rec,
            Status::Orphan,
            Action::Skip,
            reason,
            Cause::OrphanDebris,
        );
    }
    let raises = match accept(ev.name, judge, magic, &header, &read.head, obs) {
        Ok((_, h)) => {
            let absent = Seen::Absent(Absent::Sourceless);
            for rule in [Rule::Mtime, Rule::Size, Rule::Hash, Rule::SameSecond] {
                obs.rule(rule, Outcome::NotApplied, absent);
            }
            match check_body(ev, judge, h, read, inputs, obs) {
                BodyCheck::Broken(b) => Some(body::broken_text(&b)),
                BodyCheck::Unreadable(e) => Some(format!("cannot read the body: {e}")),
                _ => None,
            }
        }
        Err(rejected) => Some(reject_text(rejected, judge, &header, &read.head)),
    };
    match raises {
        None => {
            let mut reason = format!(
                "no source ({wanted}) but this legacy cache is importable: {} runs its bytecode",
                accept::who(judge)
            );
            // Python 3.5+ looks for a sourceless `.pyc` only, never a `.pyo`.
            let python2 = judge.interpreter.and_then(|i| i.python);
            if python2.is_some_and(|p| p.major == 2) && !ev.name.is_pyo {
                reason.push_str(
                    " (any Python 3 imports it too, and raises ImportError: bad magic number)",
                );
            }
            finish(
                rec,
                Status::Orphan,
                Action::Load,
                reason,
                Cause::OrphanLoads,
            )
        }
        Some(why) => {
            let reason = format!("no source ({wanted}) and importing it raises: {why}");
            finish(
                rec,
                Status::Orphan,
                Action::Fail,
                reason,
                Cause::OrphanRaises,
            )
        }
    }
}
