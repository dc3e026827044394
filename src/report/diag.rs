//! Diagnostics on stderr, each line prefixed `pyc-audit:` so it can be told from the report,
//! and escaped by the one escaping function of every human-readable output.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// With `-q/--quiet`: warnings and notes are dropped, errors still printed.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `-q/--quiet` was given: commands then print no report either.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Prints `pyc-audit: error: MESSAGE` on stderr.
pub fn error(message: &str) {
    let message = crate::report::escape(message);
    let _ = writeln!(std::io::stderr().lock(), "pyc-audit: error: {message}");
}

/// Prints `pyc-audit: warning: MESSAGE` on stderr.
pub fn warning(message: &str) {
    if quiet() {
        return;
    }
    let message = crate::report::escape(message);
    let _ = writeln!(std::io::stderr().lock(), "pyc-audit: warning: {message}");
}

/// Prints `pyc-audit: note: MESSAGE` on stderr: something the user should know that is not a
/// problem.
pub fn note(message: &str) {
    if quiet() {
        return;
    }
    let message = crate::report::escape(message);
    let _ = writeln!(std::io::stderr().lock(), "pyc-audit: note: {message}");
}
