//! The body of a cache: a validator of the marshal stream that follows the header.
//!
//! The import unmarshals the body with `marshal.loads` (`PyMarshal_ReadLastObjectFromFile` in
//! Python 2) and raises, uncaught, when that fails or yields anything but a code object; bytes
//! after the object are ignored (checked by importing a cache with trailing garbage on every
//! interpreter). [`check_as`] (for an interpreter, `python::interp::check_body`) replays that
//! read without building objects: it walks the stream with an explicit stack (no recursion, so
//! hostile nesting cannot overflow ours), keeps a short summary of each object (a `Value`)
//! where the reader keeps the object, and applies each reader's rules: type codes, sizes,
//! references, long digits, float text, UTF-8, hashability of dict keys and set items, nesting
//! depth, and the code object's layout and constructor checks.
//! Lengths from the stream are never trusted for allocation: a length is compared with the
//! bytes left before anything is read.
//!
//! A sound body is first walked by a faster reader (`fast`) that only accepts: it keeps the
//! same summaries and runs the same code-object checks, and hands anything it is not sure of
//! to the full walk, which decides and words every failure.

mod code;
mod container;
mod cursor;
mod decode;
mod fast;
#[cfg(test)]
mod fast_tests;
mod quicken;
mod reader;
#[cfg(test)]
pub(crate) mod sample;
mod scalar;
#[cfg(test)]
mod tests;
mod value;

use std::cell::Cell;
use std::fmt;

use code::Layout;
use reader::{Parser, Scratch};
use value::Kind;

/// A marshal reader generation: which type codes, rules and code-object layout it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarshalVersion {
    /// CPython 1.x and 2.x (PyPy 2 is judged as CPython 2: same format, reader not run):
    /// byte strings with a string table (`t`, `R`), no object references.
    CPython2,
    /// CPython 3.0-3.3: `bytes`/`str` split, no object references nor short forms.
    CPython30,
    /// CPython 3.4-3.7: object references (`FLAG_REF`, `r`) and version-4 short forms.
    CPython34,
    /// CPython 3.8-3.10: code objects gain `co_posonlyargcount`; stricter constructor.
    CPython38,
    /// CPython 3.11: locals-plus names and kinds, qualified name, exception table.
    CPython311,
    /// CPython 3.12: as 3.11; building the code object walks its bytecode, which crashes on
    /// instrumented opcodes.
    CPython312,
    /// CPython 3.13: as 3.12, with 3.13's opcode numbers.
    CPython313,
    /// CPython 3.14 and later: as 3.11, plus slice constants (`:`).
    CPython314,
    /// PyPy 3.x before 3.8: PyPy's own reader, 3.0-3.7 code layout (unverified).
    PyPy3,
    /// PyPy 3.8 and later: PyPy's own reader, 3.8 code layout.
    PyPy38,
}

/// Which implementation's reader semantics apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    CPython2,
    CPython3,
    PyPy,
}

/// When a flagged object takes its place in the reference list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefTiming {
    /// Not registered (unflagged, or a type the reader never registers).
    Never,
    /// Registered before its items are read, so they may refer to it.
    Early,
    /// A slot is reserved first and filled once the object is complete.
    Late,
}

impl MarshalVersion {
    const fn family(self) -> Family {
        match self {
            MarshalVersion::CPython2 => Family::CPython2,
            MarshalVersion::PyPy3 | MarshalVersion::PyPy38 => Family::PyPy,
            _ => Family::CPython3,
        }
    }

    fn layout(self) -> Layout {
        match self {
            MarshalVersion::CPython2 => Layout::Py2,
            MarshalVersion::CPython30 | MarshalVersion::CPython34 | MarshalVersion::PyPy3 => {
                Layout::Py30
            }
            MarshalVersion::CPython38 | MarshalVersion::PyPy38 => Layout::Py38,
            MarshalVersion::CPython311
            | MarshalVersion::CPython312
            | MarshalVersion::CPython313
            | MarshalVersion::CPython314 => Layout::Py311,
        }
    }

    /// Nesting depth beyond which the reader gives up. CPython: `MAX_MARSHAL_STACK_DEPTH`
    /// (2000 off Windows). PyPy stops when its own stack overflows, measured at 4901 nested
    /// lists and 5445 nested tuples on PyPy 7.3.11; the lower figure is used.
    fn max_depth(self) -> usize {
        match self.family() {
            Family::PyPy => 4901,
            _ => 2000,
        }
    }
}

/// Why a body would not unmarshal into a code object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarshalError {
    /// Offset into the body where the reader failed (the type byte of the object at fault,
    /// or where more bytes were needed).
    pub offset: usize,
    /// The failure, worded like the interpreter's own error where possible.
    pub what: String,
    /// The stream ended inside an object: more bytes might complete it.
    pub ran_out: bool,
}

impl fmt::Display for MarshalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at body offset {})", self.what, self.offset)
    }
}

impl std::error::Error for MarshalError {}

/// A failed read, boxed: results on the walk's hot path stay the size of their value.
type Res<T> = Result<T, Box<MarshalError>>;

/// The reader refuses the data (as opposed to running out of it).
fn refused(offset: usize, what: impl Into<String>) -> MarshalError {
    MarshalError {
        offset,
        what: what.into(),
        ran_out: false,
    }
}

#[cold]
#[inline(never)]
fn fail<T>(offset: usize, what: impl Into<String>) -> Res<T> {
    Err(Box::new(refused(offset, what)))
}

#[cold]
#[inline(never)]
fn ran_out<T>(offset: usize, what: impl Into<String>) -> Res<T> {
    Err(Box::new(MarshalError {
        offset,
        what: what.into(),
        ran_out: true,
    }))
}

thread_local! {
    /// The walk's lists, reused by every body this thread checks.
    static SCRATCH: Cell<Scratch> = Cell::new(Scratch::default());
}

/// Checks a body with a given reader; on success, returns the length of the code object (the
/// offset where trailing bytes, if any, begin). The fast walk decides what it accepts; the
/// full parser decides the rest, and words every failure. Never inlined: inlined into the
/// verdict's body check, the walk ran 0.3% more instructions on a deep check of a stdlib tree.
#[inline(never)]
pub(crate) fn check_as(body: &[u8], version: MarshalVersion) -> Result<usize, MarshalError> {
    let mut scratch = SCRATCH.take();
    if let Some(end) = fast::check(body, version, scratch.fast_refs()) {
        SCRATCH.set(scratch);
        return Ok(end);
    }
    parse(body, version, scratch)
}

/// The full parser's verdict on a body.
fn parse(body: &[u8], version: MarshalVersion, scratch: Scratch) -> Result<usize, MarshalError> {
    let mut parser = Parser::new(body, version, scratch);
    let top = parser.parse();
    let end = parser.offset();
    SCRATCH.set(parser.into_scratch());
    match top.map_err(|e| *e)?.kind {
        Kind::Code => Ok(end),
        Kind::Null => Err(refused(0, "NULL object in marshal data for object")),
        other => Err(refused(
            0,
            format!("non-code object ({}) in the cache", other.name()),
        )),
    }
}
