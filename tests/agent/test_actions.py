"""The action table against the real game data, heads_used, and heads -> RawCommands."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "model"))
from agent_observation_factory import GAME_INFO, make_observation  # noqa: E402

from agent.actions import HEADS, ActionError, Target, action_types, heads_used, to_commands  # noqa: E402
from agent.features import FeatureSpec  # noqa: E402
from agent.model import preset_config  # noqa: E402
from s2clientprotocol import sc2api_pb2  # noqa: E402
from agent.vocabulary import _GAME_DATA_PATH  # noqa: E402


@pytest.fixture(scope="module")
def spec():
    return FeatureSpec(preset_config("tiny", max_entities=16, spatial_size=16))


def index(name):
    return [k.name for k in action_types()].index(name)


def action(**heads):
    base = {"action_type": 0, "delay": 0, "queued": 0, "selected_units": [16, 16, 16, 16], "target_unit": 0, "target_location": 0}
    base.update(heads)
    return {h: np.asarray(v, dtype=np.int64) for h, v in base.items()}


def test_table_matches_the_game_data():
    with open(_GAME_DATA_PATH, "rb") as f:
        abilities = {a.ability_id: a for a in sc2api_pb2.Response.FromString(f.read()).data.abilities}
    table = action_types()
    assert table[0].name == "no_op" and not table[0].performers
    assert len({(k.ability_id, k.target) for k in table}) == len(table)
    for kind in table[1:]:
        data = abilities[kind.ability_id]
        assert data.available and kind.performers, kind.name
        # The game's target kind allows ours (1 none, 2 point, 3 unit, 4 point or unit, 5 point or none).
        allowed = {1: {Target.NONE}, 2: {Target.POINT}, 3: {Target.UNIT}, 4: {Target.POINT, Target.UNIT}, 5: {Target.POINT, Target.NONE}}
        assert kind.target in allowed[data.target], (kind.name, data.target)
        assert data.remaps_to_ability_id == 0, f"{kind.name} should use the general id {data.remaps_to_ability_id}"


def test_heads_used():
    assert heads_used(action_types()[0]) == {h: h in ("action_type", "delay") for h in HEADS}
    used = heads_used(action_types()[index("attack_point")])
    assert used["selected_units"] and used["target_location"] and used["queued"] and not used["target_unit"]
    assert heads_used(index("attack_point")) == used
    with pytest.raises(ActionError):
        heads_used(10**6)
    used = heads_used(action_types()[index("train_marine")])
    assert used["selected_units"] and not used["target_location"] and not used["target_unit"]


def test_to_commands_builds_raw_commands(spec):
    obs = make_observation(0, num_own=3)
    tags = obs.units["tag"][spec.entity_rows(obs)]
    assert to_commands(action(), obs, GAME_INFO, spec) == []
    [cmd] = to_commands(action(action_type=index("attack_point"), selected_units=[1, 0, 16, 16], queued=1, target_location=17), obs, GAME_INFO, spec)
    assert cmd.ability_id == 3674 and cmd.unit_tags == (tags[1], tags[0]) and cmd.queued
    assert cmd.target_point == spec.cell_to_point(17, GAME_INFO) and cmd.target_unit_tag is None
    [cmd] = to_commands(action(action_type=index("harvest_gather"), selected_units=[0, 16, 16, 16], target_unit=5), obs, GAME_INFO, spec)
    assert cmd.ability_id == 3666 and cmd.target_unit_tag == tags[5] and cmd.target_point is None
    # Not queueable: the queued head is ignored. All K slots filled: no end token needed.
    [cmd] = to_commands(action(action_type=index("stop"), selected_units=[0, 1, 2, 1], queued=1), obs, GAME_INFO, spec)
    assert not cmd.queued and len(cmd.unit_tags) == 4


def test_to_commands_rejects_actions_that_do_not_fit(spec):
    obs = make_observation(0, num_own=2, num_enemy=0, num_neutral=0)
    with pytest.raises(ActionError, match="outside the table"):
        to_commands(action(action_type=999), obs, GAME_INFO, spec)
    with pytest.raises(ActionError, match="out of range"):
        to_commands(action(action_type=index("stop"), selected_units=[7, 16, 16, 16]), obs, GAME_INFO, spec)
    with pytest.raises(ActionError, match="empty"):
        to_commands(action(action_type=index("stop")), obs, GAME_INFO, spec)
    with pytest.raises(ActionError, match="target_unit"):
        to_commands(action(action_type=index("smart_unit"), selected_units=[0, 16, 16, 16], target_unit=9), obs, GAME_INFO, spec)
    with pytest.raises(ActionError, match="one value"):
        to_commands({**action(), "action_type": np.array([1, 2])}, obs, GAME_INFO, spec)
