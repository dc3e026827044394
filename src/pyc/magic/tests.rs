//! Identification of every magic number the tables, CPython's scheme and GraalPy's know.

use super::*;

fn known(bytes: &[u8]) -> KnownMagic {
    match identify(bytes).1 {
        MagicId::Known(k) => k,
        other => panic!("{bytes:x?} not known: {other:?}"),
    }
}

#[test]
fn final_releases_map_to_their_minor() {
    let cases: &[(u16, &str)] = &[
        (62211, "2.7"),
        (3379, "3.6"),
        (3394, "3.7"),
        (3439, "3.10"),
        (3495, "3.11"),
        (3531, "3.12"),
        (3571, "3.13"),
        (3627, "3.14"),
        (20121, "1.5"),
        (3351, "3.5"),
    ];
    for &(num, label) in cases {
        let k = known(&Magic(num).word().to_le_bytes());
        assert_eq!(k.label, label, "magic {num}");
        assert_eq!(k.implementation, Implementation::CPython);
    }
    assert_eq!(cpython_final(PyVersion::new(3, 11)), Some(Magic(3495)));
    assert_eq!(cpython_final(PyVersion::new(2, 7)), Some(Magic(62211)));
}

#[test]
fn pre_releases_keep_their_label_and_minor() {
    let k = known(&Magic(3621).word().to_le_bytes());
    assert_eq!(k.label, "3.14a7");
    assert_eq!(k.python, Some(PyVersion::new(3, 14)));
    // 62011 appears as 2.3a0 and as the 2.3 final: the final row wins.
    assert_eq!(known(&Magic(62011).word().to_le_bytes()).label, "2.3");
}

#[test]
fn other_implementations_and_special_forms() {
    assert_eq!(known(&[0x50, 0x01, 0x0D, 0x0A]).label, "PyPy 3.9");
    assert_eq!(known(&Magic(62218).word().to_le_bytes()).label, "PyPy 2.7");
    assert_eq!(known(&Magic(21290).word().to_le_bytes()).python, None);
    let graal = known(&Magic(21280).word().to_le_bytes());
    assert_eq!(graal.python, Some(PyVersion::new(3, 10)));
    let u = known(&Magic(62212).word().to_le_bytes());
    assert!(u.unicode_flag);
    assert_eq!(u.label, "2.7 -U");
    assert_eq!(known(&[0x02, 0x99, 0x99, 0x00]).label, "1.0");
    // 1.3 and 1.4 are in no CPython comment; pycdc's compiled test files confirm them.
    let v13 = known(&[0x89, 0x2e, 0x0d, 0x0a]);
    assert_eq!(
        (&*v13.label, v13.python),
        ("1.3", Some(PyVersion::new(1, 3)))
    );
    assert_eq!(known(&[0x04, 0x17, 0x0d, 0x0a]).label, "1.4");
    assert_eq!(
        known(&Magic(3700).word().to_le_bytes()).label,
        "3.16 (inferred)"
    );
    assert_eq!(
        known(&Magic(3657).word().to_le_bytes()).python,
        Some(PyVersion::new(3, 15))
    );
}

/// Every row of CPython's own list (and 1.3, 1.4) is identified as CPython of its version,
/// and each final row is the number `cpython_final` gives for its minor.
#[test]
fn every_csv_row_is_identified() {
    let mut rows = 0;
    for line in CSV.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split(',').collect();
        let num: u16 = cols[0].parse().unwrap();
        let python = PyVersion::parse_prefix(cols[1]).unwrap();
        let k = known(&Magic(num).word().to_le_bytes());
        assert_eq!(k.implementation, Implementation::CPython, "{line}");
        assert_eq!(k.python, Some(python), "{line}");
        if cols.get(2).is_some_and(|f| !f.trim().is_empty()) {
            assert!(is_cpython_final(Magic(num)), "{line}");
        }
        rows += 1;
    }
    assert!(rows >= 240, "only {rows} rows");
}

/// Every CPython minor release from 1.0 to 3.14 by the number its final releases write
/// (1.0-1.2 wrote no `\r\n`; 3.5 changed its number in 3.5.2). The interpreters installed
/// here agree for 2.7 and 3.6-3.13 (`importlib.util.MAGIC_NUMBER`, `imp.get_magic()`).
#[test]
fn every_release_from_1_0() {
    assert_eq!(
        known(&[0x02, 0x99, 0x99, 0x00]).python,
        Some(PyVersion::new(1, 0))
    );
    assert_eq!(
        known(&[0x03, 0x99, 0x99, 0x00]).python,
        Some(PyVersion::new(1, 1))
    );
    let finals: &[(u16, u8, u8)] = &[
        (11913, 1, 3),
        (5892, 1, 4),
        (20121, 1, 5),
        (50428, 1, 6),
        (50823, 2, 0),
        (60202, 2, 1),
        (60717, 2, 2),
        (62011, 2, 3),
        (62061, 2, 4),
        (62131, 2, 5),
        (62161, 2, 6),
        (62211, 2, 7),
        (3131, 3, 0),
        (3151, 3, 1),
        (3180, 3, 2),
        (3230, 3, 3),
        (3310, 3, 4),
        (3350, 3, 5),
        (3351, 3, 5),
        (3379, 3, 6),
        (3394, 3, 7),
        (3413, 3, 8),
        (3425, 3, 9),
        (3439, 3, 10),
        (3495, 3, 11),
        (3531, 3, 12),
        (3571, 3, 13),
        (3627, 3, 14),
    ];
    for &(num, major, minor) in finals {
        let k = known(&Magic(num).word().to_le_bytes());
        let python = PyVersion::new(major, minor);
        assert_eq!(k.python, Some(python), "magic {num}");
        assert!(is_cpython_final(Magic(num)), "magic {num}");
        assert_eq!(k.implementation, Implementation::CPython);
    }
}

#[test]
fn other_implementations_by_their_own_numbers() {
    let graal = known(&Magic(21330).word().to_le_bytes());
    assert_eq!(graal.implementation, Implementation::GraalPy);
    let future = known(&Magic(21400).word().to_le_bytes());
    assert_eq!(
        (future.implementation, future.python),
        (Implementation::GraalPy, None)
    );
    let rust = known(&Magic(2996).word().to_le_bytes());
    assert_eq!(rust.implementation, Implementation::RustPython);
    assert_eq!(rust.python, Some(PyVersion::new(3, 14)));
    // RustPython also wrote CPython's 3531 and 3571: those stay CPython's numbers.
    let borrowed = known(&Magic(3531).word().to_le_bytes());
    assert_eq!(borrowed.implementation, Implementation::CPython);
}

#[test]
fn unknown_and_bad_bytes_never_panic() {
    assert_eq!(identify(&[]), (None, MagicId::BadBytes));
    assert_eq!(identify(&[0xa7]), (None, MagicId::BadBytes));
    assert_eq!(identify(&[0xa7, 0x0d, 0x0d]).1, MagicId::BadBytes);
    assert_eq!(identify(&[0xa7, 0x0d, 0x0a, 0x0d]).1, MagicId::BadBytes);
    match identify(&Magic(4242).word().to_le_bytes()).1 {
        MagicId::Unknown { nearest } => assert!(nearest.contains("3656"), "{nearest}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(Magic(3495).word(), 168_627_623);
}

#[test]
fn version_labels_are_borrowed_where_the_table_has_them() {
    use std::borrow::Cow;
    for (major, minor) in [(1, 0), (2, 7), (3, 11), (3, 31)] {
        let label = PyVersion::new(major, minor).label();
        assert!(matches!(label, Cow::Borrowed(_)), "{major}.{minor}");
        assert_eq!(label, format!("{major}.{minor}"));
    }
    for (major, minor) in [(0, 9), (3, 32), (4, 0), (255, 255)] {
        let label = PyVersion::new(major, minor).label();
        assert!(matches!(label, Cow::Owned(_)), "{major}.{minor}");
        assert_eq!(label, format!("{major}.{minor}"));
    }
}
