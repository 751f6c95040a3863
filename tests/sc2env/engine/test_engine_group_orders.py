"""Group orders (one Move / Attack / Hold / Stop for many units) take a vectorised path in
sc2env.engine.commands (one numba call, _group_command; else _owned_slots + _group_order); each
must leave exactly the state and errors of the per-unit path."""

from __future__ import annotations

import numpy as np
import pytest

from sc2env.engine import commands as C
from sc2env.engine.game import Game
from sc2env.types import RawCommand

MOVE, ATTACK, STOP, HOLD, ATTACK_GENERAL, MOVE_GENERAL = 16, 23, 4, 18, 3674, 3794


def _mid_game(seed: int) -> Game:
    """A melee game a few hundred loops in: workers mining, a structure, queued orders."""
    game = Game.melee_game("Simple64", seed=seed, game_loop_limit=0)
    game.step(400)
    return game


def _commands(game: Game, rng: np.random.Generator) -> list[RawCommand]:
    own = [int(game.state.tags[i]) for i in game.units(1)]
    enemy = [int(game.state.tags[i]) for i in game.units(2)]
    cmds = []
    for _ in range(40):
        k = int(rng.integers(2, 9))
        tags = list(rng.choice(own, size=k, replace=True))  # duplicates and the CommandCenter included
        if rng.random() < 0.1:
            tags.append(enemy[0])  # not ours: the per-unit error path
        ability = int(rng.choice([MOVE, ATTACK, STOP, HOLD, ATTACK_GENERAL, MOVE_GENERAL]))
        point = None if ability in (STOP, HOLD) and rng.random() < 0.5 else (
            float(rng.uniform(-5, 70)), float(rng.uniform(-5, 70)))  # some points off the map
        cmds.append(RawCommand(ability, tuple(tags), target_point=point, queued=bool(rng.random() < 0.15)))
    return cmds


def _play(monkeypatch, seed: int, vectorised: bool, one_call: bool = True):
    with monkeypatch.context() as m:
        if not vectorised or not one_call:
            m.setattr(C, "_group_command", lambda *a: None)
        if not vectorised:
            m.setattr(C, "_group_order", lambda *a: None)
            m.setattr(C, "_owned_slots", lambda *a: None)
        game = _mid_game(seed)
        rng = np.random.Generator(np.random.PCG64(seed))
        errors, hashes = [], []
        for _ in range(6):
            for cmd in _commands(game, rng):
                errors.append([(e.unit_tag, e.ability_id, e.result, e.reason) for e in game.command(1, cmd)])
            hashes.append(game.state_hash())
            game.step(8)
        queued = {i: [(c.ability_id, c.target_point) for c in q] for i, q in game.queued_orders.items()}
        return errors, hashes, queued


@pytest.mark.parametrize("seed", [1, 2])
def test_group_orders_match_per_unit_orders(monkeypatch, seed):
    slow = _play(monkeypatch, seed, vectorised=False)
    assert sum(len(e) for e in slow[0]) > 0  # the commands did produce errors to compare
    for fast in (_play(monkeypatch, seed, vectorised=True), _play(monkeypatch, seed, vectorised=True, one_call=False)):
        assert fast[0] == slow[0]
        assert fast[1] == slow[1]
        assert fast[2] == slow[2]


def test_one_call_group_path_is_taken():
    """The common group order goes through CK.group_command (else the test above compares nothing new)."""
    game = _mid_game(3)
    slots = game.units(1, 45)
    scvs = tuple(int(game.state.tags[i]) for i in slots[:4])
    here = game.position(int(slots[0]))  # a pathable point
    assert C._group_command(game, 1, RawCommand(MOVE, scvs, target_point=here)) == []
    assert C._group_command(game, 1, RawCommand(MOVE, scvs, target_point=here, queued=True)) is None
