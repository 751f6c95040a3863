"""Which enemy a bot's unit shoots: among those in range, fighting units before workers before
structures; the nearest one (target priority) or the weakest one (focus fire)."""

from __future__ import annotations

import dataclasses

import numpy as np

from sc2env.bots import army
from sc2env.bots.profiles import profile_for
from sc2env.bots.view import BotView, xy
from sc2env.engine import state as S
from sc2env.engine.game import Game
from sc2env.engine.maps import flat_map
from sc2env.types import Difficulty

SCV, MARINE, DEPOT = 45, 48, 19


def _targets(profile, enemies):
    """One marine of ours at (20, 20) against `enemies` [(type, x, y, hp)]: the tag it picks."""
    game = Game(flat_map("TestArena", 40, 40), seed=0, melee=False, game_loop_limit=0)
    game.add_unit(MARINE, 1, 20.0, 20.0)
    slots = {}
    for name, (unit_type, x, y, hp) in enemies.items():
        slots[name] = game.add_unit(unit_type, 2, x, y)
        game.state.fl[S.HP, slots[name]] = hp
    game._update_visibility()  # what our marine sees, without a game step (no shots fired)
    v = BotView(game.observe(1))
    pos = xy(v.army)
    dist = np.hypot(xy(v.enemy)[None, :, 0] - pos[:, None, 0], xy(v.enemy)[None, :, 1] - pos[:, None, 1])
    reach = np.array([army.RANGE[MARINE]])
    tags, has = army._targets(profile, v, v.army, reach, dist, dist < reach[:, None] + 4.0)
    names = {game.tag(slot): name for name, slot in slots.items()}
    return names[int(tags[0])] if has[0] else None


def test_fighting_units_first_then_nearest_or_weakest():
    focus = profile_for(Difficulty.MediumHard)
    nearest = dataclasses.replace(focus, focus_fire=False)
    enemies = {
        "worker_close_and_hurt": (SCV, 22.0, 20.0, 5.0),
        "marine_near": (MARINE, 23.5, 20.0, 45.0),
        "marine_hurt": (MARINE, 20.0, 25.2, 20.0),
        "marine_out_of_range": (MARINE, 20.0, 11.0, 1.0),  # in sight (range + 4), not in range
    }
    assert _targets(focus, enemies) == "marine_hurt"
    assert _targets(nearest, enemies) == "marine_near"
    # Only workers and structures in range: the worker before the structure.
    assert _targets(focus, {"depot": (DEPOT, 22.5, 20.0, 10.0), "worker": (SCV, 17.0, 20.0, 45.0)}) == "worker"
    # Nothing in range, or nothing at all: no pick (the attack-move acquires targets).
    assert _targets(focus, {"far": (MARINE, 28.0, 20.0, 45.0)}) is None
    assert _targets(focus, {}) is None
