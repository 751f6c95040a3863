#!/usr/bin/env bash
# The main job: a short local league training on the embedded engine.
# Sets up .venv from nothing on the first run. Extra arguments go to `starleague train`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec .venv/bin/starleague config --preset tiny "$@"
