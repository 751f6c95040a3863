"""The policy on real observations of the embedded engine: melee vs a bot, and MoveToBeacon."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agent.actions import HEADS, ActionError, to_commands
from agent.features import FeatureSpec
from agent.model import build_policy, preset_config
from sc2env.env import make_env
from sc2env.types import AgentPlayer, Alliance, BotPlayer, Difficulty, Race

pytestmark = pytest.mark.timeout(120)


def as_batch(features: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v[None]) for k, v in features.items()}


def test_policy_plays_a_melee_game_against_a_bot_on_engine_observations():
    torch.manual_seed(0)
    config = preset_config("tiny", max_entities=64, privileged_baseline=True)
    spec = FeatureSpec(config)
    policy = build_policy(config, spec).eval()
    env = make_env("embedded", "Simple64", players=[AgentPlayer(), BotPlayer(Race.Terran, Difficulty.VeryEasy)],
                   step_mul=8, seed=3, game_loop_limit=22400, observe_opponent=True)
    try:
        [timestep] = env.reset()
        info = env.game_info
        state, last, rejected, commands_sent = policy.initial_state(1), None, 0, 0
        names = [k.name for k in spec.action_table]
        for step in range(40):
            obs = timestep.observation
            features = spec.encode(obs, info, last)
            spec.validate(features, spec.shapes(), leading=0)
            real = features["entity_type"][features["entity_mask"]]
            assert (real != 0).all(), "every engine unit type is in the vocabulary"
            if step == 0:
                available = {names[i] for i in np.flatnonzero(features["available_actions"])}
                assert {"no_op", "harvest_gather", "move_point", "train_scv"} <= available
                assert features["opponent_scalars"][-1] == 1.0  # the engine gave the opponent's view
                own = features["entity_alliance"] == Alliance.Self
                assert own.sum() == 13  # command center + 12 SCVs
            out = policy.sample(as_batch(features), state)
            state = out.state
            last = {h: out.actions[h][0].numpy() for h in HEADS}
            commands = to_commands(last, obs, info, spec)
            commands_sent += len(commands)
            [timestep] = env.step([commands])
            rejected += len(timestep.observation.action_errors)
        assert commands_sent > 10
        # Masks keep most commands legal; the rest fail on state the mask cannot see (e.g.
        # "carries nothing to return"), which the engine reports instead of crashing.
        assert rejected < commands_sent
    finally:
        env.close()


def test_move_to_beacon_commands_reach_the_beacon():
    config = preset_config("tiny", max_entities=16)
    spec = FeatureSpec(config)
    env = make_env("embedded", "MoveToBeacon", players=[AgentPlayer()], step_mul=8, seed=1)
    try:
        [timestep] = env.reset()
        info = env.game_info
        move = [k.name for k in spec.action_table].index("move_point")
        total = 0.0
        for _ in range(40):
            obs = timestep.observation
            features = spec.encode(obs, info)
            rows = spec.entity_rows(obs)
            units = obs.units[rows]
            marine = int(np.flatnonzero(units["alliance"] == Alliance.Self)[0])
            beacon = int(np.flatnonzero(units["alliance"] == Alliance.Neutral)[0])
            assert features["available_actions"][move]
            # Scripted heads: select the marine, target the beacon's cell.
            action = {"action_type": move, "delay": 0, "queued": 0, "target_unit": 0,
                      "selected_units": [marine] + [spec.max_entities] * (spec.max_selected_units - 1),
                      "target_location": int(features["entity_cell"][beacon])}
            [cmd] = to_commands({h: np.asarray(v) for h, v in action.items()}, obs, info, spec)
            assert cmd.unit_tags == (int(units["tag"][marine]),)
            x, y = cmd.target_point
            cell_w = (info.playable_max[0] - info.playable_min[0]) / spec.spatial_size
            assert abs(x - units["x"][beacon]) <= cell_w and abs(y - units["y"][beacon]) <= cell_w
            [timestep] = env.step([[cmd]])
            total += timestep.reward
            assert not timestep.observation.action_errors
        assert total >= 1.0, "moving to the beacon's cell scores"
    finally:
        env.close()


def test_to_commands_refuses_indices_beyond_the_engine_observation():
    spec = FeatureSpec(preset_config("tiny", max_entities=16))
    env = make_env("embedded", "MoveToBeacon", players=[AgentPlayer()], step_mul=8, seed=1)
    try:
        [timestep] = env.reset()
        action = {h: np.asarray(0) for h in HEADS}
        action["action_type"] = np.asarray([k.name for k in spec.action_table].index("stop"))
        action["selected_units"] = np.asarray([15, 16, 16, 16])
        with pytest.raises(ActionError, match="out of range"):
            to_commands(action, timestep.observation, env.game_info, spec)
    finally:
        env.close()


def test_features_of_proto_converted_observations_equal_the_engine_ones():
    """The path real SC2 takes (ResponseObservation -> observation_from_proto) encodes identically."""
    from sc2env.sc2api.conversion import game_info_from_proto, game_info_to_proto, observation_from_proto, observation_to_proto

    spec = FeatureSpec(preset_config("tiny", max_entities=64))
    env = make_env("embedded", "Simple64", players=[AgentPlayer(), AgentPlayer()], step_mul=16, seed=2)
    try:
        timesteps = env.reset()
        for _ in range(5):
            timesteps = env.step([[], []])
        obs, info = timesteps[0].observation, env.game_info
        info_proto = game_info_to_proto(info, obs.map.height, obs.map.pathable, obs.map.placeable)
        converted = observation_from_proto(observation_to_proto(obs), info_proto)
        direct = spec.encode(obs, info)
        via_proto = spec.encode(converted, game_info_from_proto(info_proto))
        assert direct.keys() == via_proto.keys()
        for name in direct:
            np.testing.assert_allclose(via_proto[name], direct[name], rtol=1e-6, atol=1e-6, err_msg=name)
    finally:
        env.close()
