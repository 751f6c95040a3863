"""Optional torch.compile of the actor's sampling step (`--set actor.compile_policy=default`).

Eager inference of a small policy is bound by per-op overhead, not arithmetic: the tiny
preset's `Policy.sample` runs ~100 module calls and ~440 kernels per decision. Compiled,
the same call took 1.5-1.65x less CPU time on one core here (tiny preset, batch 1-4), and
on an H200 with CUDA graphs ("reduce-overhead") 11x less at batch 256
(bench/results/learner_cuda.md). Compiling costs ~20-40 s of CPU per process (inductor
writes C++), so it is off by default; a machine where compiling fails (no C++ compiler,
an op inductor cannot lower) logs why once and keeps the eager policy.
"""

from __future__ import annotations

from typing import Callable

import torch

COMPILE_MODES = ("", "default", "reduce-overhead", "max-autotune-no-cudagraphs")


def check_compile_mode(mode: str) -> None:
    if mode not in COMPILE_MODES:
        raise ValueError(f"unknown actor.compile_policy {mode!r}; expected one of {COMPILE_MODES} ('' = eager)")


class CompiledSample:
    """`policy.sample` through torch.compile, falling back to the eager method for good on failure.

    Parameters stay the module's own tensors, so `load_state_dict` of a new snapshot (an
    in-place copy) reaches the compiled code without recompiling.
    """

    def __init__(self, policy: torch.nn.Module, mode: str, log: Callable[[str], None]):
        self.eager = policy.sample
        # Batch sizes change from call to call (envs waiting on the delay head): one dynamic graph.
        self.compiled = torch.compile(self.eager, mode=mode, dynamic=True)
        self.mode = mode
        self.log = log
        self.failed = False

    def __call__(self, obs, state, deterministic: bool = False):
        if not self.failed:
            try:
                return self.compiled(obs, state, deterministic=deterministic)
            except Exception as error:  # noqa: BLE001 - any compile failure; eager re-raises real input errors
                self.failed = True
                first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                self.log(f"actor: torch.compile (mode {self.mode}) failed, using the eager policy: {first_line}")
        return self.eager(obs, state, deterministic=deterministic)


def compile_sampling(policy: torch.nn.Module, mode: str, log: Callable[[str], None] = print) -> torch.nn.Module:
    """Route `policy.sample` through torch.compile when `mode` is set; returns the policy."""
    check_compile_mode(mode)
    if mode:
        policy.sample = CompiledSample(policy, mode, log)
    return policy
