//! The `--verify` rule: what comparing a cache's code with its source's changes in a verdict.
//!
//! It runs after the header and body rules, on the caches the interpreter would load when it
//! reads them (fresh, suspect, or stale under a trusted unchecked hash; also those default
//! settings never read, such as `opt-1` caches, which `-O` loads), once the engine in `crate::verify` has
//! had that interpreter compile the source and compare code objects. It is the only place a
//! comparison becomes a status: equal code makes the cache `fresh` (verified), different code
//! (or a source that no longer compiles) makes it `diverged`: an error where the import loads
//! it, info where default settings never read it.

use crate::pyc::header::Invalidation;
use crate::python::naming::Layout;
use crate::verdict::model::{Action, Kind, Record, Status};
use crate::verdict::settle_in;

/// What the interpreter found when it compared a cache's code with its source's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verification {
    /// The unmarshalled cache and the compiled source are the same code.
    Equal,
    /// They differ; the first difference (which function, constant or attribute).
    Differs(String),
    /// The source does not compile; the compiler's message.
    SourceDoesNotCompile(String),
    /// The cache's interpreter is not installed: not verified.
    NoInterpreter(String),
    /// The comparison could not be made (unreadable file, crashed worker, ...): not verified.
    Error(String),
}

/// Returns true if and only if `--verify` compares this record's cache with its source: a
/// cache its interpreter loads, when it reads it, instead of compiling the source. pytest's caches hold rewritten
/// code that never equals a plain compile, so they are left to the header rules.
pub(crate) fn wants(r: &Record) -> bool {
    let trusted = r.invalidation == Some(Invalidation::UncheckedHash);
    r.kind == Kind::Cache
        && matches!(r.python_action, Action::Load | Action::Skip)
        && r.source.is_some()
        && r.layout != Some(Layout::Pytest)
        && match r.status {
            Status::Fresh | Status::Suspect => true,
            Status::Stale => trusted,
            _ => false,
        }
}

/// Applies a verification to the record it was made for.
pub(crate) fn apply(r: &mut Record, outcome: &Verification) {
    let reason = std::mem::take(&mut r.reason);
    let (status, reason) = match outcome {
        Verification::Equal if r.status == Status::Stale => (
            Status::Fresh,
            format!(
                "{reason}; but the source compiles to the very code this cache holds (verified)"
            ),
        ),
        Verification::Equal if r.status == Status::Suspect => (
            Status::Fresh,
            format!("{reason}; verified: the source compiles to the very code this cache holds"),
        ),
        Verification::Equal => (r.status, format!("{reason}; verified: same code")),
        Verification::Differs(how) => (
            Status::Diverged,
            format!(
                "{reason}, but the cache holds other code than its source compiles to ({how}): \
                 Python runs the old code"
            ),
        ),
        Verification::SourceDoesNotCompile(message) => (
            Status::Diverged,
            format!(
                "{reason}, but the source does not compile ({message}): Python runs the old \
                 code this cache holds"
            ),
        ),
        Verification::NoInterpreter(who) => (
            r.status,
            format!("{reason}; not verified: {who} is not installed"),
        ),
        Verification::Error(why) => (r.status, format!("{reason}; not verified: {why}")),
    };
    settle_in(r, status, r.python_action, reason);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::model::Severity;

    fn rec(status: Status) -> Record {
        Record {
            status,
            severity: Severity::of(status, Action::Load),
            reason: "recorded mtime and size match the source".into(),
            ..Record::example()
        }
    }

    #[test]
    fn loaded_caches_with_a_source_are_verified() {
        assert!(wants(&rec(Status::Fresh)));
        assert!(wants(&rec(Status::Suspect)));
        let stale = Record {
            python_action: Action::Recompile,
            ..rec(Status::Stale)
        };
        assert!(!wants(&stale));
        let trusted = Record {
            invalidation: Some(Invalidation::UncheckedHash),
            ..rec(Status::Stale)
        };
        assert!(wants(&trusted));
        let pytest = Record {
            layout: Some(Layout::Pytest),
            ..rec(Status::Fresh)
        };
        assert!(!wants(&pytest));
        let orphan = Record {
            source: None,
            ..rec(Status::Orphan)
        };
        assert!(!wants(&orphan));
    }

    #[test]
    fn equal_code_makes_a_suspect_cache_fresh() {
        let mut r = rec(Status::Suspect);
        apply(&mut r, &Verification::Equal);
        assert_eq!((r.status, r.severity), (Status::Fresh, None));
        assert!(r.reason.contains("verified"), "{}", r.reason);
    }

    #[test]
    fn other_code_is_a_loaded_error() {
        let mut r = rec(Status::Fresh);
        apply(&mut r, &Verification::Differs("constant 1 of f".into()));
        assert_eq!(r.status, Status::Diverged);
        assert_eq!(r.python_action, Action::Load);
        assert_eq!(r.severity, Some(Severity::Error));
        assert!(r.reason.contains("constant 1 of f"), "{}", r.reason);
        let mut r = rec(Status::Fresh);
        apply(
            &mut r,
            &Verification::SourceDoesNotCompile("SyntaxError".into()),
        );
        assert_eq!(r.status, Status::Diverged);
        assert!(r.reason.contains("does not compile (SyntaxError)"));
        let mut opt1 = Record {
            python_action: Action::Skip,
            ..rec(Status::Fresh)
        };
        apply(&mut opt1, &Verification::Differs("bytecode of f".into()));
        assert_eq!(opt1.status, Status::Diverged);
        assert_eq!(opt1.severity, Some(Severity::Info));
    }

    #[test]
    fn an_unverified_cache_keeps_its_verdict() {
        let mut r = rec(Status::Suspect);
        apply(&mut r, &Verification::NoInterpreter("Python 3.99".into()));
        assert_eq!(r.status, Status::Suspect);
        assert_eq!(r.severity, Some(Severity::Error));
        assert!(r
            .reason
            .ends_with("not verified: Python 3.99 is not installed"));
    }
}
