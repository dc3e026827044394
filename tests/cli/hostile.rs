//! Hostile trees: special files named like caches (a FIFO, a socket, devices, a symlink to the
//! process's own stdin) must never block or be read by any command, and hostile names must
//! never reach a terminal raw.

use std::process::{Command, Stdio};

use crate::support::{pep552, Tree, T};

/// A tree with one real stale cache and every kind of special file named like a cache.
fn special() -> Tree {
    let t = Tree::new()
        .file("m.py", b"V = 1\n")
        .file(
            "__pycache__/m.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 99),
        )
        .symlink("__pycache__/null.cpython-311.pyc", "/dev/null")
        .symlink("__pycache__/zero.cpython-311.pyc", "/dev/zero")
        .symlink("__pycache__/stdin.cpython-311.pyc", "/proc/self/fd/0");
    let fifo = t.path("__pycache__/fifo.cpython-311.pyc");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
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
                assert!(
                    stdout.contains(cache.as_str()),
                    "{args:?}: {cache}\n{stdout}"
                );
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

/// Every control character (C0 but NUL and `/`'s byte, DEL, C1), an escape sequence, invalid
/// UTF-8 and a newline, each in the name of an orphaned cache.
fn hostile_names() -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = (1u8..0x20)
        .chain([0x7f])
        .map(|b| [&b"c"[..], &[b], b".pyc"].concat())
        .collect();
    for c in (0x80u32..0xa0).filter_map(char::from_u32) {
        names.push(format!("u{c}.pyc").into_bytes());
    }
    names.push(b"esc\x1b[2J\x1b]0;title\x07.pyc".to_vec());
    names.push(b"bad\xff\xfe.pyc".to_vec());
    names.push(b"a\nsetup.py\nb.pyc".to_vec());
    names
}

fn hostile_tree() -> Tree {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new().file("setup.py", b"");
    for name in hostile_names() {
        let path = t.path("").join(std::ffi::OsStr::from_bytes(&name));
        std::fs::write(path, pep552(3495, 0, T as u32, 0)).unwrap();
    }
    t
}

/// The first control character in `bytes` other than a line end, if any.
fn raw_control(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .find(|c| c.is_control() && *c != '\n')
        .map(|c| format!("{c:?} in {text}"))
}

#[test]
fn hostile_names_never_reach_a_terminal_raw() {
    let t = hostile_tree();
    let env = [("PYTHONDONTWRITEBYTECODE", "\x1b[31mred\x07\u{9b}")];
    let runs: [&[&str]; 5] = [
        &["check", "--all"],
        &["check", "--deep"],
        &[
            "explain",
            "esc\x1b[2J\x1b]0;title\x07.pyc",
            "c\x08.pyc",
            "u\u{85}.pyc",
        ],
        &["clean", "--dry-run"],
        &["clean", "--dry-run", "--recompile"],
    ];
    for args in runs {
        let run = t.run_env(args, &env);
        let out = &run.output;
        assert!(
            raw_control(&out.stdout).is_none(),
            "{args:?}: {:?}",
            raw_control(&out.stdout)
        );
        assert!(
            raw_control(&out.stderr).is_none(),
            "{args:?}: {:?}",
            raw_control(&out.stderr)
        );
    }
    // The escapes are there, readable.
    let run = t.run_env(&["check"], &env);
    assert!(run.stdout().contains("esc\\u{1b}[2J"), "{}", run.stdout());
    assert!(
        run.stdout().contains("\\u{1b}[31mred\\u{7}\\u{9b}"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout().contains("bad\\xff\\xfe.pyc"),
        "{}",
        run.stdout()
    );
}

#[test]
fn paths_refuses_a_newline_and_nul_separated_paths_are_exact() {
    for command in [&["check"][..], &["clean", "--dry-run"]] {
        let t = hostile_tree();
        let mut args = command.to_vec();
        args.extend(["--format", "paths"]);
        let run = t.run(&args);
        run.expect(2);
        let stdout = &run.output.stdout;
        assert!(
            !stdout.split(|b| *b == b'\n').any(|l| l == b"setup.py"),
            "{command:?}"
        );
        assert!(!stdout.windows(2).any(|w| w == b"a\n"), "{command:?}");
        assert!(
            run.stderr().contains("a\\nsetup.py\\nb.pyc"),
            "{}",
            run.stderr()
        );
        assert!(run.stderr().contains("-0"), "{}", run.stderr());
        // Every other name is listed, one per line.
        let printable = hostile_names()
            .iter()
            .filter(|n| !n.contains(&b'\n'))
            .count();
        assert_eq!(stdout.iter().filter(|b| **b == b'\n').count(), printable);

        args.push("-0");
        let run = t.run(&args);
        assert_ne!(run.code(), 2, "{command:?}: {}", run.stderr());
        let mut listed: Vec<&[u8]> = run.output.stdout.split(|b| *b == 0).collect();
        assert_eq!(listed.pop(), Some(&b""[..]));
        let mut expected = hostile_names();
        expected.sort();
        listed.sort();
        assert_eq!(listed, expected, "{command:?}");
    }
}
