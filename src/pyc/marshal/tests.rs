//! Unit tests on hand-built streams; each rule here was first observed on the interpreters.

use super::code::Layout;
use super::sample::*;
use super::*;
use MarshalVersion::*;

const ALL: [MarshalVersion; 10] = [
    CPython2, CPython30, CPython34, CPython38, CPython311, CPython312, CPython313, CPython314,
    PyPy3, PyPy38,
];

fn ok(body: &[u8], version: MarshalVersion) -> bool {
    check_as(body, version).is_ok()
}

fn error(body: &[u8], version: MarshalVersion) -> MarshalError {
    match check_as(body, version) {
        Err(e) => e,
        Ok(len) => panic!("{version:?} accepted {len} bytes of {body:02x?}"),
    }
}

/// A 3.11 code object whose constants tuple holds `item` (and nothing else).
fn holding(version: MarshalVersion, item: S) -> Vec<u8> {
    Code {
        consts: Some(tuple(version, &[item])),
        ..code()
    }
    .encode(version)
}

#[test]
fn valid_bodies_pass_with_or_without_trailing_bytes() {
    for version in ALL {
        let body = code().encode(version);
        assert_eq!(check_as(&body, version), Ok(body.len()), "{version:?}");
        let mut trailing = body.clone();
        trailing.extend_from_slice(b"\0garbage\xff");
        assert_eq!(check_as(&trailing, version), Ok(body.len()), "{version:?}");
    }
}

#[test]
fn every_truncation_fails() {
    for version in ALL {
        let body = code().encode(version);
        for len in 0..body.len() {
            // A cut is always told apart from damage: more bytes could complete the stream.
            let e = error(&body[..len], version);
            assert!(e.ran_out, "{version:?} at {len}: {e}");
        }
    }
    let e = error(&code().encode(CPython311)[..3], CPython311);
    assert_eq!((e.offset, e.what.as_str()), (1, "marshal data too short"));
    let e = error(&code().encode(CPython2)[..3], CPython2);
    assert_eq!(e.what, "EOF read where object expected");
    assert_eq!(
        error(b"", CPython311).what,
        "EOF read where object expected"
    );
}

#[test]
fn the_top_object_must_be_a_code_object() {
    assert_eq!(
        error(b"N", CPython311).what,
        "non-code object (singleton) in the cache"
    );
    assert!(error(b"i\x01\x00\x00\x00", CPython2).what.contains("int"));
    assert_eq!(
        error(b"0", CPython38).what,
        "NULL object in marshal data for object"
    );
}

#[test]
fn type_codes_per_reader() {
    let flagged = {
        let mut body = code().encode(CPython311);
        body[0] = 0xE3;
        body
    };
    assert!(ok(&flagged, CPython311));
    assert!(error(&flagged, CPython2).what.contains("unknown type code"));
    assert_eq!(
        error(&holding(CPython311, s().raw(b"?")), CPython311).what,
        "bad marshal data (unknown type code)"
    );
    assert!(error(&holding(PyPy38, s().raw(b"?")), PyPy38)
        .what
        .contains("code 63"));
    // Python 2's string table: `t` adds to it, `R` refers to it; 3.x has no `R`.
    let table = tuple(CPython2, &[s().sized(b"t", b"x"), s().raw(b"R").int(0)]);
    assert!(ok(&holding(CPython2, table), CPython2));
    let out_of_range = tuple(CPython2, &[s().sized(b"t", b"x"), s().raw(b"R").int(1)]);
    assert!(!ok(&holding(CPython2, out_of_range), CPython2));
    assert!(!ok(&holding(CPython38, s().raw(b"R").int(0)), CPython38));
    // Short forms only from 3.4; slices only from 3.14.
    assert!(!ok(&holding(CPython30, s().raw(b"z\x01a")), CPython30));
    let slice = s().raw(b":NNN");
    assert!(ok(&holding(CPython314, slice.clone()), CPython314));
    assert!(!ok(&holding(CPython313, slice), CPython313));
}

#[test]
fn references() {
    let v = CPython311;
    // A flagged string, then a reference to it (index 1: the code object took index 0).
    let shared = tuple(v, &[s().raw(&[b'z' | 0x80, 1, b'a']), s().raw(b"r").int(1)]);
    let mut with_ref = holding(v, shared);
    with_ref[0] = 0xE3;
    assert!(ok(&with_ref, v));
    // Index 0 is the code object itself, still being read: CPython's placeholder.
    let to_self = holding(v, s().raw(b"r").int(0));
    let mut to_self_flagged = to_self.clone();
    to_self_flagged[0] = 0xE3;
    assert_eq!(
        error(&to_self_flagged, v).what,
        "bad marshal data (invalid reference)"
    );
    assert!(!ok(&to_self, v), "no index 0 without the flag");
    // PyPy registers a flagged code object first, so the same reference is fine there.
    let mut pypy = holding(PyPy38, s().raw(b"r").int(0));
    pypy[0] = 0xE3;
    assert!(ok(&pypy, PyPy38));
    // A tuple is registered before its items, a frozenset after them. A tuple that holds
    // itself is fine, unless reached through tuples from the constants: 3.x interns string
    // constants recursively and overflows its stack (through a list, it stops).
    let tuple_self = s().raw(&[b')' | 0x80, 1, b'r']).int(0);
    assert!(ok(&holding(v, s().raw(b"[").int(1).obj(&tuple_self)), v));
    let e = error(&holding(v, tuple_self.clone()), v);
    assert_eq!(
        e.what,
        "code: co_consts holds a tuple that holds itself (a crash)"
    );
    let through_list = s().raw(&[b')' | 0x80, 1, b'[']).int(1).raw(b"r").int(0);
    assert!(ok(&holding(v, through_list), v));
    assert!(
        !ok(&holding(PyPy38, tuple_self), PyPy38),
        "PyPy reserves the slot"
    );
    let frozenset_self = s().raw(&[b'>' | 0x80]).int(1).raw(b"r").int(0);
    assert!(!ok(&holding(v, frozenset_self), v));
    // CPython never registers a flagged None; PyPy does.
    let none_then_ref = tuple(v, &[s().raw(&[b'N' | 0x80]), s().raw(b"r").int(0)]);
    assert!(!ok(&holding(v, none_then_ref.clone()), v));
    assert!(ok(&holding(PyPy38, none_then_ref), PyPy38));
    assert!(!ok(&holding(v, s().raw(b"r").int(-1)), v));
}

#[test]
fn longs() {
    let long = |n: i32, digits: &[u16]| {
        digits
            .iter()
            .fold(s().raw(b"l").int(n), |acc, d| acc.raw(&d.to_le_bytes()))
    };
    let v = CPython38;
    assert!(ok(&holding(v, long(2, &[1, 1])), v));
    assert!(ok(&holding(v, long(-1, &[0x7FFF])), v));
    assert!(ok(&holding(v, long(0, &[])), v));
    let what = |l: S| error(&holding(v, l), v).what;
    assert_eq!(
        what(long(1, &[0x8000])),
        "bad marshal data (digit out of range in long)"
    );
    assert_eq!(
        what(long(2, &[1, 0])),
        "bad marshal data (unnormalized long data)"
    );
    assert_eq!(
        what(long(i32::MIN, &[])),
        "bad marshal data (long size out of range)"
    );
    // 2**31 - 1 digits announced, a few present: short, and nothing allocated for them.
    assert_eq!(what(long(i32::MAX, &[1, 2])), "marshal data too short");
    // PyPy only rejects all-zero digits.
    assert!(ok(&holding(PyPy38, long(2, &[0x8000, 0])), PyPy38));
    assert!(!ok(&holding(PyPy38, long(2, &[0, 0])), PyPy38));
}

#[test]
fn hostile_sizes_fail_without_allocating() {
    for version in ALL {
        for head in [&b"("[..], b"[", b"<", b">", b"s", b"u"] {
            let item = s().raw(head).int(i32::MAX);
            assert!(
                !ok(&holding(version, item), version),
                "{version:?} {head:?}"
            );
            let negative = s().raw(head).int(-1);
            assert!(
                !ok(&holding(version, negative), version),
                "{version:?} {head:?}"
            );
        }
    }
    let e = error(&holding(CPython311, s().raw(b"(").int(-1)), CPython311);
    assert_eq!(e.what, "bad marshal data (tuple size out of range)");
}

#[test]
fn text() {
    let u = |payload: &[u8]| s().sized(b"u", payload);
    for version in [CPython2, CPython34, CPython313] {
        assert!(ok(&holding(version, u("é\u{1F600}".as_bytes())), version));
        assert!(
            ok(&holding(version, u(b"\xed\xa0\x80")), version),
            "surrogatepass"
        );
        assert!(!ok(&holding(version, u(b"\xc0\x80")), version), "overlong");
        assert!(
            !ok(&holding(version, u(b"ab\xed\xa0")), version),
            "truncated"
        );
    }
    let e = error(&holding(CPython313, u(b"ab\xff")), CPython313);
    assert_eq!(e.what, "'utf-8' codec can't decode byte 0xff in position 2");
    // PyPy 7.3.11 takes any bytes as `u`, but checks the ASCII forms, which CPython does not.
    assert!(ok(&holding(PyPy38, u(b"\xff")), PyPy38));
    let latin = s().raw(b"z\x01\xe9");
    assert!(ok(&holding(CPython313, latin.clone()), CPython313));
    assert!(!ok(&holding(PyPy38, latin), PyPy38));
}

#[test]
fn float_text() {
    let float = |text: &str| s().raw(&[b'f', text.len() as u8]).raw(text.as_bytes());
    assert!(ok(&holding(CPython2, float("1.5e-3")), CPython2));
    assert!(ok(&holding(CPython38, float("1\0junk")), CPython38));
    assert!(!ok(&holding(CPython38, float(" 1.5")), CPython38));
    assert!(ok(&holding(PyPy38, float(" 1_5 ")), PyPy38));
    let complex = s().raw(b"x\x031.5\x03abc");
    assert!(!ok(&holding(CPython311, complex), CPython311));
}

#[test]
fn dicts_and_sets() {
    let v = CPython311;
    let list = s().raw(b"[").int(0);
    let dict = |entries: &[&S]| {
        entries
            .iter()
            .fold(s().raw(b"{"), |acc, e| acc.obj(e))
            .raw(b"0")
    };
    let none = s().raw(b"N");
    assert!(ok(&holding(v, dict(&[&none, &none])), v));
    let e = error(&holding(v, dict(&[&list, &none])), v);
    assert_eq!(e.what, "unhashable type: 'list'");
    let tuple_of_list = tuple(v, std::slice::from_ref(&list));
    assert!(!ok(&holding(v, dict(&[&tuple_of_list, &none])), v));
    let set = s().raw(b"<").int(1).obj(&list);
    assert!(!ok(&holding(v, set), v));
    // A NULL value ends a dict in 3.x; Python 2 drops the key and reads on; PyPy raises.
    let null_value = s().raw(b"{N0");
    assert!(ok(&holding(v, null_value.clone()), v));
    assert!(!ok(&holding(PyPy38, null_value), PyPy38));
    let py2 = s().raw(b"{N0NN0");
    assert!(ok(&holding(CPython2, py2.clone()), CPython2));
    assert!(!ok(&holding(CPython38, py2), CPython38));
    // A NULL item in a tuple fails everywhere.
    assert!(!ok(&holding(v, tuple(v, &[s().raw(b"0")])), v));
}

#[test]
fn nesting_depth() {
    // Depth counts every object: the code object (1), its constants (2), then the lists.
    let nested = |lists: usize| {
        let mut item = s();
        for _ in 0..lists {
            item = item.raw(b"[").int(1);
        }
        item.raw(b"N")
    };
    let v = CPython312;
    assert!(ok(&holding(v, nested(1997)), v));
    let e = error(&holding(v, nested(1998)), v);
    assert_eq!(e.what, "recursion limit exceeded");
    assert!(ok(&holding(PyPy38, nested(4000)), PyPy38));
    // Far deeper than any reader allows: refused, and no recursion on our side.
    assert!(!ok(&holding(PyPy38, nested(200_000)), PyPy38));
}

#[test]
fn code_constructor_checks() {
    let bad = |c: Code, version: MarshalVersion| !ok(&c.encode(version), version);
    let one_name = |version| Some(tuple(version, &[name(version, "a")]));
    for version in [CPython2, CPython34, CPython38] {
        assert!(
            bad(
                Code {
                    argcount: -1,
                    ..code()
                },
                version
            ),
            "{version:?}"
        );
        assert!(
            bad(
                Code {
                    nlocals: -1,
                    ..code()
                },
                version
            ),
            "{version:?}"
        );
        assert!(bad(
            Code {
                names: Some(tuple(version, &[s().raw(b"N")])),
                ..code()
            },
            version
        ));
        assert!(bad(
            Code {
                filename: Some(s().raw(b"N")),
                ..code()
            },
            version
        ));
    }
    // Python 2 takes any negative stack size; 3.8 does not.
    assert!(!bad(
        Code {
            stacksize: -1,
            ..code()
        },
        CPython2
    ));
    assert!(bad(
        Code {
            stacksize: -1,
            ..code()
        },
        CPython38
    ));
    assert!(!bad(
        Code {
            stacksize: -1,
            ..code()
        },
        CPython34
    ));
    // Arguments need variable names (3.x); Python 2 does not check.
    let args = |version| {
        Code {
            argcount: 1,
            ..code()
        }
        .encode(version)
    };
    assert!(ok(&args(CPython2), CPython2));
    assert_eq!(
        error(&args(CPython34), CPython34).what,
        "code: varnames is too small"
    );
    let named = Code {
        argcount: 1,
        varnames: one_name(CPython38),
        ..code()
    };
    assert!(!bad(named, CPython38));
    // 3.11+: locals-plus kinds decide what counts as a local; bytecode length must be even.
    let v = CPython311;
    let local = |kind: u8| Code {
        argcount: 1,
        nlocals: 0,
        varnames: one_name(v),
        kinds: bytes(&[kind]),
        ..code()
    };
    assert!(!bad(local(0x20), v));
    assert_eq!(
        error(&local(0x40).encode(v), v).what,
        "code: co_varnames is too small"
    );
    let mismatch = Code {
        kinds: bytes(b" "),
        ..code()
    };
    assert!(bad(mismatch, v));
    let odd = Code {
        code: bytes(b"d\x00S"),
        ..code()
    };
    assert_eq!(error(&odd.encode(v), v).what, "code: co_code is malformed");
    assert!(!bad(
        Code {
            code: bytes(b"d\x00S"),
            ..code()
        },
        CPython38
    ));
}

#[test]
fn instrumented_opcodes_crash_3_12_and_3_13() {
    // INSTRUMENTED_LINE is 254 in both; INSTRUMENTED_INSTRUCTION 253 (3.12), 247 (3.13).
    let with = |op: u8| Code {
        code: bytes(&[op, 0, b'S', 0]),
        ..code()
    };
    assert!(!ok(&with(254).encode(CPython312), CPython312));
    assert!(!ok(&with(254).encode(CPython313), CPython313));
    assert!(!ok(&with(253).encode(CPython312), CPython312));
    assert!(ok(&with(253).encode(CPython313), CPython313));
    assert!(ok(&with(254).encode(CPython311), CPython311));
}

#[test]
fn null_code_fields() {
    // Up to 3.10 a code object whose field is NULL returns NULL without an error: as a dict
    // key it ends the dict, and the reader goes on after the NULL.
    for (version, accepted) in [(CPython2, true), (CPython38, true), (CPython311, false)] {
        let ints = match version.layout() {
            Layout::Py2 => 4,
            Layout::Py38 => 6,
            _ => 5,
        };
        let full = code().encode(version);
        let null_code = s().raw(b"c").raw(&vec![0; 4 * ints]).raw(b"0");
        let consts = tuple(version, &[s().raw(b"{").obj(&null_code)]);
        let head = 1 + 4 * ints;
        let code_field = code().code.0.len();
        let default_consts = tuple(version, &[s().raw(b"N")]).0.len();
        let body = s()
            .raw(&full[..head + code_field])
            .obj(&consts)
            .raw(&full[head + code_field + default_consts..]);
        assert_eq!(ok(&body.0, version), accepted, "{version:?}");
    }
}

#[test]
fn pypy_code_objects() {
    let v = PyPy38;
    // Sequences may be any iterable, names may be bytes.
    let list_names = Code {
        names: Some(s().raw(b"[").int(1).obj(&bytes(b"x"))),
        ..code()
    };
    assert!(ok(&list_names.encode(v), v));
    assert!(!ok(
        &Code {
            consts: Some(s().raw(b"N")),
            ..code()
        }
        .encode(v),
        v
    ));
    assert!(!ok(
        &Code {
            argcount: -1,
            ..code()
        }
        .encode(v),
        v
    ));
    let surrogate = Code {
        filename: Some(s().sized(b"u", b"\xed\xa0\x80")),
        ..code()
    };
    assert!(!ok(&surrogate.encode(v), v));
    let varargs = Code {
        flags: 0x44,
        ..code()
    };
    assert!(error(&varargs.encode(v), v)
        .what
        .contains("undefined behaviour"));
    assert!(ok(
        &Code {
            argcount: 3,
            ..code()
        }
        .encode(v),
        v
    ));
}

#[test]
fn no_input_panics() {
    // Random streams, and valid bodies with bytes flipped, for every reader.
    let mut rng = fastrand::Rng::with_seed(0x5EED);
    for version in ALL {
        let valid = holding(version, tuple(version, &[s().raw(b"{N0"), bytes(b"x")]));
        for _ in 0..2000 {
            let len = rng.usize(..64);
            let noise: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let _ = check_as(&noise, version);
            let mut flipped = valid.clone();
            for _ in 0..1 + rng.usize(..3) {
                let at = rng.usize(..flipped.len());
                flipped[at] = rng.u8(..);
            }
            let _ = check_as(&flipped, version);
        }
    }
}
