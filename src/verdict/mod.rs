//! The verdict on one cache: a pure function of its path, its first bytes and its source's
//! metadata (plus the source's hash, computed on demand for hash-based caches).
//!
//! It replays what the judging interpreter does on import: magic check, header length, flags,
//! then the timestamp or hash comparison, then the unmarshalling of the body, whose failure is
//! not caught when the header was accepted. The result is a status (how the cache stands), an
//! action (what Python does with it under default settings) and a severity from the table in
//! `model::Severity::of`. No I/O happens here, so callers can run it on every core.

mod body;
mod compare;
pub mod judge;
pub mod prefix;
pub mod text;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::model::{display_path, raw_bytes_hex, Action, Kind, Record, Severity, Status, Values};
use crate::naming::{CacheName, Layout, OptLevel};
use crate::pyc::header::{self, Header, HeaderError, Recorded, SourceHash};
use crate::pyc::magic::{self, Magic, MagicId};
use crate::source::{HashVariant, MtimeRule, SourceStat};
use body::BodyCheck;
use compare::{compare, source_values};
pub use judge::{Fit, Judge};

/// The bytes read from the start of a cache, and when the cache was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRead {
    /// The first bytes of the file: the header and the first byte of the body at most.
    pub head: Vec<u8>,
    /// The cache file's own mtime, in nanoseconds since the epoch.
    pub written_ns: i128,
    /// The cache file's size in bytes.
    pub len: u64,
}

/// How many bytes of a cache the verdict needs to judge its header: the longest header and
/// one body byte. The rest is read through a [`RestFn`] only when the body must be checked.
pub const HEAD_LEN: usize = 17;

/// What the filesystem says about the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    Present { path: PathBuf, stat: SourceStat },
    Missing,
    Unreadable { path: PathBuf, error: String },
}

/// Everything the verdict looks at.
pub struct Evidence<'a> {
    pub path: &'a Path,
    pub name: &'a CacheName,
    pub cache: Result<&'a CacheRead, &'a str>,
    pub source: &'a SourceState,
    /// Reads on after `head`; used only when the body must be checked.
    pub rest: RestFn<'a>,
    /// Walk the whole body of a cache whose header is accepted, not just its first byte.
    pub deep: bool,
}

/// Appends up to `n` more bytes of the cache to the buffer, continuing where the last read
/// stopped; returns true once the end of the file is reached.
pub type RestFn<'a> = &'a dyn Fn(&mut Vec<u8>, usize) -> Result<bool, String>;

/// Hashes the source with a variant and key; called only for hash-based caches.
pub type HashFn<'a> = &'a dyn Fn(HashVariant, u32) -> Result<SourceHash, String>;

/// How the cache fares when the interpreter does read it.
enum Outcome {
    Fresh(String),
    Suspect(String),
    /// Stale; `trusted` when Python loads it anyway (unchecked hash).
    Stale {
        reason: String,
        trusted: bool,
    },
    Mismatch(String),
    /// The header is rejected: the interpreter falls back to the source.
    BadHeader(String),
    /// The header is accepted but the body cannot be unmarshalled: the import raises.
    BadBody(String),
    /// Fresh, but bytes follow the code object: Python loads it and ignores them.
    Trailing(String),
    /// The body could not be read: Python falls back to the source.
    Unreadable(String),
}

/// Judges one cache.
pub fn judge(ev: &Evidence, hash: HashFn) -> Record {
    let mut rec = skeleton(ev);
    let read = match ev.cache {
        Ok(read) => read,
        Err(error) => {
            // With its source present, the tag's interpreter tries to read a default-named
            // cache, fails, and compiles the source; nothing reads a legacy file beside a
            // source under Python 3, or an opt-N/.pyo/unknown-tag name by default.
            let tries = ev.name.layout != Layout::Legacy && ev.name.is_default_name();
            let action = match ev.source {
                SourceState::Present { .. } if tries => Action::Recompile,
                _ => Action::Skip,
            };
            return finish(
                rec,
                Status::Unreadable,
                action,
                format!("cannot read: {error}"),
            );
        }
    };
    let (magic, id) = magic::identify(&read.head);
    let judge = Judge::choose(ev.name, magic, &id);
    describe_writer(&mut rec, magic, &id, &judge);
    let header = judge.era(ev.name).map(|era| header::parse(&read.head, era));
    if let Some(Ok(h)) = &header {
        record_header(&mut rec, h);
    }
    let stat = match ev.source {
        SourceState::Present { stat, .. } => *stat,
        SourceState::Missing => return orphan(rec, ev, &judge, magic, header, read),
        SourceState::Unreadable { error, .. } => {
            return finish(
                rec,
                Status::Unreadable,
                Action::Skip,
                format!("cannot stat source: {error}"),
            );
        }
    };
    // The source's values are reported whatever happens to the header.
    let rule = judge.mtime_rule(ev.name).unwrap_or(MtimeRule::Masked);
    rec.actual = Some(source_values(&stat, rule));
    let outcome = match (&judge.fit, magic, header) {
        (Fit::Consistent, Some(magic), Some(Ok(h))) => {
            let compared = compare(&mut rec, ev, &judge, magic, &h, &stat, read, hash);
            with_body(compared, ev, &judge, &h, read)
        }
        (fit, _, header) => reject(fit, header, &judge, &read.head),
    };
    let (status, on_read, reason) = match outcome {
        Outcome::Fresh(r) => (Status::Fresh, Action::Load, r),
        Outcome::Suspect(r) => (Status::Suspect, Action::Load, r),
        Outcome::Stale { reason, trusted } => (
            Status::Stale,
            if trusted {
                Action::Load
            } else {
                Action::Recompile
            },
            reason,
        ),
        Outcome::Mismatch(r) => (Status::Mismatch, Action::Recompile, r),
        Outcome::BadHeader(r) => (Status::Corrupt, Action::Recompile, r),
        // pytest catches unmarshalling errors and rewrites the cache.
        Outcome::BadBody(r) if ev.name.layout == Layout::Pytest => {
            (Status::Corrupt, Action::Recompile, r)
        }
        Outcome::BadBody(r) => (Status::Corrupt, Action::Fail, r),
        Outcome::Trailing(r) => (Status::Corrupt, Action::Load, r),
        Outcome::Unreadable(r) => (Status::Unreadable, Action::Recompile, r),
    };
    match judge::never_read(ev.name, &judge) {
        Some(why) => finish(rec, status, Action::Skip, format!("{reason}; {why}")),
        None => finish(rec, status, on_read, reason),
    }
}

/// Checks the body of a cache the interpreter is going to load (fresh, suspect, or stale
/// under an unchecked hash); the others are never unmarshalled.
fn with_body(
    compared: Outcome,
    ev: &Evidence,
    judge: &Judge,
    h: &Header,
    read: &CacheRead,
) -> Outcome {
    let loads = matches!(
        compared,
        Outcome::Fresh(_) | Outcome::Suspect(_) | Outcome::Stale { trusted: true, .. }
    );
    if !loads {
        return compared;
    }
    let header_len = judge.era(ev.name).map_or(0, |era| era.header_len());
    match body::check(judge, h, header_len, read, ev.rest, ev.deep) {
        BodyCheck::Sound => compared,
        BodyCheck::Broken(why) => Outcome::BadBody(match compared {
            Outcome::Stale { .. } => format!(
                "{} trusts this unchecked-hash cache without reading the source, but {why}: the \
                 import raises",
                who(judge)
            ),
            _ => format!(
                "{} accepts the header but {why}: the import raises",
                who(judge)
            ),
        }),
        BodyCheck::Trailing(note) => match compared {
            Outcome::Fresh(r) => Outcome::Trailing(format!("{r}, but {note}")),
            other => other,
        },
        BodyCheck::Unreadable(e) => Outcome::Unreadable(e),
    }
}

fn skeleton(ev: &Evidence) -> Record {
    let source = match ev.source {
        SourceState::Present { path, .. } | SourceState::Unreadable { path, .. } => {
            Some(path.clone())
        }
        SourceState::Missing => None,
    };
    Record {
        path: ev.path.to_path_buf(),
        path_bytes_hex: raw_bytes_hex(ev.path),
        kind: Kind::Cache,
        source,
        layout: Some(ev.name.layout),
        implementation: None,
        python: None,
        magic: None,
        magic_python: None,
        tag: ev.name.tag.as_ref().map(|t| t.text.clone()),
        opt_level: match ev.name.opt {
            OptLevel::Level(n) => Some(n),
            OptLevel::Other(_) => None,
        },
        invalidation: None,
        flags: None,
        status: Status::Fresh,
        python_action: Action::Skip,
        severity: None,
        reason: String::new(),
        recorded: Values::default(),
        actual: None,
        source_stat: match ev.source {
            SourceState::Present { stat, .. } => Some(*stat),
            _ => None,
        },
    }
}

fn finish(mut rec: Record, status: Status, action: Action, reason: String) -> Record {
    rec.status = status;
    rec.python_action = action;
    rec.severity = Severity::of(status, action);
    rec.reason = reason;
    rec
}

fn describe_writer(rec: &mut Record, magic: Option<Magic>, id: &MagicId, judge: &Judge) {
    rec.magic = magic.map(|m| m.0);
    rec.magic_python = match id {
        MagicId::Known(k) => Some(k.label.clone()),
        _ => None,
    };
    rec.implementation = judge.interpreter.map(|i| i.implementation);
    rec.python = judge::python_label(judge);
}

fn record_header(rec: &mut Record, h: &Header) {
    rec.flags = h.flags;
    rec.invalidation = Some(h.invalidation());
    match h.recorded {
        Recorded::Timestamp { mtime, size } => {
            rec.recorded.mtime = Some(i64::from(mtime.0));
            rec.recorded.mtime_utc = text::rfc3339(i64::from(mtime.0));
            rec.recorded.size = size.map(u64::from);
        }
        Recorded::Hash { hash, .. } => rec.recorded.hash = Some(hash.to_hex()),
    }
}

/// A cache whose source is gone.
fn orphan(
    rec: Record,
    ev: &Evidence,
    judge: &Judge,
    magic: Option<Magic>,
    header: Option<Result<Header, HeaderError>>,
    read: &CacheRead,
) -> Record {
    let wanted = ev
        .name
        .sources
        .first()
        .map_or_else(String::new, |p| display_path(p));
    if !judge::importable_without_source(ev.name) {
        let reason = format!("no source ({wanted}): Python never reads this cache");
        return finish(rec, Status::Orphan, Action::Skip, reason);
    }
    let who = judge
        .interpreter
        .map_or_else(|| "Python".to_string(), |i| i.to_string());
    let outcome = match (&judge.fit, magic, header) {
        (Fit::Consistent, Some(_), Some(Ok(h))) => {
            let header_len = judge.era(ev.name).map_or(0, |era| era.header_len());
            match body::check(judge, &h, header_len, read, ev.rest, ev.deep) {
                BodyCheck::Broken(why) | BodyCheck::Unreadable(why) => Some(why),
                BodyCheck::Sound | BodyCheck::Trailing(_) => None,
            }
        }
        (fit, _, header) => Some(reject_text(fit, header, judge, &read.head)),
    };
    match outcome {
        None => {
            let reason = format!(
                "no source ({wanted}) but this legacy cache is importable: {who} runs its bytecode"
            );
            finish(rec, Status::Orphan, Action::Load, reason)
        }
        Some(why) => {
            let reason = format!("no source ({wanted}) and importing it raises: {why}");
            finish(rec, Status::Orphan, Action::Fail, reason)
        }
    }
}

/// The outcome for a header the judge rejects before comparing anything.
fn reject(
    fit: &Fit,
    header: Option<Result<Header, HeaderError>>,
    judge: &Judge,
    head: &[u8],
) -> Outcome {
    match fit {
        Fit::Mismatch(why) => Outcome::Mismatch(format!("{why}: {} recompiles it", who(judge))),
        Fit::Unknown { nearest } if judge.interpreter.is_some() => {
            let magic = head
                .get(..2)
                .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
            Outcome::Mismatch(format!(
                "unknown magic {magic} (nearest known: {nearest}): {} recompiles it",
                who(judge)
            ))
        }
        _ => Outcome::BadHeader(reject_text(fit, header, judge, head)),
    }
}

fn who(judge: &Judge) -> String {
    judge
        .interpreter
        .map_or_else(|| "Python".to_string(), |i| i.to_string())
}

/// Why the judge rejects the header, in the interpreter's own words where it has them.
fn reject_text(
    fit: &Fit,
    header: Option<Result<Header, HeaderError>>,
    judge: &Judge,
    head: &[u8],
) -> String {
    match (fit, header) {
        (Fit::BadBytes, _) => format!(
            "bad magic number: first bytes {}",
            text::hex_bytes(&head[..head.len().min(4)])
        ),
        (Fit::Unknown { nearest }, _) => {
            format!(
                "bad magic number: unknown magic {} (nearest known: {nearest})",
                u16::from_le_bytes([head[0], head[1]])
            )
        }
        (Fit::Mismatch(why), _) => format!("bad magic number: {why}"),
        (Fit::Consistent, Some(Err(HeaderError::Short { len, need }))) => {
            format!(
                "file is {len} bytes, shorter than the {need}-byte header of {}",
                who(judge)
            )
        }
        (Fit::Consistent, Some(Err(HeaderError::InvalidFlags(flags)))) => {
            format!("invalid flags {flags:#x} ({} accepts only 0-3)", who(judge))
        }
        (Fit::Consistent, _) => format!("{} cannot read this header", who(judge)),
    }
}

#[cfg(test)]
mod tests;
