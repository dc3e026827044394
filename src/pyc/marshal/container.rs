//! Containers whose items are being read: tuples, lists, sets, frozensets, slices, dicts.
//!
//! Each takes its items one at a time and says when it is complete. This is where NULL items
//! are judged (an error, except as a dict's key, which ends the dict, or value, which ends it
//! in Python 3, is skipped in Python 2 and is an error in PyPy) and where dict keys and set
//! items must hash.

use super::value::{Items, Kind, Value};
use super::{fail, Family, MarshalError};

/// What a container does with an item.
pub(super) enum Progress {
    More,
    Done(Value),
}

/// The kinds of item-counted containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SeqKind {
    Tuple,
    List,
    Set,
    FrozenSet,
    Slice,
}

pub(super) struct Seq {
    pub(super) kind: SeqKind,
    pub(super) start: usize,
    pub(super) len: usize,
    pub(super) left: usize,
    pub(super) items: Items,
    pub(super) slot: Option<usize>,
}

pub(super) struct DictFrame {
    pub(super) start: usize,
    pub(super) key: Option<Value>,
    pub(super) keys: usize,
    pub(super) items: Items,
    pub(super) slot: Option<usize>,
}

impl SeqKind {
    pub(super) fn kind(self) -> Kind {
        match self {
            SeqKind::Tuple => Kind::Tuple,
            SeqKind::List => Kind::List,
            SeqKind::Set => Kind::Set,
            SeqKind::FrozenSet => Kind::FrozenSet,
            SeqKind::Slice => Kind::Slice,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SeqKind::Tuple => "tuple",
            SeqKind::List => "list",
            SeqKind::Set | SeqKind::FrozenSet => "set",
            SeqKind::Slice => "slice",
        }
    }
}

impl Seq {
    pub(super) fn value(&self) -> Value {
        Value {
            kind: self.kind.kind(),
            len: self.len,
            at: 0,
            items: self.items,
        }
    }

    pub(super) fn take(&mut self, item: Value, family: Family) -> Result<Progress, MarshalError> {
        if item.kind == Kind::Null {
            // 3.14 reads a slice's parts as 3.10 read code fields: a NULL part makes the
            // slice NULL, without an error (from the source; no 3.14 was run).
            if self.kind == SeqKind::Slice {
                return Ok(Progress::Done(item));
            }
            return fail(self.start, null_in(self.kind.name(), family));
        }
        let is_set = matches!(self.kind, SeqKind::Set | SeqKind::FrozenSet);
        if is_set && !item.is_hashable() {
            return fail(self.start, unhashable(&item));
        }
        self.items = self.items.with(&item);
        self.left -= 1;
        match self.left {
            0 => Ok(Progress::Done(self.value())),
            _ => Ok(Progress::More),
        }
    }
}

impl DictFrame {
    pub(super) fn value(&self) -> Value {
        Value {
            kind: Kind::Dict,
            len: self.keys,
            at: 0,
            items: self.items,
        }
    }

    pub(super) fn take(&mut self, item: Value, family: Family) -> Result<Progress, MarshalError> {
        let Some(key) = self.key.take() else {
            // A NULL key ends the dict.
            if item.kind == Kind::Null {
                return Ok(Progress::Done(self.value()));
            }
            self.key = Some(item);
            return Ok(Progress::More);
        };
        if item.kind == Kind::Null {
            return match family {
                // Python 2 drops the key and goes on; Python 3 stops, without an error.
                Family::CPython2 => Ok(Progress::More),
                Family::CPython3 => Ok(Progress::Done(self.value())),
                Family::PyPy => fail(self.start, null_in("dict", family)),
            };
        }
        if !key.is_hashable() {
            return fail(self.start, unhashable(&key));
        }
        self.items = self.items.with(&key);
        self.keys += 1;
        Ok(Progress::More)
    }
}

pub(super) fn null_in(container: &str, family: Family) -> String {
    match family {
        Family::PyPy => "NULL object in marshal data".to_string(),
        _ => format!("NULL object in marshal data for {container}"),
    }
}

pub(super) fn unhashable(value: &Value) -> String {
    match value.kind {
        Kind::List | Kind::Dict | Kind::Set => {
            format!("unhashable type: '{}'", value.kind.name())
        }
        kind => format!(
            "unhashable type: a {} holding an unhashable object",
            kind.name()
        ),
    }
}
