//! The bytecode walk that CPython 3.12 and 3.13 make while building a code object.
//!
//! `_PyCode_Quicken` runs inside `marshal.loads`: it visits each instruction, takes its base
//! opcode with `_Py_GetBaseOpcode` and skips the instruction's inline cache entries. For
//! `INSTRUMENTED_LINE` and `INSTRUMENTED_INSTRUCTION` that lookup reads the code object's
//! monitoring data, which a code object fresh from the stream does not have: the interpreter
//! dies with SIGSEGV. So from 3.12 the bytecode itself can make a cache fail, and only at the
//! positions the walk visits. The walk also primes the first cache entry of each instruction
//! that has them, even when that instruction is the last code unit: a write past the end of
//! the bytecode, undefined behaviour that corrupts the heap (a crash, or an error, later).
//! The tables were measured on 3.12.1 and 3.13.0 by
//! `tests/marshal/quicken_tables.py`: per opcode byte, the code units skipped after it, or
//! `CRASH`.

/// A table entry: this opcode, visited, crashes the interpreter.
const CRASH: u8 = 0xFF;

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not a hex digit"),
    }
}

/// Decodes the 512 hex digits printed by `quicken_tables.py` (at compile time).
const fn table(hex: &[u8; 512]) -> [u8; 256] {
    let mut out = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]);
        i += 1;
    }
    out
}

const PY312: [u8; 256] = table(
    b"0000000000000101010001000001010001000101010101030301000003030000\
      0000030000000303030303030303030303000000000000000301010101000101\
      0101010100000900090900000909090909090900000000000000000001010004\
      0000000000000000000009010000000404040000040000000000010100000000\
      0000000000000000000000000001000000000000040000000004000000000001\
      0101000000000101010000030000000000000000000000000000000000000000\
      0000000000000000000000000000000000000000000000000000000000000000\
      0000000000000000000000000001000000030000000000000100000000ffff00",
);

const PY313: [u8; 256] = table(
    b"0000000100010000000000000000000000000000000000000000000000000000\
      0000000000000001030000000001000000000000000300000000010100000000\
      0000000000000000010000000001000000000900000000000000000400010000\
      0001010101000000010000000400000000000000000100000000000000000000\
      0000000000000000000000000000000000000000000001010101010101010101\
      0101030303030303030303030303030303030303030301010101010101010109\
      0909090909090909090909040401010001040404010103030303030301010100\
      0000000000000000000000000000000000000101030000ff000101010101ff00",
);

/// Which interpreter's walk to replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Walk {
    Py312,
    Py313,
}

/// How the walk over a code object's bytecode ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Quickened {
    Fine,
    /// A visited instrumented opcode at this code unit: SIGSEGV.
    Crash(usize),
    /// The last code unit has cache entries: a write past the end of the bytecode.
    WritePastEnd(usize),
}

/// Replays the walk over `code`.
pub(super) fn quicken(code: &[u8], walk: Walk) -> Quickened {
    let table = match walk {
        Walk::Py312 => &PY312,
        Walk::Py313 => &PY313,
    };
    let units = code.len() / 2;
    let mut i = 0;
    while i < units {
        let skip = table[usize::from(code[2 * i])];
        if skip == CRASH {
            return Quickened::Crash(i);
        }
        if skip > 0 && i + 1 == units {
            return Quickened::WritePastEnd(i);
        }
        i += 1 + usize::from(skip);
    }
    Quickened::Fine
}

#[cfg(test)]
mod tests {
    use super::*;
    use Quickened::*;

    #[test]
    fn instrumented_opcodes_crash_where_the_walk_visits_them() {
        // 3.12: NOP is 30, INSTRUMENTED_LINE 254, LOAD_ATTR (106) has 9 cache entries.
        assert_eq!(quicken(&[30, 0, 254, 0], Walk::Py312), Crash(1));
        let cached = [106, 0, 254, 0, 30, 0];
        assert_eq!(quicken(&cached, Walk::Py312), Fine, "a cache entry");
        let mut skipped = vec![106, 0];
        skipped.extend([0, 0].repeat(9));
        skipped.extend([253, 0]);
        assert_eq!(quicken(&skipped, Walk::Py312), Crash(10));
        // 3.13: INSTRUMENTED_INSTRUCTION is 247; 254 stays INSTRUMENTED_LINE.
        assert_eq!(quicken(&[247, 0], Walk::Py313), Crash(0));
        assert_eq!(quicken(&[253, 0, 0, 0], Walk::Py313), Fine);
        assert_eq!(quicken(&[], Walk::Py313), Fine);
    }

    #[test]
    fn caches_on_the_last_unit_write_past_the_end() {
        // 3.13: opcode 164 has 3 cache entries (found by the differential campaign).
        assert_eq!(quicken(&[30, 0, 164, 0], Walk::Py313), WritePastEnd(1));
        assert_eq!(quicken(&[164, 0, 0, 0], Walk::Py313), Fine);
    }
}
