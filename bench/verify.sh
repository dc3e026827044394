#!/usr/bin/env bash
# Times `pyc-audit check --verify` against CPython's own parallel recompile of the same tree
# (`python3.11 -m compileall -q -f -j0`), on a real site-packages: django, sympy, numpy, pandas,
# scipy, matplotlib, setuptools, pip and pytest installed with pip into a directory, then
# byte-compiled with compileall. The goal: verifying every cache is no slower than recompiling.
# Prints wall-clock and CPU time (the command and its children) of each, three rounds
# interleaved, so a machine busy with other work shows in both alike.
# Usage: bench/verify.sh [DIR]   (DIR: where to build the site-packages; reused if it exists;
# default: a temporary directory removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3.11}
if [ $# -ge 1 ]; then
  site=$1
else
  site=$(mktemp -d)
  trap 'rm -rf "$site"' EXIT
fi
if [ ! -e "$site/.installed" ]; then
  "$py" -m pip install --quiet --disable-pip-version-check --no-compile --target "$site" \
    django sympy numpy pandas scipy matplotlib setuptools pip pytest
  touch "$site/.installed"
fi
"$py" -m compileall -q -j0 "$site" >/dev/null || true
cargo build --release --quiet
bin=target/release/pyc-audit
echo "tree: $site ($(find "$site" -name '*.pyc' | wc -l) caches, $("$py" -V 2>&1), $(nproc) cores)"
# Warm the page cache and the interpreter's own startup files once.
"$bin" check --format paths --fail-on never "$site" >/dev/null
# Wall-clock seconds, then the CPU seconds of the command and its children (user + sys).
timed() {
  "$py" - "$@" <<'PY'
import os, subprocess, sys, time
start, before = time.monotonic(), os.times()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
after = os.times()
cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
print("%6.2fs (cpu %6.2fs)" % (time.monotonic() - start, cpu))
PY
}
for round in 1 2 3; do
  c=$(timed "$py" -m compileall -q -f -j0 "$site")
  v=$(timed "$bin" check --verify --format paths --fail-on never "$site")
  h=$(timed "$bin" check --format paths --fail-on never "$site")
  echo "round $round: compileall -f -j0 $c   check --verify $v   check (headers) $h"
done
"$bin" check --verify --format json --fail-on never "$site" | "$py" -c '
import json, sys
s = json.load(sys.stdin)["summary"]
print("verify summary:", s["caches"], "caches;", "by status:", {k: v for k, v in s["by_status"].items() if v})'
