//! What every interpreter suite shares: finding and running the real interpreters
//! (`pythons`, `interpreters`) and the table of disagreements (`disagreements`).

pub mod disagreements;
pub mod interpreters;
pub mod pythons;

use std::sync::{Mutex, MutexGuard};

/// Held for the whole of a suite: the suites run one at a time, as they did as separate test
/// binaries. Each already runs every interpreter in a thread of its own, and they must not
/// overlap: `python2.7 -U`, run by the harness, rewrites caches of 2.7's own standard library
/// with its magic+1 until a plain import rewrites them back, while `installed` audits that
/// library.
pub fn one_suite_at_a_time() -> MutexGuard<'static, ()> {
    static SUITE: Mutex<()> = Mutex::new(());
    SUITE.lock().unwrap_or_else(|e| e.into_inner())
}
