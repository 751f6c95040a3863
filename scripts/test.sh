#!/usr/bin/env bash
# Run the whole test suite from nothing: venv, packages, generated code, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
