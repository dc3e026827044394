//! The interpreter that judges a cache, and the rules it applies.
//!
//! A `__pycache__` file is read only by the interpreter its tag names; a legacy file by the one
//! its magic names. Each has its own header era, mtime comparison, SipHash variant and marshal
//! format; this module maps an implementation and version to those rules, and decides whether
//! a file's magic is one its tag's interpreter writes.

use std::fmt;

use crate::pyc::header::Era;
use crate::pyc::magic::{Implementation, KnownMagic, PyVersion};
use crate::pyc::marshal::{self, MarshalError, MarshalVersion};
use crate::python::naming::TagClaim;
use crate::python::source::{HashVariant, MtimeRule};

/// An interpreter: implementation and (where known) language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interpreter {
    pub implementation: Implementation,
    pub python: Option<PyVersion>,
}

const fn v(major: u8, minor: u8) -> PyVersion {
    PyVersion::new(major, minor)
}

impl Interpreter {
    pub fn from_magic(known: &KnownMagic) -> Self {
        Interpreter {
            implementation: known.implementation,
            python: known.python,
        }
    }

    fn version_or_latest(&self) -> PyVersion {
        self.python.unwrap_or(v(3, 99))
    }

    /// The header layout this interpreter reads.
    pub fn era(&self) -> Era {
        match self.version_or_latest() {
            p if p < v(3, 3) => Era::Classic8,
            p if p < v(3, 7) => Era::Sized12,
            _ => Era::Flags16,
        }
    }

    pub fn mtime_rule(&self) -> MtimeRule {
        match self.version_or_latest() {
            p if p < v(3, 3) => MtimeRule::Signed32,
            p if p < v(3, 7) => MtimeRule::Unmasked,
            _ => MtimeRule::Masked,
        }
    }

    pub fn hash_variant(&self) -> HashVariant {
        match self.implementation {
            Implementation::PyPy => HashVariant::Sip24,
            Implementation::GraalPy => HashVariant::Sip13,
            Implementation::RustPython => HashVariant::RustPython,
            Implementation::CPython if self.version_or_latest() < v(3, 11) => HashVariant::Sip24,
            Implementation::CPython => HashVariant::Sip13,
        }
    }

    /// Marshal type bytes a code object may start with; `None` where the body is not marshal.
    pub fn code_markers(&self) -> Option<&'static [u8]> {
        match self.implementation {
            Implementation::GraalPy | Implementation::RustPython => None,
            // Marshal version 3 (3.4+) may flag the code object as a reference: 'c' | 0x80.
            _ if self.version_or_latest() >= v(3, 4) => Some(&[0x63, 0xE3]),
            _ => Some(&[0x63]),
        }
    }

    /// Returns true if and only if this interpreter imports a legacy `NAME.pyc` that sits
    /// beside `NAME.py` (Python 1.x, 2.x, 3.0 and 3.1); 3.2+ import the source instead.
    pub fn reads_legacy_beside_source(&self) -> bool {
        self.version_or_latest() < v(3, 2)
    }
}

impl fmt::Display for Interpreter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.implementation, self.python) {
            (Implementation::CPython, Some(p)) => write!(f, "Python {p}"),
            (imp, Some(p)) => write!(f, "{imp} {p}"),
            (imp, None) => write!(f, "{imp}"),
        }
    }
}

/// Returns true if and only if the interpreter a tag names writes caches with this magic.
pub(crate) fn tag_accepts(claim: TagClaim, magic: &KnownMagic) -> bool {
    let same_version = claim.python.is_none() || magic.python == claim.python;
    match (claim.implementation, magic.implementation) {
        (Implementation::CPython, Implementation::CPython) => magic.python == claim.python,
        (Implementation::PyPy, Implementation::PyPy) => same_version,
        // PyPy 7.3.6-7.3.9 wrote CPython's 3.8 / 3.9 magic under the pypy38 / pypy39 tags.
        (Implementation::PyPy, Implementation::CPython) => {
            matches!(claim.python, Some(p) if p == v(3, 8) || p == v(3, 9))
                && magic.python == claim.python
        }
        (Implementation::GraalPy, Implementation::GraalPy) => true,
        // GraalPy 20.3's `_imp.get_magic()` gave CPython 3.8's 3413 (`ImpModuleBuiltins.java`)
        // under its tag `graalpython-38`.
        (Implementation::GraalPy, Implementation::CPython) => {
            claim.python == Some(v(3, 8)) && magic.python == claim.python
        }
        // RustPython's builds changed their number without changing the tag (RustPython's own
        // 2994-2997, CPython's 3531 and 3571, see `pyc::magic`): a cache under its tag is taken
        // to be the running build's, whatever its number, as nothing tells which build runs.
        (Implementation::RustPython, _) => true,
        _ => false,
    }
}

impl Interpreter {
    /// The reader of an interpreter; `None` where caches are not CPython marshal streams
    /// (GraalPy's own format; RustPython's marshal of code objects was its own until 2026).
    /// An unknown version is taken to be the latest.
    pub fn marshal_version(&self) -> Option<MarshalVersion> {
        let p = self.python.unwrap_or(PyVersion::new(3, 99));
        let version = match self.implementation {
            Implementation::GraalPy | Implementation::RustPython => return None,
            Implementation::PyPy if p.major < 3 => MarshalVersion::CPython2,
            Implementation::PyPy if p < PyVersion::new(3, 8) => MarshalVersion::PyPy3,
            Implementation::PyPy => MarshalVersion::PyPy38,
            Implementation::CPython if p.major < 3 => MarshalVersion::CPython2,
            Implementation::CPython if p < PyVersion::new(3, 4) => MarshalVersion::CPython30,
            Implementation::CPython if p < PyVersion::new(3, 8) => MarshalVersion::CPython34,
            Implementation::CPython if p < PyVersion::new(3, 11) => MarshalVersion::CPython38,
            Implementation::CPython if p < PyVersion::new(3, 12) => MarshalVersion::CPython311,
            Implementation::CPython if p < PyVersion::new(3, 13) => MarshalVersion::CPython312,
            Implementation::CPython if p < PyVersion::new(3, 14) => MarshalVersion::CPython313,
            Implementation::CPython => MarshalVersion::CPython314,
        };
        Some(version)
    }
}

/// Checks that `marshal.loads(body)` of this interpreter succeeds and yields a code object, as
/// the import requires. Trailing bytes are accepted, as the import accepts them. Bodies of
/// caches that are not CPython marshal streams (GraalPy, RustPython) are not judged.
pub fn check_body(body: &[u8], interpreter: &Interpreter) -> Result<(), MarshalError> {
    match interpreter.marshal_version() {
        Some(version) => marshal::check_as(body, version).map(|_| ()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyc::magic::{lookup, Magic, MagicId};

    fn known(num: u16) -> KnownMagic {
        match lookup(Magic(num)) {
            MagicId::Known(k) => k,
            other => panic!("{other:?}"),
        }
    }

    fn cpython(major: u8, minor: u8) -> Interpreter {
        Interpreter {
            implementation: Implementation::CPython,
            python: Some(v(major, minor)),
        }
    }

    #[test]
    fn rules_per_version() {
        assert_eq!(cpython(2, 7).era(), Era::Classic8);
        assert_eq!(cpython(3, 2).era(), Era::Classic8);
        assert_eq!(cpython(3, 6).era(), Era::Sized12);
        assert_eq!(cpython(3, 7).era(), Era::Flags16);
        assert_eq!(cpython(2, 7).mtime_rule(), MtimeRule::Signed32);
        assert_eq!(cpython(3, 6).mtime_rule(), MtimeRule::Unmasked);
        assert_eq!(cpython(3, 13).mtime_rule(), MtimeRule::Masked);
        assert_eq!(cpython(3, 10).hash_variant(), HashVariant::Sip24);
        assert_eq!(cpython(3, 11).hash_variant(), HashVariant::Sip13);
        let pypy = Interpreter {
            implementation: Implementation::PyPy,
            python: Some(v(3, 11)),
        };
        assert_eq!(pypy.hash_variant(), HashVariant::Sip24);
        assert_eq!(cpython(3, 3).code_markers(), Some(&[0x63][..]));
        assert!(cpython(3, 1).reads_legacy_beside_source());
        assert!(!cpython(3, 2).reads_legacy_beside_source());
    }

    #[test]
    fn tags_accept_their_own_magics_only() {
        let claim = |implementation, python| TagClaim {
            implementation,
            python,
        };
        let cp311 = claim(Implementation::CPython, Some(v(3, 11)));
        assert!(tag_accepts(cp311, &known(3495)));
        assert!(
            tag_accepts(cp311, &known(3494)),
            "3.11 pre-release under the 3.11 tag"
        );
        assert!(!tag_accepts(cp311, &known(3439)));
        let pypy39 = claim(Implementation::PyPy, Some(v(3, 9)));
        assert!(tag_accepts(pypy39, &known(336)));
        assert!(tag_accepts(pypy39, &known(3425)));
        assert!(!tag_accepts(pypy39, &known(384)));
        assert!(!tag_accepts(
            claim(Implementation::PyPy, Some(v(3, 10))),
            &known(3439)
        ));
        assert!(tag_accepts(claim(Implementation::PyPy, None), &known(160)));
        assert!(tag_accepts(
            claim(Implementation::GraalPy, Some(v(3, 12))),
            &known(21290)
        ));
        let graal38 = claim(Implementation::GraalPy, Some(v(3, 8)));
        assert!(tag_accepts(graal38, &known(3413)));
        assert!(!tag_accepts(graal38, &known(3425)));
        assert!(!tag_accepts(
            claim(Implementation::GraalPy, Some(v(3, 10))),
            &known(3439)
        ));
        let rust313 = claim(Implementation::RustPython, Some(v(3, 13)));
        for num in [3531, 3571, 2997] {
            assert!(
                tag_accepts(rust313, &known(num)),
                "rustpython-313, magic {num}"
            );
        }
        assert!(tag_accepts(
            claim(Implementation::RustPython, None),
            &known(2994)
        ));
        assert!(!tag_accepts(cp311, &known(2996)));
    }

    #[test]
    fn versions_from_interpreters() {
        let of = |implementation, python: Option<(u8, u8)>| {
            (Interpreter {
                implementation,
                python: python.map(|(a, b)| PyVersion::new(a, b)),
            })
            .marshal_version()
        };
        use Implementation::{CPython, GraalPy, PyPy};
        assert_eq!(of(CPython, Some((2, 7))), Some(MarshalVersion::CPython2));
        assert_eq!(of(CPython, Some((3, 3))), Some(MarshalVersion::CPython30));
        assert_eq!(of(CPython, Some((3, 7))), Some(MarshalVersion::CPython34));
        assert_eq!(of(CPython, Some((3, 10))), Some(MarshalVersion::CPython38));
        assert_eq!(of(CPython, Some((3, 11))), Some(MarshalVersion::CPython311));
        assert_eq!(of(CPython, Some((3, 12))), Some(MarshalVersion::CPython312));
        assert_eq!(of(CPython, Some((3, 13))), Some(MarshalVersion::CPython313));
        assert_eq!(of(CPython, Some((3, 14))), Some(MarshalVersion::CPython314));
        assert_eq!(of(CPython, None), Some(MarshalVersion::CPython314));
        assert_eq!(of(PyPy, Some((2, 7))), Some(MarshalVersion::CPython2));
        assert_eq!(of(PyPy, Some((3, 7))), Some(MarshalVersion::PyPy3));
        assert_eq!(of(PyPy, Some((3, 9))), Some(MarshalVersion::PyPy38));
        assert_eq!(of(GraalPy, Some((3, 11))), None);
        assert_eq!(of(Implementation::RustPython, Some((3, 13))), None);
        let rustpython = Interpreter {
            implementation: Implementation::RustPython,
            python: None,
        };
        assert_eq!(rustpython.era(), Era::Flags16);
        assert_eq!(rustpython.mtime_rule(), MtimeRule::Masked);
        assert_eq!(rustpython.hash_variant(), HashVariant::RustPython);
        assert!(!rustpython.reads_legacy_beside_source());
        assert_eq!(rustpython.to_string(), "RustPython");
        let graalpy = Interpreter {
            implementation: GraalPy,
            python: None,
        };
        assert_eq!(check_body(b"not marshal", &graalpy), Ok(()));
    }
}
