"""V-trace as one fused CPU pass compiled with numba (optional dependency).

Same equations as `agent.rl.vtrace` (see there); one sweep backwards over the unroll, the
batch as the inner, contiguous loop so the compiler vectorises it. Compiled on first use
per dtype and cached on disk; releases the GIL so the learner's gRPC threads keep running.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import torch

_lock = threading.Lock()
_kernel = None
_available: bool | None = None


def available() -> bool:
    """True when numba imports; the result is remembered."""
    global _available
    if _available is None:
        try:
            import numba  # noqa: F401
            _available = True
        except ImportError:
            _available = False
    return _available


def _compile():
    import numba

    @numba.njit(cache=True, nogil=True)
    def kernel(log_rhos, discounts, rewards, values, bootstrap, clip_rho, clip_pg_rho, lambda_, vs, pg_advantages):
        num_steps, width = values.shape
        vs_minus_v = np.zeros(width, dtype=values.dtype)  # v_{s+1} - V(x_{s+1}); 0 at s + 1 = T
        for back in range(num_steps):
            s = num_steps - 1 - back
            for i in range(width):
                v_t = bootstrap[i] if s == num_steps - 1 else values[s + 1, i]
                vs_t = v_t + vs_minus_v[i]
                rho = math.exp(log_rhos[s, i])
                clipped_rho = min(rho, clip_rho)
                c = lambda_ * min(rho, 1.0)
                discount = discounts[s, i]
                delta = clipped_rho * (rewards[s, i] + discount * v_t - values[s, i])
                vs_minus_v[i] = delta + discount * c * vs_minus_v[i]
                vs[s, i] = values[s, i] + vs_minus_v[i]
                pg_advantages[s, i] = min(rho, clip_pg_rho) * (rewards[s, i] + discount * vs_t - values[s, i])

    return kernel


def _get_kernel():
    global _kernel
    with _lock:
        if _kernel is None:
            _kernel = _compile()
    return _kernel


def vtrace(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho, clip_pg_rho, lambda_):
    """CPU float32/float64 tensors [T, B, ...] (checked by the caller) -> (vs, pg_advantages)."""
    shape = values.shape
    num_steps = shape[0]

    def flat(tensor: torch.Tensor) -> np.ndarray:
        return tensor.reshape(num_steps, -1).contiguous().numpy()

    vs = torch.empty(shape, dtype=values.dtype)
    pg_advantages = torch.empty(shape, dtype=values.dtype)
    _get_kernel()(
        flat(log_rhos), flat(discounts), flat(rewards), flat(values),
        bootstrap_value.reshape(-1).contiguous().numpy(),
        math.inf if clip_rho is None else clip_rho,
        math.inf if clip_pg_rho is None else clip_pg_rho,
        lambda_,
        vs.view(num_steps, -1).numpy(), pg_advantages.view(num_steps, -1).numpy(),
    )
    return vs, pg_advantages
