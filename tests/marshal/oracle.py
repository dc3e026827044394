# -*- coding: utf-8 -*-
"""Oracle for tests/differential/marshal.rs: what this interpreter's marshal.loads says.

Usage: python oracle.py BODIES_FILE [STDLIB_COUNT]
       python oracle.py BODIES_FILE --reuse      (judge again, bodies from an earlier run)

1. Compiles (in a child process) a slice of the running interpreter's own standard library (STDLIB_COUNT files,
   evenly spaced over the sorted list, default 150) and a few synthetic modules (every constant
   type, closures, argument kinds, old marshal versions, and a code object carrying list, dict
   and set constants), and writes each marshalled code object to BODIES_FILE as a 4-byte
   little-endian length and the bytes.
2. Prints one JSON line: implementation, version, body names, and whether an import accepts a
   cache with trailing garbage after the code object.
3. Reads cases from stdin until EOF, one per line: "INDEX n" (untouched), "INDEX t LEN"
   (truncate), "INDEX x POS BYTE" (xor one byte), "INDEX s POS HEX" (overwrite bytes),
   "INDEX a HEX" (append bytes), "INDEX z POS" (zeros from POS on, as after a lost write). For each, prints one line: "1" when marshal.loads returns a
   code object, "0 <error>" when it raises or returns anything else, "C <status>" when the
   interpreter dies (aborts such as "non-string found in code slot" before 3.9, PyPy's RPython
   assertions, SIGSEGV). Cases run in a forked worker, replaced after a crash; a case whose
   line ends with "!" runs in a child of its own (the test marks those it expects to corrupt
   the heap, and re-judges every disagreement that way, with --reuse). Children cannot dump
   core, and their address space is capped so that a corrupted length cannot make them
   allocate gigabytes.

Runs on Python 2.7 and 3.x (CPython and PyPy). Run with PYTHONHASHSEED=0 for stable bodies.
"""
from __future__ import print_function

import json
import marshal
import os
import platform
import shutil
import struct
import sys
import tempfile
import types

PY2 = sys.version_info[0] == 2
CODE_TYPE = type(compile("0", "<oracle>", "exec"))


def stdlib_files(count):
    root = os.path.dirname(os.__file__)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "dist-packages"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                try:
                    if os.path.getsize(path) <= 120000:
                        found.append(path)
                except OSError:
                    pass
    found.sort()
    if len(found) <= count:
        return found
    step = float(len(found)) / count
    return [found[int(i * step)] for i in range(count)]


def compile_file(path):
    with open(path, "rb") as handle:
        source = handle.read()
    try:
        return compile(source, path, "exec", 0, True)
    except (SyntaxError, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None


SYNTHETIC_COMMON = u'''
import os
N = None; T = True; F = False; E = Ellipsis
I = (0, 1, -1, 255, 256, 2**31 - 1, -2**31, 2**31, 2**63, -2**64, 10**40, -10**40)
R = (1.5, -0.0, 1e300, 3j, 1 + 2j, 1e-300)
B = (b"", b"bytes", b"\\x00\\xff" * 40)
S = ("", "x", "ascii", "caf\\u00e9", "\\u20ac uro", "\\U0001f600", "a" * 300, "b" * 255, "c" * 256)
U = (u"\\u00e9t\\u00e9", u"\\u4e2d\\u6587")
NESTED = ((1, (2, (3, (4, (5,))))), ("x", ("y",)))
def f(a, b=2, *args, **kwargs):
    x = [a, b]
    def g(y):
        return x, y, a
    return g
class C(object):
    attr = "value"
    def method(self, n):
        return [i * n for i in range(n) if i in (1, 2, 3)]
def gen(n):
    for i in range(n):
        yield i
if N in (1, 2, 3, 4, 5, 6): pass
if "q" in {"a", "b", "c"}: pass
'''

SYNTHETIC_PY3 = u'''
def kw(a, *, b, c=3, **rest):
    return a, b, c, rest
async def coro(x):
    return x
SUR = "\\ud800\\udfff"
'''

SYNTHETIC_PY38 = u'''
def pos(a, b, /, c, *, d):
    return a + b + c + d
if (w := 10) > 5: pass
'''


def synthetic_sources():
    yield "synthetic_common", SYNTHETIC_COMMON
    if not PY2:
        yield "synthetic_py3", SYNTHETIC_COMMON + SYNTHETIC_PY3
    if sys.version_info >= (3, 8):
        yield "synthetic_py38", SYNTHETIC_COMMON + SYNTHETIC_PY3 + SYNTHETIC_PY38


def rich_consts_code(base):
    """A code object whose constants hold what compile() never puts there."""
    extra = (
        [1, "two", (3,)],
        {"key": 1, (1, 2): frozenset([3]), 2.5: None},
        set([1, 2, "three"]),
        frozenset([]),
        StopIteration,
        Ellipsis,
        2 ** 100,
        -(2 ** 70),
    )
    consts = base.co_consts + extra
    if hasattr(base, "replace"):
        return base.replace(co_consts=consts)
    args = [base.co_argcount]
    if not PY2:
        args.append(base.co_kwonlyargcount)
    args += [base.co_nlocals, base.co_stacksize, base.co_flags, base.co_code, consts,
             base.co_names, base.co_varnames, base.co_filename, base.co_name,
             base.co_firstlineno, base.co_lnotab, base.co_freevars, base.co_cellvars]
    return types.CodeType(*args)


def build_bodies(count):
    bodies = []
    for path in stdlib_files(count):
        code = compile_file(path)
        if code is not None:
            bodies.append((os.path.basename(path), marshal.dumps(code)))
    for name, source in synthetic_sources():
        code = compile(source, name + ".py", "exec", 0, True)
        bodies.append((name, marshal.dumps(code)))
        # Older marshal versions use the long forms: text floats, "(" tuples, no references.
        for version in range(0, marshal.version):
            try:
                bodies.append(("%s_v%d" % (name, version), marshal.dumps(code, version)))
            except ValueError:
                pass
        bodies.append((name + "_rich", marshal.dumps(rich_consts_code(code))))
    return bodies


def trailing_import_ok():
    """Imports a module whose cache has garbage after the code object."""
    directory = tempfile.mkdtemp()
    saved_path, saved_flag = list(sys.path), sys.dont_write_bytecode
    try:
        import py_compile
        source = os.path.join(directory, "oracle_trailing.py")
        with open(source, "w") as handle:
            handle.write("VALUE = 41 + 1\n")
        py_compile.compile(source, doraise=True)
        if PY2:
            cache = source + "c"
        else:
            import importlib.util
            cache = importlib.util.cache_from_source(source)
        with open(cache, "ab") as handle:
            handle.write(b"\x00garbage\xff" * 3)
        with open(cache, "rb") as handle:
            before = handle.read()
        sys.dont_write_bytecode = True
        sys.path.insert(0, directory)
        module = __import__("oracle_trailing")
        with open(cache, "rb") as handle:
            untouched = handle.read() == before
        return module.VALUE == 42 and untouched
    except Exception:
        return False
    finally:
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_flag
        sys.modules.pop("oracle_trailing", None)
        shutil.rmtree(directory, ignore_errors=True)


def unhex(text):
    return bytearray(bytes(bytearray.fromhex(text)))


def mutate(body, parts):
    op = parts[0]
    if op == "n":
        return body
    if op == "t":
        return body[:int(parts[1])]
    data = bytearray(body)
    if op == "x":
        data[int(parts[1])] ^= int(parts[2])
    elif op == "s":
        at, new = int(parts[1]), unhex(parts[2])
        data[at:at + len(new)] = new
    elif op == "a":
        data += unhex(parts[1])
    elif op == "z":
        at = int(parts[1])
        data[at:] = bytearray(len(data) - at)
    return bytes(data)


def judge(data):
    try:
        value = marshal.loads(data)
    except Exception as error:  # the verdict is the point, whatever the type
        try:
            text = "%s: %s" % (type(error).__name__, error)
            text = text.encode("ascii", "backslashreplace").decode("ascii")
        except Exception:  # PyPy may hold text that is not valid UTF-8
            text = type(error).__name__
        return "0 " + text.replace("\n", " ")[:160]
    if isinstance(value, CODE_TYPE):
        return "1"
    return "0 non-code object %s" % type(value).__name__


def limit_children():
    """No core files from the crashes; no gigabyte allocations from corrupted lengths."""
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        limit = 2 * 1024 ** 3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def fork_judge(bodies, cases, out):
    """Judges cases in one forked child, one answer line each, as long as it lives; returns
    how many it answered."""
    out.flush()  # a child that dies of a fatal error flushes the stdio it inherited
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        for line in cases:
            parts = line.split()
            answer = judge(mutate(bodies[int(parts[0])][1], parts[1:])) + "\n"
            os.write(write_fd, answer.encode("ascii"))
        os._exit(0)
    os.close(write_fd)
    answered = 0
    with os.fdopen(read_fd, "rb") as results:
        for answer in results:
            out.write(answer)
            answered += 1
    os.waitpid(pid, 0)
    return answered


def serve(bodies, cases):
    """Judges the cases in order. Runs of ordinary cases share a worker, replaced after a
    crash; a case marked "!" (one the validator calls undefined behaviour, which may corrupt
    the heap without crashing) gets a child of its own, so that it cannot sway another."""
    limit_children()
    out = getattr(sys.stdout, "buffer", sys.stdout)
    at = 0
    while at < len(cases):
        end = at + 1
        if not cases[at].endswith("!"):
            while end < len(cases) and not cases[end].endswith("!"):
                end += 1
        batch = [line.rstrip("!").strip() for line in cases[at:end]]
        answered = fork_judge(bodies, batch, out)
        at += answered
        if answered < len(batch):
            out.write(b"C crashed\n")
            at += 1
    out.flush()


def prepare(bodies_file, count):
    """Compiles, writes the bodies, and returns the header (run in a child: see main)."""
    bodies = build_bodies(count)
    with open(bodies_file, "wb") as handle:
        for _, body in bodies:
            handle.write(struct.pack("<I", len(body)))
            handle.write(body)
    return {
        "implementation": platform.python_implementation(),
        "version": list(sys.version_info[:2]),
        "bodies": [name for name, _ in bodies],
        "trailing_import_ok": trailing_import_ok(),
    }


def read_bodies(bodies_file):
    with open(bodies_file, "rb") as handle:
        data = handle.read()
    bodies, at = [], 0
    while at < len(data):
        (size,) = struct.unpack("<I", data[at:at + 4])
        bodies.append((None, data[at + 4:at + 4 + size]))
        at += 4 + size
    return bodies


def main():
    bodies_file = sys.argv[1]
    if sys.argv[2:] == ["--reuse"]:
        out = getattr(sys.stdout, "buffer", sys.stdout)
        out.write(b"{}\n")
        out.flush()
        cases = [line for line in sys.stdin.read().splitlines() if line.strip()]
        serve(read_bodies(bodies_file), cases)
        return
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    # Compiling grows the process; a child does it, so that the parent, which forks for the
    # workers, stays small.
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        os.write(write_fd, json.dumps(prepare(bodies_file, count)).encode("ascii"))
        os._exit(0)
    os.close(write_fd)
    header = read_all(read_fd).decode("ascii")
    os.close(read_fd)
    os.waitpid(pid, 0)
    out = getattr(sys.stdout, "buffer", sys.stdout)
    out.write((header + "\n").encode("ascii"))
    out.flush()
    cases = [line for line in sys.stdin.read().splitlines() if line.strip()]
    serve(read_bodies(bodies_file), cases)


if __name__ == "__main__":
    main()
