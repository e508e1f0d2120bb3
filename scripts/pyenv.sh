#!/usr/bin/env bash
# Makes (once) a Python virtual environment for the tests and tools that need Python packages, and
# installs the requirements it lacks. Usage: scripts/pyenv.sh NAME REQUIREMENT...
# The environment lives in .build/python/NAME (ignored by git); the last line printed is its python.
# PyTorch comes from the wheel folder pip's find-links points to on this machine image; the rest
# from PyPI. Exit status 0 only when every requirement is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/pyenv.sh NAME REQUIREMENT..." >&2; exit 64; }
name=$1; shift
venv=".build/python/$name"
if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" >&2; then
        echo "pyenv: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi
missing=()
for requirement in "$@"; do
    "$venv/bin/python" -m pip show -q "${requirement%%[=<>]*}" >/dev/null 2>&1 || missing+=("$requirement")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "pyenv: installing ${missing[*]} into $venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}" >&2
fi
echo "$PWD/$venv/bin/python"
