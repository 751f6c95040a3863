"""The bots' placement answers many footprints at once; each answer must equal the plain
one-footprint-at-a-time check it replaced, and a spot it returns must really be free."""

from __future__ import annotations

import numpy as np
import pytest

from sc2env.bots import placement
from sc2env.engine.game import Game
from sc2env.types import empty_units

BARRACKS = 21


def _one_footprint_free(placeable: np.ndarray, cx: float, cy: float, side: int) -> bool:
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    h, w = placeable.shape
    if x0 < 0 or y0 < 0 or x0 + side > w or y0 + side > h:
        return False
    return bool(placeable[y0:y0 + side, x0:x0 + side].all())


def _one_footprint_clear(units: np.ndarray, cx: float, cy: float, half: float, margin: float) -> bool:
    for u in units:
        reach = half + float(u["radius"]) + margin
        if abs(float(u["x"]) - cx) < reach and abs(float(u["y"]) - cy) < reach:
            return False
    return True


def _random_units(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    units = empty_units(n)
    units["x"] = rng.uniform(0, size, n)
    units["y"] = rng.uniform(0, size, n)
    units["radius"] = rng.choice([0.375, 0.5, 1.0, 1.8125, 2.5], n)
    return units


@pytest.mark.parametrize("side", [2, 3, 5])
def test_many_footprints_at_once_match_one_at_a_time(side):
    rng = np.random.default_rng(side)
    placeable = rng.random((40, 48)) < 0.9  # rows are y, columns x; not square on purpose
    units = _random_units(rng, 30, 40)
    cx, cy = placement.footprint_center(rng.uniform(-3, 51, 500), rng.uniform(-3, 43, 500), side)
    free = placement.free_footprints(placeable, cx, cy, side)
    clear = placement.clear_of_units(units, cx, cy, side / 2, 1.0)
    assert free.any() and not free.all() and clear.any() and not clear.all()
    for k in range(len(cx)):
        assert free[k] == _one_footprint_free(placeable, cx[k], cy[k], side)
        assert clear[k] == _one_footprint_clear(units, cx[k], cy[k], side / 2, 1.0)
    assert placement.clear_of_units(empty_units(0), cx, cy, 1.5, 1.0).all()


def test_found_spot_is_free_and_a_rejected_spot_is_skipped():
    game = Game.melee_game("Simple64", seed=0)
    placeable = np.asarray(game.state.placeable, bool)
    units = game.observe(1).units
    resources = units[np.isin(units["unit_type"], [341, 483, 342])]
    blockers = units[units["alliance"] == 1]
    home = (14.5, 14.5)
    spot = placement.find_spot(BARRACKS, home, placeable, blockers, resources, np.random.default_rng(0), set())
    assert spot is not None
    assert _one_footprint_free(placeable, *spot, 3) and _one_footprint_clear(blockers, *spot, 1.5, 1.0)
    assert _one_footprint_clear(resources, *spot, 1.5, 2.5)
    for ax, ay in placement.addon_spots(*spot):
        assert _one_footprint_free(placeable, ax, ay, 2)
    # The same draw with that spot marked bad gives another spot.
    other = placement.find_spot(BARRACKS, home, placeable, blockers, resources, np.random.default_rng(0), {spot})
    assert other is not None and other != spot
    # Nowhere to build: no spot, not an exception.
    assert placement.find_spot(BARRACKS, home, np.zeros_like(placeable), blockers, resources,
                               np.random.default_rng(0), set()) is None
