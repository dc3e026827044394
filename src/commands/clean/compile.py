# Rebuilds caches for `pyc-audit clean --recompile`; runs unchanged under Python 2.7 and 3.x.
# stdin: jobs of four NUL-terminated fields (source, cache, optimisation level, invalidation
# mode); stdout: one line per job, "ok" or "error<TAB>message".
import sys
import py_compile

raw = getattr(sys.stdin, "buffer", sys.stdin).read()
fields = raw.split(b"\0")[:-1]
decode = getattr(__import__("os"), "fsdecode", None)
modes = {}
if hasattr(py_compile, "PycInvalidationMode"):
    modes = {
        b"timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
        b"checked-hash": py_compile.PycInvalidationMode.CHECKED_HASH,
        b"unchecked-hash": py_compile.PycInvalidationMode.UNCHECKED_HASH,
    }
for i in range(0, len(fields) - 3, 4):
    source, cfile, level, mode = fields[i : i + 4]
    if decode is not None:
        source, cfile = decode(source), decode(cfile)
    kwargs = {"cfile": cfile, "doraise": True}
    if sys.version_info >= (3, 2):
        kwargs["optimize"] = int(level)
    if modes:
        kwargs["invalidation_mode"] = modes[mode]
    elif mode != b"timestamp":
        sys.stdout.write("error\tthis Python writes only timestamp caches\n")
        continue
    try:
        py_compile.compile(source, **kwargs)
        sys.stdout.write("ok\n")
    except py_compile.PyCompileError as e:
        sys.stdout.write("error\t%s\n" % " ".join(str(e.msg).split()))
    except Exception as e:
        sys.stdout.write("error\t%s: %s\n" % (type(e).__name__, " ".join(str(e).split())))
    sys.stdout.flush()
