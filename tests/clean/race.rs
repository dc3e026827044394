//! A cache rewritten between the audit and its removal (another process imported the module)
//! survives: `clean` judges each cache again right before removing it. The test stops the run
//! between its two halves, the plan and the removals, through the library.

use std::fs;

use clap::Parser;

use pyc_audit::audit;
use pyc_audit::clean::config::CleanConfig;
use pyc_audit::clean::outcome::Outcome;
use pyc_audit::clean::{execute, plan};
use pyc_audit::cli::{Cli, Command};
use pyc_audit::walk::WalkOptions;

use crate::interpreters::{all_required, discover};
use crate::tree_py;

fn config(root: &std::path::Path) -> CleanConfig {
    let cli = Cli::parse_from(["pyc-audit".as_ref(), "clean".as_ref(), root.as_os_str()]);
    let Some(Command::Clean(args)) = cli.command else {
        panic!("not a clean command")
    };
    CleanConfig::from_args(args).unwrap()
}

#[test]
fn a_cache_rewritten_since_the_audit_stays() {
    // Any CPython 3 will do; the other interpreters' rewrites are the same rename.
    let Some(python) = discover("race")
        .into_iter()
        .find(|i| i.implementation == "CPython" && !i.is_py2())
    else {
        assert!(!all_required(), "no CPython 3 under CI");
        eprintln!("race: no CPython 3 found; nothing tested");
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("rc");
    let built = tree_py(
        &python.executable,
        &["recompile".as_ref(), root.as_os_str()],
    )
    .unwrap();
    let stale = root.join(built["cases"][0]["cache"].as_str().unwrap());
    let other = root.join(built["cases"][1]["cache"].as_str().unwrap());

    let config = config(&root);
    let opts = WalkOptions {
        follow: false,
        exclude: &config.audit.exclude,
        prune: None,
    };
    let plan = config.audit.plan();
    let (records, _) = audit::audit(&plan, &opts, config.audit.checks);
    let planned = plan::plan(records, &config.audit.roots, &config.statuses, &config.keep);
    assert!(planned
        .iter()
        .any(|p| p.record.path == stale && p.decision == plan::Decision::Remove));

    // Another process rewrites the cache: now it matches its source.
    let source = root.join(format!(
        "{}.py",
        built["cases"][0]["module"].as_str().unwrap()
    ));
    tree_py(
        &python.executable,
        &["rewrite".as_ref(), source.as_os_str()],
    )
    .unwrap();
    let rewritten = fs::read(&stale).unwrap();

    let rows = execute(planned, &config, &plan);
    let row = rows.iter().find(|r| r.record.path == stale).unwrap();
    assert_eq!(row.outcome, Outcome::Kept, "{row:?}");
    assert!(
        row.outcome_reason
            .as_deref()
            .unwrap()
            .contains("judged fresh"),
        "{row:?}"
    );
    assert_eq!(fs::read(&stale).unwrap(), rewritten);
    // The rest of the plan still ran.
    let other_row = rows.iter().find(|r| r.record.path == other).unwrap();
    assert_eq!(other_row.outcome, Outcome::Removed);
    assert!(!other.exists());
}
