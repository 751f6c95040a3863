"""Grid movement for the simulation kernel: blocked cells, straight-line checks, BFS distance fields.

A unit walks straight at its goal when the segment between them crosses only pathable cells;
otherwise it steps to the neighbouring cell with the smallest BFS distance to the goal cell.
Distance fields are cached per goal cell (`fields[k]`, `cell_field[cell] -> k`, round-robin
eviction: `fnext[0]` is the next slot to reuse, `fnext[1:]` the BFS queue, 2 * H * W entries) and dropped by the Python layer whenever a structure changes the pathing grid.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sc2env.engine.state import ALIVE, FACING, TYPE, X, Y

T_RADIUS, T_SPEED = 2, 4  # rows of kernel.type_tables' tf (kernel imports this module)


@njit(cache=True, _nrt=False, inline="always")
def _cell_blocked(pathable, ix, iy):
    h, w = pathable.shape
    if ix < 0 or iy < 0 or ix >= w or iy >= h:
        return True
    return pathable[iy, ix] == 0


@njit(cache=True, _nrt=False, inline="always")
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


@njit(cache=True, _nrt=False, inline="always")
def _goal_cell(g, x):
    """Grid cell of goal coordinate g seen from a unit at x: a goal on a cell border (a 2x2
    footprint's centre) counts in the cell on the unit's side, so point-mirrored units get
    point-mirrored goal cells (floor alone puts one side's goal on the far side of a mineral)."""
    c = int(np.floor(g))
    if c == g and x < g:
        c -= 1
    return c


def blocked_table(pathable) -> np.ndarray:
    """Summed-area table of blocked cells: table[y, x] = blocked cells in pathable[:y, :x].

    `_line_clear` uses it to clear a run of its samples with one lookup; the Python layer
    rebuilds it whenever the pathing grid changes (like the distance fields)."""
    h, w = pathable.shape
    table = np.zeros((h + 1, w + 1), np.int32)
    table[1:, 1:] = (pathable == 0).astype(np.int32).cumsum(axis=0).cumsum(axis=1)
    return table


@njit(cache=True, _nrt=False, inline="always")
def _cells_clear(table, x0, y0, x1, y1):
    """Whether every cell of the rectangle x0..x1, y0..y1 (inclusive) is on the map and pathable."""
    h = table.shape[0] - 1
    w = table.shape[1] - 1
    if x0 < 0 or y0 < 0 or x1 >= w or y1 >= h:
        return False
    return table[y1 + 1, x1 + 1] - table[y0, x1 + 1] - table[y1 + 1, x0] + table[y0, x0] == 0


LINE_CHUNK = 8  # samples cleared by one rectangle lookup in _line_clear


@njit(cache=True, _nrt=False)
def _line_clear(pathable, table, x0, y0, x1, y1):
    """Whether the segment crosses only pathable cells (sampled every 0.5 cells).

    The samples are x0 + dx * k / n for k = 1..n-1. Two samples 0.5 apart lie in the same
    cell, side by side or diagonal; between diagonal ones the segment crosses one more cell
    (_skips_blocked_cell), which is tested too, so a line that cuts across the corner of a
    blocked cell is not clear (a unit sent along it steps back onto the grid path and was
    sent straight again, for ever). Each coordinate is monotone in k (every rounding step
    is), so the cells of samples a..b lie in the rectangle spanned by samples a and b: when
    that rectangle is all pathable (one summed-area lookup) the samples in between need no
    test. Otherwise each sample is tested; the answer is the same.
    """
    dx = x1 - x0
    dy = y1 - y0
    dist = np.sqrt(dx * dx + dy * dy)
    n = int(dist * 2.0) + 1
    if n <= 1:
        return True
    if _run_clear(table, x0, y0, dx, dy, n, 1, n - 1):
        return True
    for a in range(1, n, LINE_CHUNK):
        b = min(a + LINE_CHUNK - 1, n - 1)
        # From the chunk's first sample's predecessor: the step between chunks is covered too.
        if _run_clear(table, x0, y0, dx, dy, n, max(a - 1, 1), b):
            continue
        for k in range(a, b + 1):
            f = k / n
            x = x0 + dx * f
            y = y0 + dy * f
            if blocked(pathable, x, y):
                return False
            if k > 1 and _skips_blocked_cell(pathable, x0 + dx * ((k - 1) / n), y0 + dy * ((k - 1) / n), x, y):
                return False
    return True


@njit(cache=True, _nrt=False, inline="always")
def _skips_blocked_cell(pathable, xa, ya, xb, yb):
    """Between two samples strictly inside diagonal cells, whether the cell the segment crosses
    on the way (beside both) is blocked. A sample on a cell border, and a segment through the
    cells' shared corner, are left to blocked()'s rule for points on borders (free when a cell
    they touch is), so point-mirrored segments get mirrored answers."""
    ax = int(np.floor(xa))
    ay = int(np.floor(ya))
    bx = int(np.floor(xb))
    by = int(np.floor(yb))
    if ax == bx or ay == by or xa == ax or ya == ay or xb == bx or yb == by:
        return False
    border = float(max(ax, bx))
    yc = ya + (yb - ya) * (border - xa) / (xb - xa)
    if yc == np.floor(yc):
        return False
    if int(np.floor(yc)) == ay:
        return _cell_blocked(pathable, bx, ay)  # across the column border first
    return _cell_blocked(pathable, ax, by)  # across the row border first


@njit(cache=True, _nrt=False, inline="always")
def _run_clear(table, x0, y0, dx, dy, n, a, b):
    """Whether samples a..b of _line_clear's segment all lie in pathable cells (conservative: False may be clear)."""
    fa = a / n
    fb = b / n
    xa = x0 + dx * fa
    ya = y0 + dy * fa
    xb = x0 + dx * fb
    yb = y0 + dy * fb
    return _cells_clear(table, int(np.floor(min(xa, xb))), int(np.floor(min(ya, yb))),
                        int(np.floor(max(xa, xb))), int(np.floor(max(ya, yb))))


@njit(cache=True, _nrt=False)
def _build_field(pathable, gx, gy, out, queue):
    """BFS distance (4-connected, in cells) to goal cell (gx, gy) into out[H, W]; -1 = unreachable.

    Blocked cells next to the goal (the goal is a structure or resource) are flooded
    within 3 cells of it so that its footprint's border becomes reachable. `queue` is
    scratch of 2 * H * W entries (x, y of the queued cells).
    """
    h, w = pathable.shape
    qx = queue[:h * w]
    qy = queue[h * w:2 * h * w]
    out[:, :] = -1
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
        d = out[cy, cx] + 1
        # A blocked neighbour is entered only from a blocked cell within 3 of the goal.
        near = pathable[cy, cx] == 0
        # Neighbours in the order +x, -x, +y, -y, each written out (a loop over offsets is slower).
        nx = cx + 1
        if nx < w and out[cy, nx] < 0 and (pathable[cy, nx] != 0 or (near and abs(nx - gx) <= 3 and abs(cy - gy) <= 3)):
            out[cy, nx] = d
            qx[tail] = nx
            qy[tail] = cy
            tail += 1
        nx = cx - 1
        if nx >= 0 and out[cy, nx] < 0 and (pathable[cy, nx] != 0 or (near and abs(nx - gx) <= 3 and abs(cy - gy) <= 3)):
            out[cy, nx] = d
            qx[tail] = nx
            qy[tail] = cy
            tail += 1
        ny = cy + 1
        if ny < h and out[ny, cx] < 0 and (pathable[ny, cx] != 0 or (near and abs(cx - gx) <= 3 and abs(ny - gy) <= 3)):
            out[ny, cx] = d
            qx[tail] = cx
            qy[tail] = ny
            tail += 1
        ny = cy - 1
        if ny >= 0 and out[ny, cx] < 0 and (pathable[ny, cx] != 0 or (near and abs(cx - gx) <= 3 and abs(ny - gy) <= 3)):
            out[ny, cx] = d
            qx[tail] = cx
            qy[tail] = ny
            tail += 1


@njit(cache=True, _nrt=False)
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
    _build_field(pathable, gx, gy, fields[k], fnext[1:])
    field_cell[k] = cell
    cell_field[cell] = k
    return k


@njit(cache=True, _nrt=False)
def step_toward(i, fl, pathable, table, speed, gx, gy, stop_dist, fields, cell_field, field_cell, fnext):
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
    if _line_clear(pathable, table, x, y, gx, gy) or blocked(pathable, x, y):
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


@njit(cache=True, _nrt=False)
def first_free_spot(fl, it, tf, pathable, points, radius):
    """Index of the first candidate (points[0, k], points[1, k]) in a pathable cell on the map and not
    on a live mobile unit (centre distance below the radius sum), or -1 (events.free_spot_near)."""
    h, w = pathable.shape
    for k in range(points.shape[1]):
        px = points[0, k]
        py = points[1, k]
        ix = int(math.floor(px))
        iy = int(math.floor(py))
        if ix < 0 or ix >= w or iy < 0 or iy >= h or pathable[iy, ix] == 0:
            continue
        free = True
        for j in range(it.shape[1]):
            if it[ALIVE, j] == 1 and tf[T_SPEED, it[TYPE, j]] > 0:
                dx = fl[X, j] - px
                dy = fl[Y, j] - py
                rs = tf[T_RADIUS, it[TYPE, j]] + radius
                if dx * dx + dy * dy < rs * rs:
                    free = False
                    break
        if free:
            return k
    return -1
