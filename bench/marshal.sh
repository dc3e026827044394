#!/usr/bin/env bash
# Throughput of the marshal validator (check_body) over every cache of a tree, in memory.
# Usage: bench/marshal.sh [DIR]   (default: the pyenv versions directory, else /usr/lib)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then export MARSHAL_BENCH_ROOT="$1"; fi
cargo test --release --quiet --test differential marshal_bench -- --ignored --nocapture 2>&1 \
  | grep -v "^running\|^test \|^$\|test result\|^\.$"
