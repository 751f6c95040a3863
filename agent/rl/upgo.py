"""UPGO returns: AlphaStar's upgoing policy update (Vinyals et al. 2019, Nature, Methods).

    G_s = r_s + gamma_s G_{s+1}        if Q(x_{s+1}, a_{s+1}) >= V(x_{s+1})   (a better-than-average
    G_s = r_s + gamma_s V(x_{s+1})     otherwise                                action: keep going)

with Q(x_{s+1}, a_{s+1}) estimated as r_{s+1} + gamma_{s+1} V(x_{s+2}) and G_{T-1} = r_{T-1} +
gamma_{T-1} V(x_T). The policy-gradient term is rho_s (G_s - V(x_s)) grad log pi(a_s|x_s).
Time-major [T, B, ...]; returns carry no gradient.
"""

from __future__ import annotations

import torch

from agent.rl.tensor_checks import check_tensor, check_time_major
from agent.rl.vtrace import discounted_reverse_scan


def upgo_returns(
    rewards: torch.Tensor, discounts: torch.Tensor, values: torch.Tensor, bootstrap_value: torch.Tensor
) -> torch.Tensor:
    """G_s for s = 0 .. T-1 (see the module docstring); discounts carry episode ends."""
    values = check_time_major("values", values)
    shape = tuple(values.shape)
    rewards = check_tensor("rewards", rewards, shape, like=values)
    discounts = check_tensor("discounts", discounts, shape, like=values)
    bootstrap_value = check_tensor("bootstrap_value", bootstrap_value, shape[1:], like=values)
    with torch.no_grad():
        r_t, discount_t, v_tm1 = rewards.detach(), discounts.detach(), values.detach()
        v_t = torch.cat([v_tm1[1:], bootstrap_value.detach().unsqueeze(0)], dim=0)
        q_tm1 = r_t + discount_t * v_t  # one-step estimate of Q(x_s, a_s)
        # keep_going[s]: does G_s follow G_{s+1}? Decided by step s+1's action; the last step bootstraps.
        keep_going = torch.cat([(q_tm1[1:] >= v_tm1[1:]), torch.zeros_like(v_tm1[:1], dtype=torch.bool)], dim=0)
        keep = keep_going.to(values.dtype)
        # G_s = r_s + gamma_s (1 - keep_s) V(x_{s+1}) + gamma_s keep_s G_{s+1}: a reverse linear scan.
        return discounted_reverse_scan(discount_t * keep, r_t + discount_t * (1.0 - keep) * v_t)
