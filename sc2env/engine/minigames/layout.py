"""Seeded random placement for the mini-games: points with minimum gaps, lines of units."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# pysc2's mini-game maps are 64x64 with the arena inside; we keep a margin so no unit is
# spawned against the map edge.
MAP_SIZE = 64
MARGIN = 4.0


class LayoutError(RuntimeError):
    """No placement satisfies the distance rules (should not happen on a 64x64 arena)."""


def sample_points(
    rng: np.random.Generator,
    n: int,
    avoid: np.ndarray | None = None,
    min_avoid: float = 0.0,
    min_gap: float = 0.0,
    centre: tuple[float, float] | None = None,
    ring: tuple[float, float] = (0.0, float("inf")),
    size: int = MAP_SIZE,
    margin: float = MARGIN,
    tries: int = 20000,
    box: tuple[float, float, float, float] | None = None,
) -> np.ndarray:
    """n points in the arena, each >= min_avoid from every `avoid` point, >= min_gap apart,
    and (if `centre`) at a distance in [ring[0], ring[1]] from it. Returns float [n, 2].
    The arena is the square [margin, size - margin]^2, or the rectangle box = (x0, y0, x1, y1).

    Rejection sampling: each try draws rng.uniform(low, high, size=2) and keeps the
    point if it passes the rules against the points kept so far. The tries are drawn as one
    batch and checked in one numba call (_accept), then the generator is left exactly where
    drawing only the used tries one by one leaves it (so games are the same as with a Python
    loop of numpy calls per try, which cost ~0.5 ms per refill of 20 shards)."""
    avoid = np.zeros((0, 2)) if avoid is None else np.ascontiguousarray(avoid, dtype=np.float64).reshape(-1, 2)
    if n == 0:
        return np.array([])
    has_centre = centre is not None
    cx, cy = (float(centre[0]), float(centre[1])) if has_centre else (0.0, 0.0)
    chosen = np.zeros(n, np.int64)
    low, high = (margin, size - margin) if box is None else ((box[0], box[1]), (box[2], box[3]))
    start = rng.bit_generator.state
    batch = min(tries, 4 * n + 32)  # enough for the mini-games' layouts; grown (same prefix) if not
    while True:
        points = rng.uniform(low, high, size=(batch, 2))
        kept, used = _accept(points, avoid, float(min_avoid), float(min_gap), has_centre, cx, cy,
                             float(ring[0]), float(ring[1]), chosen)
        if kept == n or batch == tries:
            break
        rng.bit_generator.state = start
        batch = min(tries, batch * 4)
    if used < batch:  # leave the generator as if only the used tries had been drawn
        rng.bit_generator.state = start
        rng.uniform(low, high, size=(used, 2))
    if kept < n:
        raise LayoutError(f"could place only {kept} of {n} points with the given distance rules")
    return points[chosen]


@njit(cache=True, _nrt=False)
def _accept(points, avoid, min_avoid, min_gap, has_centre, cx, cy, r0, r1, chosen):
    """Keep points in order by sample_points' rules until chosen is full: (kept, tries used).

    math.hypot in numba is the C library's hypot, as np.hypot (the rules' plain numpy form)."""
    n = chosen.shape[0]
    kept = 0
    for k in range(points.shape[0]):
        if kept == n:
            return kept, k
        px, py = points[k, 0], points[k, 1]
        ok = True
        for a in range(avoid.shape[0]):
            if math.hypot(avoid[a, 0] - px, avoid[a, 1] - py) < min_avoid:
                ok = False
                break
        if not ok:
            continue
        for c in range(kept):
            j = chosen[c]
            if math.hypot(points[j, 0] - px, points[j, 1] - py) < min_gap:
                ok = False
                break
        if not ok:
            continue
        if has_centre:
            r = math.hypot(px - cx, py - cy)
            if not (r0 <= r <= r1):
                continue
        chosen[kept] = k
        kept += 1
    return kept, points.shape[0]


def vertical_line(x: float, n: int, centre_y: float = MAP_SIZE / 2.0, spacing: float = 1.5) -> np.ndarray:
    """n points in a vertical line at x, centred on centre_y."""
    ys = centre_y + (np.arange(n) - (n - 1) / 2.0) * spacing
    return np.stack([np.full(n, x), ys], axis=-1)


def group(centre: tuple[float, float], n: int, spacing: float = 1.2) -> np.ndarray:
    """n points in a compact block around centre (columns of 3)."""
    cols = 3
    k = np.arange(n)
    xs = centre[0] + (k // cols - (n - 1) // cols / 2.0) * spacing
    ys = centre[1] + (k % cols - 1) * spacing
    return np.stack([xs, ys], axis=-1)
