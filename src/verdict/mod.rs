//! The verdict on one cache: a pure function of its path, its first bytes and its source's
//! metadata (plus what it asks of its [`Inputs`]: the rest of the body, the source's hash).
//!
//! It replays what the judging interpreter does on import: magic check, header length, flags,
//! then the timestamp or hash comparison, then the unmarshalling of the body, whose failure is
//! not caught when the header was accepted. The result is a status (how the cache stands), an
//! action (what Python does with it under default settings) and a severity from the table in
//! `model::Severity::of`, and the [`Cause`] behind them. This is the only code that decides:
//! each rule it applies is reported to an [`Observer`] (see `rule`), which `explain` records
//! and `check` ignores at no cost.
//!
//! Beside the evaluator sit what judging a whole tree needs: `audit` (find, then judge every
//! cache in parallel), `model` (the records it produces, the JSON contract), `lookup` (which
//! cache an import resolves to), `tree` (tree-wide findings: ghosts, debris, clamped mtimes)
//! and `git` (what git tracks).

mod accept;
pub mod audit;
mod body;
pub(crate) mod compare;
pub(crate) mod git;
pub(crate) mod inputs;
pub(crate) mod judge;
pub(crate) mod keyed;
pub(crate) mod lookup;
pub(crate) mod model;
mod orphan;
pub(crate) mod prefix;
pub(crate) mod read;
pub(crate) mod readers;
mod record;
pub(crate) mod resolution;
pub(crate) mod rule;
pub(crate) mod running;
pub(crate) mod text;
pub(crate) mod tree;
pub(crate) mod verify;

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use crate::pyc::header::{self, Header};
use crate::pyc::magic::{self, Magic, MagicId};
use crate::python::naming::{CacheName, Layout};
use crate::python::optimize::Optimize;
use crate::python::source::{MtimeRule, SourceStat};
use crate::verdict::model::{Action, Record, Status};
use accept::{accept, reject};
pub(crate) use body::{BodyCheck, Broken};
use compare::{compare, source_values};
#[cfg(test)]
pub(crate) use inputs::Memory;
pub(crate) use inputs::{split_read, CacheError, Disk, Inputs, SourceBytes};
pub(crate) use judge::{Fit, Judge};
use orphan::orphan;
pub(crate) use read::Head;
use record::{describe_writer, record_header, skeleton};
pub(crate) use record::{settle, settle_in};
use rule::{Observer, Outcome, Rule, Seen};

/// The bytes read from the start of a cache, and when the cache was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CacheRead {
    /// The first bytes of the file: the header and the first byte of the body at most.
    pub head: Head,
    /// The cache file's own mtime, in nanoseconds since the epoch.
    pub written_ns: i128,
    /// The cache file's size in bytes.
    pub len: u64,
}

/// How many bytes of a cache the verdict needs to judge its header: the longest header and
/// one body byte. The rest is read through [`Inputs`] only when the body must be checked.
pub(crate) const HEAD_LEN: usize = 17;

/// What the filesystem says about the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SourceState {
    /// `read_error`: the source exists but cannot be read (permissions): the import raises
    /// wherever it must read it (to hash it, or to recompile).
    Present {
        path: PathBuf,
        stat: SourceStat,
        read_error: Option<CacheError>,
    },
    Missing,
    Unreadable {
        path: PathBuf,
        kind: io::ErrorKind,
        error: String,
    },
}

/// Everything the verdict looks at.
pub(crate) struct Evidence<'a> {
    pub path: &'a Path,
    pub name: &'a CacheName,
    pub cache: Result<&'a CacheRead, &'a CacheError>,
    pub source: &'a SourceState,
    /// Walk the whole body of a cache whose header is accepted, not just its first byte.
    pub deep: bool,
    /// The optimisation level Python runs at (`-O`, `PYTHONOPTIMIZE`).
    pub optimize: Optimize,
}

/// Why the verdict came out as it did: what `explain`'s sentences and fixes switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cause {
    /// The header matches the source and the body loads.
    Fresh,
    /// The header matches, but the source was rewritten within the recorded second.
    Suspect,
    /// The header does not match the source: the interpreter recompiles.
    Stale,
    /// An unchecked-hash cache whose source changed: the interpreter runs it anyway.
    TrustedStale,
    /// The magic is another interpreter's (or one no table knows, under a known tag).
    Mismatch,
    /// The judge rejects the header and falls back to the source.
    BadHeader,
    /// The header is accepted but the body does not unmarshal.
    BadBody,
    /// Fresh, and the body loads, but bytes follow the code object (marshal ignores them).
    Trailing,
    /// A file could not be read; which one, and the kind of I/O error.
    Unreadable(Unread, io::ErrorKind),
    /// No source, and nothing imports this file without one.
    OrphanDebris,
    /// No source, and the judge imports this legacy file in its place.
    OrphanLoads,
    /// No source, and importing this legacy file raises.
    OrphanRaises,
}

/// Which file the verdict could not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Unread {
    /// The cache could not be opened or its first bytes read.
    Cache,
    /// The cache's body could not be read on.
    Body,
    /// The source could not be stat'ed.
    Source,
    /// The source could not be read to hash it (a checked hash: the import raises).
    SourceContent,
    /// The source could not be read to hash it, but an unchecked-hash cache is loaded without
    /// reading it.
    SourceNotNeeded,
    /// The cache is not used and the source, which the import must then compile, cannot be
    /// read: the import raises.
    SourceToRecompile,
}

/// The verdict: the record every report shows, and its cause.
#[derive(Clone, Debug)]
pub(crate) struct Verdict {
    pub record: Record,
    pub cause: Cause,
}

/// How the cache fares when the interpreter does read it: its cause and reason.
type Fare = (Cause, Cow<'static, str>);

/// Judges one cache; nobody observes.
pub(crate) fn judge(ev: &Evidence, inputs: &mut impl Inputs) -> Record {
    judge_with(ev, inputs, &mut ()).record
}

/// Judges one cache, reporting each rule it applies to `obs`.
pub(crate) fn judge_with(
    ev: &Evidence,
    inputs: &mut impl Inputs,
    obs: &mut impl Observer,
) -> Verdict {
    let mut rec = skeleton(ev);
    let read = match ev.cache {
        Ok(read) => read,
        Err(error) => return unreadable_cache(rec, ev, error, obs),
    };
    let (magic, id) = magic::identify(&read.head);
    let judge = Judge::choose(ev.name, magic, &id, &read.head);
    report_judge(obs, ev.name, &judge, magic, &id, true);
    describe_writer(&mut rec, magic, &id, &judge);
    let header = judge.era(ev.name).map(|era| header::parse(&read.head, era));
    if let Some(Ok(h)) = &header {
        record_header(&mut rec, h);
    }
    obs.rule(
        Rule::Source,
        source_outcome(ev.source),
        Seen::Source(ev.source),
    );
    let stat = match ev.source {
        SourceState::Present { stat, .. } => *stat,
        SourceState::Missing => return orphan(rec, ev, &judge, magic, header, read, inputs, obs),
        SourceState::Unreadable { error, kind, .. } => {
            let reason = format!("cannot stat source: {error}");
            let cause = Cause::Unreadable(Unread::Source, *kind);
            return finish(rec, Status::Unreadable, Action::Skip, reason, cause);
        }
    };
    let never_read = judge::never_read(ev.name, &judge, ev.optimize);
    let lookup = Seen::Lookup {
        never_read: never_read.as_deref(),
        has_source: true,
        importable: true,
    };
    obs.rule(Rule::Lookup, Outcome::of(never_read.is_none()), lookup);
    obs.rule(Rule::Read, Outcome::Pass, Seen::Read(Ok(())));
    // The source's values are reported whatever happens to the header.
    let rule = judge.mtime_rule(ev.name).unwrap_or(MtimeRule::Masked);
    rec.actual = Some(source_values(&stat, rule));
    let (cause, reason) = match accept(ev.name, &judge, magic, &header, &read.head, obs) {
        Ok((magic, h)) => {
            let compared = compare(&mut rec, ev, &judge, magic, h, &stat, read, inputs, obs);
            with_body(compared, ev, &judge, h, read, inputs, obs)
        }
        Err(rejected) => reject(rejected, &judge, &header, &read.head),
    };
    let (status, on_read) = status_of(cause, ev.name);
    match (never_read, on_read, ev.source) {
        (Some(why), ..) => finish(rec, status, Action::Skip, format!("{reason}; {why}"), cause),
        (
            None,
            Action::Recompile,
            SourceState::Present {
                read_error: Some(e),
                ..
            },
        ) => {
            let reason = format!(
                "{reason}; {} then reads the source to recompile it and cannot ({}): the import \
                 raises",
                accept::who(&judge),
                e.text
            );
            let cause = Cause::Unreadable(Unread::SourceToRecompile, e.kind);
            let (status, action) = status_of(cause, ev.name);
            finish(rec, status, action, reason, cause)
        }
        (None, ..) => finish(rec, status, on_read, reason, cause),
    }
}

/// The status a cause gives a cache its judge reads, and what the judge does with it.
fn status_of(cause: Cause, name: &CacheName) -> (Status, Action) {
    match cause {
        Cause::Fresh => (Status::Fresh, Action::Load),
        Cause::Suspect => (Status::Suspect, Action::Load),
        Cause::Stale => (Status::Stale, Action::Recompile),
        Cause::TrustedStale => (Status::Stale, Action::Load),
        Cause::Mismatch => (Status::Mismatch, Action::Recompile),
        Cause::BadHeader => (Status::Corrupt, Action::Recompile),
        // pytest catches unmarshalling errors and rewrites the cache.
        Cause::BadBody if name.layout == Layout::Pytest => (Status::Corrupt, Action::Recompile),
        Cause::BadBody => (Status::Corrupt, Action::Fail),
        Cause::Trailing => (Status::Corrupt, Action::Load),
        // The import raises where it must read a source it cannot.
        Cause::Unreadable(Unread::SourceContent | Unread::SourceToRecompile, _) => {
            (Status::Unreadable, Action::Fail)
        }
        Cause::Unreadable(Unread::SourceNotNeeded, _) => (Status::Unreadable, Action::Load),
        Cause::Unreadable(..) => (Status::Unreadable, Action::Recompile),
        Cause::OrphanDebris => (Status::Orphan, Action::Skip),
        Cause::OrphanLoads => (Status::Orphan, Action::Load),
        Cause::OrphanRaises => (Status::Orphan, Action::Fail),
    }
}

/// A cache that could not be opened or read: only its name and source tell anything.
fn unreadable_cache(
    rec: Record,
    ev: &Evidence,
    error: &CacheError,
    obs: &mut impl Observer,
) -> Verdict {
    // Only the tag can name the judge now.
    let judge = Judge::choose(ev.name, None, &MagicId::BadBytes, &[]);
    report_judge(obs, ev.name, &judge, None, &MagicId::BadBytes, false);
    obs.rule(
        Rule::Source,
        source_outcome(ev.source),
        Seen::Source(ev.source),
    );
    // With its source present, the tag's interpreter tries to read a default-named cache,
    // fails, and compiles the source; nothing reads a legacy file beside a source under
    // Python 3, or an opt-N/.pyo/unknown-tag name by default.
    let tries = ev.name.layout != Layout::Legacy
        && ev.name.claim().is_some()
        && judge::never_read(ev.name, &judge, ev.optimize).is_none();
    let present = matches!(ev.source, SourceState::Present { .. });
    if !matches!(ev.source, SourceState::Unreadable { .. }) {
        let never_read = judge::never_read(ev.name, &judge, ev.optimize);
        let importable = judge::importable_without_source(ev.name, &judge, ev.optimize);
        let seen = Seen::Lookup {
            never_read: never_read.as_deref(),
            has_source: present,
            importable,
        };
        let opens = if present { tries } else { importable };
        obs.rule(Rule::Lookup, Outcome::of(opens), seen);
    }
    obs.rule(Rule::Read, Outcome::Fail, Seen::Read(Err(error)));
    let action = if present && tries {
        Action::Recompile
    } else {
        Action::Skip
    };
    let reason = format!("cannot read: {}", error.text);
    let cause = Cause::Unreadable(Unread::Cache, error.kind);
    finish(rec, Status::Unreadable, action, reason, cause)
}

/// The judge rule: the interpreter the tag (or a legacy file's magic) names.
fn report_judge(
    obs: &mut impl Observer,
    name: &CacheName,
    judge: &Judge,
    magic: Option<Magic>,
    id: &MagicId,
    readable: bool,
) {
    let named =
        judge.interpreter.is_some() && (name.layout == Layout::Legacy || name.claim().is_some());
    let seen = Seen::Judge {
        judge,
        magic,
        id,
        readable,
    };
    obs.rule(Rule::Judge, Outcome::of(named), seen);
}

fn source_outcome(source: &SourceState) -> Outcome {
    match source {
        SourceState::Present {
            read_error: Some(_),
            ..
        } => Outcome::Warning,
        SourceState::Present { .. } => Outcome::Pass,
        _ => Outcome::Fail,
    }
}

/// Checks the body of a cache the interpreter is going to load (fresh, suspect, or stale
/// under an unchecked hash); the others are never unmarshalled.
fn with_body(
    compared: Fare,
    ev: &Evidence,
    judge: &Judge,
    h: &Header,
    read: &CacheRead,
    inputs: &mut impl Inputs,
    obs: &mut impl Observer,
) -> Fare {
    let (cause, reason) = compared;
    if !matches!(cause, Cause::Fresh | Cause::Suspect | Cause::TrustedStale) {
        return (cause, reason);
    }
    let found = check_body(ev, judge, h, read, inputs, obs);
    match found {
        BodyCheck::Sound { .. } | BodyCheck::FirstByte | BodyCheck::NotMarshal => (cause, reason),
        BodyCheck::Broken(b) => {
            let why = body::broken_text(&b);
            let who = accept::who(judge);
            let reason = match cause {
                Cause::TrustedStale => format!(
                    "{who} trusts this unchecked-hash cache without reading the source, but \
                     {why}: the import raises"
                ),
                _ => format!("{who} accepts the header but {why}: the import raises"),
            };
            (Cause::BadBody, reason.into())
        }
        BodyCheck::Trailing { end, extra } if cause == Cause::Fresh => (
            Cause::Trailing,
            format!("{reason}, but {}", body::trailing_text(end, extra)).into(),
        ),
        BodyCheck::Trailing { .. } => (cause, reason),
        BodyCheck::Unreadable(e) => (
            Cause::Unreadable(Unread::Body, e.kind()),
            format!("cannot read the body: {e}").into(),
        ),
    }
}

/// The body rule: checks the body and reports what it found.
pub(super) fn check_body(
    ev: &Evidence,
    judge: &Judge,
    h: &Header,
    read: &CacheRead,
    inputs: &mut impl Inputs,
    obs: &mut impl Observer,
) -> BodyCheck {
    let header_len = judge.era(ev.name).map_or(0, |era| era.header_len());
    let found = body::check(judge, h, header_len, read, inputs, ev.deep);
    let outcome = match &found {
        BodyCheck::Sound { .. } | BodyCheck::FirstByte => Outcome::Pass,
        BodyCheck::NotMarshal => Outcome::NotApplied,
        BodyCheck::Trailing { .. } => Outcome::Warning,
        BodyCheck::Broken(_) | BodyCheck::Unreadable(_) => Outcome::Fail,
    };
    let seen = Seen::Body {
        check: &found,
        header_len,
    };
    obs.rule(Rule::Body, outcome, seen);
    found
}

pub(super) fn finish(
    rec: Record,
    status: Status,
    action: Action,
    reason: impl Into<Cow<'static, str>>,
    cause: Cause,
) -> Verdict {
    Verdict {
        record: settle(rec, status, action, reason),
        cause,
    }
}

#[cfg(test)]
mod tests;
