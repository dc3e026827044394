//! The paths renderer: one cache path per line (or NUL-terminated), raw bytes, for `xargs`.
//! Only files are listed (caches, and temporary files of cache writes): a ghost directory or a
//! clamped tree is no path to hand to `xargs rm`, and its caches have rows of their own.
//! Newline-separated, a path holding a newline would be split into other paths downstream
//! (`a\nsetup.py\nb.pyc` holds `setup.py`): such a path is never printed there; the caller
//! reports it and fails the run (see [`refused`]), and `-0` lists it exactly.

use std::io::{self, Write};
use std::path::Path;

use super::Report;
use crate::verdict::model::Kind;

/// Returns true if and only if `path` cannot be printed newline-terminated without being
/// split: it contains a newline.
pub(crate) fn refused(path: &Path, print0: bool) -> bool {
    !print0 && path.as_os_str().as_encoded_bytes().contains(&b'\n')
}

/// Writes each path, newline- or NUL-terminated, skipping the refused ones; returns those.
pub(crate) fn write<'p>(
    paths: impl IntoIterator<Item = &'p Path>,
    print0: bool,
    out: &mut dyn Write,
) -> io::Result<Vec<&'p Path>> {
    let end: &[u8] = if print0 { b"\0" } else { b"\n" };
    let mut skipped = Vec::new();
    for path in paths {
        if refused(path, print0) {
            skipped.push(path);
            continue;
        }
        out.write_all(
            crate::verdict::model::reported(path)
                .as_os_str()
                .as_encoded_bytes(),
        )?;
        out.write_all(end)?;
    }
    Ok(skipped)
}

/// Says on stderr why each refused path was not printed.
pub(crate) fn report_refused(paths: &[&Path]) {
    for path in paths {
        crate::report::diag::error(&format!(
            "{}: the name holds a newline, so it is not listed one path per line; use -0 \
             (--print0) to list it NUL-terminated",
            super::escaped_path(path)
        ));
    }
}

pub(super) fn render(report: &Report, print0: bool, out: &mut dyn Write) -> io::Result<()> {
    let files = report
        .shown
        .iter()
        .filter(|r| matches!(r.kind, Kind::Cache | Kind::File))
        .map(|r| r.path.as_path());
    write(files, print0, out).map(|_| ())
}
