"""Parameter counts and measured speeds of a policy (shared by the CLI and the bench)."""

from __future__ import annotations

import time
from typing import Callable, NamedTuple

import numpy as np
import torch

from agent.features import FeatureSpec
from agent.model.policy import Policy
from agent.model.synthetic import SYNTHETIC_GAME_INFO, synthetic_observation


def parameter_counts(policy: Policy) -> dict[str, int]:
    """Parameters per top-level module, plus 'total'."""
    counts = {name: sum(p.numel() for p in module.parameters()) for name, module in policy.named_children()}
    counts["total"] = sum(p.numel() for p in policy.parameters())
    return counts


class Timing(NamedTuple):
    """Seconds per call: wall clock, and this process's CPU time.

    On a shared machine the wall clock includes waiting for a core; with one torch thread
    the CPU time is what one core needs, so both are reported.
    """

    wall: float
    cpu: float

    def rate(self, items: float) -> "Timing":
        """Items per second from seconds per call."""
        return Timing(items / self.wall, items / max(self.cpu, 1e-9))


def timed(fn: Callable[[], object], min_seconds: float, min_calls: int = 3) -> Timing:
    """Seconds per call of fn, after one warm-up call, over at least min_seconds of wall time."""
    fn()
    calls, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while calls < min_calls or time.perf_counter() - start < min_seconds:
        fn()
        calls += 1
    return Timing((time.perf_counter() - start) / calls, (time.process_time() - cpu_start) / calls)


def synthetic_batch(spec: FeatureSpec, batch_size: int, num_units: int = 100, seed: int = 0) -> dict[str, np.ndarray]:
    obs = [synthetic_observation(num_units, seed + i) for i in range(batch_size)]
    return spec.stack([spec.encode(o, SYNTHETIC_GAME_INFO) for o in obs])


def to_device(batch: dict[str, np.ndarray], device) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v).to(device) for k, v in batch.items()}


def inference_steps_per_second(policy: Policy, batch_size: int, device="cpu", min_seconds: float = 1.0) -> Timing:
    """Environment steps per second of policy.sample at this batch size (features precomputed)."""
    obs = to_device(synthetic_batch(policy.spec, batch_size), device)
    state = policy.initial_state(batch_size, device)

    def step():
        policy.sample(obs, state)
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()

    return timed(step, min_seconds).rate(batch_size)


def encode_seconds_per_observation(spec: FeatureSpec, num_units: int = 100, min_seconds: float = 1.0) -> Timing:
    observations = [synthetic_observation(num_units, seed) for seed in range(16)]
    t = timed(lambda: [spec.encode(o, SYNTHETIC_GAME_INFO) for o in observations], min_seconds)
    return Timing(t.wall / len(observations), t.cpu / len(observations))


def train_samples_per_second(policy: Policy, t: int, b: int, device="cpu", min_seconds: float = 1.0) -> Timing:
    """Learner samples (T*B) per second of evaluate + backward on one [T, B] batch."""
    flat = synthetic_batch(policy.spec, t * b)
    obs = {k: v.view(t, b, *v.shape[1:]) for k, v in to_device(flat, device).items()}
    with torch.no_grad():
        sampled = policy.sample({k: v.flatten(0, 1) for k, v in obs.items()}, policy.initial_state(t * b, device))
    actions = {h: a.view(t, b, *a.shape[1:]) for h, a in sampled.actions.items()}
    first = torch.zeros(t, b, dtype=torch.bool, device=device)
    first[0] = True
    state = policy.initial_state(b, device)

    def step():
        out = policy.evaluate(obs, actions, first, state)
        loss = sum(v.sum() for v in out.logp.values()) + sum(v.sum() for v in out.entropy.values()) + out.baseline.sum()
        loss.backward()
        policy.zero_grad(set_to_none=True)
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()

    return timed(step, min_seconds, min_calls=2).rate(t * b)


def synthetic_learner_batch(policy: Policy, t: int, b: int, device="cpu", seed: int = 0):
    """A learner batch ([T+1, B] rows) of synthetic observations, with actions and their
    log-probabilities sampled by `policy`, random rewards and an episode end in column 0."""
    from agent.learning import Batch

    n = (t + 1) * b
    obs = {k: v.view(t + 1, b, *v.shape[1:]) for k, v in to_device(synthetic_batch(policy.spec, n, seed=seed), device).items()}
    with torch.no_grad():
        sampled = policy.sample({k: v.flatten(0, 1) for k, v in obs.items()}, policy.initial_state(n, device))
    unflat = lambda d: {h: v.view(t + 1, b, *v.shape[1:]) for h, v in d.items()}  # noqa: E731
    first = torch.zeros(t + 1, b, dtype=torch.bool, device=device)
    first[0] = True
    discount = torch.ones(t, b, device=device)
    discount[t // 2, 0] = 0.0
    generator = torch.Generator().manual_seed(seed)
    return Batch(obs=obs, actions=unflat(sampled.actions), behaviour_logp=unflat(sampled.logp), first=first,
                 reward=torch.randn(t, b, generator=generator).to(device), discount=discount,
                 state=policy.initial_state(b, device),
                 policy_version=torch.zeros(b, dtype=torch.int64, device=device))


def learner_samples_per_second(policy: Policy, t: int, b: int, device="cpu", precision: str = "fp32",
                               min_seconds: float = 1.0) -> Timing:
    """Samples (T*B) per second of the whole learner step (agent.learning.learn: evaluate,
    V-trace and losses, backward, gradient clipping, Adam), on one synthetic [T, B] batch."""
    from agent.learning import learn
    from agent.rl.config import RLConfig

    batch = synthetic_learner_batch(policy, t, b, device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-5)
    config = RLConfig()

    def step():
        learn(batch, policy, optimizer, config, max_grad_norm=40.0, precision=precision)
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()

    return timed(step, min_seconds, min_calls=2).rate(t * b)
