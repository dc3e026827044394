//! The bytecode cache file itself: magic numbers, header layouts, and the rules of the
//! interpreter that reads it (header era, mtime comparison, hash variant, marshal markers).

pub mod header;
pub mod interp;
pub mod magic;
pub mod marshal;
