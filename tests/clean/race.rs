//! A cache rewritten between the audit and its removal (another process imported the module)
//! survives: `clean` judges each cache again right before removing it. The test stops the run
//! between its two halves, the plan and the removals, through the library.

use std::fs;

use clap::Parser;
use filetime::FileTime;

use pyc_audit::cli::{Cli, Command};
use pyc_audit::internals::{audit, execute, plan, CleanConfig, Outcome, WalkOptions};

use crate::interpreters::{all_required, discover};
use crate::support::{pep552, T};
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

/// One run of the importer race: `n` stale caches, half of them with a cache write in
/// progress (a temporary file holding the fresh bytes, as importlib leaves it between its
/// write and its rename). While `clean` removes what its audit planned, a thread finishes every
/// write the way importlib does (rename into place), or writes a fresh cache (temp + rename).
/// Returns the violations: fresh caches missing afterwards, temporary files removed.
fn importer_round(n: usize) -> Vec<String> {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("r");
    let pycache = root.join("p/__pycache__");
    fs::create_dir_all(&pycache).unwrap();
    let mut jobs = Vec::new();
    for i in 0..n {
        let source = root.join(format!("p/m{i:03}.py"));
        let text = format!("V = {i}\n");
        fs::write(&source, &text).unwrap();
        filetime::set_file_mtime(&source, FileTime::from_unix_time(T, 0)).unwrap();
        let cache = pycache.join(format!("m{i:03}.cpython-311.pyc"));
        fs::write(&cache, pep552(3495, 0, T as u32, 999)).unwrap();
        let fresh = pep552(3495, 0, T as u32, text.len() as u32);
        let tmp = pycache.join(format!("m{i:03}.cpython-311.pyc.{}", 1000 + i));
        let in_progress = i % 2 == 0;
        if in_progress {
            fs::write(&tmp, &fresh).unwrap();
        }
        jobs.push((cache, tmp, fresh, in_progress));
    }
    let config = config(&root);
    let opts = WalkOptions {
        follow: false,
        exclude: &config.audit.exclude,
        prune: None,
    };
    let plan = pyc_audit::internals::Plan::new(&config.audit.roots, None, std::path::Path::new(""));
    let (records, _) = audit::audit(&plan, &opts, config.audit.checks);
    let planned = plan::plan(records, &config.audit.roots, &config.statuses, &config.keep);
    let mut problems = Vec::new();
    let mut lost = Vec::new();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut removed = Vec::new();
            for (i, (cache, tmp, fresh, in_progress)) in jobs.iter().enumerate() {
                if !in_progress {
                    // importlib creates the directory again if it went.
                    fs::create_dir_all(tmp.parent().unwrap()).unwrap();
                    fs::write(tmp, fresh).unwrap();
                }
                if fs::rename(tmp, cache).is_err() {
                    removed.push(i);
                }
            }
            removed
        });
        execute(planned, &config, &plan);
        lost = writer.join().unwrap();
    });
    for (i, (cache, tmp, fresh, _)) in jobs.iter().enumerate() {
        if lost.contains(&i) {
            problems.push(format!("temporary file removed: {}", tmp.display()));
        } else if fs::read(cache).ok().as_ref() != Some(fresh) {
            problems.push(format!("fresh cache removed: {}", cache.display()));
        }
    }
    problems
}

#[test]
fn a_concurrent_importer_loses_no_fresh_cache_and_no_write_in_progress() {
    let rounds = 30;
    let mut problems = Vec::new();
    for _ in 0..rounds {
        problems.extend(importer_round(60));
    }
    let fresh = problems.iter().filter(|p| p.starts_with("fresh")).count();
    eprintln!(
        "importer race: {rounds} rounds of 60 caches: {fresh} fresh caches and {} temporary \
         files removed",
        problems.len() - fresh
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
