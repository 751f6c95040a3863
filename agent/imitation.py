"""Behaviour cloning: train the policy to take the demonstrated actions (agent.demonstration).

The supervised stage AlphaStar runs before RL (Vinyals et al. 2019): maximise the
log-probability of the teacher's action, every head the action uses, teacher-forced
through the same `Policy.evaluate` the learner runs, so the LSTM core sees the games in
order. Training is truncated backpropagation through time: B lanes each walk through
whole episodes, T decisions per step; the core state is carried (detached) from one step
to the next and reset where a new episode starts (`first`).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import torch

from agent.demonstration import Episode
from agent.model.policy import EvalOutput


def imitation_loss(out: EvalOutput) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean over decisions of -sum_h log pi_h(teacher's a_h); per-head NLL over the rows that use it.

    `out.logp` is 0 where a head is unused, so the sum is over the heads each action uses.
    """
    total = -sum(out.logp.values())
    loss = total.mean()
    metrics = {"loss/imitation": float(loss.detach())}
    for head, logp in out.logp.items():
        used = out.used[head]
        if bool(used.any()):
            metrics[f"nll/{head}"] = float(-(logp.detach()[used]).mean())
    return loss, metrics


@dataclasses.dataclass
class Lane:
    episode: int = -1  # index into the episode list
    row: int = 0  # next row of that episode


class EpisodeLanes:
    """B lanes over shuffled episodes: consecutive [T, B] windows for truncated BPTT."""

    def __init__(self, episodes: Sequence[Episode], batch_size: int, seed: int = 0):
        if not episodes:
            raise ValueError("behaviour cloning needs at least one episode")
        self.episodes = list(episodes)
        self.rng = np.random.default_rng(seed)
        self.order: list[int] = []
        self.lanes = [Lane() for _ in range(batch_size)]
        self.epochs = 0  # passes over the episodes started so far

    def _next_episode(self) -> int:
        if not self.order:
            self.order = list(self.rng.permutation(len(self.episodes)))
            self.epochs += 1
        return int(self.order.pop())

    def window(self, length: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """obs {name: [T, B, ...]}, actions {head: [T, B, ...]}, first [T, B]."""
        columns = []
        for lane in self.lanes:
            rows: list[tuple[int, int, bool]] = []  # (episode, row, first)
            while len(rows) < length:
                if lane.episode < 0 or lane.row >= self.episodes[lane.episode].length:
                    lane.episode, lane.row = self._next_episode(), 0
                take = min(length - len(rows), self.episodes[lane.episode].length - lane.row)
                rows += [(lane.episode, lane.row + k, lane.row + k == 0) for k in range(take)]
                lane.row += take
            columns.append(rows)

        def gather(group: str) -> dict[str, np.ndarray]:
            names = getattr(self.episodes[0], group)
            return {name: np.stack([np.stack([getattr(self.episodes[e], group)[name][r] for e, r, _ in column])
                                    for column in columns], axis=1) for name in names}

        first = np.array([[f for _, _, f in column] for column in columns], dtype=bool).T
        return gather("obs"), gather("actions"), first


def _tensors(arrays: dict[str, np.ndarray], device) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(np.array(v)).to(device) for k, v in arrays.items()}


@torch.no_grad()
def evaluate_nll(policy, episodes: Sequence[Episode], unroll_length: int, device="cpu") -> dict[str, float]:
    """Mean imitation loss and per-head NLL over whole held-out episodes (state carried through each)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for episode in episodes:
        state = policy.initial_state(1, device)
        for start in range(0, episode.length, unroll_length):
            stop = min(start + unroll_length, episode.length)
            obs = _tensors({k: v[start:stop, None] for k, v in episode.obs.items()}, device)
            actions = _tensors({k: v[start:stop, None] for k, v in episode.actions.items()}, device)
            first = torch.zeros(stop - start, 1, dtype=torch.bool, device=device)
            first[0, 0] = start == 0
            out = policy.evaluate(obs, actions, first, state)
            state = out.final_state
            rows = stop - start
            sums["loss/imitation"] = sums.get("loss/imitation", 0.0) + float(-sum(out.logp.values()).sum())
            counts["loss/imitation"] = counts.get("loss/imitation", 0) + rows
            for head, logp in out.logp.items():
                used = out.used[head]
                sums[f"nll/{head}"] = sums.get(f"nll/{head}", 0.0) + float(-logp[used].sum())
                counts[f"nll/{head}"] = counts.get(f"nll/{head}", 0) + int(used.sum())
            type_ok = out.logp["action_type"].exp() > 0.5
            sums["accuracy/action_type>0.5"] = sums.get("accuracy/action_type>0.5", 0.0) + float(type_ok.sum())
            counts["accuracy/action_type>0.5"] = counts.get("accuracy/action_type>0.5", 0) + rows
    return {k: sums[k] / counts[k] for k in sums if counts[k]}


class BehaviourCloning:
    """Adam on the imitation loss over [unroll_length, batch_size] windows of the episodes."""

    def __init__(self, policy, episodes: Sequence[Episode], batch_size: int = 8, unroll_length: int = 32,
                 learning_rate: float = 1e-3, max_grad_norm: float = 10.0, seed: int = 0, device="cpu"):
        self.policy = policy
        self.unroll_length = unroll_length
        self.max_grad_norm = max_grad_norm
        self.device = device
        self.lanes = EpisodeLanes(episodes, batch_size, seed)
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=learning_rate)
        self.state = policy.initial_state(batch_size, device)

    def step(self) -> dict[str, float]:
        obs, actions, first = self.lanes.window(self.unroll_length)
        self.policy.train()
        out = self.policy.evaluate(_tensors(obs, self.device), _tensors(actions, self.device),
                                   torch.from_numpy(first).to(self.device), self.state)
        self.state = tuple(s.detach() for s in out.final_state)
        loss, metrics = imitation_loss(out)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        metrics["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm))
        self.optimizer.step()
        self.policy.eval()
        metrics["epochs"] = float(self.lanes.epochs)
        return metrics
