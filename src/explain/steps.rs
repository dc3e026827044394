//! The steps of the rule trace up to the header, and the body: one function per rule (or run
//! of rules), each pushing what it found. They decide with the verdict's own functions
//! (`Judge`, `never_read`, `header::parse`, `pytest_accepts_flags`, `check_body`); the words
//! are explain's. The comparison with the source is in `compare`.

use super::trace::{Body, Outcome, Rule, Tracer};
use crate::model::Status;
use crate::naming::{CacheName, Layout, PytestVersion};
use crate::pyc::header::{self, Era, Header, HeaderError};
use crate::pyc::magic::{Magic, MagicId};
use crate::pyc::marshal::check_body;
use crate::verdict::judge::{self, Fit};
use crate::verdict::{text, SourceState};

pub(super) fn judge(
    t: &mut Tracer,
    name: &CacheName,
    magic: Option<Magic>,
    id: &MagicId,
    readable: bool,
) {
    let who = t.who();
    let tag = name.tag.as_ref().map(|t| t.text.as_str());
    let (outcome, detail) = match (name.layout, tag, name.claim(), t.judge.interpreter) {
        (Layout::Legacy, _, _, Some(_)) => (
            Outcome::Pass,
            format!(
                "legacy name (NAME.pyc beside NAME.py): magic {} names {who}",
                magic.map_or(0, |m| m.0)
            ),
        ),
        (Layout::Legacy, _, _, None) if !readable => (
            Outcome::Fail,
            "legacy name: only its magic could name the interpreter, and it cannot be read".into(),
        ),
        (Layout::Legacy, _, _, None) => (
            Outcome::Fail,
            format!(
                "legacy name and {}: no interpreter known",
                magic_words(magic, id)
            ),
        ),
        (_, Some(tag), Some(_), _) => (Outcome::Pass, format!("tag {tag} names {who}")),
        (_, tag, None, Some(_)) => (
            Outcome::Fail,
            format!(
                "{}: no interpreter uses it; judged as {who}, whom its magic names",
                tag_words(tag)
            ),
        ),
        (_, tag, _, _) => (
            Outcome::Fail,
            format!("{}: no interpreter uses it", tag_words(tag)),
        ),
    };
    let detail = match &name.pytest {
        Some(version) => format!("{detail}, with the rules of {}", pytest_words(version)),
        None => detail,
    };
    t.push(Rule::Judge, outcome, detail);
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

pub(super) fn source(t: &mut Tracer, name: &CacheName, source: &SourceState) {
    let (outcome, detail) = match source {
        SourceState::Present {
            path,
            read_error: Some(e),
            ..
        } => (
            Outcome::Warning,
            format!("{} exists but cannot be read: {e}", shown(path)),
        ),
        SourceState::Present { path, .. } => (Outcome::Pass, format!("{} exists", shown(path))),
        SourceState::Missing => {
            let tried: Vec<String> = name.sources.iter().map(|p| shown(p)).collect();
            (
                Outcome::Fail,
                format!("no source: neither of {} exists", tried.join(", ")),
            )
        }
        SourceState::Unreadable { path, error } => (
            Outcome::Fail,
            format!("cannot stat {}: {error}", shown(path)),
        ),
    };
    t.push(Rule::Source, outcome, detail);
}

fn shown(path: &std::path::Path) -> String {
    crate::report::escaped_path(path)
}

pub(super) fn lookup(t: &mut Tracer, name: &CacheName, has_source: bool, importable: bool) {
    let who = t.who();
    let (outcome, detail) = match (has_source, importable, &t.never_read) {
        (true, _, None) => (Outcome::Pass, format!("{who} opens this file on import")),
        (true, _, Some(why)) => (
            Outcome::Fail,
            format!("{why}: {who} never opens it on a default import (the rules below are how it would fare)"),
        ),
        (false, true, _) => (
            Outcome::Pass,
            format!("{who} imports a legacy .pyc without its source (sourceless import)"),
        ),
        (false, false, _) => (
            Outcome::Fail,
            format!(
                "{who} reads a {} file only for its source, so never this one",
                layout_words(name)
            ),
        ),
    };
    t.push(Rule::Lookup, outcome, detail);
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

/// Magic, length and flags. `Err` carries the status a rejected header gets.
pub(super) fn header(
    t: &mut Tracer,
    name: &CacheName,
    magic: Option<Magic>,
    head: &[u8],
) -> Result<(Magic, Header), Status> {
    let who = t.who();
    let magic = match (&t.judge.fit, magic) {
        (Fit::Consistent, Some(m)) => {
            let bytes = text::hex_bytes(&head[..4]);
            t.push(
                Rule::Magic,
                Outcome::Pass,
                format!("{} ({bytes}) is one {who} writes", m.0),
            );
            m
        }
        (fit, _) => {
            let status = match fit {
                Fit::Mismatch(_) => Status::Mismatch,
                Fit::Unknown { .. } if t.judge.interpreter.is_some() => Status::Mismatch,
                _ => Status::Corrupt,
            };
            t.push(Rule::Magic, Outcome::Fail, magic_failure(fit, head, &who));
            return Err(status);
        }
    };
    let Some(era) = t.judge.era(name) else {
        t.push(
            Rule::Length,
            Outcome::Fail,
            "no interpreter is known to read it",
        );
        return Err(Status::Corrupt);
    };
    t.header_len = Some(era.header_len());
    match header::parse(head, era) {
        Err(HeaderError::Short { len, need }) => {
            let detail = format!("the file is {len} bytes, shorter than the {need}-byte header");
            t.push(Rule::Length, Outcome::Fail, detail);
            Err(Status::Corrupt)
        }
        Err(HeaderError::InvalidFlags(flags)) => {
            t.push(Rule::Length, Outcome::Pass, layout_text(era, name));
            let detail = format!("{flags:#x}: {who} accepts only bits 0 and 1 (values 0-3)");
            t.push(Rule::Flags, Outcome::Fail, detail);
            Err(Status::Corrupt)
        }
        Ok(h) => {
            t.push(Rule::Length, Outcome::Pass, layout_text(era, name));
            flags(t, name, &h, era)?;
            Ok((magic, h))
        }
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

fn flags(t: &mut Tracer, name: &CacheName, h: &Header, era: Era) -> Result<(), Status> {
    let Some(flags) = h.flags else {
        let detail = format!("no flags word: the header is {} bytes", era.header_len());
        t.push(Rule::Flags, Outcome::NotApplied, detail);
        return Ok(());
    };
    let meaning = match flags {
        0 => "timestamp",
        1 => "hash-based, check_source off: unchecked-hash",
        2 => "check_source without hash-based: read as timestamp",
        _ => "hash-based, check_source on: checked-hash",
    };
    if name.layout == Layout::Pytest && !judge::pytest_accepts_flags(name, flags) {
        let detail = format!("{flags:#x} ({meaning}): this pytest rejects it and rewrites");
        t.push(Rule::Flags, Outcome::Fail, detail);
        return Err(Status::Corrupt);
    }
    t.push(Rule::Flags, Outcome::Pass, format!("{flags:#x}: {meaning}"));
    Ok(())
}

/// A legacy file imported without a source: nothing is compared.
pub(super) fn sourceless(t: &mut Tracer) {
    let why = "sourceless import: there is no source to compare";
    for rule in [Rule::Mtime, Rule::Size, Rule::Hash, Rule::SameSecond] {
        t.push(rule, Outcome::NotApplied, why);
    }
}

/// Unmarshals the body as the judge would; returns false when the import would raise.
pub(super) fn body(t: &mut Tracer, name: &CacheName, body: &Body) -> bool {
    let (Some(interpreter), Some(header_len)) = (t.judge.interpreter, t.header_len) else {
        return true;
    };
    let bytes = match body {
        Body::Whole(bytes) => bytes,
        Body::TooLarge(n) => {
            let detail = format!("not checked: the file is {n} bytes, more than explain reads");
            t.push(Rule::Body, Outcome::NotApplied, detail);
            return true;
        }
        Body::Unread(e) => {
            let detail = format!("not checked: cannot read the whole file: {e}");
            t.push(Rule::Body, Outcome::NotApplied, detail);
            return true;
        }
    };
    let body = bytes.get(header_len..).unwrap_or_default();
    if interpreter.code_markers().is_none() {
        let detail = format!("{interpreter} caches are not marshal data: not checked");
        t.push(Rule::Body, Outcome::NotApplied, detail);
        return true;
    }
    match check_body(body, &interpreter) {
        Ok(()) => {
            let detail = format!("{} bytes of marshal data hold a code object", body.len());
            t.push(Rule::Body, Outcome::Pass, detail);
            true
        }
        Err(e) => {
            let then = if name.layout == Layout::Pytest {
                "pytest catches it and rewrites the cache"
            } else {
                "the import raises"
            };
            let detail = format!(
                "{} at body offset {} (file offset {}): {then}",
                e.what,
                e.offset,
                e.offset + header_len
            );
            t.push(Rule::Body, Outcome::Fail, detail);
            t.body_error = Some(e);
            false
        }
    }
}
