"""Economy: SCV mining rate, saturation, gas trips, supply.

Reference: Liquipedia "Mining" (LotV, Faster, real time): about 55-60 minerals per real
minute per worker on a close patch with 1-2 workers per patch (a trip every ~5 s for 5
minerals), a third worker per patch adds much less. 1 real minute = 1344 game loops
(22.4 per second), i.e. about 40-43 minerals per Normal-speed game minute (960 loops).
"""

from __future__ import annotations

import numpy as np
from engine_testing import CC, GATHER, GEYSER, MINERAL, REFINERY, SCV, arena, order

from sc2env.engine import state as S

REAL_MINUTE = 1344


def _mine(n_workers: int, n_patches: int = 1, loops: int = 2 * REAL_MINUTE) -> float:
    game = arena(40)
    game.add_unit(CC, 1, 20.5, 20.5)
    patches = [game.add_unit(MINERAL, 16, 13.0, 17.0 + 2.0 * k, contents=1800) for k in range(n_patches)]
    workers = [game.add_unit(SCV, 1, 16.0, 18.0 + 0.5 * k) for k in range(n_workers)]
    for k, w in enumerate(workers):
        order(game, 1, GATHER, [w], target=patches[k % n_patches])
    game.step(REAL_MINUTE // 2)  # warm up: first trips
    before = game.state.pl[S.P_MINERALS, 1]
    game.step(loops)
    return (game.state.pl[S.P_MINERALS, 1] - before) / (loops / REAL_MINUTE)


def test_one_scv_mines_about_sixty_per_real_minute():
    rate = _mine(1)
    assert 50 <= rate <= 70, rate


def test_two_per_patch_doubles_third_adds_little():
    one, two, three = _mine(1), _mine(2), _mine(3)
    assert 1.8 * one <= two <= 2.05 * one, (one, two)
    assert two <= three < 1.35 * two, (two, three)  # close patch: the third worker mostly waits


def test_gas_trips_bring_four_and_refinery_needs_finishing():
    game = arena(40)
    game.add_unit(CC, 1, 20.5, 20.5)
    ref = game.add_unit(REFINERY, 1, 13.5, 20.5, contents=2250)
    workers = [game.add_unit(SCV, 1, 16.0, 18.0 + k) for k in range(3)]
    order(game, 1, GATHER, workers, target=ref)
    game.step(REAL_MINUTE)
    gas = game.state.pl[S.P_VESPENE, 1]
    assert gas > 0 and gas % 4 == 0
    assert game.state.fl[S.CONTENTS, ref] == 2250 - game.state.pl[S.P_MINED_GAS, 1] - 4 * (
        game.state.it[S.CARRY, workers] > 0).sum()
    # An unfinished refinery cannot be mined.
    other = game.add_unit(REFINERY, 1, 27.5, 20.5, built=False, contents=2250)
    errors = order(game, 1, GATHER, [workers[0]], target=other)
    assert errors and errors[0].result == 89  # MustTargetResources


def test_supply_counts_units_and_queued_units():
    game = arena(40)
    cc = game.add_unit(CC, 1, 20.5, 20.5)
    for k in range(3):
        game.add_unit(SCV, 1, 16.0, 18.0 + k)
    game.state.pl[S.P_MINERALS, 1] = 1000
    game.step(1)
    obs = game.observe(1)
    assert (obs.player.food_used, obs.player.food_cap) == (3, 15)
    assert order(game, 1, 524, [cc]) == []
    game.step(1)
    assert game.observe(1).player.food_used == 4
    assert game.state.pl[S.P_MINERALS, 1] == 950
    game.step(272)
    obs = game.observe(1)
    assert (obs.own_units()["unit_type"] == SCV).sum() == 4
    assert np.isclose(obs.player.food_used, 4)
