"""Game.add_units (a mini-game's refill in one go) must leave the game exactly as add_unit called
once per unit in order: same slots, tags, fields, growth of the arrays; and Game.remove_unit's
shortcut (no unit refers to the removed one) must clear exactly what _drop_references clears."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sc2env.engine import state as S
from sc2env.engine.game import Game
from sc2env.types import RawCommand

MARINE, SHARD, DEPOT, SCV, MINERAL = 48, 1680, 19, 45, 341
ATTACK, MOVE = 3674, 3794


def _assert_same(a: Game, b: Game) -> None:
    assert a.state_hash() == b.state_hash()
    for name in ("recycles", "snapshot", "pathable", "placeable"):
        assert np.array_equal(getattr(a.state, name), getattr(b.state, name)), name
    assert a.state.pathing_version == b.state.pathing_version
    assert a._research_total.tobytes() == b._research_total.tobytes()
    assert a.queued_orders.keys() == b.queued_orders.keys() and a.rally == b.rally


def _holed_game() -> Game:
    """A melee game with some dead slots between live ones (reused first, lowest first)."""
    game = Game.melee_game("Simple64", seed=1)
    scvs = game.units(1, SCV)
    for i in (scvs[0], scvs[4], scvs[5], game.units(2, SCV)[3]):
        game.remove_unit(int(i))
    return game


@pytest.mark.parametrize("unit_type,owner,n", [(SHARD, S.NEUTRAL, 20), (MARINE, 1, 5), (MARINE, 2, 0), (MARINE, 1, 2),
                                                (DEPOT, 1, 3),  # structures: footprints, pathing version
                                                (MARINE, 1, 700)])  # more than the free slots: the arrays grow
def test_add_units_equals_add_unit_one_by_one(unit_type, owner, n):
    one_by_one = _holed_game()
    batch = copy.deepcopy(one_by_one)
    rng = np.random.Generator(np.random.PCG64(n))
    xy = rng.uniform(10, 54, (n, 2)).round(0) + 0.5 if unit_type == DEPOT else rng.uniform(10, 54, (n, 2))
    expected = [one_by_one.add_unit(unit_type, owner, float(x), float(y)) for x, y in xy]
    slots = batch.add_units(unit_type, owner, xy[:, 0], xy[:, 1])
    assert slots == expected
    assert all(type(i) is int for i in slots)
    _assert_same(one_by_one, batch)
    assert one_by_one.state.capacity == batch.state.capacity
    if n == 700:
        assert batch.state.capacity > 256
    for _ in range(3):  # and both play on identically
        one_by_one.step(8)
        batch.step(8)
        assert one_by_one.state_hash() == batch.state_hash()


def test_add_units_takes_contents_and_rejects_bad_input():
    one_by_one, batch = _holed_game(), _holed_game()
    xs = [30.0, 32.0, 34.0, 36.0, 38.0]
    for x in xs:
        one_by_one.add_unit(MINERAL, S.NEUTRAL, x, 30.0, contents=900.0)
    batch.add_units(MINERAL, S.NEUTRAL, xs, [30.0] * 5, contents=900.0)
    _assert_same(one_by_one, batch)
    with pytest.raises(S.StateError):
        batch.add_units(999999, 1, [1.0], [1.0])
    with pytest.raises(ValueError):
        batch.add_units(MARINE, 1, [1.0, 2.0, 3.0, 4.0], [1.0])


@pytest.mark.parametrize("referenced", [False, True])
def test_remove_unit_clears_references_as_before(referenced):
    """With a unit attacking the removed one the full _drop_references runs; without, the shortcut."""
    game = Game.melee_game("Simple64", seed=2)
    target = game.add_unit(MARINE, 2, 30.0, 30.0)
    attacker = game.add_unit(MARINE, 1, 28.0, 30.0)
    if referenced:
        game.command(1, RawCommand(ATTACK, (game.tag(attacker),), target_unit_tag=game.tag(target)))
        assert game.state.it[S.TARGET, attacker] == target
    else:
        game.command(1, RawCommand(MOVE, (game.tag(attacker),), target_point=(40.0, 30.0)))
    plain = copy.deepcopy(game)
    game.remove_unit(target)
    plain._drop_references(np.array([target]))  # the definition: drop every reference, then the unit
    plain.state.remove_unit(target)
    _assert_same(game, plain)
    assert game.state.it[S.TARGET, attacker] == -1
    assert game.state.it[S.ORDER, attacker] == (S.IDLE if referenced else S.MOVE)
