//! `--verify` against the real interpreters.
//!
//! For every interpreter found, a tree of sources replaced by other code of the same size
//! under a matching header: the old mtime restored, every mtime 1 (a Nix-style store), the
//! 1980-01-01 date of an unzipped wheel, and a `tar --mtime` release extracted over the
//! previous one. The interpreter itself must print the old code's marker on import, and
//! `pyc-audit --verify` must say diverged, load, error for each. Beside them, freshly compiled
//! sources in every optimisation level and invalidation mode, and a sample of each
//! interpreter's installed standard library (a few packages, all their caches, as byte-compiled
//! at install: the whole libraries take minutes, which the test suite cannot spend), must all
//! verify equal: no false alarm. A cache of CPython 3.14, which is not installed here, must be
//! counted as not verified, and the rest verified.
//!
//! All trees go to one `pyc-audit` run, as a user's would: one worker pool for every
//! interpreter at once.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod trees;

use crate::common::{interpreters, one_suite_at_a_time};
use trees::{
    build, compile_default_named, edits, replaced, run_python, stdlib_sample, unknown_interpreter,
    write,
};

#[test]
fn verify_finds_every_replacement_and_no_false_alarm() {
    let _one = one_suite_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let run = interpreters::run_each("verify", |interp, _| {
        let root = base.join(interp.label().replace(' ', "-"));
        let replaced = build(interp, &root)?;
        let edits = edits(interp, &root);
        Ok((root, replaced, stdlib_sample(interp)?, edits))
    });
    assert!(run.problems.is_empty(), "{}", run.problems.join("\n"));
    if run.results.is_empty() {
        return;
    }
    let missing = unknown_interpreter(base);
    let mut paths: Vec<PathBuf> = vec![base.to_path_buf()];
    for (_, (_, _, sample, _)) in &run.results {
        paths.extend(sample.iter().cloned());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(["check", "--verify", "--all", "--no-env", "--format", "json"])
        .args(&paths)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let records = doc["findings"].as_array().unwrap();
    let in_dir = |dir: &Path| -> Vec<&Value> {
        records
            .iter()
            .filter(|r| {
                r["kind"] == "cache" && Path::new(r["path"].as_str().unwrap()).starts_with(dir)
            })
            .collect()
    };
    let mut problems = Vec::new();
    for (interp, (root, replaced, sample, edits)) in &run.results {
        let label = interp.label();
        for (dir, differs) in edits {
            let found = in_dir(dir);
            if found.len() != 1 {
                problems.push(format!(
                    "{label}: {} caches in {}",
                    found.len(),
                    dir.display()
                ));
            }
            for r in found {
                let want = if *differs { "diverged" } else { "fresh" };
                let reason = r["reason"].as_str().unwrap();
                let syntax = dir.ends_with("syntax") && !reason.contains("does not compile");
                if r["status"] != want || syntax {
                    problems.push(format!(
                        "{label}: {} want {want}: {}",
                        r["path"], r["reason"]
                    ));
                }
            }
        }
        for dir in replaced {
            let found = in_dir(dir);
            if found.is_empty() {
                problems.push(format!("{label}: no cache in {}", dir.display()));
            }
            for r in found {
                let got = (&r["status"], &r["python_action"], &r["severity"]);
                if got != (&"diverged".into(), &"load".into(), &"error".into()) {
                    problems.push(format!("{label}: {} {got:?}: {}", r["path"], r["reason"]));
                }
            }
        }
        let mut verified = BTreeMap::new();
        let fresh_dirs = std::iter::once(root.join("fresh")).chain(sample.iter().cloned());
        for dir in fresh_dirs {
            let found = in_dir(&dir);
            *verified
                .entry(dir.file_name().unwrap().to_string_lossy().to_string())
                .or_insert(0) += found.len();
            for r in found {
                let alarm = r["status"] == "diverged"
                    || matches!(r["severity"].as_str(), Some("warning" | "error"));
                let unverified =
                    r["status"] == "fresh" && !verified_text(r["reason"].as_str().unwrap());
                if alarm || unverified {
                    problems.push(format!(
                        "{label}: false alarm {} {}: {}",
                        r["path"], r["status"], r["reason"]
                    ));
                }
            }
        }
        eprintln!(
            "verify: {label}: {} replaced caches diverged; verified equal: {verified:?}",
            replaced.len()
        );
        if verified.get("fresh").copied().unwrap_or(0) == 0 {
            problems.push(format!("{label}: no fresh cache verified"));
        }
    }
    let skipped = in_dir(&missing);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["status"], "fresh", "{:#}", skipped[0]);
    assert!(skipped[0]["reason"]
        .as_str()
        .unwrap()
        .contains("not verified: CPython 3.14 is not installed"));
    assert_eq!(
        doc["summary"]["verify"]["not_verified"],
        serde_json::json!({"CPython 3.14": 1}),
        "{:#}",
        doc["summary"]
    );
    assert!(
        stderr.contains("1 cache of CPython 3.14 not verified"),
        "{stderr}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn verified_text(reason: &str) -> bool {
    reason.contains("verified") && !reason.contains("not verified")
}

/// `explain --verify` shows the rule, `clean --verify` removes the diverged cache and nothing
/// else, and the import then runs the new code.
#[test]
fn explain_and_clean_verify() {
    let _one = one_suite_at_a_time();
    let Some(interp) = cpython3() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    replaced(&interp, dir, None, b"print('OLD')\n", b"print('NEW')\n");
    write(&dir.join("ok.py"), b"print('OK')\n");
    compile_default_named(&interp, dir, "ok.py");
    let bin = env!("CARGO_BIN_EXE_pyc-audit");
    let out = Command::new(bin)
        .args(["explain", "--verify", "--format", "json"])
        .arg(dir.join("m.py"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cache = &doc["files"][0]["caches"][0];
    assert_eq!(cache["status"], "diverged", "{cache:#}");
    let last = cache["rules"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["rule"], &last["outcome"]),
        (&"verify".into(), &"warning".into())
    );
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .contains("'OLD' in the cache"),
        "{last:#}"
    );
    assert!(cache["fix"]["command"].as_str().unwrap().starts_with("rm "));

    let clean = |extra: &[&str]| {
        let out = Command::new(bin)
            .args(["clean", "--verify", "--format", "paths"])
            .args(extra)
            .arg(dir)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = clean(&["--dry-run"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("__pycache__/m."), "{listed}");
    assert_eq!(clean(&[]), listed);
    let caches: Vec<_> = fs::read_dir(dir.join("__pycache__")).unwrap().collect();
    assert_eq!(caches.len(), 1, "only ok's cache is left");
    let said = run_python(&interp, &["-c", "import m"], dir).unwrap();
    assert_eq!(said.trim(), "NEW");
}

/// A source rewritten within the second its cache was written, at the same size, is suspect by
/// its header; when it compiles to the same code, `--verify` makes it fresh.
#[test]
fn a_suspect_cache_with_the_same_code_verifies_fresh() {
    let _one = one_suite_at_a_time();
    let Some(interp) = cpython3() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let source = dir.join("m.py");
    write(&source, b"x = 1  # a\n");
    filetime::set_file_mtime(
        &source,
        filetime::FileTime::from_unix_time(1_700_000_000, 0),
    )
    .unwrap();
    compile_default_named(&interp, dir, "m.py");
    let cache = fs::read_dir(dir.join("__pycache__"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // The cache written at .2 s, the source rewritten (a comment) at .5 s of the same second.
    filetime::set_file_mtime(
        &cache,
        filetime::FileTime::from_unix_time(1_700_000_000, 200_000_000),
    )
    .unwrap();
    write(&source, b"x = 1  # b\n");
    filetime::set_file_mtime(
        &source,
        filetime::FileTime::from_unix_time(1_700_000_000, 500_000_000),
    )
    .unwrap();
    let status = |verify: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pyc-audit"));
        cmd.args(["--all", "--no-env", "--format", "json"]);
        if verify {
            cmd.arg("--verify");
        }
        let out = cmd.arg(dir).output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let r = &doc["findings"].as_array().unwrap()[0];
        (
            r["status"].as_str().unwrap().to_string(),
            r["reason"].as_str().unwrap().to_string(),
        )
    };
    let (before, reason) = status(false);
    assert_eq!(before, "suspect", "{reason}");
    assert!(reason.contains("--verify"), "{reason}");
    let (after, reason) = status(true);
    assert_eq!(after, "fresh", "{reason}");
    assert!(reason.contains("verified"), "{reason}");
}

/// Any CPython 3 found here, for the cases one interpreter shows.
fn cpython3() -> Option<interpreters::Interpreter> {
    interpreters::discover("verify")
        .into_iter()
        .find(|i| i.implementation == "CPython" && !i.is_py2())
}
