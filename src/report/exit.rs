//! Exit policy: 0 clean, 1 findings at or above `--fail-on`, 2 the audit could not be
//! completed. An error beats a finding: an incomplete audit is never reported as clean or as
//! merely failing.

use std::process::ExitCode;

use crate::cli::FailOn;
use crate::verdict::model::{Record, Severity, Status};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Findings,
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        })
    }
}

/// The lowest severity that fails the run, `None` for `--fail-on never`.
fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    }
}

/// Decides the exit status from every record (not just the shown ones) and the walk errors.
pub(crate) fn policy(records: &[Record], walk_errors: usize, fail_on: FailOn) -> ExitStatus {
    let unreadable = records.iter().any(|r| r.status == Status::Unreadable);
    if walk_errors > 0 || unreadable {
        return ExitStatus::Error;
    }
    let failing = threshold(fail_on).is_some_and(|t| records.iter().any(|r| r.severity >= Some(t)));
    if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::model::Action;

    fn record(status: Status, severity: Option<Severity>) -> Record {
        let mut r = Record::example();
        (r.status, r.python_action, r.severity) = (status, Action::Recompile, severity);
        r
    }

    #[test]
    fn fail_on_thresholds() {
        let info = [record(Status::Stale, Some(Severity::Info))];
        let warning = [record(Status::Stale, Some(Severity::Warning))];
        let error = [record(Status::Suspect, Some(Severity::Error))];
        let fresh = [record(Status::Fresh, None)];
        assert_eq!(policy(&fresh, 0, FailOn::Info), ExitStatus::Success);
        assert_eq!(policy(&info, 0, FailOn::Warning), ExitStatus::Success);
        assert_eq!(policy(&info, 0, FailOn::Info), ExitStatus::Findings);
        assert_eq!(policy(&warning, 0, FailOn::Warning), ExitStatus::Findings);
        assert_eq!(policy(&warning, 0, FailOn::Error), ExitStatus::Success);
        assert_eq!(policy(&error, 0, FailOn::Error), ExitStatus::Findings);
        assert_eq!(policy(&error, 0, FailOn::Never), ExitStatus::Success);
    }

    #[test]
    fn errors_beat_findings_and_never() {
        let error = [record(Status::Suspect, Some(Severity::Error))];
        assert_eq!(policy(&error, 1, FailOn::Warning), ExitStatus::Error);
        let unreadable = [record(Status::Unreadable, Some(Severity::Warning))];
        assert_eq!(policy(&unreadable, 0, FailOn::Never), ExitStatus::Error);
        assert_eq!(policy(&[], 0, FailOn::Warning), ExitStatus::Success);
    }
}
