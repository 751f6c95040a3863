"""The target-unit pointer's nearness term: distance from the selected units' centre."""

from __future__ import annotations

import math

import pytest
import torch

from agent.actions import HEADS
from agent.features import FeatureSpec
from agent.model import build_policy, preset_config
from agent.model.heads import INITIAL_TARGET_NEARNESS, HeadInputs, distance_from_selection
from sc2env.types import Alliance

MARINE, MINERAL_SHARD = 48, 1680


def test_distance_is_measured_from_the_centre_of_the_picked_units():
    position = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [0.5, 0.5], [0.5, 0.0]]])
    picked = torch.tensor([[True, True, False, False]])
    distance = distance_from_selection(position, picked)
    assert torch.allclose(distance, torch.tensor([[0.5, 0.5, 0.5, 0.0]]), atol=1e-3)


def test_nothing_picked_gives_no_distance():
    position = torch.rand(2, 5, 2)
    picked = torch.tensor([[False] * 5, [True, False, False, False, False]])
    distance = distance_from_selection(position, picked)
    assert torch.equal(distance[0], torch.zeros(5))
    assert distance[1, 1:].gt(0).any()


def test_gradient_is_finite_at_distance_zero():
    position = torch.tensor([[[0.2, 0.3], [0.6, 0.1]]], requires_grad=True)
    distance_from_selection(position, torch.tensor([[True, False]])).sum().backward()
    assert torch.isfinite(position.grad).all()


@pytest.fixture(scope="module")
def heads_and_spec():
    torch.manual_seed(0)
    config = preset_config("tiny", max_entities=8, spatial_size=16)
    spec = FeatureSpec(config)
    return build_policy(config, spec).heads, spec, config


def _inputs(heads, spec, config, positions):
    """One marine (entity 0) and mineral shards at the other positions."""
    n = config.max_entities
    types = spec.vocabulary.unit_types.index([MARINE] + [MINERAL_SHARD] * (len(positions) - 1))
    entity_type = torch.zeros(1, n, dtype=torch.long)
    entity_type[0, : len(positions)] = torch.from_numpy(types)
    alliance = torch.full((1, n), int(Alliance.Neutral), dtype=torch.long)
    alliance[0, 0] = int(Alliance.Self)
    mask = torch.zeros(1, n, dtype=torch.bool)
    mask[0, : len(positions)] = True
    position = torch.zeros(1, n, 2)
    position[0, : len(positions)] = torch.tensor(positions)
    return HeadInputs(
        core=torch.zeros(1, config.lstm_hidden),
        entities=torch.randn(1, n, config.entity_dim),
        entity_mask=mask,
        entity_type=entity_type,
        entity_alliance=alliance,
        entity_position=position,
        map_skip=torch.zeros(1, config.spatial_channels, heads.low, heads.low),
        available_actions=torch.ones(1, spec.num_actions, dtype=torch.bool),
    )


def _given(spec, config, action_name):
    action_type = [a.name for a in spec.action_table].index(action_name)
    selected = torch.full((1, config.max_selected_units), config.max_entities, dtype=torch.long)
    selected[0, 0] = 0  # the marine, then end of selection
    given = {head: torch.zeros(1, dtype=torch.long) for head in HEADS}
    given.update(action_type=torch.tensor([action_type]), selected_units=selected)
    return given


def test_with_the_learned_keys_silenced_the_nearest_shard_is_likeliest(heads_and_spec):
    heads, spec, config = heads_and_spec
    positions = [(0.1, 0.1), (0.9, 0.9), (0.2, 0.1), (0.5, 0.5)]
    inputs = _inputs(heads, spec, config, positions)
    given = _given(spec, config, "move_unit")
    with torch.no_grad():
        saved = heads.target_keys.weight.clone()
        heads.target_keys.weight.zero_()
        try:
            out = heads(inputs, given)
        finally:
            heads.target_keys.weight.copy_(saved)
    log_probs = out.log_probs["target_unit"][0, : len(positions)]
    distance = torch.tensor([math.dist(p, positions[0]) for p in positions])
    expected = torch.log_softmax(-INITIAL_TARGET_NEARNESS * distance, 0)
    assert torch.allclose(log_probs, expected, atol=1e-4)
    assert int(log_probs[1:].argmax()) + 1 == 2  # the shard next to the marine


def test_the_strength_is_learned_per_action_type(heads_and_spec):
    heads, spec, config = heads_and_spec
    inputs = _inputs(heads, spec, config, [(0.1, 0.1), (0.9, 0.9), (0.2, 0.1)])
    move = [a.name for a in spec.action_table].index("move_unit")
    grads = []
    for target in (0, 1):  # the nearest candidate (the marine itself), the farthest shard
        heads.zero_grad()
        out = heads(inputs, {**_given(spec, config, "move_unit"), "target_unit": torch.tensor([target])})
        out.logp["target_unit"].sum().backward()
        grads.append(heads.log_target_nearness.grad.clone())
    # the nearest choice is made likelier by a stronger nearness, the farthest by a weaker one;
    # only move_unit's strength moves
    assert grads[0][move] > 0 > grads[1][move]
    assert all(torch.count_nonzero(grad) == 1 for grad in grads)
