//! The verdict on one cache: a pure function of its path, its first bytes and its source's
//! metadata (plus the source's hash, computed on demand for hash-based caches).
//!
//! It replays what the judging interpreter does on import: magic check, header length, flags,
//! then the timestamp or hash comparison, then the unmarshalling of the body, whose failure is
//! not caught when the header was accepted. The result is a status (how the cache stands), an
//! action (what Python does with it under default settings) and a severity from the table in
//! `model::Severity::of`. No I/O happens here, so callers can run it on every core.

mod judge;
mod text;

use std::path::{Path, PathBuf};

use crate::model::{display_path, raw_bytes_hex, Action, Record, Severity, Status, Values};
use crate::naming::{CacheName, Layout, OptLevel};
use crate::pyc::header::{self, Body, Header, HeaderError, Recorded, SourceHash};
use crate::pyc::magic::{self, Magic, MagicId};
use crate::source::{size_matches, HashVariant, MtimeRule, SourceStat};
pub use judge::{Fit, Judge};

/// The bytes read from the start of a cache, and when the cache was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRead {
    /// The first bytes of the file: the header and the first byte of the body at most.
    pub head: Vec<u8>,
    /// The cache file's own mtime, in nanoseconds since the epoch.
    pub written_ns: i128,
}

/// How many bytes of a cache the verdict needs: the longest header and one body byte.
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
}

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
}

/// Judges one cache.
pub fn judge(ev: &Evidence, hash: HashFn) -> Record {
    let mut rec = skeleton(ev);
    let read = match ev.cache {
        Ok(read) => read,
        Err(error) => {
            let action = match ev.source {
                SourceState::Present { .. }
                    if judge::never_read(ev.name, &no_judge()).is_none() =>
                {
                    Action::Recompile
                }
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
        SourceState::Missing => return orphan(rec, ev, &judge, magic, header, &read.head),
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
            compare(&mut rec, ev, &judge, magic, &h, &stat, read, hash)
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
    };
    match judge::never_read(ev.name, &judge) {
        Some(why) => finish(rec, status, Action::Skip, format!("{reason}; {why}")),
        None => finish(rec, status, on_read, reason),
    }
}

fn no_judge() -> Judge {
    Judge {
        interpreter: None,
        fit: Fit::BadBytes,
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
        source,
        layout: ev.name.layout,
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
    head: &[u8],
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
        (Fit::Consistent, Some(_), Some(Ok(h))) => body_problem(judge, &h),
        (fit, _, header) => Some(reject_text(fit, header, judge, head)),
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

/// A body the interpreter cannot unmarshal into a code object, if so.
fn body_problem(judge: &Judge, h: &Header) -> Option<String> {
    let markers = judge.interpreter.and_then(|i| i.code_markers())?;
    match h.body {
        Body::Empty => Some("the body is empty (EOFError: marshal data too short)".into()),
        Body::Starts(b) if !markers.contains(&b) => Some(format!(
            "the body is not a code object (marshal type {b:#04x})"
        )),
        Body::Starts(_) => None,
    }
}

/// Compares an accepted header with the source, then checks the body.
#[allow(clippy::too_many_arguments)]
fn compare(
    rec: &mut Record,
    ev: &Evidence,
    judge: &Judge,
    magic: Magic,
    h: &Header,
    stat: &SourceStat,
    read: &CacheRead,
    hash: HashFn,
) -> Outcome {
    let Some(interpreter) = judge.interpreter else {
        return Outcome::BadHeader("no interpreter is known for this cache".into());
    };
    if ev.name.layout == Layout::Pytest
        && !judge::pytest_accepts_flags(ev.name, h.flags.unwrap_or(0))
    {
        let flags = h.flags.unwrap_or(0);
        return Outcome::BadHeader(format!(
            "pytest rejects flags {flags:#x} and rewrites the cache"
        ));
    }
    let rule = judge
        .mtime_rule(ev.name)
        .unwrap_or(interpreter.mtime_rule());
    let python_mtime = stat.python_mtime(rule);
    let mut actual = source_values(stat, rule);
    let compared = match h.recorded {
        Recorded::Timestamp { mtime, size } => timestamp_outcome(
            mtime.0,
            size,
            stat,
            python_mtime,
            rule,
            &interpreter.to_string(),
            read,
        ),
        Recorded::Hash {
            checked,
            hash: recorded,
        } => match hash(interpreter.hash_variant(), magic.word()) {
            Ok(actual_hash) => {
                actual.hash = Some(actual_hash.to_hex());
                hash_outcome(checked, recorded, actual_hash)
            }
            Err(e) => Outcome::BadHeader(format!("cannot read source to hash it: {e}")),
        },
    };
    rec.actual = Some(actual);
    match compared {
        Outcome::Fresh(_) | Outcome::Suspect(_) => match body_problem(judge, h) {
            Some(why) => Outcome::BadBody(format!(
                "header matches the source but {why}: the import raises"
            )),
            None => compared,
        },
        other => other,
    }
}

/// The source's mtime (as the judge computes it) and size.
fn source_values(stat: &SourceStat, rule: MtimeRule) -> Values {
    let mtime = stat.python_mtime(rule);
    Values {
        mtime: Some(mtime),
        mtime_utc: text::rfc3339(mtime),
        size: Some(stat.size),
        hash: None,
    }
}

fn timestamp_outcome(
    recorded: u32,
    size: Option<u32>,
    stat: &SourceStat,
    python_mtime: i64,
    rule: MtimeRule,
    who: &str,
    read: &CacheRead,
) -> Outcome {
    let mtime_ok = rule.matches(header::RecordedMtime(recorded), python_mtime);
    let size_ok = size.is_none_or(|s| size_matches(s, stat.size));
    if mtime_ok && size_ok {
        let written_sec = read.written_ns.div_euclid(1_000_000_000) as i64;
        let after = stat.mtime_ns() - read.written_ns;
        if after > 0 && written_sec == python_mtime {
            let size_text = size.map_or_else(String::new, |s| {
                format!(", size {}", text::bytes(u64::from(s)))
            });
            return Outcome::Suspect(format!(
                "header matches (mtime {}{size_text}) but the source was modified {} after this \
                 cache was written, within the same second",
                text::date(i64::from(recorded)),
                text::seconds(after)
            ));
        }
        // Plain words: this runs for every fresh cache, and JSON carries the values.
        let matched = if size.is_some() {
            "recorded mtime and size match"
        } else {
            "recorded mtime matches"
        };
        return Outcome::Fresh(format!("{matched} the source"));
    }
    let mut parts = Vec::new();
    if !mtime_ok {
        let mut part = format!(
            "recorded mtime {}, source {}",
            text::date(i64::from(recorded)),
            text::date(python_mtime)
        );
        part.push_str(&never_matches_note(rule, python_mtime, who));
        parts.push(part);
    }
    if let (false, Some(s)) = (size_ok, size) {
        parts.push(format!(
            "recorded size {}, source {}",
            text::bytes(u64::from(s)),
            text::bytes(stat.size)
        ));
    }
    Outcome::Stale {
        reason: parts.join("; "),
        trusted: false,
    }
}

/// Explains mtimes that an era's comparison can never match, whatever the header says.
fn never_matches_note(rule: MtimeRule, python_mtime: i64, who: &str) -> String {
    match rule {
        MtimeRule::Unmasked if !(0..1 << 32).contains(&python_mtime) => {
            format!(" ({who} never matches a mtime outside 1970-2106)")
        }
        MtimeRule::Signed32 if python_mtime & 0xFFFF_FFFF >= 1 << 31 => {
            format!(" ({who} never matches a mtime before 1970 or from 2038-01-19 to 2106)")
        }
        _ => String::new(),
    }
}

fn hash_outcome(checked: bool, recorded: SourceHash, actual: SourceHash) -> Outcome {
    let mode = if checked {
        "checked-hash"
    } else {
        "unchecked-hash"
    };
    if recorded == actual {
        return Outcome::Fresh(format!("{mode} {} matches the source", recorded.to_hex()));
    }
    let compared = format!(
        "recorded hash {}, source hashes to {}",
        recorded.to_hex(),
        actual.to_hex()
    );
    if checked {
        Outcome::Stale {
            reason: compared,
            trusted: false,
        }
    } else {
        let reason = format!("source changed but Python never checks an unchecked-hash cache and runs the old bytecode ({compared})");
        Outcome::Stale {
            reason,
            trusted: true,
        }
    }
}

#[cfg(test)]
mod tests;
