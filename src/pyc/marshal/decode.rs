//! The type byte, decoded once per reader generation rather than once per object.
//!
//! Every object starts with a type byte, so deciding what it means is the walk's hottest step.
//! Each reader's answer for all 256 bytes (its type, or unknown, and when a flagged object
//! takes its place in the reference list) is computed at compile time into a table, and the
//! walk does one lookup per object.

use super::value::Type;
use super::{Family, MarshalVersion, RefTiming};

/// What a type byte means to a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Op {
    pub(super) ty: Type,
    pub(super) timing: RefTiming,
}

/// A reader's meaning of every type byte; `None` for codes it does not know.
pub(super) type Table = [Option<Op>; 256];

const VERSIONS: [MarshalVersion; 10] = [
    MarshalVersion::CPython2,
    MarshalVersion::CPython30,
    MarshalVersion::CPython34,
    MarshalVersion::CPython38,
    MarshalVersion::CPython311,
    MarshalVersion::CPython312,
    MarshalVersion::CPython313,
    MarshalVersion::CPython314,
    MarshalVersion::PyPy3,
    MarshalVersion::PyPy38,
];

static TABLES: [Table; VERSIONS.len()] = {
    let mut tables = [[None; 256]; VERSIONS.len()];
    let mut i = 0;
    while i < VERSIONS.len() {
        tables[i] = table(VERSIONS[i]);
        i += 1;
    }
    tables
};

/// The table of a reader (`VERSIONS` lists the readers in declaration order).
pub(super) fn table_of(version: MarshalVersion) -> &'static Table {
    &TABLES[version as usize]
}

const fn table(version: MarshalVersion) -> Table {
    let mut table = [None; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = decode(version, byte as u8);
        byte += 1;
    }
    table
}

/// Splits a type byte into its type and whether `FLAG_REF` (0x80) is set, and says when the
/// object is registered.
pub(super) const fn decode(version: MarshalVersion, byte: u8) -> Option<Op> {
    let has_refs = !matches!(
        version,
        MarshalVersion::CPython2 | MarshalVersion::CPython30
    );
    let (code, flag) = match has_refs {
        true => (byte & 0x7F, byte & 0x80 != 0),
        false => (byte, false),
    };
    match Type::from_code(code) {
        Some(ty) if knows(version, ty) => Some(Op {
            ty,
            timing: ref_timing(version, ty, flag),
        }),
        _ => None,
    }
}

/// Returns true if and only if the reader knows the type (a code without `FLAG_REF`).
const fn knows(version: MarshalVersion, ty: Type) -> bool {
    match ty {
        Type::StringRef => matches!(version, MarshalVersion::CPython2),
        Type::Interned => !matches!(version, MarshalVersion::CPython30),
        Type::Ref | Type::SmallTuple | Type::Ascii | Type::ShortAscii => !matches!(
            version,
            MarshalVersion::CPython2 | MarshalVersion::CPython30
        ),
        Type::Slice => matches!(version, MarshalVersion::CPython314),
        _ => true,
    }
}

const fn ref_timing(version: MarshalVersion, ty: Type, flag: bool) -> RefTiming {
    if !flag {
        return RefTiming::Never;
    }
    let pypy = matches!(version.family(), Family::PyPy);
    let early = match pypy {
        true => matches!(ty, Type::List | Type::Dict | Type::Set | Type::Code),
        false => matches!(
            ty,
            Type::Tuple | Type::SmallTuple | Type::List | Type::Dict | Type::Set
        ),
    };
    let never = !pypy && (ty.is_singleton() || matches!(ty, Type::Ref));
    match (early, never) {
        (true, _) => RefTiming::Early,
        (false, true) => RefTiming::Never,
        (false, false) => RefTiming::Late,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reader_has_its_own_table() {
        for (i, version) in VERSIONS.into_iter().enumerate() {
            assert_eq!(version as usize, i);
            for byte in 0..=255u8 {
                assert_eq!(table_of(version)[usize::from(byte)], decode(version, byte));
            }
        }
        let op = |version, byte: u8| table_of(version)[usize::from(byte)];
        assert_eq!(op(MarshalVersion::CPython2, b'r'), None);
        assert_eq!(op(MarshalVersion::CPython2, b'c' | 0x80), None);
        assert_eq!(
            op(MarshalVersion::CPython311, b'(' | 0x80),
            Some(Op {
                ty: Type::Tuple,
                timing: RefTiming::Early
            })
        );
        assert_eq!(
            op(MarshalVersion::PyPy38, b'(' | 0x80).map(|op| op.timing),
            Some(RefTiming::Late)
        );
        assert_eq!(op(MarshalVersion::CPython313, b':'), None);
        assert!(op(MarshalVersion::CPython314, b':').is_some());
    }
}
