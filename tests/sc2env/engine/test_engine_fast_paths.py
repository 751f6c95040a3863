"""The engine's fast paths give exactly what the plain definitions give.

Each fast path (a summed-area lookup for line of sight, per-owner target lists with a
square-root-free reject, one kernel call per observation, numba reward rules) is checked
here against a straightforward Python version of the same rule, on real game states.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from sc2env.engine import kernel as K
from sc2env.engine import state as S
from sc2env.engine.game import Game
from sc2env.engine.minigames import reward_kernel as RK
from sc2env.engine.observe import unit_table
from sc2env.engine.pathing import _line_clear, blocked_table
from sc2env.types import RawCommand

ARMY = (48, 51, 53, 33)  # Marine, Marauder, Hellion, SiegeTank


def _battle(seed: int = 5) -> Game:
    """Two armies fighting at the centre of Simple64, structures standing (blocked cells)."""
    game = Game.melee_game("Simple64", seed=seed, game_loop_limit=0)
    game.melee = False
    rng = np.random.Generator(np.random.PCG64(seed))
    for p, (sx, sy) in ((1, (26.0, 30.0)), (2, (38.0, 34.0))):
        for k in range(40):
            x, y = sx + rng.uniform(-5, 5), sy + rng.uniform(-5, 5)
            if game.state.pathable[int(y), int(x)]:
                game.add_unit(ARMY[k % 4], p, x, y)
    for p in (1, 2):
        army = [game.tag(i) for i in game.units(p) if game.tf[K.T_SPEED, game.state.it[S.TYPE, i]] > 0]
        game.command(p, RawCommand(23, tuple(army), target_point=game.map.start_locations[2 - p]))
    game.step(40)
    return game


def _point_free_reference(pathable, x, y) -> bool:
    """A point is free when its cell is pathable, or, exactly on a cell border, a cell it touches is."""
    h, w = pathable.shape

    def cell_free(cx, cy):
        return 0 <= cx < w and 0 <= cy < h and pathable[cy, cx] != 0

    cx, cy = math.floor(x), math.floor(y)
    xs = [cx, cx - 1] if cx == x else [cx]
    ys = [cy, cy - 1] if cy == y else [cy]
    return any(cell_free(a, b) for a in xs for b in ys)


def _crossed_cell_free_reference(pathable, xa, ya, xb, yb) -> bool:
    """Two samples strictly inside diagonal cells: the cell the segment passes through between
    them (where it crosses the column border: below or above the row border) is pathable."""
    ax, ay, bx, by = math.floor(xa), math.floor(ya), math.floor(xb), math.floor(yb)
    if ax == bx or ay == by or xa == ax or ya == ay or xb == bx or yb == by:
        return True
    border = max(ax, bx)
    yc = ya + (yb - ya) * (border - xa) / (xb - xa)
    if yc == math.floor(yc):
        return True  # through the corner: a point on borders, free by the rule above
    cell = (bx, ay) if math.floor(yc) == ay else (ax, by)
    h, w = pathable.shape
    return 0 <= cell[0] < w and 0 <= cell[1] < h and pathable[cell[1], cell[0]] != 0


def _line_clear_reference(pathable, x0, y0, x1, y1) -> bool:
    """The definition: every sample x0 + dx * k / n (k = 1..n-1) is a free point (see above),
    and so is the cell the segment crosses between two samples in diagonal cells."""
    dx, dy = x1 - x0, y1 - y0
    n = int(math.sqrt(dx * dx + dy * dy) * 2.0) + 1
    samples = [(x0 + dx * k / n, y0 + dy * k / n) for k in range(1, n)]
    return (all(_point_free_reference(pathable, x, y) for x, y in samples)
            and all(_crossed_cell_free_reference(pathable, *a, *b) for a, b in zip(samples, samples[1:])))


def test_line_across_a_blocked_corner_is_not_clear():
    """Samples 0.5 apart can step from one cell to the diagonal one past a blocked cell's
    corner. Such a line was clear, so an SCV sent to build behind a mineral line walked
    along it, was stopped at the blocked cell, turned back onto the grid path, and was sent
    along the line again, for 2,000+ game loops (a Harder bot's fourth barracks never came)."""
    pathable = np.ones((8, 8), np.uint8)
    pathable[4, 3] = 0  # the blocked cell; the segment clips its lower-right corner
    table = blocked_table(pathable)
    segment = (4.42, 4.43, 1.2, 1.7)  # samples in cells (4, 4) then (3, 3): past (3, 4)
    assert not _line_clear(pathable, table, *segment)
    pathable[4, 3] = 1
    assert _line_clear(pathable, blocked_table(pathable), *segment)


def test_line_clear_matches_sampling_definition():
    game = Game.melee_game("Simple64", seed=2)
    game.step(8)
    pathable = game.state.pathable
    table = blocked_table(pathable)
    rng = np.random.Generator(np.random.PCG64(0))
    h, w = pathable.shape
    clear = 0
    for k in range(4000):
        if k % 4 == 0:  # cell borders and centres, where rounding decides
            x0, y0, x1, y1 = (rng.integers(-2, w + 2, 4) / 2.0).tolist()
        else:
            x0, y0, x1, y1 = rng.uniform(-3, w + 3, 4).tolist()
        expected = _line_clear_reference(pathable, x0, y0, x1, y1)
        assert _line_clear(pathable, table, x0, y0, x1, y1) == expected, (x0, y0, x1, y1)
        clear += expected
    assert 100 < clear < 3900  # both answers were exercised


def _acquire_reference(game: Game, i: int, radius: float) -> int:
    """Every enemy in the scanned buckets (positions as hashed), best (priority + gap, slot)."""
    st, tf, ti = game.state, game.tf, game.ti
    fl, it = st.fl, st.it
    h, w = st.pathable.shape
    nbx, nby = int(np.ceil(w / K.BUCKET)), int(np.ceil(h / K.BUCKET))
    reach = radius + 3.5
    bx0, bx1 = max(int((fl[S.X, i] - reach) / K.BUCKET), 0), min(int((fl[S.X, i] + reach) / K.BUCKET), nbx - 1)
    by0, by1 = max(int((fl[S.Y, i] - reach) / K.BUCKET), 0), min(int((fl[S.Y, i] + reach) / K.BUCKET), nby - 1)
    best, best_key = -1, None
    for j in range(st.capacity):
        if not K._can_target(it, ti, tf, i, j):
            continue
        bx = min(max(int(fl[S.X, j] / K.BUCKET), 0), nbx - 1)
        by = min(max(int(fl[S.Y, j] / K.BUCKET), 0), nby - 1)
        if not (bx0 <= bx <= bx1 and by0 <= by <= by1):
            continue
        d = K._gap(fl, tf, it, i, j)
        if d <= radius:
            tj = it[S.TYPE, j]
            prio = 0.0 if tf[K.W_DAMAGE, tj] > 0 else (1000.0 if ti[K.T_IS_STRUCTURE, tj] == 0 else 2000.0)
            if best_key is None or (prio + d, j) < best_key:
                best, best_key = j, (prio + d, j)
    return best


def test_target_scan_matches_brute_force():
    game = _battle()
    st = game.state
    h, w = st.pathable.shape
    nbx, nby = int(np.ceil(w / K.BUCKET)), int(np.ceil(h / K.BUCKET))
    work = np.zeros(K.work_size(st.capacity, h, w), np.int64)
    head, nxt = work[: 3 * nbx * nby], work[3 * nbx * nby: 3 * nbx * nby + st.capacity]
    live = np.flatnonzero(st.it[S.ALIVE] == 1)
    K._build_buckets(st.fl, st.it, live, len(live), head, nxt, nbx, nby)
    found = 0
    for i in game.units(1).tolist() + game.units(2).tolist():
        for radius in (0.5, 5.0, 11.0):
            expected = _acquire_reference(game, i, radius)
            assert K._acquire(i, st.fl, st.it, game.tf, game.ti, radius, head, nxt, nbx, nby) == expected
            found += expected >= 0
    assert found > 50


def test_observation_unit_table_matches_the_plain_path():
    """build_observation's one-call table equals observe.unit_table's select + fill path."""
    game = _battle()
    for _ in range(3):
        for player in (1, 2):
            obs = game.observe(player)
            assert obs.units.tobytes() == unit_table(game, player).tobytes()
            assert obs.units.flags.writeable and obs.units.dtype == unit_table(game, player).dtype
        game.step(8)


def test_deep_copied_game_plays_on_identically():
    game = _battle()
    game.observe(1)
    twin = copy.deepcopy(game)
    for _ in range(4):
        game.step(8)
        twin.step(8)
        assert game.state_hash() == twin.state_hash()
        assert game.observe(2).units.tobytes() == twin.observe(2).units.tobytes()


def test_reward_kernels_match_numpy():
    game = _battle()
    st = game.state
    marine = game.types.index[48]
    slots = game.units(1, 48)
    pos = np.stack((st.fl[S.X, slots], st.fl[S.Y, slots]), axis=1)
    rng = np.random.Generator(np.random.PCG64(1))
    xy = pos[rng.integers(0, len(pos), 30)] + rng.uniform(-12, 12, (30, 2))  # some near a marine, some not
    n, nearest = RK.nearest_distance(st.fl, st.it, 1, marine, float(xy[0, 0]), float(xy[0, 1]))
    assert n == len(slots) == RK.count_units(st.it, 1, marine)
    assert nearest == np.min(np.hypot(*(pos - xy[0]).T))
    left = (rng.random(30) < 0.8).astype(np.uint8)
    hit = np.zeros(30, np.uint8)
    assert RK.markers_reached(st.fl, st.it, 1, marine, xy, left, 6.0, hit) == len(slots)
    near = np.hypot(pos[None, :, 0] - xy[:, 0, None], pos[None, :, 1] - xy[:, 1, None]).min(axis=1)
    assert hit.tolist() == ((near <= 6.0) & (left == 1)).astype(np.uint8).tolist()
    assert 0 < hit.sum() < 30


@pytest.mark.parametrize("player", [1, 2])
def test_observation_abilities_follow_resources(player):
    """The packed ability table still answers like the SC2 API: Train Marine needs 50 minerals."""
    game = Game.melee_game("Simple64", seed=1, game_loop_limit=0)
    cc = int(game.units(player, 18)[0])
    x, y = game.position(cc)
    game.add_unit(21, player, x + (6.5 if player == 1 else -6.5), y)  # a finished Barracks
    game.state.pl[S.P_MINERALS, player] = 49
    game._update_food()
    assert 560 not in game.observe(player).available_abilities.tolist()
    game.state.pl[S.P_MINERALS, player] = 50
    assert 560 in game.observe(player).available_abilities.tolist()
