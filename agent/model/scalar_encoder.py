"""Scalar encoder: player statistics, upgrades, available actions and the last action."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from agent.model.config import ModelConfig


class ScalarEncoder(nn.Module):
    def __init__(self, config: ModelConfig, player_scalars: int, num_upgrades: int, num_actions: int):
        super().__init__()
        d = config.scalar_dim
        self.player = nn.Linear(player_scalars, d)
        self.upgrades = nn.Linear(num_upgrades, d)
        self.available = nn.Linear(num_actions, d)
        self.last_action = nn.Embedding(num_actions, d)
        self.last_delay = nn.Embedding(config.max_delay, d)
        self.out = nn.Linear(d, d)

    def forward(self, obs: dict[str, Tensor]) -> Tensor:
        x = (
            self.player(obs["player_scalars"])
            + self.upgrades(obs["upgrades"])
            + self.available(obs["available_actions"].to(obs["upgrades"].dtype))
            + self.last_action(obs["last_action_type"])
            + self.last_delay(obs["last_delay"])
        )
        return torch.relu(self.out(torch.relu(x)))


class OpponentEncoder(nn.Module):
    """The privileged baseline's reading of the opponent's observation (self-play only)."""

    def __init__(self, config: ModelConfig, size: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(size, config.scalar_dim), nn.ReLU(), nn.Linear(config.scalar_dim, config.scalar_dim))

    def forward(self, obs: dict[str, Tensor]) -> Tensor:
        return torch.relu(self.net(obs["opponent_scalars"]))
