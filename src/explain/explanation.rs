//! One explained cache: the `check` record of it, plus the header as read, the rule trace,
//! what the import does and the fix. Reading happens here (the head exactly as `check` reads
//! it, then the whole file for the body rule); judging is the verdict's and the trace's.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs;
use std::io::Read;

use serde::Serialize;

use super::fix::{self, Fix};
use super::trace::{self, Body, Outcome, Rule, Step, Trace};
use crate::audit::{read_head, stat_source};
use crate::model::{display_path, Action, Record, Status};
use crate::naming::CacheName;
use crate::pyc::magic::{self, MagicId};
use crate::source::source_file_hash;
use crate::verdict::prefix::{self as prefix_rule, Place};
use crate::verdict::{self, CacheRead, Evidence, SourceState};
use crate::walk::Found;

/// Bodies are read whole up to this size; real caches are a few megabytes at most.
const MAX_READ: u64 = 256 << 20;

/// A cache explained. Serialised flat: the `check` record's fields, then these.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    #[serde(flatten)]
    pub record: Record,
    /// The interpreter whose rules apply (`Python 3.11`, `PyPy 3.9`), named by the tag even
    /// when the file cannot be read; null when nothing names one.
    pub judge: Option<String>,
    /// The cache file's size in bytes; null when it could not be read.
    pub file_size: Option<u64>,
    /// The header bytes as the judge reads them, hex in 4-byte words.
    pub header_hex: Option<String>,
    /// Who wrote the file, by its magic: `CPython 3.10`, `PyPy 3.9`, `CPython 2.7 -U`.
    pub magic_writer: Option<String>,
    /// The cache file's own mtime, nanoseconds since the epoch.
    pub cache_mtime_ns: Option<i64>,
    /// The source's mtime, nanoseconds since the epoch.
    pub source_mtime_ns: Option<i64>,
    /// Every rule, in the order the judge applies them.
    pub rules: Vec<Step>,
    /// What the judge does with this file on import, in a sentence.
    pub on_import: String,
    /// How to fix it; null when there is nothing to fix.
    pub fix: Option<Fix>,
}

/// What judging one cache gives: `check`'s record (before the body rule) and the trace.
pub(super) struct Judged {
    pub(super) source: SourceState,
    pub(super) head: Result<CacheRead, String>,
    pub(super) body: Body,
    pub(super) record: Record,
    pub(super) trace: Trace,
}

/// Reads and judges one cache exactly as `check` does, and traces its rules.
pub(super) fn judge(found: &Found, name: &CacheName) -> Judged {
    let source = stat_source(&name.sources);
    let (head, body) = match read_head(found) {
        Ok((cache, file)) => {
            let body = read_body(&cache, file);
            (Ok(cache), body)
        }
        Err(e) => (Err(e.clone()), Body::Unread(e)),
    };
    // The verdict and the trace ask for the same hashes: each is streamed once.
    let hashes = RefCell::new(HashMap::new());
    let hash = |variant, key| {
        let SourceState::Present { path, .. } = &source else {
            return Err("no source".to_string());
        };
        let mut known = hashes.borrow_mut();
        let entry = known
            .entry((variant, key))
            .or_insert_with(|| source_file_hash(variant, key, path));
        entry.clone()
    };
    // The verdict reads on after the head from the whole file already read here.
    let given = Cell::new(head.as_ref().map_or(0, |h| h.head.len()));
    let rest = |buf: &mut Vec<u8>, n: usize| -> Result<bool, String> {
        let Body::Whole(bytes) = &body else {
            return Err("the body was not read".into());
        };
        let at = given.get().min(bytes.len());
        let end = bytes.len().min(at.saturating_add(n));
        buf.extend_from_slice(&bytes[at..end]);
        given.set(end);
        Ok(end == bytes.len())
    };
    let ev = Evidence {
        path: &found.path,
        name,
        cache: head.as_ref().map_err(String::as_str),
        source: &source,
        rest: &rest,
        // Like `check --deep`, unless the file is too large for explain to hold (then the
        // trace says the body rule was not applied, and the verdict agrees).
        deep: matches!(body, Body::Whole(_)),
    };
    let record = verdict::judge(&ev, &hash);
    let trace = trace::build(&ev, &body, &hash);
    Judged {
        source,
        head,
        body,
        record,
        trace,
    }
}

/// Explains one cache (a path whose name ends in `.pyc` or `.pyo`); `place` says where it was
/// found when a pycache prefix is in effect, as for `check`.
pub fn explain(found: &Found, name: &CacheName, place: Option<Place>) -> Explanation {
    let Judged {
        source,
        head,
        body,
        record,
        mut trace,
    } = judge(found, name);
    let record = match place {
        Some(place) => with_prefix(record, &mut trace, name, place),
        None => record,
    };
    let on_import = on_import(&record, &trace, name);
    let fix = fix::suggest(&record, name, &trace, found.kind, &source);
    Explanation {
        judge: trace.judge.interpreter.map(|i| i.to_string()),
        file_size: match &body {
            Body::Whole(b) => Some(b.len() as u64),
            Body::TooLarge(n) => Some(*n),
            Body::Unread(_) => None,
        },
        header_hex: head.as_ref().ok().map(|h| header_hex(h, &trace)),
        magic_writer: head.as_ref().ok().and_then(|h| magic_writer(&h.head)),
        cache_mtime_ns: head.as_ref().ok().map(|h| h.written_ns as i64),
        source_mtime_ns: match &source {
            SourceState::Present { stat, .. } => Some(stat.mtime_ns() as i64),
            _ => None,
        },
        rules: trace.steps,
        on_import,
        fix,
        record,
    }
}

/// The verdict under the pycache prefix, as `check` applies it; the lookup rule says why a
/// file its reader never opens there is skipped.
fn with_prefix(record: Record, trace: &mut Trace, name: &CacheName, place: Place) -> Record {
    let before = record.python_action;
    let record = prefix_rule::apply(record, name, place);
    if record.python_action != before {
        let why = prefix_rule::unread_reason(name, place).unwrap_or_default();
        let who = trace
            .judge
            .interpreter
            .map_or_else(|| "Python".to_string(), |i| i.to_string());
        if let Some(step) = trace.steps.iter_mut().find(|s| s.rule == Rule::Lookup) {
            step.outcome = Outcome::Fail;
            step.detail = format!(
                "{why}: {who} never opens this file (the rules below are how it would fare)"
            );
        }
        trace.never_read = Some(why);
        trace.action = record.python_action;
    }
    record
}

/// The whole file, from the handle the head was read with (positioned after the head).
fn read_body(cache: &CacheRead, file: fs::File) -> Body {
    if cache.len > MAX_READ {
        return Body::TooLarge(cache.len);
    }
    let mut bytes = Vec::with_capacity(cache.len as usize);
    bytes.extend_from_slice(&cache.head);
    match file.take(MAX_READ).read_to_end(&mut bytes) {
        Ok(_) => Body::Whole(bytes),
        Err(e) => Body::Unread(e.to_string()),
    }
}

fn header_hex(read: &CacheRead, trace: &Trace) -> String {
    let len = trace.header_len.unwrap_or(16).min(read.head.len());
    read.head[..len]
        .chunks(4)
        .map(|word| word.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn magic_writer(head: &[u8]) -> Option<String> {
    match magic::identify(head).1 {
        MagicId::Known(k) => {
            let implementation = k.implementation.to_string();
            Some(if k.label.starts_with(&implementation) {
                k.label
            } else {
                format!("{implementation} {}", k.label)
            })
        }
        _ => None,
    }
}

/// What the judge does with the file on import, in one sentence.
fn on_import(rec: &Record, trace: &Trace, name: &CacheName) -> String {
    let who = trace
        .judge
        .interpreter
        .map_or_else(|| "Python".to_string(), |i| i.to_string());
    let src = match &rec.source {
        Some(p) => display_path(p),
        None => name
            .sources
            .first()
            .map_or_else(String::new, |p| display_path(p)),
    };
    match (rec.status, rec.python_action) {
        (Status::Fresh, Action::Load) => {
            format!("{who} runs this cache's bytecode: it matches {src}.")
        }
        (Status::Suspect, Action::Load) => format!(
            "{who} runs this cache's bytecode, which may not be {src}'s: the source changed after \
             the cache was written, and the header cannot show it."
        ),
        (Status::Orphan, Action::Load) => format!(
            "{who} imports this file although {src} is gone: the deleted module still imports."
        ),
        (_, Action::Load) => format!(
            "{who} runs this cache's bytecode without comparing it with {src}: edits to the \
             source do not take effect."
        ),
        (Status::Unreadable, Action::Recompile) => format!(
            "{who} cannot read this file, so it compiles {src} and tries to write a new cache in \
             its place."
        ),
        (_, Action::Recompile) => format!(
            "{who} rejects this cache, compiles {src} and writes a new cache in its place (where \
             it may write; elsewhere it compiles on every import)."
        ),
        (Status::Orphan, Action::Skip) => {
            format!("{who} never reads this file: without {src} nothing imports it.")
        }
        (Status::Unreadable, Action::Fail) => format!(
            "{who} must read {src} here and cannot: the import raises ({}).",
            rec.reason
        ),
        (Status::Orphan, Action::Fail) => {
            format!("{who} imports this file in place of the missing {src}, and the import raises.")
        }
        (_, Action::Fail) => format!(
            "{who} accepts the header, then cannot unmarshal the body: the import raises, \
             although {src} is there."
        ),
        (Status::Unreadable, _) if trace.never_read.is_none() => {
            format!("{who} does not use this cache: {}.", rec.reason)
        }
        (_, _) => format!(
            "{who} never opens this file on a default import ({}).",
            trace
                .never_read
                .as_deref()
                .unwrap_or("it is not the name the import looks for")
        ),
    }
}
