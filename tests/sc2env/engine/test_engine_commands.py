"""Illegal commands are rejected with SC2 ActionResults and never crash the game."""

from __future__ import annotations

import numpy as np
from engine_testing import CC, MARINE, MINERAL, SCV, ZERGLING, arena

from sc2env.engine.commands import ActionResult
from sc2env.engine.game import Game
from sc2env.types import RawCommand


def test_rejections_carry_result_and_reason_into_the_next_observation():
    game = arena(32)
    m = game.add_unit(MARINE, 1, 10.0, 10.0)
    z = game.add_unit(ZERGLING, 2, 20.0, 20.0)
    mineral = game.add_unit(MINERAL, 16, 5.0, 25.0, contents=100)
    cases = [
        (RawCommand(99999, (game.tag(m),)), "NotSupported"),  # unknown ability
        (RawCommand(16, (game.tag(z),), target_point=(5.0, 5.0)), "YouCantControlThatUnit"),
        (RawCommand(16, (123456789,), target_point=(5.0, 5.0)), "CantTargetThatUnit"),  # no such unit
        (RawCommand(16, (game.tag(m),), target_point=(-4.0, 50.0)), "CouldntReachTarget"),  # off the map
        (RawCommand(23, (game.tag(m),), target_unit_tag=game.tag(mineral)), "CantTargetThatUnit"),
        (RawCommand(295, (game.tag(m),), target_unit_tag=game.tag(mineral)), "NotSupported"),
        (RawCommand(524, (game.tag(m),)), "NotSupported"),
        (RawCommand(16, ()), "Error"),
    ]
    for cmd, name in cases:
        errors = game.command(1, cmd)
        assert [e.result for e in errors] == [ActionResult[name]], (cmd, errors)
        assert errors[0].reason
    obs = game.observe(1)
    assert len(obs.action_errors) == len(cases)
    assert game.observe(1).action_errors == []  # reported once


def test_random_garbage_commands_never_crash():
    game = Game.melee_game("Simple64", seed=3)
    rng = np.random.default_rng(0)
    tags = [int(t) for t in game.observe(1).units["tag"]] + [0, 2**63, 77]
    abilities = [1, 4, 16, 18, 23, 195, 203, 295, 296, 318, 319, 320, 321, 322, 328, 421, 422, 524, 560, 563, 652,
                 3674, 3794, 3666, -5, 0, 10**9]
    for step in range(60):
        cmds = []
        for _ in range(5):
            point = None
            target = None
            r = rng.random()
            if r < 0.4:
                point = (float(rng.uniform(-10, 80)), float(rng.uniform(-10, 80)))
            elif r < 0.7:
                target = int(rng.choice(tags))
            cmds.append(RawCommand(int(rng.choice(abilities)), tuple(int(t) for t in rng.choice(tags, 3)),
                                   target_point=point, target_unit_tag=target, queued=bool(rng.random() < 0.3)))
        game.apply_commands(1, cmds)
        game.apply_commands(2, cmds)
        game.step(8)
        game.observe(1), game.observe(2)
    assert game.game_loop == 480


def test_queued_orders_run_in_sequence():
    game = arena(32)
    m = game.add_unit(MARINE, 1, 5.0, 5.0)
    game.command(1, RawCommand(16, (game.tag(m),), target_point=(10.0, 5.0)))
    game.command(1, RawCommand(16, (game.tag(m),), target_point=(10.0, 10.0), queued=True))
    obs = game.observe(1)
    assert obs.own_units()["order_count"][0] == 2
    game.step(200)
    x, y = game.position(m)
    assert abs(x - 10.0) < 0.1 and abs(y - 10.0) < 0.1
