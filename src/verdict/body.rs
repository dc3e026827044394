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

use super::{CacheRead, Judge, RestFn};
use crate::pyc::header::{Body, Header};
use crate::pyc::marshal::{check_as, MarshalVersion};

/// What the body check found.
pub(super) enum BodyCheck {
    /// The body unmarshals to a code object that ends where the file ends.
    Sound,
    /// A code object unmarshals, but bytes follow it; marshal ignores them.
    Trailing(String),
    /// The import raises while unmarshalling.
    Broken(String),
    /// The rest of the file could not be read (Python falls back to the source).
    Unreadable(String),
}

/// Checks the body of a cache whose header `judge` accepted: its first byte, and with `deep`
/// the whole stream; `read` holds the first bytes of the file and `rest` reads on.
pub(super) fn check(
    judge: &Judge,
    h: &Header,
    header_len: usize,
    read: &CacheRead,
    rest: RestFn,
    deep: bool,
) -> BodyCheck {
    if let Some(why) = first_byte_problem(judge, h) {
        return BodyCheck::Broken(why);
    }
    if !deep {
        return BodyCheck::Sound;
    }
    let Some(version) = judge.interpreter.as_ref().and_then(MarshalVersion::of) else {
        // No marshal reader (GraalPy's bodies are not marshal streams): nothing to check.
        return BodyCheck::Sound;
    };
    // One buffer per thread, grown to the largest body seen: no allocation, and no fresh
    // pages for the kernel to zero, per cache.
    let mut body = BUFFER.take();
    body.clear();
    body.extend_from_slice(read.head.get(header_len..).unwrap_or_default());
    let found = walk(&mut body, version, header_len, read, rest);
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
    rest: RestFn,
) -> BodyCheck {
    let mut chunk = FIRST_CHUNK;
    loop {
        let ended = match rest(body, chunk) {
            Ok(ended) => ended,
            Err(e) => return BodyCheck::Unreadable(format!("cannot read the body: {e}")),
        };
        match check_as(body, version) {
            Err(e) if e.ran_out && !ended => chunk = body.len().max(FIRST_CHUNK),
            Err(e) => {
                return BodyCheck::Broken(format!(
                    "the body does not unmarshal: {} at body offset {} of {}",
                    e.what,
                    e.offset,
                    body.len()
                ))
            }
            Ok(end) if end < body.len() || !ended => {
                let extra = read.len.saturating_sub((header_len + end) as u64);
                let plural = if extra == 1 {
                    "byte follows"
                } else {
                    "bytes follow"
                };
                return BodyCheck::Trailing(format!(
                    "{extra} trailing {plural} the code object (body offset {end}); marshal \
                     ignores them"
                ));
            }
            Ok(_) => return BodyCheck::Sound,
        }
    }
}

/// The first read of a body: more than nearly every real cache holds, so one read suffices.
const FIRST_CHUNK: usize = 1 << 20;

/// A first body byte that cannot start a code object, found without reading further.
pub(super) fn first_byte_problem(judge: &Judge, h: &Header) -> Option<String> {
    let markers = judge.interpreter.and_then(|i| i.code_markers())?;
    match h.body {
        Body::Empty => Some("the body is empty (EOFError: marshal data too short)".into()),
        Body::Starts(b) if !markers.contains(&b) => Some(format!(
            "the body is not a code object (marshal type {b:#04x})"
        )),
        Body::Starts(_) => None,
    }
}
