//! RustPython's magic numbers, read from `RustPython/RustPython`'s history.
//!
//! RustPython's import is CPython's importlib from its bundled `Lib`, so its caches have PEP
//! 552 headers (16 bytes, flags) and are accepted only with the running build's own magic. What
//! it wrote there changed with its builds, not with releases:
//! - 2019-07 (commit 054bc7206) to 2025-12: the first four ASCII characters of the build's git
//!   revision (random bytes without one), set over `_bootstrap_external.MAGIC_NUMBER` at start
//!   (`vm/src/import.rs`): not a `NNNN\r\n` number at all;
//! - 2025-12-26 (7f4d308ef): the bundled `Lib/importlib/_bootstrap_external.py`'s CPython
//!   number, 3531, then 3571 (a4df238b3, the 3.13 importlib);
//! - 2026-01 to 2026-05: `PYC_MAGIC_NUMBER` in `crates/vm/src/version.rs`, numbers CPython never
//!   used: 2997 (eee360822, Python 3.13; kept when 3.14 came on 2026-01-13), 2996 (97167ab1c,
//!   3.14), 2997 again (3e9f825e1, 3.14), 2994 (403c2be01, 3.14);
//! - since 2026-05-24 (b5ff41c21): CPython 3.14's 3627 under the tag `cpython-314`.
//!
//! This module knows the numbers of CPython's free range below 3000 that RustPython used; the
//! CPython numbers it borrowed stay CPython's (the `rustpython-NNN` tag names the reader).

use super::{Implementation, KnownMagic, PyVersion};

/// RustPython's own number, if `num` is one (2994-2997, its 2026 builds).
pub(super) fn rustpython(num: u16) -> Option<KnownMagic> {
    let (label, python) = match num {
        2994 | 2996 => ("RustPython 3.14 (2026 builds)", Some(PyVersion::new(3, 14))),
        2997 => ("RustPython 3.13-3.14 (2026 builds)", None),
        _ => return None,
    };
    Some(KnownMagic {
        implementation: Implementation::RustPython,
        python,
        label: label.into(),
        unicode_flag: false,
    })
}

/// Returns true if and only if `head` starts with what RustPython builds of 2019-2025 wrote as
/// their magic: four lowercase hex digits of their git revision.
pub(crate) fn is_git_revision_magic(head: &[u8]) -> bool {
    head.len() >= 4
        && head[..4]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_own_numbers_only() {
        assert_eq!(
            rustpython(2996).unwrap().python,
            Some(PyVersion::new(3, 14))
        );
        assert_eq!(rustpython(2997).unwrap().python, None);
        assert_eq!(
            rustpython(2994).unwrap().implementation,
            Implementation::RustPython
        );
        assert!(rustpython(2995).is_none());
        assert!(rustpython(3531).is_none());
    }

    #[test]
    fn git_revision_magics_are_hex_text() {
        assert!(is_git_revision_magic(b"cc1e\0\0\0\0"));
        assert!(is_git_revision_magic(b"0a9f"));
        assert!(!is_git_revision_magic(b"cc1"));
        assert!(!is_git_revision_magic(b"CC1E"));
        assert!(!is_git_revision_magic(&[0xcb, 0x0d, 0x0d, 0x0a]));
    }
}
