//! The paths renderer: one cache path per line (or NUL-terminated), raw bytes, for `xargs`.

use std::io::{self, Write};

use super::Report;

pub(super) fn render(report: &Report, print0: bool, out: &mut dyn Write) -> io::Result<()> {
    let end: &[u8] = if print0 { b"\0" } else { b"\n" };
    for record in &report.shown {
        out.write_all(
            crate::model::reported(&record.path)
                .as_os_str()
                .as_encoded_bytes(),
        )?;
        out.write_all(end)?;
    }
    Ok(())
}
