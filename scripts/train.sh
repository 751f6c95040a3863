#!/usr/bin/env bash
# The main job: a short local league training on the embedded engine (tiny preset:
# one main agent and one main exploiter, their learners, actors and the league service
# as separate processes), with a live progress line and the league's standings at the
# end. Sets up .venv from nothing on the first run.
# Extra arguments go to `starleague train`, e.g. ./scripts/train.sh --minutes 30
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec .venv/bin/starleague train --preset tiny --minutes 10 --run-dir runs/latest "$@"
