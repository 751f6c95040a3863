"""Grid movement for the simulation kernel: blocked cells, straight-line checks, BFS distance fields.

A unit walks straight at its goal when the segment between them crosses only pathable cells;
otherwise it steps to the neighbouring cell with the smallest BFS distance to the goal cell.
Distance fields are cached per goal cell (`fields[k]`, `cell_field[cell] -> k`, round-robin
eviction) and dropped by the Python layer whenever a structure changes the pathing grid.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sc2env.engine.state import FACING, X, Y


@njit(cache=True)
def _cell_blocked(pathable, ix, iy):
    h, w = pathable.shape
    if ix < 0 or iy < 0 or ix >= w or iy >= h:
        return True
    return pathable[iy, ix] == 0


@njit(cache=True)
def blocked(pathable, x, y):
    """Whether point (x, y) is off the pathable grid. A point exactly on a cell border is free
    when a cell on either side is: floor() alone would decide by the border's side, and a
    point-mirrored unit (on the other side of the map) would get the other answer."""
    ix = int(np.floor(x))
    iy = int(np.floor(y))
    if not _cell_blocked(pathable, ix, iy):
        return False
    on_x = ix == x
    on_y = iy == y
    if not (on_x or on_y):
        return True
    if on_x and not _cell_blocked(pathable, ix - 1, iy):
        return False
    if on_y and not _cell_blocked(pathable, ix, iy - 1):
        return False
    return not (on_x and on_y and not _cell_blocked(pathable, ix - 1, iy - 1))


@njit(cache=True)
def _goal_cell(g, x):
    """Grid cell of goal coordinate g seen from a unit at x: a goal on a cell border (a 2x2
    footprint's centre) counts in the cell on the unit's side, so point-mirrored units get
    point-mirrored goal cells (floor alone puts one side's goal on the far side of a mineral)."""
    c = int(np.floor(g))
    if c == g and x < g:
        c -= 1
    return c


@njit(cache=True)
def _line_clear(pathable, x0, y0, x1, y1):
    """Whether the segment crosses only pathable cells (sampled every 0.5 cells)."""
    dx = x1 - x0
    dy = y1 - y0
    dist = np.sqrt(dx * dx + dy * dy)
    n = int(dist * 2.0) + 1
    for k in range(1, n):
        f = k / n
        if blocked(pathable, x0 + dx * f, y0 + dy * f):
            return False
    return True


@njit(cache=True)
def _build_field(pathable, gx, gy, out):
    """BFS distance (4-connected, in cells) to goal cell (gx, gy) into out[H, W]; -1 = unreachable.

    Blocked cells next to the goal (the goal is a structure or resource) are flooded
    within 3 cells of it so that its footprint's border becomes reachable.
    """
    h, w = pathable.shape
    out[:, :] = -1
    qx = np.empty(h * w, np.int64)
    qy = np.empty(h * w, np.int64)
    head = 0
    tail = 0
    out[gy, gx] = 0
    qx[tail] = gx
    qy[tail] = gy
    tail += 1
    while head < tail:
        cx = qx[head]
        cy = qy[head]
        head += 1
        d = out[cy, cx]
        from_blocked = pathable[cy, cx] == 0
        for k in range(4):
            nx = cx + (1 if k == 0 else (-1 if k == 1 else 0))
            ny = cy + (1 if k == 2 else (-1 if k == 3 else 0))
            if nx < 0 or ny < 0 or nx >= w or ny >= h or out[ny, nx] >= 0:
                continue
            if pathable[ny, nx] == 0:
                if not from_blocked or abs(nx - gx) > 3 or abs(ny - gy) > 3:
                    continue
            out[ny, nx] = d + 1
            qx[tail] = nx
            qy[tail] = ny
            tail += 1


@njit(cache=True)
def _field_for(pathable, gx, gy, fields, cell_field, field_cell, fnext):
    h, w = pathable.shape
    cell = gy * w + gx
    k = cell_field[cell]
    if k >= 0:
        return k
    k = fnext[0]
    fnext[0] = (k + 1) % fields.shape[0]
    old = field_cell[k]
    if old >= 0:
        cell_field[old] = -1
    _build_field(pathable, gx, gy, fields[k])
    field_cell[k] = cell
    cell_field[cell] = k
    return k


@njit(cache=True)
def step_toward(i, fl, pathable, speed, gx, gy, stop_dist, fields, cell_field, field_cell, fnext):
    """Move unit i one loop toward (gx, gy); True when within stop_dist (arrived)."""
    x = fl[X, i]
    y = fl[Y, i]
    dx = gx - x
    dy = gy - y
    dist = np.sqrt(dx * dx + dy * dy)
    if dist <= stop_dist:
        return True
    if speed <= 0.0:
        return False
    h, w = pathable.shape
    if _line_clear(pathable, x, y, gx, gy) or blocked(pathable, x, y):
        ux = dx / dist
        uy = dy / dist
    else:
        cgx = min(max(_goal_cell(gx, x), 0), w - 1)
        cgy = min(max(_goal_cell(gy, y), 0), h - 1)
        k = _field_for(pathable, cgx, cgy, fields, cell_field, field_cell, fnext)
        f = fields[k]
        cx = _goal_cell(x, gx)  # on a border: the cell on the goal's side (mirror-symmetric)
        cy = _goal_cell(y, gy)
        best = f[cy, cx]
        if best < 0:
            best = 1 << 30
        bx = 0
        by = 0
        best_align = -2.0
        for oy in range(-1, 2):
            for ox in range(-1, 2):
                nx = cx + ox
                ny = cy + oy
                if (ox == 0 and oy == 0) or nx < 0 or ny < 0 or nx >= w or ny >= h:
                    continue
                v = f[ny, nx]
                if v < 0 or pathable[ny, nx] == 0:
                    continue
                if ox != 0 and oy != 0 and (pathable[cy, nx] == 0 or pathable[ny, cx] == 0):
                    continue  # no corner cutting
                # Equal distances: the neighbour most in line with the goal, not the first
                # scanned (a fixed scan order favours one direction, so one side of the map).
                align = (ox * dx + oy * dy) / (np.sqrt(ox * ox + oy * oy) * dist)
                if v < best or (v == best and (bx != 0 or by != 0) and align > best_align):
                    best = v
                    bx = ox
                    by = oy
                    best_align = align
        if bx == 0 and by == 0:
            # Next to a blocked goal (or no better cell): slide straight at it.
            ux = dx / dist
            uy = dy / dist
        else:
            tx = cx + bx + 0.5 - x
            ty = cy + by + 0.5 - y
            n = np.sqrt(tx * tx + ty * ty)
            ux = tx / n
            uy = ty / n
    step = min(speed, dist - stop_dist + 1e-9)
    nx = x + ux * step
    ny = y + uy * step
    fl[FACING, i] = np.arctan2(uy, ux)
    if not blocked(pathable, nx, ny):
        fl[X, i] = nx
        fl[Y, i] = ny
    elif not blocked(pathable, nx, y):
        fl[X, i] = nx
    elif not blocked(pathable, x, ny):
        fl[Y, i] = ny
    return False
