//! Code objects: each reader's field layout, and the checks its code constructor makes.
//!
//! The reader takes the integer and object fields in its version's order, then hands them to
//! the constructor (`PyCode_New`, `_PyCode_Validate` + `_PyCode_New`, PyPy's `PyCode`), whose
//! checks fail the import just as a short stream does: wrong field types, negative counts,
//! too few variable names for the arguments, odd bytecode length (3.11+), names that are not
//! strings (an abort before 3.9, a `SystemError` after). Every rule here was confirmed against
//! the interpreters (2.7, 3.6-3.13, PyPy 3.9); 3.0-3.5 and PyPy before 3.8 follow the nearest
//! verified reader. A field that reads as NULL makes CPython's reader (up to 3.10) return
//! NULL without an error, which the container above then judges; 3.11+ and PyPy raise.

use super::cursor::Cursor;
use super::quicken::{quicken, Quickened, Walk};
use super::value::{Items, Kind, Value};
use super::{fail, Family, MarshalVersion, Res};

/// The order of a code object's fields in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Layout {
    /// Python 1.x-2.x.
    Py2,
    /// Python 3.0-3.7 (and PyPy before 3.8): adds `co_kwonlyargcount`.
    Py30,
    /// Python 3.8-3.10 (and PyPy 3.8+): adds `co_posonlyargcount`.
    Py38,
    /// Python 3.11+: locals-plus names and kinds replace the name tuples; `co_qualname` and
    /// `co_exceptiontable` are added; `co_nlocals` is gone.
    Py311,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Int(IntField),
    Obj(ObjField),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IntField {
    ArgCount,
    PosOnlyArgCount,
    KwOnlyArgCount,
    NLocals,
    StackSize,
    Flags,
    FirstLineNo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ObjField {
    Code,
    Consts,
    Names,
    VarNames,
    FreeVars,
    CellVars,
    LocalsPlusNames,
    LocalsPlusKinds,
    FileName,
    Name,
    QualName,
    LineTable,
    ExceptionTable,
}

const INT_FIELDS: usize = 7;
const OBJ_FIELDS: usize = 13;

use Field::{Int as I, Obj as O};
use IntField::*;
use ObjField::*;

const PY2: &[Field] = &[
    I(ArgCount),
    I(NLocals),
    I(StackSize),
    I(Flags),
    O(Code),
    O(Consts),
    O(Names),
    O(VarNames),
    O(FreeVars),
    O(CellVars),
    O(FileName),
    O(Name),
    I(FirstLineNo),
    O(LineTable),
];

const PY30: &[Field] = &[
    I(ArgCount),
    I(KwOnlyArgCount),
    I(NLocals),
    I(StackSize),
    I(Flags),
    O(Code),
    O(Consts),
    O(Names),
    O(VarNames),
    O(FreeVars),
    O(CellVars),
    O(FileName),
    O(Name),
    I(FirstLineNo),
    O(LineTable),
];

const PY38: &[Field] = &[
    I(ArgCount),
    I(PosOnlyArgCount),
    I(KwOnlyArgCount),
    I(NLocals),
    I(StackSize),
    I(Flags),
    O(Code),
    O(Consts),
    O(Names),
    O(VarNames),
    O(FreeVars),
    O(CellVars),
    O(FileName),
    O(Name),
    I(FirstLineNo),
    O(LineTable),
];

const PY311: &[Field] = &[
    I(ArgCount),
    I(PosOnlyArgCount),
    I(KwOnlyArgCount),
    I(StackSize),
    I(Flags),
    O(Code),
    O(Consts),
    O(Names),
    O(LocalsPlusNames),
    O(LocalsPlusKinds),
    O(FileName),
    O(Name),
    O(QualName),
    I(FirstLineNo),
    O(LineTable),
    O(ExceptionTable),
];

impl Layout {
    fn fields(self) -> &'static [Field] {
        match self {
            Layout::Py2 => PY2,
            Layout::Py30 => PY30,
            Layout::Py38 => PY38,
            Layout::Py311 => PY311,
        }
    }
}

const CO_VARARGS: i32 = 0x04;
const CO_VARKEYWORDS: i32 = 0x08;
/// `CO_FAST_LOCAL`: the locals-plus kind bit that makes a name a local (3.11+).
const CO_FAST_LOCAL: u8 = 0x20;

const BAD_ARGUMENT: &str = "bad argument to internal function";
/// PyPy reading past `co_varnames`: undefined behaviour, which the differential test excuses
/// (by the words "undefined behaviour") when PyPy happens to survive it.
const PYPY_PAST_VARNAMES: &str =
    "PyPy reads past co_varnames (undefined behaviour: a crash or a garbage name)";
const NON_STRING: &str = "non-string found in code slot";

/// What reads a code object's fields for [`CodeFrame::read_fields`].
pub(super) trait FieldReader {
    /// A 4-byte integer field.
    fn int(&mut self) -> Option<i32>;
    /// An object field; `None` for a NULL or an object that cannot be read.
    fn object(&mut self) -> Option<Value>;
}

/// A code object whose fields are being read.
pub(super) struct CodeFrame {
    pub(super) start: usize,
    pub(super) slot: Option<usize>,
    fields: &'static [Field],
    next: usize,
    /// A field was NULL (up to 3.10): the code object is NULL.
    null: bool,
    ints: [i32; INT_FIELDS],
    objs: [Value; OBJ_FIELDS],
}

impl CodeFrame {
    pub(super) fn new(start: usize, slot: Option<usize>, layout: Layout) -> Self {
        CodeFrame {
            start,
            slot,
            fields: layout.fields(),
            next: 0,
            null: false,
            ints: [0; INT_FIELDS],
            objs: [Value::of(Kind::Null); OBJ_FIELDS],
        }
    }

    /// Reads the integer fields due before the next object field.
    #[inline]
    pub(super) fn read_ints(&mut self, cur: &mut Cursor) -> Res<()> {
        match self.fields.get(self.next) {
            Some(Field::Int(_)) => self.read_due_ints(cur),
            _ => Ok(()),
        }
    }

    fn read_due_ints(&mut self, cur: &mut Cursor) -> Res<()> {
        while let Some(&Field::Int(field)) = self.fields.get(self.next) {
            self.ints[field as usize] = cur.i32()?;
            self.next += 1;
        }
        Ok(())
    }

    /// Reads every field in the stream's order from `reader` (which reads no NULL); false
    /// as soon as a field cannot be read.
    #[inline]
    pub(super) fn read_fields(&mut self, reader: &mut impl FieldReader) -> bool {
        for &field in self.fields {
            match field {
                Field::Int(f) => match reader.int() {
                    Some(n) => self.ints[f as usize] = n,
                    None => return false,
                },
                Field::Obj(f) => match reader.object() {
                    Some(value) => self.objs[f as usize] = value,
                    None => return false,
                },
            }
        }
        self.next = self.fields.len();
        true
    }

    /// Stores the object field due next and reads the integer fields that follow it; true
    /// once the last field is in, or when a field is NULL up to 3.10, whose reader then
    /// returns NULL without an error (3.11+ and PyPy raise).
    #[inline]
    pub(super) fn take(
        &mut self,
        value: Value,
        version: MarshalVersion,
        cur: &mut Cursor,
    ) -> Res<bool> {
        if value.kind == Kind::Null {
            return self.null_field(version);
        }
        if let Some(&Field::Obj(field)) = self.fields.get(self.next) {
            self.objs[field as usize] = value;
        }
        self.next += 1;
        if self.next >= self.fields.len() {
            return Ok(true);
        }
        self.read_ints(cur)?;
        Ok(false)
    }

    #[cold]
    fn null_field(&mut self, version: MarshalVersion) -> Res<bool> {
        match version {
            MarshalVersion::PyPy3 | MarshalVersion::PyPy38 => {
                fail(self.start, "NULL object in marshal data")
            }
            MarshalVersion::CPython2
            | MarshalVersion::CPython30
            | MarshalVersion::CPython34
            | MarshalVersion::CPython38 => {
                self.null = true;
                Ok(true)
            }
            _ => fail(self.start, "NULL object in marshal data for code object"),
        }
    }

    /// Runs the constructor's checks; the code object's summary on success (or the NULL a
    /// field gave).
    pub(super) fn finish(&self, version: MarshalVersion, body: &[u8]) -> Res<Value> {
        if self.null {
            return Ok(Value::of(Kind::Null));
        }
        let checked = match version {
            MarshalVersion::CPython2 => self.check_py2(),
            MarshalVersion::CPython30 | MarshalVersion::CPython34 => self.check_py30(),
            MarshalVersion::CPython38 => self.check_py38(),
            MarshalVersion::CPython311 | MarshalVersion::CPython314 => self.check_py311(body),
            MarshalVersion::CPython312 => self.check_py312(body, Walk::Py312),
            MarshalVersion::CPython313 => self.check_py312(body, Walk::Py313),
            MarshalVersion::PyPy3 | MarshalVersion::PyPy38 => self.check_pypy(body),
        };
        if let Err(what) = checked {
            return fail(self.start, what);
        }
        let consts = match version.family() {
            Family::PyPy => pypy_items(self.obj(Consts)).unwrap_or(Items::NONE),
            _ => self.obj(Consts).items,
        };
        // A code object hashes its constants.
        let items = match consts.has(Items::HASHABLE) {
            true => Items::ALL,
            false => Items::NONE,
        };
        Ok(Value::new(Kind::Code, items, 0, self.start))
    }

    fn int(&self, field: IntField) -> i32 {
        self.ints[field as usize]
    }

    fn obj(&self, field: ObjField) -> &Value {
        &self.objs[field as usize]
    }

    fn is(&self, field: ObjField, kind: Kind) -> bool {
        self.obj(field).kind == kind
    }

    fn all(&self, fields: &[ObjField], kind: Kind) -> bool {
        fields.iter().all(|&f| self.is(f, kind))
    }

    fn names_are(&self, fields: &[ObjField], fact: Items) -> bool {
        fields.iter().all(|&f| self.obj(f).items.has(fact))
    }

    /// Python 2's `PyCode_New`: type checks, then `intern_strings` (which aborts on a
    /// non-`str` name).
    fn check_py2(&self) -> Result<(), &'static str> {
        let tuples = [Consts, Names, VarNames, FreeVars, CellVars];
        let readable = matches!(self.obj(Code).kind, Kind::Bytes | Kind::Text);
        if self.int(ArgCount) < 0
            || self.int(NLocals) < 0
            || !readable
            || !self.all(&tuples, Kind::Tuple)
            || !self.all(&[Name, FileName, LineTable], Kind::Bytes)
        {
            return Err(BAD_ARGUMENT);
        }
        match self.names_are(&[Names, VarNames, FreeVars, CellVars], Items::BYTES) {
            true => Ok(()),
            false => Err(NON_STRING),
        }
    }

    /// Python 3.0-3.7's `PyCode_New`.
    fn check_py30(&self) -> Result<(), &'static str> {
        let tuples = [Consts, Names, VarNames, FreeVars, CellVars];
        if self.int(ArgCount) < 0
            || self.int(KwOnlyArgCount) < 0
            || self.int(NLocals) < 0
            || !self.is(Code, Kind::Bytes)
            || !self.all(&tuples, Kind::Tuple)
            || !self.all(&[Name, FileName], Kind::Text)
            || !self.is(LineTable, Kind::Bytes)
        {
            return Err(BAD_ARGUMENT);
        }
        if !self.names_are(&[Names, VarNames, FreeVars, CellVars], Items::TEXT) {
            return Err(NON_STRING);
        }
        self.check_consts()?;
        self.check_varnames()
    }

    /// Python 3.8-3.10: also the positional-only count, stack size and flags.
    fn check_py38(&self) -> Result<(), &'static str> {
        let posonly = self.int(PosOnlyArgCount);
        if posonly < 0
            || self.int(ArgCount) < posonly
            || self.int(StackSize) < 0
            || self.int(Flags) < 0
        {
            return Err(BAD_ARGUMENT);
        }
        self.check_py30()
    }

    /// `intern_string_constants` walks the constants through tuples (and frozensets): a tuple
    /// that holds itself, or one still being read, crashes it (stack overflow, NULL item).
    fn check_consts(&self) -> Result<(), &'static str> {
        match self.obj(Consts).items.has(Items::ACYCLIC) {
            true => Ok(()),
            false => Err("code: co_consts holds a tuple that holds itself (a crash)"),
        }
    }

    /// "code: varnames is too small" (3.6-3.10).
    fn check_varnames(&self) -> Result<(), &'static str> {
        let n = i64::from(self.obj(VarNames).len);
        let (args, kwonly) = (
            i64::from(self.int(ArgCount)),
            i64::from(self.int(KwOnlyArgCount)),
        );
        let total = match args <= n && kwonly <= n {
            true => args + kwonly + self.star_args(),
            false => n + 1,
        };
        match total > n {
            true => Err("code: varnames is too small"),
            false => Ok(()),
        }
    }

    /// How many of `*args` and `**kwargs` the flags declare.
    fn star_args(&self) -> i64 {
        let flags = self.int(Flags);
        i64::from(flags & CO_VARARGS != 0) + i64::from(flags & CO_VARKEYWORDS != 0)
    }

    /// Python 3.11+'s `_PyCode_Validate`, then `_PyCode_New`'s `intern_strings`.
    fn check_py311(&self, body: &[u8]) -> Result<(), &'static str> {
        let posonly = self.int(PosOnlyArgCount);
        let (names, kinds) = (self.obj(LocalsPlusNames), self.obj(LocalsPlusKinds));
        if self.int(ArgCount) < posonly
            || posonly < 0
            || self.int(KwOnlyArgCount) < 0
            || self.int(StackSize) < 0
            || self.int(Flags) < 0
            || !self.all(
                &[Code, LocalsPlusKinds, LineTable, ExceptionTable],
                Kind::Bytes,
            )
            || !self.all(&[Consts, Names, LocalsPlusNames], Kind::Tuple)
            || !self.all(&[Name, QualName, FileName], Kind::Text)
            || names.len != kinds.len
        {
            return Err(BAD_ARGUMENT);
        }
        if self.obj(Code).len % 2 != 0 {
            return Err("code: co_code is malformed");
        }
        let kind_bytes = kinds.payload(body);
        let locals =
            kind_bytes.map_or(0, |b| b.iter().filter(|&&k| k & CO_FAST_LOCAL != 0).count());
        // C int arithmetic, wrapping as the interpreter's does.
        let plain = (locals as i32)
            .wrapping_sub(self.int(ArgCount))
            .wrapping_sub(self.int(KwOnlyArgCount))
            .wrapping_sub(self.star_args() as i32);
        if plain < 0 {
            return Err("code: co_varnames is too small");
        }
        if !self.names_are(&[Names, LocalsPlusNames], Items::TEXT) {
            return Err(NON_STRING);
        }
        self.check_consts()
    }

    /// Python 3.12-3.13: as 3.11, then `_PyCode_Quicken` walks the bytecode.
    fn check_py312(&self, body: &[u8], walk: Walk) -> Result<(), &'static str> {
        self.check_py311(body)?;
        let code = self.obj(Code);
        let bytecode = code.payload(body);
        match bytecode.map_or(Quickened::Fine, |b| quicken(b, walk)) {
            Quickened::Fine => Ok(()),
            Quickened::Crash(_) => {
                Err("code: an instrumented opcode crashes _PyCode_Quicken (SIGSEGV)")
            }
            Quickened::WritePastEnd(_) => Err(
                "code: _PyCode_Quicken writes past the bytecode (undefined behaviour: heap \
                 corruption)",
            ),
        }
    }

    /// PyPy's `unmarshal_pycode` and `PyCode.__init__`: sequences may be any iterable, names
    /// may be bytes, the file name must encode to the file system; negative counts and cell
    /// variables with too few variable names crash it (an RPython assertion, or a read past
    /// `co_varnames`).
    fn check_pypy(&self, body: &[u8]) -> Result<(), &'static str> {
        let counts = [ArgCount, PosOnlyArgCount, KwOnlyArgCount, NLocals];
        if counts.iter().any(|&c| self.int(c) < 0) {
            return Err("PyPy aborts: negative argument count");
        }
        if !self.all(&[Code, LineTable], Kind::Bytes)
            || !matches!(self.obj(Name).kind, Kind::Text | Kind::Bytes)
        {
            return Err("expected bytes or str in code object");
        }
        let name_lists = [Names, VarNames, FreeVars, CellVars];
        if pypy_items(self.obj(Consts)).is_none()
            || !name_lists
                .iter()
                .all(|&f| pypy_items(self.obj(f)).is_some_and(|i| i.has(Items::NAMES)))
        {
            return Err("invalid marshal data for code object");
        }
        let file = self.obj(FileName);
        let payload = file.payload(body);
        if file.kind != Kind::Text || !payload.is_some_and(super::scalar::pypy_fsencodable) {
            return Err("co_filename does not encode to the file system");
        }
        // `make_signature` indexes co_varnames for `*args` and `**kwargs`, and `_initialize`
        // for every argument when there are cell variables: past the end, it reads whatever
        // follows (a fault when far enough, a garbage name otherwise). Treated as a failure.
        let args = i64::from(self.int(ArgCount)) + i64::from(self.int(KwOnlyArgCount));
        let indexes = self.star_args() > 0 || self.obj(CellVars).len > 0;
        if indexes && args + self.star_args() > i64::from(self.obj(VarNames).len) {
            return Err(PYPY_PAST_VARNAMES);
        }
        Ok(())
    }
}

/// What PyPy's `space.fixedview` yields for a value: the facts about its items, or `None`
/// where the value is not iterable.
fn pypy_items(value: &Value) -> Option<Items> {
    match value.kind {
        Kind::Tuple | Kind::List | Kind::Set | Kind::FrozenSet | Kind::Dict => Some(value.items),
        // Iterating a str yields one-character strs.
        Kind::Text => Some(Items::HASHABLE.union(Items::TEXT).union(Items::NAMES)),
        // Iterating bytes yields ints.
        Kind::Bytes if value.len == 0 => Some(Items::ALL),
        Kind::Bytes => Some(Items::HASHABLE),
        _ => None,
    }
}
