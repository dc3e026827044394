#!/usr/bin/env bash
# Ecosystem checks, as a Python user meets pyc-audit: the wheel maturin builds (installed in a
# fresh virtual environment, it must report exactly what the cargo build reports), the sdist's
# contents, the pre-commit hook through `pre-commit try-repo` on a sample repository, and
# action.yml (its schema, then its steps run here on the demo tree). Installs its tools from
# PyPI into a throwaway virtual environment; prints one summary line; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=${PYTHON:-python3}

# Every build below (the wheel, pre-commit's install, the action's) shares one target
# directory and a light release profile (what is tested here is packaging, not speed):
# dependencies are compiled once, and each build takes a fraction of a full release build.
export CARGO_TARGET_DIR="$work/target"
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_OPT_LEVEL=1
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_QUIET=1 PRE_COMMIT_HOME="$work/pre-commit-home"
export NO_COLOR=1

passed=()
failed=()
# Runs one named check in a subshell with `set -e`; records the outcome and goes on.
run_check() {
  local name=$1
  shift
  local began=$SECONDS
  echo "ecosystem: $name ..."
  set +e
  (set -e; "$@")
  local rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    passed+=("$name")
    echo "ecosystem: ok: $name ($((SECONDS - began))s)"
  else
    failed+=("$name")
    echo "ecosystem: FAILED: $name ($((SECONDS - began))s)"
  fi
}

fail() { echo "ecosystem: $*" >&2; return 1; }

tools() {
  "$python" -m venv "$work/tools"
  "$work/tools/bin/pip" install maturin pre-commit check-jsonschema pyyaml pipx uv
}

# `pip wheel --no-deps .` (maturin from the package index), installed in a fresh venv.
wheel() {
  "$work/tools/bin/pip" wheel --no-deps -w "$work/wheels" "$repo"
  "$work/tools/bin/python" - "$work"/wheels/*.whl <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
scripts = [n for n in names if n.endswith(".data/scripts/pyc-audit")]
assert scripts, names
stray = [n for n in names if ".dist-info/" not in n and n not in scripts]
assert not stray, f"the wheel holds only the binary and its metadata: {stray}"
PY
  "$python" -m venv "$work/user"
  "$work/user/bin/pip" install "$work"/wheels/*.whl
  test -x "$work/user/bin/pyc-audit"
}

# `pipx install .` and `uv tool install .` install the command too (the build is cached by now).
tool_installers() {
  PIPX_HOME="$work/pipx" PIPX_BIN_DIR="$work/pipx-bin" "$work/tools/bin/pipx" install "$repo" >/dev/null
  "$work/pipx-bin/pyc-audit" --version
  UV_TOOL_DIR="$work/uv-tools" UV_TOOL_BIN_DIR="$work/uv-bin" UV_CACHE_DIR="$work/uv-cache" \
    "$work/tools/bin/uv" tool install --quiet "$repo"
  "$work/uv-bin/pyc-audit" --version
}

# The installed command reports exactly what the cargo build reports, with its exit code.
same_report() {
  env -u CARGO_TARGET_DIR cargo build --locked --quiet
  local cargo_bin="$repo/target/debug/pyc-audit" wheel_bin="$work/user/bin/pyc-audit"
  test "$("$cargo_bin" --version)" = "$("$wheel_bin" --version)"
  local format
  for format in table json github sarif; do
    local a b ra=0 rb=0
    a=$("$cargo_bin" --no-env --format "$format" fixtures/demo) || ra=$?
    b=$("$wheel_bin" --no-env --format "$format" fixtures/demo) || rb=$?
    [ "$ra" -eq 1 ] || fail "cargo build exits $ra on the demo ($format)"
    [ "$ra" -eq "$rb" ] || fail "exit codes differ ($format): cargo $ra, wheel $rb"
    [ "$a" = "$b" ] || { diff <(echo "$a") <(echo "$b") || true; fail "reports differ ($format)"; }
  done
}

# The sdist holds the sources, never target/, the fixtures or the test trees.
sdist() {
  (cd "$repo" && "$work/tools/bin/maturin" sdist --out "$work/sdist" >/dev/null 2>&1)
  local list
  list=$(tar tzf "$work"/sdist/*.tar.gz)
  grep -q '/src/main.rs$' <<<"$list" || fail "sdist lacks src/main.rs"
  grep -q '/data/cpython-magic.csv$' <<<"$list" || fail "sdist lacks data/"
  if grep -E '/(target|fixtures|tests|bench)/' <<<"$list"; then fail "sdist holds build or test trees"; fi
}

# The hook fails on a sourceless legacy cache and passes once `pyc-audit clean` removed it.
pre_commit_hook() {
  local sample="$work/sample"
  mkdir -p "$sample"
  cd "$sample"
  git init -q
  printf 'x = 1\n' > m.py
  git add m.py
  git -c user.name=t -c user.email=t@example.com commit -qm sample
  cp "$repo/fixtures/demo/app/compat.pyc" legacy.pyc   # Python 2.7 bytecode, no legacy.py
  local out rc=0
  out=$("$work/tools/bin/pre-commit" try-repo "$repo" pyc-audit --all-files 2>&1) || rc=$?
  echo "$out" | tail -n 8
  [ "$rc" -eq 1 ] || fail "the hook exits $rc on a legacy orphan, not 1"
  grep -q 'orphan' <<<"$out" || fail "the hook's output does not name the orphan"
  "$work/user/bin/pyc-audit" clean >/dev/null
  [ ! -e legacy.pyc ] || fail "pyc-audit clean left legacy.pyc"
  "$work/tools/bin/pre-commit" try-repo "$repo" pyc-audit --all-files >/dev/null 2>&1 \
    || fail "the hook fails on a clean tree"
}

action_schema() {
  "$work/tools/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
}

# action.yml's steps, run here as the runner would: install, then audit the demo tree.
action_steps() {
  export GITHUB_ACTION_PATH="$repo" RUNNER_TEMP="$work/runner" GITHUB_PATH="$work/runner/path"
  mkdir -p "$RUNNER_TEMP"
  local step=(env -u VIRTUAL_ENV "$work/tools/bin/python" tests/action_steps.py action.yml)
  bash -c "$("${step[@]}" 0)"
  grep -qx "$RUNNER_TEMP/pyc-audit-venv/bin" "$GITHUB_PATH" || fail "install did not extend PATH"
  local out rc=0
  out=$(bash -c "$("${step[@]}" 1 paths=fixtures/demo 'args=--no-env --no-git' \
    "sarif-file=$work/demo.sarif")") || rc=$?
  [ "$rc" -eq 1 ] || fail "the audit step exits $rc on the demo, not 1"
  [ "$(grep -c '^::' <<<"$out")" -eq 14 ] || { echo "$out"; fail "not 14 annotations"; }
  [ "$(grep -vc '^::' <<<"$out")" -eq 0 ] || fail "stdout holds more than workflow commands"
  grep -q '^::error file=fixtures/demo/app/pricing.py,title=pyc-audit stale::' <<<"$out" \
    || fail "no error annotation on the edited source"
  "$work/tools/bin/python" -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["runs"][0]["results"]) == 14' \
    "$work/demo.sarif"
  bash -c "$("${step[@]}" 1 paths=fixtures/demo/app/payments 'args=--no-env' fail-on=error)" \
    >/dev/null || fail "fail-on=error fails on warnings"
}

start=$SECONDS
run_check "tools from PyPI" tools
run_check "wheel (pip wheel --no-deps .)" wheel
run_check "wheel's pyc-audit = cargo build's on fixtures/demo" same_report
run_check "pipx install . and uv tool install ." tool_installers
run_check "sdist contents" sdist
run_check "pre-commit try-repo" pre_commit_hook
run_check "action.yml schema" action_schema
run_check "action.yml steps on fixtures/demo" action_steps

elapsed=$((SECONDS - start))
if [ "${#failed[@]}" -eq 0 ]; then
  echo "ecosystem: PASS: ${#passed[@]} checks in ${elapsed}s"
else
  echo "ecosystem: FAIL: ${#failed[@]} of $((${#passed[@]} + ${#failed[@]})) checks failed in ${elapsed}s: ${failed[*]}"
  exit 1
fi
