//! Magic numbers: which implementation and Python version wrote a cache.
//!
//! Every cache starts with a 16-bit little-endian number followed by `\r\n`. CPython's numbers
//! come from its own comment list (`data/cpython-magic.csv`, one row per line of that comment,
//! plus 1.3 and 1.4, which predate it and are confirmed by files those releases wrote);
//! PyPy, GraalPy and RustPython use numbers of their own, listed in `graal` and `rust` and here
//! from their sources. A number that no table knows is never an error: it is reported as
//! unknown with the nearest known version, and CPython numbers past the table are placed by
//! CPython's own scheme (3.n starts at 2900 + 50n), GraalPy's by its own (21000 + 10 × its
//! bytecode version).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

mod graal;
mod rust;

pub(crate) use rust::is_git_revision_magic;

/// The implementation that wrote a cache or whose cache tag a file carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Implementation {
    CPython,
    PyPy,
    GraalPy,
    RustPython,
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Implementation::CPython => "CPython",
            Implementation::PyPy => "PyPy",
            Implementation::GraalPy => "GraalPy",
            Implementation::RustPython => "RustPython",
        })
    }
}

/// How many minor versions of each major [`PyVersion::texts`] holds.
const TEXT_MINORS: u8 = 32;

/// A Python language version, major and minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyVersion {
    pub major: u8,
    pub minor: u8,
}

impl PyVersion {
    pub const fn new(major: u8, minor: u8) -> Self {
        PyVersion { major, minor }
    }

    /// `X.Y`, borrowed for the versions Python has had (1.x to 3.x): a record carries one for
    /// every cache judged, and most of them are never printed.
    pub fn label(self) -> Cow<'static, str> {
        static LABELS: OnceLock<Vec<String>> = OnceLock::new();
        let labels = LABELS.get_or_init(|| PyVersion::texts(|v| v.to_string()));
        match self.text_index().and_then(|at| labels.get(at)) {
            Some(label) => Cow::Borrowed(label),
            None => Cow::Owned(self.to_string()),
        }
    }

    /// One text per version 1.0 to 3.31, made by `text`, in [`PyVersion::text_index`] order:
    /// a table of texts made once, to borrow from for every cache.
    pub(crate) fn texts(text: impl Fn(PyVersion) -> String) -> Vec<String> {
        (1..=3u8)
            .flat_map(|major| (0..TEXT_MINORS).map(move |minor| PyVersion::new(major, minor)))
            .map(text)
            .collect()
    }

    /// Where this version's text is in a table of [`PyVersion::texts`], if it has one.
    pub(crate) fn text_index(self) -> Option<usize> {
        let major = usize::from(self.major.checked_sub(1).filter(|&m| m < 3)?);
        (self.minor < TEXT_MINORS)
            .then(|| major * usize::from(TEXT_MINORS) + usize::from(self.minor))
    }

    /// Parses the leading `X.Y` of a label such as `3.11b4` or `3.0-dev(3000)`.
    pub fn parse_prefix(label: &str) -> Option<Self> {
        let mut parts = label.splitn(2, '.');
        let major = parts.next()?.parse().ok()?;
        let rest = parts.next()?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some(PyVersion::new(major, digits.parse().ok()?))
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The 16-bit magic number of a cache (the part before `\r\n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Magic(pub u16);

impl Magic {
    /// The 32-bit word as stored in the file: the number, then `\r\n`. CPython and PyPy key
    /// the source hash with this value (`_RAW_MAGIC_NUMBER`).
    pub fn word(self) -> u32 {
        u32::from(self.0) | 0x0A0D_0000
    }
}

/// What the first four bytes of a cache say about its writer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MagicId {
    /// A number some table knows (or CPython's numbering scheme places).
    Known(KnownMagic),
    /// Well-formed (`NNNN\r\n`) but unknown; carries the nearest known CPython label.
    Unknown { nearest: String },
    /// The bytes are not a magic number at all.
    BadBytes,
}

/// A recognised magic number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownMagic {
    pub implementation: Implementation,
    /// The Python language version; `None` where a number spans several (most of GraalPy's).
    pub python: Option<PyVersion>,
    /// A human label: `3.11`, `3.14a7`, `2.7 -U`, `PyPy 3.9`, `3.16 (inferred)`.
    pub label: Cow<'static, str>,
    /// Python 2 under `-U` writes MAGIC+1; the default interpreter rejects it.
    pub unicode_flag: bool,
}

/// Identifies the writer from the first bytes of a cache (at least 4 needed for a verdict).
pub fn identify(bytes: &[u8]) -> (Option<Magic>, MagicId) {
    if bytes.len() < 4 {
        let magic = (bytes.len() >= 2).then(|| Magic(u16::from_le_bytes([bytes[0], bytes[1]])));
        return (magic, MagicId::BadBytes);
    }
    let magic = Magic(u16::from_le_bytes([bytes[0], bytes[1]]));
    match &bytes[..4] {
        [0x02, 0x99, 0x99, 0x00] => (Some(magic), cpython(1, 0, "1.0")),
        [0x03, 0x99, 0x99, 0x00] => (Some(magic), cpython(1, 1, "1.1-1.2")),
        [_, _, 0x0D, 0x0A] => (Some(magic), lookup(magic)),
        _ => (Some(magic), MagicId::BadBytes),
    }
}

fn cpython(major: u8, minor: u8, label: &'static str) -> MagicId {
    MagicId::Known(KnownMagic {
        implementation: Implementation::CPython,
        python: Some(PyVersion::new(major, minor)),
        label: Cow::Borrowed(label),
        unicode_flag: false,
    })
}

/// Looks up a well-formed magic number in every table, in a fixed order.
pub(crate) fn lookup(magic: Magic) -> MagicId {
    if let Some(entry) = cpython_table().get(&magic.0) {
        return MagicId::Known(entry.clone());
    }
    if let Some(known) = pypy(magic.0)
        .or_else(|| graal::graalpy(magic.0))
        .or_else(|| rust::rustpython(magic.0))
    {
        return MagicId::Known(known);
    }
    if let Some(known) = python2_unicode(magic.0).or_else(|| inferred_cpython(magic.0)) {
        return MagicId::Known(known);
    }
    MagicId::Unknown {
        nearest: nearest_label(magic.0),
    }
}

/// The magic number the final releases of a CPython minor version write.
pub(crate) fn cpython_final(version: PyVersion) -> Option<Magic> {
    final_table().get(&version).copied()
}

/// Returns true if and only if a final CPython release writes this number (a pre-release's
/// number, or one no release wrote, is read only by the build that wrote it).
pub(crate) fn is_cpython_final(magic: Magic) -> bool {
    tables().final_numbers.contains(&magic.0)
}

const CSV: &str = include_str!("../../data/cpython-magic.csv");

struct Tables {
    by_magic: HashMap<u16, KnownMagic>,
    finals: HashMap<PyVersion, Magic>,
    /// Every number a final release writes (3.5 has two: 3.5.0-3.5.1, then 3.5.2+).
    final_numbers: HashSet<u16>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut by_magic = HashMap::new();
        let mut finals = HashMap::new();
        let mut final_numbers = HashSet::new();
        for line in CSV.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let mut cols = line.split(',');
            let (Some(num), Some(version), final_for) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let (Ok(num), Some(python)) = (num.parse::<u16>(), PyVersion::parse_prefix(version))
            else {
                continue;
            };
            let final_for = final_for.unwrap_or("").trim();
            if !final_for.is_empty() {
                finals.insert(python, Magic(num));
                final_numbers.insert(num);
            }
            // A final row wins over earlier pre-release rows of the same number.
            let label = if final_for.is_empty() {
                version
            } else {
                final_for
            };
            if final_for.is_empty() && by_magic.contains_key(&num) {
                continue;
            }
            let entry = KnownMagic {
                implementation: Implementation::CPython,
                python: Some(python),
                label: Cow::Borrowed(label),
                unicode_flag: false,
            };
            by_magic.insert(num, entry);
        }
        Tables {
            by_magic,
            finals,
            final_numbers,
        }
    })
}

fn cpython_table() -> &'static HashMap<u16, KnownMagic> {
    &tables().by_magic
}

fn final_table() -> &'static HashMap<PyVersion, Magic> {
    &tables().finals
}

/// PyPy's own numbers (`pypy_incremental_magic`, and 62218 for PyPy 2.7).
fn pypy(num: u16) -> Option<KnownMagic> {
    let (major, minor) = match num {
        62218 => (2, 7),
        48 => (3, 2),
        64 => (3, 3),
        112 => (3, 5),
        160 | 192 => (3, 6),
        224 | 240 => (3, 7),
        256 => (3, 8),
        320 | 336 => (3, 9),
        384 => (3, 10),
        400 | 416 | 432 => (3, 11),
        448 | 464 => (3, 12),
        _ => return None,
    };
    Some(KnownMagic {
        implementation: Implementation::PyPy,
        python: Some(PyVersion::new(major, minor)),
        label: format!("PyPy {major}.{minor}").into(),
        unicode_flag: false,
    })
}

/// Python 1.6-2.7 write MAGIC+1 under `-U`.
fn python2_unicode(num: u16) -> Option<KnownMagic> {
    let base = cpython_table().get(&num.checked_sub(1)?)?;
    let python = base.python?;
    let is_unicode_era = python.major == 2 || python == PyVersion::new(1, 6);
    is_unicode_era.then(|| KnownMagic {
        label: format!("{} -U", base.label).into(),
        unicode_flag: true,
        ..base.clone()
    })
}

/// CPython 3.11+ numbers its minors from 2900 + 50n; place numbers past the table by it.
fn inferred_cpython(num: u16) -> Option<KnownMagic> {
    if !(3450..3900).contains(&num) {
        return None;
    }
    let minor = u8::try_from((num - 2900) / 50).ok()?;
    Some(KnownMagic {
        implementation: Implementation::CPython,
        python: Some(PyVersion::new(3, minor)),
        label: format!("3.{minor} (inferred)").into(),
        unicode_flag: false,
    })
}

fn nearest_label(num: u16) -> String {
    let nearest = cpython_table()
        .iter()
        .min_by_key(|(known, _)| (known.abs_diff(num), **known))
        .map(|(known, entry)| format!("{} (magic {known})", entry.label));
    nearest.unwrap_or_else(|| "none".to_string())
}

#[cfg(test)]
mod tests;
