"""Autoregressive action heads in AlphaStar's order, each masked to what is legal.

action_type -> delay -> queued -> selected_units -> target_unit -> target_location.
An autoregressive embedding carries what earlier heads chose into later ones; a head
the chosen action type does not use neither adds to it nor to the log-probability, so
its (ignored) value cannot change the others. Legality: action types by the features'
`available_actions`; selected units by entity mask, own alliance and the unit type's
ability table (`FeatureSpec.unit_type_can_do`), without repeats, end-of-selection only
after one unit; target units among the visible entities; target locations anywhere on
the grid (the grid covers exactly the playable area).

The target-unit pointer adds a nearness term to its logits: minus a learned, per-action-type
strength times the distance from the selected units' centre to each candidate. Positions
reach the transformer only as two scalars per unit, so "the shard nearest to this marine"
or "the enemy nearest to my army" is hard for a dot product of learned keys and queries to
express; the term gives it directly and the strength is learned (it can shrink to nothing).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from agent.actions import HEADS, heads_used_table
from agent.model.config import ModelConfig
from agent.model.distributions import Choice, choose
from agent.model.layers import ResidualMLP
from sc2env.types import Alliance


@dataclasses.dataclass
class HeadInputs:
    core: Tensor  # [M, H]
    entities: Tensor  # [M, N, D]
    entity_mask: Tensor  # [M, N] bool
    entity_type: Tensor  # [M, N]
    entity_alliance: Tensor  # [M, N]
    entity_position: Tensor  # [M, N, 2]: x, y over the playable area, each in [0, 1]
    map_skip: Tensor  # [M, C, s, s]
    available_actions: Tensor  # [M, A] bool


@dataclasses.dataclass
class HeadOutputs:
    actions: dict[str, Tensor]
    logp: dict[str, Tensor]  # [M], 0 where unused
    entropy: dict[str, Tensor]  # [M], 0 where unused
    used: dict[str, Tensor]  # [M] bool
    # head -> the masked log-distribution each choice was made from: [M, A_h], or [M, K, N+1]
    # for selected_units (one row per pick, all-zero rows after the selection ended; only when
    # scoring given actions).
    log_probs: dict[str, Tensor] = dataclasses.field(default_factory=dict)


INITIAL_TARGET_NEARNESS = 8.0


def _mlp(inp: int, hidden: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, out))


class ActionHeads(nn.Module):
    def __init__(self, config: ModelConfig, spec) -> None:
        super().__init__()
        a, d, ar, h, p = spec.num_actions, config.entity_dim, config.autoregressive_dim, config.head_hidden, config.pointer_dim
        self.num_actions = a
        self.max_entities = config.max_entities
        self.max_selected = config.max_selected_units
        self.max_delay = config.max_delay
        for head, table in heads_used_table(spec.action_table).items():
            self.register_buffer(f"uses_{head}", torch.from_numpy(table), persistent=False)
        self.register_buffer("can_do", torch.from_numpy(spec.unit_type_can_do), persistent=False)
        self.register_buffer("target_alliance_ok", torch.from_numpy(spec.target_alliance_ok), persistent=False)
        self.register_buffer("target_type_ok", torch.from_numpy(spec.target_type_ok), persistent=False)
        # action type
        self.type_in = nn.Linear(config.lstm_hidden, h)
        self.type_body = ResidualMLP(h, config.head_res_blocks)
        self.type_out = nn.Linear(h, a)
        self.ar_from_core = nn.Linear(config.lstm_hidden, ar)
        self.ar_type = nn.Linear(a, ar)
        # delay, queued
        self.delay_out = _mlp(ar, h, config.max_delay)
        self.ar_delay = nn.Linear(config.max_delay, ar)
        self.queued_out = _mlp(ar, h, 2)
        self.ar_queued = nn.Linear(2, ar)
        # selected units: pointer over entity keys plus an end-of-selection key
        self.select_keys = nn.Linear(d, p)
        self.end_key = nn.Parameter(torch.randn(p) * 0.1)
        self.select_query = _mlp(ar, h, p)
        self.select_step = nn.Linear(p, ar)
        self.ar_selected = nn.Linear(p, ar)
        # target unit
        self.target_keys = nn.Linear(d, p, bias=False)  # a key bias adds one constant to every logit
        self.target_query = _mlp(ar, h, p)
        # log of the nearness strength per action type; at e^log(8) a candidate a tenth of the
        # playable area further away starts 0.8 logits behind
        self.log_target_nearness = nn.Parameter(torch.full((a,), math.log(INITIAL_TARGET_NEARNESS)))
        # target location: the autoregressive embedding as a low-res map, upsampled with the spatial skip
        c = config.spatial_channels
        self.low = config.spatial_size // 2**config.spatial_downsamples
        self.location_channels = max(4, c // 4)
        self.location_in = nn.Linear(ar, self.location_channels * self.low * self.low)
        self.location_mix = nn.Conv2d(c + self.location_channels, c, 1)
        ups, ch = [], c
        for _ in range(config.spatial_downsamples):
            out = max(4, ch // 2)
            ups += [nn.ReLU(), nn.ConvTranspose2d(ch, out, 2, stride=2)]  # non-overlapping: cheap on CPU
            ch = out
        # no bias: one constant added to every location logit leaves the softmax unchanged
        self.location_up = nn.Sequential(*ups, nn.ReLU(), nn.Conv2d(ch, 1, 1, bias=False))

    def uses(self, head: str, action_type: Tensor) -> Tensor:
        return getattr(self, f"uses_{head}")[action_type]

    def forward(self, x: HeadInputs, given: Optional[dict[str, Tensor]] = None, deterministic: bool = False) -> HeadOutputs:
        """Sample the heads (given=None) or score the given actions (teacher forcing)."""
        g = (lambda head: None) if given is None else (lambda head: given[head])
        out = HeadOutputs({}, {}, {}, {})

        def record(head: str, choice, used: Tensor, value: Tensor) -> None:
            out.actions[head] = value
            out.logp[head] = choice.logp * used
            out.entropy[head] = choice.entropy * used
            out.used[head] = used
            out.log_probs[head] = choice.log_probs

        m = x.core.shape[0]
        # 1. action type
        logits = self.type_out(torch.relu(self.type_body(torch.relu(self.type_in(x.core)))))
        kind = choose(logits, x.available_actions, g("action_type"), deterministic)
        action_type = kind.index
        record("action_type", kind, torch.ones_like(kind.logp, dtype=torch.bool), action_type)
        ar = self.ar_from_core(x.core) + self.ar_type(F.one_hot(action_type, self.num_actions).to(x.core.dtype))

        # 2. delay
        all_legal = torch.ones(m, self.max_delay, dtype=torch.bool, device=ar.device)
        delay = choose(self.delay_out(torch.relu(ar)), all_legal, g("delay"), deterministic)
        record("delay", delay, torch.ones_like(delay.logp, dtype=torch.bool), delay.index)
        ar = ar + self.ar_delay(F.one_hot(delay.index, self.max_delay).to(ar.dtype))

        # 3. queued
        used = self.uses("queued", action_type)
        queued = choose(self.queued_out(torch.relu(ar)), all_legal[:, :2], g("queued"), deterministic)
        value = queued.index * used
        record("queued", queued, used, value)
        ar = ar + self.ar_queued(F.one_hot(value, 2).to(ar.dtype)) * used.unsqueeze(-1).to(ar.dtype)

        # 4. selected units
        ar, picked = self._selected_units(x, action_type, ar, g("selected_units"), deterministic, record)

        # 5. target unit
        used = self.uses("target_unit", action_type)
        keys = self.target_keys(x.entities)
        query = self.target_query(torch.relu(ar))
        legal_targets = (
            x.entity_mask
            & self.target_alliance_ok[action_type.unsqueeze(-1), x.entity_alliance]
            & self.target_type_ok[x.entity_type, action_type.unsqueeze(-1)]
        )
        strength = self.log_target_nearness.exp()[action_type].unsqueeze(-1)
        nearness = strength * distance_from_selection(x.entity_position, picked)
        logits = torch.einsum("mnp,mp->mn", keys, query) - nearness
        target = choose(logits, legal_targets, g("target_unit"), deterministic)
        value = target.index * used
        record("target_unit", target, used, value)
        # No action type uses both a target unit and a location, so the unit chosen here
        # does not feed the location head.

        # 6. target location
        used = self.uses("target_location", action_type)
        low = self.location_in(torch.relu(ar)).view(m, self.location_channels, self.low, self.low)
        location_logits = self.location_up(self.location_mix(torch.cat([x.map_skip, torch.relu(low)], 1))).flatten(1)
        on_map = torch.ones_like(location_logits, dtype=torch.bool)
        location = choose(location_logits, on_map, g("target_location"), deterministic)
        record("target_location", location, used, location.index * used)
        assert tuple(out.actions) == HEADS
        return out

    def _selected_units(
        self, x: HeadInputs, action_type: Tensor, ar: Tensor, given, deterministic, record
    ) -> tuple[Tensor, Tensor]:
        """Pointer network: up to K picks among the legal units, then end-of-selection.

        Returns the autoregressive embedding with the selection added and the picked mask [M, N]."""
        m, n = x.entity_mask.shape
        used = self.uses("selected_units", action_type)
        own = x.entity_mask & (x.entity_alliance == int(Alliance.Self))
        legal_units = own & self.can_do[x.entity_type, action_type.unsqueeze(-1)]
        keys = torch.cat([self.select_keys(x.entities), self.end_key.expand(m, 1, -1)], dim=1)  # [M, N+1, P]
        picked = torch.zeros(m, n, dtype=torch.bool, device=ar.device)
        done = ~used
        query_state = ar
        logp = torch.zeros(m, device=ar.device)
        entropy = torch.zeros(m, device=ar.device)
        values, step_log_probs = [], []
        for k in range(self.max_selected):
            legal = torch.cat([legal_units & ~picked, torch.full((m, 1), k > 0, device=ar.device)], dim=1)
            logits = torch.einsum("mnp,mp->mn", keys, self.select_query(torch.relu(query_state)))
            choice = choose(logits, legal, None if given is None else given[:, k], deterministic)
            active = ~done
            index = torch.where(active, choice.index, torch.full_like(choice.index, n))
            logp = logp + choice.logp * active
            if given is not None:  # scoring (the learner): keep each pick's distribution for a KL
                step_log_probs.append(choice.log_probs * active.unsqueeze(-1))
            entropy = entropy + choice.entropy * active
            values.append(index)
            chosen_key = keys.gather(1, index[:, None, None].expand(-1, 1, keys.shape[-1])).squeeze(1)
            step = active & (index < n)
            picked = picked | (F.one_hot(index, n + 1)[:, :n].bool() & step.unsqueeze(-1))
            query_state = query_state + self.select_step(chosen_key) * step.unsqueeze(-1).to(ar.dtype)
            done = done | (index == n)
            if given is None and done.device.type != "cuda" and not torch.compiler.is_compiling() and bool(done.all()):
                # Sampling eagerly on the CPU: every row has ended its selection, so the
                # remaining picks are all "end" with log-probability 0; skip their work. (On a
                # GPU the check would sync every pick, and under torch.compile it would break
                # the graph; there the loop runs to the end.)
                values += [torch.full_like(index, n)] * (self.max_selected - k - 1)
                break
        selected = torch.stack(values, dim=1)
        log_probs = torch.stack(step_log_probs, dim=1) if step_log_probs else None
        record("selected_units", Choice(selected, logp, entropy, log_probs), used, selected)
        picked_keys = keys[:, :n] * picked.unsqueeze(-1).to(keys.dtype)
        mean_key = picked_keys.sum(1) / picked.sum(1, keepdim=True).clamp(min=1).to(keys.dtype)
        return ar + self.ar_selected(mean_key) * used.unsqueeze(-1).to(ar.dtype), picked


def distance_from_selection(position: Tensor, picked: Tensor) -> Tensor:
    """[M, N] distance from the picked units' centre to every entity; 0 where nothing was picked.

    position [M, N, 2], picked [M, N] bool. The small constant keeps the gradient finite at
    distance 0 (a selected unit is a candidate target of its own order)."""
    weights = picked.to(position.dtype).unsqueeze(-1)
    centre = (position * weights).sum(1) / weights.sum(1).clamp(min=1)
    distance = ((position - centre.unsqueeze(1)) ** 2).sum(-1).add(1e-12).sqrt()
    return distance * picked.any(1, keepdim=True).to(position.dtype)
