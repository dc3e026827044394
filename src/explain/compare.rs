//! The comparison rules of the trace: the recorded mtime and size against the source's stat,
//! or the recorded hash against the source's hash, then pyc-audit's same-second check. Each
//! decides with the verdict's functions (`MtimeRule::matches`, `size_matches`, the source hash
//! with the judge's SipHash variant) and says what it compared, in the judge's own terms.

use super::trace::{Outcome, Rule, TimestampCheck, Tracer};
use crate::model::{Action, Status};
use crate::naming::CacheName;
use crate::pyc::header::{self, Header, Recorded, SourceHash};
use crate::pyc::magic::Magic;
use crate::source::{size_matches, HashVariant, MtimeRule, SourceStat};
use crate::verdict::{text, CacheRead, HashFn};

/// How far an accepted header got: the interpreter goes on to unmarshal the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reached {
    Fresh,
    Suspect,
    /// An unchecked-hash cache whose source changed: trusted anyway.
    TrustedStale,
}

/// The mtime and size, or the hash, then the same-second check. `Err` carries the status.
pub(super) fn compare(
    t: &mut Tracer,
    name: &CacheName,
    magic: Magic,
    h: &Header,
    stat: &SourceStat,
    read: &CacheRead,
    hash: HashFn,
) -> Result<Reached, Status> {
    let Some(interpreter) = t.judge.interpreter else {
        return Err(Status::Corrupt);
    };
    match h.recorded {
        Recorded::Timestamp { mtime, size } => {
            let rule = t.judge.mtime_rule(name).unwrap_or(interpreter.mtime_rule());
            timestamp(t, rule, mtime, size, stat, read)
        }
        Recorded::Hash {
            checked,
            hash: recorded,
        } => {
            let why = "hash-based cache: the header holds the source hash instead";
            t.push(Rule::Mtime, Outcome::NotApplied, why);
            t.push(Rule::Size, Outcome::NotApplied, why);
            let variant = interpreter.hash_variant();
            let reached = hashed(t, checked, recorded, variant, hash(variant, magic.word()))?;
            t.push(Rule::SameSecond, Outcome::NotApplied, "hash-based cache");
            Ok(reached)
        }
    }
}

fn timestamp(
    t: &mut Tracer,
    rule: MtimeRule,
    recorded: header::RecordedMtime,
    size: Option<u32>,
    stat: &SourceStat,
    read: &CacheRead,
) -> Result<Reached, Status> {
    let python_mtime = stat.python_mtime(rule);
    let mtime_ok = rule.matches(recorded, python_mtime);
    let size_ok = size.is_none_or(|s| size_matches(s, stat.size));
    let never_matches = never_matches(rule, python_mtime);
    let rounds_up = rule == MtimeRule::Signed32 && stat.python_mtime(MtimeRule::Masked) != stat.sec;
    t.timestamp = Some(TimestampCheck {
        mtime_ok,
        size_ok,
        never_matches,
        rounds_up,
    });
    let mut detail = format!(
        "recorded {} ({}), source {} ({}); {}",
        recorded.0,
        text::date(i64::from(recorded.0)),
        python_mtime,
        text::date(python_mtime),
        rule_words(rule)
    );
    if never_matches {
        detail.push_str(&format!("; {} can never match this source mtime", t.who()));
    }
    t.push(Rule::Mtime, pass_or_fail(mtime_ok), detail);
    match size {
        None => t.push(
            Rule::Size,
            Outcome::NotApplied,
            "no size field in this header",
        ),
        Some(s) => {
            let detail = format!(
                "recorded {}, source {} (compared modulo 2**32)",
                text::bytes(u64::from(s)),
                text::bytes(stat.size)
            );
            let outcome = if mtime_ok {
                pass_or_fail(size_ok)
            } else {
                Outcome::NotReached
            };
            t.push(Rule::Size, outcome, detail);
        }
    }
    t.push(
        Rule::Hash,
        Outcome::NotApplied,
        "timestamp cache: no hash recorded",
    );
    if !(mtime_ok && size_ok) {
        return Err(Status::Stale);
    }
    Ok(same_second(t, stat, python_mtime, read))
}

fn pass_or_fail(ok: bool) -> Outcome {
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail
    }
}

fn rule_words(rule: MtimeRule) -> &'static str {
    match rule {
        MtimeRule::Masked => "equal when int(st_mtime) & 0xFFFFFFFF is the recorded value",
        MtimeRule::Unmasked => "equal when int(st_mtime), unmasked, is the recorded value",
        MtimeRule::Signed32 => {
            "equal when the time_t second, mod 2**32, is the recorded value read as signed 32-bit"
        }
    }
}

/// Mirrors the verdict's note: an era's comparison that can never match this mtime.
fn never_matches(rule: MtimeRule, python_mtime: i64) -> bool {
    match rule {
        MtimeRule::Unmasked => !(0..1 << 32).contains(&python_mtime),
        MtimeRule::Signed32 => python_mtime & 0xFFFF_FFFF >= 1 << 31,
        MtimeRule::Masked => false,
    }
}

/// pyc-audit's check: a source rewritten after the cache, within the recorded second.
fn same_second(t: &mut Tracer, stat: &SourceStat, python_mtime: i64, read: &CacheRead) -> Reached {
    let written_sec = read.written_ns.div_euclid(1_000_000_000) as i64;
    let after = stat.mtime_ns() - read.written_ns;
    if after > 0 && written_sec == python_mtime {
        let detail = format!(
            "the source was modified {} after this cache was written, within the recorded \
             second: the header cannot tell the two versions apart",
            text::seconds(after)
        );
        t.push(Rule::SameSecond, Outcome::Warning, detail);
        return Reached::Suspect;
    }
    let detail = "no edit of the source after this cache was written, within the recorded second";
    t.push(Rule::SameSecond, Outcome::Pass, detail);
    Reached::Fresh
}

fn hashed(
    t: &mut Tracer,
    checked: bool,
    recorded: SourceHash,
    variant: HashVariant,
    actual: Result<SourceHash, String>,
) -> Result<Reached, Status> {
    let actual = match actual {
        Ok(h) => h,
        Err(e) => {
            let detail = format!("cannot read the source to hash it: {e}");
            t.push(Rule::Hash, Outcome::Fail, detail);
            // A checked hash needs the source: the import raises; an unchecked one does not.
            t.unread_source = Some(if checked { Action::Fail } else { Action::Load });
            return Err(Status::Unreadable);
        }
    };
    let variant = match variant {
        HashVariant::Sip13 => "SipHash-1-3",
        HashVariant::Sip24 => "SipHash-2-4",
    };
    let compared = format!(
        "recorded {}, source hashes to {} ({variant} keyed with the magic)",
        recorded.to_hex(),
        actual.to_hex()
    );
    let who = t.who();
    let (outcome, detail, result) = match (checked, recorded == actual) {
        (true, true) => (Outcome::Pass, compared, Ok(Reached::Fresh)),
        (true, false) => (Outcome::Fail, compared, Err(Status::Stale)),
        (false, true) => (
            Outcome::NotApplied,
            format!("unchecked-hash: {who} never compares it (it matches): {compared}"),
            Ok(Reached::Fresh),
        ),
        (false, false) => (
            Outcome::Warning,
            format!("unchecked-hash: {who} never compares it and trusts the cache; {compared}"),
            Ok(Reached::TrustedStale),
        ),
    };
    t.push(Rule::Hash, outcome, detail);
    result
}
