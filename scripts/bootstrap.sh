#!/usr/bin/env bash
# Create .venv and install starleague with its dev extras, from nothing.
# Idempotent: re-runs only when pyproject.toml or the constraints change.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "starleague needs Python 3.10+; found $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.x" >&2
  exit 1
fi
stamp_value=$(cat pyproject.toml constraints/dev.txt scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat .venv/.bootstrap-stamp 2>/dev/null)" = "$stamp_value" ]; then
  exit 0
fi
echo "setting up .venv (first run takes a few minutes)..."
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints/dev.txt -e '.[dev]'
echo "$stamp_value" > .venv/.bootstrap-stamp
echo ".venv ready"
