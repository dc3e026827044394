//! The `check` command, the default: audit the trees, print the report, and map the findings
//! to an exit status. It walks and judges through `verdict::audit`, and prints through
//! `report`; what `clean` would remove is its plan, shown as a next step.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::Format;
use crate::commands::clean;
use crate::config::CheckConfig;
use crate::find::walk::WalkOptions;
use crate::report::exit::{self, ExitStatus};
use crate::report::{diag, ignore_broken_pipe, progress, terminal, RenderOptions, Report};
use crate::verdict::audit;
use crate::verdict::model::{self, Status};
use crate::{cli, report};

/// Runs `check` with its resolved configuration.
pub(crate) fn check(config: CheckConfig) -> Result<ExitStatus> {
    let audit = &config.audit;
    let opts = WalkOptions {
        follow: audit.follow,
        exclude: &audit.exclude,
        prune: None,
    };
    let plan = audit.plan();
    audit.announce();
    // Without --all only findings are printed: the fresh records are counted, not kept.
    let keep = audit::Keep::for_run(config.all, audit.checks);
    let counts = progress::Counts::default();
    let mut audited = progress::while_running(&counts, || {
        audit::collect(&plan, &opts, audit.checks, keep, &counts)
    });
    if audit.checks.verify {
        audited.verify();
    }
    let (records, walk_errors) = (audited.records, audited.errors);
    for e in &walk_errors {
        diag::error(&format!("{}: {}", report::escaped_path(&e.path), e.message));
    }
    for r in records.iter().filter(|r| r.status == Status::Unreadable) {
        diag::warning(&format!("{}: {}", report::escaped_path(&r.path), r.reason));
    }
    let mut summary = audited.summary;
    summary.errors += walk_errors.len();
    summary.pycache_prefix = audit.shown_prefix();
    summary.environment = audit.environment.clone();
    let exit = exit::policy(&records, walk_errors.len(), config.fail_on);
    if diag::quiet() {
        return Ok(exit);
    }
    let shown = records
        .iter()
        .filter(|r| config.all || r.severity.is_some())
        .collect();
    // What `clean` would remove: its plan, with its default statuses, over the roots it walks.
    let human = config.format == Format::Table && summary.findings > 0;
    let cleanable = human.then(|| clean::plan::cleanable(&records, &clean::walked_roots(&plan)));
    let report = Report {
        shown,
        summary: &summary,
        cleanable,
    };
    let cwd = match config.format {
        Format::Sarif => std::env::current_dir().context("cannot read the current directory")?,
        _ => audit.cwd.clone(),
    };
    let opts = RenderOptions {
        format: config.format,
        color: config.color,
        print0: config.print0,
        width: terminal::width(),
        cwd,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let printed = report::render(&report, &opts, &mut out).and_then(|()| out.flush());
    ignore_broken_pipe(printed)?;
    let refused = refused_paths(&report, &opts);
    report::paths::report_refused(&refused);
    if !refused.is_empty() {
        return Ok(ExitStatus::Error);
    }
    Ok(exit)
}

/// The paths `--format paths` could not print newline-terminated.
fn refused_paths<'r>(report: &Report<'r>, opts: &RenderOptions) -> Vec<&'r Path> {
    if opts.format != cli::Format::Paths {
        return Vec::new();
    }
    let files =
        (report.shown.iter()).filter(|r| matches!(r.kind, model::Kind::Cache | model::Kind::File));
    files
        .map(|r| r.path.as_path())
        .filter(|p| report::paths::refused(p, opts.print0))
        .collect()
}
