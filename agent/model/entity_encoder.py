"""Entity encoder: a transformer over the visible units (AlphaStar's entity encoder).

Each entity is the sum of embeddings of its unit type, alliance and current order plus
a projection of its scalar features; pre-norm transformer layers let units attend to
each other (padding masked out); the result is one embedding per entity (for the
pointer heads and the spatial scatter) and their masked mean (for the core).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from agent.model.config import ModelConfig
from agent.model.layers import masked_mean

_ALLIANCES = 5  # 0 (padding) + sc2env.types.Alliance values 1..4


class TransformerLayer(nn.Module):
    """Pre-norm self-attention + feed-forward; written out so sample/evaluate run the same math."""

    def __init__(self, dim: int, heads: int, ff: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.ReLU(), nn.Linear(ff, dim))

    def forward(self, x: Tensor, attend: Tensor) -> Tensor:
        m, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(m, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=attend[:, None, None, :])
        x = x + self.out(attended.transpose(1, 2).reshape(m, n, d))
        return x + self.ff(self.norm2(x))


class EntityEncoder(nn.Module):
    def __init__(self, config: ModelConfig, num_unit_types: int, num_order_types: int, scalar_features: int):
        super().__init__()
        d = config.entity_dim
        self.type_embedding = nn.Embedding(num_unit_types, d)
        self.alliance_embedding = nn.Embedding(_ALLIANCES, d)
        self.order_embedding = nn.Embedding(num_order_types, d)
        self.scalars = nn.Linear(scalar_features, d)
        self.layers = nn.ModuleList(
            TransformerLayer(d, config.transformer_heads, config.transformer_ff) for _ in range(config.transformer_layers)
        )
        self.norm = nn.LayerNorm(d)
        self.pooled = nn.Linear(d, d)

    def forward(self, obs: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """-> entity embeddings [M, N, D] (0 at padding), embedded entity [M, D]."""
        mask = obs["entity_mask"]
        x = (
            self.type_embedding(obs["entity_type"])
            + self.alliance_embedding(obs["entity_alliance"])
            + self.order_embedding(obs["entity_order"])
            + self.scalars(obs["entity_scalars"])
        )
        # A row with no entity attends to slot 0 so softmax stays finite; its output is masked.
        attend = mask.clone()
        attend[:, 0] |= ~mask.any(1)
        for layer in self.layers:
            x = layer(x, attend)
        x = self.norm(x) * mask.unsqueeze(-1).to(x.dtype)
        return x, torch.relu(self.pooled(masked_mean(x, mask)))
