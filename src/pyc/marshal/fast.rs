//! The fast path of the body check: a walk that only accepts.
//!
//! Nearly every body a deep check meets is a sound code object written by the interpreter
//! itself, so the walk is first run by this plain recursive reader, which keeps the same
//! summaries ([`Value`]), the same reference list and the same code-object checks as
//! [`Parser`](super::reader::Parser), but has none of its machinery for the unusual: no stack
//! of frames, no error words, no NULL items, no rare readers (CPython 2, PyPy). Whatever it is
//! not sure of (an error, a NULL, a rare type, nesting deeper than [`DEPTH`]) makes it give up,
//! and the caller runs the full parser from the start, which decides and words the failure. So
//! when this walk accepts, the parser accepts at the same offset (a unit test compares them on
//! damaged real caches); when it gives up, the verdict is the parser's.
//!
//! Recursion is bounded by [`DEPTH`], far below any reader's own limit and small enough for
//! any thread's stack.

use super::code::{CodeFrame, FieldReader};
use super::container::SeqKind;
use super::cursor::Cursor;
use super::decode::{table_of, Op, Table};
use super::value::{Items, Kind, Type, Value};
use super::{Family, MarshalVersion, RefTiming};

/// How deep the fast walk nests before handing over (real caches nest a few dozen levels).
const DEPTH: usize = 200;

/// `FLAG_REF`: the object takes a place in the reference list.
const FLAG_REF: u8 = 0x80;
const FLAGGED_Z: u8 = b'z' | FLAG_REF;
const FLAGGED_BIG_Z: u8 = b'Z' | FLAG_REF;

/// The fast walk gave up: the full parser decides.
pub(super) struct GiveUp;

type Fast<T> = Result<T, GiveUp>;

/// Gives up; cold, so that the walk's straight path stays short.
#[cold]
#[inline(never)]
fn give_up<T>() -> Fast<T> {
    Err(GiveUp)
}

/// Walks `body` as `version`'s reader; the end of the code object when the walk accepts it,
/// `None` when the full parser must decide (including for every reader but CPython 3's).
pub(super) fn check(body: &[u8], version: MarshalVersion, refs: &mut Vec<Value>) -> Option<usize> {
    if version.family() != Family::CPython3 {
        return None;
    }
    let mut walk = Walk {
        cur: Cursor::new(body, Family::CPython3),
        version,
        table: table_of(version),
        has_refs: short_forms(table_of(version)),
        refs,
    };
    match walk.object(0) {
        Ok(value) if value.kind == Kind::Code => Some(walk.cur.pos),
        _ => None,
    }
}

/// Returns true if and only if the table reads `r` and the short names as [`Walk::object`]
/// reads them before decoding.
fn short_forms(table: &Table) -> bool {
    let is = |byte: u8, ty: Type, timing: RefTiming| {
        table[usize::from(byte)].is_some_and(|op| op.ty == ty && op.timing == timing)
    };
    is(b'r', Type::Ref, RefTiming::Never)
        && [b'z', b'Z'].iter().all(|&b| {
            is(b, Type::ShortAscii, RefTiming::Never)
                && is(b | FLAG_REF, Type::ShortAscii, RefTiming::Late)
        })
}

struct Walk<'a, 'r> {
    cur: Cursor<'a>,
    version: MarshalVersion,
    table: &'static Table,
    /// The reader knows `r` (never registered itself) and the short forms `z` and `Z`
    /// (registered once read when flagged): CPython 3.4 and later.
    has_refs: bool,
    /// The reference list, one summary per entry: a complete object's; for a container still
    /// being read, what a reference to it yields (its kind and length, no facts); a NULL for
    /// a slot reserved until its object is complete (an invalid reference).
    refs: &'r mut Vec<Value>,
}

impl Walk<'_, '_> {
    #[inline]
    fn byte(&mut self) -> Fast<u8> {
        match self.cur.body.get(self.cur.pos) {
            Some(&b) => {
                self.cur.pos += 1;
                Ok(b)
            }
            None => give_up(),
        }
    }

    /// A 32-bit size, which must be non-negative.
    #[inline]
    fn size(&mut self) -> Fast<usize> {
        let rest = self.cur.body.get(self.cur.pos..).unwrap_or_default();
        match rest.first_chunk::<4>() {
            Some(&bytes) => {
                self.cur.pos += 4;
                usize::try_from(i32::from_le_bytes(bytes)).or_else(|_| give_up())
            }
            None => give_up(),
        }
    }

    /// Skips `n` bytes; where they start.
    #[inline]
    fn skip(&mut self, n: usize) -> Fast<usize> {
        let at = self.cur.pos;
        match n <= self.cur.body.len() - at {
            true => {
                self.cur.pos = at + n;
                Ok(at)
            }
            false => give_up(),
        }
    }

    /// One object, at `depth` open containers: the common scalars here, inlined into each
    /// container's loop; containers and rare scalars out of line.
    #[inline(always)]
    fn object(&mut self, depth: usize) -> Fast<Value> {
        let byte = self.byte()?;
        // Half the objects of a real body are references and a fifth short names (`z`, `Z`,
        // mostly flagged): read them before decoding, as the readers that know them do.
        if self.has_refs {
            match byte {
                b'r' => return self.reference(),
                b'z' | b'Z' | FLAGGED_Z | FLAGGED_BIG_Z => {
                    let n = usize::from(self.byte()?);
                    let value = Value::string(Kind::Text, self.skip(n)?, n);
                    if byte & FLAG_REF != 0 {
                        self.refs.push(value);
                    }
                    return Ok(value);
                }
                _ => {}
            }
        }
        let Some(op) = self.table[usize::from(byte)] else {
            return give_up();
        };
        let value = match op.ty {
            Type::ShortAscii => {
                let n = usize::from(self.byte()?);
                Value::string(Kind::Text, self.skip(n)?, n)
            }
            Type::Ref => self.reference()?,
            Type::String => {
                let n = self.size()?;
                Value::string(Kind::Bytes, self.skip(n)?, n)
            }
            Type::Int => {
                self.skip(4)?;
                Value::of(Kind::Int)
            }
            Type::Singleton => Value::of(Kind::Singleton),
            // Ends a dict; anywhere else, the caller gives up.
            Type::Null => return Ok(Value::of(Kind::Null)),
            _ => return self.other(op, depth),
        };
        // A scalar holds no objects, so registering it once read is registering it first.
        if op.timing == RefTiming::Late {
            self.refs.push(value);
        }
        Ok(value)
    }

    /// A container, or a scalar the loop does not inline.
    #[inline(never)]
    fn other(&mut self, op: Op, depth: usize) -> Fast<Value> {
        if depth >= DEPTH {
            return give_up();
        }
        let kind = match op.ty {
            Type::SmallTuple => {
                let n = usize::from(self.byte()?);
                return self.seq(SeqKind::Tuple, n, op.timing, depth);
            }
            Type::Code => return self.code(op.timing, depth),
            Type::Dict => return self.dict(op.timing, depth),
            Type::Tuple => SeqKind::Tuple,
            Type::List => SeqKind::List,
            Type::Set => SeqKind::Set,
            Type::FrozenSet => SeqKind::FrozenSet,
            ty => {
                let value = match ty {
                    Type::Ascii => {
                        let n = self.size()?;
                        Value::string(Kind::Text, self.skip(n)?, n)
                    }
                    _ => self.rare(ty)?,
                };
                if op.timing == RefTiming::Late {
                    self.refs.push(value);
                }
                return Ok(value);
            }
        };
        let n = self.size()?;
        self.seq(kind, n, op.timing, depth)
    }

    /// The scalars real caches seldom hold, read by the parser's own cursor.
    #[inline(never)]
    fn rare(&mut self, ty: Type) -> Fast<Value> {
        let read = match ty {
            Type::Interned | Type::Unicode => self.cur.unicode(),
            Type::Int64 => self.cur.take(8).map(|_| Value::of(Kind::Int)),
            Type::Long => self.cur.long(),
            Type::BinaryFloat => self.cur.take(8).map(|_| Value::of(Kind::Float)),
            Type::BinaryComplex => self.cur.take(16).map(|_| Value::of(Kind::Complex)),
            Type::Float => self.cur.float_text().map(|_| Value::of(Kind::Float)),
            Type::Complex => self
                .cur
                .float_text()
                .and_then(|_| self.cur.float_text())
                .map(|_| Value::of(Kind::Complex)),
            _ => return give_up(),
        };
        read.or_else(|_| give_up())
    }

    /// `r`: a reference to a complete object, or to a container still being read.
    #[inline]
    fn reference(&mut self) -> Fast<Value> {
        let n = self.size()?;
        match self.refs.get(n) {
            Some(&value) if value.kind != Kind::Null => Ok(value),
            _ => give_up(),
        }
    }

    /// Takes a reference slot for a container as the parser does: before its items (early),
    /// or reserved and filled once complete (late).
    #[inline]
    fn slot(&mut self, timing: RefTiming, kind: Kind, len: usize) -> Option<usize> {
        let slot = match timing {
            RefTiming::Never => return None,
            RefTiming::Early => Value::new(kind, Items::NONE, len, 0),
            RefTiming::Late => Value::of(Kind::Null),
        };
        self.refs.push(slot);
        Some(self.refs.len() - 1)
    }

    #[inline]
    fn fill(&mut self, slot: Option<usize>, value: Value) -> Value {
        if let Some(entry) = slot.and_then(|i| self.refs.get_mut(i)) {
            *entry = value;
        }
        value
    }

    #[inline(never)]
    fn seq(&mut self, kind: SeqKind, len: usize, timing: RefTiming, depth: usize) -> Fast<Value> {
        // Every item takes at least its type byte.
        if len > self.cur.left() {
            return give_up();
        }
        let slot = self.slot(timing, kind.kind(), len);
        let is_set = matches!(kind, SeqKind::Set | SeqKind::FrozenSet);
        let mut items = Items::ALL;
        for _ in 0..len {
            let item = self.object(depth + 1)?;
            let facts = item.as_item();
            if item.kind == Kind::Null || (is_set && !facts.has(Items::HASHABLE)) {
                return give_up();
            }
            items = items.and(facts);
        }
        Ok(self.fill(slot, Value::new(kind.kind(), items, len, 0)))
    }

    /// A dict, ended by a NULL key (or, in CPython 3, a NULL value, which drops its key).
    #[inline(never)]
    fn dict(&mut self, timing: RefTiming, depth: usize) -> Fast<Value> {
        let slot = self.slot(timing, Kind::Dict, 0);
        let mut items = Items::ALL;
        let mut keys = 0;
        loop {
            let key = self.object(depth + 1)?;
            if key.kind == Kind::Null {
                break;
            }
            let value = self.object(depth + 1)?;
            if value.kind == Kind::Null {
                break;
            }
            if !key.is_hashable() {
                return give_up();
            }
            items = items.and(key.as_item());
            keys += 1;
        }
        Ok(self.fill(slot, Value::new(Kind::Dict, items, keys, 0)))
    }

    /// A code object: its fields in the reader's order, then the constructor's checks.
    #[inline(never)]
    fn code(&mut self, timing: RefTiming, depth: usize) -> Fast<Value> {
        let start = self.cur.pos - 1;
        let slot = self.slot(timing, Kind::Code, 0);
        let mut frame = CodeFrame::new(start, slot, self.version.layout());
        if !frame.read_fields(&mut Fields { walk: self, depth }) {
            return give_up();
        }
        match frame.finish(self.version, self.cur.body) {
            Ok(value) if value.kind == Kind::Code => Ok(self.fill(slot, value)),
            _ => give_up(),
        }
    }
}

/// A code object's fields, read by the walk one level down.
struct Fields<'w, 'a, 'r> {
    walk: &'w mut Walk<'a, 'r>,
    depth: usize,
}

impl FieldReader for Fields<'_, '_, '_> {
    #[inline]
    fn int(&mut self) -> Option<i32> {
        let cur = &mut self.walk.cur;
        let bytes = cur.body.get(cur.pos..)?.first_chunk::<4>()?;
        cur.pos += 4;
        Some(i32::from_le_bytes(*bytes))
    }

    #[inline]
    fn object(&mut self) -> Option<Value> {
        match self.walk.object(self.depth + 1) {
            Ok(value) if value.kind != Kind::Null => Some(value),
            _ => None,
        }
    }
}
