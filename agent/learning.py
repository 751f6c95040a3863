"""The learner step: one [T, B] batch in, one optimizer step out (IMPALA, Espeholt et al. 2018).

`make_batch` stacks decoded trajectories time-major; `learn` is the whole update read
top to bottom: the model's evaluate over the T+1 rows, the V-trace targets and losses
(agent.rl.losses.compute_loss: policy gradient, baseline, entropy over the heads each
action uses), gradient clipping, the optimizer step, and the metrics. Transport,
league and checkpoints stay out of this module.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import torch

from agent.rl.losses import compute_loss
from agent.rl.config import RLConfig
from agent.wire import Trajectory


@dataclasses.dataclass
class Batch:
    """Time-major tensors; T+1 rows where the last row only gives the bootstrap value."""

    obs: dict[str, torch.Tensor]  # [T+1, B, ...]
    actions: dict[str, torch.Tensor]  # [T+1, B, ...]
    behaviour_logp: dict[str, torch.Tensor]  # [T+1, B]
    first: torch.Tensor  # [T+1, B] bool
    reward: torch.Tensor  # [T, B]
    discount: torch.Tensor  # [T, B] env discount (0 after the last step of an episode)
    state: tuple[torch.Tensor, ...]  # core state before row 0, each [B, ...]
    policy_version: torch.Tensor  # [B] version each column was played with

    @property
    def frames(self) -> int:
        return int(self.reward.numel())


def make_batch(trajectories: list[Trajectory], versions: list[int], device: torch.device | str = "cpu") -> Batch:
    def stack(arrays: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(arrays, axis=1)).to(device)

    def stack_group(get) -> dict[str, torch.Tensor]:
        return {name: stack([get(t)[name] for t in trajectories]) for name in get(trajectories[0])}

    return Batch(
        obs=stack_group(lambda t: t.obs),
        actions=stack_group(lambda t: t.actions),
        behaviour_logp=stack_group(lambda t: t.logp),
        first=stack([t.first for t in trajectories]),
        reward=stack([t.reward for t in trajectories]),
        discount=stack([t.discount for t in trajectories]),
        state=tuple(
            torch.from_numpy(np.stack([t.state[i] for t in trajectories])).to(device)
            for i in range(len(trajectories[0].state))
        ),
        policy_version=torch.tensor(versions, dtype=torch.int64, device=device),
    )


def annealed(base: float, trained_seconds: float, anneal_seconds: float, anneal_start_seconds: float = 0.0) -> float:
    """A learning rate or loss weight after `trained_seconds` of training: `base` until
    `anneal_start_seconds`, then linear to 0 at `anneal_seconds`, then 0 (IMPALA anneals its rate
    over its frame budget; our experiments have time budgets); `anneal_seconds` <= 0 keeps it
    constant."""
    if anneal_seconds <= 0 or trained_seconds <= anneal_start_seconds:
        return base
    return base * max(0.0, (anneal_seconds - trained_seconds) / (anneal_seconds - anneal_start_seconds))


PRECISIONS = ("fp32", "bf16")


def forward_precision(precision: str, device: torch.device | str):
    """The context the model's forward pass runs in: bf16 autocast on CUDA, else nothing.

    Only the forward pass is cast: parameters, gradients and the optimizer stay float32, and
    V-trace and the losses compute in float32 whatever the outputs' dtype.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown learner precision {precision!r}; expected one of {PRECISIONS}")
    if precision == "fp32":
        return contextlib.nullcontext()
    if torch.device(device).type != "cuda":
        raise ValueError("learner precision bf16 needs a CUDA device (it is CUDA autocast; the CPU learner runs fp32)")
    return torch.autocast("cuda", dtype=torch.bfloat16)


def learn(
    batch: Batch, policy: torch.nn.Module, optimizer: torch.optim.Optimizer, config: RLConfig, max_grad_norm: float,
    precision: str = "fp32", teacher: torch.nn.Module | None = None,
) -> dict[str, float]:
    """One IMPALA learner step on `batch`; returns scalar metrics.

    `teacher` (frozen, e.g. the behaviour-cloned policy) scores the same actions; the KL from
    its distributions to the policy's, every head the action uses, is the rl.teacher_kl_cost term.
    """
    with forward_precision(precision, batch.reward.device):
        out = policy.evaluate(batch.obs, batch.actions, batch.first, batch.state)
        if teacher is not None:
            # The teacher's own core state at row 0 is not known (the actor ran the policy, not
            # the teacher); the policy's is the nearest estimate while the two are close.
            with torch.no_grad():
                taught = teacher.evaluate(batch.obs, batch.actions, batch.first, batch.state)
    out = out._replace(
        logp={h: v.float() for h, v in out.logp.items()},
        entropy={h: v.float() for h, v in out.entropy.items()},
        baseline=out.baseline.float(),
    )
    # Row T only gives the bootstrap value V(x_T); the loss is over rows 0..T-1.
    rows = slice(0, -1)
    kl_inputs = {}
    if teacher is not None:
        kl_inputs = {"teacher_logits": {h: v[rows].float() for h, v in taught.log_probs.items()},
                     "target_logits": {h: v[rows].float() for h, v in out.log_probs.items()}}
    losses = compute_loss(
        target_logp={h: lp[rows] for h, lp in out.logp.items()},
        behaviour_logp={h: batch.behaviour_logp[h][rows] for h in out.logp},
        used={h: u[rows] for h, u in out.used.items()},
        entropies={h: e[rows] for h, e in out.entropy.items()},
        values=out.baseline[rows],
        bootstrap_value=out.baseline[-1],
        rewards=batch.reward,
        discounts=config.discount * batch.discount,
        config=config,
        **kl_inputs,
    )
    optimizer.zero_grad(set_to_none=True)
    losses.total.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(policy.parameters(), max_grad_norm)
    optimizer.step()

    metrics = dict(losses.metrics)
    metrics["grad_norm"] = float(grad_norm)
    metrics["reward/mean"] = batch.reward.mean().item()
    metrics["reward/episode_end_sum"] = (batch.reward * (batch.discount == 0)).sum().item()
    metrics["entropy"] = sum(v for k, v in metrics.items() if k.startswith("entropy/"))
    return metrics
