//! The body check: can the interpreter that accepted a header unmarshal the code object behind
//! it? Once the header is accepted, CPython does not catch an unmarshalling error, so a cut or
//! damaged body makes the import raise even though the source is there.
//!
//! By default only the first byte is checked (it is in the header read). With `--deep`, the
//! rest of the file is read here, and only for caches the interpreter would load:
//! a stale or mismatched cache is never unmarshalled, so its body does not matter. It is read
//! in growing chunks, and only as far as the code object goes: a sound code object followed by
//! gigabytes is judged without reading them.

use std::cell::Cell;
use std::io;

use super::inputs::Inputs;
use super::{CacheRead, Judge};
use crate::pyc::header::{Body, Header};
use crate::pyc::marshal::{check_as, MarshalVersion};
use crate::python::interp::Interpreter;

/// What the body check found, as values.
#[derive(Debug)]
pub(crate) enum BodyCheck {
    /// Only the first byte was checked (not `--deep`), and it starts a code object.
    FirstByte,
    /// The judge's caches are not marshal data (GraalPy): nothing to check.
    NotMarshal,
    /// The body unmarshals to a code object of `len` bytes that ends where the file ends.
    Sound { len: usize },
    /// A code object unmarshals and ends at body offset `end`, but `extra` bytes follow it;
    /// marshal ignores them.
    Trailing { end: usize, extra: u64 },
    /// The import raises while unmarshalling.
    Broken(Broken),
    /// The rest of the file could not be read (Python falls back to the source).
    Unreadable(io::Error),
}

/// Why the body does not unmarshal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Broken {
    /// Nothing follows the header.
    Empty,
    /// The first byte is this marshal type, which cannot start a code object.
    NotCode(u8),
    /// The marshal reader fails at body offset `offset` of the `len` bytes read.
    Marshal {
        what: String,
        offset: usize,
        len: usize,
    },
}

/// Why the body does not unmarshal, in the report's words.
pub(super) fn broken_text(b: &Broken) -> String {
    match b {
        Broken::Empty => "the body is empty (EOFError: marshal data too short)".into(),
        Broken::NotCode(t) => format!("the body is not a code object (marshal type {t:#04x})"),
        Broken::Marshal { what, offset, len } => {
            format!("the body does not unmarshal: {what} at body offset {offset} of {len}")
        }
    }
}

/// What follows the code object, in the report's words.
pub(super) fn trailing_text(end: usize, extra: u64) -> String {
    let plural = if extra == 1 {
        "byte follows"
    } else {
        "bytes follow"
    };
    format!("{extra} trailing {plural} the code object (body offset {end}); marshal ignores them")
}

/// Checks the body of a cache whose header `judge` accepted: its first byte, and with `deep`
/// the whole stream; `read` holds the first bytes of the file and `inputs` reads on.
pub(super) fn check(
    judge: &Judge,
    h: &Header,
    header_len: usize,
    read: &CacheRead,
    inputs: &mut impl Inputs,
    deep: bool,
) -> BodyCheck {
    if let Some(markers) = judge.interpreter.and_then(|i| i.code_markers()) {
        match h.body {
            Body::Empty => return BodyCheck::Broken(Broken::Empty),
            Body::Starts(b) if !markers.contains(&b) => {
                return BodyCheck::Broken(Broken::NotCode(b))
            }
            Body::Starts(_) => {}
        }
    }
    let Some(version) = judge
        .interpreter
        .as_ref()
        .and_then(Interpreter::marshal_version)
    else {
        // No marshal reader (GraalPy's bodies are not marshal streams): nothing to check.
        return BodyCheck::NotMarshal;
    };
    if !deep {
        return BodyCheck::FirstByte;
    }
    // One buffer per thread, grown to the largest body seen: no allocation, and no fresh
    // pages for the kernel to zero, per cache.
    let mut body = BUFFER.take();
    body.clear();
    body.extend_from_slice(read.head.get(header_len..).unwrap_or_default());
    let found = walk(&mut body, version, header_len, read, inputs);
    if body.capacity() <= KEEP {
        BUFFER.set(body);
    }
    found
}

thread_local! {
    static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The largest buffer a thread keeps for the next body.
const KEEP: usize = 16 << 20;

/// Reads the body on into `body` until the code object is complete, and judges it.
fn walk(
    body: &mut Vec<u8>,
    version: MarshalVersion,
    header_len: usize,
    read: &CacheRead,
    inputs: &mut impl Inputs,
) -> BodyCheck {
    let mut chunk = FIRST_CHUNK;
    loop {
        let ended = match inputs.read_on(body, chunk) {
            Ok(ended) => ended,
            Err(e) => return BodyCheck::Unreadable(e),
        };
        match check_as(body, version) {
            Err(e) if e.ran_out && !ended => chunk = body.len().max(FIRST_CHUNK),
            Err(e) => {
                return BodyCheck::Broken(Broken::Marshal {
                    what: e.what,
                    offset: e.offset,
                    len: body.len(),
                })
            }
            Ok(end) if end < body.len() || !ended => {
                let extra = read.len.saturating_sub((header_len + end) as u64);
                return BodyCheck::Trailing { end, extra };
            }
            Ok(end) => return BodyCheck::Sound { len: end },
        }
    }
}

/// The first read of a body: more than nearly every real cache holds, so one read suffices.
const FIRST_CHUNK: usize = 1 << 20;
