//! Payload checks of scalar objects: UTF-8 text, float text, long digits, PyPy file names.
//!
//! These are the places where the readers look inside a payload rather than skip it.
//! CPython decodes `u`/`t` text as UTF-8 with `surrogatepass` (Python 2's strict decoder accepts
//! the same set: encoded surrogates, nothing overlong, nothing past U+10FFFF); parses float text
//! with `PyOS_string_to_double`, which stops at an embedded NUL and takes no whitespace; and
//! wants long digits below 2**15 with a non-zero top digit. PyPy parses float text with
//! `float()` (whitespace and underscores allowed) and only rejects all-zero long digits.

/// The position of the first byte that CPython's `utf-8`/`surrogatepass` decoder rejects.
pub(super) fn utf8_error(bytes: &[u8]) -> Option<usize> {
    let mut done = 0;
    loop {
        let rest = bytes.get(done..)?;
        let error = match std::str::from_utf8(rest) {
            Ok(_) => return None,
            Err(error) => error,
        };
        let bad = done + error.valid_up_to();
        match bytes.get(bad..bad + 3) {
            Some(&[0xED, b1, b2]) if (0xA0..=0xBF).contains(&b1) && is_continuation(b2) => {
                done = bad + 3;
            }
            _ => return Some(bad),
        }
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// Returns true if and only if CPython's `PyOS_string_to_double` accepts the text of a `f`
/// or `x` object (read up to its first NUL, as the C string it is copied into).
pub(super) fn cpython_float(text: &[u8]) -> bool {
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    is_float_literal(&text[..end])
}

/// Returns true if and only if PyPy's `float()` accepts the text (ASCII only: PyPy also
/// takes Unicode digits and spaces, which this does not model).
pub(super) fn pypy_float(text: &[u8]) -> bool {
    if !text.is_ascii() || text.contains(&0) {
        return false;
    }
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    let start = text.iter().position(|b| !is_space(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    let trimmed = &text[start..end];
    // Underscores (PEP 515) may only sit between two digits; drop them.
    let mut buf = [0u8; 256];
    let mut len = 0;
    for (i, &b) in trimmed.iter().enumerate() {
        if b == b'_' {
            let before = i.checked_sub(1).and_then(|j| trimmed.get(j));
            let after = trimmed.get(i + 1);
            if !before.is_some_and(u8::is_ascii_digit) || !after.is_some_and(u8::is_ascii_digit) {
                return false;
            }
            continue;
        }
        match buf.get_mut(len) {
            Some(slot) => *slot = b,
            None => return false,
        }
        len += 1;
    }
    is_float_literal(&buf[..len])
}

/// The float grammar both readers share: an optional sign, then `inf`, `infinity` or `nan`
/// in any case, or decimal digits with an optional fraction and exponent.
fn is_float_literal(text: &[u8]) -> bool {
    let unsigned = match text.first() {
        Some(b'+' | b'-') => &text[1..],
        _ => text,
    };
    let special = [&b"inf"[..], b"infinity", b"nan"];
    special.iter().any(|s| unsigned.eq_ignore_ascii_case(s)) || is_decimal(unsigned)
}

fn digits(text: &[u8]) -> usize {
    text.iter().take_while(|b| b.is_ascii_digit()).count()
}

fn is_decimal(text: &[u8]) -> bool {
    let whole = digits(text);
    let mut at = whole;
    let mut fraction = 0;
    if text.get(at) == Some(&b'.') {
        fraction = digits(&text[at + 1..]);
        at += 1 + fraction;
    }
    if whole + fraction == 0 {
        return false;
    }
    if matches!(text.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(text.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(text.get(at..).unwrap_or_default());
        if exponent == 0 {
            return false;
        }
        at += exponent;
    }
    at == text.len()
}

fn shorts(bytes: &[u8]) -> impl DoubleEndedIterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
}

/// The index of the first long digit CPython rejects: it reads digits as signed shorts and
/// wants `0 <= digit < 2**15`.
pub(super) fn bad_digit(bytes: &[u8]) -> Option<usize> {
    shorts(bytes).position(|d| d >= 0x8000)
}

/// Returns true if and only if the top digit is zero (CPython: "unnormalized long data").
pub(super) fn top_zero(bytes: &[u8]) -> bool {
    shorts(bytes).next_back() == Some(0)
}

/// Returns true if and only if there are digits and all are zero (PyPy: "bad marshal data").
pub(super) fn all_zero(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| b == 0)
}

/// Returns true if and only if PyPy's `fsencode` takes a file name given as the UTF-8 bytes
/// PyPy keeps: no NUL, and no surrogate except the U+DC80-U+DCFF that `surrogateescape`
/// turns back into bytes.
pub(super) fn pypy_fsencodable(name: &[u8]) -> bool {
    if name.contains(&0) {
        return false;
    }
    name.windows(3).all(|w| match *w {
        [0xED, b1, b2] if b1 >= 0xA0 && is_continuation(b1) && is_continuation(b2) => {
            let point = 0xD000 | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            (0xDC80..=0xDCFF).contains(&point)
        }
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_surrogatepass() {
        assert_eq!(utf8_error(b"plain"), None);
        assert_eq!(utf8_error("é😀".as_bytes()), None);
        assert_eq!(
            utf8_error(b"a\xed\xa0\x80b\xed\xbf\xbf"),
            None,
            "surrogates pass"
        );
        assert_eq!(utf8_error(b"ab\xed\xa0"), Some(2), "truncated surrogate");
        assert_eq!(utf8_error(b"\xc0\x80"), Some(0), "overlong");
        assert_eq!(utf8_error(b"\xf4\x90\x80\x80"), Some(0), "past U+10FFFF");
        assert_eq!(utf8_error(b"x\xed\xa0\x80\xff"), Some(4));
        assert_eq!(utf8_error(b"\xe9"), Some(0));
    }

    #[test]
    fn cpython_float_text_as_pyos_string_to_double() {
        for ok in [
            "1.5",
            "-.5",
            "5.",
            "1e500",
            "1E+5",
            "inf",
            "-Infinity",
            "nAn",
            "1\0junk",
        ] {
            assert!(cpython_float(ok.as_bytes()), "{ok:?}");
        }
        for bad in [
            " 1.5", "1.5 ", "1_0", "1e", ".", "", "0x10", "infx", "in", "\t1", "e5",
        ] {
            assert!(!cpython_float(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn pypy_float_text_as_float() {
        for ok in [" 1.5", "1.5 ", "1_0", "\x0b1", "1e5\n", "1e1_0", "inf"] {
            assert!(pypy_float(ok.as_bytes()), "{ok:?}");
        }
        for bad in ["1__0", "_1", "1_", "1\0", "\x1c1", "1e", "1_.5"] {
            assert!(!pypy_float(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn long_digits() {
        assert_eq!(bad_digit(b"\xff\x7f\x00\x80"), Some(1));
        assert_eq!(bad_digit(b"\xff\x7f"), None);
        assert!(top_zero(b"\x01\x00\x00\x00"));
        assert!(!top_zero(b"\x00\x00\x01\x00"));
        assert!(all_zero(b"\x00\x00\x00\x00"));
        assert!(!all_zero(b""));
    }

    #[test]
    fn pypy_file_names() {
        assert!(pypy_fsencodable(b"m.py"));
        assert!(pypy_fsencodable(b"\xff"));
        assert!(pypy_fsencodable(b"\xed\xb2\x80"), "U+DC80 escapes a byte");
        assert!(!pypy_fsencodable(b"\xed\xa0\x80"), "U+D800");
        assert!(!pypy_fsencodable(b"a\0b"));
    }
}
