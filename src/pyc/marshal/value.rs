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
    pub(super) const fn from_code(code: u8) -> Option<Type> {
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

    pub(super) const fn is_singleton(self) -> bool {
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

    /// The facts of both.
    pub(super) const fn and(self, other: Items) -> Items {
        Items(self.0 & other.0)
    }
}

/// Per kind, the facts an object of that kind grants as an item, and those it grants only
/// when its own items have them (a tuple hashes when its items do).
const AS_ITEM: [(Items, Items); 14] = {
    const H: u8 = Items::HASHABLE.0;
    const A: u8 = Items::ACYCLIC.0;
    const T: u8 = Items::TEXT.0 | Items::NAMES.0;
    const B: u8 = Items::BYTES.0 | Items::NAMES.0;
    let mut table = [(Items(H | A), Items::NONE); 14];
    table[Kind::Null as usize] = (Items(A), Items::NONE);
    table[Kind::Bytes as usize] = (Items(H | A | B), Items::NONE);
    table[Kind::Text as usize] = (Items(H | A | T), Items::NONE);
    // CPython 3's constant interning recurses through tuples and frozensets only.
    table[Kind::Tuple as usize] = (Items::NONE, Items(H | A));
    table[Kind::FrozenSet as usize] = (Items(H), Items(A));
    table[Kind::List as usize] = (Items(A), Items::NONE);
    table[Kind::Dict as usize] = (Items(A), Items::NONE);
    table[Kind::Set as usize] = (Items(A), Items::NONE);
    table[Kind::Code as usize] = (Items(A), Items(H));
    table[Kind::Slice as usize] = (Items(A), Items(H));
    table
};

/// A summary of an unmarshalled object: what the checks of its containers need. Sixteen
/// bytes, without padding: the walk passes one per object, and this size keeps it in two
/// registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Value {
    pub(super) kind: Kind,
    pub(super) items: Items,
    /// Unused; fills what would be padding (which the compiler copies piecemeal).
    spare: u16,
    /// Payload length of a string; item count of a container (see [`count`]).
    pub(super) len: u32,
    /// Offset of a string's payload in the body.
    pub(super) at: usize,
}

/// A length as a [`Value`] keeps it. Every length but one comes from a 32-bit size or a byte,
/// so it fits; a dict's key count is counted, and saturates past 2**32 - 1 keys (a body of
/// at least 8 GB).
pub(super) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Value {
    pub(super) fn of(kind: Kind) -> Value {
        Value::new(kind, Items::ALL, 0, 0)
    }

    pub(super) fn string(kind: Kind, at: usize, len: usize) -> Value {
        Value::new(kind, Items::ALL, len, at)
    }

    pub(super) fn new(kind: Kind, items: Items, len: usize, at: usize) -> Value {
        Value {
            kind,
            items,
            spare: 0,
            len: count(len),
            at,
        }
    }

    /// The payload of a string.
    pub(super) fn payload<'a>(&self, body: &'a [u8]) -> Option<&'a [u8]> {
        body.get(self.at..)?.get(..self.len as usize)
    }

    /// The facts that hold of this object as an item of a container.
    #[inline]
    pub(super) fn as_item(&self) -> Items {
        let (own, inherited) = AS_ITEM[self.kind as usize];
        Items(own.0 | (inherited.0 & self.items.0))
    }

    pub(super) fn is_hashable(&self) -> bool {
        self.as_item().has(Items::HASHABLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [Kind; 14] = [
        Kind::Null,
        Kind::Singleton,
        Kind::Int,
        Kind::Float,
        Kind::Complex,
        Kind::Bytes,
        Kind::Text,
        Kind::Tuple,
        Kind::List,
        Kind::Dict,
        Kind::Set,
        Kind::FrozenSet,
        Kind::Code,
        Kind::Slice,
    ];

    /// The facts of an item, spelt out rule by rule.
    fn spelt_out(item: &Value) -> Items {
        let hashable = match item.kind {
            Kind::List | Kind::Dict | Kind::Set | Kind::Null => false,
            Kind::Tuple | Kind::Code | Kind::Slice => item.items.has(Items::HASHABLE),
            _ => true,
        };
        let mut own = Items::NONE;
        if hashable {
            own = own.union(Items::HASHABLE);
        }
        match item.kind {
            Kind::Text => own = own.union(Items::TEXT).union(Items::NAMES),
            Kind::Bytes => own = own.union(Items::BYTES).union(Items::NAMES),
            _ => {}
        }
        let nested = matches!(item.kind, Kind::Tuple | Kind::FrozenSet);
        if !nested || item.items.has(Items::ACYCLIC) {
            own = own.union(Items::ACYCLIC);
        }
        own
    }

    #[test]
    fn item_facts_per_kind() {
        for (i, kind) in KINDS.into_iter().enumerate() {
            assert_eq!(kind as usize, i);
            for bits in 0..=Items::ALL.0 {
                let value = Value::new(kind, Items(bits), 0, 0);
                assert_eq!(value.as_item(), spelt_out(&value), "{kind:?} {bits}");
            }
        }
    }
}
