//! Hostile trees: special files named like caches (a FIFO, a socket, devices, a symlink to the
//! process's own stdin) must never block or be read by any command, and hostile names must
//! never reach a terminal raw.

use std::process::{Command, Stdio};

use crate::support::{pep552, Tree, T};

/// A tree with one real stale cache and every kind of special file named like a cache.
fn special() -> Tree {
    let t = Tree::new()
        .file("m.py", b"V = 1\n")
        .file("__pycache__/m.cpython-311.pyc", &pep552(3495, 0, T as u32, 99))
        .symlink("__pycache__/null.cpython-311.pyc", "/dev/null")
        .symlink("__pycache__/zero.cpython-311.pyc", "/dev/zero")
        .symlink("__pycache__/stdin.cpython-311.pyc", "/proc/self/fd/0");
    let fifo = t.path("__pycache__/fifo.cpython-311.pyc");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let socket = t.path("__pycache__/sock.cpython-311.pyc");
    std::mem::forget(std::os::unix::net::UnixListener::bind(socket).unwrap());
    t
}

/// Runs the binary under `timeout`, with a stdin that never ends (a pipe kept open).
fn bounded(t: &Tree, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new("timeout")
        .arg("20")
        .arg(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(args)
        .current_dir(t.path(""))
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let code = out.status.code().unwrap_or(-1);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (code, text(&out.stdout), text(&out.stderr))
}

#[test]
fn no_command_blocks_on_or_reads_a_special_file() {
    let t = special();
    let names = ["null", "zero", "stdin", "fifo", "sock"];
    let caches: Vec<String> = names
        .iter()
        .map(|n| format!("__pycache__/{n}.cpython-311.pyc"))
        .collect();
    let mut explain = vec!["explain"];
    explain.extend(caches.iter().map(String::as_str));
    let runs: [&[&str]; 6] = [
        &["check"],
        &["check", "--deep", "--format", "json"],
        &explain,
        &["explain", "m.py"],
        &["clean", "--dry-run"],
        &["clean"],
    ];
    for args in runs {
        let (code, stdout, stderr) = bounded(&t, args);
        assert_ne!(code, 124, "pyc-audit {args:?} hung");
        assert!(code == 1 || code == 2, "{args:?} exited {code}: {stderr}");
        if args[0] != "explain" || args.len() > 2 {
            for cache in &caches {
                assert!(stdout.contains(cache.as_str()), "{args:?}: {cache}\n{stdout}");
            }
            assert!(stdout.contains("not a regular file"), "{args:?}: {stdout}");
        }
    }
    // Nothing special was removed, and the stale cache was.
    for cache in &caches {
        assert!(t.path(cache).symlink_metadata().is_ok(), "{cache}");
    }
    assert!(!t.path("__pycache__/m.cpython-311.pyc").exists());
}
