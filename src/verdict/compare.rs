//! Comparing an accepted header with its source, as the judging interpreter does: the
//! timestamp rule of its era, or the source hash with its SipHash variant. Also the source's
//! values as that interpreter computes them, for the report.

use super::{judge, text, CacheRead, Evidence, HashFn, Judge, Outcome};
use crate::model::{Record, Values};
use crate::naming::Layout;
use crate::pyc::header::{self, Header, Recorded, SourceHash};
use crate::pyc::magic::Magic;
use crate::source::{size_matches, MtimeRule, SourceStat};

/// Compares an accepted header with the source (the body is checked by the caller).
#[allow(clippy::too_many_arguments)]
pub(super) fn compare(
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
    compared
}

/// The source's mtime (as the judge computes it) and size.
pub(super) fn source_values(stat: &SourceStat, rule: MtimeRule) -> Values {
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
                 cache was written, within the same second (--verify compares the code)",
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
