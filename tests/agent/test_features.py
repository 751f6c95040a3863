"""Features: fixed shapes, vocabularies with an unknown slot, legality masks, geometry."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "model"))
from agent_observation_factory import (  # noqa: E402
    BARRACKS, GAME_INFO, MARINE, SCV, UNKNOWN_UNIT_TYPE, make_observation,
)

from agent.features import PLAYER_SCALARS, TIME_PERIODS, FeatureError, FeatureSpec, time_encoding  # noqa: E402
from agent.model import preset_config  # noqa: E402
from agent.vocabulary import UNKNOWN_INDEX, game_vocabulary  # noqa: E402
from sc2env.types import Alliance  # noqa: E402


@pytest.fixture(scope="module")
def spec():
    return FeatureSpec(preset_config("tiny", max_entities=16, spatial_size=16))


def action_index(spec, name):
    return [k.name for k in spec.action_table].index(name)


def test_encode_matches_the_declared_shapes(spec):
    for obs in (make_observation(0), make_observation(1, num_own=0, num_enemy=0, num_neutral=0)):
        features = spec.encode(obs, GAME_INFO)
        spec.validate(features, spec.shapes(), leading=0)
        spec.validate(spec.stack([features, features]), spec.shapes(), leading=1)
    assert spec.encode(make_observation(1, num_own=0, num_enemy=0, num_neutral=0), GAME_INFO)["entity_mask"].sum() == 0


def test_validate_names_what_is_wrong(spec):
    features = spec.encode(make_observation(0), GAME_INFO)
    features["entity_type"] = features["entity_type"].astype(np.int32)
    with pytest.raises(FeatureError, match="entity_type"):
        spec.validate(features, spec.shapes(), leading=0)
    del features["spatial"]
    with pytest.raises(FeatureError, match="missing"):
        spec.validate(features, spec.shapes(), leading=0)


def test_more_units_than_slots_keeps_own_units_first(spec):
    obs = make_observation(0, num_own=5, num_enemy=30, num_neutral=30)
    features = spec.encode(obs, GAME_INFO)
    assert features["entity_mask"].all()
    assert (features["entity_alliance"][:5] == Alliance.Self).all()
    assert (features["entity_alliance"][5:] == Alliance.Enemy).all()
    rows = spec.entity_rows(obs)
    assert len(rows) == spec.max_entities and (obs.units["alliance"][rows][:5] == Alliance.Self).all()


def test_unknown_ids_map_to_the_unknown_slot(spec):
    obs = make_observation(
        0, num_own=1, num_enemy=0, num_neutral=0, extra_rows=((UNKNOWN_UNIT_TYPE, Alliance.Enemy, 20.0, 20.0),),
        abilities=np.array([560, 987654, -3], dtype=np.int32), upgrades=(1, 424242),
    )
    obs.units["order_ability_id"][0, 0] = 77777
    features = spec.encode(obs, GAME_INFO)
    assert features["entity_type"][1] == UNKNOWN_INDEX
    assert features["entity_type"][0] == game_vocabulary().unit_types.index(np.array([SCV]))[0] != UNKNOWN_INDEX
    assert features["upgrades"][UNKNOWN_INDEX] == 1.0 and features["upgrades"].sum() == 2.0
    assert features["entity_order"][0] == spec.num_actions  # the unknown-order slot
    assert not spec.unit_type_can_do[UNKNOWN_INDEX].any()
    # Out-of-range ids of every sign are handled by the vectorised lookup.
    table = game_vocabulary().unit_types
    assert table.index(np.array([-1, 10**9, 48])).tolist() == [0, 0, table.index_of_name("Marine")]


def test_available_actions_need_the_ability_and_a_unit_that_can_use_it(spec):
    marine = action_index(spec, "train_marine")
    with_barracks = make_observation(0, num_own=3)  # SCV, Marine, Barracks
    assert spec.encode(with_barracks, GAME_INFO)["available_actions"][marine]
    # The game offers it but our barracks is gone (only the enemy has one).
    obs = make_observation(0, num_own=2, extra_rows=((BARRACKS, Alliance.Enemy, 30.0, 30.0),))
    assert not spec.encode(obs, GAME_INFO)["available_actions"][marine]
    # We have a barracks but the game does not offer the ability (e.g. no minerals).
    obs = make_observation(0, num_own=3, abilities=np.array([3794], dtype=np.int32))
    available = spec.encode(obs, GAME_INFO)["available_actions"]
    assert not available[marine] and available[action_index(spec, "move_point")] and available[0]
    # Specific ids count for their general action (SCV gather 295 -> HarvestGather 3666).
    obs = make_observation(0, num_own=1, abilities=np.array([295], dtype=np.int32))
    assert spec.encode(obs, GAME_INFO)["available_actions"][action_index(spec, "harvest_gather")]
    # No-op is always available, even with nothing at all.
    empty = make_observation(0, num_own=0, num_enemy=0, num_neutral=0, abilities=np.zeros(0, np.int32))
    assert spec.encode(empty, GAME_INFO)["available_actions"].tolist() == [True] + [False] * (spec.num_actions - 1)


def test_unit_targeted_actions_need_a_unit_they_may_target(spec):
    attack, gather = action_index(spec, "attack_unit"), action_index(spec, "harvest_gather")
    obs = make_observation(0, num_own=2, num_enemy=0, num_neutral=0)  # SCV + marine, nothing to target
    available = spec.encode(obs, GAME_INFO)["available_actions"]
    assert not available[attack] and not available[gather] and available[action_index(spec, "attack_point")]
    obs = make_observation(0, num_own=2, num_enemy=1, num_neutral=2)  # an enemy drone, minerals and a geyser
    available = spec.encode(obs, GAME_INFO)["available_actions"]
    assert available[attack] and available[gather]
    # Gather targets minerals (and own refineries), never the geyser itself or an enemy.
    geyser, mineral = (spec.vocabulary.unit_types.index(np.array([t]))[0] for t in (342, 341))
    assert spec.target_type_ok[mineral, gather] and not spec.target_type_ok[geyser, gather]
    assert not spec.target_alliance_ok[gather, Alliance.Enemy] and spec.target_alliance_ok[attack, Alliance.Enemy]


def test_orders_map_through_the_ability_remap(spec):
    features = spec.encode(make_observation(0), GAME_INFO)
    assert features["entity_order"][0] == action_index(spec, "move_point")  # specific Move 16 -> 3794
    assert features["entity_order"][1] == 0  # no order


def test_grid_geometry_round_trips(spec):
    cells = np.arange(spec.spatial_size**2)
    points = np.array([spec.cell_to_point(c, GAME_INFO) for c in cells])
    assert (points[:, 0] > 8).all() and (points[:, 0] < 56).all() and (points[:, 1] > 8).all() and (points[:, 1] < 56).all()
    assert (spec.point_to_cell(points[:, 0], points[:, 1], GAME_INFO) == cells).all()
    obs = make_observation(0)
    features = spec.encode(obs, GAME_INFO)
    rows = spec.entity_rows(obs)
    expected = spec.point_to_cell(obs.units["x"][rows], obs.units["y"][rows], GAME_INFO)
    assert (features["entity_cell"][: len(rows)] == expected).all()


def test_spatial_planes_sample_the_playable_area(spec):
    obs = make_observation(0)
    obs.map.visibility[:] = 0
    obs.map.visibility[8:32, :] = 2  # rows are y: the lower half of the playable area is visible
    spatial = spec.encode(obs, GAME_INFO)["spatial"]
    hidden, visible = spatial[3], spatial[5]
    assert (visible[: spec.spatial_size // 2] == 1).all() and (hidden[spec.spatial_size // 2 :] == 1).all()


def test_last_action_and_its_range_check(spec):
    features = spec.encode(make_observation(0), GAME_INFO, {"action_type": np.int64(5), "delay": np.int64(3)})
    assert features["last_action_type"] == 5 and features["last_delay"] == 3
    with pytest.raises(FeatureError, match="delay"):
        spec.encode(make_observation(0), GAME_INFO, {"action_type": 5, "delay": 10**6})


def test_privileged_baseline_reads_the_opponent():
    spec = FeatureSpec(preset_config("tiny", max_entities=16, spatial_size=16, privileged_baseline=True))
    with_opponent = spec.encode(make_observation(0, with_opponent=True), GAME_INFO)["opponent_scalars"]
    without = spec.encode(make_observation(0), GAME_INFO)["opponent_scalars"]
    assert with_opponent[-1] == 1.0 and with_opponent.sum() > 1.0 and not without.any()
    assert "opponent_scalars" not in FeatureSpec(preset_config("tiny")).shapes()


def test_stack_and_action_shapes(spec):
    with pytest.raises(FeatureError):
        spec.stack([])
    shapes = spec.action_shapes()
    assert shapes["selected_units"] == ((spec.max_selected_units,), np.dtype(np.int64))
    assert shapes["action_type"] == ((), np.dtype(np.int64))
    assert MARINE  # the factory's ids are the real ones


def test_time_encoding_tells_apart_the_last_steps_of_a_two_minute_game():
    # 8 game loops apart near loop 1920 (a mini-game's end): the plain scalars move by ~4e-4
    before, last = time_encoding(1912), time_encoding(1920)
    assert before.shape == (2 * len(TIME_PERIODS),) and before.dtype == np.float32
    assert np.abs(last - before).max() > 0.02
    assert np.allclose(before[: len(TIME_PERIODS)] ** 2 + before[len(TIME_PERIODS):] ** 2, 1.0)


def test_player_scalars_end_with_the_time_encoding(spec):
    obs = make_observation(seed=3)
    features = spec.encode(obs, GAME_INFO, None)
    assert features["player_scalars"].shape == (PLAYER_SCALARS,)
    assert np.allclose(features["player_scalars"][-2 * len(TIME_PERIODS):], time_encoding(obs.game_loop))
