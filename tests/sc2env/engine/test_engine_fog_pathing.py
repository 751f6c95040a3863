"""Fog of war, snapshots, pathing around terrain and buildings, no stacking."""

from __future__ import annotations

import numpy as np
from engine_testing import BARRACKS, CC, MARINE, arena, order, positions, run_until

from sc2env.engine import state as S
from sc2env.engine.game import Game
from sc2env.types import Alliance, DisplayType


def test_fog_hides_enemies_and_keeps_structure_snapshots():
    game = Game.melee_game("Simple64", seed=1)
    obs = game.observe(1)
    assert len(obs.enemy_units()) == 0
    assert (obs.map.visibility == 2).sum() > 0 and (obs.map.visibility == 0).sum() > 0
    scv = int(game.units(1, 45)[0])
    enemy_cc = game.map.start_locations[1]
    order(game, 1, 16, [scv], point=(enemy_cc[0] - 4.5, enemy_cc[1] - 4.5))
    run_until(game, lambda: (game.observe(1).enemy_units()['unit_type'] == CC).any(), 3000, chunk=16)
    seen = game.observe(1).enemy_units()
    assert (seen["unit_type"] == CC).any() and (seen["display_type"] == DisplayType.Visible).all()
    order(game, 1, 16, [scv], point=(14.0, 14.0))
    game.step(600)
    obs = game.observe(1)
    enemy = obs.enemy_units()
    assert list(enemy["unit_type"]) == [CC] and enemy["display_type"][0] == DisplayType.Snapshot
    assert (obs.map.visibility == 1).sum() > 0  # fogged cells seen before
    # Player 2 never saw player 1's SCV leave; its own view has no player-1 units now.
    assert (game.observe(2).units["alliance"] == Alliance.Self).sum() == 13


def test_units_path_around_a_wall_of_buildings():
    game = arena(40)
    for y in range(5, 36, 3):
        game.add_unit(BARRACKS, 2 if y == 5 else 1, 20.5, y + 0.5)
    m = game.add_unit(MARINE, 1, 10.0, 20.0)
    order(game, 1, 16, [m], point=(30.0, 20.0))
    path = []
    for _ in range(120):
        game.step(8)
        path.append(game.position(m))
    pts = np.array(path)
    assert np.hypot(*(pts[-1] - (30.0, 20.0))) < 0.2
    cells = game.state.pathable[pts[:, 1].astype(int), pts[:, 0].astype(int)]
    assert cells.all()  # never inside a building
    assert pts[:, 1].max() > 36 or pts[:, 1].min() < 5  # went around the end of the wall


def test_main_base_exit_uses_the_ramp():
    game = Game.melee_game("Simple64", seed=0)
    scv = int(game.units(1, 45)[0])
    order(game, 1, 16, [scv], point=(40.0, 20.0))
    run_until(game, lambda: np.hypot(*(np.array(game.position(scv)) - (40.0, 20.0))) < 0.2, 2000, chunk=8)


def test_units_do_not_stack():
    game = arena(32)
    ms = [game.add_unit(MARINE, 1, 5.0 + 0.3 * (k % 5), 5.0 + 0.3 * (k // 5)) for k in range(20)]
    order(game, 1, 16, ms, point=(20.0, 20.0))
    game.step(400)
    p = positions(game, ms)
    d = np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1])
    d[np.arange(20), np.arange(20)] = 9
    assert d.min() > 0.6  # radius 0.375 each: at most a little overlap
    assert np.hypot(*(p.mean(0) - (20.0, 20.0))) < 2.0
