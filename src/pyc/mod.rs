//! The bytecode cache file itself, as bytes: magic numbers, header layouts and the marshal
//! format of the body. This is the leaf of the pipeline: it imports nothing above it; which
//! interpreter reads which layout is `python::interp`'s business.

pub(crate) mod header;
pub(crate) mod magic;
pub(crate) mod marshal;
