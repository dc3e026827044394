# -*- coding: utf-8 -*-
"""Differential harness: build .pyc scenarios with a real interpreter, then watch it import them.

Runs unchanged under CPython 2.7, CPython 3.6-3.13 and PyPy 3 (no f-strings, no pathlib, no
type hints). The interpreter under test is the one running this script (sys.executable).

    harness.py build DIR     build one scenario per case under DIR/<case>/ and write
                             DIR/cases.json: [{"case", "cache", "module", "cwd", "source",
                             "file", "note"}, ...] (paths relative to DIR; a case may add
                             "env", variables its import runs with, as prefix_cases.py does)
    harness.py observe DIR   import each case's module in a fresh `python -v` subprocess and
                             print, as JSON, what the interpreter did with the case's cache:
                             [{"case", "cache", "observed", "value", "source_value", "evidence"}]

`observed` is one of:
    load       the interpreter executed that file's bytecode (-v: "code object from '<pyc>'",
               2.7: "import m # precompiled from <pyc>")
    recompile  it compiled the source instead and rewrote, or tried to rewrite, that file
               (bytes, inode or mtime changed, or -v reports writing / failing to write it)
    fail       the import raised an error that comes from the cache (bad magic, EOFError,
               marshal errors, invalid flags, non-code object)
    skip       it never used the file: not loaded, not rewritten (a "No module named" error
               for an orphaned __pycache__ file counts as skip: the cache was never read)

`value` is the module's V as imported (null if the import failed); `source_value` is the V the
source on disk defines (null when there is no source), so "ran stale code" is value !=
source_value.

Caches are always produced by the interpreter itself (py_compile, compileall or import) and then
manipulated as the case demands. Cases that do not apply to an interpreter are left out.
Environment: HARNESS_OTHER_PYTHON may name another CPython 3 interpreter; it builds the
"foreign magic under this tag" case. Subprocesses run without PYTHON* variables (no
PYTHONDONTWRITEBYTECODE, PYTHONPYCACHEPREFIX, PYTHONOPTIMIZE, PYTHONSAFEPATH, ...).
"""

from __future__ import print_function

import json
import marshal
import os
import platform
import py_compile
import re
import stat
import struct
import sys

# The helpers every test script shares (tests/pyhelpers.py), imported without leaving a cache
# of them in the source tree.
_WRITES = sys.dont_write_bytecode
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pyhelpers import cache_path, clean_env, compile_source, run, set_mtime  # noqa: E402,F401

sys.dont_write_bytecode = _WRITES

PY2 = sys.version_info[0] == 2
VERSION = sys.version_info[:2]
HAS_PYCACHE = VERSION >= (3, 2)
HAS_HASH_PYCS = VERSION >= (3, 7)
HAS_OPT_TAG = VERSION >= (3, 5)

# A fixed, whole-second source mtime (2023-11-14T22:13:20Z), well before any cache is written.
T0 = 1700000000

if HAS_HASH_PYCS:
    TIMESTAMP = py_compile.PycInvalidationMode.TIMESTAMP
    CHECKED = py_compile.PycInvalidationMode.CHECKED_HASH
    UNCHECKED = py_compile.PycInvalidationMode.UNCHECKED_HASH
else:
    TIMESTAMP = CHECKED = UNCHECKED = None


def header_size():
    """Size of the pyc header this interpreter writes and reads."""
    if VERSION >= (3, 7):
        return 16
    if VERSION >= (3, 3):
        return 12
    return 8


def magic_number():
    """The 4 magic bytes this interpreter writes."""
    if PY2:
        import imp

        return imp.get_magic()
    import importlib.util

    return importlib.util.MAGIC_NUMBER


def write_bytes(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def write_source(path, value, mtime=None):
    """Write `V = <value>` to path (so the size follows the number of digits)."""
    write_bytes(path, ("V = %d\n" % value).encode("ascii"))
    if mtime is not None:
        set_mtime(path, mtime)


COMPILE_SCRIPT = (
    "import py_compile, sys\n"
    "cfile = sys.argv[2] if len(sys.argv) > 2 else None\n"
    "py_compile.compile(sys.argv[1], cfile=cfile, doraise=True)\n"
)


def compile_with(args, source, cfile=None):
    """Compile source with py_compile in a subprocess `args` (an interpreter and options)."""
    code, _, err = run(args + ["-c", COMPILE_SCRIPT, source] + ([cfile] if cfile else []))
    if code != 0:
        raise RuntimeError("%s could not compile %s: %s" % (" ".join(args), source, err))


def compile_legacy(source):
    """Compile `source` into legacy NAME.pyc beside it with compileall (`-b` on 3.x)."""
    import compileall

    if PY2:
        ok = compileall.compile_file(source, force=True, quiet=1)
    else:
        ok = compileall.compile_file(source, force=True, quiet=1, legacy=True)
    if not ok:
        raise RuntimeError("compileall failed for " + source)
    return os.path.splitext(source)[0] + ".pyc"


def first_rejected_flip(content, hsize):
    """The cache with one body byte replaced so that this interpreter's marshal.loads raises:
    the first byte from the middle of the body on that, set to 0x00, breaks it."""
    body = content[hsize:]
    for offset in list(range(len(body) // 2, len(body))) + list(range(len(body) // 2)):
        damaged = body[:offset] + b"\x00" + body[offset + 1 :]
        try:
            marshal.loads(damaged)
        except Exception:
            return content[:hsize] + damaged
    raise RuntimeError("no single zeroed byte breaks this body")


def patch(path, offset, data):
    """Overwrite bytes at offset in path, keeping the rest."""
    content = read_bytes(path)
    write_bytes(path, content[:offset] + data + content[offset + len(data) :])


class Builder(object):
    """Builds the case directories under root and collects their cases.json entries."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.cases = []

    def case_dir(self, name):
        path = os.path.join(self.root, name)
        os.makedirs(path)
        return path

    def add(self, name, cache, note, module="m", source="m.py", file_name=None):
        """Records a case: the cache pyc-audit must judge, and how to import its module."""
        case_dir = os.path.join(self.root, name)
        self.cases.append(
            {
                "case": name,
                "cache": os.path.relpath(cache, self.root),
                "module": module,
                "cwd": os.path.relpath(case_dir, self.root),
                "source": os.path.join(name, source),
                "file": file_name,
                "note": note,
            }
        )

    def fresh_module(self, name, value=1, mtime=T0):
        """A case dir holding m.py (V = value, given mtime) compiled into a timestamp cache."""
        directory = self.case_dir(name)
        source = os.path.join(directory, "m.py")
        write_source(source, value, mtime)
        return directory, source, compile_source(source)


def build_cases(b):
    """Every scenario; each is skipped where it does not apply to this interpreter."""
    hsize = header_size()

    _, _, cache = b.fresh_module("fresh")
    b.add("fresh", cache, "timestamp cache, untouched source: load")

    _, source, cache = b.fresh_module("edited_size")
    write_source(source, 22, T0 + 10)
    b.add("edited_size", cache, "source edited to another size and mtime: recompile")

    if VERSION >= (3, 3):
        _, source, cache = b.fresh_module("edited_size_same_mtime")
        write_source(source, 22, T0)
        b.add("edited_size_same_mtime", cache, "size differs, mtime kept: 3.3+ recompile")

    _, source, cache = b.fresh_module("edited_same_size")
    write_source(source, 2, T0 + 10)
    b.add("edited_same_size", cache, "same size, different mtime: recompile")

    _, source, cache = b.fresh_module("touched")
    set_mtime(source, T0 + 10)
    b.add("touched", cache, "content unchanged, mtime changed: recompile")

    if HAS_HASH_PYCS:
        for name, mode, edit in (
            ("checked_fresh", CHECKED, False),
            ("checked_edited", CHECKED, True),
            ("unchecked_fresh", UNCHECKED, False),
            ("unchecked_edited", UNCHECKED, True),
        ):
            directory = b.case_dir(name)
            source = os.path.join(directory, "m.py")
            write_source(source, 1, T0)
            cache = compile_source(source, mode)
            note = "hash-based cache, untouched source: load"
            if edit:
                write_source(source, 2222, T0 + 10)
                note = "hash-based cache, source edited: " + (
                    "recompile" if mode == CHECKED else "load (stale code runs)"
                )
            b.add(name, cache, note)

    if HAS_PYCACHE:
        _, source, cache = b.fresh_module("pycache_orphan")
        os.remove(source)
        b.add("pycache_orphan", cache, "__pycache__ file without source: never read")

    directory = b.case_dir("legacy_with_source")
    source = os.path.join(directory, "m.py")
    write_source(source, 1, T0)
    cache = compile_legacy(source)
    b.add("legacy_with_source", cache, "legacy m.pyc beside m.py: 2.7 loads, 3.2+ skip")

    directory = b.case_dir("legacy_orphan")
    source = os.path.join(directory, "m.py")
    write_source(source, 1, T0)
    cache = compile_legacy(source)
    os.remove(source)
    b.add("legacy_orphan", cache, "legacy m.pyc without source: load", source="m.py")

    if HAS_PYCACHE:
        directory = b.case_dir("legacy_orphan_truncated")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        cache = compile_legacy(source)
        os.remove(source)
        write_bytes(cache, read_bytes(cache)[:10])
        b.add("legacy_orphan_truncated", cache, "sourceless pyc cut to 10 bytes: fail")

    if PY2:
        for name, orphan in (("u_legacy_with_source", False), ("u_legacy_orphan", True)):
            directory = b.case_dir(name)
            source = os.path.join(directory, "m.py")
            write_source(source, 1, T0)
            # -B: an import under -U would rewrite the stdlib's caches with MAGIC+1 (as root,
            # in place); py_compile writes this one cache with -U's magic.
            compile_u = "import py_compile; py_compile.compile('m.py')"
            code, _, err = run([sys.executable, "-U", "-B", "-c", compile_u], cwd=directory)
            if code != 0:
                raise RuntimeError("python -U py_compile failed: " + err)
            cache = source + "c"
            if orphan:
                os.remove(source)
            b.add(
                name,
                cache,
                "2.7 -U (MAGIC+1) cache: default import "
                + ("fails (bad magic)" if orphan else "recompiles"),
            )

    # Same second, same size: the header still matches, Python runs the old code.
    directory = b.case_dir("same_second")
    source = os.path.join(directory, "m.py")
    write_source(source, 1)
    set_mtime(source, T0, 200000000)
    cache = compile_source(source)
    set_mtime(cache, T0, 500000000)
    write_source(source, 2)
    set_mtime(source, T0, 900000000)
    b.add("same_second", cache, "same-second same-size edit: header matches, stale code loads")

    if HAS_HASH_PYCS:
        _, _, cache = b.fresh_module("invalid_flags")
        patch(cache, 4, struct.pack("<I", 4))
        b.add("invalid_flags", cache, "flags word 4: rejected, recompile")

        _, _, cache = b.fresh_module("flags_2")
        patch(cache, 4, struct.pack("<I", 2))
        b.add("flags_2", cache, "flags word 2 with matching mtime/size: timestamp pyc, load")

    _, _, cache = b.fresh_module("bad_magic_crlf")
    patch(cache, 2, b"\n\r")
    b.add("bad_magic_crlf", cache, "magic bytes 2-3 swapped (text-mode damage): recompile")

    if HAS_PYCACHE:
        _, _, cache = b.fresh_module("unknown_magic")
        patch(cache, 0, b"\xff\xff")
        b.add("unknown_magic", cache, "magic 65535 under this tag: recompile")

    if HAS_PYCACHE and platform.python_implementation() == "CPython":
        # A release reads only its own final magic. Under 3.12: 3523 (3.12a7's) and 3547 (no
        # release's); elsewhere the number before this release's (a pre-release's) and one
        # after it. Then a pre-release header in front of a cut body: still a recompile.
        final = struct.unpack("<H", magic_number()[:2])[0]
        numbers = (3523, 3547) if VERSION == (3, 12) else (final - 1, final + 3)
        for name, number in zip(("prerelease_magic", "unreleased_magic"), numbers):
            _, _, cache = b.fresh_module(name)
            patch(cache, 0, struct.pack("<H", number))
            b.add(name, cache, "magic %d under this release's tag: recompile" % number)
        _, _, cache = b.fresh_module("prerelease_magic_cut_body")
        content = read_bytes(cache)
        cut = content[: hsize + (len(content) - hsize) // 2]
        write_bytes(cache, struct.pack("<H", numbers[0]) + cut[2:])
        b.add("prerelease_magic_cut_body", cache, "pre-release magic, cut body: recompile")

    _, _, cache = b.fresh_module("truncated_header")
    write_bytes(cache, read_bytes(cache)[:10])
    # Python 2's header is 8 bytes: a 10-byte file has a matching header and a cut body.
    b.add(
        "truncated_header",
        cache,
        "file cut to 10 bytes: recompile (2.7: header ok, fail)",
    )

    _, _, cache = b.fresh_module("truncated_body")
    content = read_bytes(cache)
    write_bytes(cache, content[: hsize + (len(content) - hsize) // 2])
    b.add("truncated_body", cache, "matching header, marshal body cut in half: fail")

    _, _, cache = b.fresh_module("body_byte_damaged")
    content = read_bytes(cache)
    damaged = first_rejected_flip(content, hsize)
    write_bytes(cache, damaged)
    b.add("body_byte_damaged", cache, "matching header, a body byte marshal rejects: fail")

    _, _, cache = b.fresh_module("trailing_bytes")
    write_bytes(cache, read_bytes(cache) + b"junk")
    b.add("trailing_bytes", cache, "matching header, bytes after the code object: load")

    if HAS_HASH_PYCS:
        directory = b.case_dir("unchecked_edited_cut_body")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        cache = compile_source(source, UNCHECKED)
        content = read_bytes(cache)
        write_bytes(cache, content[: hsize + (len(content) - hsize) // 2])
        write_source(source, 2222, T0 + 10)
        b.add("unchecked_edited_cut_body", cache, "unchecked hash, cut body: loaded, so fail")

    _, _, cache = b.fresh_module("empty_body")
    write_bytes(cache, read_bytes(cache)[:hsize])
    b.add("empty_body", cache, "matching header, no body: fail")

    if HAS_HASH_PYCS:
        directory = b.case_dir("unchecked_edited_empty_body")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        cache = compile_source(source, UNCHECKED)
        write_bytes(cache, read_bytes(cache)[:hsize])
        write_source(source, 2222, T0 + 10)
        b.add(
            "unchecked_edited_empty_body",
            cache,
            "unchecked-hash cache, source edited, no body: trusted, unmarshalled, fail",
        )

    _, _, cache = b.fresh_module("non_code_body")
    write_bytes(cache, read_bytes(cache)[:hsize] + marshal.dumps(42))
    b.add("non_code_body", cache, "matching header, body marshal.dumps(42): fail")

    other = os.environ.get("HARNESS_OTHER_PYTHON")
    if HAS_PYCACHE and other:
        code, out, _ = run(
            [other, "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"]
        )
        foreign_magic = out.strip()
        if code == 0 and foreign_magic and foreign_magic != _hex(magic_number()):
            directory = b.case_dir("foreign_magic_renamed")
            source = os.path.join(directory, "m.py")
            write_source(source, 1, T0)
            foreign = os.path.join(directory, "foreign.pyc")
            compile_with([other], source, foreign)
            cache = cache_path(source)
            if not os.path.isdir(os.path.dirname(cache)):
                os.makedirs(os.path.dirname(cache))
            os.rename(foreign, cache)
            b.add(
                "foreign_magic_renamed",
                cache,
                "cache written by %s (magic %s) renamed to this tag: recompile"
                % (os.path.basename(other), foreign_magic),
            )

    for name, mtime in (
        ("mtime_before_1970", -315619200),
        ("mtime_after_2106", 7258118400),
        ("mtime_2pow32_plus_1000", 2 ** 32 + 1000),
    ):
        _, _, cache = b.fresh_module(name, mtime=mtime)
        b.add(name, cache, "source mtime %d: 3.7+ load, 3.6 recompile, 2.7 per mod 2**32" % mtime)

    if PY2 or HAS_OPT_TAG:
        directory = b.case_dir("opt1_only")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        compile_with([sys.executable, "-O"], source)
        cache = cache_path(source, optimization=1)
        if not os.path.exists(cache):
            raise RuntimeError("python -O did not write " + cache)
        b.add("opt1_only", cache, "only the -O cache exists: a default import never reads it")

        directory = b.case_dir("opt1_stale")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        compile_with([sys.executable, "-O"], source)
        write_source(source, 22, T0 + 10)
        b.add("opt1_stale", cache_path(source, optimization=1), "-O cache, source edited: skip")

        if HAS_HASH_PYCS:
            directory = b.case_dir("opt1_checked_edited")
            source = os.path.join(directory, "m.py")
            write_source(source, 1, T0)
            script = (
                "import py_compile, sys\n"
                "py_compile.compile(sys.argv[1], doraise=True,"
                " invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)\n"
            )
            code, _, err = run([sys.executable, "-O", "-c", script, source])
            if code != 0:
                raise RuntimeError("python -O could not compile %s: %s" % (source, err))
            write_source(source, 2222, T0 + 10)
            b.add(
                "opt1_checked_edited",
                cache_path(source, optimization=1),
                "-O checked-hash cache, source edited: skip",
            )

        directory = b.case_dir("opt1_orphan")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        compile_with([sys.executable, "-O"], source)
        os.remove(source)
        b.add("opt1_orphan", cache_path(source, optimization=1), "-O cache without source: skip")

    for name, orphan in (("package_init", False), ("package_init_orphan", True)):
        directory = b.case_dir(name)
        os.makedirs(os.path.join(directory, "pkg"))
        source = os.path.join(directory, "pkg", "__init__.py")
        write_source(source, 1, T0)
        cache = compile_source(source)
        if orphan:
            os.remove(source)
        b.add(
            name,
            cache,
            "package __init__ cache"
            + (" without __init__.py (3.x: namespace package, cache ignored)" if orphan else ""),
            module="pkg",
            source=os.path.join("pkg", "__init__.py"),
        )

    directory = b.case_dir("symlink_to_valid_cache")
    source = os.path.join(directory, "m.py")
    write_source(source, 1, T0)
    cache = compile_source(source)
    target = os.path.join(directory, "cache-target.bin")  # not itself a .pyc to audit
    os.rename(cache, target)
    os.symlink(target, cache)
    b.add("symlink_to_valid_cache", cache, "cache is a symlink to a matching pyc: load")

    # Unreadable caches: only where the file name says which interpreter reads them. An
    # unreadable legacy m.pyc beside m.py is rewritten by Python 2 but ignored by Python 3.2+,
    # and nothing in the file names which one it belongs to, so 2.7 has no such case.
    if HAS_PYCACHE:
        directory = b.case_dir("dangling_symlink")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        cache = cache_path(source)
        os.makedirs(os.path.dirname(cache))
        os.symlink(os.path.join(directory, "nowhere.pyc"), cache)
        b.add("dangling_symlink", cache, "cache is a dangling symlink: recompile (now a file)")

        directory = b.case_dir("directory_cache")
        source = os.path.join(directory, "m.py")
        write_source(source, 1, T0)
        cache = cache_path(source)
        os.makedirs(cache)
        b.add(
            "directory_cache",
            cache,
            "a directory named like the cache: source compiled, write fails (recompile)",
        )

    if HAS_OPT_TAG:
        directory = b.case_dir("dotted_stem")
        source = os.path.join(directory, "foo.bar.py")
        write_source(source, 1, T0)
        cache = compile_source(source)
        b.add(
            "dotted_stem",
            cache,
            "foo.bar.py loaded with spec_from_file_location: load",
            module="foo.bar",
            source="foo.bar.py",
            file_name="foo.bar.py",
        )

    directory = b.case_dir("mtime_ns_999999999")
    source = os.path.join(directory, "m.py")
    write_source(source, 1)
    set_mtime(source, T0, 999999999)
    cache = compile_source(source)
    b.add(
        "mtime_ns_999999999",
        cache,
        "source mtime T0.999999999: st_mtime rounds up to T0+1 as a double; "
        "3.x compares int(st_mtime), 2.7's import uses whole seconds",
    )


def _hex(data):
    return "".join("%02x" % c for c in bytearray(data))


def cmd_build(root):
    if os.path.exists(root) and os.listdir(root):
        raise SystemExit("build: %s exists and is not empty" % root)
    if not os.path.isdir(root):
        os.makedirs(root)
    builder = Builder(root)
    build_cases(builder)
    with open(os.path.join(builder.root, "cases.json"), "w") as handle:
        json.dump(builder.cases, handle, indent=1, sort_keys=True)
    print("built %d cases in %s" % (len(builder.cases), builder.root))


def snapshot(path):
    """What is at path (not following symlinks): kind, inode, mtime, bytes."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    content = None
    if stat.S_ISREG(st.st_mode):
        content = read_bytes(path)
    mtime = getattr(st, "st_mtime_ns", None)
    if mtime is None:
        mtime = st.st_mtime
    return (stat.S_IFMT(st.st_mode), st.st_ino, mtime, content)


def resolve(cwd, path):
    """Absolute, normalised form of a path printed by the child (relative to its cwd)."""
    return os.path.normpath(os.path.join(cwd, path))


def read_v(source):
    """The V a source file defines (`V = <int>`), or None if there is no source."""
    try:
        text = read_bytes(source).decode("utf-8", "replace")
    except (IOError, OSError):
        return None
    match = re.search(r"^V = (\d+)", text, re.M)
    return int(match.group(1)) if match else None


# getattr: a namespace package (deleted __init__.py) imports fine but defines no V.
IMPORT_CODE = (
    "import sys\n"
    "import %s as mod\n"
    "sys.stdout.write('V=%%r\\n' %% (getattr(mod, 'V', None),))\n"
)
FILE_CODE = (
    "import sys, importlib.util\n"
    "spec = importlib.util.spec_from_file_location(%r, %r)\n"
    "mod = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(mod)\n"
    "sys.stdout.write('V=%%r\\n' %% (mod.V,))\n"
)

# -v lines: 3.x / PyPy print repr()s of paths, 2.7 prints them bare.
RE_LOAD3 = re.compile(r"^# code object from '(.*)'$")
RE_WRITE3 = re.compile(r"^# (?:wrote|created) '(.*)'$")
RE_NOWRITE3 = re.compile(r"^# could not create '(.*?)': ")
RE_LOAD2 = re.compile(r"^import \S+ # precompiled from (.*)$")
RE_WRITE2 = re.compile(r"^# wrote (.*)$")
RE_NOWRITE2 = re.compile(r"^# can't create (.*)$")
RE_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning))(?::\s*(.*))?$")


def observe_case(root, case):
    cwd = os.path.realpath(os.path.join(root, case["cwd"]))
    cache_rel = os.path.join(root, case["cache"])
    cache = os.path.join(os.path.realpath(os.path.dirname(cache_rel)), os.path.basename(cache_rel))
    source_value = read_v(os.path.join(root, case["source"]))
    if case.get("file"):
        code = FILE_CODE % (case["module"], case["file"])
    else:
        code = IMPORT_CODE % case["module"]

    before = snapshot(cache)
    args = [sys.executable, "-v", "-c", code]
    returncode, out, err = run(args, cwd=cwd, extra_env=case.get("env"))
    after = snapshot(cache)

    loaded = wrote = write_failed = False
    error = None
    in_traceback = False
    for line in err.splitlines():
        line = line.rstrip("\r")
        for regex, kind in (
            (RE_LOAD3, "load"),
            (RE_WRITE3, "write"),
            (RE_NOWRITE3, "nowrite"),
            (RE_LOAD2, "load"),
            (RE_WRITE2, "write"),
            (RE_NOWRITE2, "nowrite"),
        ):
            match = regex.match(line)
            if match and resolve(cwd, match.group(1)) == cache:
                if kind == "load":
                    loaded = True
                elif kind == "write":
                    wrote = True
                else:
                    write_failed = True
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and error is None:
            match = RE_ERROR.match(line)
            if match:
                error = line.strip()

    value = None
    for line in out.splitlines():
        if line.startswith("V=") and line[2:] != "None":
            value = int(line[2:].rstrip("L"))

    not_found = error is not None and "No module named" in error
    if loaded and returncode == 0:
        observed, evidence = "load", "-v: code object from the cache"
    elif before != after or wrote or write_failed:
        if before != after:
            evidence = "cache rewritten"
        elif write_failed:
            evidence = "-v: source compiled, could not write the cache"
        else:
            evidence = "-v: wrote the cache"
        observed = "recompile"
    elif returncode != 0 and not not_found:
        observed, evidence = "fail", error or ("exit status %d" % returncode)
    else:
        observed = "skip"
        evidence = error if not_found else "cache neither read nor written"
    return {
        "case": case["case"],
        "cache": case["cache"],
        "observed": observed,
        "value": value,
        "source_value": source_value,
        "evidence": evidence,
    }


def cmd_observe(root):
    with open(os.path.join(root, "cases.json")) as handle:
        cases = json.load(handle)
    results = [observe_case(root, case) for case in cases]
    sys.stdout.write(json.dumps(results, indent=1, sort_keys=True))
    sys.stdout.write("\n")


def main(argv):
    if len(argv) != 3 or argv[1] not in ("build", "observe"):
        sys.stderr.write("usage: harness.py build|observe DIR\n")
        return 2
    if argv[1] == "build":
        cmd_build(argv[2])
    else:
        cmd_observe(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
