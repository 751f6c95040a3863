"""Synthetic but well-formed observations, for measuring the policy without a game.

Used by `starleague model` and bench/model_speed.py: a mid-game-sized unit table of
real unit types on a 64x64 map, built on sc2env.types only.
"""

from __future__ import annotations

import numpy as np

from sc2env.types import Alliance, GameInfo, MapPlanes, Observation, PlayerCommon, Race, empty_units

SYNTHETIC_GAME_INFO = GameInfo(
    map_name="Synthetic64",
    map_size=(64, 64),
    playable_min=(4, 4),
    playable_max=(60, 60),
    start_locations=((52.5, 52.5),),
    player_races=(Race.Terran, Race.Zerg),
)
_OWN = (45, 45, 45, 48, 48, 51, 21, 18, 19, 33)  # SCVs, marines, marauder, barracks, CC, depot, tank
_ENEMY = (104, 105, 105, 110, 86, 106)  # drones, zerglings, roach, hatchery, overlord
_NEUTRAL = (341, 341, 342)  # mineral fields, geyser
# Abilities a Terran mid-game would be offered (general ids).
_ABILITIES = np.array([1, 3794, 3795, 3793, 3665, 3674, 3666, 3667, 319, 321, 328, 560, 563, 524, 388], dtype=np.int32)


def synthetic_observation(num_units: int = 100, seed: int = 0, game_info: GameInfo = SYNTHETIC_GAME_INFO) -> Observation:
    rng = np.random.default_rng(seed)
    units = empty_units(num_units)
    groups = [(Alliance.Self, _OWN), (Alliance.Enemy, _ENEMY), (Alliance.Neutral, _NEUTRAL)]
    which = rng.choice(3, size=num_units, p=[0.5, 0.3, 0.2])
    for g, (alliance, types) in enumerate(groups):
        rows = which == g
        units["alliance"][rows] = alliance
        units["unit_type"][rows] = rng.choice(types, size=int(rows.sum()))
    units["tag"] = np.arange(1, num_units + 1, dtype=np.uint64) << np.uint64(20)
    (x0, y0), (x1, y1) = game_info.playable_min, game_info.playable_max
    units["x"] = rng.uniform(x0, x1, num_units)
    units["y"] = rng.uniform(y0, y1, num_units)
    units["health_max"] = 100.0
    units["health"] = rng.uniform(10, 100, num_units)
    units["build_progress"] = 1.0
    units["display_type"] = 1
    units["cloak"] = 3
    units["radius"] = 0.5
    units["order_ability_id"][:, 0] = rng.choice([0, 16, 23, 295], size=num_units)
    w, h = game_info.map_size
    planes = MapPlanes(
        height=rng.integers(0, 255, (h, w), dtype=np.uint8),
        pathable=rng.random((h, w)) > 0.3,
        placeable=rng.random((h, w)) > 0.5,
        visibility=rng.integers(0, 3, (h, w), dtype=np.uint8),
        creep=rng.random((h, w)) > 0.8,
    )
    return Observation(
        game_loop=int(rng.integers(0, 20000)),
        player=PlayerCommon(player_id=1, minerals=400, vespene=100, food_cap=46, food_used=38, food_workers=20, food_army=18),
        units=units,
        map=planes,
        available_abilities=_ABILITIES,
        upgrades=np.array([15], dtype=np.int32),
    )
