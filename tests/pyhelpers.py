# -*- coding: utf-8 -*-
"""What the Python scripts of the tests share: running a subprocess without PYTHON* settings,
setting mtimes to the nanosecond, and writing a source's cache with the running interpreter.

Runs unchanged under CPython 2.7, CPython 3.6-3.13 and PyPy 3. Importers set
sys.dont_write_bytecode first, so that no cache of this module lands in the source tree.
"""

import os
import py_compile
import subprocess
import sys

PY2 = sys.version_info[0] == 2
VERSION = sys.version_info[:2]
HAS_HASH_PYCS = VERSION >= (3, 7)
HAS_OPT_TAG = VERSION >= (3, 5)


def clean_env(extra=None):
    """os.environ without PYTHON* variables (except PYTHONHOME) and SOURCE_DATE_EPOCH, plus
    the `extra` variables (a case's PYTHONPYCACHEPREFIX)."""
    env = {}
    for key, value in os.environ.items():
        if key.startswith("PYTHON") and key != "PYTHONHOME":
            continue
        if key == "SOURCE_DATE_EPOCH":
            continue
        env[key] = value
    env.update(extra or {})
    return env


def run(args, cwd=None, extra_env=None):
    """Run a subprocess with the clean environment (plus extra_env); return (returncode,
    stdout, stderr)."""
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=clean_env(extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate()
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def set_mtime(path, seconds, nanoseconds=0):
    """Set path's mtime (and atime) to seconds + nanoseconds, with ns precision if possible."""
    if not PY2:
        total = seconds * 1000000000 + nanoseconds
        os.utime(path, ns=(total, total))
    elif nanoseconds % 1000 == 0:
        value = seconds + nanoseconds / 1e9
        os.utime(path, (value, value))
    else:
        # Python 2's os.utime stops at microseconds; GNU touch takes nanoseconds.
        stamp = "@%d.%09d" % (seconds, nanoseconds)
        code, _, err = run(["touch", "-m", "-d", stamp, path])
        if code != 0:
            raise RuntimeError("touch failed: " + err)


def cache_path(source, optimization=0):
    """Where this interpreter reads and writes the cache of `source` at an optimization level
    (0: the default name)."""
    if PY2:
        return source + ("o" if optimization else "c")
    import importlib.util

    if optimization and HAS_OPT_TAG:
        return importlib.util.cache_from_source(source, optimization=optimization)
    return importlib.util.cache_from_source(source)


def invalidation_mode(mode):
    """py_compile's invalidation mode for None or a name ("timestamp", "checked-hash",
    "unchecked-hash"); None before 3.7."""
    if not HAS_HASH_PYCS:
        return None
    modes = py_compile.PycInvalidationMode
    if mode is None:
        return modes.TIMESTAMP
    if isinstance(mode, modes):
        return mode
    return {
        "timestamp": modes.TIMESTAMP,
        "checked-hash": modes.CHECKED_HASH,
        "unchecked-hash": modes.UNCHECKED_HASH,
    }[mode]


def compile_source(source, mode=None, optimization=0, cfile=None):
    """Write the cache of `source` with py_compile (at `cfile`, else where this interpreter
    reads it), in an invalidation mode (a name or py_compile's value); return its path."""
    cfile = cfile or cache_path(source, optimization)
    if PY2 and optimization:
        # Python 2 optimises only in a process started with -O.
        code = "import py_compile, sys; py_compile.compile(sys.argv[1], sys.argv[2], doraise=True)"
        returncode, _, err = run([sys.executable, "-O", "-c", code, source, cfile])
        if returncode != 0:
            raise RuntimeError("py_compile -O failed: " + err)
        return cfile
    kwargs = {"cfile": cfile, "doraise": True}
    if not PY2:
        kwargs["optimize"] = optimization
    if HAS_HASH_PYCS:
        kwargs["invalidation_mode"] = invalidation_mode(mode)
    py_compile.compile(source, **kwargs)
    return cfile
