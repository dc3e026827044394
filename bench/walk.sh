#!/usr/bin/env bash
# Times pyc-audit (header check, then --deep) against a bare `find -name '*.pyc'` walk of the
# same tree (hyperfine).
# Usage: bench/walk.sh [DIR]   (default: the site-packages / stdlib of python3)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --quiet
echo "tree: $dir ($(find "$dir" -name '*.pyc' | wc -l) caches)"
hyperfine --warmup 3 --runs 30 -N \
  "find $dir -name *.pyc" \
  "target/release/pyc-audit --format paths --fail-on never $dir" \
  "target/release/pyc-audit --deep --format paths --fail-on never $dir"
