//! The fix: one shell command (delete the cache, or recompile it with the interpreter that
//! reads it) and a sentence on why that command.
//!
//! Recompiling uses the judge's own binary (`python3.12`, `python2.7`, `pypy3.9`), its
//! optimisation flag for `opt-N`/`.pyo` names, and `py_compile`, which every version has. A
//! hash-based cache stays hash-based (`compileall -f --invalidation-mode checked-hash`, 3.7+);
//! so does a timestamp cache whose mtimes cannot be trusted (a same-second edit, an edit that
//! kept the mtime), where only a checked-hash cache tells the versions apart. A mtime the
//! judge can never match (3.6 past 2106, Python 2 past 2038) needs a `touch` first. Files
//! nothing reads by default, or that nothing will rewrite, are deleted.

use std::io;
use std::path::Path;

use serde::Serialize;

use super::record::{Facts, TimestampCheck};
use crate::pyc::header::{Era, Invalidation};
use crate::pyc::magic::Implementation;
use crate::python::interp::Interpreter;
use crate::python::naming::{CacheName, Layout, OptLevel};
use crate::verdict::model::{display_path, Action, Record, Status};
use crate::verdict::{Cause, Unread};

/// How to fix a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Fix {
    /// A shell command, run from the current directory; null when there is none to run.
    pub command: Option<String>,
    /// What the command does and why it is the right one.
    pub note: String,
}

fn fix(command: Option<String>, note: impl Into<String>) -> Option<Fix> {
    Some(Fix {
        command,
        note: note.into(),
    })
}

/// The fix for a verdict, by its cause; `None` when there is nothing to fix.
pub(super) fn suggest(rec: &Record, name: &CacheName, cause: Cause, facts: &Facts) -> Option<Fix> {
    rec.severity?;
    let rm = Some(format!("rm {}", quote(&rec.path)));
    if rec.status == Status::Leftover {
        return fix(rm, "no interpreter that runs this tree reads it");
    }
    match cause {
        Cause::Fresh => None,
        Cause::Unreadable(unread, kind) => unreadable(rec, unread, kind, rm),
        Cause::OrphanLoads => fix(
            rm,
            "the module's source is gone but this file still imports; keep it only if the \
             module ships without its source",
        ),
        Cause::OrphanRaises => fix(
            rm,
            "the module's source is gone and importing this file raises",
        ),
        Cause::OrphanDebris => fix(rm, "nothing reads it: its source is gone"),
        _ => stale(rec, name, cause, facts, rm),
    }
}

/// A file that could not be read: the error's kind says which fix applies.
fn unreadable(
    rec: &Record,
    unread: Unread,
    kind: io::ErrorKind,
    rm: Option<String>,
) -> Option<Fix> {
    let source = rec.source.as_deref().map(display_path).unwrap_or_default();
    match (unread, kind) {
        (
            Unread::Source
            | Unread::SourceContent
            | Unread::SourceNotNeeded
            | Unread::SourceToRecompile,
            _,
        ) => fix(None, format!("make {source} readable, then explain again")),
        (_, io::ErrorKind::IsADirectory) => fix(
            None,
            "a directory stands where the cache belongs: Python can never write the cache \
             there; remove the directory if it is a leftover",
        ),
        _ => fix(rm, "Python writes a new cache in its place"),
    }
}

/// Stale, suspect, mismatched or corrupt, with the source present.
fn stale(
    rec: &Record,
    name: &CacheName,
    cause: Cause,
    facts: &Facts,
    rm: Option<String>,
) -> Option<Fix> {
    let interpreter = facts.interpreter;
    let unknown_name = (name.layout != Layout::Legacy && name.claim().is_none())
        || matches!(name.opt, OptLevel::Other(_));
    match interpreter {
        _ if name.layout == Layout::Pytest => fix(rm, "pytest writes a new one on its next run"),
        _ if unknown_name => fix(rm, "no interpreter reads this name"),
        Some(i) if name.layout == Layout::Legacy && !i.reads_legacy_beside_source() => fix(
            rm,
            format!(
                "{i} imports the source, never a legacy .pyc beside it; recompile it with \
                 `compileall -b` only if the module ships without its source"
            ),
        ),
        Some(i) => recompile(rec, name, cause, facts, i),
        None => fix(rm, "no interpreter is known to read it"),
    }
}

/// For a cache `--verify` found holding other code than its source's.
pub(super) fn diverged(rec: &Record) -> Option<Fix> {
    let source = rec.source.as_deref().map_or_else(String::new, display_path);
    fix(
        Some(format!("rm {}", quote(&rec.path))),
        format!(
            "the cache holds other code than {source} although its header matches: without it \
             Python compiles the source on the next import; checked-hash caches \
             (python -m compileall --invalidation-mode checked-hash) keep it from recurring"
        ),
    )
}

/// The invalidation mode to recompile with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Timestamp,
    CheckedHash,
}

fn recompile(
    rec: &Record,
    name: &CacheName,
    cause: Cause,
    facts: &Facts,
    i: Interpreter,
) -> Option<Fix> {
    let source = rec.source.as_deref()?;
    let hash_capable = i.era() == Era::Flags16;
    let clamped = is_clamped(cause, facts);
    let (mode, why) = match rec.invalidation {
        Some(Invalidation::CheckedHash) => (
            Mode::CheckedHash,
            "rewrites it as the checked-hash cache it was".to_string(),
        ),
        Some(Invalidation::UncheckedHash) => (
            Mode::CheckedHash,
            format!(
                "rewrites it as a checked-hash cache, which Python compares with the source on \
                 every import; use --invalidation-mode unchecked-hash instead only if nothing \
                 edits {} in place",
                display_path(source)
            ),
        ),
        _ if clamped && hash_capable => (
            Mode::CheckedHash,
            "the source's mtime does not show its edits (the same second, or a kept or clamped \
             mtime): only a checked-hash cache, which compares content, tells the versions apart"
                .to_string(),
        ),
        _ => (
            Mode::Timestamp,
            "rewrites it from the current source".to_string(),
        ),
    };
    let binary = format!("{}{}", binary(i), opt_flag(name));
    let src = quote(source);
    let (command, why) = match (mode, touch_reason(facts, i)) {
        (Mode::CheckedHash, _) => (
            format!("{binary} -m compileall -q -f --invalidation-mode checked-hash {src}"),
            why,
        ),
        (Mode::Timestamp, Some(reason)) => (
            format!("touch {src} && {binary} -m py_compile {src}"),
            format!("{reason}: give the source a current mtime, then recompile"),
        ),
        (Mode::Timestamp, None) => (format!("{binary} -m py_compile {src}"), why),
    };
    let why = if rec.python_action == Action::Recompile {
        format!("{why} (Python also recompiles it on the next import, where it may write)")
    } else {
        why
    };
    fix(Some(command), why)
}

/// Why a timestamp cache written now could not match the source's current mtime, if so.
fn touch_reason(facts: &Facts, i: Interpreter) -> Option<String> {
    let t: TimestampCheck = facts.timestamp?;
    if t.never_matches {
        Some(format!("{i} can never match the source's current mtime"))
    } else if t.rounds_up {
        Some(format!(
            "py_compile of {i} records the source's mtime rounded up to the next second, which \
             its import never matches"
        ))
    } else {
        None
    }
}

/// Returns true if and only if the source's mtime failed to show an edit: a same-second
/// rewrite, or a size that changed under a matching mtime.
fn is_clamped(cause: Cause, facts: &Facts) -> bool {
    let kept_mtime = facts.timestamp.is_some_and(|t| t.mtime_ok && !t.size_ok);
    cause == Cause::Suspect || kept_mtime
}

/// The command that runs the interpreter: `python3.12`, `python2.7`, `pypy3.9`, `graalpy`,
/// `rustpython`.
pub(super) fn binary(i: Interpreter) -> String {
    match (i.implementation, i.python) {
        (Implementation::CPython, Some(p)) => format!("python{p}"),
        (Implementation::CPython, None) => "python3".into(),
        (Implementation::PyPy, Some(p)) if p.major < 3 => "pypy".into(),
        (Implementation::PyPy, Some(p)) => format!("pypy{p}"),
        (Implementation::PyPy, None) => "pypy3".into(),
        (Implementation::GraalPy, _) => "graalpy".into(),
        (Implementation::RustPython, _) => "rustpython".into(),
    }
}

/// `-O` or `-OO` for caches only an optimising interpreter writes.
fn opt_flag(name: &CacheName) -> &'static str {
    match name.opt {
        OptLevel::Level(0) if !name.is_pyo => "",
        OptLevel::Level(2) => " -OO",
        _ => " -O",
    }
}

/// A path as one shell word: bare when safe, else single-quoted, else `$'...'` (control
/// characters, bytes that are not UTF-8). A leading `-` gets `./` so it cannot read as an option.
pub(super) fn quote(path: &Path) -> String {
    let shown = crate::verdict::model::reported(path)
        .as_os_str()
        .as_encoded_bytes();
    let mut bytes = Vec::with_capacity(shown.len() + 2);
    if shown.starts_with(b"-") {
        bytes.extend_from_slice(b"./");
    }
    bytes.extend_from_slice(shown);
    match std::str::from_utf8(&bytes) {
        Ok(s) if !s.is_empty() && s.chars().all(is_safe) => s.to_string(),
        Ok(s) if !s.chars().any(char::is_control) => format!("'{}'", s.replace('\'', "'\\''")),
        _ => ansi_c(&bytes),
    }
}

fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./+,:@%=".contains(c)
}

fn ansi_c(bytes: &[u8]) -> String {
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyc::magic::PyVersion;

    #[test]
    fn binaries_by_interpreter() {
        let i = |implementation, python| Interpreter {
            implementation,
            python,
        };
        let v = |major, minor| Some(PyVersion::new(major, minor));
        assert_eq!(binary(i(Implementation::CPython, v(3, 12))), "python3.12");
        assert_eq!(binary(i(Implementation::CPython, v(2, 7))), "python2.7");
        assert_eq!(binary(i(Implementation::PyPy, v(3, 9))), "pypy3.9");
        assert_eq!(binary(i(Implementation::PyPy, v(2, 7))), "pypy");
        assert_eq!(binary(i(Implementation::PyPy, None)), "pypy3");
        assert_eq!(binary(i(Implementation::GraalPy, v(3, 12))), "graalpy");
    }

    #[test]
    fn paths_become_one_shell_word() {
        assert_eq!(quote(Path::new("./app/m.py")), "app/m.py");
        assert_eq!(quote(Path::new("my app/m.py")), "'my app/m.py'");
        assert_eq!(quote(Path::new("it's.py")), "'it'\\''s.py'");
        assert_eq!(quote(Path::new("a\nb.py")), "$'a\\x0ab.py'");
        assert_eq!(quote(Path::new("-m.py")), "./-m.py");
        assert_eq!(quote(Path::new("-a b.py")), "'./-a b.py'");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let raw = Path::new(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
            assert_eq!(quote(raw), "$'caf\\xe9.py'");
        }
    }
}
