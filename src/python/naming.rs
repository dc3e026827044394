//! Cache file naming: which source a cache belongs to, and which interpreter its name claims.
//!
//! Three layouts exist side by side in real trees. PEP 3147/488 caches live in `__pycache__`
//! as `<stem>.<tag>[.opt-N].pyc` (stems may hold dots: `foo.bar.cpython-311.pyc` caches
//! `foo.bar.py`); legacy caches sit beside their source as `<stem>.pyc` / `<stem>.pyo`
//! (Python 2, 3.0-3.1, `compileall -b`, sourceless deployments); pytest's assertion-rewrite
//! caches are `<stem>.<tag>-pytest-<version>.pyc`. With a pycache prefix (3.8+), caches named
//! like `__pycache__` ones live in a tree mirroring their source's directory (see `mirror`);
//! pairing them needs that directory, which the caller gives. Parsing is pure: it never touches
//! the disk.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;

use crate::pyc::magic::{Implementation, PyVersion};

/// Where a cache sits relative to its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Pycache,
    Legacy,
    Pytest,
    /// `<prefix>/<source dir>/<stem>.<tag>[.opt-N].pyc` in a pycache-prefix tree.
    Prefix,
}

/// A cache tag as written in a file name (`cpython-311`, `pypy39`, `graalpy250-312`,
/// `rustpython-313`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub text: Cow<'static, str>,
    /// The implementation and version the tag names; `None` for a tag no interpreter uses.
    pub claim: Option<TagClaim>,
}

/// What a recognised tag says about the interpreter that reads the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagClaim {
    pub implementation: Implementation,
    /// The Python version; `None` for tags that do not name it (old PyPy release tags such as
    /// `pypy3-71`, RustPython's `rustpython-01`).
    pub python: Option<PyVersion>,
}

/// The optimisation level in a name: `opt-1`, `opt-2`, `.pyo`, or none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptLevel {
    Level(u8),
    /// `opt-<alnum>` that is not a number; no interpreter writes it by default.
    Other(String),
}

/// The version of pytest that wrote an assertion-rewrite cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PytestVersion {
    /// `-PYTEST` tags, written by pytest 4.6 and older.
    Legacy,
    Release(String),
}

/// Everything the file name of a cache says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheName {
    pub layout: Layout,
    pub tag: Option<Tag>,
    pub opt: OptLevel,
    /// True for `.pyo`, which default settings never read.
    pub is_pyo: bool,
    pub pytest: Option<PytestVersion>,
    /// The source files this cache may belong to, in the order the interpreter tries them.
    pub sources: [PathBuf; 2],
}

impl CacheName {
    /// Returns true if and only if the interpreter reads this name under default settings
    /// (no `-O`, not a `.pyo`, a tag some interpreter uses).
    pub fn is_default_name(&self) -> bool {
        let tag_known = self.layout == Layout::Legacy || self.claim().is_some();
        !self.is_pyo && self.opt == OptLevel::Level(0) && tag_known
    }

    pub fn claim(&self) -> Option<TagClaim> {
        self.tag.as_ref().and_then(|t| t.claim)
    }
}

/// Returns true if and only if `name` ends in `.pyc` or `.pyo`.
pub(crate) fn is_cache_file_name(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    bytes.ends_with(b".pyc") || bytes.ends_with(b".pyo")
}

/// A path's parent and file name, as `Path::parent` and `Path::file_name` give them.
///
/// Found by the last slash where the path is plainly `parent/name` (as every path the walk
/// builds is): this runs for every cache, and `Path`'s component parsing was a measurable
/// part of a large audit. Any other shape (`.` or `..` last, a doubled slash, a `.`
/// component before the name) goes to `Path`'s own rules.
pub(crate) fn split_name(path: &Path) -> (Option<&Path>, Option<&OsStr>) {
    let bytes = path.as_os_str().as_encoded_bytes();
    let slash = bytes.iter().rposition(|&b| b == b'/');
    let (parent, name) = match slash {
        Some(at) => (&bytes[..at.max(1)], &bytes[at + 1..]),
        None => (&b""[..], bytes),
    };
    let plain_name = !matches!(name, b"" | b"." | b"..");
    let plain_parent = slash.is_none()
        || slash == Some(0)
        || !(parent.ends_with(b"/") || parent.ends_with(b"/.") || parent == b".");
    if plain_name && plain_parent {
        use std::os::unix::ffi::OsStrExt;
        return (
            Some(Path::new(OsStr::from_bytes(parent))),
            Some(OsStr::from_bytes(name)),
        );
    }
    (path.parent(), path.file_name())
}

/// Parses a cache path. Returns `None` when the name does not end in `.pyc`/`.pyo`.
pub(crate) fn parse(path: &Path) -> Option<CacheName> {
    let (parent, name) = split_name(path);
    let name = name?;
    if !is_cache_file_name(name) {
        return None;
    }
    let bytes = name.as_encoded_bytes();
    let is_pyo = bytes.ends_with(b".pyo");
    let rest = &bytes[..bytes.len() - 4];
    let parent = parent.unwrap_or(Path::new(""));
    let (grandparent, parent_name) = split_name(parent);
    if parent_name == Some(OsStr::new("__pycache__")) {
        let source_dir = grandparent.unwrap_or(Path::new(""));
        Some(parse_pycache(rest, is_pyo, source_dir))
    } else {
        let level = u8::from(is_pyo);
        Some(CacheName {
            layout: Layout::Legacy,
            tag: None,
            opt: OptLevel::Level(level),
            is_pyo,
            pytest: None,
            sources: source_candidates(parent, rest),
        })
    }
}

/// Parses a cache found in a pycache-prefix tree, whose sources live in `source_dir` (the
/// directory the cache's directory mirrors). pytest's caches there keep the `Pytest` layout:
/// pytest writes and reads them under its own rules. Returns `None` when the name does not end
/// in `.pyc`/`.pyo`.
pub(crate) fn parse_prefixed(path: &Path, source_dir: &Path) -> Option<CacheName> {
    let name = path.file_name()?;
    if !is_cache_file_name(name) {
        return None;
    }
    let bytes = name.as_encoded_bytes();
    let is_pyo = bytes.ends_with(b".pyo");
    let mut parsed = parse_pycache(&bytes[..bytes.len() - 4], is_pyo, source_dir);
    if parsed.layout == Layout::Pycache {
        parsed.layout = Layout::Prefix;
    }
    Some(parsed)
}

fn parse_pycache(rest: &[u8], is_pyo: bool, dir: &Path) -> CacheName {
    if let Some((left, version)) = split_pytest(rest) {
        let (stem, tag) = split_last_dot(left);
        return CacheName {
            layout: Layout::Pytest,
            tag: tag.map(|t| parse_tag(tag_text(t))),
            opt: OptLevel::Level(0),
            is_pyo,
            pytest: Some(version),
            sources: source_candidates(dir, stem),
        };
    }
    let (before_opt, opt) = match split_last_dot(rest) {
        (head, Some(last)) if last.starts_with(b"opt-") => {
            (head, parse_opt(&String::from_utf8_lossy(&last[4..])))
        }
        _ => (rest, OptLevel::Level(u8::from(is_pyo))),
    };
    let (stem, tag) = split_last_dot(before_opt);
    CacheName {
        layout: Layout::Pycache,
        tag: tag.map(|t| parse_tag(tag_text(t))),
        opt,
        is_pyo,
        pytest: None,
        sources: source_candidates(dir, stem),
    }
}

fn split_pytest(rest: &[u8]) -> Option<(&[u8], PytestVersion)> {
    if let Some(left) = rest.strip_suffix(b"-PYTEST") {
        return Some((left, PytestVersion::Legacy));
    }
    let pos = find_last(rest, b"-pytest-")?;
    let version = String::from_utf8_lossy(&rest[pos + 8..]).into_owned();
    Some((&rest[..pos], PytestVersion::Release(version)))
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// Splits `a.b.c` into (`a.b`, `c`); a name without a dot has no tag part.
fn split_last_dot(bytes: &[u8]) -> (&[u8], Option<&[u8]>) {
    match bytes.iter().rposition(|&b| b == b'.') {
        Some(pos) => (&bytes[..pos], Some(&bytes[pos + 1..])),
        None => (bytes, None),
    }
}

/// A tag's text from a name's bytes: borrowed for CPython's own tags, which nearly every
/// cache has (this runs for every cache).
fn tag_text(bytes: &[u8]) -> Cow<'static, str> {
    match cpython_tag(bytes) {
        Some(tag) => Cow::Borrowed(tag),
        None => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// `cpython-XY`, from a table made once; `None` for any other text.
fn cpython_tag(bytes: &[u8]) -> Option<&'static str> {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| PyVersion::texts(|v| format!("cpython-{}{}", v.major, v.minor)));
    let digits = bytes.strip_prefix(b"cpython-")?;
    let (&major, minor) = digits.split_first()?;
    let major = major.checked_sub(b'0')?;
    let minor = std::str::from_utf8(minor).ok()?.parse().ok()?;
    let tag = tags.get(PyVersion::new(major, minor).text_index()?)?;
    (tag.as_bytes() == bytes).then_some(tag.as_str())
}

fn parse_opt(level: &str) -> OptLevel {
    match level.parse::<u8>() {
        Ok(n) => OptLevel::Level(n),
        Err(_) => OptLevel::Other(level.to_string()),
    }
}

/// `dir/STEM.py` and `dir/STEM.pyw`, each allocated once at its final size, in an array (not a
/// vector): this runs for every cache.
fn source_candidates(dir: &Path, stem: &[u8]) -> [PathBuf; 2] {
    let dir = dir.as_os_str().as_encoded_bytes();
    let slash = usize::from(!dir.is_empty() && !dir.ends_with(b"/"));
    [&b".py"[..], b".pyw"].map(|ext| {
        let mut bytes = Vec::with_capacity(dir.len() + slash + stem.len() + ext.len());
        bytes.extend_from_slice(dir);
        if slash == 1 {
            bytes.push(b'/');
        }
        bytes.extend_from_slice(stem);
        bytes.extend_from_slice(ext);
        PathBuf::from(os_string(bytes))
    })
}

/// Bytes made into an `OsString` (as they are on Unix; lossily elsewhere).
#[cfg(unix)]
pub(crate) fn os_string(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}

#[cfg(not(unix))]
pub(crate) fn os_string(bytes: Vec<u8>) -> OsString {
    OsString::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// Parses a cache tag into the interpreter it names.
pub(crate) fn parse_tag(text: Cow<'static, str>) -> Tag {
    let claim = claim_of(&text);
    Tag { text, claim }
}

fn claim_of(text: &str) -> Option<TagClaim> {
    let claim = |implementation, python| {
        Some(TagClaim {
            implementation,
            python,
        })
    };
    if let Some(digits) = text.strip_prefix("cpython-") {
        return claim(Implementation::CPython, Some(version_digits(digits)?));
    }
    if let Some(release) = text
        .strip_prefix("pypy3-")
        .or_else(|| text.strip_prefix("pypy-"))
    {
        all_digits(release)?;
        return claim(Implementation::PyPy, None);
    }
    if let Some(digits) = text.strip_prefix("pypy") {
        return claim(Implementation::PyPy, Some(version_digits(digits)?));
    }
    // GraalPy (oracle/graalpython, `SysModuleBuiltins.makeImplementation`): `graalpython-38`
    // (to 22.2), `graalpy-38` (22.3), `graalpy<GraalVM major><minor>[dev<rev>]-<Python>` from
    // 23.0 (`graalpy230-310`, `graalpy241-311`; for a while in 2023 with `-<C API rev>` before
    // the Python part), `GRAALPY_ABI_VERSION` from 25.1 (`graalpy250-312`, `graalpy253-313`).
    // The Python version is always the last part.
    if text.starts_with("graalpy") {
        let digits = text.rsplit('-').next()?;
        return claim(Implementation::GraalPy, Some(version_digits(digits)?));
    }
    if let Some(rest) = text.strip_prefix("rustpython-") {
        return claim(Implementation::RustPython, rustpython_version(rest)?);
    }
    None
}

/// RustPython's tags (`sys.implementation.cache_tag` in `vm/src/stdlib/sys.rs`, later
/// `crates/vm/src/stdlib/sys.rs`): `rustpython-01` from 2019 to 2025-11, naming no Python
/// version; `rustpython-<Python>` (`rustpython-313`, `rustpython-314`) from 2025-11-14;
/// `rustpython-<major>_<minor>` of RustPython itself (`rustpython-0_5`) from 2026-05-09; and
/// since 2026-05-24 CPython's own `cpython-314`. `Some(None)` is a tag that names no version.
fn rustpython_version(rest: &str) -> Option<Option<PyVersion>> {
    if rest == "01" {
        return Some(None);
    }
    if let Some((major, minor)) = rest.split_once('_') {
        all_digits(major)?;
        all_digits(minor)?;
        return Some(None);
    }
    Some(Some(version_digits(rest)?))
}

fn all_digits(s: &str) -> Option<&str> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// `311` is 3.11, `32` is 3.2: the first digit is the major version.
fn version_digits(digits: &str) -> Option<PyVersion> {
    let digits = all_digits(digits)?;
    if digits.len() < 2 {
        return None;
    }
    let major = digits[..1].parse().ok()?;
    let minor = digits[1..].parse().ok()?;
    Some(PyVersion::new(major, minor))
}

#[cfg(test)]
mod tests;
