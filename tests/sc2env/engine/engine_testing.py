"""Helpers shared by the engine tests: small games on open maps, unit lookups."""

from __future__ import annotations

import numpy as np

from sc2env.engine import state as S
from sc2env.engine.game import Game
from sc2env.engine.maps import flat_map
from sc2env.types import RawCommand

SCV, MARINE, MARAUDER, REAPER, HELLION, TANK = 45, 48, 51, 49, 53, 33
ZERGLING, BANELING, ROACH = 105, 9, 110
CC, DEPOT, REFINERY, BARRACKS, EBAY, FACTORY, TECHLAB = 18, 19, 20, 21, 22, 27, 37
MINERAL, GEYSER = 341, 342
MOVE, ATTACK, STOP, HOLD, GATHER, RETURN, SMART = 16, 23, 4, 18, 295, 296, 1


def arena(size: int = 32, seed: int = 0, melee: bool = False) -> Game:
    """An open map with nothing on it (melee=False: no victory rule, no start units)."""
    return Game(flat_map("TestArena", size, size), seed=seed, melee=melee, game_loop_limit=0)


def tag(game: Game, slot: int) -> int:
    return game.tag(slot)


def hp(game: Game, slot: int) -> float:
    return float(game.state.fl[S.HP, slot])


def alive(game: Game, slot: int) -> bool:
    return bool(game.state.it[S.ALIVE, slot] == 1)


def order(game: Game, player: int, ability: int, slots, point=None, target=None, queued=False):
    return game.command(player, RawCommand(ability, tuple(game.tag(s) for s in slots),
                                           target_point=point,
                                           target_unit_tag=None if target is None else game.tag(target),
                                           queued=queued))


def run_until(game: Game, cond, max_loops: int = 5000, chunk: int = 1) -> int:
    for _ in range(max_loops // chunk):
        if cond():
            return game.game_loop
        game.step(chunk)
    raise AssertionError(f"condition not met within {max_loops} loops")


def give(game: Game, player: int, minerals: int = 0, vespene: int = 0) -> None:
    game.state.pl[S.P_MINERALS, player] = minerals
    game.state.pl[S.P_VESPENE, player] = vespene


def positions(game: Game, slots) -> np.ndarray:
    return np.array([game.position(s) for s in slots])
