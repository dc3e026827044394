//! `pyc-audit clean`: remove exactly the caches the audit condemns, and nothing else.
//!
//! The run is `config` (the audit's, shared with `check`: the same caches, pycache prefix and
//! environment) → a guard on the roots → the audit (the same as `check`) → `plan`
//! (which records to act on: a pure function of the records, the statuses and `--keep`) →
//! `remove` (each file re-checked by `safety` and judged again right before its removal) →
//! `recompile` (optional) → the `__pycache__` directories left empty → `report` → exit code.
//! The order and the reasons it leaves a consistent tree after a crash are in `remove`.

pub(crate) mod config;
pub(crate) mod handles;
pub(crate) mod outcome;
pub mod plan;
pub(crate) mod recompile;
pub(crate) mod remove;
pub(crate) mod report;
pub(crate) mod safety;
pub(crate) mod unlink;

use std::collections::HashSet;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::cli::CleanArgs;
use crate::find::prefix::Plan;
use crate::find::walk::WalkOptions;
use crate::report::diag;
use crate::report::escaped_path;
use crate::report::exit::ExitStatus;
use crate::verdict::audit;
use crate::verdict::model::{Action, Kind, Status};
use config::{CleanConfig, Mode};
use outcome::{CleanSummary, Outcome, RebuildOutcome, Row};
use plan::Planned;

/// Runs `clean`; `Err` only for failures that stop the whole run before anything is removed.
pub(crate) fn run(args: CleanArgs) -> Result<ExitStatus> {
    let config = CleanConfig::from_args(args)?;
    let plan = config.audit.plan();
    if !config.force {
        guard_roots(&walked_roots(&plan))?;
    }
    config.audit.announce();
    let (rows, summary) = clean_plan(&config, &plan);
    warn(&rows, config.mode);
    let opts = report::Options {
        format: config.format,
        color: config.color,
        print0: config.print0,
        width: crate::report::terminal::width(),
    };
    if diag::quiet() {
        return Ok(exit_status(&summary));
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let printed = report::render(&rows, &summary, &opts, &mut out).and_then(|()| out.flush());
    crate::report::ignore_broken_pipe(printed)?;
    if config.format == crate::cli::Format::Paths {
        let removed = rows.iter().filter(|r| r.outcome.removes());
        let refused: Vec<&Path> = removed
            .map(|r| r.record.path.as_path())
            .filter(|p| crate::report::paths::refused(p, config.print0))
            .collect();
        crate::report::paths::report_refused(&refused);
        if !refused.is_empty() {
            return Ok(ExitStatus::Error);
        }
    }
    Ok(exit_status(&summary))
}

/// Every directory the plan walks: the roots, and the parts of the prefix tree.
pub(crate) fn walked_roots(plan: &Plan) -> Vec<PathBuf> {
    let trees = plan.prefix.iter().flat_map(|p| p.trees.iter());
    let mut roots = plan.roots.clone();
    roots.extend(trees.map(|t| t.walk.clone()));
    roots
}

fn clean_plan(config: &CleanConfig, plan: &Plan) -> (Vec<Row>, CleanSummary) {
    let audit = &config.audit;
    let opts = WalkOptions {
        follow: audit.follow,
        exclude: &audit.exclude,
        prune: None,
    };
    // clean never acts on a fresh cache: those are counted, not kept (unless --verify, which
    // compares them).
    let counts = crate::report::progress::Counts::default();
    let keep = audit::Keep::for_run(false, audit.checks);
    let mut audited = crate::report::progress::while_running(&counts, || {
        audit::collect(plan, &opts, audit.checks, keep, &counts)
    });
    if audit.checks.verify {
        audited.verify();
    }
    let (records, walk_errors) = (audited.records, audited.errors);
    for e in &walk_errors {
        diag::error(&format!("{}: {}", escaped_path(&e.path), e.message));
    }
    let mut audit_summary = audited.summary;
    audit_summary.errors += walk_errors.len();
    audit_summary.pycache_prefix = audit.shown_prefix();
    audit_summary.environment = audit.environment.clone();
    let roots = walked_roots(plan);
    let planned = plan::plan(records, &roots, &config.statuses, &config.keep);
    for pattern in plan::unused_keeps(&planned, &config.keep) {
        diag::warning(&format!(
            "--keep {pattern:?} matches nothing that would be removed: it protects nothing"
        ));
    }
    let mut rows = execute(planned, config, plan);
    rows.sort_by_cached_key(|row| audit::component_key(&row.record.path));
    let dry_run = config.mode == Mode::DryRun;
    let summary = CleanSummary::of(&rows, dry_run, audit_summary, walk_errors.len());
    (rows, summary)
}

/// Removes the planned files, rebuilds, then removes the directories left empty; rebuilding
/// before the directories keeps a `__pycache__` whose caches are all rebuilt.
pub fn execute(planned: Vec<Planned>, config: &CleanConfig, plan: &Plan) -> Vec<Row> {
    let (dirs, files): (Vec<Planned>, Vec<Planned>) = planned
        .into_iter()
        .partition(|p| p.record.kind == Kind::Directory);
    let handles = handles::Handles::default();
    let ctx = remove::Context {
        mode: config.mode,
        statuses: &config.statuses,
        depth: config.audit.checks.depth,
        handles: &handles,
        plan,
    };
    let mut done = remove::files(files, &ctx);
    if config.recompile {
        let mut finder = crate::python::interpreters::Finder::default();
        let rows = done.iter_mut().map(|d| (&mut d.row, d.root.as_path()));
        let how = recompile::How {
            mode: config.mode,
            depth: config.audit.checks.depth,
            handles: &handles,
            plan,
        };
        recompile::rebuild(rows, &how, &mut finder);
    }
    let staying: HashSet<PathBuf> = done
        .iter()
        .filter(|d| {
            d.row
                .rebuild
                .as_ref()
                .is_some_and(|r| r.outcome == RebuildOutcome::WouldRebuild)
        })
        .map(|d| d.row.record.path.clone())
        .collect();
    let dir_rows = remove::directories(dirs, &done, &staying, config.mode, &handles);
    done.into_iter().map(|d| d.row).chain(dir_rows).collect()
}

/// Refuses a root that is the filesystem root or the home directory.
fn guard_roots(roots: &[PathBuf]) -> Result<()> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .and_then(|h| Path::new(&h).canonicalize().ok());
    for root in roots {
        let Ok(canonical) = root.canonicalize() else {
            continue;
        };
        if let Some(why) = safety::refused_root(&canonical, home.as_deref()) {
            bail!(
                "refusing to clean {}: {why} (pass --force to clean it anyway)",
                escaped_path(root)
            );
        }
    }
    Ok(())
}

/// Diagnostics on stderr: failures, and sourceless caches that still imported.
fn warn(rows: &[Row], mode: Mode) {
    for row in rows.iter().filter(|r| r.outcome == Outcome::Failed) {
        let why = row.outcome_reason.as_deref().unwrap_or(&row.record.reason);
        diag::error(&format!("{}: {why}", escaped_path(&row.record.path)));
    }
    let importable = rows
        .iter()
        .filter(|r| {
            r.outcome.removes()
                && r.record.status == Status::Orphan
                && r.record.python_action == Action::Load
        })
        .count();
    if importable > 0 {
        let verb = match mode {
            Mode::DryRun => "would remove",
            Mode::Remove => "removed",
        };
        diag::warning(&format!(
            "{verb} {importable} sourceless cache(s) that Python could still import; if a tree \
             ships without sources by design, protect it with --keep"
        ));
    }
}

/// 2 when something could not be read or removed; with `--dry-run`, 1 when something would
/// be removed; else 0.
pub(crate) fn exit_status(summary: &CleanSummary) -> ExitStatus {
    if summary.failed > 0 {
        ExitStatus::Error
    } else if summary.dry_run && summary.files + summary.directories > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let mut s = CleanSummary::default();
        assert_eq!(exit_status(&s), ExitStatus::Success);
        s.files = 1;
        assert_eq!(exit_status(&s), ExitStatus::Success);
        s.dry_run = true;
        assert_eq!(exit_status(&s), ExitStatus::Findings);
        s.failed = 1;
        assert_eq!(exit_status(&s), ExitStatus::Error);
        let dirs_only = CleanSummary {
            dry_run: true,
            directories: 1,
            ..CleanSummary::default()
        };
        assert_eq!(exit_status(&dirs_only), ExitStatus::Findings);
    }
}
