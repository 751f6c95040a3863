"""Entry checks shared by the RL math: shapes, dtypes and devices of time-major tensors.

Every public function of `agent.rl` checks its inputs here first, so a batch put together
wrongly fails with a message naming the argument instead of broadcasting silently.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch

from agent.rl.errors import RLInputError


def check_tensor(
    name: str,
    value: object,
    shape: Sequence[int] | None = None,
    like: torch.Tensor | None = None,
    floating: bool = True,
) -> torch.Tensor:
    """`value` must be a tensor of `shape`, with the dtype and device of `like` (if given)."""
    if not isinstance(value, torch.Tensor):
        raise RLInputError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise RLInputError(f"{name}: expected shape {tuple(shape)}, got {tuple(value.shape)}")
    if floating and not value.is_floating_point():
        raise RLInputError(f"{name}: expected a floating-point tensor, got dtype {value.dtype}")
    if like is not None:
        if value.dtype != like.dtype:
            raise RLInputError(f"{name}: expected dtype {like.dtype} like the other inputs, got {value.dtype}")
        if value.device != like.device:
            raise RLInputError(f"{name}: expected device {like.device} like the other inputs, got {value.device}")
    return value


def check_time_major(name: str, value: object) -> torch.Tensor:
    """A floating [T, B, ...] tensor with T >= 1 and at least one batch dimension."""
    tensor = check_tensor(name, value)
    if tensor.dim() < 2:
        raise RLInputError(f"{name}: expected a time-major tensor [T, B, ...], got shape {tuple(tensor.shape)}")
    if tensor.shape[0] < 1:
        raise RLInputError(f"{name}: the unroll is empty (T = 0)")
    return tensor


def check_threshold(name: str, value: float | None) -> None:
    if value is not None and not (float(value) > 0.0):
        raise RLInputError(f"{name}: expected a positive number or None (no clipping), got {value!r}")


def check_heads(name: str, heads: object, expected_keys: Sequence[str] | None) -> Mapping[str, torch.Tensor]:
    """A non-empty dict {head name: tensor}; same key set as `expected_keys` when given."""
    if not isinstance(heads, Mapping) or not heads:
        raise RLInputError(f"{name}: expected a non-empty dict {{head: tensor}}, got {type(heads).__name__}")
    if expected_keys is not None and set(heads) != set(expected_keys):
        missing = sorted(set(expected_keys) - set(heads))
        extra = sorted(set(heads) - set(expected_keys))
        raise RLInputError(f"{name}: heads differ from target_logp's: missing {missing}, unexpected {extra}")
    return heads
