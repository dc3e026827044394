//! The words for each rule the verdict reports: what it compared, in the judge's own terms.
//! Nothing here decides; the outcome arrives with the values.

use std::path::Path;

use super::record::Recorder;
use crate::pyc::header::{Era, HeaderError, SourceHash};
use crate::pyc::magic::{Magic, MagicId};
use crate::python::naming::{CacheName, Layout, PytestVersion};
use crate::python::source::{HashVariant, MtimeRule};
use crate::verdict::rule::{Absent, Outcome, Rule, Seen};
use crate::verdict::{text, BodyCheck, Broken, Fit, SourceState};

/// The detail line of one rule.
pub(super) fn detail(r: &Recorder, rule: Rule, outcome: Outcome, seen: &Seen) -> String {
    let who = r.who();
    match *seen {
        Seen::Judge {
            magic,
            id,
            readable,
            ..
        } => judge(r.name, &who, outcome, magic, id, readable),
        Seen::Source(source) => source_words(r.name, source),
        Seen::Lookup {
            never_read,
            has_source,
            importable,
        } => match (has_source, importable, never_read) {
            (true, _, Some(why)) => format!(
                "{why}: {who} never opens it on a default import (the rules below are how it \
                 would fare)"
            ),
            (true, _, None) if outcome == Outcome::Pass => {
                format!("{who} opens this file on import")
            }
            (true, _, None) => format!("{who} does not open this file on a default import"),
            (false, true, _) => {
                format!("{who} imports a legacy .pyc without its source (sourceless import)")
            }
            (false, false, _) => format!(
                "{who} reads a {} file only for its source, so never this one",
                layout_words(r.name)
            ),
        },
        Seen::Read(Ok(())) => "the file opens and reads".into(),
        Seen::Read(Err(e)) => format!("cannot read: {}", e.text),
        Seen::Magic { fit, magic, head } => match (outcome, magic) {
            (Outcome::Pass, Some(m)) => format!(
                "{} ({}) is one {who} writes",
                m.0,
                text::hex_bytes(&head[..4])
            ),
            _ => magic_failure(fit, head, &who),
        },
        Seen::Length { era: None, .. } => "no interpreter is known to read it".into(),
        Seen::Length {
            short: Some(HeaderError::Short { len, need }),
            ..
        } => format!("the file is {len} bytes, shorter than the {need}-byte header"),
        Seen::Length { era: Some(era), .. } => layout_text(era, r.name),
        Seen::Flags { flags, era, pytest } => flags_words(flags, era, pytest, outcome, &who),
        Seen::Mtime {
            recorded,
            source,
            rule,
            ..
        } => {
            let mut detail = format!(
                "recorded {} ({}), source {} ({}); {}",
                recorded.0,
                text::date(i64::from(recorded.0)),
                source,
                text::date(source),
                rule_words(rule)
            );
            if crate::verdict::compare::never_matches(rule, source) {
                detail.push_str(&format!("; {who} can never match this source mtime"));
            }
            detail
        }
        Seen::Size { recorded, source } => sizes(recorded, source),
        Seen::Hash {
            recorded,
            actual,
            variant,
            ..
        } => hash_words(recorded, actual, variant, outcome, &who),
        Seen::SameSecond { after_ns } if outcome == Outcome::Warning => format!(
            "the source was modified {} after this cache was written, within the recorded \
             second: the header cannot tell the two versions apart",
            text::seconds(after_ns)
        ),
        Seen::SameSecond { .. } => {
            "no edit of the source after this cache was written, within the recorded second".into()
        }
        Seen::Body { check, header_len } => body_words(check, header_len, r.name, &who),
        Seen::Absent(absent) => absent_words(absent, rule).into(),
    }
}

fn judge(
    name: &CacheName,
    who: &str,
    outcome: Outcome,
    magic: Option<Magic>,
    id: &MagicId,
    readable: bool,
) -> String {
    let tag = name.tag.as_ref().map(|t| &*t.text);
    let named = outcome == Outcome::Pass;
    let detail = match (name.layout, named) {
        (Layout::Legacy, true) => format!(
            "legacy name (NAME.pyc beside NAME.py): magic {} names {who}",
            magic.map_or(0, |m| m.0)
        ),
        (Layout::Legacy, false) if !readable => {
            "legacy name: only its magic could name the interpreter, and it cannot be read".into()
        }
        (Layout::Legacy, false) => format!(
            "legacy name and {}: no interpreter known",
            magic_words(magic, id)
        ),
        (_, true) => format!("tag {} names {who}", tag.unwrap_or_default()),
        (_, false) if who != "Python" => format!(
            "{}: no interpreter uses it; judged as {who}, whom its magic names",
            tag_words(tag)
        ),
        (_, false) => format!("{}: no interpreter uses it", tag_words(tag)),
    };
    match &name.pytest {
        Some(version) => format!("{detail}, with the rules of {}", pytest_words(version)),
        None => detail,
    }
}

fn tag_words(tag: Option<&str>) -> String {
    tag.map_or_else(|| "no tag in the name".into(), |t| format!("tag {t}"))
}

fn magic_words(magic: Option<Magic>, id: &MagicId) -> String {
    match (magic, id) {
        (Some(m), MagicId::Unknown { .. }) => format!("unknown magic {}", m.0),
        _ => "no magic number".into(),
    }
}

fn pytest_words(version: &PytestVersion) -> String {
    match version {
        PytestVersion::Legacy => "pytest 4.6 or older (assertion rewriting)".into(),
        PytestVersion::Release(v) => format!("pytest {v} (assertion rewriting)"),
    }
}

fn source_words(name: &CacheName, source: &SourceState) -> String {
    match source {
        SourceState::Present {
            path,
            read_error: Some(e),
            ..
        } => format!("{} exists but cannot be read: {}", shown(path), e.text),
        SourceState::Present { path, .. } => format!("{} exists", shown(path)),
        SourceState::Missing => {
            let tried: Vec<String> = name.sources.iter().map(|p| shown(p)).collect();
            format!("no source: neither of {} exists", tried.join(", "))
        }
        SourceState::Unreadable { path, error, .. } => {
            format!("cannot stat {}: {error}", shown(path))
        }
    }
}

fn shown(path: &Path) -> String {
    crate::report::escaped_path(path)
}

fn layout_words(name: &CacheName) -> &'static str {
    match name.layout {
        _ if name.is_pyo => ".pyo",
        Layout::Pycache => "__pycache__",
        Layout::Pytest => "pytest rewrite",
        Layout::Legacy => "legacy",
        Layout::Prefix => "pycache-prefix",
    }
}

fn magic_failure(fit: &Fit, head: &[u8], who: &str) -> String {
    match fit {
        Fit::Mismatch(why) => format!("{why}: {who} rejects it (bad magic number)"),
        Fit::Unknown { nearest } => format!(
            "{} is no known magic (nearest: {nearest}): {who} rejects it",
            u16::from_le_bytes([head[0], head[1]])
        ),
        Fit::BadBytes if head.len() < 4 => format!(
            "the file is {} bytes, too short for a magic number ({})",
            head.len(),
            text::hex_bytes(head)
        ),
        Fit::BadBytes | Fit::Consistent => format!(
            "the first bytes {} are not a magic number (NNNN then \\r\\n)",
            text::hex_bytes(&head[..4])
        ),
    }
}

fn layout_text(era: Era, name: &CacheName) -> String {
    let fields = match era {
        Era::Classic8 => "magic, mtime",
        Era::Sized12 => "magic, mtime, size",
        Era::Flags16 => "magic, flags, then mtime and size or the source hash",
    };
    let whose = if name.layout == Layout::Pytest {
        " (pytest's layout)"
    } else {
        ""
    };
    format!("{}-byte header{whose}: {fields}", era.header_len())
}

fn flags_words(flags: Option<u32>, era: Era, pytest: bool, outcome: Outcome, who: &str) -> String {
    let Some(flags) = flags else {
        return format!("no flags word: the header is {} bytes", era.header_len());
    };
    let meaning = match flags {
        0 => "timestamp",
        1 => "hash-based, check_source off: unchecked-hash",
        2 => "check_source without hash-based: read as timestamp",
        _ => "hash-based, check_source on: checked-hash",
    };
    match outcome {
        Outcome::Fail if pytest => {
            format!("{flags:#x} ({meaning}): this pytest rejects it and rewrites")
        }
        Outcome::Fail => format!("{flags:#x}: {who} accepts only bits 0 and 1 (values 0-3)"),
        _ => format!("{flags:#x}: {meaning}"),
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

/// The size rule's values.
pub(super) fn sizes(recorded: u32, source: u64) -> String {
    format!(
        "recorded {}, source {} (compared modulo 2**32)",
        text::bytes(u64::from(recorded)),
        text::bytes(source)
    )
}

fn hash_words(
    recorded: SourceHash,
    actual: Result<SourceHash, &std::io::Error>,
    variant: HashVariant,
    outcome: Outcome,
    who: &str,
) -> String {
    let actual = match actual {
        Ok(h) => h,
        Err(e) => return format!("cannot read the source to hash it: {e}"),
    };
    let variant = match variant {
        HashVariant::Sip13 => "SipHash-1-3",
        HashVariant::Sip24 => "SipHash-2-4",
        HashVariant::RustPython => "SipHash-2-4, length first,",
    };
    let compared = format!(
        "recorded {}, source hashes to {} ({variant} keyed with the magic)",
        recorded.to_hex(),
        actual.to_hex()
    );
    match outcome {
        Outcome::NotApplied => {
            format!("unchecked-hash: {who} never compares it (it matches): {compared}")
        }
        Outcome::Warning => {
            format!("unchecked-hash: {who} never compares it and trusts the cache; {compared}")
        }
        Outcome::Pass | Outcome::Fail => compared,
    }
}

fn body_words(check: &BodyCheck, header_len: usize, name: &CacheName, who: &str) -> String {
    let then = if name.layout == Layout::Pytest {
        "pytest catches it and rewrites the cache"
    } else {
        "the import raises"
    };
    match check {
        BodyCheck::FirstByte => "its first byte starts a code object (the rest is not read)".into(),
        BodyCheck::NotMarshal => format!("{who} caches are not marshal data: not checked"),
        BodyCheck::Sound { len } => format!("{len} bytes of marshal data hold a code object"),
        BodyCheck::Trailing { end, extra } => format!(
            "a code object of {end} bytes, then {extra} trailing bytes (from file offset {}): \
             marshal ignores them, so the import loads the code object",
            end + header_len
        ),
        BodyCheck::Broken(Broken::Marshal { what, offset, .. }) => format!(
            "{what} at body offset {offset} (file offset {}): {then}",
            offset + header_len
        ),
        BodyCheck::Broken(Broken::Empty) => {
            format!("the body is empty (EOFError: marshal data too short): {then}")
        }
        BodyCheck::Broken(Broken::NotCode(t)) => {
            format!("the body is not a code object (marshal type {t:#04x}): {then}")
        }
        BodyCheck::Unreadable(e) => format!("cannot read the body: {e}"),
    }
}

fn absent_words(absent: Absent, rule: Rule) -> &'static str {
    match (absent, rule) {
        (Absent::HashBased, Rule::SameSecond) => "hash-based cache",
        (Absent::HashBased, _) => "hash-based cache: the header holds the source hash instead",
        (Absent::TimestampBased, _) => "timestamp cache: no hash recorded",
        (Absent::NoSize, _) => "no size field in this header",
        (Absent::Sourceless, _) => "sourceless import: there is no source to compare",
    }
}
