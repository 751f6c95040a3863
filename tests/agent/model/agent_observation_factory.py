"""Hand-built Observations for the agent's tests (written against sc2env.types only)."""

from __future__ import annotations

import numpy as np

from sc2env.types import Alliance, GameInfo, MapPlanes, Observation, PlayerCommon, Race, empty_units

GAME_INFO = GameInfo(
    map_name="Test64",
    map_size=(64, 64),
    playable_min=(8, 8),
    playable_max=(56, 56),
    start_locations=((48.5, 48.5),),
    player_races=(Race.Terran, Race.Zerg),
)

SCV, MARINE, BARRACKS, COMMAND_CENTER, SUPPLY_DEPOT = 45, 48, 21, 18, 19
ZERGLING, DRONE, HATCHERY, MINERAL_FIELD, VESPENE_GEYSER = 105, 104, 86, 341, 342
UNKNOWN_UNIT_TYPE = 99999

# Abilities the game would offer a Terran with an SCV, a marine and a barracks.
TERRAN_ABILITIES = np.array([1, 3794, 3795, 3793, 3665, 3674, 3666, 3667, 319, 321, 560, 524], dtype=np.int32)


def make_units(rows: list[tuple[int, int, float, float]], rng: np.random.Generator) -> np.ndarray:
    """rows: (unit_type, alliance, x, y) -> a unit table with plausible stats."""
    units = empty_units(len(rows))
    for i, (unit_type, alliance, x, y) in enumerate(rows):
        units[i]["tag"] = 1000 + i
        units[i]["unit_type"] = unit_type
        units[i]["alliance"] = alliance
        units[i]["owner"] = {Alliance.Self: 1, Alliance.Enemy: 2}.get(alliance, 16)
        units[i]["display_type"] = 1
        units[i]["cloak"] = 3
        units[i]["x"], units[i]["y"] = x, y
        units[i]["health_max"] = 45.0
        units[i]["health"] = 45.0 * rng.uniform(0.2, 1.0)
        units[i]["build_progress"] = 1.0
        units[i]["radius"] = 0.5
        units[i]["facing"] = rng.uniform(0, 6.28)
    return units


def make_observation(
    seed: int = 0,
    num_own: int = 6,
    num_enemy: int = 4,
    num_neutral: int = 4,
    extra_rows: tuple[tuple[int, int, float, float], ...] = (),
    abilities: np.ndarray = TERRAN_ABILITIES,
    upgrades: tuple[int, ...] = (),
    with_opponent: bool = False,
) -> Observation:
    rng = np.random.default_rng(seed)
    own_types = [SCV, MARINE, BARRACKS, COMMAND_CENTER, SUPPLY_DEPOT]
    rows = [(own_types[i % len(own_types)], Alliance.Self, *rng.uniform(8, 56, 2)) for i in range(num_own)]
    rows += [(ZERGLING if i % 2 else DRONE, Alliance.Enemy, *rng.uniform(8, 56, 2)) for i in range(num_enemy)]
    rows += [(MINERAL_FIELD if i % 2 else VESPENE_GEYSER, Alliance.Neutral, *rng.uniform(8, 56, 2)) for i in range(num_neutral)]
    rows += list(extra_rows)
    units = make_units(rows, rng)
    if len(units):
        units["order_ability_id"][0, 0] = 16  # a specific Move id: maps to move via the remap
        units["order_count"][0] = 1
    planes = MapPlanes(
        height=rng.integers(0, 255, (64, 64), dtype=np.uint8),
        pathable=rng.random((64, 64)) > 0.3,
        placeable=rng.random((64, 64)) > 0.5,
        visibility=rng.integers(0, 3, (64, 64), dtype=np.uint8),
        creep=np.zeros((64, 64), dtype=bool),
    )
    obs = Observation(
        game_loop=int(rng.integers(0, 5000)),
        player=PlayerCommon(player_id=1, minerals=int(rng.integers(0, 800)), vespene=50, food_cap=15, food_used=12, food_workers=12),
        units=units,
        map=planes,
        available_abilities=abilities,
        upgrades=np.array(upgrades, dtype=np.int32),
    )
    if with_opponent:
        obs.opponent = make_observation(seed + 1000, num_own=num_enemy, num_enemy=num_own, num_neutral=num_neutral)
    return obs
