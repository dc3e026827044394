"""Measures the tables in src/pyc/marshal/quicken.rs: run with CPython 3.12 or 3.13.

From 3.12, building a code object runs _PyCode_Quicken, which walks the bytecode and, for each
instruction, looks up its base opcode (_Py_GetBaseOpcode) and skips its inline cache entries.
For INSTRUMENTED_LINE and INSTRUMENTED_INSTRUCTION the lookup dereferences the code object's
monitoring data, which a freshly unmarshalled code object does not have: the interpreter
crashes (SIGSEGV) inside marshal.loads. This script measures, for every opcode byte, whether it
crashes the walk (ff) or how many code units the walk skips after it (00-0c), by unmarshalling
crafted bytecode in a forked child. It prints the version and the 256 entries as hex.
"""
import marshal
import opcode
import os
import sys

BASE = compile("x = 1", "m", "exec")
NOP = opcode.opmap["NOP"]
LINE = opcode.opmap["INSTRUMENTED_LINE"]


def crashes(units):
    placeholder = bytes([NOP, 0] * (len(units) // 2))
    data = marshal.dumps(BASE.replace(co_code=placeholder))
    at = data.index(placeholder)
    data = data[:at] + bytes(units) + data[at + len(units):]
    pid = os.fork()
    if pid == 0:
        try:
            marshal.loads(data)
        except Exception:
            pass
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    return status != 0


def entry(op):
    if crashes([op, 0] + [NOP, 0] * 14):
        return 0xFF
    for skipped in range(13):
        if crashes([op, 0] + [NOP, 0] * skipped + [LINE, 0] + [NOP, 0] * 2):
            return skipped
    return 0xFE


if __name__ == "__main__":
    print(sys.version.split()[0])
    print(bytes(entry(op) for op in range(256)).hex())
