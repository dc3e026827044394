//! Reading the stream: bytes, little-endian integers and sizes, and the payload of each scalar
//! object (strings, longs, float text), with each reader's error for a short or bad payload.
//!
//! Lengths from the stream are compared with the bytes left before anything is read, so no
//! length is ever trusted for allocation (nothing is allocated at all).

use super::value::{Kind, Value};
use super::{fail, ran_out, scalar, Family, MarshalError, Res};

/// The body and the position of the walk in it.
pub(super) struct Cursor<'a> {
    pub(super) body: &'a [u8],
    pub(super) pos: usize,
    pub(super) family: Family,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(body: &'a [u8], family: Family) -> Self {
        Cursor {
            body,
            pos: 0,
            family,
        }
    }

    /// The error for bytes missing at `at`.
    #[cold]
    #[inline(never)]
    pub(super) fn short(&self, at: usize) -> Box<MarshalError> {
        let what = match self.family {
            Family::CPython3 => "marshal data too short",
            _ => "EOF read where object expected",
        };
        Box::new(MarshalError {
            offset: at,
            what: what.to_string(),
            ran_out: true,
        })
    }

    #[inline]
    pub(super) fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self.pos.saturating_add(n);
        match self.body.get(self.pos..end) {
            Some(bytes) => {
                self.pos = end;
                Ok(bytes)
            }
            None => Err(self.short(self.pos)),
        }
    }

    #[inline]
    pub(super) fn byte(&mut self) -> Res<u8> {
        match self.body.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => ran_out(self.pos, "EOF read where object expected"),
        }
    }

    #[inline]
    pub(super) fn i32(&mut self) -> Res<i32> {
        let rest = self.body.get(self.pos..).unwrap_or_default();
        match rest.first_chunk::<4>() {
            Some(&bytes) => {
                self.pos += 4;
                Ok(i32::from_le_bytes(bytes))
            }
            None => Err(self.short(self.pos)),
        }
    }

    /// A 32-bit size; negative sizes are rejected with `what` ("tuple size" ...).
    #[inline]
    pub(super) fn size(&mut self, what: &str) -> Res<usize> {
        let at = self.pos;
        let n = self.i32()?;
        match usize::try_from(n) {
            Ok(n) => Ok(n),
            Err(_) => self.bad_size(at, what),
        }
    }

    #[cold]
    #[inline(never)]
    fn bad_size(&self, at: usize, what: &str) -> Res<usize> {
        match self.family {
            Family::PyPy => fail(at, "bad marshal data"),
            _ => fail(at, format!("bad marshal data ({what} out of range)")),
        }
    }

    pub(super) fn left(&self) -> usize {
        self.body.len().saturating_sub(self.pos)
    }

    // ----- scalar payloads ------------------------------------------------------------------

    /// `s` (and Python 2's `t`): a 4-byte length and the bytes.
    #[inline]
    pub(super) fn string(&mut self, kind: Kind, what: &str) -> Res<Value> {
        let what = match self.family {
            Family::CPython2 => "string size",
            _ => what,
        };
        let n = self.size(what)?;
        let at = self.pos;
        self.take(n)?;
        Ok(Value::string(kind, at, n))
    }

    /// `u` (and `t` from 3.4): UTF-8 text.
    pub(super) fn unicode(&mut self) -> Res<Value> {
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

    /// `a`, `A`, `z`, `Z`: `n` bytes of Latin-1 (CPython) or ASCII (PyPy) text.
    #[inline]
    pub(super) fn ascii(&mut self, n: usize) -> Res<Value> {
        let at = self.pos;
        let payload = self.take(n)?;
        // CPython builds a Latin-1 string from any bytes; PyPy checks them.
        if self.family == Family::PyPy && !payload.is_ascii() {
            return fail(at, "bad marshal data (string is not ascii)");
        }
        Ok(Value::string(Kind::Text, at, n))
    }

    /// `l`: a signed digit count and 15-bit digits.
    pub(super) fn long(&mut self) -> Res<Value> {
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

    /// The text of `f` and `x`: a 1-byte length and the digits.
    pub(super) fn float_text(&mut self) -> Res<()> {
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
}
