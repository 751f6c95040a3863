"""Vision and the structure count behind the victory rule (numba)."""

from __future__ import annotations

import math

from numba import njit

from sc2env.engine.kernel import T_IS_STRUCTURE, T_SIGHT
from sc2env.engine.observe_kernel import remember_structures
from sc2env.engine.state import ALIVE, OWNER, TYPE, X, Y


@njit(cache=True, _nrt=False)
def visibility(fl, it, tf, owner, vis, h, w):
    """Stamp sight circles of owner's units: vis (uint8) cells seen now become 2, seen before 1.

    A cell is seen when its centre is within sight range of the unit's position; each row of
    a circle is one span, so the cost is a few operations per row, not per cell.
    """
    for y in range(h):
        row = vis[y]
        for x in range(w):
            row[x] = min(row[x], 1)  # 2 (seen now) -> 1; branch-free, so the loop vectorises
    cap = fl.shape[1]
    for i in range(cap):
        if it[ALIVE, i] != 1 or it[OWNER, i] != owner:
            continue
        r = tf[T_SIGHT, it[TYPE, i]]
        if r <= 0.0:
            continue
        cx = fl[X, i]
        cy = fl[Y, i]
        r2 = r * r
        y0 = max(int(math.floor(cy - r - 0.5)), 0)
        y1 = min(int(math.floor(cy + r + 0.5)), h - 1)
        for y in range(y0, y1 + 1):
            dy = y + 0.5 - cy
            rem = r2 - dy * dy
            if rem < 0.0:
                continue
            half = math.sqrt(rem)
            # cells x with |x + 0.5 - cx| <= half, as one slice (a per-cell loop pays index checks)
            xa = max(int(math.ceil(cx - half - 0.5)), 0)
            xb = min(int(math.floor(cx + half - 0.5)), w - 1)
            if xb >= xa:
                vis[y, xa:xb + 1] = 2


@njit(cache=True, _nrt=False)
def structures_left(it, ti, out):
    """out[player] = number of live structures of players 1 and 2 (out has 3 entries)."""
    out[:] = 0
    for i in range(it.shape[1]):
        if it[ALIVE, i] == 1 and ti[T_IS_STRUCTURE, it[TYPE, i]] == 1:
            o = it[OWNER, i]
            if o == 1 or o == 2:
                out[o] += 1


@njit(cache=True, _nrt=False)
def update_vision(fl, it, tf, ti, vis, snapshot, structures):
    """End of a step in one call: vision of players 1 and 2 (vis[p]), enemy structures they see now
    remembered (snapshot), and structures[p] = live structures of each player (the victory rule)."""
    h = vis.shape[1]
    w = vis.shape[2]
    for p in (1, 2):
        visibility(fl, it, tf, p, vis[p], h, w)
    remember_structures(fl, it, ti, vis, snapshot)
    structures_left(it, ti, structures)
