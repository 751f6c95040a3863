"""What every pysc2 mini-game shares: a 64x64 open arena, one agent, a time limit in game seconds.

Rules follow pysc2's docs/mini_games.md. Time limits there are in game seconds; the map
triggers count Normal-speed game seconds, 16 game loops each (so MoveToBeacon's 120 s
is 1920 loops, 240 agent steps at step_mul 8, as in pysc2).
"""

from __future__ import annotations

import numpy as np

from sc2env.engine.maps import MapSpec, flat_map
from sc2env.engine.minigames import reward_kernel as RK
from sc2env.engine.minigames.layout import MAP_SIZE
from sc2env.engine.scenario import Scenario
from sc2env.engine.state import X, Y

LOOPS_PER_GAME_SECOND = 16
AGENT, ENEMY, NEUTRAL = 1, 2, 16


class UnitType:
    """SC2 UnitTypeIds the mini-games place (game_data.pb; shard: Liberty mod, see below)."""

    SCV = 45
    Marine = 48
    CommandCenter = 18
    MineralField = 341
    MineralField750 = 483
    VespeneGeyser = 342
    Zergling = 105
    Baneling = 9
    Roach = 110
    Beacon = 317  # Beacon_Terran, the neutral marker of MoveToBeacon
    # The Liberty (campaign) mod's mineral shard, as the real map reports it; not in the
    # melee game data, the engine adds it as a neutral marker.
    MineralShard = 1680


class MiniGame(Scenario):
    """Base of the seven mini-games: one agent (player 1) on a 64x64 open arena."""

    time_limit_seconds: int = 120
    fog_of_war: bool = False
    agent_players = (AGENT,)

    @property
    def game_loop_limit(self) -> int:  # type: ignore[override]
        return self.time_limit_seconds * LOOPS_PER_GAME_SECOND

    def make_map(self) -> MapSpec:
        return flat_map(self.name, MAP_SIZE, MAP_SIZE)

    # -- small readers over the engine's Game ---------------------------------------
    @staticmethod
    def slots(game, owner: int, unit_type: int) -> np.ndarray:
        return np.asarray(game.units(owner, unit_type), dtype=np.int64)

    @staticmethod
    def count(game, owner: int, unit_type: int) -> int:
        """len(slots(...)) in one numba call (the rules ask every step; the slots only on a respawn)."""
        return RK.count_units(game.state.it, owner, game.types.index.get(unit_type, -2))

    @staticmethod
    def nearest_distance(game, owner: int, unit_type: int, x: float, y: float) -> tuple[int, float]:
        """(count, smallest distance from one of those units to (x, y), inf if none)."""
        return RK.nearest_distance(game.state.fl, game.state.it, owner, game.types.index.get(unit_type, -2),
                                   float(x), float(y))

    @staticmethod
    def positions(game, slots: np.ndarray) -> np.ndarray:
        if len(slots) == 0:
            return np.zeros((0, 2))
        fl = game.state.fl  # one slice per axis instead of a Python call per unit
        return np.stack((fl[X, slots], fl[Y, slots]), axis=1)

    @staticmethod
    def place(game, unit_type: int, owner: int, points: np.ndarray) -> list[int]:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return game.add_units(unit_type, owner, points[:, 0], points[:, 1])  # as add_unit per point, in order

    @staticmethod
    def teleport(game, slot: int, x: float, y: float) -> None:
        """Move a unit and clear its orders (wave resets), through the engine's Game.teleport."""
        game.teleport(slot, x, y)

    @staticmethod
    def deaths(events, owner: int, unit_type: int) -> int:
        return sum(1 for (t, o, _slot, _tag) in events.deaths if t == unit_type and o == owner)
