#!/usr/bin/env bash
# Times `pyc-audit check --verify` against CPython's own parallel recompile of the same tree
# (`python3.11 -m compileall -q -f -j0`), on a real site-packages: django, sympy, numpy, pandas,
# scipy, matplotlib, setuptools, pip and pytest installed with pip into a directory, then
# byte-compiled with compileall. The goal: verifying every cache is no slower than recompiling.
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
timed() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
for round in 1 2 3; do
  c=$(timed "$py" -m compileall -q -f -j0 "$site")
  v=$(timed "$bin" check --verify --format paths --fail-on never "$site")
  h=$(timed "$bin" check --format paths --fail-on never "$site")
  printf 'round %d: compileall -f -j0 %6.2fs   check --verify %6.2fs   check (headers) %6.2fs\n' \
    "$round" "$c" "$v" "$h"
done
"$bin" check --verify --format json --fail-on never "$site" | "$py" -c '
import json, sys
s = json.load(sys.stdin)["summary"]
print("verify summary:", s["caches"], "caches;", "by status:", {k: v for k, v in s["by_status"].items() if v})'
