"""The policy the league trains: encoders -> LSTM core -> autoregressive heads + baseline.

One set of weights, two modes:
- `sample` (actor): one step for a batch of environments, returns the actions, the
  behaviour log-probability of each head and the new core state;
- `evaluate` (learner): teacher-forced over [T, B] with core resets at episode starts,
  returns per-head log-probabilities, entropies and baselines.
Both run the same `_encode` and `ActionHeads`, so evaluate reproduces sample's numbers.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import torch
from torch import Tensor, nn

from agent.features import ENTITY_POSITION_COLUMNS, PLAYER_SCALARS, SPATIAL_PLANES, ENTITY_SCALARS, FeatureSpec
from agent.model.config import ModelConfig
from agent.model.core import Core
from agent.model.entity_encoder import EntityEncoder
from agent.model.heads import ActionHeads, HeadInputs
from agent.model.layers import ResidualMLP
from agent.model.presets import resolve_model_config
from agent.model.scalar_encoder import OpponentEncoder, ScalarEncoder
from agent.model.spatial_encoder import SpatialEncoder


class SampleOutput(NamedTuple):
    actions: dict[str, Tensor]  # head -> [B, ...] int64
    logp: dict[str, Tensor]  # head -> [B], 0 where the head is unused
    baseline: Tensor  # [B]
    state: tuple[Tensor, ...]  # each [B, ...]


class EvalOutput(NamedTuple):
    logp: dict[str, Tensor]  # head -> [T, B], 0 where unused
    used: dict[str, Tensor]  # head -> [T, B] bool
    entropy: dict[str, Tensor]  # head -> [T, B], over legal choices, 0 where unused
    baseline: Tensor  # [T, B]
    final_state: tuple[Tensor, ...]  # each [B, ...]
    # head -> the masked log-distributions [T, B, A_h] (selected_units [T, B, K, N+1]), for a KL
    log_probs: Optional[dict[str, Tensor]] = None


class Baseline(nn.Module):
    """Value head; with privileged_baseline it also reads the opponent's observation."""

    def __init__(self, config: ModelConfig, opponent_size: int):
        super().__init__()
        self.opponent = OpponentEncoder(config, opponent_size) if config.privileged_baseline else None
        width = config.lstm_hidden + (config.scalar_dim if self.opponent else 0)
        self.inp = nn.Linear(width, config.head_hidden)
        self.body = ResidualMLP(config.head_hidden, config.head_res_blocks)
        self.out = nn.Linear(config.head_hidden, 1)

    def forward(self, core: Tensor, obs: dict[str, Tensor]) -> Tensor:
        x = core if self.opponent is None else torch.cat([core, self.opponent(obs)], dim=-1)
        return self.out(torch.relu(self.body(torch.relu(self.inp(x))))).squeeze(-1)


class Policy(nn.Module):
    def __init__(self, config: ModelConfig, spec: FeatureSpec):
        super().__init__()
        config = resolve_model_config(config)
        if (spec.max_entities, spec.spatial_size, spec.max_selected_units, spec.max_delay, spec.privileged_baseline) != (
            config.max_entities, config.spatial_size, config.max_selected_units, config.max_delay, config.privileged_baseline
        ):
            raise ValueError("Policy: the FeatureSpec was built from a different ModelConfig; build both from one config")
        self.config = config
        self.spec = spec
        self.entity_encoder = EntityEncoder(config, spec.num_unit_types, spec.num_order_types, ENTITY_SCALARS)
        self.spatial_encoder = SpatialEncoder(config, len(SPATIAL_PLANES))
        self.scalar_encoder = ScalarEncoder(config, PLAYER_SCALARS, spec.num_upgrades, spec.num_actions)
        self.core = Core(config, config.entity_dim + 2 * config.scalar_dim)
        self.heads = ActionHeads(config, spec)
        self.baseline = Baseline(config, spec.opponent_scalars_size)

    def initial_state(self, batch_size: int, device=None) -> tuple[Tensor, ...]:
        """Zero core state (h, c), each [B, lstm_layers, lstm_hidden]."""
        return self.core.initial_state(batch_size, device)

    def _encode(self, obs: dict[str, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """Flat batch [M, ...] -> core input [M, I], entity embeddings, map skip."""
        entities, embedded_entity = self.entity_encoder(obs)
        map_skip, embedded_spatial = self.spatial_encoder(obs, entities)
        embedded_scalar = self.scalar_encoder(obs)
        return torch.cat([embedded_entity, embedded_spatial, embedded_scalar], dim=-1), entities, map_skip

    @staticmethod
    def _head_inputs(core: Tensor, entities: Tensor, map_skip: Tensor, obs: dict[str, Tensor]) -> HeadInputs:
        return HeadInputs(
            core, entities, obs["entity_mask"], obs["entity_type"], obs["entity_alliance"],
            obs["entity_scalars"][..., ENTITY_POSITION_COLUMNS], map_skip, obs["available_actions"],
        )

    @torch.no_grad()
    def sample(self, obs: dict[str, Tensor], state: tuple[Tensor, ...], deterministic: bool = False) -> SampleOutput:
        """One step for B environments; obs as torch.from_numpy(spec.stack([...]))."""
        core_input, entities, map_skip = self._encode(obs)
        core, new_state = self.core.step(core_input, state)
        heads = self.heads(self._head_inputs(core, entities, map_skip, obs), None, deterministic)
        return SampleOutput(heads.actions, heads.logp, self.baseline(core, obs), new_state)

    def evaluate(
        self, obs: dict[str, Tensor], actions: dict[str, Tensor], first: Tensor, state: tuple[Tensor, ...]
    ) -> EvalOutput:
        """Teacher-forced over [T, B]; first[t, b] True resets the core state before step t."""
        t, b = first.shape
        flat = {name: value.flatten(0, 1) for name, value in obs.items()}
        core_input, entities, map_skip = self._encode(flat)
        core, final_state = self.core.unroll(core_input.view(t, b, -1), first, state)
        core = core.flatten(0, 1)
        given = {name: value.flatten(0, 1) for name, value in actions.items()}
        heads = self.heads(self._head_inputs(core, entities, map_skip, flat), given)
        unflat = lambda d: {name: value.view(t, b) for name, value in d.items()}  # noqa: E731
        return EvalOutput(
            unflat(heads.logp), unflat(heads.used), unflat(heads.entropy), self.baseline(core, flat).view(t, b), final_state,
            {name: value.view(t, b, *value.shape[1:]) for name, value in heads.log_probs.items()},
        )


def build_policy(config: ModelConfig, spec: Optional[FeatureSpec] = None) -> Policy:
    """A Policy for `config` (presets resolved); builds the FeatureSpec when not given."""
    return Policy(config, spec if spec is not None else FeatureSpec(config))
