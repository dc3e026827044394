# -*- coding: utf-8 -*-
"""Differential cases for the pycache prefix (PYTHONPYCACHEPREFIX), built by a real interpreter.

Runs under CPython 2.7, 3.6-3.13 and PyPy 3, like harness.py, whose helpers it uses.

    prefix_cases.py build DIR    build the cases and DIR/cases.json (the format of
                                 harness.py build, plus "env" and "audit"); observe them with
                                 harness.py observe DIR

Under DIR (a real path):
    pfx/            the prefix of the "tree" and "whole" cases: PYTHONPYCACHEPREFIX=DIR/pfx
    tree/<case>/    sources of the "tree" cases, audited as
                    `pyc-audit --pycache-prefix DIR/pfx DIR/tree`
    other/<case>/   another source tree cached in the same prefix: the "whole" cases, audited as
                    `pyc-audit --pycache-prefix DIR/pfx` (no path) and absent from the tree audit
    rel/            sources of the "relative" cases, imported from rel/ with the relative
                    PYTHONPYCACHEPREFIX=relpfx and audited from rel/ with that environment

Caches in the prefix are written by importing with the prefix set (or by py_compile with it set,
for hash-based and same-second caches), then edited, deleted or cut as the case demands; where a
prefix cache is, is asked of the interpreter (importlib.util.cache_from_source) and checked on
disk. Interpreters from 3.8 honour the prefix; 2.7, 3.6 and 3.7 get only in-tree cases, imported
with the prefix set, which they ignore.
"""

from __future__ import print_function

import json
import os
import sys

# Importing harness must not leave a cache of it in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import T0, read_bytes, set_mtime, write_bytes, write_source  # noqa: E402

HONOURS_PREFIX = sys.version_info[:2] >= (3, 8)

CACHE_FROM_SOURCE = (
    "import importlib.util, sys\n"
    "sys.stdout.write(importlib.util.cache_from_source(sys.argv[1]))\n"
)
PY_COMPILE = (
    "import py_compile, sys\n"
    "mode = py_compile.PycInvalidationMode[sys.argv[2]]\n"
    "sys.stdout.write(py_compile.compile(sys.argv[1], doraise=True, invalidation_mode=mode))\n"
)


class Module(object):
    """One module of a case: where it is imported from, its source, its prefix cache."""

    def __init__(self, builder, audit, name, package=False):
        self.builder = builder
        self.audit = audit
        self.name = name
        root = builder.root
        if audit == "relative":
            self.cwd = os.path.join(root, "rel")
            self.module = name
        else:
            self.cwd = os.path.join(root, "tree" if audit == "tree" else "other", name)
            self.module = "pkg" if package else "m"
        if not os.path.isdir(self.cwd):
            os.makedirs(self.cwd)
        if package:
            os.makedirs(os.path.join(self.cwd, "pkg"))
            self.source = os.path.join(self.cwd, "pkg", "__init__.py")
        else:
            self.source = os.path.join(self.cwd, self.module + ".py")

    def env(self):
        prefix = "relpfx" if self.audit == "relative" else self.builder.prefix
        return {"PYTHONPYCACHEPREFIX": prefix}

    def python(self, args):
        """Run this interpreter with args, from the case's directory, with its prefix."""
        code, out, err = harness.run([sys.executable] + args, cwd=self.cwd, extra_env=self.env())
        if code != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(args), err))
        return out

    def prefix_cache(self):
        """Where the interpreter keeps this source's cache with the prefix set."""
        return os.path.join(self.cwd, self.python(["-c", CACHE_FROM_SOURCE, self.source]))

    def imported(self):
        """Import the module with the prefix set; return the cache the import wrote."""
        self.python(["-c", "import " + self.module])
        cache = self.prefix_cache()
        if not os.path.isfile(cache):
            raise RuntimeError("the import did not write " + cache)
        return cache

    def compiled(self, mode):
        """py_compile the source with the prefix set; return the cache it wrote."""
        return os.path.join(self.cwd, self.python(["-c", PY_COMPILE, self.source, mode]))

    def add(self, cache, note, case=None):
        b = self.builder
        b.cases.append(
            {
                "case": case or self.name,
                "cache": os.path.relpath(cache, b.root),
                "module": self.module,
                "cwd": os.path.relpath(self.cwd, b.root),
                "source": os.path.relpath(self.source, b.root),
                "file": None,
                "note": note,
                "body_walk": False,
                "env": self.env(),
                "audit": self.audit,
            }
        )


def in_tree_cases(b, audit):
    """Caches in __pycache__ (or beside the source on 2.7), imported with a prefix set."""
    m = Module(b, audit, "intree_fresh" + suffix(audit))
    write_source(m.source, 1, T0)
    verb = "never read" if HONOURS_PREFIX else "read: this Python ignores the prefix"
    m.add(harness.compile_source(m.source), "fresh in-tree cache, prefix set: " + verb)

    m = Module(b, audit, "intree_stale" + suffix(audit))
    write_source(m.source, 1, T0)
    cache = harness.compile_source(m.source)
    write_source(m.source, 22, T0 + 10)
    m.add(cache, "stale in-tree cache, prefix set: " + verb)


def suffix(audit):
    return "_rel" if audit == "relative" else ""


def prefix_cases(b, audit):
    """Caches the import wrote in the prefix, then edited, deleted or cut."""
    m = Module(b, audit, "fresh" + suffix(audit))
    write_source(m.source, 1, T0)
    m.add(m.imported(), "imported with the prefix, untouched: load")

    m = Module(b, audit, "edited" + suffix(audit))
    write_source(m.source, 1, T0)
    cache = m.imported()
    write_source(m.source, 22, T0 + 10)
    m.add(cache, "source edited after the import: recompile")

    m = Module(b, audit, "deleted" + suffix(audit))
    write_source(m.source, 1, T0)
    cache = m.imported()
    os.remove(m.source)
    m.add(cache, "source deleted: the prefix cache is an orphan, never read")

    m = Module(b, audit, "both" + suffix(audit))
    write_source(m.source, 1, T0)
    m.add(m.imported(), "fresh caches in the prefix and in __pycache__: prefix loads")
    m.add(
        harness.compile_source(m.source),
        "fresh caches in the prefix and in __pycache__: __pycache__ never read",
        case=m.name + "_intree",
    )


def tree_only_cases(b):
    m = Module(b, "tree", "touched")
    write_source(m.source, 1, T0)
    cache = m.imported()
    set_mtime(m.source, T0 + 10)
    m.add(cache, "content unchanged, mtime changed: recompile")

    m = Module(b, "tree", "same_second")
    write_source(m.source, 1)
    set_mtime(m.source, T0, 200000000)
    cache = m.compiled("TIMESTAMP")
    set_mtime(cache, T0, 500000000)
    write_source(m.source, 2)
    set_mtime(m.source, T0, 900000000)
    m.add(cache, "same-second same-size edit: header matches, stale code loads")

    for name, mode in (("checked_edited", "CHECKED_HASH"), ("unchecked_edited", "UNCHECKED_HASH")):
        m = Module(b, "tree", name)
        write_source(m.source, 1, T0)
        cache = m.compiled(mode)
        write_source(m.source, 2222, T0 + 10)
        m.add(cache, "hash-based cache in the prefix, source edited")

    m = Module(b, "tree", "truncated_header")
    write_source(m.source, 1, T0)
    cache = m.imported()
    write_bytes(cache, read_bytes(cache)[:10])
    m.add(cache, "prefix cache cut to 10 bytes: recompile")

    m = Module(b, "tree", "empty_body")
    write_source(m.source, 1, T0)
    cache = m.imported()
    write_bytes(cache, read_bytes(cache)[: harness.header_size()])
    m.add(cache, "prefix cache with a matching header and no body: fail")

    for name, deleted in (("package_init", False), ("package_init_deleted", True)):
        m = Module(b, "tree", name, package=True)
        write_source(m.source, 1, T0)
        cache = m.imported()
        if deleted:
            os.remove(m.source)
        m.add(cache, "package __init__ cache in the prefix" + (", __init__.py gone" if deleted else ""))


def build_cases(b):
    in_tree_cases(b, "tree")
    if not HONOURS_PREFIX:
        return
    prefix_cases(b, "tree")
    tree_only_cases(b)
    in_tree_cases(b, "relative")
    prefix_cases(b, "relative")
    m = Module(b, "whole", "other_fresh")
    write_source(m.source, 1, T0)
    m.add(m.imported(), "another source tree cached in the same prefix: load")


def cmd_build(root):
    if os.path.exists(root) and os.listdir(root):
        raise SystemExit("build: %s exists and is not empty" % root)
    if not os.path.isdir(root):
        os.makedirs(root)
    builder = harness.Builder(os.path.realpath(root))
    builder.prefix = os.path.join(builder.root, "pfx")
    build_cases(builder)
    with open(os.path.join(builder.root, "cases.json"), "w") as handle:
        json.dump(builder.cases, handle, indent=1, sort_keys=True)
    print("built %d cases in %s" % (len(builder.cases), builder.root))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "build":
        sys.stderr.write("usage: prefix_cases.py build DIR\n")
        sys.exit(2)
    cmd_build(sys.argv[2])
