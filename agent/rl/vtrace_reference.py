"""Slow V-trace references, written straight from the equations, for tests and benchmarks.

- `vtrace_naive`: one Python float at a time, every sum written out (no recursion trick):
  v_s = V(x_s) + sum_{t>=s} (prod_{i<t} gamma_i) (prod_{i<t} c_i) delta_t, IMPALA eq. (1).
- `vtrace_per_element_loop`: the recursion (Remark 1) one Python float at a time; the
  "naive loop" of the benchmark.
- `vtrace_reverse_scan`: the per-step reverse loop of the public IMPALA code bases
  (deepmind/scalable_agent, facebookresearch/torchbeast), one tensor op per time step.
Neither is meant for training.
"""

from __future__ import annotations

import math

import torch

from agent.rl.vtrace import VTraceReturns


def _clip(value: float, threshold: float | None) -> float:
    return value if threshold is None else min(value, threshold)


def vtrace_naive(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold=1.0,
                 clip_pg_rho_threshold=1.0, lambda_=1.0) -> VTraceReturns:
    """Per element, in float64, from IMPALA eq. (1); [T, B] tensors in, [T, B] float64 out."""
    lr, g, r, v = (x.detach().double().tolist() for x in (log_rhos, discounts, rewards, values))
    boot = bootstrap_value.detach().double().tolist()
    num_steps, batch = len(v), len(v[0])
    vs = [[0.0] * batch for _ in range(num_steps)]
    pg = [[0.0] * batch for _ in range(num_steps)]
    for b in range(batch):
        def value(s):  # V(x_s), with V(x_T) the bootstrap
            return boot[b] if s == num_steps else v[s][b]

        rho = [math.exp(lr[s][b]) for s in range(num_steps)]
        delta = [_clip(rho[s], clip_rho_threshold) * (r[s][b] + g[s][b] * value(s + 1) - v[s][b])
                 for s in range(num_steps)]
        c = [lambda_ * min(1.0, rho[s]) for s in range(num_steps)]
        for s in range(num_steps):
            total = v[s][b]
            for t in range(s, num_steps):
                weight = 1.0
                for i in range(s, t):
                    weight *= g[i][b] * c[i]
                total += weight * delta[t]
            vs[s][b] = total
        for s in range(num_steps):
            vs_next = boot[b] if s == num_steps - 1 else vs[s + 1][b]
            pg[s][b] = _clip(rho[s], clip_pg_rho_threshold) * (r[s][b] + g[s][b] * vs_next - v[s][b])
    return VTraceReturns(torch.tensor(vs, dtype=torch.float64), torch.tensor(pg, dtype=torch.float64))


def vtrace_per_element_loop(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold=1.0,
                            clip_pg_rho_threshold=1.0, lambda_=1.0) -> VTraceReturns:
    """v_s - V(x_s) = delta_s + gamma_s c_s (v_{s+1} - V(x_{s+1})), element by element, in float64."""
    lr, g, r, v = (x.detach().double().tolist() for x in (log_rhos, discounts, rewards, values))
    boot = bootstrap_value.detach().double().tolist()
    num_steps, batch = len(v), len(v[0])
    vs = [[0.0] * batch for _ in range(num_steps)]
    pg = [[0.0] * batch for _ in range(num_steps)]
    for b in range(batch):
        acc, vs_next = 0.0, boot[b]
        for s in range(num_steps - 1, -1, -1):
            v_next = boot[b] if s == num_steps - 1 else v[s + 1][b]
            rho = math.exp(lr[s][b])
            delta = _clip(rho, clip_rho_threshold) * (r[s][b] + g[s][b] * v_next - v[s][b])
            acc = delta + g[s][b] * lambda_ * min(1.0, rho) * acc
            pg[s][b] = _clip(rho, clip_pg_rho_threshold) * (r[s][b] + g[s][b] * vs_next - v[s][b])
            vs[s][b] = vs_next = v[s][b] + acc
    return VTraceReturns(torch.tensor(vs, dtype=torch.float64), torch.tensor(pg, dtype=torch.float64))


def vtrace_reverse_scan(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold=1.0,
                        clip_pg_rho_threshold=1.0, lambda_=1.0) -> VTraceReturns:
    """The usual IMPALA reverse scan: a Python loop over time with one tensor op per step."""
    with torch.no_grad():
        rhos = torch.exp(log_rhos)
        clipped_rhos = rhos if clip_rho_threshold is None else torch.clamp(rhos, max=clip_rho_threshold)
        cs = lambda_ * torch.clamp(rhos, max=1.0)
        values_t_plus_1 = torch.cat([values[1:], bootstrap_value.unsqueeze(0)], dim=0)
        deltas = clipped_rhos * (rewards + discounts * values_t_plus_1 - values)
        acc = torch.zeros_like(bootstrap_value)
        result = []
        for t in range(discounts.shape[0] - 1, -1, -1):
            acc = deltas[t] + discounts[t] * cs[t] * acc
            result.append(acc)
        result.reverse()
        vs = torch.stack(result) + values
        vs_t_plus_1 = torch.cat([vs[1:], bootstrap_value.unsqueeze(0)], dim=0)
        pg_rhos = rhos if clip_pg_rho_threshold is None else torch.clamp(rhos, max=clip_pg_rho_threshold)
        pg_advantages = pg_rhos * (rewards + discounts * vs_t_plus_1 - values)
    return VTraceReturns(vs, pg_advantages)
