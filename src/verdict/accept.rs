//! The header rules: magic, length and flags, as the judging interpreter checks them before it
//! compares anything with the source; and the words for a header it rejects.

use super::judge::{self, Fit, Judge};
use super::rule::{Observer, Outcome, Rule, Seen};
use super::{text, Cause, Fare};
use crate::pyc::header::{Header, HeaderError};
use crate::pyc::magic::Magic;
use crate::python::naming::{CacheName, Layout};

/// Which header rule rejected the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rejected {
    Magic,
    Length,
    Flags,
    /// pytest's own flags check, stricter than the interpreter's.
    PytestFlags(u32),
}

/// The parsed header, if the judge knows how to read one.
pub(super) type Parsed = Option<Result<Header, HeaderError>>;

/// Applies the magic, length and flags rules; `Ok` holds the accepted magic and header.
pub(super) fn accept<'h>(
    name: &CacheName,
    judge: &Judge,
    magic: Option<Magic>,
    header: &'h Parsed,
    head: &[u8],
    obs: &mut impl Observer,
) -> Result<(Magic, &'h Header), Rejected> {
    let seen = Seen::Magic {
        fit: &judge.fit,
        magic,
        head,
    };
    let magic = match (&judge.fit, magic) {
        (Fit::Consistent, Some(m)) => m,
        _ => {
            obs.rule(Rule::Magic, Outcome::Fail, seen);
            return Err(Rejected::Magic);
        }
    };
    obs.rule(Rule::Magic, Outcome::Pass, seen);
    let (Some(era), Some(parsed)) = (judge.era(name), header) else {
        let seen = Seen::Length {
            era: None,
            short: None,
        };
        obs.rule(Rule::Length, Outcome::Fail, seen);
        return Err(Rejected::Length);
    };
    let short = match parsed {
        Err(e @ HeaderError::Short { .. }) => Some(*e),
        _ => None,
    };
    let seen = Seen::Length {
        era: Some(era),
        short,
    };
    obs.rule(Rule::Length, Outcome::of(short.is_none()), seen);
    let h = match parsed {
        Ok(h) => h,
        Err(HeaderError::Short { .. }) => return Err(Rejected::Length),
        Err(HeaderError::InvalidFlags(flags)) => {
            let seen = Seen::Flags {
                flags: Some(*flags),
                era,
                pytest: false,
            };
            obs.rule(Rule::Flags, Outcome::Fail, seen);
            return Err(Rejected::Flags);
        }
    };
    let pytest = name.layout == Layout::Pytest;
    let seen = Seen::Flags {
        flags: h.flags,
        era,
        pytest,
    };
    match h.flags {
        None => obs.rule(Rule::Flags, Outcome::NotApplied, seen),
        Some(flags) if pytest && !judge::pytest_accepts_flags(name, flags) => {
            obs.rule(Rule::Flags, Outcome::Fail, seen);
            return Err(Rejected::PytestFlags(flags));
        }
        Some(_) => obs.rule(Rule::Flags, Outcome::Pass, seen),
    }
    Ok((magic, h))
}

/// How a rejected header fares: a foreign magic is a mismatch, anything else is corrupt.
pub(super) fn reject(rejected: Rejected, judge: &Judge, header: &Parsed, head: &[u8]) -> Fare {
    match (rejected, &judge.fit) {
        (Rejected::Magic, Fit::Mismatch(why)) => (
            Cause::Mismatch,
            format!("{why}: {} recompiles it", who(judge)).into(),
        ),
        (Rejected::Magic, Fit::Unknown { nearest }) if judge.interpreter.is_some() => {
            let magic = head
                .get(..2)
                .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
            let reason = format!(
                "unknown magic {magic} (nearest known: {nearest}): {} recompiles it",
                who(judge)
            );
            (Cause::Mismatch, reason.into())
        }
        _ => (
            Cause::BadHeader,
            reject_text(rejected, judge, header, head).into(),
        ),
    }
}

/// The judge as a subject: `Python 3.11`, `PyPy 3.9`, or `Python` when unknown.
pub(super) fn who(judge: &Judge) -> String {
    judge
        .interpreter
        .map_or_else(|| "Python".to_string(), |i| i.to_string())
}

/// Why the judge rejects the header, in the interpreter's own words where it has them.
pub(super) fn reject_text(
    rejected: Rejected,
    judge: &Judge,
    header: &Parsed,
    head: &[u8],
) -> String {
    if let Rejected::PytestFlags(flags) = rejected {
        return format!("pytest rejects flags {flags:#x} and rewrites the cache");
    }
    match (&judge.fit, header) {
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
