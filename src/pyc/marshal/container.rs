//! Containers whose items are being read: tuples, lists, sets, frozensets, slices, dicts.
//!
//! Each takes its items one at a time and says when it is complete. This is where NULL items
//! are judged (an error, except as a dict's key, which ends the dict, or value, which ends it
//! in Python 3, is skipped in Python 2 and is an error in PyPy) and where dict keys and set
//! items must hash.

use super::value::{Items, Kind, Value};
use super::{fail, Family, Res};

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
    /// A slice part was NULL: the slice is NULL.
    null: bool,
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
    pub(super) fn new(kind: SeqKind, start: usize, len: usize, slot: Option<usize>) -> Self {
        Seq {
            kind,
            start,
            len,
            left: len,
            items: Items::ALL,
            slot,
            null: false,
        }
    }

    /// The object, once complete.
    pub(super) fn value(&self) -> Value {
        if self.null {
            return Value::of(Kind::Null);
        }
        Value::new(self.kind.kind(), self.items, self.len, 0)
    }

    /// Takes an item; true once the sequence is complete.
    #[inline]
    pub(super) fn take(&mut self, item: Value, family: Family) -> Res<bool> {
        let facts = item.as_item();
        let is_set = matches!(self.kind, SeqKind::Set | SeqKind::FrozenSet);
        if item.kind == Kind::Null || (is_set && !facts.has(Items::HASHABLE)) {
            return self.refuse(item, family);
        }
        self.items = self.items.and(facts);
        self.left -= 1;
        Ok(self.left == 0)
    }

    /// A NULL item, or an unhashable item of a set.
    #[cold]
    #[inline(never)]
    fn refuse(&mut self, item: Value, family: Family) -> Res<bool> {
        if item.kind != Kind::Null {
            return fail(self.start, unhashable(&item));
        }
        // 3.14 reads a slice's parts as 3.10 read code fields: a NULL part makes the
        // slice NULL, without an error (from the source; no 3.14 was run).
        match self.kind {
            SeqKind::Slice => {
                self.null = true;
                Ok(true)
            }
            _ => fail(self.start, null_in(self.kind.name(), family)),
        }
    }
}

impl DictFrame {
    pub(super) fn new(start: usize, slot: Option<usize>) -> Self {
        DictFrame {
            start,
            key: None,
            keys: 0,
            items: Items::ALL,
            slot,
        }
    }

    pub(super) fn value(&self) -> Value {
        Value::new(Kind::Dict, self.items, self.keys, 0)
    }

    /// Takes a key or a value; true once the dict is complete.
    pub(super) fn take(&mut self, item: Value, family: Family) -> Res<bool> {
        let Some(key) = self.key.take() else {
            // A NULL key ends the dict.
            if item.kind == Kind::Null {
                return Ok(true);
            }
            self.key = Some(item);
            return Ok(false);
        };
        if item.kind == Kind::Null {
            return match family {
                // Python 2 drops the key and goes on; Python 3 stops, without an error.
                Family::CPython2 => Ok(false),
                Family::CPython3 => Ok(true),
                Family::PyPy => fail(self.start, null_in("dict", family)),
            };
        }
        if !key.is_hashable() {
            return fail(self.start, unhashable(&key));
        }
        self.items = self.items.and(key.as_item());
        self.keys += 1;
        Ok(false)
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
