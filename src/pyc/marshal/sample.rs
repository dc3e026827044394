//! Hand-built marshal streams for tests: a builder of objects and a valid empty-module code
//! object per reader, shared by the reader's tests and the verdict's.

use super::code::Layout;
use super::MarshalVersion::{self, *};

/// A stream under construction.
#[derive(Clone, Default)]
pub(crate) struct S(pub(crate) Vec<u8>);

impl S {
    pub(crate) fn raw(mut self, bytes: &[u8]) -> S {
        self.0.extend_from_slice(bytes);
        self
    }
    pub(crate) fn int(self, n: i32) -> S {
        self.raw(&n.to_le_bytes())
    }
    pub(crate) fn obj(self, other: &S) -> S {
        self.raw(&other.0)
    }
    pub(crate) fn sized(self, code: &[u8], payload: &[u8]) -> S {
        self.raw(code).int(payload.len() as i32).raw(payload)
    }
}

pub(crate) fn s() -> S {
    S::default()
}

/// A tuple of items: `(` for the old readers, `)` from 3.4.
pub(crate) fn tuple(version: MarshalVersion, items: &[S]) -> S {
    let head = match version {
        CPython2 | CPython30 => s().raw(b"(").int(items.len() as i32),
        _ => s().raw(&[b')', items.len() as u8]),
    };
    items.iter().fold(head, |acc, item| acc.obj(item))
}

/// A name: `t` (Python 2 interned str), `u` (3.0-3.3), `z` (3.4+).
pub(crate) fn name(version: MarshalVersion, text: &str) -> S {
    match version {
        CPython2 => s().sized(b"t", text.as_bytes()),
        CPython30 => s().sized(b"u", text.as_bytes()),
        _ => s().raw(&[b'z', text.len() as u8]).raw(text.as_bytes()),
    }
}

pub(crate) fn bytes(payload: &[u8]) -> S {
    s().sized(b"s", payload)
}

/// A code object's fields, defaulting to a valid empty module.
#[derive(Clone)]
pub(crate) struct Code {
    pub(crate) argcount: i32,
    pub(crate) posonly: i32,
    pub(crate) kwonly: i32,
    pub(crate) nlocals: i32,
    pub(crate) stacksize: i32,
    pub(crate) flags: i32,
    pub(crate) code: S,
    pub(crate) consts: Option<S>,
    pub(crate) names: Option<S>,
    pub(crate) varnames: Option<S>,
    pub(crate) kinds: S,
    pub(crate) filename: Option<S>,
    pub(crate) lnotab: S,
}

pub(crate) fn code() -> Code {
    Code {
        argcount: 0,
        posonly: 0,
        kwonly: 0,
        nlocals: 0,
        stacksize: 1,
        flags: 0x40,
        code: bytes(b"d\x00S\x00"),
        consts: None,
        names: None,
        varnames: None,
        kinds: bytes(b""),
        filename: None,
        lnotab: bytes(b""),
    }
}

impl Code {
    pub(crate) fn encode(&self, version: MarshalVersion) -> Vec<u8> {
        let empty = tuple(version, &[]);
        let or_empty = |field: &Option<S>| field.clone().unwrap_or_else(|| empty.clone());
        let consts = self
            .consts
            .clone()
            .unwrap_or_else(|| tuple(version, &[s().raw(b"N")]));
        let filename = self
            .filename
            .clone()
            .unwrap_or_else(|| name(version, "m.py"));
        let ints: Vec<i32> = match version.layout() {
            Layout::Py2 => vec![self.argcount, self.nlocals, self.stacksize, self.flags],
            Layout::Py30 => vec![
                self.argcount,
                self.kwonly,
                self.nlocals,
                self.stacksize,
                self.flags,
            ],
            Layout::Py38 => vec![
                self.argcount,
                self.posonly,
                self.kwonly,
                self.nlocals,
                self.stacksize,
                self.flags,
            ],
            Layout::Py311 => vec![
                self.argcount,
                self.posonly,
                self.kwonly,
                self.stacksize,
                self.flags,
            ],
        };
        let mut out = ints.into_iter().fold(s().raw(b"c"), S::int);
        out = out.obj(&self.code).obj(&consts).obj(&or_empty(&self.names));
        out = out.obj(&or_empty(&self.varnames));
        out = match version.layout() {
            Layout::Py311 => out
                .obj(&self.kinds)
                .obj(&filename)
                .obj(&name(version, "<module>"))
                .obj(&name(version, "<module>"))
                .int(1)
                .obj(&self.lnotab)
                .obj(&bytes(b"")),
            _ => out
                .obj(&empty)
                .obj(&empty)
                .obj(&filename)
                .obj(&name(version, "<module>"))
                .int(1)
                .obj(&self.lnotab),
        };
        out.0
    }
}

/// The body of a valid cache of an empty module, as a `version` reader would read it.
pub(crate) fn empty_module(version: MarshalVersion) -> Vec<u8> {
    code().encode(version)
}
