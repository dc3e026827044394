//! The walk over the stream: one object at a time, with an explicit stack of open containers.
//!
//! [`Parser::open`] reads a type byte and either a whole scalar or a container's header (which
//! it pushes); [`Parser::feed`] hands each complete object to the container on top, which may
//! complete in turn. Code objects read their integer fields between objects. Depth is the
//! stack's height, checked against the reader's limit before each object, so no input can make
//! this walk recurse. References follow the reader's timing: registered before the items
//! (early), or reserved then filled (late), where a reference to a reserved slot is invalid.

use super::code::CodeFrame;
use super::container::{DictFrame, Progress, Seq, SeqKind};
use super::scalar;
use super::value::{Items, Kind, Type, Value};
use super::{fail, ran_out, Family, MarshalError, MarshalVersion, RefTiming};

/// An entry of the reference list.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Ready(Value),
    /// A container registered early whose items are still being read: referring to it from
    /// inside makes it contain itself.
    Building(Kind, usize),
    /// Reserved for an object still being read: CPython's placeholder `None`, an invalid
    /// reference.
    Reserved,
}

/// A container whose items are being read.
enum Frame {
    Seq(Seq),
    Dict(DictFrame),
    /// The code object on top of `Parser::codes`.
    Code,
}

/// What the walk does next.
enum Step {
    /// An object is complete.
    Value(Value),
    /// The container on top of the stack wants its next item.
    Want,
}

pub(super) struct Parser<'a> {
    body: &'a [u8],
    pos: usize,
    version: MarshalVersion,
    family: Family,
    refs: Vec<Slot>,
    /// Python 2's interned strings, for `R`.
    strings: Vec<Value>,
    stack: Vec<Frame>,
    /// The code objects being read, innermost last (kept apart: they are large).
    codes: Vec<CodeFrame>,
}

impl<'a> Parser<'a> {
    pub(super) fn new(body: &'a [u8], version: MarshalVersion) -> Self {
        Parser {
            body,
            pos: 0,
            version,
            family: version.family(),
            refs: Vec::new(),
            strings: Vec::new(),
            stack: Vec::new(),
            codes: Vec::new(),
        }
    }

    /// Where the walk stands: after a successful parse, the end of the object.
    pub(super) fn offset(&self) -> usize {
        self.pos
    }

    pub(super) fn parse(&mut self) -> Result<Value, MarshalError> {
        let mut step = self.open()?;
        loop {
            step = match step {
                Step::Value(value) if self.stack.is_empty() => return Ok(value),
                Step::Value(value) => self.feed(value)?,
                Step::Want => {
                    if let Some(Frame::Code) = self.stack.last() {
                        self.code_ints()?;
                    }
                    self.open()?
                }
            };
        }
    }

    // ----- primitive reads -------------------------------------------------------------

    fn short(&self, at: usize) -> MarshalError {
        let what = match self.family {
            Family::CPython3 => "marshal data too short",
            _ => "EOF read where object expected",
        };
        MarshalError {
            offset: at,
            what: what.to_string(),
            ran_out: true,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MarshalError> {
        let body = self.body;
        let bytes = body
            .get(self.pos..)
            .and_then(|rest| rest.get(..n))
            .ok_or_else(|| self.short(self.pos))?;
        self.pos += n;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, MarshalError> {
        match self.body.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => ran_out(self.pos, "EOF read where object expected"),
        }
    }

    fn i32(&mut self) -> Result<i32, MarshalError> {
        let b = self.take(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A 32-bit size; negative sizes are rejected with `what` ("tuple size" ...).
    fn size(&mut self, what: &str) -> Result<usize, MarshalError> {
        let at = self.pos;
        let n = self.i32()?;
        match usize::try_from(n) {
            Ok(n) => Ok(n),
            Err(_) if self.family == Family::PyPy => fail(at, "bad marshal data"),
            Err(_) => fail(at, format!("bad marshal data ({what} out of range)")),
        }
    }

    fn left(&self) -> usize {
        self.body.len().saturating_sub(self.pos)
    }

    // ----- objects ------------------------------------------------------------------------

    /// Reads a type byte and either a whole scalar or a container's header.
    fn open(&mut self) -> Result<Step, MarshalError> {
        let start = self.pos;
        let byte = self.byte()?;
        if self.stack.len() >= self.version.max_depth() {
            return fail(start, self.depth_error());
        }
        let Some((ty, flag)) = self.version.decode(byte) else {
            return fail(start, self.unknown_type(byte));
        };
        let timing = self.version.ref_timing(ty, flag);
        let slot = match timing {
            RefTiming::Late => Some(self.reserve()),
            _ => None,
        };
        match ty {
            Type::Tuple | Type::SmallTuple | Type::List | Type::Set | Type::FrozenSet => {
                self.open_seq(ty, start, timing, slot)
            }
            Type::Slice => self.push_seq(SeqKind::Slice, start, 3, slot),
            Type::Dict => {
                let slot = self.early(timing, Kind::Dict, 0).or(slot);
                self.stack.push(Frame::Dict(DictFrame {
                    start,
                    key: None,
                    keys: 0,
                    items: Items::ALL,
                    slot,
                }));
                Ok(Step::Want)
            }
            Type::Code => {
                let slot = self.early(timing, Kind::Code, 0).or(slot);
                let frame = CodeFrame::new(start, slot, self.version.layout());
                self.codes.push(frame);
                self.stack.push(Frame::Code);
                Ok(Step::Want)
            }
            Type::Ref => {
                let value = self.reference(start)?;
                Ok(Step::Value(self.fill(slot, value)))
            }
            _ => {
                let value = self.scalar(ty, start)?;
                Ok(Step::Value(self.fill(slot, value)))
            }
        }
    }

    fn open_seq(
        &mut self,
        ty: Type,
        start: usize,
        timing: RefTiming,
        slot: Option<usize>,
    ) -> Result<Step, MarshalError> {
        let (kind, what) = match ty {
            Type::List => (SeqKind::List, "list size"),
            Type::Set => (SeqKind::Set, "set size"),
            Type::FrozenSet => (SeqKind::FrozenSet, "set size"),
            _ => (SeqKind::Tuple, "tuple size"),
        };
        let len = match ty {
            Type::SmallTuple => usize::from(self.byte()?),
            _ => self.size(what)?,
        };
        // Every item takes at least its type byte: a count beyond the bytes left fails.
        if len > self.left() {
            return ran_out(self.body.len(), "EOF read where object expected");
        }
        let slot = self.early(timing, kind.kind(), len).or(slot);
        self.push_seq(kind, start, len, slot)
    }

    fn push_seq(
        &mut self,
        kind: SeqKind,
        start: usize,
        len: usize,
        slot: Option<usize>,
    ) -> Result<Step, MarshalError> {
        let seq = Seq {
            kind,
            start,
            len,
            left: len,
            items: Items::ALL,
            slot,
        };
        if len == 0 {
            let value = seq.value();
            return Ok(Step::Value(self.fill(slot, value)));
        }
        self.stack.push(Frame::Seq(seq));
        Ok(Step::Want)
    }

    fn scalar(&mut self, ty: Type, start: usize) -> Result<Value, MarshalError> {
        Ok(match ty {
            Type::Null => Value::of(Kind::Null),
            Type::Singleton => Value::of(Kind::Singleton),
            Type::Int => self.take(4).map(|_| Value::of(Kind::Int))?,
            Type::Int64 => self.take(8).map(|_| Value::of(Kind::Int))?,
            Type::Long => self.long()?,
            Type::BinaryFloat => self.take(8).map(|_| Value::of(Kind::Float))?,
            Type::BinaryComplex => self.take(16).map(|_| Value::of(Kind::Complex))?,
            Type::Float => self.float_text().map(|_| Value::of(Kind::Float))?,
            Type::Complex => {
                self.float_text()?;
                self.float_text().map(|_| Value::of(Kind::Complex))?
            }
            Type::String => self.string(Kind::Bytes, "bytes object size")?,
            Type::Interned if self.family == Family::CPython2 => {
                let value = self.string(Kind::Bytes, "string size")?;
                self.strings.push(value);
                value
            }
            Type::Interned | Type::Unicode => self.unicode()?,
            Type::StringRef => self.string_ref(start)?,
            Type::Ascii => {
                let n = self.size("string size")?;
                self.ascii(n)?
            }
            Type::ShortAscii => {
                let n = usize::from(self.byte()?);
                self.ascii(n)?
            }
            Type::Ref
            | Type::Tuple
            | Type::SmallTuple
            | Type::List
            | Type::Dict
            | Type::Code
            | Type::Set
            | Type::FrozenSet
            | Type::Slice => return fail(start, "bad marshal data (container read as a scalar)"),
        })
    }

    fn string(&mut self, kind: Kind, what: &str) -> Result<Value, MarshalError> {
        let what = match self.family {
            Family::CPython2 => "string size",
            _ => what,
        };
        let n = self.size(what)?;
        let at = self.pos;
        self.take(n)?;
        Ok(Value::string(kind, at, n))
    }

    fn unicode(&mut self) -> Result<Value, MarshalError> {
        let what = match self.family {
            Family::CPython2 => "unicode size",
            _ => "string size",
        };
        let n = self.size(what)?;
        let at = self.pos;
        let payload = self.take(n)?;
        if self.family != Family::PyPy {
            // PyPy 7.3.11 accepts any bytes here; CPython decodes with surrogatepass.
            if let Some(bad) = scalar::utf8_error(payload) {
                let msg = format!(
                    "'utf-8' codec can't decode byte 0x{:02x} in position {bad}",
                    payload[bad]
                );
                return fail(at + bad, msg);
            }
        }
        Ok(Value::string(Kind::Text, at, n))
    }

    fn ascii(&mut self, n: usize) -> Result<Value, MarshalError> {
        let at = self.pos;
        let payload = self.take(n)?;
        // CPython builds a Latin-1 string from any bytes; PyPy checks them.
        if self.family == Family::PyPy && !payload.is_ascii() {
            return fail(at, "bad marshal data (string is not ascii)");
        }
        Ok(Value::string(Kind::Text, at, n))
    }

    fn long(&mut self) -> Result<Value, MarshalError> {
        let at = self.pos;
        let n = self.i32()?;
        if n == i32::MIN && self.family != Family::PyPy {
            return fail(at, "bad marshal data (long size out of range)");
        }
        let digits = n.unsigned_abs() as usize;
        let have = digits.min(self.left() / 2);
        let shorts = self.take(2 * have)?;
        // CPython checks each digit as it reads it; PyPy reads them all, then checks.
        if self.family != Family::PyPy {
            if let Some(i) = scalar::bad_digit(shorts) {
                return fail(
                    at + 4 + 2 * i,
                    "bad marshal data (digit out of range in long)",
                );
            }
        }
        if have < digits {
            return Err(self.short(self.pos));
        }
        let zero = match self.family {
            Family::PyPy => scalar::all_zero(shorts),
            _ => scalar::top_zero(shorts),
        };
        match (zero, self.family) {
            (false, _) => Ok(Value::of(Kind::Int)),
            (true, Family::PyPy) => fail(at, "bad marshal data"),
            (true, _) => fail(at, "bad marshal data (unnormalized long data)"),
        }
    }

    fn float_text(&mut self) -> Result<(), MarshalError> {
        let n = usize::from(self.byte()?);
        let at = self.pos;
        let text = self.take(n)?;
        let ok = match self.family {
            Family::PyPy => scalar::pypy_float(text),
            _ => scalar::cpython_float(text),
        };
        match ok {
            true => Ok(()),
            false => fail(at, "could not convert string to float"),
        }
    }

    fn string_ref(&mut self, start: usize) -> Result<Value, MarshalError> {
        let n = self.i32()?;
        usize::try_from(n)
            .ok()
            .and_then(|i| self.strings.get(i).copied())
            .map_or_else(
                || fail(start, "bad marshal data (string ref out of range)"),
                Ok,
            )
    }

    fn reference(&mut self, start: usize) -> Result<Value, MarshalError> {
        let at = self.pos;
        let n = self.i32()?;
        if n < 0 && self.family == Family::PyPy {
            return fail(at, "bad marshal data");
        }
        let slot = usize::try_from(n).ok().and_then(|i| self.refs.get(i));
        match slot {
            Some(Slot::Ready(value)) => Ok(*value),
            Some(&Slot::Building(kind, len)) => Ok(Value {
                kind,
                len,
                at: 0,
                items: Items::NONE,
            }),
            Some(Slot::Reserved) | None => fail(start, "bad marshal data (invalid reference)"),
        }
    }

    // ----- references ---------------------------------------------------------------------

    fn reserve(&mut self) -> usize {
        self.refs.push(Slot::Reserved);
        self.refs.len() - 1
    }

    fn early(&mut self, timing: RefTiming, kind: Kind, len: usize) -> Option<usize> {
        (timing == RefTiming::Early).then(|| {
            self.refs.push(Slot::Building(kind, len));
            self.refs.len() - 1
        })
    }

    /// Stores a complete object in its reference slot, if it has one.
    fn fill(&mut self, slot: Option<usize>, value: Value) -> Value {
        if let Some(entry) = slot.and_then(|i| self.refs.get_mut(i)) {
            *entry = match value.kind {
                Kind::Null => Slot::Reserved,
                _ => Slot::Ready(value),
            };
        }
        value
    }

    // ----- containers ---------------------------------------------------------------------

    /// Hands a complete object to the container on top of the stack.
    fn feed(&mut self, value: Value) -> Result<Step, MarshalError> {
        let family = self.family;
        let progress = match self.stack.last_mut() {
            Some(Frame::Seq(seq)) => seq.take(value, family)?,
            Some(Frame::Dict(dict)) => dict.take(value, family)?,
            Some(Frame::Code) => match self.codes.last_mut() {
                Some(code) => code.take(value, self.version)?,
                None => Progress::Done(value),
            },
            None => return Ok(Step::Value(value)),
        };
        let Progress::Done(done) = progress else {
            return Ok(Step::Want);
        };
        let (slot, done) = match self.stack.pop() {
            Some(Frame::Code) => self.finish_code(done)?,
            Some(Frame::Seq(seq)) => (seq.slot, done),
            Some(Frame::Dict(dict)) => (dict.slot, done),
            None => (None, done),
        };
        Ok(Step::Value(self.fill(slot, done)))
    }

    /// Pops the innermost code object: runs its constructor's checks once every field is
    /// read, or passes on the NULL a field gave.
    fn finish_code(&mut self, done: Value) -> Result<(Option<usize>, Value), MarshalError> {
        let Some(code) = self.codes.pop() else {
            return Ok((None, done));
        };
        match done.kind {
            Kind::Code => Ok((code.slot, code.finish(self.version, self.body)?)),
            _ => Ok((code.slot, done)),
        }
    }

    /// Reads the integer fields the innermost code object expects before its next object.
    fn code_ints(&mut self) -> Result<(), MarshalError> {
        while let Some(field) = self.codes.last().and_then(CodeFrame::pending_int) {
            let n = self.i32()?;
            if let Some(code) = self.codes.last_mut() {
                code.set_int(field, n);
            }
        }
        Ok(())
    }

    fn depth_error(&self) -> &'static str {
        match self.family {
            Family::PyPy => "object too deeply nested to unmarshal",
            _ => "recursion limit exceeded",
        }
    }

    fn unknown_type(&self, byte: u8) -> String {
        match self.family {
            Family::PyPy => format!("bad marshal data (unknown type code {byte})"),
            _ => "bad marshal data (unknown type code)".to_string(),
        }
    }
}
