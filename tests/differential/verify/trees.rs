//! Building the trees of the `--verify` test: sources compiled by each interpreter, then
//! replaced at the same size under a matching header; fresh trees in every optimisation level
//! and invalidation mode; a stdlib sample; a cache of an interpreter that is not installed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use filetime::FileTime;

use crate::common::interpreters::Interpreter;
use crate::common::pythons::python_command;

/// Same-size replacement scenarios: name, the mtime both versions get (`None`: the old
/// source's own mtime, restored after the edit).
pub const SCENARIOS: &[(&str, Option<i64>)] = &[
    ("kept", None),
    ("epoch1", Some(1)),
    ("zip1980", Some(315_532_800)),
];

/// Compiles every `.py` under a directory into every cache this interpreter writes: every
/// optimisation level and invalidation mode (one directory per mode), by `py_compile` as
/// installers do. Python 2 writes `.pyc`, and `.pyo` under `-O`.
pub const COMPILE: &str = r#"
import os, sys, py_compile
root, level = sys.argv[1], int(sys.argv[2])
modes = {"timestamp": None}
if hasattr(py_compile, "PycInvalidationMode"):
    modes["checked_hash"] = py_compile.PycInvalidationMode.CHECKED_HASH
    modes["unchecked_hash"] = py_compile.PycInvalidationMode.UNCHECKED_HASH
for d, _, files in os.walk(root):
    for f in files:
        if not f.endswith(".py"):
            continue
        path = os.path.join(d, f)
        mode = os.path.basename(d)
        if sys.version_info[0] == 2:
            py_compile.compile(path, doraise=True)
            continue
        if mode not in modes:
            continue
        import importlib.util
        kw = {"optimize": level, "doraise": True}
        if modes[mode] is not None:
            kw["invalidation_mode"] = modes[mode]
        cfile = importlib.util.cache_from_source(path, optimization=level or "")
        py_compile.compile(path, cfile=cfile, **kw)
"#;

/// Sources every interpreter compiles: the constructs whose compilation the comparison must
/// see through (signed zeros, complex and bytes constants, frozensets, closures, docstrings
/// and asserts that -O and -OO drop, a coding cookie, no final newline).
pub const COMMON: &[(&str, &[u8])] = &[
    (
        "kinds.py",
        b"'''Module doc.'''\nimport os\nX = -0.0\nY = (1, 2.5, 1j, -0.0, u'\\xe9', b'raw', None, \
True, Ellipsis)\nS = frozenset([1, 2, 3])\n\ndef f(a, b=2, *args, **kw):\n    '''Doc of f.'''\n    \
assert a, 'a'\n    def g():\n        return a + b\n    return g, lambda: [i * 2 for i in args if i \
in (1, 2, 3)]\n\nclass C(object):\n    '''Doc of C.'''\n    def m(self):\n        try:\n            \
return 1 / 0\n        except ZeroDivisionError as e:\n            return e\n        finally:\n            \
pass\n\nif __debug__:\n    DEBUG = 1\n",
    ),
    (
        "latin.py",
        b"# -*- coding: latin-1 -*-\nS = '\xe9t\xe9'\n",
    ),
    ("nonewline.py", b"x = {'a': 1, 'b': [2, 3]}"),
];

/// Python 3 only.
pub const PY3: &[(&str, &[u8])] = &[(
    "py3.py",
    b"def k(*, key=None):\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n    \
return f'{key!r:>10}', inc\n\nasync def h(x):\n    async with x as y:\n        await y\n\n\
class D:\n    class E:\n        def m(self, v: int) -> str:\n            return {v} and str(v)\n",
)];

/// A sample of the standard library: a few packages, all their caches.
pub const STDLIB_SAMPLE: &[&str] = &["json", "email", "logging", "importlib"];

pub fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

pub fn run_python(interp: &Interpreter, args: &[&str], cwd: &Path) -> Result<String, String> {
    let out = python_command(&interp.executable)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Compiles the `fresh` tree: on Python 2 `.pyc` in `timestamp`, `.pyo` of `-O` in `o1` and
/// of `-OO` in `o2`; on Python 3 every level in every invalidation mode's directory.
pub fn compile(interp: &Interpreter, fresh: &Path) -> Result<(), String> {
    let dir = |d: &str| fresh.join(d).to_str().unwrap().to_string();
    let root = Path::new("/");
    if interp.is_py2() {
        for (flag, d) in [("-B", "timestamp"), ("-O", "o1"), ("-OO", "o2")] {
            run_python(interp, &[flag, "-c", COMPILE, &dir(d), "0"], root)?;
        }
        return Ok(());
    }
    for level in ["0", "1", "2"] {
        run_python(interp, &["-c", COMPILE, &dir(""), level], root)?;
    }
    Ok(())
}

pub fn set_mtime(path: &Path, t: FileTime) {
    filetime::set_file_mtime(path, t).unwrap();
}

pub fn marker(version: &str, scenario: &str) -> Vec<u8> {
    format!("print('{version}-{scenario}')\n").into_bytes()
}

/// Same-size edits that change the code only in what `==` or a careless comparison misses:
/// name, old, new, and whether the code differs (`None`: only from Python 3.11, which records
/// columns).
pub const EDITS: &[(&str, &str, &str, Option<bool>)] = &[
    ("negzero", "x = 0.0\n", "x =-0.0\n", Some(true)),
    ("bool", "x = 1   \n", "x = True\n", Some(true)),
    ("float", "x = (1 , 2)\n", "x = (1., 2)\n", Some(true)),
    ("line", "a = 1\n\nb = 2\n", "a = 1\nb = 2\n\n", Some(true)),
    (
        "nested",
        "def f():\n    def g():\n        return 'a'\n    return g\n",
        "def f():\n    def g():\n        return 'b'\n    return g\n",
        Some(true),
    ),
    ("column", "x = a+b \n", "x = a +b\n", None),
    ("comment", "x = 1  # a\n", "x = 1  # b\n", Some(false)),
    // The current source does not compile; the import still loads the old cache.
    ("syntax", "x = 1\n", "x = (\n", Some(true)),
];

/// One same-size replacement: writes the old module, compiles it, replaces it with the old
/// mtime kept (or both set to `mtime`); returns the directory to import it from.
pub fn replaced(
    interp: &Interpreter,
    dir: &Path,
    mtime: Option<i64>,
    old: &[u8],
    new: &[u8],
) -> PathBuf {
    let source = dir.join("m.py");
    write(&source, old);
    if let Some(t) = mtime {
        set_mtime(&source, FileTime::from_unix_time(t, 0));
    }
    let kept = FileTime::from_last_modification_time(&fs::metadata(&source).unwrap());
    compile_default(interp, dir);
    write(&source, new);
    set_mtime(&source, kept);
    dir.to_path_buf()
}

/// The default cache of `m.py` only: what an import would have written.
pub fn compile_default(interp: &Interpreter, dir: &Path) {
    compile_default_named(interp, dir, "m.py");
}

/// A release tarball made with `tar --mtime`, extracted over the previous release.
pub fn tarred(interp: &Interpreter, root: &Path) -> PathBuf {
    let dir = root.join("replaced").join("tar").join("timestamp");
    fs::create_dir_all(&dir).unwrap();
    for (release, text) in [("r1", "OLD"), ("r2", "NEW")] {
        let staging = root.join(release);
        write(&staging.join("m.py"), &marker(text, "tar"));
        let tarball = root.join(format!("{release}.tar"));
        let made = Command::new("tar")
            .args(["--mtime=@1700000000", "-cf"])
            .arg(&tarball)
            .arg("-C")
            .arg(&staging)
            .arg("m.py")
            .status()
            .unwrap();
        assert!(made.success());
        let unpacked = Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dir)
            .status()
            .unwrap();
        assert!(unpacked.success());
        if release == "r1" {
            compile_default(interp, &dir);
        }
    }
    dir
}

/// The edits of `EDITS`, each in its own directory: (directory, whether the code differs).
pub fn edits(interp: &Interpreter, root: &Path) -> Vec<(PathBuf, bool)> {
    let columns = !interp.is_py2()
        && interp.implementation == "CPython"
        && interp
            .version
            .split('.')
            .nth(1)
            .and_then(|m| m.parse::<u32>().ok())
            >= Some(11);
    EDITS
        .iter()
        .map(|(name, old, new, differs)| {
            let dir = root.join("edits").join(name);
            let dir = replaced(interp, &dir, None, old.as_bytes(), new.as_bytes());
            (dir, differs.unwrap_or(columns))
        })
        .collect()
}

/// Builds one interpreter's tree; returns the scenario directories, each checked to run the
/// old code.
pub fn build(interp: &Interpreter, root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut sources: Vec<(&str, &[u8])> = COMMON.to_vec();
    if !interp.is_py2() {
        sources.extend_from_slice(PY3);
    }
    let modes: &[&str] = if interp.is_py2() {
        &["timestamp", "o1", "o2"]
    } else {
        &["timestamp", "checked_hash", "unchecked_hash"]
    };
    for mode in modes {
        for (name, text) in &sources {
            write(&root.join("fresh").join(mode).join(name), text);
        }
    }
    compile(interp, &root.join("fresh"))?;
    let mut dirs: Vec<PathBuf> = SCENARIOS
        .iter()
        .map(|(name, mtime)| {
            let dir = root.join("replaced").join(name).join("timestamp");
            replaced(
                interp,
                &dir,
                *mtime,
                &marker("OLD", name),
                &marker("NEW", name),
            )
        })
        .collect();
    dirs.push(tarred(interp, root));
    for dir in &dirs {
        let said = run_python(interp, &["-c", "import m"], dir)?;
        if !said.starts_with("OLD-") {
            return Err(format!("{}: the import printed {said:?}", dir.display()));
        }
    }
    Ok(dirs)
}

/// The stdlib directories to sample, that exist for this interpreter.
pub fn stdlib_sample(interp: &Interpreter) -> Result<Vec<PathBuf>, String> {
    let code = "import os; print(os.path.dirname(os.__file__))";
    let stdlib = PathBuf::from(run_python(interp, &["-c", code], Path::new("/"))?.trim());
    Ok(STDLIB_SAMPLE
        .iter()
        .map(|p| stdlib.join(p))
        .filter(|p| p.is_dir())
        .collect())
}

/// A CPython 3.14 cache (not installed here) of a fresh source: magic 3627, a matching header.
pub fn unknown_interpreter(root: &Path) -> PathBuf {
    let dir = root.join("missing");
    let source = dir.join("m.py");
    write(&source, b"x = 1\n");
    set_mtime(&source, FileTime::from_unix_time(1_700_000_000, 0));
    let mut cache = Vec::new();
    cache.extend_from_slice(&3627u16.to_le_bytes());
    cache.extend_from_slice(b"\r\n");
    cache.extend_from_slice(&0u32.to_le_bytes());
    cache.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    cache.extend_from_slice(&6u32.to_le_bytes());
    cache.extend_from_slice(b"\xe3\x00\x00\x00\x00");
    write(&dir.join("__pycache__/m.cpython-314.pyc"), &cache);
    dir
}

/// The default cache of one source: what an import would have written.
pub fn compile_default_named(interp: &Interpreter, dir: &Path, name: &str) {
    let code = "import py_compile, sys; py_compile.compile(sys.argv[1], doraise=True)";
    let source = dir.join(name);
    run_python(interp, &["-c", code, source.to_str().unwrap()], dir).unwrap();
}
