"""units.json is generated from the real game's ResponseData and names its sources."""

from __future__ import annotations

import json

from sc2env.engine.data import generate
from sc2env.engine.gamedata import load_unit_types


def test_checked_in_data_matches_the_generator():
    assert json.loads(generate.OUT.read_text()) == json.loads(json.dumps(generate.build()))


def test_numbers_come_from_game_data_and_name_their_source():
    types = load_unit_types()
    assert "game_data.pb" in types.source and "Liquipedia" in types.source
    marine = types.by_name["Marine"]
    assert types.unit_id[marine] == 48 and types.minerals[marine] == 50 and types.food_required[marine] == 1
    assert types.hit_points[marine] == 45 and types.w_damage[marine] == 6 and types.w_range[marine] == 5
    # Cooldown 0.8608 Normal-speed seconds = 13.77 game loops; speed 2.25/16 cells per loop.
    assert abs(types.w_cooldown[marine] - 0.860839844 * 16) < 1e-6
    assert abs(types.speed[marine] - 2.25 / 16) < 1e-9
    marauder = types.by_name["Marauder"]
    assert types.w_bonus[marauder] == 10 and types.require_attached[marauder]
    for name in ("Zergling", "Baneling", "Roach", "SCV", "CommandCenter", "SiegeTank", "Hellion", "Reaper"):
        assert types.hit_points[types.by_name[name]] > 0, name
    assert types.build_time[types.by_name["Barracks"]] == 1040
    assert types.tech_requirement_unit_id[types.by_name["Barracks"]] == 19  # SupplyDepot
