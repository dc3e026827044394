"""Prints the bash of one step of action.yml, as the runner would run it, for tests/ecosystem.sh.

Usage: action_steps.py ACTION_YML STEP_INDEX NAME=VALUE...  (the action's inputs; defaults
from action.yml). The step's `env` becomes `export` lines with `${{ inputs.NAME }}` and
`${{ github.action_path }}` substituted; its `run` text follows unchanged.
"""

import os
import re
import shlex
import sys

import yaml


def main():
    path, index, *pairs = sys.argv[1:]
    with open(path) as f:
        action = yaml.safe_load(f)
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    for pair in pairs:
        name, value = pair.split("=", 1)
        if name not in inputs:
            sys.exit(f"action.yml has no input {name!r}")
        inputs[name] = value
    context = {"github.action_path": os.environ["GITHUB_ACTION_PATH"]}
    context.update({f"inputs.{k}": v for k, v in inputs.items()})

    def expand(text):
        def one(match):
            key = match.group(1).strip()
            if key not in context:
                sys.exit(f"unsupported expression {match.group(0)!r}")
            return context[key]

        return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))

    step = action["runs"]["steps"][int(index)]
    assert step["shell"] == "bash", step
    for key, value in step.get("env", {}).items():
        print(f"export {key}={shlex.quote(expand(value))}")
    if "${{" in step["run"]:
        sys.exit("the run text must read inputs from env, not ${{ }} expressions")
    print(step["run"])


main()
