//! How a cache under a RustPython tag fits its judge when its magic is in no table.
//!
//! RustPython's builds changed their magic without changing the tag (see `pyc::magic::rust`),
//! each accepting only its own, and nothing tells which build runs a tree: a cache under its
//! tag is taken to be the running build's, whatever its number (as `tag_accepts` takes every
//! known number). Builds of 2019-2025 wrote four characters of their git revision instead of a
//! number: such a timestamp cache is judged the same way, but a hash-based one cannot be: those
//! builds keyed the source hash with their bundled importlib's `_RAW_MAGIC_NUMBER`, which the
//! file does not record.

use super::Fit;
use crate::pyc::magic::{is_git_revision_magic, Implementation};
use crate::python::naming::CacheName;

/// Returns true if and only if the name's tag is RustPython's.
pub(super) fn claims(name: &CacheName) -> bool {
    name.claim()
        .is_some_and(|c| c.implementation == Implementation::RustPython)
}

/// The fit of a magic no table knows (`head` is the file's first bytes).
pub(super) fn fit(head: &[u8]) -> Fit {
    if head.get(2..4) == Some(b"\r\n") {
        return Fit::Consistent;
    }
    if !is_git_revision_magic(head) {
        return Fit::BadBytes;
    }
    let flags = head
        .get(4..8)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if flags & 1 == 0 {
        return Fit::Consistent;
    }
    Fit::Mismatch(format!(
        "a hash-based cache of a RustPython build of 2019-2025 (magic \"{}\", its git \
         revision), whose source-hash key is unknown here; builds of other revisions reject it",
        String::from_utf8_lossy(&head[..4])
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Judge;
    use super::*;
    use crate::pyc::magic::{identify, PyVersion};
    use crate::python::naming::parse;

    fn judge(path: &str, head: &[u8]) -> Judge {
        let name = parse(Path::new(path)).unwrap();
        let (magic, id) = identify(head);
        Judge::choose(&name, magic, &id, head)
    }

    fn word(num: u16) -> [u8; 4] {
        (u32::from(num) | 0x0A0D_0000).to_le_bytes()
    }

    #[test]
    fn rustpython_tags_take_any_number_of_their_builds() {
        let j = judge("__pycache__/m.rustpython-313.pyc", &word(3531));
        assert_eq!(j.fit, Fit::Consistent);
        let i = j.interpreter.unwrap();
        assert_eq!(i.implementation, Implementation::RustPython);
        assert_eq!(i.python, Some(PyVersion::new(3, 13)));
        let j = judge("__pycache__/m.rustpython-01.pyc", &word(3531));
        assert_eq!(
            (j.fit, j.interpreter.unwrap().python),
            (Fit::Consistent, None)
        );
        let j = judge("__pycache__/m.rustpython-0_5.pyc", &word(2994));
        assert_eq!(j.interpreter.unwrap().python, Some(PyVersion::new(3, 14)));
        let j = judge("__pycache__/m.rustpython-314.pyc", &word(4242));
        assert_eq!(j.fit, Fit::Consistent);
        // Under a CPython tag, an unknown number stays unknown.
        let j = judge("__pycache__/m.cpython-313.pyc", &word(4242));
        assert!(matches!(j.fit, Fit::Unknown { .. }), "{j:?}");
    }

    #[test]
    fn git_revision_magics_of_2019_to_2025() {
        let path = "__pycache__/m.rustpython-01.pyc";
        assert_eq!(judge(path, b"cc1e\0\0\0\0").fit, Fit::Consistent);
        let fit = judge(path, b"cc1e\x01\0\0\0").fit;
        assert!(
            matches!(fit, Fit::Mismatch(ref s) if s.contains("cc1e")),
            "{fit:?}"
        );
        // Bytes that are no revision, and the same bytes under another tag, are no magic.
        assert_eq!(judge(path, b"\xff\xfe\0\0\0\0\0\0").fit, Fit::BadBytes);
        let other = judge("__pycache__/m.cpython-313.pyc", b"cc1e\0\0\0\0");
        assert_eq!(other.fit, Fit::BadBytes);
    }
}
