# -*- coding: utf-8 -*-
"""Builds trees for the `clean` tests with the interpreter running this script.

Runs unchanged under CPython 2.7, CPython 3.6-3.13 and PyPy 3. Every cache is written by the
interpreter itself (py_compile), then edited, truncated, relabelled or orphaned as the case
demands.

    tree.py audit ROOT OUTSIDE   a tree of every status clean removes, fresh caches beside
                                 them, symlinks to files and directories in OUTSIDE; prints
                                 {"expect": {relative path: status}}
    tree.py recompile ROOT       stale, mismatched and corrupt caches in every invalidation
                                 mode and optimisation level; prints {"cases": [{"module",
                                 "cache", "opt", "mode"}]}
    tree.py rewrite SOURCE       compiles SOURCE (timestamp, level 0) over its cache
"""

from __future__ import print_function

import json
import os
import shutil
import sys

# The helpers every test script shares (tests/pyhelpers.py), imported without leaving a cache
# of them in the source tree.
_WRITES = sys.dont_write_bytecode
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pyhelpers as helpers  # noqa: E402
from pyhelpers import cache_path, set_mtime  # noqa: E402,F401

sys.dont_write_bytecode = _WRITES

PY2 = sys.version_info[0] == 2
VERSION = sys.version_info[:2]
HAS_HASH = VERSION >= (3, 7)
HAS_OPT_TAG = VERSION >= (3, 5)
T0 = 1700000000
IS_PYPY = "__pypy__" in sys.builtin_module_names


def write(path, text, mtime=T0, nanoseconds=0):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory)
    with open(path, "w") as handle:
        handle.write(text)
    set_mtime(path, mtime, nanoseconds)


def compile_source(source, opt=0, mode="timestamp", cfile=None):
    """Writes the cache of `source` (at `cfile`, else where the interpreter puts it)."""
    return helpers.compile_source(source, mode, opt, cfile)


def truncate(path, size):
    with open(path, "rb") as handle:
        data = handle.read(size)
    with open(path, "wb") as handle:
        handle.write(data)


def other_magic():
    """The magic number of another CPython: 3.10's, or 3.11's for CPython 3.10."""
    if VERSION == (3, 10) and not IS_PYPY:
        return b"\xa7\x0d"
    return b"\x6f\x0d"


def relabel(path):
    with open(path, "r+b") as handle:
        handle.write(other_magic())


def edit(source):
    """Rewrites a source to a longer text with a later mtime: every cache of it is stale."""
    write(source, "V = 1000000\n", T0 + 100)


class Tree(object):
    def __init__(self, root):
        self.root = root
        self.expect = {}

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def note(self, path, status):
        self.expect[os.path.relpath(path, self.root)] = status

    def fresh(self, rel, opt=0, mode="timestamp"):
        source = self.path(rel)
        write(source, "V = 1\n")
        cache = compile_source(source, opt, mode)
        self.note(cache, "fresh")
        return cache

    def stale(self, rel, opt=0, mode="timestamp"):
        source = self.path(rel)
        write(source, "V = 1\n")
        cache = compile_source(source, opt, mode)
        edit(source)
        self.note(cache, "stale")
        return cache

    def orphan(self, rel, legacy=False):
        source = self.path(rel)
        write(source, "V = 1\n")
        cfile = source + "c" if legacy else None
        cache = compile_source(source, cfile=cfile)
        os.remove(source)
        self.note(cache, "orphan")
        return cache


def build_audit(root, outside):
    tree = Tree(root)
    fresh = tree.fresh("fresh/a.py")
    tree.fresh("fresh/lvl.py", opt=1)
    if HAS_HASH:
        tree.fresh("fresh/checked.py", mode="checked-hash")
        tree.fresh("fresh/unchecked.py", mode="unchecked-hash")
    tree.stale("stale/ts.py")
    if HAS_OPT_TAG or PY2:
        tree.stale("stale/lvl.py", opt=1)
    if HAS_HASH:
        tree.stale("stale/checked.py", mode="checked-hash")
        tree.stale("stale/unchecked.py", mode="unchecked-hash")
    tree.orphan("orphan/gone.py")
    for name in ("__init__.py", "m.py"):
        tree.orphan(os.path.join("ghost", name))
    tree.orphan("sourceless/app.py", legacy=True)

    corrupt = tree.fresh("corrupt/k.py")
    truncate(corrupt, 6)
    tree.note(corrupt, "corrupt")
    if not PY2:
        mismatch = tree.fresh("mismatch/x.py")
        relabel(mismatch)
        tree.note(mismatch, "mismatch")

    # Same second, same size, source written after the cache: the header still matches.
    source = tree.path("suspect/u.py")
    write(source, "V = 5\n")
    suspect = compile_source(source)
    write(source, "V = 6\n", T0, 500000000)
    set_mtime(suspect, T0, 100000000)
    tree.note(suspect, "suspect")

    debris = fresh + ".12345"
    shutil.copyfile(fresh, debris)
    # Untouched for long: no write can still be in progress (clean keeps younger ones).
    set_mtime(debris, T0)
    tree.note(debris, "debris")
    os.makedirs(tree.path("empty", "__pycache__"))
    tree.note(tree.path("empty", "__pycache__"), "debris")

    # Symlinks out of the tree: to a cache that is fresh for a source in the tree, to one
    # whose source is gone, to a directory of useless caches, and a symlinked __pycache__.
    outdir = os.path.join(outside, "outdir")
    write(os.path.join(outdir, "z.py"), "V = 1\n")
    out_orphan = compile_source(os.path.join(outdir, "z.py"))
    os.remove(os.path.join(outdir, "z.py"))
    shutil.copyfile(out_orphan, out_orphan + ".999")
    link_source = tree.path("links", "l.py")
    write(link_source, "V = 1\n")
    target = os.path.join(outside, "fresh-target.pyc")
    compile_source(link_source, cfile=target)
    linked = cache_path(link_source)
    if not os.path.isdir(os.path.dirname(linked)):
        os.makedirs(os.path.dirname(linked))
    os.symlink(target, linked)
    tree.note(linked, "fresh")
    gone = cache_path(tree.path("links", "gone.py"))
    os.symlink(out_orphan, gone)
    tree.note(gone, "orphan")
    os.symlink(outdir, tree.path("links", "dirlink"))
    os.makedirs(tree.path("links", "pc"))
    os.symlink(os.path.dirname(out_orphan), tree.path("links", "pc", "__pycache__"))
    return {"expect": tree.expect}


def build_recompile(root):
    tree = Tree(root)
    cases = []

    def case(module, opt=0, mode="timestamp", damage=None):
        source = tree.path(module + ".py")
        write(source, "V = 1\n")
        cache = compile_source(source, opt, mode)
        if damage == "truncate":
            truncate(cache, 6)
        elif damage == "relabel":
            relabel(cache)
        else:
            edit(source)
        cases.append(
            {"module": module, "cache": os.path.relpath(cache, root), "opt": opt, "mode": mode}
        )

    case("t_ts")
    case("t_lvl1", opt=1)
    if HAS_OPT_TAG:
        case("t_lvl2", opt=2)
    case("t_corrupt", damage="truncate")
    if HAS_HASH:
        case("t_checked", mode="checked-hash")
        case("t_unchecked", mode="unchecked-hash")
        case("t_checked_lvl1", opt=1, mode="checked-hash")
    if not PY2:
        case("t_mismatch", damage="relabel")
    return {"cases": cases}


def main(argv):
    if argv[1] == "audit":
        result = build_audit(argv[2], argv[3])
    elif argv[1] == "recompile":
        result = build_recompile(argv[2])
    elif argv[1] == "rewrite":
        compile_source(argv[2])
        result = {}
    else:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
