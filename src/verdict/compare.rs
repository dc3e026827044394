//! Comparing an accepted header with its source, as the judging interpreter does: the
//! timestamp rule of its era, or the source hash with its SipHash variant. Also the source's
//! values as that interpreter computes them, for the report.

use super::inputs::Inputs;
use super::rule::{Absent, Observer, Outcome, Rule, Seen};
use super::{text, CacheRead, Cause, Evidence, Fare, Judge, Unread};
use crate::pyc::header::{self, Header, Recorded, SourceHash};
use crate::pyc::magic::Magic;
use crate::python::source::{size_matches, MtimeRule, SourceStat};
use crate::verdict::model::{Record, Values};

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
    inputs: &mut impl Inputs,
    obs: &mut impl Observer,
) -> Fare {
    let Some(interpreter) = judge.interpreter else {
        return (
            Cause::BadHeader,
            "no interpreter is known for this cache".into(),
        );
    };
    let rule = judge
        .mtime_rule(ev.name)
        .unwrap_or(interpreter.mtime_rule());
    let python_mtime = stat.python_mtime(rule);
    let mut actual = source_values(stat, rule);
    let compared = match h.recorded {
        Recorded::Timestamp { mtime, size } => {
            let seen = Seen::Mtime {
                recorded: mtime,
                source: python_mtime,
                rule,
                stat,
                size,
            };
            let ts = Timestamp {
                recorded: mtime.0,
                size,
                stat,
                python_mtime,
                rule,
            };
            timestamp_outcome(&ts, seen, &interpreter, read, obs)
        }
        Recorded::Hash {
            checked,
            hash: recorded,
        } => {
            let absent = Seen::Absent(Absent::HashBased);
            obs.rule(Rule::Mtime, Outcome::NotApplied, absent);
            obs.rule(Rule::Size, Outcome::NotApplied, absent);
            let variant = interpreter.hash_variant();
            let hashed = inputs.source_hash(variant, magic.word());
            let seen = Seen::Hash {
                checked,
                recorded,
                actual: hashed.as_ref().map(|h| *h),
                variant,
            };
            let fare = match &hashed {
                Ok(actual_hash) => {
                    actual.hash = Some(actual_hash.to_hex());
                    hash_outcome(checked, recorded, *actual_hash)
                }
                // A checked hash needs the source: the import raises; an unchecked one is
                // loaded without reading it.
                Err(e) if checked => (
                    Cause::Unreadable(Unread::SourceContent, e.kind()),
                    format!(
                        "{interpreter} must read the source to hash it and cannot ({e}): the \
                         import raises"
                    )
                    .into(),
                ),
                Err(e) => (
                    Cause::Unreadable(Unread::SourceNotNeeded, e.kind()),
                    format!(
                        "cannot read the source to hash it ({e}); {interpreter} loads this \
                         unchecked-hash cache without reading it"
                    )
                    .into(),
                ),
            };
            obs.rule(Rule::Hash, hash_rule(&fare.0, checked, &hashed), seen);
            if hashed.is_ok() {
                obs.rule(Rule::SameSecond, Outcome::NotApplied, absent);
            }
            fare
        }
    };
    rec.actual = Some(actual);
    compared
}

/// How the hash rule came out: an unchecked hash is never compared by the interpreter.
fn hash_rule<T>(cause: &Cause, checked: bool, hashed: &Result<T, std::io::Error>) -> Outcome {
    match (cause, checked) {
        _ if hashed.is_err() => Outcome::Fail,
        (Cause::Fresh, true) => Outcome::Pass,
        (Cause::Fresh, false) => Outcome::NotApplied,
        (Cause::TrustedStale, _) => Outcome::Warning,
        _ => Outcome::Fail,
    }
}

/// The source's mtime (as the judge computes it) and size.
pub(super) fn source_values(stat: &SourceStat, rule: MtimeRule) -> Values {
    let mtime = stat.python_mtime(rule);
    Values {
        mtime: Some(mtime),
        mtime_utc: Some(crate::verdict::model::UtcDate(mtime)),
        size: Some(stat.size),
        hash: None,
    }
}

/// A timestamp header's values and the source's, as the judge compares them.
struct Timestamp<'a> {
    recorded: u32,
    size: Option<u32>,
    stat: &'a SourceStat,
    python_mtime: i64,
    rule: MtimeRule,
}

/// The mtime rule, then the size rule if the mtime matches (the interpreter stops at the
/// first difference), then pyc-audit's same-second rule.
fn timestamp_outcome(
    ts: &Timestamp,
    seen: Seen,
    // Shown only in a stale reason: not made into text for every fresh cache.
    who: &dyn std::fmt::Display,
    read: &CacheRead,
    obs: &mut impl Observer,
) -> Fare {
    let &Timestamp {
        recorded,
        size,
        stat,
        python_mtime,
        rule,
    } = ts;
    let mtime_ok = rule.matches(header::RecordedMtime(recorded), python_mtime);
    let size_ok = size.is_none_or(|s| size_matches(s, stat.size));
    obs.rule(Rule::Mtime, Outcome::of(mtime_ok), seen);
    match size {
        None => obs.rule(
            Rule::Size,
            Outcome::NotApplied,
            Seen::Absent(Absent::NoSize),
        ),
        Some(recorded) if mtime_ok => {
            let seen = Seen::Size {
                recorded,
                source: stat.size,
            };
            obs.rule(Rule::Size, Outcome::of(size_ok), seen);
        }
        Some(_) => {}
    }
    let absent = Seen::Absent(Absent::TimestampBased);
    obs.rule(Rule::Hash, Outcome::NotApplied, absent);
    if mtime_ok && size_ok {
        let written_sec = read.written_ns.div_euclid(1_000_000_000) as i64;
        let after = stat.mtime_ns() - read.written_ns;
        let suspect = after > 0 && written_sec == python_mtime;
        let seen = Seen::SameSecond { after_ns: after };
        let outcome = if suspect {
            Outcome::Warning
        } else {
            Outcome::Pass
        };
        obs.rule(Rule::SameSecond, outcome, seen);
        if suspect {
            let size_text = size.map_or_else(String::new, |s| {
                format!(", size {}", text::bytes(u64::from(s)))
            });
            return (
                Cause::Suspect,
                format!(
                    "header matches (mtime {}{size_text}) but the source was modified {} after \
                     this cache was written, within the same second (--verify compares the code)",
                    text::date(i64::from(recorded)),
                    text::seconds(after)
                )
                .into(),
            );
        }
        // Plain words: this runs for every fresh cache, and JSON carries the values.
        let matched = if size.is_some() {
            "recorded mtime and size match the source"
        } else {
            "recorded mtime matches the source"
        };
        return (Cause::Fresh, matched.into());
    }
    let mut parts = Vec::new();
    if !mtime_ok {
        let mut part = format!(
            "recorded mtime {}, source {}",
            text::date(i64::from(recorded)),
            text::date(python_mtime)
        );
        part.push_str(&never_matches_note(rule, python_mtime, &who.to_string()));
        parts.push(part);
    }
    if let (false, Some(s)) = (size_ok, size) {
        parts.push(format!(
            "recorded size {}, source {}",
            text::bytes(u64::from(s)),
            text::bytes(stat.size)
        ));
    }
    (Cause::Stale, parts.join("; ").into())
}

/// Returns true if and only if the era's comparison can never match this source mtime,
/// whatever the header says.
pub(crate) fn never_matches(rule: MtimeRule, python_mtime: i64) -> bool {
    match rule {
        MtimeRule::Unmasked => !(0..1 << 32).contains(&python_mtime),
        MtimeRule::Signed32 => python_mtime & 0xFFFF_FFFF >= 1 << 31,
        MtimeRule::Masked => false,
    }
}

/// Explains mtimes that an era's comparison can never match.
fn never_matches_note(rule: MtimeRule, python_mtime: i64, who: &str) -> String {
    match rule {
        _ if !never_matches(rule, python_mtime) => String::new(),
        MtimeRule::Unmasked => format!(" ({who} never matches a mtime outside 1970-2106)"),
        _ => format!(" ({who} never matches a mtime before 1970 or from 2038-01-19 to 2106)"),
    }
}

fn hash_outcome(checked: bool, recorded: SourceHash, actual: SourceHash) -> Fare {
    let mode = if checked {
        "checked-hash"
    } else {
        "unchecked-hash"
    };
    if recorded == actual {
        let reason = format!("{mode} {} matches the source", recorded.to_hex());
        return (Cause::Fresh, reason.into());
    }
    let compared = format!(
        "recorded hash {}, source hashes to {}",
        recorded.to_hex(),
        actual.to_hex()
    );
    if checked {
        (Cause::Stale, compared.into())
    } else {
        let reason = format!("source changed but Python never checks an unchecked-hash cache and runs the old bytecode ({compared})");
        (Cause::TrustedStale, reason.into())
    }
}
