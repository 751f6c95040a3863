"""Combat numbers against hand computation from the game data.

Marine: 6 damage, cooldown 0.8608 Normal s = 13.77 loops, range 5, 45 hp. Zergling: 5
damage, cooldown 0.696 Normal s = 11.14 loops, melee range 0.1, speed 2.953/16 cells per
loop, 35 hp. A Marine kills a Zergling in ceil(35/6) = 6 shots, i.e. 5 cooldowns
= 68.9 loops (3.07 real s) after its first shot.
"""

from __future__ import annotations

import math

from engine_testing import (ATTACK, HELLION, MARAUDER, MARINE, ROACH, TANK, ZERGLING, BANELING, alive, arena, hp,
                            order, run_until)

from sc2env.engine import state as S
from sc2env.engine.gamedata import load_unit_types

T = load_unit_types()


def cooldown(name):
    return T.w_cooldown[T.by_name[name]]


def test_marine_beats_zergling_with_hand_computed_time_to_kill():
    game = arena(32)
    m = game.add_unit(MARINE, 1, 10.0, 16.0)
    z = game.add_unit(ZERGLING, 2, 14.0, 16.0)
    order(game, 1, ATTACK, [m], target=z)
    order(game, 2, ATTACK, [z], target=m)
    first = run_until(game, lambda: hp(game, z) < 35)
    dead = run_until(game, lambda: not alive(game, z))
    expected = 5 * cooldown("Marine")
    assert abs((dead - first) - expected) <= 1.5, (dead - first, expected)
    # The Zergling closes 4 - 0.75 - 0.1 cells at 2.953/16 per loop, then hits every 11.14 loops.
    approach = (4 - 0.75 - 0.1) / T.speed[T.by_name["Zergling"]]
    hits = 1 + math.floor((dead - approach) / cooldown("Zergling"))
    assert alive(game, m)
    assert abs((45 - hp(game, m)) - 5 * hits) <= 5, (hp(game, m), hits)


def _first_hit(attacker, victim, upgrade=0):
    game = arena(32)
    a = game.add_unit(attacker, 1, 10.0, 16.0)
    v = game.add_unit(victim, 2, 13.0, 16.0)
    game.state.pl[S.P_WEAPONS, 1] = upgrade
    order(game, 1, ATTACK, [a], target=v)
    start = hp(game, v)
    run_until(game, lambda: hp(game, v) < start, 200)
    return start - hp(game, v)


def test_armor_bonus_and_upgrade_damage():
    assert _first_hit(MARINE, ZERGLING) == 6
    assert _first_hit(MARINE, MARAUDER) == 6 - 1  # armor 1
    assert _first_hit(MARAUDER, ROACH) == 10 + 10 - 1  # +10 vs Armored, Roach armor 1
    assert _first_hit(MARAUDER, ZERGLING) == 10  # no bonus vs Light
    assert _first_hit(HELLION, ZERGLING) == 8 + 6  # +6 vs Light
    assert _first_hit(TANK, ROACH) == 15 + 10 - 1
    assert _first_hit(MARINE, ZERGLING, upgrade=1) == 7  # Infantry Weapons Level 1


def test_baneling_splash_kills_clumped_marines_and_dies():
    game = arena(32)
    marines = [game.add_unit(MARINE, 1, 12.0 + 0.8 * k, 16.0) for k in range(4)]
    for m in marines:
        game.state.fl[S.HP, m] = 30
    b = game.add_unit(BANELING, 2, 16.0, 16.0)
    game.state.fl[S.HP, b] = 1000  # reach the clump despite the Marines' fire
    order(game, 2, ATTACK, [b], target=marines[-1])
    run_until(game, lambda: not alive(game, b), 200)
    assert sum(alive(game, m) for m in marines) == 0  # 16 + 19 vs Light = 35 > 30


def test_idle_units_defend_and_dead_units_free_their_slot():
    game = arena(32)
    marines = [game.add_unit(MARINE, 1, 8.0, 14.0 + k) for k in range(3)]
    lings = [game.add_unit(ZERGLING, 2, 20.0, 14.0 + k) for k in range(2)]
    order(game, 2, ATTACK, lings, point=(8.0, 15.0))
    run_until(game, lambda: not any(alive(game, z) for z in lings), 600, chunk=4)
    assert sum(alive(game, m) for m in marines) >= 2
    events = [d for d in game.step_events.deaths]
    assert all(d[0] == ZERGLING for d in events)
