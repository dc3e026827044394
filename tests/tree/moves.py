# -*- coding: utf-8 -*-
"""Module <-> package moves and shadowing for the tree harness: what the import's directory
lookup finds first (a package with an __init__, an extension module) shadows a module's caches,
and a module beside a directory wins over a namespace portion (Python 3).

Check `shadowed`: the cache `target` must be judged `skip` (never read), and the import must
have found something else without opening it (observed `shadowed`).
"""

from __future__ import print_function

import glob
import os
import shutil
import sys
import sysconfig

import harness as core  # the core differential harness, already on sys.path

PY2 = core.PY2
HAS_PYCACHE = core.HAS_PYCACHE


def cache_of(d, source):
    """The default cache of `source` relative to `d`: __pycache__ on 3.x, legacy on 2.7."""
    if PY2:
        return os.path.relpath(source + "c", d)
    return os.path.relpath(core.cache_path(source), d)


def write_module(b, d, name, imports):
    """NAME.py with V = 1, imported by this interpreter so that it writes its cache."""
    source = os.path.join(d, name + ".py")
    b.source(source, "V = 1\n")
    imports(d, [name])
    return source


def build_moves(b, import_all):
    # A module became a package; its legacy NAME.pyc stayed (2.7's own, 3.x compileall -b).
    d = b.case_dir("move_module_to_package_legacy")
    source = os.path.join(d, "foo.py")
    b.source(source, "V = 1\n")
    if PY2:
        import_all(d, ["foo"])
    else:
        core.compile_legacy(source)
    os.remove(source)
    b.source(os.path.join(d, "foo", "__init__.py"), "INIT = 1\nV = 2\n")
    b.add("move_module_to_package_legacy", "shadowed", "foo.pyc", [("foo", ["shadowed"])],
          "foo.py became foo/, legacy foo.pyc left: the package wins, foo.pyc is never opened")

    # pip install --upgrade: version 1 a module, version 2 a package; the module stays.
    d = b.case_dir("move_pip_upgrade")
    source = write_module(b, d, "foo", import_all)
    b.source(os.path.join(d, "foo", "__init__.py"), "INIT = 1\nV = 2\n")
    b.add("move_pip_upgrade", "shadowed", cache_of(d, source), [("foo", ["shadowed"])],
          "module foo.py and its cache left beside the new package foo/: never read")

    # A package became a module, leaving foo/__pycache__ (3.x) or foo/__init__.pyc (2.7).
    d = b.case_dir("move_package_to_module")
    b.source(os.path.join(d, "foo", "__init__.py"), "INIT = 1\nV = 1\n")
    import_all(d, ["foo"])
    os.remove(os.path.join(d, "foo", "__init__.py"))
    b.source(os.path.join(d, "foo.py"), "V = 2\n")
    if PY2:
        b.add("move_package_to_module", "ghost", "foo", [("foo", ["load"])],
              "foo/ became foo.py; 2.7 still finds the package by its __init__.pyc")
    else:
        b.add("move_package_to_module", "healthy", None, [("foo", ["source"])],
              "foo/ became foo.py, foo/__pycache__ left: the module wins over a namespace")

    build_extension(b, import_all)


def extension_module():
    """A real extension module of this interpreter (path, module name), or None."""
    lib = sysconfig.get_paths().get("platstdlib") or ""
    dirs = [os.path.join(lib, "lib-dynload"), lib]
    for pattern in ("_bisect*.so", "_lzma_cffi*.so", "*.so"):
        for directory in dirs:
            found = sorted(glob.glob(os.path.join(directory, pattern)))
            for path in found:
                name = os.path.basename(path).split(".")[0]
                if name.endswith("module"):
                    name = name[: -len("module")]
                if name not in sys.modules and name not in sys.builtin_module_names:
                    return path, name
    return None


def build_extension(b, import_all):
    """An extension module beside a source of the same name: the import loads the extension."""
    found = extension_module()
    if found is None:
        return
    path, name = found
    d = b.case_dir("shadow_extension_module")
    source = write_module(b, d, name, import_all)
    shutil.copy(path, os.path.join(d, os.path.basename(path)))
    b.add("shadow_extension_module", "shadowed", cache_of(d, source), [(name, ["shadowed"])],
          "an extension module %s beside %s.py: its cache is never read" % (
              os.path.basename(path), name))


def by_shadow(cwd, target, result, err):
    """Whether the import found something else than the target and never opened it."""
    if not result.get("ok"):
        return "fail", result.get("error", "")
    path = result.get("file") or ""
    named = os.path.basename(target) in err
    if path.endswith((".pyc", ".pyo")) and os.path.realpath(path) == os.path.realpath(target):
        return "read", "__file__ is the target"
    if named:
        return "read", "-v names the target"
    return "shadowed", "__file__ %s, -v never names the target" % os.path.relpath(path, cwd)
