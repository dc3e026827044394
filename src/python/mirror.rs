//! The pycache-prefix mirror: where Python 3.8+ puts a source's cache when `sys.pycache_prefix`
//! is set (`PYTHONPYCACHEPREFIX`, `-X pycache_prefix=DIR`), and which source directories a
//! directory of the prefix tree mirrors.
//!
//! CPython's `cache_from_source` makes the source's directory absolute against the current
//! directory (lexically: no `..` folding, no symlink resolution), drops a Windows drive letter,
//! strips the leading separators and joins what is left to the prefix, with no `__pycache__`
//! level: `/a/b/m.py` caches in `<prefix>/a/b/m.cpython-311.pyc`. So `C:\x` and `D:\x` share a
//! mirror, and a UNC directory `\\srv\share\x` mirrors to `<prefix>\srv\share\x`. The mapping
//! works on bytes with an explicit path style, so the Windows rules are tested on any OS.

use std::path::{Path, PathBuf};

use crate::python::naming::os_string;

/// Which separators and roots a path uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `/` only; absolute means a leading `/`.
    Posix,
    /// `\` and `/`; absolute means a drive and a root (`C:\`) or a UNC root (`\\srv\share`).
    Windows,
}

impl Style {
    /// The style of the paths of the running OS.
    pub(crate) const NATIVE: Style = if cfg!(windows) {
        Style::Windows
    } else {
        Style::Posix
    };

    fn is_sep(self, b: u8) -> bool {
        b == b'/' || (self == Style::Windows && b == b'\\')
    }

    fn sep(self) -> u8 {
        match self {
            Style::Posix => b'/',
            Style::Windows => b'\\',
        }
    }

    /// Returns true if and only if `path` is absolute as importlib's `_path_isabs` sees it.
    pub(crate) fn is_absolute(self, path: &[u8]) -> bool {
        match self {
            Style::Posix => path.first() == Some(&b'/'),
            Style::Windows => {
                has_drive(path) && path.get(2).is_some_and(|&b| self.is_sep(b))
                    || path.len() > 2 && self.is_sep(path[0]) && self.is_sep(path[1])
            }
        }
    }
}

/// `C:` at the start, as CPython tests it: a colon second, not a separator first.
fn has_drive(path: &[u8]) -> bool {
    path.len() >= 2 && path[1] == b':' && path[0] != b'/' && path[0] != b'\\'
}

fn trim_start_seps(path: &[u8], style: Style) -> &[u8] {
    let n = path.iter().take_while(|&&b| style.is_sep(b)).count();
    &path[n..]
}

fn trim_end_seps(path: &[u8], style: Style) -> &[u8] {
    let n = path.iter().rev().take_while(|&&b| style.is_sep(b)).count();
    &path[..path.len() - n]
}

/// importlib's `_path_join`: the non-empty parts, trailing separators stripped, joined by the
/// style's separator (a part that was only separators leaves the leading one).
fn join(parts: &[&[u8]], style: Style) -> Vec<u8> {
    let kept: Vec<&[u8]> = parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| trim_end_seps(p, style))
        .collect();
    kept.join(&style.sep())
}

/// `dir` made absolute as `cache_from_source` does: joined to `cwd` when relative (a leading
/// `./` dropped, as 3.12+ do; older versions keep it, which names the same directory). On
/// Windows a root-relative `\x` takes the drive of `cwd`.
pub(crate) fn absolute(dir: &[u8], cwd: &[u8], style: Style) -> Vec<u8> {
    if style.is_absolute(dir) {
        return dir.to_vec();
    }
    if style == Style::Windows {
        let cwd_drive = if has_drive(cwd) { &cwd[..2] } else { &b""[..] };
        if dir.first().is_some_and(|&b| style.is_sep(b)) {
            return [cwd_drive, dir].concat();
        }
        // Drive-relative `D:x`: joined to the current directory on its own drive; on another
        // drive it stays as it is (the OS resolves it), and its drive is dropped next.
        if has_drive(dir) {
            if !dir[..2].eq_ignore_ascii_case(cwd_drive) {
                return dir.to_vec();
            }
            return join(&[cwd, &dir[2..]], style);
        }
    }
    let dir = match dir {
        [b'.', sep, rest @ ..] if style.is_sep(*sep) => rest,
        _ => dir,
    };
    join(&[cwd, dir], style)
}

/// The directory inside the prefix tree that holds the caches of the sources in `dir`.
pub(crate) fn cache_dir(prefix: &[u8], dir: &[u8], cwd: &[u8], style: Style) -> Vec<u8> {
    let head = absolute(dir, cwd, style);
    let head = if has_drive(&head) {
        &head[2..]
    } else {
        &head[..]
    };
    join(&[prefix, trim_start_seps(head, style)], style)
}

/// The source directories a prefix-tree directory mirrors, given its path relative to the
/// prefix: POSIX `/<rel>`; Windows `\<rel>` (on whichever drive: the drive was dropped, and
/// CPython's `source_from_cache` answers the current one) and, for two or more components,
/// the UNC directory `\\<rel>`.
pub(crate) fn source_dirs(rel: &[u8], style: Style) -> Vec<Vec<u8>> {
    let rel = trim_start_seps(trim_end_seps(rel, style), style);
    let sep = style.sep();
    let mut dirs = vec![[&[sep][..], rel].concat()];
    let components = rel
        .split(|&b| style.is_sep(b))
        .filter(|c| !c.is_empty())
        .count();
    if style == Style::Windows && components >= 2 {
        dirs.push([&[sep, sep][..], rel].concat());
    }
    dirs
}

/// [`cache_dir`] on native paths: the mirror of `dir` (absolute, or relative to `cwd`).
pub(crate) fn native_cache_dir(prefix: &Path, dir: &Path, cwd: &Path) -> PathBuf {
    let bytes = |p: &Path| p.as_os_str().as_encoded_bytes().to_vec();
    PathBuf::from(os_string(cache_dir(
        &bytes(prefix),
        &bytes(dir),
        &bytes(cwd),
        Style::NATIVE,
    )))
}

/// The source directory a prefix-tree directory mirrors on this OS (on Windows, on the current
/// drive), given its path relative to the prefix.
pub(crate) fn native_source_dir(rel: &Path) -> PathBuf {
    let rel = rel.as_os_str().as_encoded_bytes();
    let first = source_dirs(rel, Style::NATIVE).swap_remove(0);
    PathBuf::from(os_string(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posix(prefix: &str, dir: &str, cwd: &str) -> String {
        let out = cache_dir(
            prefix.as_bytes(),
            dir.as_bytes(),
            cwd.as_bytes(),
            Style::Posix,
        );
        String::from_utf8(out).unwrap()
    }

    fn windows(prefix: &str, dir: &str, cwd: &str) -> String {
        let out = cache_dir(
            prefix.as_bytes(),
            dir.as_bytes(),
            cwd.as_bytes(),
            Style::Windows,
        );
        String::from_utf8(out).unwrap()
    }

    fn reverse(rel: &str, style: Style) -> Vec<String> {
        source_dirs(rel.as_bytes(), style)
            .into_iter()
            .map(|d| String::from_utf8(d).unwrap())
            .collect()
    }

    #[test]
    fn posix_sources_mirror_by_absolute_path() {
        assert_eq!(posix("/pfx", "/a/b", "/cwd"), "/pfx/a/b");
        assert_eq!(posix("/pfx/", "/a/b/", "/cwd"), "/pfx/a/b");
        // Relative directories are joined to the current directory, never normalised.
        assert_eq!(posix("/pfx", "rel", "/work"), "/pfx/work/rel");
        assert_eq!(posix("/pfx", "./rel", "/work"), "/pfx/work/rel");
        assert_eq!(posix("/pfx", "../up", "/work"), "/pfx/work/../up");
        assert_eq!(posix("/pfx", "", "/work"), "/pfx/work");
        // A relative prefix stays relative: it is resolved when the cache is opened.
        assert_eq!(posix("relpfx", "/a", "/cwd"), "relpfx/a");
        assert_eq!(posix("/", "/a", "/cwd"), "/a");
        // A colon second on POSIX is not a drive.
        assert_eq!(posix("/pfx", "/:x", "/cwd"), "/pfx/:x");
    }

    #[test]
    fn windows_drops_the_drive_so_drives_share_a_mirror() {
        let c = windows(r"C:\Bytecode", r"C:\proj\pkg", r"C:\cwd");
        let d = windows(r"C:\Bytecode", r"D:\proj\pkg", r"C:\cwd");
        assert_eq!(c, r"C:\Bytecode\proj\pkg");
        assert_eq!(c, d, "C:\\x and D:\\x share a mirror");
        assert_eq!(
            windows(r"C:\Bytecode", "C:/proj/pkg", r"C:\cwd"),
            r"C:\Bytecode\proj/pkg"
        );
        assert_eq!(
            windows(r"C:\Bytecode", r"rel\pkg", r"E:\work"),
            r"C:\Bytecode\work\rel\pkg"
        );
        assert_eq!(
            windows(r"C:\Bytecode", r"\proj", r"E:\work"),
            r"C:\Bytecode\proj"
        );
        assert_eq!(
            windows(r"C:\Bytecode", "e:x", r"E:\work"),
            r"C:\Bytecode\work\x"
        );
        assert_eq!(windows(r"C:\Bytecode", "D:x", r"E:\work"), r"C:\Bytecode\x");
    }

    #[test]
    fn windows_unc_roots_keep_server_and_share() {
        assert_eq!(
            windows(r"C:\Bytecode", r"\\srv\share\x", r"C:\cwd"),
            r"C:\Bytecode\srv\share\x"
        );
        assert!(Style::Windows.is_absolute(br"\\srv\share"));
        assert!(Style::Windows.is_absolute(b"C:/x"));
        assert!(!Style::Windows.is_absolute(br"\x"));
        assert!(!Style::Windows.is_absolute(b"C:x"));
        assert!(!Style::Posix.is_absolute(br"C:\x"));
    }

    #[test]
    fn mirrored_directories_map_back_to_sources() {
        assert_eq!(reverse("a/b", Style::Posix), ["/a/b"]);
        assert_eq!(reverse("", Style::Posix), ["/"]);
        assert_eq!(
            reverse(r"srv\share\x", Style::Windows),
            [r"\srv\share\x", r"\\srv\share\x"]
        );
        assert_eq!(reverse("proj", Style::Windows), [r"\proj"]);
        // Round trip: the reverse of a mirror is the directory, on any drive.
        let mirror = windows(r"C:\B", r"D:\proj\pkg", r"C:\cwd");
        let rel = mirror.strip_prefix(r"C:\B\").unwrap();
        assert_eq!(reverse(rel, Style::Windows)[0], r"\proj\pkg");
    }

    #[cfg(unix)]
    #[test]
    fn native_paths_use_the_same_rules() {
        let dir = native_cache_dir(Path::new("/pfx"), Path::new("src"), Path::new("/w"));
        assert_eq!(dir, Path::new("/pfx/w/src"));
        assert_eq!(native_source_dir(Path::new("w/src")), Path::new("/w/src"));
    }
}
