"""Shots within one game loop land together: the slot order units are processed in (the
player whose units were made first) never decides who shoots first."""

from __future__ import annotations

import pytest
from engine_testing import ATTACK, HOLD, MARINE, alive, arena, hp, order, run_until

from sc2env.engine import state as S


@pytest.mark.parametrize("first_owner", [1, 2])
def test_two_marines_in_range_kill_each_other_in_the_same_loop(first_owner):
    game = arena(32)
    owners = (first_owner, 3 - first_owner)
    a = game.add_unit(MARINE, owners[0], 10.0, 16.0)  # lower slot: processed first
    b = game.add_unit(MARINE, owners[1], 14.0, 16.0)
    for s in (a, b):
        game.state.fl[S.HP, s] = 6.0  # one Marine shot (6 damage, no armor) kills
    order(game, owners[0], ATTACK, [a], target=b)
    order(game, owners[1], ATTACK, [b], target=a)
    loop = run_until(game, lambda: not alive(game, a) or not alive(game, b), 50)
    assert not alive(game, a) and not alive(game, b), f"only one died at loop {loop}"


def _line_fight(first_owner: int) -> dict[int, tuple[int, float]]:
    """4 Marines a side holding position in mirrored lines within range; (survivors, hp) per player."""
    game = arena(32)
    slots = {1: [], 2: []}
    for owner in (first_owner, 3 - first_owner):
        x = 10.0 if owner == 1 else 15.0
        slots[owner] = [game.add_unit(MARINE, owner, x, 10.0 + 2.0 * k) for k in range(4)]
    for owner in (1, 2):
        order(game, owner, HOLD, slots[owner])
    run_until(game, lambda: not any(alive(game, s) for s in slots[1] + slots[2])
              or game.game_loop > 400, 500)
    return {p: (sum(alive(game, s) for s in slots[p]), sum(max(hp(game, s), 0.0) for s in slots[p] if alive(game, s)))
            for p in (1, 2)}


@pytest.mark.parametrize("first_owner", [1, 2])
def test_mirrored_fight_ends_mirrored_whoever_was_made_first(first_owner):
    result = _line_fight(first_owner)
    assert result[1] == result[2], result
