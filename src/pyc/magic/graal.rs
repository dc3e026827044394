//! GraalPy's magic numbers, read from `oracle/graalpython` at its release tags (`vm-X.Y.Z`).
//!
//! Since GraalPy 21.0 the number is `21000 + 10 × VERSION` followed by `\r\n`, where VERSION
//! is the version of its own serialized code format: `SerializationUtils.VERSION` (21.0-22.3),
//! then `Compiler.BYTECODE_VERSION` (22.3's default bytecode interpreter, and 23.0-25.1), then
//! `BytecodeDSLCompiler.BYTECODE_VERSION` (25.2 on). The formula lives in
//! `ImpModuleBuiltins.java` (`GetMagic.MAGIC_NUMBER`), since 25.1 in `PythonLanguage.java`
//! (`MAGIC_NUMBER`); commit e4131eb6fd (2020-12) introduced it. The number follows the code
//! format, not the Python version: 21290 is both GraalPy 24.1-24.2 (Python 3.11) and 25.0
//! (Python 3.12), 21330 both 25.2 (3.12) and 25.3 (3.13). So a number names a Python version
//! only where every release writing it implements the same one; any other number of the form
//! is still GraalPy's (no CPython or PyPy number lies in 21000-21990), with no version.

use super::{Implementation, KnownMagic, PyVersion};

/// One number GraalPy releases write: the releases, and their Python version where they agree.
struct Release {
    magic: u16,
    releases: &'static str,
    python: Option<(u8, u8)>,
}

/// Every GraalPy release's number (`PythonLanguage.MAJOR`/`MINOR` at each tag for the Python
/// version). Before 21.0, `_imp.get_magic()` returned CPython's number or `0c af af e1`, and
/// the default `DontWriteBytecodeFlag` kept caches from being written.
const RELEASES: &[Release] = &[
    // SerializationUtils.VERSION 7, 9, 13, 15.
    release(21070, "GraalPy 21.0", Some((3, 8))),
    release(21090, "GraalPy 21.1", Some((3, 8))),
    release(21130, "GraalPy 21.2", Some((3, 8))),
    release(21150, "GraalPy 21.3-22.3", Some((3, 8))),
    // 22.2's opt-in bytecode interpreter (Compiler.BYTECODE_VERSION 21), 22.3's default (26).
    release(21210, "GraalPy 22.2", Some((3, 8))),
    release(21260, "GraalPy 22.3", Some((3, 8))),
    // Compiler.BYTECODE_VERSION 27, 28, 29, 32.
    release(21270, "GraalPy 23.0", Some((3, 10))),
    release(21280, "GraalPy 23.1-24.0", Some((3, 10))),
    release(21290, "GraalPy 24.1-25.0", None),
    release(21320, "GraalPy 25.1", Some((3, 12))),
    // BytecodeDSLCompiler.BYTECODE_VERSION 33: 25.2 is Python 3.12, 25.3 is 3.13.
    release(21330, "GraalPy 25.2-25.3", None),
];

const fn release(magic: u16, releases: &'static str, python: Option<(u8, u8)>) -> Release {
    Release {
        magic,
        releases,
        python,
    }
}

/// GraalPy's number, if `num` is one: a release's, or any other of the form `21000 + 10k`.
pub(super) fn graalpy(num: u16) -> Option<KnownMagic> {
    let (label, python) = match RELEASES.iter().find(|r| r.magic == num) {
        Some(r) => (r.releases.to_string(), r.python),
        None if (21010..=21990).contains(&num) && num % 10 == 0 => (
            format!("GraalPy (code format {})", (num - 21000) / 10),
            None,
        ),
        None => return None,
    };
    Some(KnownMagic {
        implementation: Implementation::GraalPy,
        python: python.map(|(major, minor)| PyVersion::new(major, minor)),
        label: label.into(),
        unicode_flag: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_release_is_placed() {
        let py = |num| graalpy(num).unwrap().python;
        assert_eq!(py(21150), Some(PyVersion::new(3, 8)));
        assert_eq!(py(21260), Some(PyVersion::new(3, 8)));
        assert_eq!(py(21270), Some(PyVersion::new(3, 10)));
        assert_eq!(py(21280), Some(PyVersion::new(3, 10)));
        assert_eq!(py(21320), Some(PyVersion::new(3, 12)));
        // Shared by releases of two Python versions: no version claimed.
        assert_eq!(py(21290), None);
        assert_eq!(py(21330), None);
        for r in RELEASES {
            let known = graalpy(r.magic).unwrap();
            assert_eq!(known.implementation, Implementation::GraalPy);
            assert!(known.label.starts_with("GraalPy "), "{}", known.label);
        }
    }

    #[test]
    fn the_formula_places_future_numbers_and_nothing_else() {
        let next = graalpy(21340).unwrap();
        assert_eq!(next.label, "GraalPy (code format 34)");
        assert_eq!(next.python, None);
        assert!(graalpy(21335).is_none());
        assert!(graalpy(21000).is_none());
        assert!(graalpy(22000).is_none());
        assert!(graalpy(3495).is_none());
    }
}
