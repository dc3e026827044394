//! Diagnostics on stderr, each line prefixed `pyc-audit:` so it can be told from the report,
//! and escaped by the one escaping function of every human-readable output.

use std::io::Write;

/// Prints `pyc-audit: error: MESSAGE` on stderr.
pub fn error(message: &str) {
    let message = crate::report::escape(message);
    let _ = writeln!(std::io::stderr().lock(), "pyc-audit: error: {message}");
}

/// Prints `pyc-audit: warning: MESSAGE` on stderr.
pub fn warning(message: &str) {
    let message = crate::report::escape(message);
    let _ = writeln!(std::io::stderr().lock(), "pyc-audit: warning: {message}");
}

/// Prints `pyc-audit: note: MESSAGE` on stderr: something the user should know that is not a
/// problem.
pub fn note(message: &str) {
    let message = crate::report::escape(message);
    let _ = writeln!(std::io::stderr().lock(), "pyc-audit: note: {message}");
}
