"""What a valid trajectory looks like for one policy, and the check every one must pass.

The learner builds a `TrajectorySchema` from the model's FeatureSpec (`shapes()`,
`action_shapes()`) and the policy's core state, then calls `check()` on every decoded
trajectory before it may enter the queue. A failure raises `TrajectoryRejected` with a
short machine-readable `reason` (the counter key) and a message a human can act on.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from agent.wire import Trajectory


class TrajectoryRejected(ValueError):
    """A trajectory that must not be trained on; `reason` is the counter key."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class ArraySpec:
    shape: tuple[int, ...]
    dtype: np.dtype


def as_array_spec(value: Any) -> ArraySpec:
    """Accepts (shape, dtype), an object with .shape/.dtype, or a bare shape (float32)."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        shape, dtype = value.shape, value.dtype
    elif isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], (tuple, list)):
        shape, dtype = value
    else:
        shape, dtype = value, np.float32
    if hasattr(dtype, "is_floating_point"):  # a torch dtype
        import torch

        dtype = torch.empty((), dtype=dtype).numpy().dtype
    return ArraySpec(tuple(int(d) for d in shape), np.dtype(dtype))


@dataclasses.dataclass(frozen=True)
class TrajectorySchema:
    """Names, per-row shapes and dtypes of observations, actions and core state."""

    unroll_length: int
    obs: Mapping[str, ArraySpec]
    actions: Mapping[str, ArraySpec]
    state: tuple[ArraySpec, ...]

    @classmethod
    def from_spec(cls, unroll_length: int, obs_shapes: Mapping, action_shapes: Mapping, state: Any) -> "TrajectorySchema":
        """`state` is the policy's initial_state(1): tensors [1, ...]; the batch dim is dropped."""
        state_specs = tuple(as_array_spec((tuple(s.shape[1:]), s.dtype)) for s in state)
        return cls(
            unroll_length=unroll_length,
            obs={k: as_array_spec(v) for k, v in obs_shapes.items()},
            actions={k: as_array_spec(v) for k, v in action_shapes.items()},
            state=state_specs,
        )

    def check(self, trajectory: Trajectory) -> None:
        """Raise TrajectoryRejected unless every array has the right name, dtype, shape, values."""
        T = self.unroll_length
        _check_names("obs", trajectory.obs, self.obs)
        _check_names("action", trajectory.actions, self.actions)
        _check_names("logp", trajectory.logp, self.actions)
        if len(trajectory.state) != len(self.state):
            raise TrajectoryRejected("schema", f"{len(trajectory.state)} core state arrays, expected {len(self.state)}")
        for name, spec in self.obs.items():
            _check_array(f"obs/{name}", trajectory.obs[name], (T + 1, *spec.shape), spec.dtype)
        for name, spec in self.actions.items():
            _check_array(f"action/{name}", trajectory.actions[name], (T + 1, *spec.shape), spec.dtype)
            _check_array(f"logp/{name}", trajectory.logp[name], (T + 1,), np.dtype(np.float32))
        for i, spec in enumerate(self.state):
            _check_array(f"state/{i}", trajectory.state[i], spec.shape, spec.dtype)
        _check_array("first", trajectory.first, (T + 1,), np.dtype(np.bool_))
        _check_array("reward", trajectory.reward, (T,), np.dtype(np.float32))
        _check_array("discount", trajectory.discount, (T,), np.dtype(np.float32))
        if np.any((trajectory.discount < 0) | (trajectory.discount > 1)):
            raise TrajectoryRejected("bad_value", "discount outside [0, 1]")
        if any(np.any(logp > 1e-4) for logp in trajectory.logp.values()):
            raise TrajectoryRejected("bad_value", "a behaviour log-probability is above 0")


def _check_names(group: str, got: Mapping[str, np.ndarray], expected: Mapping[str, ArraySpec]) -> None:
    missing = sorted(set(expected) - set(got))
    unknown = sorted(set(got) - set(expected))
    if missing or unknown:
        raise TrajectoryRejected("schema", f"{group} arrays: missing {missing}, unknown {unknown}")


def _check_array(name: str, array: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> None:
    if array.dtype != dtype:
        raise TrajectoryRejected("dtype", f"{name} has dtype {array.dtype}, expected {dtype}")
    if tuple(array.shape) != tuple(shape):
        raise TrajectoryRejected("shape", f"{name} has shape {tuple(array.shape)}, expected {tuple(shape)}")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise TrajectoryRejected("non_finite", f"{name} holds NaN or infinite values")
