//! What the validator keeps of each object: its marshal type and a short summary.
//!
//! The reader builds objects; this validator keeps, for each one, its Python type ([`Kind`]),
//! a length, where a string's payload lies, and a few facts about a container's items
//! ([`Items`]: hashable, all `str`, all `bytes`, free of tuples that hold themselves). That is
//! all the checks need: dict keys and set items must hash, name tuples must hold strings,
//! constants must not loop; a code object's bytecode and locals-plus kinds are re-read from
//! the body.

/// A marshal type, from the type byte without `FLAG_REF`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Type {
    Null,
    /// `N`, `F`, `T`, `S`, `.`.
    Singleton,
    Int,
    Int64,
    Long,
    Float,
    BinaryFloat,
    Complex,
    BinaryComplex,
    String,
    Interned,
    StringRef,
    Ref,
    Tuple,
    SmallTuple,
    List,
    Dict,
    Code,
    Unicode,
    Set,
    FrozenSet,
    /// `a` and `A` (interned), a 4-byte length.
    Ascii,
    /// `z` and `Z` (interned), a 1-byte length.
    ShortAscii,
    Slice,
}

impl Type {
    pub(super) fn from_code(code: u8) -> Option<Type> {
        Some(match code {
            b'0' => Type::Null,
            b'N' | b'F' | b'T' | b'S' | b'.' => Type::Singleton,
            b'i' => Type::Int,
            b'I' => Type::Int64,
            b'l' => Type::Long,
            b'f' => Type::Float,
            b'g' => Type::BinaryFloat,
            b'x' => Type::Complex,
            b'y' => Type::BinaryComplex,
            b's' => Type::String,
            b't' => Type::Interned,
            b'R' => Type::StringRef,
            b'r' => Type::Ref,
            b'(' => Type::Tuple,
            b')' => Type::SmallTuple,
            b'[' => Type::List,
            b'{' => Type::Dict,
            b'c' => Type::Code,
            b'u' => Type::Unicode,
            b'<' => Type::Set,
            b'>' => Type::FrozenSet,
            b'a' | b'A' => Type::Ascii,
            b'z' | b'Z' => Type::ShortAscii,
            b':' => Type::Slice,
            _ => return None,
        })
    }

    pub(super) fn is_singleton(self) -> bool {
        matches!(self, Type::Null | Type::Singleton)
    }
}

/// The Python type of an unmarshalled object, as far as the checks need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// The NULL that ends a dict (and that a failed code object returns without an error).
    Null,
    /// None, True, False, StopIteration, Ellipsis.
    Singleton,
    Int,
    Float,
    Complex,
    /// Python 3 `bytes`; Python 2 `str`.
    Bytes,
    /// Python 3 `str`; Python 2 `unicode`.
    Text,
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
    Code,
    Slice,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Null => "NULL",
            Kind::Singleton => "singleton",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Complex => "complex",
            Kind::Bytes => "bytes",
            Kind::Text => "str",
            Kind::Tuple => "tuple",
            Kind::List => "list",
            Kind::Dict => "dict",
            Kind::Set => "set",
            Kind::FrozenSet => "frozenset",
            Kind::Code => "code",
            Kind::Slice => "slice",
        }
    }
}

/// Facts that hold for every item of a container (vacuously for an empty one). For a dict,
/// the items are its keys (what iterating it yields); for a code object, its constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Items(u8);

impl Items {
    pub(super) const NONE: Items = Items(0);
    /// Every item can be hashed.
    pub(super) const HASHABLE: Items = Items(1);
    /// Every item is exactly Python 3 `str` / Python 2 `unicode`.
    pub(super) const TEXT: Items = Items(2);
    /// Every item is exactly Python 3 `bytes` / Python 2 `str`.
    pub(super) const BYTES: Items = Items(4);
    /// Every item is text or bytes (what PyPy accepts as a name).
    pub(super) const NAMES: Items = Items(8);
    /// No item is a tuple or frozenset that holds, through tuples and frozensets, a tuple
    /// still being read (a reference back to it): CPython 3's `intern_string_constants`
    /// recurses through exactly those, forever or into its NULL items.
    pub(super) const ACYCLIC: Items = Items(16);
    pub(super) const ALL: Items = Items(31);

    /// Both sets of facts.
    pub(super) const fn union(self, other: Items) -> Items {
        Items(self.0 | other.0)
    }

    pub(super) fn has(self, fact: Items) -> bool {
        self.0 & fact.0 == fact.0
    }

    /// The facts that still hold once `item` is added.
    pub(super) fn with(self, item: &Value) -> Items {
        let mut own = Items::NONE.0;
        if item.is_hashable() {
            own |= Items::HASHABLE.0;
        }
        match item.kind {
            Kind::Text => own |= Items::TEXT.0 | Items::NAMES.0,
            Kind::Bytes => own |= Items::BYTES.0 | Items::NAMES.0,
            _ => {}
        }
        let nested = matches!(item.kind, Kind::Tuple | Kind::FrozenSet);
        if !nested || item.items.has(Items::ACYCLIC) {
            own |= Items::ACYCLIC.0;
        }
        Items(self.0 & own)
    }
}

/// A summary of an unmarshalled object: what the checks of its containers need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Value {
    pub(super) kind: Kind,
    /// Payload length of a string; item count of a container.
    pub(super) len: usize,
    /// Offset of a string's payload in the body.
    pub(super) at: usize,
    pub(super) items: Items,
}

impl Value {
    pub(super) fn of(kind: Kind) -> Value {
        Value {
            kind,
            len: 0,
            at: 0,
            items: Items::ALL,
        }
    }

    pub(super) fn string(kind: Kind, at: usize, len: usize) -> Value {
        Value {
            kind,
            len,
            at,
            items: Items::ALL,
        }
    }

    pub(super) fn is_hashable(&self) -> bool {
        match self.kind {
            Kind::List | Kind::Dict | Kind::Set | Kind::Null => false,
            Kind::Tuple | Kind::Code | Kind::Slice => self.items.has(Items::HASHABLE),
            _ => true,
        }
    }
}
