"""Where a bot puts its buildings and its next base, from the map planes it observes.

A spot is good when every footprint cell (and the add-on's, for barracks and factories)
is placeable, nothing stands on it, it keeps a one-cell lane to its neighbours and it
does not sit between the command center and its minerals.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from numba import njit

from sc2env.bots import ids
from sc2env.bots.ids import Unit


def footprint_center(x, y, side: int):
    """Snap points (floats or arrays) to the grid the real game uses: odd sides centre on .5,
    even on integers."""
    if side % 2:
        return np.floor(x) + 0.5, np.floor(y) + 0.5
    return np.round(x), np.round(y)


def keep_out_mask(pathable: np.ndarray, placeable: np.ndarray, reach: int = 3) -> np.ndarray:
    """Cells near ramps (pathable but not placeable): building there could wall a base in."""
    ramp = np.asarray(pathable, bool) & ~np.asarray(placeable, bool)
    out = ramp.copy()
    h, w = ramp.shape
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
            xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
            out[yd, xd] |= ramp[ys, xs]
    return out


def _nearest_ramp_cells(pathable: np.ndarray, placeable: np.ndarray, home: tuple[float, float]) -> np.ndarray:
    """(y, x) of the ramp cells of the ramp closest to `home` (ramps: pathable, not placeable)."""
    ramp = np.asarray(pathable, bool) & ~np.asarray(placeable, bool)
    ys, xs = np.nonzero(ramp)
    if len(ys) == 0:
        return np.zeros((0, 2), np.int64)
    d = np.hypot(xs + 0.5 - home[0], ys + 0.5 - home[1])
    near = d <= d.min() + 6.0  # one ramp is a few cells across
    return np.stack([ys[near], xs[near]], axis=-1)


def army_lane_mask(pathable: np.ndarray, placeable: np.ndarray, home: tuple[float, float],
                   rally: tuple[float, float], width: float = 2.5) -> np.ndarray:
    """Cells within `width` of the straight lanes home -> ramp and rally -> ramp.

    Without it a bot whose add-ons point away from its ramp (the add-on always sits on +x,
    so that is one side of a point-symmetric map) packs barracks next to the ramp and its
    army files out of its own base one by one: a seat bias, not a difference in skill.
    """
    h, w = np.asarray(pathable).shape
    lane = np.zeros((h, w), bool)
    ramp = _nearest_ramp_cells(pathable, placeable, home)
    if len(ramp) == 0:
        return lane
    top = (float(ramp[:, 1].mean()) + 0.5, float(ramp[:, 0].mean()) + 0.5)
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = xx + 0.5, yy + 0.5
    for start in (home, rally):
        ax, ay = start
        bx, by = top
        vx, vy = bx - ax, by - ay
        length2 = max(vx * vx + vy * vy, 1e-9)
        t = np.clip(((cx - ax) * vx + (cy - ay) * vy) / length2, 0.0, 1.0)
        lane |= np.hypot(cx - (ax + t * vx), cy - (ay + t * vy)) <= width
    return lane


def summed_area(placeable: np.ndarray) -> np.ndarray:
    """[h + 1, w + 1] counts of placeable cells above and left of each corner."""
    h, w = placeable.shape
    table = np.zeros((h + 1, w + 1), np.int32)
    table[1:, 1:] = np.asarray(placeable, bool).cumsum(axis=0, dtype=np.int32).cumsum(axis=1, dtype=np.int32)
    return table


def free_footprints(placeable: np.ndarray, cx, cy, side: int, table: Optional[np.ndarray] = None) -> np.ndarray:
    """For footprint centres cx, cy (arrays): is every cell of the side x side square inside
    the map and placeable. One summed-area table answers all of them at once (`table`:
    summed_area(placeable), when the caller has it already)."""
    cx, cy = np.asarray(cx, np.float64), np.asarray(cy, np.float64)
    h, w = placeable.shape
    # Centres sit on the grid (footprint_center), so the corners are whole numbers.
    x0 = np.rint(cx - side / 2.0).astype(np.int64)
    y0 = np.rint(cy - side / 2.0).astype(np.int64)
    inside = (x0 >= 0) & (y0 >= 0) & (x0 + side <= w) & (y0 + side <= h)
    if table is None:
        table = summed_area(placeable)
    x0, y0 = np.where(inside, x0, 0), np.where(inside, y0, 0)
    count = table[y0 + side, x0 + side] - table[y0, x0 + side] - table[y0 + side, x0] + table[y0, x0]
    return inside & (count == side * side)


def clear_of_units(units: np.ndarray, cx, cy, half: float, margin: float) -> np.ndarray:
    """For footprint centres cx, cy (arrays): no unit's square (radius) overlaps the footprint
    grown by margin. Compared in the units' float32, as a single footprint always was."""
    cx = np.ascontiguousarray(cx, np.float32).reshape(-1)
    cy = np.ascontiguousarray(cy, np.float32).reshape(-1)
    if len(units) == 0 or len(cx) == 0:
        return np.ones(len(cx), bool)
    reach = np.ascontiguousarray(half + units["radius"] + margin)  # float32, as the units hold it
    clear = np.empty(len(cx), bool)
    _clear(cx, cy, np.ascontiguousarray(units["x"]), np.ascontiguousarray(units["y"]), reach, clear)
    return clear


@njit(cache=True)
def _clear(cx, cy, ux, uy, reach, clear):  # pragma: no cover - compiled
    """clear_of_units' test per centre, stopping at the first overlapping unit (all float32:
    the same differences and comparisons as the [centres, units] arrays)."""
    for i in range(cx.shape[0]):
        free = True
        for j in range(ux.shape[0]):
            if abs(ux[j] - cx[i]) < reach[j] and abs(uy[j] - cy[i]) < reach[j]:
                free = False
                break
        clear[i] = free


# Compile _clear (or load it from numba's cache) on import, not in a game's first build.
_clear(*(np.zeros(0, np.float32) for _ in range(5)), np.zeros(0, bool))


def addon_spots(cx, cy) -> tuple[tuple, tuple]:
    """The add-on's 2x2 spot (the game puts it on +x) and its point-mirror through the building
    (cx, cy: floats, or arrays of many buildings).

    Both stay free: a bot that kept only +x free laid out its base differently on the two
    sides of a point-symmetric map (+x faces the ramp on one side, the map edge on the other),
    and that alone made player 1 win ~70% of mirror matches.
    """
    return (cx + 2.5, cy - 0.5), (cx - 2.5, cy + 0.5)


_RINGS: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}


def _rings(min_dist: float, max_dist: float) -> tuple[np.ndarray, np.ndarray]:
    """find_spot's candidate rings: each candidate's radius and its angle from the first
    (2 pi k / n on a ring of n), the same every call."""
    key = (float(min_dist), float(max_dist))
    rings = _RINGS.get(key)
    if rings is None:
        radii = np.arange(min_dist, max_dist, 1.0)
        counts = [int(2 * np.pi * radius) for radius in radii]
        rings = _RINGS[key] = (np.repeat(radii, counts), np.concatenate([2 * np.pi * np.arange(n) / n for n in counts]))
        for array in rings:
            array.setflags(write=False)
    return rings


def find_spot(
    structure: int,
    base: tuple[float, float],
    placeable: np.ndarray,
    blockers: np.ndarray,
    resources: np.ndarray,
    rng: np.random.Generator,
    bad: set,
    min_dist: float = 6.0,
    max_dist: float = 16.0,
    keep_out: Optional[np.ndarray] = None,
) -> Optional[tuple[float, float]]:
    """A free footprint for `structure` near `base`, away from the base's minerals and ramps."""
    side = ids.FOOTPRINT[int(structure)]
    if keep_out is not None:
        placeable = placeable & ~keep_out
    half = side / 2.0
    away = np.zeros(2)
    if len(resources):
        near = resources[(resources["x"] - base[0]) ** 2 + (resources["y"] - base[1]) ** 2 < 15.0**2]
        if len(near):
            away = np.array(base) - np.array([near["x"].mean(), near["y"].mean()])
            norm = np.linalg.norm(away)
            away = away / norm if norm > 0 else away
    # Candidates on rings around the base, best first: close to the base, on the side away
    # from the minerals; a little seeded jitter so two bots do not mirror each other exactly.
    # Angles count from the `away` direction, so a point-mirrored base gets the point-mirrored
    # candidate (and jitter draw) at each index.
    angle0 = float(np.arctan2(away[1], away[0]))
    radius, turn = _rings(min_dist, max_dist)
    angle = angle0 + turn
    dx, dy = np.cos(angle), np.sin(angle)
    score = radius - 3.0 * (dx * away[0] + dy * away[1]) + rng.uniform(0, 0.5, size=len(angle))
    x, y = base[0] + radius * dx, base[1] + radius * dy
    order = np.lexsort((y, x, score))  # by score, ties by position
    cx, cy = footprint_center(x[order], y[order], side)
    table = summed_area(placeable)
    ok = free_footprints(placeable, cx, cy, side, table) & clear_of_units(blockers, cx, cy, half, margin=1.0)
    if len(resources):
        ok &= clear_of_units(resources, cx, cy, half, margin=2.5)
    if int(structure) in ids.TAKES_ADDON:
        for ax, ay in addon_spots(cx, cy):
            ok &= free_footprints(placeable, ax, ay, 2, table) & clear_of_units(blockers, ax, ay, 1.0, margin=1.0)
    if bad:
        ok &= np.array([(float(px), float(py)) not in bad for px, py in zip(cx, cy)], bool)
    first = np.flatnonzero(ok)
    if len(first) == 0:
        return None
    return (float(cx[first[0]]), float(cy[first[0]]))


def resource_clusters(resources: np.ndarray, link: float = 8.0) -> list[np.ndarray]:
    """Group mineral fields and geysers into bases (single linkage within `link` cells)."""
    n = len(resources)
    if n == 0:
        return []
    pos = np.stack([resources["x"], resources["y"]], axis=-1).astype(np.float64)
    label = -np.ones(n, dtype=np.int64)
    current = 0
    for i in range(n):
        if label[i] >= 0:
            continue
        stack = [i]
        label[i] = current
        while stack:
            j = stack.pop()
            close = np.flatnonzero((np.linalg.norm(pos - pos[j], axis=1) < link) & (label < 0))
            label[close] = current
            stack.extend(close.tolist())
        current += 1
    return [resources[label == c] for c in range(current)]


def expansion_spot(
    cluster: np.ndarray, placeable: np.ndarray, blockers: np.ndarray, bad: set
) -> Optional[tuple[float, float]]:
    """Where a command center mines this cluster: 5x5, >= 6 cells from every resource centre."""
    centre = np.array([cluster["x"].mean(), cluster["y"].mean()])
    # The 21 x 21 offsets around the cluster's centre, in the order the nearest is chosen by.
    # (Kept in the units' float32, as the one-offset-at-a-time scan computed them.)
    offsets = np.arange(-10, 11).astype(centre.dtype)
    dx, dy = np.meshgrid(offsets, offsets, indexing="ij")
    cx, cy = footprint_center(centre[0] + dx.ravel(), centre[1] + dy.ravel(), 5)
    dist = np.hypot(cluster["x"] - cx[:, None].astype(cluster["x"].dtype),
                    cluster["y"] - cy[:, None].astype(cluster["y"].dtype))
    min_gap = np.where(np.isin(cluster["unit_type"], list(ids.GEYSERS)), 7.0, 6.0)
    ok = ~(dist < min_gap).any(axis=1)
    ok &= free_footprints(placeable, cx, cy, 5) & clear_of_units(blockers, cx, cy, 2.5, 0.5)
    if bad:
        ok &= np.array([(float(px), float(py)) not in bad for px, py in zip(cx, cy)], bool)
    if not ok.any():
        return None
    total = np.where(ok, dist.sum(axis=1), np.inf)
    best = int(np.argmin(total))  # the first of equals, as the scan in offset order picks
    return (float(cx[best]), float(cy[best]))


def is_mineral_cluster(cluster: np.ndarray) -> bool:
    return bool(np.isin(cluster["unit_type"], list(ids.MINERAL_FIELDS)).any() or (cluster["mineral_contents"] > 0).any())


__all__ = ["addon_spots", "army_lane_mask", "find_spot", "resource_clusters", "expansion_spot", "footprint_center", "Unit"]
