"""Seeded random placement for the mini-games: points with minimum gaps, lines of units."""

from __future__ import annotations

import numpy as np

# pysc2's mini-game maps are 64x64 with the arena inside; we keep a margin so no unit is
# spawned against the map edge.
MAP_SIZE = 64
MARGIN = 4.0
# The movement mini-games (MoveToBeacon, CollectMineralShards) are single-screen maps: their
# units spawn within what one camera shows, and pysc2's camera is 24 world units wide. Placed
# over the whole 64x64 arena instead, the average beacon was ~29 cells away and a perfect
# agent scored ~9 beacons where the real map allows ~26.
SCREEN_WIDTH = 24.0
SCREEN_MARGIN = (MAP_SIZE - SCREEN_WIDTH) / 2.0 + 1.0  # + 1: a beacon/shard lies wholly inside


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
) -> np.ndarray:
    """n points in the arena, each >= min_avoid from every `avoid` point, >= min_gap apart,
    and (if `centre`) at a distance in [ring[0], ring[1]] from it. Returns float [n, 2]."""
    avoid = np.zeros((0, 2)) if avoid is None else np.asarray(avoid, dtype=np.float64).reshape(-1, 2)
    out: list[np.ndarray] = []
    for _ in range(tries):
        if len(out) == n:
            break
        p = rng.uniform(margin, size - margin, size=2)
        if len(avoid) and np.min(np.hypot(*(avoid - p).T)) < min_avoid:
            continue
        if out and np.min(np.hypot(*(np.array(out) - p).T)) < min_gap:
            continue
        if centre is not None:
            r = float(np.hypot(p[0] - centre[0], p[1] - centre[1]))
            if not (ring[0] <= r <= ring[1]):
                continue
        out.append(p)
    if len(out) < n:
        raise LayoutError(f"could place only {len(out)} of {n} points with the given distance rules")
    return np.array(out)


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
