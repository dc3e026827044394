//! Throughput of `check_body` over a real tree's caches: an ignored test that prints MB/s.
//!
//! Run it with `bench/marshal.sh [DIR]` (release build). It reads every `*.pyc` under DIR
//! (`MARSHAL_BENCH_ROOT`; default: the pyenv versions directory, else `/usr/lib`), takes the
//! interpreter from each file's magic number and the body after that interpreter's header,
//! then times `check_body` over all bodies in memory for at least a second, and prints the
//! cache count, the bytes, the throughput and the bodies it rejects (a healthy tree has none).

use std::env;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pyc_audit::internals::check_body;
use pyc_audit::internals::Interpreter;
use pyc_audit::internals::{identify, MagicId};

fn root() -> PathBuf {
    if let Some(root) = env::var_os("MARSHAL_BENCH_ROOT") {
        return PathBuf::from(root);
    }
    let pyenv = env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    match pyenv.map(|p| p.join("versions")).filter(|p| p.is_dir()) {
        Some(versions) => versions,
        None => PathBuf::from("/usr/lib"),
    }
}

/// The caches under `root`: the interpreter their magic names, and their body.
fn load(root: &PathBuf) -> Vec<(Interpreter, Vec<u8>)> {
    let mut caches = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "pyc") || !entry.file_type().is_file() {
            continue;
        }
        let Ok(data) = std::fs::read(path) else {
            continue;
        };
        let MagicId::Known(known) = identify(&data).1 else {
            continue;
        };
        let interpreter = Interpreter::from_magic(&known);
        let header = interpreter.era().header_len();
        if data.len() > header {
            caches.push((interpreter, data[header..].to_vec()));
        }
    }
    caches
}

#[test]
#[ignore = "a benchmark: run bench/marshal.sh"]
fn check_body_throughput() {
    let root = root();
    let caches = load(&root);
    let bytes: usize = caches.iter().map(|(_, body)| body.len()).sum();
    assert!(!caches.is_empty(), "no caches under {}", root.display());
    let rejected: Vec<String> = caches
        .iter()
        .filter_map(|(interp, body)| {
            check_body(body, interp)
                .err()
                .map(|e| format!("{interp}: {e}"))
        })
        .collect();
    let started = Instant::now();
    let mut rounds = 0u32;
    while started.elapsed() < Duration::from_secs(1) || rounds < 3 {
        for (interp, body) in &caches {
            std::hint::black_box(check_body(std::hint::black_box(body), interp).is_ok());
        }
        rounds += 1;
    }
    let seconds = started.elapsed().as_secs_f64() / f64::from(rounds);
    let megabytes = bytes as f64 / 1e6;
    eprintln!("tree:       {}", root.display());
    eprintln!("caches:     {} ({megabytes:.1} MB of bodies)", caches.len());
    eprintln!("one pass:   {:.1} ms ({rounds} passes)", seconds * 1e3);
    eprintln!("throughput: {:.0} MB/s", megabytes / seconds);
    eprintln!(
        "per KB:     {:.2} us",
        seconds * 1e6 / (bytes as f64 / 1024.0)
    );
    eprintln!("per cache:  {:.2} us", seconds * 1e6 / caches.len() as f64);
    eprintln!("rejected:   {}", rejected.len());
    for line in rejected.iter().take(10) {
        eprintln!("  {line}");
    }
}
