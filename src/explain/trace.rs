//! The rule trace: each rule the judging interpreter applies to a cache on import, in its
//! order, with the outcome, and the status and action the rules come to.
//!
//! Every step is computed with the functions the verdict uses (`Judge::choose`, `never_read`,
//! `header::parse`, `MtimeRule::matches`, `size_matches`, the source hash) and the conclusion
//! follows the verdict's precedence (unreadable, orphan, header, comparison, body, then "not
//! read by default"), so the trace never tells another story than `check`: tests hold the two
//! equal on every fixture and on synthetic headers. The body rule runs the whole marshal
//! validator (`check_body`): a header Python accepts, in front of a body it cannot unmarshal,
//! makes the import raise.

use serde::Serialize;

use super::compare::{self, Reached};
use super::steps;
use crate::model::{Action, Status};
use crate::naming::{CacheName, Layout};
use crate::pyc::magic::{self, MagicId};
use crate::pyc::marshal::MarshalError;
use crate::verdict::judge::{self, Judge};
use crate::verdict::{Evidence, HashFn, SourceState};

/// A rule, in the order the interpreter applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Which interpreter reads the file: the one its tag names, or for a legacy file its magic.
    Judge,
    /// The source the cache pairs with.
    Source,
    /// Whether the import opens this file at all under default settings.
    Lookup,
    /// Reading the file.
    Read,
    Magic,
    /// The file holds the whole header.
    Length,
    Flags,
    Mtime,
    Size,
    Hash,
    /// pyc-audit's own rule: the source was not rewritten within the recorded second.
    SameSecond,
    /// Unmarshalling the body into a code object.
    Body,
    /// (`--verify` only, so not in `ALL`) The interpreter compiles the source and compares the
    /// code with the cache's.
    Verify,
}

impl Rule {
    pub const ALL: [Rule; 12] = [
        Rule::Judge,
        Rule::Source,
        Rule::Lookup,
        Rule::Read,
        Rule::Magic,
        Rule::Length,
        Rule::Flags,
        Rule::Mtime,
        Rule::Size,
        Rule::Hash,
        Rule::SameSecond,
        Rule::Body,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Rule::Judge => "judge",
            Rule::Source => "source",
            Rule::Lookup => "lookup",
            Rule::Read => "read",
            Rule::Magic => "magic",
            Rule::Length => "length",
            Rule::Flags => "flags",
            Rule::Mtime => "mtime",
            Rule::Size => "size",
            Rule::Hash => "hash",
            Rule::SameSecond => "same-second",
            Rule::Body => "body",
            Rule::Verify => "verify",
        }
    }
}

/// How a rule came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    /// The rule rejects the file (or, for `judge`, `source` and `lookup`, says no).
    Fail,
    /// The interpreter lets the file through, but what it runs is not the source's.
    Warning,
    /// The rule does not exist for this interpreter or this kind of cache.
    NotApplied,
    /// An earlier rule decided.
    NotReached,
}

/// One rule and how it came out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub rule: Rule,
    pub outcome: Outcome,
    pub detail: String,
}

/// The cache file as far as explain reads it, for the body rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// The whole file.
    Whole(Vec<u8>),
    /// Not read: the file has this many bytes, more than explain reads.
    TooLarge(u64),
    /// Not read: an I/O error.
    Unread(String),
}

/// What the mtime and size rules found, for the fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampCheck {
    pub mtime_ok: bool,
    pub size_ok: bool,
    /// The interpreter's comparison can never match the source's mtime.
    pub never_matches: bool,
    /// The source's `st_mtime`, as a double, rounds up into the next second: `py_compile` of
    /// an interpreter that compares whole `time_t` seconds (Python 2, 3.0-3.2) records a
    /// second its own import never matches.
    pub rounds_up: bool,
}

/// The rules and what they come to.
#[derive(Clone, Debug)]
pub struct Trace {
    pub steps: Vec<Step>,
    /// What the rules conclude on their own; the report shows the verdict's record, and the
    /// tests check that the two always agree.
    #[cfg_attr(not(test), allow(dead_code))]
    pub status: Status,
    #[cfg_attr(not(test), allow(dead_code))]
    pub action: Action,
    pub judge: Judge,
    /// Why the judge never opens this file under default settings, if it does not.
    pub never_read: Option<String>,
    /// The header length the judge reads, once the magic is accepted.
    pub header_len: Option<usize>,
    pub timestamp: Option<TimestampCheck>,
    /// Why the body does not unmarshal, when the body rule failed.
    #[cfg_attr(not(test), allow(dead_code))]
    pub body_error: Option<MarshalError>,
}

/// Collects the steps in order; `close` fills the rules no step reached.
pub(super) struct Tracer {
    pub(super) steps: Vec<Step>,
    pub(super) judge: Judge,
    pub(super) never_read: Option<String>,
    pub(super) header_len: Option<usize>,
    pub(super) timestamp: Option<TimestampCheck>,
    pub(super) body_error: Option<MarshalError>,
}

impl Tracer {
    pub(super) fn push(&mut self, rule: Rule, outcome: Outcome, detail: impl Into<String>) {
        self.steps.push(Step {
            rule,
            outcome,
            detail: detail.into(),
        });
    }

    /// The judge as a subject: `Python 3.11`, `PyPy 3.9`, or `Python` when unknown.
    pub(super) fn who(&self) -> String {
        self.judge
            .interpreter
            .map_or_else(|| "Python".to_string(), |i| i.to_string())
    }

    fn close(mut self, status: Status, action: Action) -> Trace {
        for rule in Rule::ALL {
            if !self.steps.iter().any(|s| s.rule == rule) {
                self.push(rule, Outcome::NotReached, "not reached");
            }
        }
        self.steps.sort_by_key(|s| s.rule);
        Trace {
            steps: self.steps,
            status,
            action,
            judge: self.judge,
            never_read: self.never_read,
            header_len: self.header_len,
            timestamp: self.timestamp,
            body_error: self.body_error,
        }
    }

    /// Closes where the file is read: a file the judge never opens is skipped.
    fn close_read(self, status: Status, on_read: Action) -> Trace {
        let action = match self.never_read {
            Some(_) => Action::Skip,
            None => on_read,
        };
        self.close(status, action)
    }
}

/// Traces the rules for one cache. `hash` is the same source hasher the verdict gets.
pub fn build(ev: &Evidence, body: &Body, hash: HashFn) -> Trace {
    let (magic, id) = match ev.cache {
        Ok(read) => magic::identify(&read.head),
        Err(_) => (None, MagicId::BadBytes),
    };
    let judge = Judge::choose(ev.name, magic, &id);
    let never_read = judge::never_read(ev.name, &judge);
    let mut t = Tracer {
        steps: Vec::new(),
        judge,
        never_read,
        header_len: None,
        timestamp: None,
        body_error: None,
    };
    steps::judge(&mut t, ev.name, magic, &id, ev.cache.is_ok());
    steps::source(&mut t, ev.name, ev.source);
    let stat = match ev.source {
        SourceState::Present { stat, .. } => Some(*stat),
        SourceState::Missing => None,
        SourceState::Unreadable { .. } => return t.close(Status::Unreadable, Action::Skip),
    };
    let importable = stat.is_some() || judge::importable_without_source(ev.name);
    steps::lookup(&mut t, ev.name, stat.is_some(), importable);
    let read = match ev.cache {
        Ok(read) => {
            t.push(Rule::Read, Outcome::Pass, "the file opens and reads");
            read
        }
        Err(error) => {
            t.push(Rule::Read, Outcome::Fail, format!("cannot read: {error}"));
            let tries = stat.is_some() && t.never_read.is_none();
            let action = if tries {
                Action::Recompile
            } else {
                Action::Skip
            };
            return t.close(Status::Unreadable, action);
        }
    };
    if !importable {
        return t.close(Status::Orphan, Action::Skip);
    }
    let (magic, header) = match steps::header(&mut t, ev.name, magic, &read.head) {
        Ok(accepted) => accepted,
        Err(_) if stat.is_none() => return t.close(Status::Orphan, Action::Fail),
        Err(status) => return t.close_read(status, Action::Recompile),
    };
    let reached = match stat {
        None => {
            steps::sourceless(&mut t);
            Reached::Fresh
        }
        Some(stat) => match compare::compare(&mut t, ev.name, magic, &header, &stat, read, hash) {
            Ok(reached) => reached,
            Err(status) => return t.close_read(status, Action::Recompile),
        },
    };
    let body_ok = steps::body(&mut t, ev.name, body);
    conclude(t, ev.name, stat.is_none(), reached, body_ok)
}

fn conclude(t: Tracer, name: &CacheName, orphan: bool, reached: Reached, body_ok: bool) -> Trace {
    match (orphan, body_ok, reached) {
        (true, true, _) => t.close(Status::Orphan, Action::Load),
        (true, false, _) => t.close(Status::Orphan, Action::Fail),
        // pytest catches unmarshalling errors and rewrites the cache.
        (false, false, _) if name.layout == Layout::Pytest => {
            t.close_read(Status::Corrupt, Action::Recompile)
        }
        (false, false, _) => t.close_read(Status::Corrupt, Action::Fail),
        (false, true, Reached::Fresh) => t.close_read(Status::Fresh, Action::Load),
        (false, true, Reached::Suspect) => t.close_read(Status::Suspect, Action::Load),
        (false, true, Reached::TrustedStale) => t.close_read(Status::Stale, Action::Load),
    }
}
