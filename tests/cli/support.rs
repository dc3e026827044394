//! A tiny tree builder and command runner for the CLI tests: trees live in temp dirs, mtimes
//! are pinned with filetime, caches are written byte by byte (3.11 layout unless stated).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use filetime::FileTime;

pub const T: i64 = 1_700_000_000;

#[must_use]
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file, creating parents, and pins its mtime to `T`.
    pub fn file(self, rel: &str, bytes: &[u8]) -> Tree {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        filetime::set_file_mtime(&p, FileTime::from_unix_time(T, 0)).unwrap();
        self
    }

    /// A source plus a 3.11 timestamp cache whose header matches it.
    pub fn fresh_311(self, stem: &str, source: &[u8]) -> Tree {
        let (dir, name) = split(stem);
        let pyc = format!("{dir}__pycache__/{name}.cpython-311.pyc");
        let header = pep552(3495, 0, T as u32, source.len() as u32);
        self.file(&format!("{stem}.py"), source).file(&pyc, &header)
    }

    pub fn symlink(self, rel: &str, target: &str) -> Tree {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, &p).unwrap();
        self
    }

    pub fn dir(self, rel: &str) -> Tree {
        fs::create_dir_all(self.path(rel)).unwrap();
        self
    }

    /// Sets a file's mtime (seconds and nanoseconds).
    pub fn mtime(self, rel: &str, secs: i64, nanos: u32) -> Tree {
        filetime::set_file_mtime(self.path(rel), FileTime::from_unix_time(secs, nanos)).unwrap();
        self
    }

    /// Runs the binary in the tree with a clean environment.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in("", args, &[])
    }

    /// Runs the binary in the tree with a clean environment plus `vars`.
    #[track_caller]
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        self.run_in("", args, vars)
    }

    /// Runs the binary in a directory of the tree with a clean environment plus `env`.
    #[track_caller]
    pub fn run_in(&self, rel: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
            .args(args)
            .current_dir(self.path(rel))
            .env_clear()
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        Run {
            output,
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }
}

fn split(stem: &str) -> (String, &str) {
    match stem.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), stem),
    }
}

/// `marshal.dumps(compile("", "m.py", "exec"))` of CPython 3.11: a valid cache body.
const BODY_311: &str = "630000000000000000000000000100000000000000f30600000097006400530029014ea9007201\
                        000000f300000000fa046d2e7079fa083c6d6f64756c653e720400000001000000730f000000\
                        f003010101f000010101f0000101017202000000";

/// A 3.7+ header followed by the body of an empty 3.11 module.
pub fn pep552(magic: u16, flags: u32, a: u32, b: u32) -> Vec<u8> {
    let mut v = vec![magic as u8, (magic >> 8) as u8, b'\r', b'\n'];
    for w in [flags, a, b] {
        v.extend_from_slice(&w.to_le_bytes());
    }
    let hex = BODY_311.as_bytes();
    v.extend(
        hex.chunks(2)
            .map(|d| u8::from_str_radix(std::str::from_utf8(d).unwrap(), 16).unwrap()),
    );
    v
}

pub struct Run {
    pub output: Output,
    args: Vec<String>,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts the exit code, showing everything on failure.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "pyc-audit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.stdout(),
            self.stderr()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout()))
    }
}

/// The record for a cache path in a JSON document.
#[track_caller]
/// The paths of a JSON document's findings, in order.
pub fn finding_paths(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect()
}

pub fn record<'a>(doc: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("no record for {path} in {doc:#}"))
}

pub fn exists(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}

/// `proj/ui.py` with a fresh in-tree 3.11 cache and a stale 3.12 cache in the pycache-prefix
/// tree `pfx/`; also the prefix tree's directory that mirrors `proj`.
pub fn prefixed() -> (Tree, String) {
    let tree = Tree::new();
    let real = std::fs::canonicalize(tree.dir.path()).unwrap();
    let mirror = format!("pfx{}/proj", real.display());
    let src = b"x = 1\n";
    let tree = tree
        .file("proj/ui.py", src)
        .file(
            "proj/__pycache__/ui.cpython-311.pyc",
            &pep552(3495, 0, T as u32, src.len() as u32),
        )
        .file(
            &format!("{mirror}/ui.cpython-312.pyc"),
            &pep552(3531, 0, T as u32 - 5, src.len() as u32),
        );
    (tree, mirror)
}
