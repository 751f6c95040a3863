"""V-trace as one fused CPU pass compiled with numba (optional dependency).

Same equations as `agent.rl.vtrace` (see there). One sweep backwards over the unroll with
the batch as the inner, contiguous loop, written with plain selects instead of min() so
that LLVM vectorises it; exp() runs before, in torch (vectorised there, scalar in numba).
Only FMA contraction is allowed (no fast-math "no-inf": an unclipped threshold is +inf).
Compiled on first use per dtype and cached on disk; releases the GIL so the learner's gRPC
threads keep running.
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


def _vtrace_kernel(rhos, discounts, rewards, values, bootstrap, clip_rho, clip_pg_rho, lambda_, vs, pg_advantages):
    """Plain Python here; numba compiles it (see _compile). Writes vs and pg_advantages in place."""
    num_steps, width = values.shape
    one = rhos.dtype.type(1.0)
    vs_minus_v = np.zeros(width, dtype=values.dtype)  # v_{s+1} - V(x_{s+1}); 0 at s + 1 = T
    for back in range(num_steps):
        s = num_steps - 1 - back
        rho_s, discount_s, r_s, v_s = rhos[s], discounts[s], rewards[s], values[s]
        v_next = bootstrap if s == num_steps - 1 else values[s + 1]
        vs_out, pg_out = vs[s], pg_advantages[s]
        for i in range(width):
            rho = rho_s[i]
            clipped_rho = rho if rho < clip_rho else clip_rho
            c = lambda_ * (rho if rho < one else one)
            pg_rho = rho if rho < clip_pg_rho else clip_pg_rho
            vs_next = v_next[i] + vs_minus_v[i]
            delta = clipped_rho * (r_s[i] + discount_s[i] * v_next[i] - v_s[i])
            acc = delta + discount_s[i] * c * vs_minus_v[i]
            vs_minus_v[i] = acc
            vs_out[i] = v_s[i] + acc
            pg_out[i] = pg_rho * (r_s[i] + discount_s[i] * vs_next - v_s[i])


def _compile():
    import numba

    options = dict(nogil=True, fastmath={"contract"})
    try:
        return numba.njit(cache=True, **options)(_vtrace_kernel)
    except RuntimeError:  # numba finds no writable cache directory: compile in memory only
        return numba.njit(cache=False, **options)(_vtrace_kernel)


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
    scalar = np.float32 if values.dtype == torch.float32 else np.float64

    def flat(tensor: torch.Tensor) -> np.ndarray:
        return tensor.reshape(num_steps, -1).contiguous().numpy()

    vs = torch.empty(shape, dtype=values.dtype)
    pg_advantages = torch.empty(shape, dtype=values.dtype)
    _get_kernel()(
        flat(torch.exp(log_rhos)), flat(discounts), flat(rewards), flat(values),
        bootstrap_value.reshape(-1).contiguous().numpy(),
        scalar(math.inf if clip_rho is None else clip_rho),
        scalar(math.inf if clip_pg_rho is None else clip_pg_rho),
        scalar(lambda_),
        vs.view(num_steps, -1).numpy(), pg_advantages.view(num_steps, -1).numpy(),
    )
    return vs, pg_advantages
