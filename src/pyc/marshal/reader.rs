//! The walk over the stream: one object at a time, with an explicit stack of open containers.
//!
//! [`Parser::open`] reads a type byte and either a whole scalar or a container's header (which
//! it pushes); [`Parser::feed`] hands each complete object to the container on top, which may
//! complete in turn. Code objects read their integer fields as soon as they are due. Depth is the
//! stack's height, checked against the reader's limit before each object, so no input can make
//! this walk recurse. References follow the reader's timing: registered before the items
//! (early), or reserved then filled (late), where a reference to a reserved slot is invalid.
//!
//! The walk runs once per cache, so it allocates nothing of its own: its lists live in a
//! [`Scratch`] that the caller hands from one body to the next.

use super::code::CodeFrame;
use super::container::{DictFrame, Seq, SeqKind};
use super::cursor::Cursor;
use super::decode::{table_of, Op, Table};
use super::value::{count, Items, Kind, Type, Value};
use super::{fail, Family, MarshalVersion, RefTiming, Res};

/// An entry of the reference list.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Ready(Value),
    /// A container registered early whose items are still being read: referring to it from
    /// inside makes it contain itself.
    Building(Kind, u32),
    /// Reserved for an object still being read: CPython's placeholder `None`, an invalid
    /// reference.
    Reserved,
}

/// A container whose items are being read.
enum Frame {
    Seq(Seq),
    Dict(DictFrame),
    /// The code object on top of `Scratch::codes`.
    Code,
}

/// The walk's lists, kept from one body to the next so that walking a body allocates nothing
/// once they have grown to fit.
#[derive(Default)]
pub(super) struct Scratch {
    refs: Vec<Slot>,
    /// The fast walk's reference list (see `fast`).
    values: Vec<Value>,
    /// Python 2's interned strings, for `R`.
    strings: Vec<Value>,
    stack: Vec<Frame>,
    /// The code objects being read, innermost last (kept apart: they are large).
    codes: Vec<CodeFrame>,
}

impl Scratch {
    /// The fast walk's reference list, emptied.
    pub(super) fn fast_refs(&mut self) -> &mut Vec<Value> {
        self.reset();
        &mut self.values
    }

    /// Emptied for the next body; lists grown by an unusual body are given back.
    fn reset(&mut self) {
        const KEEP: usize = 1 << 16;
        fn clear<T>(list: &mut Vec<T>) {
            match list.capacity() > KEEP {
                true => *list = Vec::new(),
                false => list.clear(),
            }
        }
        clear(&mut self.refs);
        clear(&mut self.values);
        clear(&mut self.strings);
        clear(&mut self.stack);
        clear(&mut self.codes);
    }
}

pub(super) struct Parser<'a> {
    cur: Cursor<'a>,
    version: MarshalVersion,
    table: &'static Table,
    max_depth: usize,
    s: Scratch,
}

impl<'a> Parser<'a> {
    pub(super) fn new(body: &'a [u8], version: MarshalVersion, mut scratch: Scratch) -> Self {
        scratch.reset();
        Parser {
            cur: Cursor::new(body, version.family()),
            version,
            table: table_of(version),
            max_depth: version.max_depth(),
            s: scratch,
        }
    }

    /// Where the walk stands: after a successful parse, the end of the object.
    pub(super) fn offset(&self) -> usize {
        self.cur.pos
    }

    /// The lists, for the next body.
    pub(super) fn into_scratch(self) -> Scratch {
        self.s
    }

    pub(super) fn parse(&mut self) -> Res<Value> {
        loop {
            let Some(mut value) = self.open()? else {
                continue;
            };
            // Hand the object to the container on top, and each container it completes to
            // the one below.
            loop {
                if self.s.stack.is_empty() {
                    return Ok(value);
                }
                if !self.feed(value)? {
                    break;
                }
                value = self.close()?;
            }
        }
    }

    // ----- objects ------------------------------------------------------------------------

    /// Reads a type byte and either a whole scalar (returned) or a container's header (pushed:
    /// `None`, or the container itself when it is empty).
    #[inline]
    fn open(&mut self) -> Res<Option<Value>> {
        let start = self.cur.pos;
        let byte = self.cur.byte()?;
        if self.s.stack.len() >= self.max_depth {
            return fail(start, self.depth_error());
        }
        let Some(op) = self.table[usize::from(byte)] else {
            return fail(start, self.unknown_type(byte));
        };
        let value = match op.ty {
            Type::Ref => self.reference(start)?,
            Type::ShortAscii => {
                let n = usize::from(self.cur.byte()?);
                self.cur.ascii(n)?
            }
            Type::String => self.cur.string(Kind::Bytes, "bytes object size")?,
            Type::Singleton => Value::of(Kind::Singleton),
            Type::Int => self.cur.take(4).map(|_| Value::of(Kind::Int))?,
            Type::Tuple
            | Type::SmallTuple
            | Type::List
            | Type::Set
            | Type::FrozenSet
            | Type::Slice
            | Type::Dict
            | Type::Code => return self.open_container(op, start),
            _ => self.scalar(op.ty, start)?,
        };
        // A scalar holds no objects, so registering it once read is registering it first.
        if op.timing == RefTiming::Late {
            self.s.refs.push(slot_of(value));
        }
        Ok(Some(value))
    }

    fn open_container(&mut self, op: Op, start: usize) -> Res<Option<Value>> {
        let slot = match op.timing {
            RefTiming::Late => Some(self.reserve(Slot::Reserved)),
            _ => None,
        };
        let early = op.timing == RefTiming::Early;
        match op.ty {
            Type::Dict => {
                let slot = self.early(early, Kind::Dict, 0).or(slot);
                self.s.stack.push(Frame::Dict(DictFrame::new(start, slot)));
                Ok(None)
            }
            Type::Code => {
                let slot = self.early(early, Kind::Code, 0).or(slot);
                let mut frame = CodeFrame::new(start, slot, self.version.layout());
                frame.read_ints(&mut self.cur)?;
                self.s.codes.push(frame);
                self.s.stack.push(Frame::Code);
                Ok(None)
            }
            Type::Slice => Ok(self.push_seq(Seq::new(SeqKind::Slice, start, 3, slot))),
            ty => self.open_seq(ty, start, early, slot),
        }
    }

    fn open_seq(
        &mut self,
        ty: Type,
        start: usize,
        early: bool,
        slot: Option<usize>,
    ) -> Res<Option<Value>> {
        let (kind, what) = match ty {
            Type::List => (SeqKind::List, "list size"),
            Type::Set => (SeqKind::Set, "set size"),
            Type::FrozenSet => (SeqKind::FrozenSet, "set size"),
            _ => (SeqKind::Tuple, "tuple size"),
        };
        let len = match ty {
            Type::SmallTuple => usize::from(self.cur.byte()?),
            _ => self.cur.size(what)?,
        };
        // Every item takes at least its type byte: a count beyond the bytes left fails.
        if len > self.cur.left() {
            return super::ran_out(self.cur.body.len(), "EOF read where object expected");
        }
        let slot = self.early(early, kind.kind(), len).or(slot);
        Ok(self.push_seq(Seq::new(kind, start, len, slot)))
    }

    fn push_seq(&mut self, seq: Seq) -> Option<Value> {
        if seq.len == 0 {
            return Some(self.fill(seq.slot, seq.value()));
        }
        self.s.stack.push(Frame::Seq(seq));
        None
    }

    /// The scalars the walk rarely meets.
    #[inline(never)]
    fn scalar(&mut self, ty: Type, start: usize) -> Res<Value> {
        Ok(match ty {
            Type::Null => Value::of(Kind::Null),
            Type::Singleton => Value::of(Kind::Singleton),
            Type::Int => self.cur.take(4).map(|_| Value::of(Kind::Int))?,
            Type::Int64 => self.cur.take(8).map(|_| Value::of(Kind::Int))?,
            Type::Long => self.cur.long()?,
            Type::BinaryFloat => self.cur.take(8).map(|_| Value::of(Kind::Float))?,
            Type::BinaryComplex => self.cur.take(16).map(|_| Value::of(Kind::Complex))?,
            Type::Float => self.cur.float_text().map(|_| Value::of(Kind::Float))?,
            Type::Complex => {
                self.cur.float_text()?;
                self.cur.float_text().map(|_| Value::of(Kind::Complex))?
            }
            Type::String => self.cur.string(Kind::Bytes, "bytes object size")?,
            Type::Interned if self.cur.family == Family::CPython2 => {
                let value = self.cur.string(Kind::Bytes, "string size")?;
                self.s.strings.push(value);
                value
            }
            Type::Interned | Type::Unicode => self.cur.unicode()?,
            Type::StringRef => self.string_ref(start)?,
            Type::Ascii => {
                let n = self.cur.size("string size")?;
                self.cur.ascii(n)?
            }
            Type::ShortAscii => {
                let n = usize::from(self.cur.byte()?);
                self.cur.ascii(n)?
            }
            Type::Ref => self.reference(start)?,
            Type::Tuple
            | Type::SmallTuple
            | Type::List
            | Type::Dict
            | Type::Code
            | Type::Set
            | Type::FrozenSet
            | Type::Slice => return fail(start, "bad marshal data (container read as a scalar)"),
        })
    }

    fn string_ref(&mut self, start: usize) -> Res<Value> {
        let n = self.cur.i32()?;
        usize::try_from(n)
            .ok()
            .and_then(|i| self.s.strings.get(i).copied())
            .map_or_else(
                || fail(start, "bad marshal data (string ref out of range)"),
                Ok,
            )
    }

    #[inline(always)]
    fn reference(&mut self, start: usize) -> Res<Value> {
        let at = self.cur.pos;
        let n = self.cur.i32()?;
        if n < 0 && self.cur.family == Family::PyPy {
            return fail(at, "bad marshal data");
        }
        let slot = usize::try_from(n).ok().and_then(|i| self.s.refs.get(i));
        match slot {
            Some(Slot::Ready(value)) => Ok(*value),
            Some(&Slot::Building(kind, len)) => Ok(Value::new(kind, Items::NONE, len as usize, 0)),
            Some(Slot::Reserved) | None => fail(start, "bad marshal data (invalid reference)"),
        }
    }

    // ----- references ---------------------------------------------------------------------

    fn reserve(&mut self, slot: Slot) -> usize {
        self.s.refs.push(slot);
        self.s.refs.len() - 1
    }

    fn early(&mut self, early: bool, kind: Kind, len: usize) -> Option<usize> {
        early.then(|| self.reserve(Slot::Building(kind, count(len))))
    }

    /// Stores a complete object in its reference slot, if it has one.
    fn fill(&mut self, slot: Option<usize>, value: Value) -> Value {
        if let Some(entry) = slot.and_then(|i| self.s.refs.get_mut(i)) {
            *entry = slot_of(value);
        }
        value
    }

    // ----- containers ---------------------------------------------------------------------

    /// Hands a complete object to the container on top of the stack; true once that
    /// container is complete.
    #[inline]
    fn feed(&mut self, value: Value) -> Res<bool> {
        let family = self.cur.family;
        match self.s.stack.last_mut() {
            Some(Frame::Seq(seq)) => seq.take(value, family),
            Some(Frame::Dict(dict)) => dict.take(value, family),
            Some(Frame::Code) => match self.s.codes.last_mut() {
                Some(code) => code.take(value, self.version, &mut self.cur),
                None => Ok(true),
            },
            None => Ok(true),
        }
    }

    /// Pops the complete container on top of the stack: the object it makes, stored in its
    /// reference slot. A code object runs its constructor's checks here.
    fn close(&mut self) -> Res<Value> {
        let (slot, value) = match self.s.stack.pop() {
            Some(Frame::Seq(seq)) => (seq.slot, seq.value()),
            Some(Frame::Dict(dict)) => (dict.slot, dict.value()),
            Some(Frame::Code) => self.finish_code()?,
            None => (None, Value::of(Kind::Null)),
        };
        Ok(self.fill(slot, value))
    }

    /// Pops the innermost code object and builds it.
    fn finish_code(&mut self) -> Res<(Option<usize>, Value)> {
        let Some(code) = self.s.codes.last() else {
            return Ok((None, Value::of(Kind::Null)));
        };
        let finished = (code.slot, code.finish(self.version, self.cur.body)?);
        // Dropped in place: a code frame is large, and moving it out would copy it.
        self.s.codes.truncate(self.s.codes.len() - 1);
        Ok(finished)
    }

    fn depth_error(&self) -> &'static str {
        match self.cur.family {
            Family::PyPy => "object too deeply nested to unmarshal",
            _ => "recursion limit exceeded",
        }
    }

    fn unknown_type(&self, byte: u8) -> String {
        match self.cur.family {
            Family::PyPy => format!("bad marshal data (unknown type code {byte})"),
            _ => "bad marshal data (unknown type code)".to_string(),
        }
    }
}

/// The reference entry of a complete object: a NULL leaves CPython's placeholder.
fn slot_of(value: Value) -> Slot {
    match value.kind {
        Kind::Null => Slot::Reserved,
        _ => Slot::Ready(value),
    }
}
