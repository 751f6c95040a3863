"""The IMPALA paper's off-policy corrections, switchable for ablation (Espeholt et al. 2018, 5.2.1).

- "vtrace": V-trace targets and advantages (agent.rl.vtrace).
- "one_step": 1-step importance sampling. No off-policy correction when optimising V(x)
  (n-step targets, rho = c = 1); the policy-gradient advantage at each step is multiplied
  by that step's importance weight rho^pg_s = min(clip_pg_rho_threshold, pi/mu). No trace
  carries the weights across steps.
- "eps_correction": no importance sampling at all (as "no_correction"); the policy-gradient
  log-probability becomes log(pi + epsilon) (see agent.rl.losses).
- "no_correction": V-trace with rho = c = 1 (lambda_ still scales the trace).

lambda_ applies to every variant. Time-major [T, B]; nothing here carries a gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from agent.rl.config import CORRECTIONS
from agent.rl.errors import RLInputError
from agent.rl.vtrace import vtrace


class CorrectedReturns(NamedTuple):
    vs: torch.Tensor  # targets for V(x_s), [T, B]
    pg_advantages: torch.Tensor  # what multiplies grad log pi(a_s|x_s), importance weight included
    pg_rhos: torch.Tensor  # the importance weight inside pg_advantages (1 where none is applied)


def clipped(rhos: torch.Tensor, threshold: float | None) -> torch.Tensor:
    return rhos if threshold is None else torch.clamp(rhos, max=threshold)


def corrected_returns(
    correction: str,
    log_rhos: torch.Tensor,
    discounts: torch.Tensor,
    rewards: torch.Tensor,
    values: torch.Tensor,
    bootstrap_value: torch.Tensor,
    clip_rho_threshold: float | None = 1.0,
    clip_pg_rho_threshold: float | None = 1.0,
    lambda_: float = 1.0,
) -> CorrectedReturns:
    """Value targets and policy-gradient advantages under `correction` (one of CORRECTIONS)."""
    if correction not in CORRECTIONS:
        raise RLInputError(f"correction: expected one of {CORRECTIONS}, got {correction!r}")
    if correction == "vtrace":
        returns = vtrace(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold,
                         clip_pg_rho_threshold, lambda_)
        pg_rhos = clipped(torch.exp(log_rhos.detach()), clip_pg_rho_threshold)
        return CorrectedReturns(returns.vs, returns.pg_advantages, pg_rhos)
    # The other three learn V(x) without correction: V-trace at rho = c = 1 is the n-step return.
    uncorrected = vtrace(torch.zeros_like(values), discounts, rewards, values, bootstrap_value, None, None, lambda_)
    if correction == "one_step":
        pg_rhos = clipped(torch.exp(log_rhos.detach()), clip_pg_rho_threshold)
        return CorrectedReturns(uncorrected.vs, pg_rhos * uncorrected.pg_advantages, pg_rhos)
    return CorrectedReturns(uncorrected.vs, uncorrected.pg_advantages, torch.ones_like(uncorrected.vs))
