//! The spellings of a `--keep` or `--exclude` entry: `legacy`, `./legacy`, `legacy/`,
//! `root/legacy` (the root as given, then the path below it) and `/abs/root/legacy` all mean
//! the same entry below the root `root`. Globs match a name or a path relative to the root,
//! so every spelling is rewritten to that form before it is compiled; a pattern that names no
//! place below any root is kept as it is (and matches nothing).

use std::path::{Component, Path, PathBuf};

/// The forms of `pattern` to compile: the pattern without `./` and trailing `/`, plus its part
/// below each root it starts with (as given, made absolute, or canonical).
pub(crate) fn spellings(pattern: &str, roots: &[PathBuf], cwd: &Path) -> Vec<String> {
    let pattern = plain(pattern);
    let mut out = Vec::new();
    if !pattern.starts_with('/') {
        out.push(pattern.to_string());
    }
    for root in roots {
        for form in root_forms(root, cwd) {
            let rest = pattern
                .strip_prefix(form.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .map(plain)
                .filter(|r| !r.is_empty());
            if let Some(rest) = rest {
                if !out.iter().any(|o| o == rest) {
                    out.push(rest.to_string());
                }
            }
        }
    }
    if out.is_empty() {
        out.push(pattern.to_string());
    }
    out
}

/// The pattern without leading `./` and trailing `/`.
fn plain(pattern: &str) -> &str {
    let mut p = pattern;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.trim_start_matches('/');
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        p
    } else {
        trimmed
    }
}

/// A root as given (lexically cleaned), absolute, and canonical; never `.` or empty.
fn root_forms(root: &Path, cwd: &Path) -> Vec<String> {
    let mut forms = Vec::new();
    let cleaned = clean(root);
    let absolute = clean(&cwd.join(root));
    let canonical = root.canonicalize().ok();
    for form in [Some(cleaned), Some(absolute), canonical]
        .into_iter()
        .flatten()
    {
        let text = form.to_string_lossy().into_owned();
        if !text.is_empty() && text != "." && text != "/" && !forms.contains(&text) {
            forms.push(text);
        }
    }
    forms
}

/// A path without `.` components and with `..` applied lexically.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_comes_down_to_the_path_below_the_root() {
        let cwd = Path::new("/home/u/proj");
        let roots = [PathBuf::from("root")];
        let s = |p: &str| spellings(p, &roots, cwd);
        assert_eq!(s("legacy"), ["legacy"]);
        assert_eq!(s("./legacy"), ["legacy"]);
        assert_eq!(s("legacy/"), ["legacy"]);
        assert_eq!(s(".//legacy//"), ["legacy"]);
        assert_eq!(s("root/legacy"), ["root/legacy", "legacy"]);
        assert_eq!(s("./root/legacy/"), ["root/legacy", "legacy"]);
        assert_eq!(s("/home/u/proj/root/legacy"), ["legacy"]);
        assert_eq!(s("/elsewhere/legacy"), ["/elsewhere/legacy"]);
        assert_eq!(s("*.opt-1.pyc"), ["*.opt-1.pyc"]);
        let dot = [PathBuf::from(".")];
        assert_eq!(spellings("/home/u/proj/a/b", &dot, cwd), ["a/b"]);
        assert_eq!(spellings("./a", &dot, cwd), ["a"]);
    }
}
