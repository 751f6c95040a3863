"""numba loops behind the mini-games' reward rules: counts and distances over the state arrays.

Each rule runs once per agent step; done with numpy (a mask, flatnonzero, a stack, hypot, min)
that was ~10 small array calls per step, more than the rest of a mini-game step. These loops
compute the same numbers (math.hypot is the C library's hypot, as np.hypot) in one call each.
"""

from __future__ import annotations

import math

from numba import njit

from sc2env.engine.state import ALIVE, OWNER, TYPE, X, Y


@njit(cache=True, _nrt=False)
def count_units(it, owner, type_index):
    """Live units of `owner` with kernel type index `type_index`."""
    n = 0
    for i in range(it.shape[1]):
        if it[ALIVE, i] == 1 and it[OWNER, i] == owner and it[TYPE, i] == type_index:
            n += 1
    return n


@njit(cache=True, _nrt=False)
def nearest_distance(fl, it, owner, type_index, x, y):
    """(count, smallest hypot(unit - (x, y))) over the live units of `owner` of type `type_index`; inf if none."""
    n = 0
    best = math.inf
    for i in range(it.shape[1]):
        if it[ALIVE, i] == 1 and it[OWNER, i] == owner and it[TYPE, i] == type_index:
            n += 1
            d = math.hypot(fl[X, i] - x, fl[Y, i] - y)
            if d < best:
                best = d
    return n, best


@njit(cache=True, _nrt=False)
def markers_reached(fl, it, owner, type_index, xy, left, reach, hit):
    """hit[k] = 1 for each marker k still left (left[k] == 1) whose nearest live unit of `owner` of
    type `type_index` is within `reach` (hypot(unit - marker)); returns how many such units there are."""
    n = count_units(it, owner, type_index)
    for k in range(xy.shape[0]):
        hit[k] = 0
        if n == 0 or left[k] != 1:
            continue
        best = math.inf
        for i in range(it.shape[1]):
            if it[ALIVE, i] == 1 and it[OWNER, i] == owner and it[TYPE, i] == type_index:
                d = math.hypot(fl[X, i] - xy[k, 0], fl[Y, i] - xy[k, 1])
                if d < best:
                    best = d
        if best <= reach:
            hit[k] = 1
    return n
