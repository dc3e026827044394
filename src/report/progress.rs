//! A progress line on stderr while a long audit runs: caches judged, findings so far.
//!
//! Shown only when stderr is a terminal and `CI` is not set, and only once the audit has run
//! for half a second (a small tree prints nothing). The line is cleared when the audit ends,
//! so it never mixes with the diagnostics or the report. The audit only bumps two counters;
//! a thread of its own draws them (indicatif).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) use crate::verdict::audit::Counts;

/// How long an audit runs before the line appears.
const DELAY: Duration = Duration::from_millis(500);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// The line: the audit's counts so far.
fn line(counts: &Counts) -> String {
    let (judged, findings) = counts.so_far();
    format!("{judged} caches checked, {findings} findings so far")
}

/// Returns true if and only if a progress line may be drawn: stderr is a terminal, not on CI.
fn wanted() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && !crate::report::diag::quiet()
}

/// Runs `audit` with `counts` drawn on stderr if it runs long and a progress line is wanted.
pub(crate) fn while_running<T>(counts: &Counts, audit: impl FnOnce() -> T) -> T {
    if !wanted() {
        return audit();
    }
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let drawer = s.spawn(|| draw(counts, &done));
        let out = audit();
        done.store(true, Ordering::Release);
        drawer.thread().unpark();
        out
    })
}

/// Waits out the delay, then redraws the line until the audit is done, and clears it.
fn draw(counts: &Counts, done: &AtomicBool) {
    let start = Instant::now();
    while let Some(left) = DELAY.checked_sub(start.elapsed()) {
        if done.load(Ordering::Acquire) {
            return;
        }
        thread::park_timeout(left);
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("pyc-audit: {spinner} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    while !done.load(Ordering::Acquire) {
        bar.set_message(line(counts));
        bar.tick();
        thread::park_timeout(TICK);
    }
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_a_quick_audit_draws_nothing() {
        let counts = Counts::default();
        let out = while_running(&counts, || {
            counts.add(3, 1);
            counts.add(2, 0);
            7
        });
        assert_eq!(out, 7);
        assert_eq!(line(&counts), "5 caches checked, 1 findings so far");
    }
}
