"""Spatial encoder: map planes plus entity embeddings scattered to their cells, then convs.

As in AlphaStar, entity embeddings are projected and summed into the cell under each
unit, concatenated with the minimap planes, downsampled by stride-2 convolutions and
refined by residual blocks. The final map is kept as a skip input for the location head.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from agent.model.config import ModelConfig
from agent.model.layers import ResidualConv


def scatter_channels(config: ModelConfig) -> int:
    return max(4, config.spatial_channels // 4)


class SpatialEncoder(nn.Module):
    def __init__(self, config: ModelConfig, planes: int):
        super().__init__()
        self.size = config.spatial_size
        self.scatter = nn.Linear(config.entity_dim, scatter_channels(config))
        channels = max(8, config.spatial_channels // 2**config.spatial_downsamples)
        self.stem = nn.Conv2d(planes + scatter_channels(config), channels, 1)
        downs = []
        for i in range(config.spatial_downsamples):
            out = config.spatial_channels if i == config.spatial_downsamples - 1 else min(2 * channels, config.spatial_channels)
            downs += [nn.ReLU(), nn.Conv2d(channels, out, 4, stride=2, padding=1)]
            channels = out
        self.down = nn.Sequential(*downs)
        self.res = nn.Sequential(*[ResidualConv(channels) for _ in range(config.spatial_res_blocks)])
        low = config.spatial_size // 2**config.spatial_downsamples
        self.embed = nn.Linear(channels * low * low, config.scalar_dim)
        self.out_channels = channels

    def forward(self, obs: dict[str, Tensor], entities: Tensor) -> tuple[Tensor, Tensor]:
        """-> map skip [M, C, S/2^d, S/2^d], embedded spatial [M, scalar_dim]."""
        m = entities.shape[0]
        projected = self.scatter(entities) * obs["entity_mask"].unsqueeze(-1).to(entities.dtype)
        cells = obs["entity_cell"].unsqueeze(1).expand(-1, projected.shape[-1], -1)
        grid = projected.new_zeros(m, projected.shape[-1], self.size * self.size)
        grid = grid.scatter_add(2, cells, projected.transpose(1, 2)).view(m, -1, self.size, self.size)
        x = self.res(self.down(self.stem(torch.cat([obs["spatial"], grid], dim=1))))
        x = torch.relu(x)
        return x, torch.relu(self.embed(x.flatten(1)))
