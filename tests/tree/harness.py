# -*- coding: utf-8 -*-
"""Tree harness: build trees whose caches were written by a real interpreter, break them the
way deleted sources, interrupted writes and clamped mtimes do, then watch it import them.

Runs unchanged under CPython 2.7, CPython 3.6-3.13 and PyPy 3 (no f-strings, no pathlib, no
type hints), and reuses the helpers of tests/differential/harness.py. The interpreter under
test is the one running this script (sys.executable).

    harness.py build DIR     build one case per directory DIR/<case>/ (each is a root of its
                             own for pyc-audit) and write DIR/cases.json:
                             [{"case", "check", "kind", "epoch", "target", "imports",
                             "note"}, ...]
    harness.py observe DIR   import each case's modules in a fresh `python -v` subprocess and
                             print, as JSON, what happened: [{"case", "module", "observed",
                             "expect", "value", "source_value", "file", "init", "evidence"}]

`check` says what the test asserts about the case's root, beyond "no other row that is not
about a cache":
    ghost      one ghost row, at `target` (a directory), whose python_action is what the first
               import observed: namespace, load or fail
    healthy    none at all (no ghost row)
    debris     one debris row, at `target` (a file or a directory), action skip, and the
               interpreter never touched `target` (observed skip)
    clamped    the cache `target` is fresh/load and ran, with code older than its source; one
               clamped row for the root
    unclamped  none at all (no clamped row)
pyc-audit runs on each case with SOURCE_DATE_EPOCH=`epoch` where set, unset elsewhere; `kind`
is the kind of the one row that is not about a cache expected in the case (null: none).

`observed` for an import:
    namespace  the import gave a namespace package: no __file__, no init code ran
    load       ghost and healthy cases: the module came from a .pyc (__file__ ends with .pyc;
               `init` says its init code ran); clamped cases: -v shows the code object came
               from the module's cache
    source     ghost and healthy cases: __file__ is the source (its code may come from a fresh
               cache); clamped cases: the cache was neither used nor rewritten
    recompile  (clamped cases) the source was compiled and the cache rewritten
    fail       the import raised, other than "No module named"
    absent     "No module named"
    skip       (debris) the import never read or wrote `target` and ran the source's code
    read       (debris) it did read or write `target`
Every import also carries `expect`: the list of observations the case's scenario predicts
(the claims pyc-audit's reason text makes), checked beside the tool's own verdict.
"""

from __future__ import print_function

import json
import os
import shutil
import sys

# Importing the core harness must not leave a __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "differential"))
import harness as core  # noqa: E402
import moves  # noqa: E402

PY2 = core.PY2
HAS_PYCACHE = core.HAS_PYCACHE
HAS_HASH_PYCS = core.HAS_HASH_PYCS

# Distinct whole-second mtimes for ordinary sources, so no case looks clamped by accident.
T0 = 1700000000
# A shared "build" mtime, and the SOURCE_DATE_EPOCH of the epoch case: far from T0.
SHARED = 1600000000
EPOCH = 1500000000


class Builder(object):
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.cases = []
        self.tick = 0

    def case_dir(self, name):
        path = os.path.join(self.root, name)
        os.makedirs(path)
        return path

    def source(self, path, text, mtime=None):
        """Writes a source with `text`; mtime defaults to the next distinct whole second."""
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            os.makedirs(parent)
        core.write_bytes(path, text.encode("ascii"))
        if mtime is None:
            self.tick += 1
            mtime = T0 + self.tick
        core.set_mtime(path, mtime)

    def package(self, directory):
        """pkg/__init__.py (INIT = 1), pkg/mod.py, pkg/sub/__init__.py (INIT = 1), pkg/sub/deep.py,
        each with V = 1."""
        top = os.path.join(directory, "pkg")
        self.source(os.path.join(top, "__init__.py"), "INIT = 1\nV = 1\n")
        self.source(os.path.join(top, "mod.py"), "V = 1\n")
        self.source(os.path.join(top, "sub", "__init__.py"), "INIT = 1\nV = 1\n")
        self.source(os.path.join(top, "sub", "deep.py"), "V = 1\n")

    def add(self, name, check, target, imports, note, epoch=None):
        """imports: [(module, [expected observations])], the first one judged against a ghost.
        `kind` is the kind of the one tree-wide row expected (null: none expected)."""
        kind = {"ghost": "directory", "clamped": "tree"}.get(check)
        if check == "debris":
            is_dir = os.path.isdir(os.path.join(self.root, name, target))
            kind = "directory" if is_dir else "file"
        self.cases.append(
            {
                "case": name,
                "check": check,
                "kind": kind,
                "epoch": epoch,
                "target": target,
                "imports": [{"module": m, "expect": e} for m, e in imports],
                "note": note,
            }
        )


def import_all(directory, modules):
    """Imports modules with this interpreter in `directory`, so it writes its own caches."""
    code = "".join("import %s\n" % m for m in modules)
    status, _, err = core.run([sys.executable, "-c", code], cwd=directory)
    if status != 0:
        raise RuntimeError("import failed in %s: %s" % (directory, err))


def remove_sources(top):
    """Deletes every .py under top."""
    for parent, _, files in os.walk(top):
        for f in files:
            if f.endswith(".py"):
                os.remove(os.path.join(parent, f))


def legacy_compile_tree(top):
    """Compiles every .py under top into a legacy NAME.pyc beside it (compileall -b)."""
    for parent, _, files in os.walk(top):
        for f in files:
            if f.endswith(".py"):
                core.compile_legacy(os.path.join(parent, f))


PKG_IMPORTS = ["pkg", "pkg.mod", "pkg.sub", "pkg.sub.deep"]


def legacy_package(b, directory):
    """b.package() with legacy .pyc files beside every source: written by import on 2.7, by
    compileall -b on 3.x."""
    b.package(directory)
    if PY2:
        import_all(directory, PKG_IMPORTS)
    else:
        legacy_compile_tree(os.path.join(directory, "pkg"))


def build_namespace_ghosts(b):
    """Ghosts (a) and (b): Python 3.3+ imports a namespace package."""
    # (a) Every source gone, __pycache__ left: the whole package is a namespace.
    d = b.case_dir("ghost_sources_gone")
    b.package(d)
    import_all(d, PKG_IMPORTS)
    remove_sources(os.path.join(d, "pkg"))
    b.add(
        "ghost_sources_gone",
        "ghost",
        "pkg",
        [
            ("pkg", ["namespace"]),
            ("pkg.sub", ["namespace"]),
            ("pkg.mod", ["absent"]),
            ("pkg.sub.deep", ["absent"]),
        ],
        "no source below pkg, caches in pkg/ and pkg/sub/__pycache__: one row, namespace",
    )

    # (a) A plain directory (namespace portion by design) whose only module was deleted.
    d = b.case_dir("ghost_plain_dir")
    b.source(os.path.join(d, "plain", "m.py"), "V = 1\n")
    import_all(d, ["plain.m"])
    remove_sources(os.path.join(d, "plain"))
    b.add(
        "ghost_plain_dir",
        "ghost",
        "plain",
        [("plain", ["namespace"]), ("plain.m", ["absent"])],
        "plain/m.py deleted, plain/__pycache__/m.*.pyc left: namespace, module gone",
    )

    # (a) with a legacy module left: a namespace package, but that module still imports.
    d = b.case_dir("ghost_legacy_module_left")
    b.package(d)
    import_all(d, PKG_IMPORTS)
    core.compile_legacy(os.path.join(d, "pkg", "mod.py"))
    remove_sources(os.path.join(d, "pkg"))
    b.add(
        "ghost_legacy_module_left",
        "ghost",
        "pkg",
        [("pkg", ["namespace"]), ("pkg.mod", ["load"]), ("pkg.sub.deep", ["absent"])],
        "no source below pkg, caches in __pycache__, legacy pkg/mod.pyc: namespace, "
        "but pkg.mod still imports",
    )

    # (a) with an unreadable legacy __init__.pyc (a dangling symlink): Python skips it.
    d = b.case_dir("ghost_dangling_legacy_init")
    b.package(d)
    import_all(d, PKG_IMPORTS)
    remove_sources(os.path.join(d, "pkg"))
    os.symlink(os.path.join(d, "nowhere.pyc"), os.path.join(d, "pkg", "__init__.pyc"))
    b.add(
        "ghost_dangling_legacy_init",
        "ghost",
        "pkg",
        [("pkg", ["namespace"])],
        "no source below pkg, pkg/__init__.pyc a dangling symlink: still a namespace",
    )

    # (b) __init__.py deleted, other sources kept.
    d = b.case_dir("ghost_init_gone")
    b.package(d)
    import_all(d, PKG_IMPORTS)
    os.remove(os.path.join(d, "pkg", "__init__.py"))
    b.add(
        "ghost_init_gone",
        "ghost",
        "pkg",
        [
            ("pkg", ["namespace"]),
            ("pkg.mod", ["source"]),
            ("pkg.sub", ["source"]),
        ],
        "pkg/__init__.py deleted, __pycache__/__init__.*.pyc left: namespace, init never runs",
    )

    # (b) nested: only the subpackage lost its __init__.py; the top is healthy.
    d = b.case_dir("ghost_sub_init_gone")
    b.package(d)
    import_all(d, PKG_IMPORTS)
    os.remove(os.path.join(d, "pkg", "sub", "__init__.py"))
    b.add(
        "ghost_sub_init_gone",
        "ghost",
        os.path.join("pkg", "sub"),
        [("pkg.sub", ["namespace"]), ("pkg", ["source"]), ("pkg.sub.deep", ["source"])],
        "pkg/sub/__init__.py deleted: pkg.sub is a namespace, pkg is not reported",
    )

    # (a) nested: the subpackage lost every source; the top is healthy.
    d = b.case_dir("ghost_sub_sources_gone")
    b.package(d)
    import_all(d, PKG_IMPORTS)
    remove_sources(os.path.join(d, "pkg", "sub"))
    b.add(
        "ghost_sub_sources_gone",
        "ghost",
        os.path.join("pkg", "sub"),
        [("pkg.sub", ["namespace"]), ("pkg.sub.deep", ["absent"]), ("pkg", ["source"])],
        "every source of pkg/sub deleted: pkg.sub is a namespace, pkg is not reported",
    )


def build_legacy_ghosts(b):
    """Ghosts (c): a legacy __init__.pyc without its source."""
    # (c) A legacy __init__.pyc outlives __init__.py: the deleted package still imports.
    d = b.case_dir("ghost_legacy_init")
    b.package(d)
    import_all(d, PKG_IMPORTS)  # 3.x: __pycache__ too, and the legacy file must win
    if not PY2:
        legacy_compile_tree(os.path.join(d, "pkg"))
    os.remove(os.path.join(d, "pkg", "__init__.py"))
    b.add(
        "ghost_legacy_init",
        "ghost",
        "pkg",
        [("pkg", ["load"]), ("pkg.mod", ["source", "load"])],
        "pkg/__init__.py deleted, legacy pkg/__init__.pyc left: the old package imports",
    )

    # (c) with every source gone: the deleted package and its modules all still import.
    d = b.case_dir("ghost_legacy_all_gone")
    legacy_package(b, d)
    remove_sources(os.path.join(d, "pkg"))
    b.add(
        "ghost_legacy_all_gone",
        "ghost",
        "pkg",
        [("pkg", ["load"]), ("pkg.mod", ["load"]), ("pkg.sub", ["load"])],
        "every source deleted, legacy .pyc files left: the whole old package imports",
    )

    # (c) the legacy __init__.pyc has a magic number no interpreter knows: the import raises.
    d = b.case_dir("ghost_legacy_init_bad_magic")
    legacy_package(b, d)
    core.patch(os.path.join(d, "pkg", "__init__.pyc"), 0, b"\x00\x00")
    os.remove(os.path.join(d, "pkg", "__init__.py"))
    b.add(
        "ghost_legacy_init_bad_magic",
        "ghost",
        "pkg",
        [("pkg", ["fail"])],
        "pkg/__init__.py deleted, legacy __init__.pyc with magic 0: import raises",
    )

    # (c) the legacy __init__.pyc is cut short: the import raises (2.7: only the body is cut,
    # which only --deep sees).
    d = b.case_dir("ghost_legacy_init_truncated")
    legacy_package(b, d)
    init = os.path.join(d, "pkg", "__init__.pyc")
    core.write_bytes(init, core.read_bytes(init)[:10])
    os.remove(os.path.join(d, "pkg", "__init__.py"))
    b.add(
        "ghost_legacy_init_truncated",
        "ghost",
        "pkg",
        [("pkg", ["fail"])],
        "pkg/__init__.py deleted, legacy __init__.pyc cut to 10 bytes: import raises",
    )


def build_healthy(b):
    # Python 2 names a package loaded with a fresh __init__.pyc by that file.
    regular = ["source", "load"] if PY2 else ["source"]

    d = b.case_dir("healthy_package")
    b.package(d)
    import_all(d, PKG_IMPORTS)
    b.add(
        "healthy_package",
        "healthy",
        None,
        [("pkg", regular), ("pkg.sub.deep", regular)],
        "a package with every source and its caches",
    )

    if HAS_PYCACHE:
        d = b.case_dir("healthy_namespace")
        b.source(os.path.join(d, "ns", "m.py"), "V = 1\n")
        b.source(os.path.join(d, "ns", "inner", "x.py"), "V = 1\n")
        import_all(d, ["ns.m", "ns.inner.x"])
        b.add(
            "healthy_namespace",
            "healthy",
            None,
            [("ns", ["namespace"]), ("ns.m", ["source"]), ("ns.inner", ["namespace"])],
            "a namespace package by design, with sources and caches",
        )

        d = b.case_dir("healthy_legacy_beside_source")
        b.package(d)
        legacy_compile_tree(os.path.join(d, "pkg"))
        b.add(
            "healthy_legacy_beside_source",
            "healthy",
            None,
            [("pkg", ["source"])],
            "legacy .pyc files beside every source (compileall -b): no ghost",
        )

    d = b.case_dir("healthy_plain_dir")
    b.source(os.path.join(d, "m.py"), "V = 1\n")
    b.source(os.path.join(d, "lib", "helper.py"), "V = 1\n")
    import_all(d, ["m"])
    if HAS_PYCACHE:
        import_all(d, ["lib.helper"])
    b.add(
        "healthy_plain_dir",
        "healthy",
        None,
        [("m", ["source", "load"])],
        "plain directories with sources and caches",
    )


def build_debris(b):
    """A copy of a real cache under a temporary name, holding older code (V = 2)."""
    for name, keep_cache in (("debris_beside_cache", True), ("debris_alone", False)):
        d = b.case_dir(name)
        source = os.path.join(d, "m.py")
        b.source(source, "V = 2\n")
        cache = core.compile_source(source)
        debris = "%s.%d" % (cache, 140234567)
        shutil.copyfile(cache, debris)
        b.source(source, "V = 1\n")  # same size, new mtime
        if keep_cache:
            core.compile_source(source)
        else:
            os.remove(cache)
        b.add(
            name,
            "debris",
            os.path.relpath(debris, d),
            [("m", ["skip"])],
            "NAME.pyc.<digits> holding V = 2 "
            + ("beside the real cache" if keep_cache else "where no cache is")
            + ": never read",
        )

    if HAS_PYCACHE:
        d = b.case_dir("debris_empty_pycache")
        b.source(os.path.join(d, "m.py"), "V = 1\n")
        os.makedirs(os.path.join(d, "__pycache__"))
        b.add(
            "debris_empty_pycache",
            "debris",
            "__pycache__",
            [("m", ["skip"])],
            "an empty __pycache__ beside m.py: nothing in it to read",
        )


def clamped_tree(b, name, mtime, stems="abc", hashed=False):
    """Sources a.py, b.py, ... (V = 1, 2, ...) at one mtime, compiled; then b.py is replaced by
    code of the same size at the same mtime (V = 9). Returns b's cache, relative to the tree."""
    d = b.case_dir(name)
    for value, stem in enumerate(stems, 1):
        source = os.path.join(d, stem + ".py")
        b.source(source, "V = %d\n" % value, mtime)
        if hashed:
            core.compile_source(source, core.CHECKED)
    if not hashed:
        import_all(d, list(stems))
    b.source(os.path.join(d, "b.py"), "V = 9\n", mtime)
    return os.path.relpath(core.cache_path(os.path.join(d, "b.py")), d)


def build_clamped(b):
    # One source at 1 or 0 (the value alone says "clamped"); three sharing one second.
    for name, mtime, stems in (
        ("clamped_one", 1, "b"),
        ("clamped_zero", 0, "b"),
        ("clamped_shared", SHARED, "abc"),
    ):
        cache = clamped_tree(b, name, mtime, stems)
        b.add(
            name,
            "clamped",
            cache,
            [("b", ["load"])],
            "sources at mtime %d, b.py replaced by same-size code: the old code runs" % mtime,
        )

    d = b.case_dir("clamped_epoch")
    source = os.path.join(d, "m.py")
    b.source(source, "V = 1\n", EPOCH)
    import_all(d, ["m"])
    b.source(source, "V = 9\n", EPOCH)
    b.add(
        "clamped_epoch",
        "clamped",
        os.path.relpath(core.cache_path(source), d),
        [("m", ["load"])],
        "one source at SOURCE_DATE_EPOCH, replaced by same-size code: the old code runs",
        epoch=EPOCH,
    )

    d = b.case_dir("unclamped_distinct")
    for stem in "abcd":
        b.source(os.path.join(d, stem + ".py"), "V = 1\n")
    import_all(d, ["a", "b", "c", "d"])
    b.source(os.path.join(d, "b.py"), "V = 9\n")
    b.add(
        "unclamped_distinct",
        "unclamped",
        None,
        [("b", ["recompile"]), ("a", ["load"])],
        "distinct whole-second mtimes: an edit changes the mtime, no clamp",
        epoch=EPOCH,
    )

    d = b.case_dir("unclamped_same_second")
    for i, stem in enumerate("abcd"):
        source = os.path.join(d, stem + ".py")
        b.source(source, "V = 1\n")
        # One second, as a checkout writes them, but with sub-second parts.
        core.set_mtime(source, SHARED, 100000000 * (i + 1))
    import_all(d, ["a", "b", "c", "d"])
    b.add(
        "unclamped_same_second",
        "unclamped",
        None,
        [("a", ["load"])],
        "four sources written in one second (sub-second mtimes differ): no clamp",
    )

    if HAS_PYCACHE:
        # Legacy caches beside their sources, which 3.x never reads: nothing stale can run.
        d = b.case_dir("unclamped_legacy_beside_source")
        for value, stem in enumerate("abc", 1):
            source = os.path.join(d, stem + ".py")
            b.source(source, "V = %d\n" % value, SHARED)
            core.compile_legacy(source)
        b.source(os.path.join(d, "b.py"), "V = 9\n", SHARED)
        b.add(
            "unclamped_legacy_beside_source",
            "unclamped",
            None,
            [("b", ["recompile"])],
            "sources at one shared mtime, but their only caches are legacy ones 3.x never reads",
        )

    if HAS_HASH_PYCS:
        clamped_tree(b, "unclamped_checked_hash", 1, hashed=True)
        b.add(
            "unclamped_checked_hash",
            "unclamped",
            None,
            [("b", ["recompile"])],
            "mtimes clamped to 1 but checked-hash caches: the edit is seen, no clamp finding",
        )


def cmd_build(root):
    if os.path.exists(root) and os.listdir(root):
        raise SystemExit("build: %s exists and is not empty" % root)
    if not os.path.isdir(root):
        os.makedirs(root)
    b = Builder(root)
    if HAS_PYCACHE:
        build_namespace_ghosts(b)
    build_legacy_ghosts(b)
    build_healthy(b)
    build_debris(b)
    build_clamped(b)
    moves.build_moves(b, import_all)
    with open(os.path.join(b.root, "cases.json"), "w") as handle:
        json.dump(b.cases, handle, indent=1, sort_keys=True)
    print("built %d cases in %s" % (len(b.cases), b.root))


# Prints what the module is, as JSON on the last line; valid Python 2 and 3.
PROBE = (
    "import json, sys\n"
    "try:\n"
    "    __import__(%r)\n"
    "    mod = sys.modules[%r]\n"
    "    out = {'ok': True, 'file': getattr(mod, '__file__', None),\n"
    "           'init': getattr(mod, 'INIT', None), 'value': getattr(mod, 'V', None)}\n"
    "except Exception as e:\n"
    "    out = {'ok': False, 'error': '%%s: %%s' %% (type(e).__name__, e)}\n"
    "sys.stdout.write(json.dumps(out) + '\\n')\n"
)

RE_LOADED = (core.RE_LOAD3, core.RE_LOAD2)


def used_caches(cwd, err):
    """Absolute paths of the caches whose code -v says was used."""
    used = set()
    for line in err.splitlines():
        for regex in RE_LOADED:
            match = regex.match(line.rstrip("\r"))
            if match:
                used.add(core.resolve(cwd, match.group(1)))
    return used


def source_of(cwd, module):
    """The source file a module name would come from, if it is there."""
    base = os.path.join(cwd, *module.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def by_file(cwd, result):
    """Where a module or package came from, by its __file__."""
    if not result.get("ok"):
        error = result.get("error", "")
        return ("absent" if "No module named" in error else "fail"), error
    path = result.get("file")
    if path is None:
        if result.get("init") is None:
            return "namespace", "no __file__, no init code ran"
        return "fail", "no __file__ but init code ran"
    shown = os.path.relpath(core.resolve(cwd, path), cwd)
    if path.endswith((".pyc", ".pyo")):
        return "load", "__file__ %s, init ran: %s" % (shown, result.get("init") is not None)
    return "source", "__file__ %s" % shown


def by_cache(cwd, result, err, cache, changed):
    """What the import did with a plain module's cache."""
    if not result.get("ok"):
        return "fail", result.get("error", "")
    if changed:
        return "recompile", "cache rewritten"
    if cache in used_caches(cwd, err):
        return "load", "-v: code object from the cache"
    return "source", "cache neither used nor rewritten"


def by_debris(cwd, target, result, err, source_value, changed):
    """Whether the import left a debris file or directory alone and ran the source's code."""
    if os.path.isdir(target):
        named = any(p.startswith(target + os.sep) for p in used_caches(cwd, err))
    else:
        named = os.path.basename(target) in err
    ran_source = result.get("ok") and result.get("value") == source_value
    observed = "skip" if ran_source and not named and not changed else "read"
    evidence = "V=%r, source V=%r, -v names it: %s, changed: %s" % (
        result.get("value"),
        source_value,
        named,
        changed,
    )
    return observed, evidence


def observe_import(root, case, spec):
    cwd = os.path.realpath(os.path.join(root, case["case"]))
    module = spec["module"]
    source = source_of(cwd, module)
    cache = os.path.realpath(core.cache_path(source)) if source else None
    target = os.path.join(cwd, case["target"]) if case["target"] else None
    check = case["check"]
    # A directory's snapshot changes when a cache is written into it: watch files only.
    if check == "debris":
        watched = None if os.path.isdir(target) else target
    else:
        watched = cache
    before = core.snapshot(watched) if watched else None
    status, out, err = core.run([sys.executable, "-v", "-c", PROBE % (module, module)], cwd=cwd)
    changed = watched is not None and core.snapshot(watched) != before
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"ok": False, "error": "exit %d" % status}
    source_value = core.read_v(source) if source else None
    if check == "shadowed":
        observed, evidence = moves.by_shadow(cwd, target, result, err)
    elif check == "debris":
        observed, evidence = by_debris(cwd, target, result, err, source_value, changed)
    elif check in ("clamped", "unclamped"):
        observed, evidence = by_cache(cwd, result, err, cache, changed)
    else:
        observed, evidence = by_file(cwd, result)
    return {
        "case": case["case"],
        "module": module,
        "observed": observed,
        "expect": spec["expect"],
        "value": result.get("value"),
        "source_value": source_value,
        "file": result.get("file"),
        "init": result.get("init"),
        "evidence": evidence,
    }


def cmd_observe(root):
    with open(os.path.join(root, "cases.json")) as handle:
        cases = json.load(handle)
    results = [observe_import(root, case, spec) for case in cases for spec in case["imports"]]
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
