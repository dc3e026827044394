//! The paths renderer: one cache path per line (or NUL-terminated), raw bytes, for `xargs`.
//! Only files are listed (caches, and temporary files of cache writes): a ghost directory or a
//! clamped tree is no path to hand to `xargs rm`, and its caches have rows of their own.

use std::io::{self, Write};

use super::Report;
use crate::model::Kind;

pub(super) fn render(report: &Report, print0: bool, out: &mut dyn Write) -> io::Result<()> {
    let end: &[u8] = if print0 { b"\0" } else { b"\n" };
    let files = report
        .shown
        .iter()
        .filter(|r| matches!(r.kind, Kind::Cache | Kind::File));
    for record in files {
        out.write_all(
            crate::model::reported(&record.path)
                .as_os_str()
                .as_encoded_bytes(),
        )?;
        out.write_all(end)?;
    }
    Ok(())
}
