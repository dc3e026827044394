//! One explained cache: the `check --deep` verdict on it, plus the header as read, the rules
//! the verdict applied (recorded as it applied them), what the import does and the fix.
//! Reading happens here exactly as `check` reads (the head, then the body through the same
//! disk inputs); judging is the verdict's alone, once per cache.

use serde::Serialize;

use super::fix::{self, Fix};
use super::record::{Facts, Outcome, Recorder, Step};
use super::resolve;
use crate::find::walk::Found;
use crate::pyc::magic::{self, MagicId};
use crate::python::naming::CacheName;
use crate::python::optimize::Optimize;
use crate::python::pythons::Running;
use crate::verdict::model::{display_path, Action, Record};
use crate::verdict::prefix::{self as prefix_rule, Place};
use crate::verdict::read::{read_head, stat_source};
use crate::verdict::readers::Setup;
use crate::verdict::rule::Rule;
use crate::verdict::{
    self, split_read, CacheError, CacheRead, Cause, Disk, Evidence, SourceBytes, SourceState,
    Unread, Verdict,
};

/// A cache explained. Serialised flat: the `check` record's fields, then these.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Explanation {
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

/// What judging one cache gives: the verdict and what the recorder kept of its rules.
pub(super) struct Judged {
    pub(super) source: SourceState,
    pub(super) head: Result<CacheRead, CacheError>,
    pub(super) verdict: Verdict,
    pub(super) facts: Facts,
}

/// Reads and judges one cache exactly as `check --deep` does, recording the rules.
pub(super) fn judge(found: &Found, name: &CacheName, optimize: Optimize) -> Judged {
    let source = stat_source(&name.sources);
    let content = SourceBytes::of(&source);
    let (head, file) = split_read(read_head(found));
    let ev = Evidence {
        path: &found.path,
        name,
        cache: head.as_ref(),
        source: &source,
        deep: true,
        optimize,
    };
    let mut recorder = Recorder::new(name);
    let verdict = verdict::judge_with(&ev, &mut Disk::new(file, &content), &mut recorder);
    Judged {
        source,
        head,
        verdict,
        facts: recorder.close(),
    }
}

/// Explains one cache (a path whose name ends in `.pyc` or `.pyo`); `place` says where it was
/// found when a pycache prefix is in effect, as for `check`.
pub(super) fn explain(
    found: &Found,
    name: &CacheName,
    place: Option<Place>,
    running: &[Running],
    optimize: Optimize,
) -> Explanation {
    let Judged {
        source,
        head,
        verdict: Verdict { record, cause },
        mut facts,
    } = judge(found, name, optimize);
    let record = match place {
        Some(place) => with_prefix(record, &mut facts, name, place),
        None => record,
    };
    // As `check`: the running interpreters, then the directory lookup.
    let (record, cause) = with_running(record, cause, &mut facts, name, (running, optimize));
    let setup = Setup { running, optimize };
    let record = resolve::with_resolution(record, &mut facts, name, setup);
    let on_import = on_import(&record, cause, &facts, name, (running, optimize));
    let fix = fix::suggest(&record, name, cause, &facts);
    let head = head.as_ref().ok();
    Explanation {
        judge: facts.interpreter.map(|i| i.to_string()),
        file_size: head.map(|h| h.len),
        header_hex: head.map(|h| header_hex(h, &facts)),
        magic_writer: head.and_then(|h| magic_writer(&h.head)),
        cache_mtime_ns: head.map(|h| h.written_ns as i64),
        source_mtime_ns: match &source {
            SourceState::Present { stat, .. } => Some(stat.mtime_ns() as i64),
            _ => None,
        },
        rules: facts.steps,
        on_import,
        fix,
        record,
    }
}

/// The verdict under the pycache prefix, as `check` applies it; the lookup rule says why a
/// file its reader never opens there is skipped.
fn with_prefix(record: Record, facts: &mut Facts, name: &CacheName, place: Place) -> Record {
    let before = record.python_action;
    let record = prefix_rule::apply(record, name, place);
    if record.python_action != before {
        let why = prefix_rule::unread_reason(name, place).unwrap_or_default();
        let who = facts
            .interpreter
            .map_or_else(|| "Python".to_string(), |i| i.to_string());
        if let Some(step) = facts.steps.iter_mut().find(|s| s.rule == Rule::Lookup) {
            step.outcome = Outcome::Fail;
            step.detail = format!(
                "{why}: {who} never opens this file (the rules below are how it would fare)"
            );
        }
        facts.never_read = Some(why);
    }
    record
}

/// The verdict for the interpreters that run the tree (`--python`), as `check` applies it; a
/// sourceless legacy file one of them cannot read is one whose import raises.
fn with_running(
    mut record: Record,
    cause: Cause,
    facts: &mut Facts,
    name: &CacheName,
    (running, optimize): (&[Running], Optimize),
) -> (Record, Cause) {
    let before = record.python_action;
    verdict::running::apply(&mut record, name, running, optimize);
    let after = record.python_action;
    if after == before {
        return (record, cause);
    }
    let cause = match after {
        Action::Skip => {
            facts.never_read = Some(record.reason.to_string());
            cause
        }
        Action::Fail if record.source.is_none() => Cause::OrphanRaises,
        _ => cause,
    };
    (record, cause)
}

fn header_hex(read: &CacheRead, facts: &Facts) -> String {
    let len = facts.header_len.unwrap_or(16).min(read.head.len());
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
                k.label.into_owned()
            } else {
                format!("{implementation} {}", k.label)
            })
        }
        _ => None,
    }
}

/// What the judge does with the file on import, in one sentence, by the verdict's cause; under
/// `--python`, what each running interpreter does (`running`).
fn on_import(
    rec: &Record,
    cause: Cause,
    facts: &Facts,
    name: &CacheName,
    setup: (&[Running], Optimize),
) -> String {
    let sentence = |who: &str| cause_sentence(rec, cause, facts, name, who);
    if setup.0.is_empty() {
        let who = facts
            .interpreter
            .map_or_else(|| "Python".to_string(), |i| i.to_string());
        return sentence(&who);
    }
    super::running::on_import(rec, facts, name, setup, sentence)
}

/// The verdict's sentence, by its cause, for `who`.
fn cause_sentence(
    rec: &Record,
    cause: Cause,
    facts: &Facts,
    name: &CacheName,
    who: &str,
) -> String {
    let src = match &rec.source {
        Some(p) => display_path(p),
        None => name
            .sources
            .first()
            .map_or_else(String::new, |p| display_path(p)),
    };
    let skipped = rec.python_action == Action::Skip;
    match cause {
        // The directory lookup turned the import away before it reached the file.
        Cause::OrphanLoads | Cause::OrphanRaises if skipped => format!(
            "{who} never opens this file: {}.",
            facts.never_read.as_deref().unwrap_or(&rec.reason)
        ),
        Cause::OrphanLoads => format!(
            "{who} imports this file although {src} is gone: the deleted module still imports."
        ),
        Cause::OrphanRaises => {
            format!("{who} imports this file in place of the missing {src}, and the import raises.")
        }
        Cause::OrphanDebris => {
            format!("{who} never reads this file: without {src} nothing imports it.")
        }
        Cause::Unreadable(Unread::Source, _) => {
            format!("{who} does not use this cache: {}.", rec.reason)
        }
        Cause::Unreadable(Unread::Cache, _) if skipped && facts.never_read.is_none() => {
            format!("{who} does not use this cache: {}.", rec.reason)
        }
        _ if skipped => format!(
            "{who} never opens this file on a default import ({}).",
            facts
                .never_read
                .as_deref()
                .unwrap_or("it is not the name the import looks for")
        ),
        Cause::Fresh => format!("{who} runs this cache's bytecode: it matches {src}."),
        Cause::Suspect => format!(
            "{who} runs this cache's bytecode, which may not be {src}'s: the source changed after \
             the cache was written, and the header cannot show it."
        ),
        Cause::TrustedStale => format!(
            "{who} runs this cache's bytecode without comparing it with {src}: edits to the \
             source do not take effect."
        ),
        Cause::Trailing => format!(
            "{who} runs this cache's bytecode, which matches {src}: unmarshalling stops at the \
             end of the code object and ignores the bytes after it."
        ),
        Cause::Unreadable(Unread::SourceContent, _) => format!(
            "{who} must read {src} to check this cache's hash, and it cannot be read: {}.",
            rec.reason
        ),
        Cause::Unreadable(Unread::SourceNotNeeded, _) => format!(
            "{who} runs this unchecked-hash cache's bytecode without reading {src}, which cannot \
             be read."
        ),
        Cause::Unreadable(Unread::SourceToRecompile, _) => format!(
            "{who} does not use this cache and must compile {src}, which cannot be read: the \
             import raises."
        ),
        Cause::Unreadable(..) => format!(
            "{who} cannot read this file, so it compiles {src} and tries to write a new cache in \
             its place."
        ),
        Cause::BadBody if rec.python_action == Action::Recompile => format!(
            "pytest on {who} cannot unmarshal this cache, so it compiles {src} and rewrites the \
             cache."
        ),
        Cause::BadBody => format!(
            "{who} accepts the header, then cannot unmarshal the body: the import raises, \
             although {src} is there."
        ),
        Cause::Stale | Cause::Mismatch | Cause::BadHeader => format!(
            "{who} rejects this cache, compiles {src} and writes a new cache in its place (where \
             it may write; elsewhere it compiles on every import)."
        ),
    }
}
