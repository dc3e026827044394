//! Who judges a cache, and whether the file is one that interpreter reads at all.
//!
//! The judge of a `__pycache__` or pytest file is the interpreter its tag names; of a legacy
//! file (or one whose tag no interpreter uses), the interpreter its magic names. A magic the
//! judge does not write makes the file a mismatch. A file the judge never opens under default
//! settings (an `opt-N` or `.pyo` name, a legacy file beside its source under 3.2+, an unknown
//! tag) is still judged against its source, but its action is `skip`.

use std::borrow::Cow;

use crate::pyc::header::Era;
use crate::pyc::magic::{
    cpython_final, is_cpython_final, lookup, Implementation, KnownMagic, Magic, MagicId, PyVersion,
};
use crate::python::interp::{tag_accepts, Interpreter};
use crate::python::naming::{CacheName, Layout, OptLevel, PytestVersion, TagClaim};
use crate::python::optimize::{self, Optimize};
use crate::python::source::MtimeRule;

mod rustpython;

/// Whether the file's magic is one its judge writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fit {
    Consistent,
    /// The judge rejects the magic: another version or implementation, or Python 2's `-U`.
    Mismatch(String),
    /// A well-formed magic no table knows.
    Unknown {
        nearest: String,
    },
    /// Not a magic number at all.
    BadBytes,
}

/// The judging interpreter and how the file fits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Judge {
    pub interpreter: Option<Interpreter>,
    pub fit: Fit,
}

impl Judge {
    /// `magic` is the file's first two bytes as a number, even when the `\r\n` after them is
    /// damaged: a known number still tells which interpreter reads (and rewrites) the file.
    /// `head` is the file's first bytes (empty when unread).
    pub(crate) fn choose(
        name: &CacheName,
        magic: Option<Magic>,
        id: &MagicId,
        head: &[u8],
    ) -> Judge {
        let known = match id {
            MagicId::Known(k) => Some(k),
            _ => None,
        };
        let damaged = match (id, magic) {
            (MagicId::BadBytes, Some(m)) => match lookup(m) {
                MagicId::Known(k) => Some(Interpreter::from_magic(&k)),
                _ => None,
            },
            _ => None,
        };
        let from_magic = known.map(Interpreter::from_magic).or(damaged);
        let interpreter = match name.claim() {
            Some(claim) => Some(Interpreter {
                implementation: claim.implementation,
                // A tag without a version takes it from a number of its own implementation.
                python: claim.python.or_else(|| {
                    known
                        .filter(|k| k.implementation == claim.implementation)
                        .filter(|k| tag_accepts(claim, k))
                        .and_then(|k| k.python)
                }),
            }),
            None => from_magic,
        };
        let fit = match id {
            _ if rustpython::claims(name) && !matches!(id, MagicId::Known(_)) => {
                rustpython::fit(head)
            }
            MagicId::BadBytes => Fit::BadBytes,
            MagicId::Unknown { nearest } => Fit::Unknown {
                nearest: nearest.clone(),
            },
            MagicId::Known(k) => fit_of(name, magic, k),
        };
        Judge { interpreter, fit }
    }

    /// The header layout the judge reads this file with.
    /// pytest writes its own headers: 16 bytes (PEP 552) from 6.2 on 3.7+, else 12 bytes
    /// (magic, mtime, size) on every Python, 2.7 included.
    pub(crate) fn era(&self, name: &CacheName) -> Option<Era> {
        let era = self.interpreter?.era();
        match name.layout {
            Layout::Pytest if era == Era::Flags16 && pytest_writes_flags(name) => Some(era),
            Layout::Pytest => Some(Era::Sized12),
            _ => Some(era),
        }
    }

    /// How the mtime is compared: pytest masks `int(st_mtime)` to 32 bits on every Python.
    pub(crate) fn mtime_rule(&self, name: &CacheName) -> Option<MtimeRule> {
        let rule = self.interpreter?.mtime_rule();
        Some(if name.layout == Layout::Pytest {
            MtimeRule::Masked
        } else {
            rule
        })
    }
}

fn fit_of(name: &CacheName, magic: Option<Magic>, known: &KnownMagic) -> Fit {
    let number = magic.map_or(0, |m| m.0);
    if let Some(claim) = name.claim() {
        if !tag_accepts(claim, known) {
            let tag = name.tag.as_ref().map_or("", |t| &*t.text);
            let implementation = known.implementation.to_string();
            let holds = if known.label.starts_with(&implementation) {
                known.label.to_string()
            } else {
                format!("{implementation} {}", known.label)
            };
            return Fit::Mismatch(format!(
                "named {tag} but holds {holds} bytecode (magic {number})"
            ));
        }
    }
    if known.unicode_flag {
        return Fit::Mismatch(format!(
            "written by Python {} (magic+1), which Python {} rejects without -U",
            known.label,
            known.python.map_or_else(String::new, |p| p.to_string())
        ));
    }
    match name
        .claim()
        .and_then(|claim| not_a_release(claim, known, number))
    {
        Some(why) => Fit::Mismatch(why),
        None => Fit::Consistent,
    }
}

/// A CPython tag names a minor version, whose final releases accept only their own final
/// magic: a pre-release's number (or one no release wrote) is `bad magic number` to them.
/// Versions with no final release yet keep accepting their pre-release numbers.
fn not_a_release(claim: TagClaim, known: &KnownMagic, number: u16) -> Option<String> {
    if claim.implementation != Implementation::CPython
        || known.implementation != Implementation::CPython
    {
        return None;
    }
    let python = claim.python?;
    let release = cpython_final(python)?;
    if is_cpython_final(Magic(number)) {
        return None;
    }
    let writer = if known.label.ends_with("(inferred)") {
        format!("magic {number}, which no CPython release writes")
    } else {
        format!(
            "CPython {} bytecode (magic {number}), which only that pre-release reads",
            known.label
        )
    };
    Some(format!(
        "named cpython-{}{} but holds {writer}; Python {python} releases write magic {}",
        python.major, python.minor, release.0
    ))
}

/// pytest 6.2+ writes PEP 552 headers on 3.7+; older releases wrote 12 bytes everywhere.
fn pytest_writes_flags(name: &CacheName) -> bool {
    match &name.pytest {
        Some(PytestVersion::Release(v)) => version_tuple(v) >= (6, 2, 0),
        _ => false,
    }
}

/// The flags word pytest accepts: 0, and 3 (checked hash) in releases after 9.1.1.
pub(crate) fn pytest_accepts_flags(name: &CacheName, flags: u32) -> bool {
    let hash_era = match &name.pytest {
        Some(PytestVersion::Release(v)) => version_tuple(v) > (9, 1, 1),
        _ => false,
    };
    flags == 0 || (hash_era && flags == 3)
}

pub(super) fn version_tuple(version: &str) -> (u32, u32, u32) {
    let mut parts = version.split('.').map(|p| {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap_or(0)
    });
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// Why the judge never opens this file at the optimisation level it runs at, if it does not.
pub(crate) fn never_read(name: &CacheName, judge: &Judge, optimize: Optimize) -> Option<String> {
    let python = judge.interpreter.and_then(|i| i.python);
    let level = optimize.level(judge.interpreter);
    if let Some(why) = optimised_name(name, python, level) {
        return Some(why);
    }
    match name.layout {
        Layout::Pycache | Layout::Pytest | Layout::Prefix if name.claim().is_none() => {
            let tag = name.tag.as_ref().map_or("(none)", |t| &*t.text);
            Some(format!("no interpreter reads the tag {tag}"))
        }
        Layout::Legacy => match judge.interpreter {
            Some(i) if i.reads_legacy_beside_source() => None,
            Some(i) => Some(format!(
                "{i} imports the source, not a legacy .pyc beside it"
            )),
            None => Some("Python 3 imports the source, not a legacy .pyc beside it".into()),
        },
        _ => None,
    }
}

/// Why a name is not the one read at `level`: `opt-N` and `.pyo` names are read only under
/// `-O`, and under `-O` the plain ones are not (pytest keeps its own names).
fn optimised_name(name: &CacheName, python: Option<PyVersion>, level: u8) -> Option<String> {
    if name.layout == Layout::Pytest {
        return None;
    }
    let pyo_era = optimize::uses_pyo(python);
    if name.is_pyo {
        return match (pyo_era, level) {
            (true, 0) => Some("default settings never read a .pyo".into()),
            (true, _) => None,
            (false, _) => Some("Python 3.5+ never reads a .pyo".into()),
        };
    }
    let n = match &name.opt {
        OptLevel::Level(n) => *n,
        OptLevel::Other(s) => return Some(format!("no interpreter writes opt-{s} by default")),
    };
    if (n, level) == (0, 0) {
        return None;
    }
    let flag = optimize::flag_text(level);
    match (n, level) {
        (0, 0) => None,
        (0, _) if pyo_era => Some(format!("under {flag} Python reads the .pyo, not this file")),
        (0, _) => Some(format!(
            "under {flag} Python reads the opt-{level} cache, not this one"
        )),
        (n, 0) => Some(format!("read only under {}", optimize::flag_text(n))),
        (n, level) if n == level => None,
        (n, _) => Some(format!(
            "read only under {}, and Python runs under {flag}",
            optimize::flag_text(n)
        )),
    }
}

/// Returns true if and only if this orphan is a file the judge imports without a source at
/// the level it runs at: a legacy `.pyc` (a `.pyo` under `-O` before 3.5).
pub(crate) fn importable_without_source(
    name: &CacheName,
    judge: &Judge,
    optimize: Optimize,
) -> bool {
    // The finder looks a module up by the last part of its dotted name: a file whose stem
    // holds a dot (`m.cpython-312.pyc` in a pycache-prefix tree) is no module's.
    let dotless = name
        .sources
        .first()
        .and_then(|s| s.file_stem())
        .is_some_and(|stem| !stem.as_encoded_bytes().contains(&b'.'));
    let python = judge.interpreter.and_then(|i| i.python);
    let suffix_read = match optimize::uses_pyo(python) {
        true => name.is_pyo == (optimize.level(judge.interpreter) > 0),
        false => !name.is_pyo,
    };
    name.layout == Layout::Legacy && suffix_read && dotless
}

/// The judge's version for display, `None` when unknown.
pub(crate) fn python_label(judge: &Judge) -> Option<Cow<'static, str>> {
    judge
        .interpreter
        .and_then(|i| i.python)
        .map(PyVersion::label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::naming::parse;
    use std::path::Path;

    fn judge(path: &str, magic: u16) -> (CacheName, Judge) {
        let name = parse(Path::new(path)).unwrap();
        let head = Magic(magic).word().to_le_bytes();
        let judge = Judge::choose(&name, Some(Magic(magic)), &lookup(Magic(magic)), &head);
        (name, judge)
    }

    #[test]
    fn tag_names_the_judge_and_magic_must_fit() {
        let (_, j) = judge("__pycache__/m.cpython-311.pyc", 3439);
        assert_eq!(j.interpreter.unwrap().python, Some(PyVersion::new(3, 11)));
        assert!(
            matches!(j.fit, Fit::Mismatch(ref s) if s.contains("CPython 3.10")),
            "{j:?}"
        );
        let (_, j) = judge("__pycache__/m.cpython-311.pyc", 3495);
        assert_eq!(j.fit, Fit::Consistent);
        let (_, j) = judge("__pycache__/m.cpython-311.pyc", 4242);
        assert!(matches!(j.fit, Fit::Unknown { .. }));
        let (_, j) = judge("__pycache__/m.pypy3-71.pyc", 160);
        assert_eq!(j.interpreter.unwrap().python, Some(PyVersion::new(3, 6)));
    }

    #[test]
    fn legacy_files_are_judged_by_their_magic() {
        let (name, j) = judge("m.pyc", 62211);
        assert_eq!(j.interpreter.unwrap().python, Some(PyVersion::new(2, 7)));
        assert_eq!(never_read(&name, &j, Optimize::default()), None);
        let (name, j) = judge("m.pyc", 3495);
        assert!(never_read(&name, &j, Optimize::default())
            .unwrap()
            .contains("imports the source"));
        let (_, j) = judge("m.pyc", 62212);
        assert!(
            matches!(j.fit, Fit::Mismatch(ref s) if s.contains("-U")),
            "{j:?}"
        );
    }

    #[test]
    fn a_damaged_crlf_still_names_the_reader() {
        let name = parse(Path::new("m.pyc")).unwrap();
        let id = crate::pyc::magic::identify(&[0x03, 0xf3, 0x0a, 0x0d]).1;
        let j = Judge::choose(&name, Some(Magic(62211)), &id, &[0x03, 0xf3, 0x0a, 0x0d]);
        assert_eq!(j.fit, Fit::BadBytes);
        assert_eq!(j.interpreter.unwrap().python, Some(PyVersion::new(2, 7)));
        assert_eq!(
            never_read(&name, &j, Optimize::default()),
            None,
            "Python 2.7 reads legacy files beside sources"
        );
    }

    #[test]
    fn pytest_eras_and_flags() {
        let (name, j) = judge("__pycache__/t.cpython-311-pytest-8.3.4.pyc", 3495);
        assert_eq!(j.era(&name), Some(Era::Flags16));
        assert!(pytest_accepts_flags(&name, 0) && !pytest_accepts_flags(&name, 3));
        let (name, j) = judge("__pycache__/t.cpython-38-pytest-6.1.2.pyc", 3413);
        assert_eq!(j.era(&name), Some(Era::Sized12));
        let (name, j) = judge("__pycache__/t.cpython-27-PYTEST.pyc", 62211);
        assert_eq!(j.era(&name), Some(Era::Sized12));
        assert_eq!(j.mtime_rule(&name), Some(MtimeRule::Masked));
        let (name, _) = judge("__pycache__/t.cpython-313-pytest-9.2.0.dev3.pyc", 3571);
        assert!(pytest_accepts_flags(&name, 3));
    }

    #[test]
    fn the_optimisation_level_picks_the_names_read() {
        let o1 = Optimize::flag(1);
        let (name, j) = judge("__pycache__/m.cpython-311.opt-1.pyc", 3495);
        assert_eq!(never_read(&name, &j, o1), None);
        let (name, j) = judge("__pycache__/m.cpython-311.pyc", 3495);
        assert!(never_read(&name, &j, o1).unwrap().contains("opt-1"));
        let (name, j) = judge("__pycache__/m.cpython-311.opt-2.pyc", 3495);
        assert!(never_read(&name, &j, o1).unwrap().contains("-OO"));
        let (name, j) = judge("util.pyo", 62211);
        assert!(importable_without_source(&name, &j, o1));
        assert!(!importable_without_source(&name, &j, Optimize::default()));
        let (name, j) = judge("util.pyc", 62211);
        assert!(!importable_without_source(&name, &j, o1));
        // 3.5+ imports a sourceless legacy .pyc at any level, never a .pyo.
        let (name, j) = judge("util.pyc", 3495);
        assert!(importable_without_source(&name, &j, o1));
        let (name, j) = judge("util.pyo", 3495);
        assert!(!importable_without_source(&name, &j, o1));
        // PYTHONOPTIMIZE=0 is -O for Python 2 (and 3.6, PyPy), not for CPython 3.7+.
        let env0 = Optimize::from_env("0");
        let (name, j) = judge("util.pyo", 62211);
        assert!(importable_without_source(&name, &j, env0));
        let (name, j) = judge("__pycache__/m.cpython-311.pyc", 3495);
        assert_eq!(never_read(&name, &j, env0), None);
    }

    #[test]
    fn optimised_names_are_never_read_by_default() {
        let (name, j) = judge("__pycache__/m.cpython-311.opt-2.pyc", 3495);
        assert_eq!(
            never_read(&name, &j, Optimize::default()).unwrap(),
            "read only under -OO"
        );
        let (name, j) = judge("__pycache__/m.weird-1.pyc", 3495);
        assert!(never_read(&name, &j, Optimize::default())
            .unwrap()
            .contains("weird-1"));
    }
}
