#!/usr/bin/env bash
# The checks that need a GPU, in one go: the CUDA tests, then the GPU benches.
#   bench/gpu_checks.sh OUTDIR
# Uses the python3 on the PATH with its own torch (a CUDA build); the repo runs from
# its root (PYTHONPATH), nothing is installed into that Python.
set -uo pipefail
out="${1:?usage: bench/gpu_checks.sh OUTDIR}"
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi -L || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
python3 -m pytest -q -p no:cacheprovider tests/agent/gpu tests/agent/rl tests/agent/test_learner_precision.py \
    tests/agent/model/test_policy.py tests/agent/model/test_model_presets.py 2>&1 | tee "$out/pytest_gpu.log"
python3 -m bench.vtrace_bench --device cuda --out "$out" 2>&1 | tail -20
python3 -m bench.learner_gpu --out "$out" 2>&1 | tee "$out/learner_gpu.log"
