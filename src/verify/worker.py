# Verifies caches for `pyc-audit --verify`; runs unchanged under Python 2.7, 3.6+ and PyPy.
# stdin: batches of requests, one per line: "LEVEL HEADER_LEN HEX(cache) HEX(source)", each
# batch ended by an empty line; stdout: one answer line per request, after the whole batch:
# "equal", "differs\tWHERE", "nocompile\tMESSAGE" or "error\tMESSAGE".
#
# The source is compiled as the import compiles it (the bytes, `exec`, `dont_inherit`, the
# cache's optimisation level) and compared with the unmarshalled body on every field the cache
# stores except co_filename, which the import rewrites (_fix_up_module / _fix_co_filename).
import binascii
import marshal
import struct
import sys
import warnings

PY2 = sys.version_info[0] == 2
out = getattr(sys.stdout, "buffer", sys.stdout)
inp = getattr(sys.stdin, "buffer", sys.stdin)
# The import shows compiler warnings; a verification has no one to show them to.
warnings.simplefilter("ignore")

# Every field marshal stores for a code object in this interpreter, but co_filename, in the
# order differences are reported: names first, constants (recursively) before the bytecode
# that uses them, the line table last.
FIELDS = ["co_name", "co_qualname", "co_firstlineno", "co_argcount", "co_posonlyargcount",
          "co_kwonlyargcount", "co_nlocals", "co_flags", "co_names", "co_varnames",
          "co_freevars", "co_cellvars", "co_consts", "co_code", "co_stacksize",
          "co_exceptiontable"]
probe = compile("0", "", "exec", 0, True)
# The line table as stored: co_linetable from 3.10 (co_lnotab is derived, deprecated in 3.12).
FIELDS.append("co_linetable" if hasattr(probe, "co_linetable") else "co_lnotab")
FIELDS = [f for f in FIELDS if hasattr(probe, f)]
WHAT = {"co_code": "bytecode", "co_linetable": "line table", "co_lnotab": "line table",
        "co_exceptiontable": "exception table", "co_stacksize": "stack size",
        "co_flags": "flags"}
CODE = type(probe)


def const_key(c):
    """A key equal only for constants marshal writes identically (type, -0.0, NaN bits)."""
    t = type(c)
    if t is float:
        return (t, struct.pack("<d", c))
    if t is complex:
        return (t, struct.pack("<dd", c.real, c.imag))
    if t is tuple:
        return (t, tuple(const_key(x) for x in c))
    if t is frozenset:
        return (t, frozenset(const_key(x) for x in c))
    if t is CODE:
        return (t, id(c))
    return (t, c)


def short(c):
    r = repr(c)
    return r if len(r) <= 40 else r[:37] + "..."


def where(code):
    name = getattr(code, "co_qualname", code.co_name)
    return "%s (line %d)" % (name, code.co_firstlineno)


def diff(a, b):
    """The first difference between code objects a (cache) and b (source), or None."""
    for f in FIELDS:
        if f == "co_consts":
            d = diff_consts(a, b)
            if d:
                return d
            continue
        x, y = getattr(a, f), getattr(b, f)
        if type(x) is type(y) and x == y:
            continue
        if f in ("co_name", "co_qualname", "co_firstlineno"):
            return "%s in the cache, %s in the source" % (where(a), where(b))
        if f in ("co_names", "co_varnames", "co_freevars", "co_cellvars"):
            return "%s of %s: %s in the cache, %s in the source" % (
                f, where(a), short(x), short(y))
        if f.endswith("argcount") or f == "co_nlocals":
            return "%s of %s: %s in the cache, %s in the source" % (f, where(a), x, y)
        return "%s of %s" % (WHAT.get(f, f), where(a))
    return None


def diff_consts(a, b):
    ca, cb = a.co_consts, b.co_consts
    if len(ca) != len(cb):
        return "constants of %s: %d in the cache, %d in the source" % (where(a), len(ca), len(cb))
    for i in range(len(ca)):
        x, y = ca[i], cb[i]
        if type(x) is CODE and type(y) is CODE:
            d = diff(x, y)
            if d:
                return d
        elif const_key(x) != const_key(y) or (type(x) is CODE) != (type(y) is CODE):
            return "constant %d of %s: %s in the cache, %s in the source" % (
                i, where(a), short(x), short(y))
    return None


def set_optimize(level):
    """Python 2 has no optimize argument: set the -O flag of this process."""
    import ctypes
    ctypes.c_int.in_dll(ctypes.pythonapi, "Py_OptimizeFlag").value = level


def compiled(source, filename, level):
    f = open(source, "rb")
    try:
        data = f.read()
    finally:
        f.close()
    if PY2:
        set_optimize(level)
        return compile(data, filename, "exec", 0, True)
    return compile(data, filename, "exec", dont_inherit=True, optimize=level)


def verify(level, hlen, cpath, spath):
    f = open(cpath, "rb")
    try:
        body = f.read()[hlen:]
    finally:
        f.close()
    try:
        cached = marshal.loads(body)
    except Exception as e:
        return "error", "cannot unmarshal the cache (--deep judges its body): %s" % e
    if type(cached) is not CODE:
        return "error", "the cache holds a %s, not a code object" % type(cached).__name__
    # The recorded filename: only co_filename depends on it, and it makes equal bytes likely.
    name = cached.co_filename if isinstance(cached.co_filename, str) else spath
    levels = [level] if not (PY2 and level) else [1, 2]  # a .pyo is -O or -OO
    first = None
    for lv in levels:
        try:
            code = compiled(spath, name, lv)
        except SyntaxError as e:
            msg = "%s: %s" % (type(e).__name__, e.msg)
            if e.lineno:
                msg += " (line %d)" % e.lineno
            return "nocompile", msg
        except (ValueError, TypeError) as e:
            return "nocompile", "%s: %s" % (type(e).__name__, e)
        # The import wrote marshal.dumps of the same code: equal bytes settle it (marshal
        # ignores what follows the code object, and so does this).
        if body.startswith(marshal.dumps(code)):
            return "equal", ""
        d = diff(cached, code)
        if d is None:
            return "equal", ""
        first = first or d
    return "differs", first


def answer(line):
    try:
        level, hlen, c, s = line.split(b" ")
        cpath, spath = binascii.unhexlify(c), binascii.unhexlify(s)
        if not PY2:
            import os
            cpath, spath = os.fsdecode(cpath), os.fsdecode(spath)
        kind, text = verify(int(level), int(hlen), cpath, spath)
    except Exception as e:
        kind, text = "error", "%s: %s" % (type(e).__name__, e)
    text = " ".join(("%s" % text).split())
    if not PY2 or isinstance(text, unicode):  # noqa: F821 (Python 2 only)
        text = text.encode("utf-8", "backslashreplace")
    return kind.encode("ascii") + (b"\t" + text if text else b"") + b"\n"


def main():
    answers = []
    while True:
        line = inp.readline()
        if not line:
            break
        line = line.rstrip(b"\n")
        if line:
            answers.append(answer(line))
            continue
        out.write(b"".join(answers))
        out.flush()
        answers = []


main()
