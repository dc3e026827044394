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
# `find -name '*.pyc'` and peak memory (`/usr/bin/time -v`). The commands take turns in rounds
# of two runs each (paired), so that load from elsewhere on a shared machine hits them alike.
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

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ -n "${1:-}" ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$out" "$work"' EXIT
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
names+=(check check-deep clean-dry-run)
cmds+=(
  "$bin check --format json --fail-on never $tree"
  "$bin check --deep --format json --fail-on never $tree"
  "$bin clean --dry-run $tree"
)

# Paired runs: rounds of two runs of every command, one command after the other, so that a
# burst of load on a shared machine hits every command alike; medians over all rounds.
# -N: no shell in between; -i: clean --dry-run exits 1 when it would remove something. The
# output goes to /dev/null, as a gate's would to a file.
rounds=$(((runs + 1) / 2))
for r in $(seq "$rounds"); do
  warmup=0
  [ "$r" = 1 ] && warmup=1
  hyperfine -N -i --warmup "$warmup" --runs 2 --export-json "$out/round$r.json" "${cmds[@]}" \
    >/dev/null 2>&1
done
# Peak memory: the maximum resident set size /usr/bin/time -v reports, one run each.
peak() {
  # shellcheck disable=SC2086 # the command line splits on spaces, as hyperfine -N does
  /usr/bin/time -v -o "$out/time" $1 >/dev/null 2>&1 || true
  awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out/time"
}
for i in "${!cmds[@]}"; do
  peak "${cmds[$i]}" >"$out/peak$i"
done
# A real clean, which removes the stale tenth (the last copy's caches), against `check` and
# against removing the same files with rm: each run starts from the stale copy restored from a
# snapshot of hard links (untimed, --prepare), so every run has the same 7k caches to remove.
snapshot=$work/copy9.stale
rm -rf "$snapshot"
cp -al "$tree/copy9" "$snapshot"
find "$tree/copy9" -name '*.pyc' -print0 >"$out/stale-list"
cat >"$out/restore" <<EOS
#!/bin/sh
rm -rf "$tree/copy9" && cp -al "$snapshot" "$tree/copy9"
EOS
chmod +x "$out/restore"
clean_names=(check-restored clean rm-stale)
clean_cmds=(
  "$bin check --format json --fail-on never $tree"
  "$bin clean $tree"
  "xargs -0 -a $out/stale-list rm -f"
)
hyperfine -N -i --prepare "$out/restore" --runs "$runs" --export-json "$out/clean.json" \
  "${clean_cmds[@]}" >/dev/null 2>&1
"$out/restore"
peak "${clean_cmds[1]}" >"$out/peak-clean"
"$out/restore"

# compileall last, on its own: its warmup run rewrites the stale caches, so it is timed on the
# tree made fresh (the next run of this script makes them stale again).
names+=(compileall)
cmds+=("$py -m compileall -q $tree")
last=$((${#cmds[@]} - 1))
hyperfine -N -i --warmup 1 --runs "$runs" --export-json "$out/compileall.json" "${cmds[$last]}" \
  >/dev/null 2>&1
peak "${cmds[$last]}" >"$out/peak$last"

"$py" - "$out" "$rounds" "${names[@]}" <<'EOF'
import json, statistics, sys
out, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times = {n: [] for n in names}
cpu = {n: [] for n in names}
def take(path, index, name):
    r = json.load(open(path))["results"][index]
    times[name] += r["times"]
    # hyperfine gives user and system as means over the runs
    cpu[name] += [r["user"] + r["system"]] * len(r["times"])
for k in range(1, rounds + 1):
    for i, name in enumerate(names[:-1]):
        take(f"{out}/round{k}.json", i, name)
take(f"{out}/compileall.json", 0, names[-1])
base = statistics.median(times[names[0]])
print(f"{'command':<14} {'median':>9} {'mean cpu':>9} {'x find':>9} {'peak MB':>9}")
for i, name in enumerate(names):
    median = statistics.median(times[name])
    peak = open(f"{out}/peak{i}").read().strip()
    print(f"{name:<14} {median:>8.3f}s {statistics.mean(cpu[name]):>8.3f}s "
          f"{median / base:>8.2f}x {peak:>9}")
print(f"(medians of {len(times[names[0]])} runs in {rounds} paired rounds; compileall "
      f"{len(times[names[-1]])} runs on the tree it made fresh)")
print()
clean = json.load(open(f"{out}/clean.json"))["results"]
check, removal, unlink = (statistics.median(r["times"]) for r in clean)
peak = open(f"{out}/peak-clean").read().strip()
print(f"clean, removing the stale tenth ({len(clean[0]['times'])} runs, each from the same "
      "restored tree):")
print(f"  check {check:.3f}s, clean {removal:.3f}s (peak {peak} MB), rm of the same files "
      f"{unlink:.3f}s")
print(f"  clean / (1.5 x check + rm) = {removal / (1.5 * check + unlink):.2f}")
EOF
