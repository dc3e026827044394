//! The record a verdict fills in: its skeleton from the evidence, the writer and header
//! fields as read, and the status, action, severity and reason it settles on.

use std::borrow::Cow;

use super::{judge, Evidence, Judge, SourceState};
use crate::pyc::header::{Header, Recorded};
use crate::pyc::magic::{Magic, MagicId};
use crate::python::naming::OptLevel;
use crate::verdict::model::{
    raw_bytes_hex, Action, Kind, Record, Severity, Status, UtcDate, Values,
};

/// The record before any rule: the path, the name's fields and the source's stat.
pub(super) fn skeleton(ev: &Evidence) -> Record {
    let source = match ev.source {
        SourceState::Present { path, .. } | SourceState::Unreadable { path, .. } => {
            Some(path.clone())
        }
        SourceState::Missing => None,
    };
    Record {
        path: ev.path.to_path_buf(),
        path_bytes_hex: raw_bytes_hex(ev.path),
        kind: Kind::Cache,
        source,
        layout: Some(ev.name.layout),
        implementation: None,
        python: None,
        magic: None,
        magic_python: None,
        tag: ev.name.tag.as_ref().map(|t| t.text.clone()),
        opt_level: match ev.name.opt {
            OptLevel::Level(n) => Some(n),
            OptLevel::Other(_) => None,
        },
        invalidation: None,
        flags: None,
        bytes: ev.cache.ok().map(|c| c.len),
        status: Status::Fresh,
        python_action: Action::Skip,
        severity: None,
        reason: Cow::Borrowed(""),
        recorded: Values::default(),
        actual: None,
        by_python: None,
        tracked: None,
        source_stat: match ev.source {
            SourceState::Present { stat, .. } => Some(*stat),
            _ => None,
        },
    }
}

/// Sets a record's status, action, severity and reason.
pub(crate) fn settle(
    mut rec: Record,
    status: Status,
    action: Action,
    reason: impl Into<Cow<'static, str>>,
) -> Record {
    settle_in(&mut rec, status, action, reason);
    rec
}

/// [`settle`], in place.
pub(crate) fn settle_in(
    rec: &mut Record,
    status: Status,
    action: Action,
    reason: impl Into<Cow<'static, str>>,
) {
    rec.status = status;
    rec.python_action = action;
    rec.severity = Severity::of(status, action);
    rec.reason = reason.into();
}

pub(super) fn describe_writer(rec: &mut Record, magic: Option<Magic>, id: &MagicId, judge: &Judge) {
    rec.magic = magic.map(|m| m.0);
    rec.magic_python = match id {
        MagicId::Known(k) => Some(k.label.clone()),
        _ => None,
    };
    rec.implementation = judge.interpreter.map(|i| i.implementation);
    rec.python = judge::python_label(judge);
}

pub(super) fn record_header(rec: &mut Record, h: &Header) {
    rec.flags = h.flags;
    rec.invalidation = Some(h.invalidation());
    match h.recorded {
        Recorded::Timestamp { mtime, size } => {
            rec.recorded.mtime = Some(i64::from(mtime.0));
            rec.recorded.mtime_utc = Some(UtcDate(i64::from(mtime.0)));
            rec.recorded.size = size.map(u64::from);
        }
        Recorded::Hash { hash, .. } => rec.recorded.hash = Some(hash.to_hex()),
    }
}
