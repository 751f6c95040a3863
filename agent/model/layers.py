"""Small building blocks shared by the encoders and heads."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ResidualMLP(nn.Module):
    """`blocks` pre-norm residual blocks of width `dim` (AlphaStar's ResMLP heads)."""

    def __init__(self, dim: int, blocks: int):
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim)) for _ in range(blocks)
        )

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = x + block(x)
        return x


class ResidualConv(nn.Module):
    """Two 3x3 convolutions with a skip connection, channels and size kept."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(torch.relu(self.conv1(torch.relu(x))))


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Mean of x [M, N, D] over the entries where mask [M, N] is True (0 if none)."""
    weights = mask.to(x.dtype).unsqueeze(-1)
    return (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)
