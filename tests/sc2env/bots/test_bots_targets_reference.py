"""army._targets (compiled, one pass per unit) against the plain [units, enemies] array version,
on every fight of a real bot game, for target priority and for focus fire."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sc2env.bots import army, ids
from sc2env.bots.profiles import profile_for
from sc2env.bots.view import BotView, xy
from sc2env.env import make_env
from sc2env.types import BotPlayer, Difficulty, Race


def reference(p, v, units, reach, dist, in_sight):
    enemy = v.enemy
    klass = np.where(np.isin(enemy["unit_type"], [int(t) for t in ids.STRUCTURES]), 2,
                     np.where(np.isin(enemy["unit_type"], [int(t) for t in ids.WORKERS]), 1, 0))
    limit = (reach.astype(np.float32)[:, None] + enemy["radius"][None, :]) + units["radius"][:, None]
    candidate = in_sight & (dist <= limit + np.float32(0.3))
    rank = np.where(candidate, klass[None, :], 3)
    best_class = candidate & (rank == rank.min(axis=1, keepdims=True))
    tiebreak = (enemy["health"] + enemy["shield"])[None, :] if p.focus_fire else dist
    best = np.argmin(np.where(best_class, tiebreak, np.inf), axis=1)
    return enemy["tag"][best], candidate.any(axis=1)


@pytest.mark.timeout(600)
def test_targets_match_the_array_version_through_a_game():
    focus = profile_for(Difficulty.Harder)
    profiles = [focus, dataclasses.replace(focus, focus_fire=False)]
    env = make_env(backend="embedded", map="Simple64",
                   players=[BotPlayer(Race.Terran, Difficulty.Harder), BotPlayer(Race.Terran, Difficulty.Hard)],
                   step_mul=8, seed=3, game_loop_limit=22 * 60 * 30)
    env.reset()
    checked = picked = 0
    while not env._done:
        for player in (1, 2):
            v = BotView(env.game.observe(player))
            if len(v.army) == 0 or len(v.enemy) == 0:
                continue
            pos, enemy_pos = xy(v.army), xy(v.enemy)
            reach = np.array([army.RANGE.get(int(t), 5.0) for t in v.army["unit_type"]])
            dist = np.hypot(enemy_pos[None, :, 0] - pos[:, None, 0], enemy_pos[None, :, 1] - pos[:, None, 1])
            in_sight = dist < reach[:, None] + 4.0
            for p in profiles:
                tags, has = army._targets(p, v, v.army, reach, dist, in_sight)
                want_tags, want_has = reference(p, v, v.army, reach, dist, in_sight)
                assert np.array_equal(has, want_has)
                assert np.array_equal(tags, want_tags)
                checked += 1
                picked += int(has.sum())
        env.step([])
    assert checked > 100 and picked > 100  # the game had fights with targets in range
