#!/usr/bin/env bash
# Scale benchmark: pyc-audit on a large real tree against listing it and against CPython's own
# staleness check.
#
# The tree: django, sympy, numpy, pandas, scipy, matplotlib, setuptools, pip and pytest installed
# with `pip install --target`, compiled with `python3.11 -m compileall`, then copied ten times
# with hard links (about 74k caches), the last copy's sources rewritten (a tenth stale).
# Building it downloads a few hundred MB; give a directory to keep it, and the next run reuses
# it.
#
# Usage: bench/scale.sh [DIR] [RUNS]
#   DIR   where the tree is (built there if DIR/tree is missing; default: a temporary directory,
#         removed afterwards)
#   RUNS  hyperfine runs per command (default 10)
# Env: PYC_AUDIT=path/to/binary to time a given build instead of `cargo build --release`.
#
# Prints the machine, then per command the median wall time, user+sys CPU, ratio to
# `find -name '*.pyc'` and peak memory (`/usr/bin/time -v`). Commands run interleaved by
# hyperfine one after another; on a shared machine, run twice and compare.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${2:-10}
py=${PYTHON:-python3.11}
for tool in hyperfine /usr/bin/time "$py"; do
  command -v "$tool" >/dev/null || {
    echo "needs $tool (apt-get install -y hyperfine time fd-find)" >&2
    exit 2
  }
done

if [ -n "${1:-}" ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
tree=$work/tree

build_tree() {
  local base=$work/base
  if [ ! -d "$base" ]; then
    "$py" -m pip install -q --disable-pip-version-check --target "$base.part" \
      django sympy numpy pandas scipy matplotlib setuptools pip pytest
    mv "$base.part" "$base"
  fi
  # compileall exits 1 on the few test files that are deliberately invalid Python.
  "$py" -m compileall -q "$base" >/dev/null 2>&1 || true
  mkdir -p "$tree.part"
  for i in 0 1 2 3 4 5 6 7 8 9; do
    cp -al "$base" "$tree.part/copy$i"
  done
  mv "$tree.part" "$tree"
}
[ -d "$tree" ] || build_tree

# A tenth of the caches made stale: every source of the last copy gets an inode of its own (the
# other copies keep theirs) with a new mtime, so there are findings to sort, report and clean.
# Done on every run: compileall, timed below, rewrites those caches.
"$py" - "$tree/copy9" <<'EOF'
import os, shutil, sys
for top, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".py"):
            p = os.path.join(top, f)
            shutil.copyfile(p, p + ".new")
            os.replace(p + ".new", p)
EOF

if [ -n "${PYC_AUDIT:-}" ]; then
  bin=$PYC_AUDIT
else
  cargo build --release --quiet
  bin=target/release/pyc-audit
fi

caches=$(find "$tree" -name '*.pyc' | wc -l)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Linux $(uname -r)"
echo "tree: $caches caches, $(find "$tree" | wc -l) entries"
echo "pyc-audit: $("$bin" --version 2>/dev/null || echo "$bin")"
echo

names=(find)
cmds=("find $tree -name *.pyc")
if command -v fdfind >/dev/null; then
  names+=(fdfind)
  cmds+=("fdfind -u -e pyc . $tree")
fi
names+=(check check-deep clean-dry-run compileall)
cmds+=(
  "$bin check --format json --fail-on never $tree"
  "$bin check --deep --format json --fail-on never $tree"
  "$bin clean --dry-run $tree"
  "$py -m compileall -q $tree"
)

json=$(mktemp)
# -N: no shell in between; -i: clean --dry-run exits 1 when it would remove something. The
# output goes to /dev/null, as a gate's would to a file. compileall comes last: it rewrites the
# stale caches, which the next run of this script makes stale again.
hyperfine -N -i --warmup 1 --runs "$runs" --export-json "$json" "${cmds[@]}" >/dev/null 2>&1

printf '%-14s %9s %9s %9s %9s\n' command median 'mean cpu' 'x find' 'peak MB'
i=0
for name in "${names[@]}"; do
  read -r median cpu < <("$py" - "$json" "$i" <<'EOF'
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
cpu = r["user"] + r["system"]  # hyperfine gives their means
print(f'{statistics.median(r["times"]):.3f} {cpu:.3f}')
EOF
)
  [ "$i" = 0 ] && find_median=$median
  # shellcheck disable=SC2086 # the command line splits on spaces, as hyperfine -N does
  # Peak memory: the maximum resident set size /usr/bin/time -v reports, one run.
  /usr/bin/time -v -o "$json.time" ${cmds[$i]} >/dev/null 2>&1 || true
  peak=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$json.time")
  ratio=$(awk -v a="$median" -v b="$find_median" 'BEGIN { printf "%.2f", a / b }')
  peak_mb=$(awk -v k="$peak" 'BEGIN { printf "%.0f", k / 1024 }')
  printf '%-14s %8ss %8ss %8sx %9s\n' "$name" "$median" "$cpu" "$ratio" "$peak_mb"
  i=$((i + 1))
done
rm -f "$json" "$json.time"
