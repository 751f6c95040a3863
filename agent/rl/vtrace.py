"""V-trace off-policy value targets and policy-gradient advantages.

Espeholt et al. 2018, "IMPALA: Scalable Distributed Deep-RL with Importance Weighted
Actor-Learner Architectures", arXiv:1802.01561, Section 4 (Remark 1 for the recursion,
Section 4.2 for the policy-gradient advantage). lambda_ is the trace-cutting coefficient of
Section 4.1 / rlax, applied to c only.

Time-major [T, B, ...] tensors, index s = 0 .. T-1:

    rho_s    = min(rho_bar, pi(a_s|x_s) / mu(a_s|x_s))            (clip_rho_threshold)
    c_s      = lambda_ * min(1, pi(a_s|x_s) / mu(a_s|x_s))         (c_bar = 1)
    delta_s  = rho_s (r_s + gamma_s V(x_{s+1}) - V(x_s))
    v_s      = V(x_s) + delta_s + gamma_s c_s (v_{s+1} - V(x_{s+1})),   v_T = V(x_T) = bootstrap
    A^pg_s   = rho^pg_s (r_s + gamma_s v_{s+1} - V(x_s))           (clip_pg_rho_threshold)

gamma_s = discounts[s] already carries episode ends (gamma * (1 - done_s)), so a terminal
step cuts both the bootstrap and the trace. A threshold of None means no clipping.
The returns are targets: they are computed without autograd and carry no gradient.

Implementations (same results to float tolerance; `implementation="auto"` picks):
- "numba": one fused pass over the unroll, compiled with numba; CPU tensors only. Chosen
  for CPU tensors when numba is installed (an optional dependency).
- "torch": elementwise tensor ops and a log-depth (Hillis-Steele) scan of the linear
  recurrence, ceil(log2 T) steps instead of T: any device, no Python loop over time.
The per-step reverse scan of the public IMPALA code and a per-element reference live in
`agent.rl.vtrace_reference` for tests and `bench/vtrace_bench.py`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from agent.rl import vtrace_numba
from agent.rl.distributions import action_log_prob
from agent.rl.errors import RLInputError
from agent.rl.tensor_checks import check_tensor, check_threshold, check_time_major

IMPLEMENTATIONS = ("auto", "torch", "numba")


class VTraceReturns(NamedTuple):
    vs: torch.Tensor  # v_s, the targets for V(x_s), [T, B]
    pg_advantages: torch.Tensor  # rho^pg_s (r_s + gamma_s v_{s+1} - V(x_s)), [T, B]


class VTraceFromLogitsReturns(NamedTuple):
    vs: torch.Tensor
    pg_advantages: torch.Tensor
    log_rhos: torch.Tensor  # log pi(a_s|x_s) - log mu(a_s|x_s), [T, B]
    behaviour_action_log_probs: torch.Tensor  # log mu(a_s|x_s), [T, B]
    target_action_log_probs: torch.Tensor  # log pi(a_s|x_s), [T, B], keeps its gradient


def discounted_reverse_scan(decay: torch.Tensor, increment: torch.Tensor) -> torch.Tensor:
    """x_s = increment_s + decay_s * x_{s+1} with x_T = 0, for all s, in ceil(log2 T) steps.

    Each element holds the affine map x -> increment + decay * x; composing it with the map
    `d` steps later doubles the span it covers (Hillis & Steele 1986). Only products of the
    decays are formed, never divisions, so decay_s = 0 (an episode end) is exact.
    """
    if decay.shape != increment.shape:
        raise RLInputError(f"discounted_reverse_scan: decay {tuple(decay.shape)} and increment "
                           f"{tuple(increment.shape)} differ in shape")
    num_steps = increment.shape[0]
    span = 1
    while span < num_steps:
        head = num_steps - span
        next_increment = increment.clone()
        next_increment[:head].addcmul_(decay[:head], increment[span:])
        next_decay = decay.clone()
        next_decay[:head].mul_(decay[span:])
        increment, decay = next_increment, next_decay
        span *= 2
    return increment


def _vtrace_torch(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho, clip_pg_rho, lambda_):
    # Names follow rlax: a transition from x_{t-1} ("tm1", index s) to x_t (index s + 1).
    rho_tm1 = torch.exp(log_rhos)
    clipped_rho_tm1 = rho_tm1 if clip_rho is None else torch.clamp(rho_tm1, max=clip_rho)
    c_tm1 = lambda_ * torch.clamp(rho_tm1, max=1.0)
    v_tm1, r_t, discount_t = values, rewards, discounts
    v_t = torch.cat([values[1:], bootstrap_value.unsqueeze(0)], dim=0)
    delta_tm1 = clipped_rho_tm1 * (r_t + discount_t * v_t - v_tm1)
    # vs - V = delta_s + gamma_s c_s (v_{s+1} - V(x_{s+1})): a linear recurrence backwards in time.
    vs_minus_v = discounted_reverse_scan(discount_t * c_tm1, delta_tm1)
    vs = v_tm1 + vs_minus_v
    vs_t = torch.cat([vs[1:], bootstrap_value.unsqueeze(0)], dim=0)
    pg_rho_tm1 = rho_tm1 if clip_pg_rho is None else torch.clamp(rho_tm1, max=clip_pg_rho)
    pg_advantages = pg_rho_tm1 * (r_t + discount_t * vs_t - v_tm1)
    return vs, pg_advantages


def _choose(implementation: str, device: torch.device) -> str:
    if implementation not in IMPLEMENTATIONS:
        raise RLInputError(f"implementation: expected one of {IMPLEMENTATIONS}, got {implementation!r}")
    if implementation == "auto":
        return "numba" if device.type == "cpu" and vtrace_numba.available() else "torch"
    if implementation == "numba":
        if device.type != "cpu":
            raise RLInputError(f"implementation='numba' runs on CPU tensors only, got device {device}")
        if not vtrace_numba.available():
            raise RLInputError("implementation='numba' needs the numba package (pip install numba)")
    return implementation


def vtrace(
    log_rhos: torch.Tensor,
    discounts: torch.Tensor,
    rewards: torch.Tensor,
    values: torch.Tensor,
    bootstrap_value: torch.Tensor,
    clip_rho_threshold: float | None = 1.0,
    clip_pg_rho_threshold: float | None = 1.0,
    lambda_: float = 1.0,
    *,
    implementation: str = "auto",
) -> VTraceReturns:
    """V-trace targets and advantages (module docstring has the equations).

    log_rhos, discounts, rewards, values: [T, B, ...], one floating dtype and device;
    bootstrap_value: [B, ...] = V(x_T). Returns VTraceReturns(vs, pg_advantages), both
    [T, B, ...], detached. float16/bfloat16 inputs are computed in float32 and cast back.
    """
    values = check_time_major("values", values)
    shape = tuple(values.shape)
    log_rhos = check_tensor("log_rhos", log_rhos, shape, like=values)
    discounts = check_tensor("discounts", discounts, shape, like=values)
    rewards = check_tensor("rewards", rewards, shape, like=values)
    bootstrap_value = check_tensor("bootstrap_value", bootstrap_value, shape[1:], like=values)
    check_threshold("clip_rho_threshold", clip_rho_threshold)
    check_threshold("clip_pg_rho_threshold", clip_pg_rho_threshold)
    if not 0.0 <= float(lambda_) <= 1.0:
        raise RLInputError(f"lambda_: expected a number in [0, 1], got {lambda_!r}")
    chosen = _choose(implementation, values.device)
    if values.numel() == 0:
        chosen = "torch"  # an empty batch: nothing for a compiled kernel to do

    out_dtype = values.dtype
    work_dtype = out_dtype if out_dtype in (torch.float32, torch.float64) else torch.float32
    inputs = [t.detach().to(work_dtype) for t in (log_rhos, discounts, rewards, values, bootstrap_value)]
    clip_rho = None if clip_rho_threshold is None else float(clip_rho_threshold)
    clip_pg_rho = None if clip_pg_rho_threshold is None else float(clip_pg_rho_threshold)
    with torch.no_grad():
        if chosen == "numba":
            vs, pg_advantages = vtrace_numba.vtrace(*inputs, clip_rho, clip_pg_rho, float(lambda_))
        else:
            vs, pg_advantages = _vtrace_torch(*inputs, clip_rho, clip_pg_rho, float(lambda_))
    return VTraceReturns(vs.to(out_dtype), pg_advantages.to(out_dtype))


def vtrace_from_log_probs(
    behaviour_logp: torch.Tensor,
    target_logp: torch.Tensor,
    discounts: torch.Tensor,
    rewards: torch.Tensor,
    values: torch.Tensor,
    bootstrap_value: torch.Tensor,
    clip_rho_threshold: float | None = 1.0,
    clip_pg_rho_threshold: float | None = 1.0,
    lambda_: float = 1.0,
    *,
    implementation: str = "auto",
) -> VTraceReturns:
    """V-trace with log rho = log pi(a|x) - log mu(a|x) from the actions' log-probabilities [T, B]."""
    target_logp = check_time_major("target_logp", target_logp)
    behaviour_logp = check_tensor("behaviour_logp", behaviour_logp, tuple(target_logp.shape), like=target_logp)
    log_rhos = target_logp.detach() - behaviour_logp.detach()
    return vtrace(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold,
                  clip_pg_rho_threshold, lambda_, implementation=implementation)


def vtrace_from_logits(
    behaviour_logits: torch.Tensor,
    target_logits: torch.Tensor,
    actions: torch.Tensor,
    discounts: torch.Tensor,
    rewards: torch.Tensor,
    values: torch.Tensor,
    bootstrap_value: torch.Tensor,
    clip_rho_threshold: float | None = 1.0,
    clip_pg_rho_threshold: float | None = 1.0,
    lambda_: float = 1.0,
    legal: torch.Tensor | None = None,
    *,
    implementation: str = "auto",
) -> VTraceFromLogitsReturns:
    """V-trace for one categorical head: logits [T, B, A], actions [T, B] int, legal [T, B, A] bool.

    target_action_log_probs keeps its gradient (the policy-gradient term needs it); the
    returns do not.
    """
    target_logits = check_time_major("target_logits", target_logits)
    behaviour_logits = check_tensor("behaviour_logits", behaviour_logits, tuple(target_logits.shape),
                                    like=target_logits)
    if target_logits.dim() < 3:
        raise RLInputError(f"target_logits: expected [T, B, num_actions], got {tuple(target_logits.shape)}")
    target_logp = action_log_prob(target_logits, actions, legal)
    behaviour_logp = action_log_prob(behaviour_logits, actions, legal)
    log_rhos = target_logp.detach() - behaviour_logp.detach()
    returns = vtrace(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold,
                     clip_pg_rho_threshold, lambda_, implementation=implementation)
    return VTraceFromLogitsReturns(returns.vs, returns.pg_advantages, log_rhos, behaviour_logp, target_logp)
