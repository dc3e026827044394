//! The rules the verdict applies, and the observer it reports them to.
//!
//! The verdict is the only code that decides. As it applies each rule it tells an [`Observer`]
//! which rule, how it came out and what it compared, as values ([`Seen`]); the words are the
//! observer's. `check` observes nothing: `()` implements every method as a no-op and the calls
//! compile away. `explain` records the rules and words them, and fills in the ones the verdict
//! never reached. ripgrep's `grep-searcher` has the same shape: one search, many `Sink`s.
//!
//! Adding a rule (`Verify`, `Resolution`, ...) is one [`Rule`] variant (in `ALL` and `label`,
//! at its place in the import's order), its [`Seen`] values if it compares any, and one
//! `obs.rule(..)` call where the evaluator applies it; if it can decide the verdict, a
//! [`Cause`](super::Cause) variant too, whose status and action `status_of` gives. `check`
//! needs nothing more; `explain` gets a missing match arm for its words (`explain::words`)
//! and, for a new cause, for its import sentence and fix, and nothing else.

use std::io;

use serde::Serialize;

use super::body::BodyCheck;
use super::inputs::CacheError;
use super::judge::{Fit, Judge};
use super::SourceState;
use crate::pyc::header::{Era, HeaderError, RecordedMtime, SourceHash};
use crate::pyc::magic::{Magic, MagicId};
use crate::python::source::{HashVariant, MtimeRule, SourceStat};

/// A rule, in the order the interpreter applies it on import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rule {
    /// Which interpreter reads the file: the one its tag names, or for a legacy file its magic.
    Judge,
    /// The source the cache pairs with.
    Source,
    /// What `import NAME` finds first in the module's directory: a package with an `__init__`
    /// or an extension module shadows the module's source and caches (applied once the walk
    /// has seen the directory, see `resolution`).
    Resolution,
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
    pub(crate) const ALL: [Rule; 13] = [
        Rule::Judge,
        Rule::Source,
        Rule::Resolution,
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

    pub(crate) fn label(self) -> &'static str {
        match self {
            Rule::Judge => "judge",
            Rule::Source => "source",
            Rule::Resolution => "resolution",
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

/// How a rule came out. "Not reached" is not an outcome: the verdict never reports a rule it
/// did not reach, and an observer that lists every rule fills those in itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    /// The rule rejects the file (or, for `judge`, `source` and `lookup`, says no).
    Fail,
    /// The interpreter lets the file through, but what it runs is not quite the source's.
    Warning,
    /// The rule does not exist for this interpreter or this kind of cache.
    NotApplied,
}

impl Outcome {
    pub(crate) fn of(ok: bool) -> Outcome {
        if ok {
            Outcome::Pass
        } else {
            Outcome::Fail
        }
    }
}

/// Why a comparison rule does not apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Absent {
    /// A hash-based header holds no mtime or size, and the same-second rule needs an mtime.
    HashBased,
    /// A timestamp header holds no hash.
    TimestampBased,
    /// The header has no size field.
    NoSize,
    /// A legacy file imported without its source: nothing to compare.
    Sourceless,
}

/// What a rule looked at, as values; borrowed, so reporting costs nothing when nobody listens.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seen<'a> {
    Judge {
        judge: &'a Judge,
        magic: Option<Magic>,
        id: &'a MagicId,
        readable: bool,
    },
    Source(&'a SourceState),
    Lookup {
        /// Why the judge never opens this name under default settings.
        never_read: Option<&'a str>,
        has_source: bool,
        /// Whether the judge imports this file with no source (a legacy `.pyc`).
        importable: bool,
    },
    Read(Result<(), &'a CacheError>),
    Magic {
        fit: &'a Fit,
        magic: Option<Magic>,
        head: &'a [u8],
    },
    /// `era` is `None` when no interpreter is known to read the file.
    Length {
        era: Option<Era>,
        short: Option<HeaderError>,
    },
    Flags {
        flags: Option<u32>,
        era: Era,
        /// pytest's own check, stricter than the interpreter's.
        pytest: bool,
    },
    Mtime {
        recorded: RecordedMtime,
        /// The source's mtime as the judge computes it.
        source: i64,
        rule: MtimeRule,
        stat: &'a SourceStat,
        /// The recorded size, compared next (or not, when the mtime fails).
        size: Option<u32>,
    },
    Size {
        recorded: u32,
        source: u64,
    },
    Hash {
        /// Reported for observers; explain words the check mode from the cause today.
        #[allow(dead_code)]
        checked: bool,
        recorded: SourceHash,
        actual: Result<SourceHash, &'a io::Error>,
        variant: HashVariant,
    },
    /// The source was modified this many nanoseconds after the cache was written (≤ 0: not).
    SameSecond {
        after_ns: i128,
    },
    Body {
        check: &'a BodyCheck,
        header_len: usize,
    },
    Absent(Absent),
}

/// Receives every rule the verdict applies, in the order it applies them.
pub(crate) trait Observer {
    #[inline]
    fn rule(&mut self, _rule: Rule, _outcome: Outcome, _seen: Seen<'_>) {}
}

/// `check`: nobody listens.
impl Observer for () {}
