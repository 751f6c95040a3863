"""Where a bot puts its buildings and its next base, from the map planes it observes.

A spot is good when every footprint cell (and the add-on's, for barracks and factories)
is placeable, nothing stands on it, it keeps a one-cell lane to its neighbours and it
does not sit between the command center and its minerals.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from sc2env.bots import ids
from sc2env.bots.ids import Unit


def footprint_center(x: float, y: float, side: int) -> tuple[float, float]:
    """Snap a point to the grid the real game uses: odd sides centre on .5, even on integers."""
    if side % 2:
        return (float(np.floor(x)) + 0.5, float(np.floor(y)) + 0.5)
    return (float(np.round(x)), float(np.round(y)))


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


def cells_free(placeable: np.ndarray, cx: float, cy: float, side: int) -> bool:
    half = side / 2.0
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    h, w = placeable.shape
    if x0 < 0 or y0 < 0 or x0 + side > w or y0 + side > h:
        return False
    return bool(placeable[y0 : y0 + side, x0 : x0 + side].all())


def clear_of_units(units: np.ndarray, cx: float, cy: float, half: float, margin: float) -> bool:
    """No unit's square (radius) overlaps the footprint grown by margin."""
    if len(units) == 0:
        return True
    reach = half + units["radius"] + margin
    overlap = (np.abs(units["x"] - cx) < reach) & (np.abs(units["y"] - cy) < reach)
    return not bool(overlap.any())


def addon_spots(cx, cy) -> tuple[tuple, tuple]:
    """The add-on's 2x2 spot (the game puts it on +x) and its point-mirror through the building
    (cx, cy: floats, or arrays of many buildings).

    Both stay free: a bot that kept only +x free laid out its base differently on the two
    sides of a point-symmetric map (+x faces the ramp on one side, the map edge on the other),
    and that alone made player 1 win ~70% of mirror matches.
    """
    return (cx + 2.5, cy - 0.5), (cx - 2.5, cy + 0.5)


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
    candidates = []
    for radius in np.arange(min_dist, max_dist, 1.0):
        n = int(2 * np.pi * radius)
        for k in range(n):
            angle = angle0 + 2 * np.pi * k / n
            d = np.array([np.cos(angle), np.sin(angle)])
            score = radius - 3.0 * float(d @ away) + rng.uniform(0, 0.5)
            candidates.append((score, base[0] + radius * d[0], base[1] + radius * d[1]))
    candidates.sort()
    for _, x, y in candidates:
        cx, cy = footprint_center(x, y, side)
        if (cx, cy) in bad:
            continue
        if not cells_free(placeable, cx, cy, side):
            continue
        if not clear_of_units(blockers, cx, cy, half, margin=1.0):
            continue
        if len(resources) and not clear_of_units(resources, cx, cy, half, margin=2.5):
            continue
        if int(structure) in ids.TAKES_ADDON and not all(
                cells_free(placeable, ax, ay, 2) and clear_of_units(blockers, ax, ay, 1.0, margin=1.0)
                for ax, ay in addon_spots(cx, cy)):
            continue
        return (cx, cy)
    return None


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
    best = None
    for dx in range(-10, 11):
        for dy in range(-10, 11):
            cx, cy = footprint_center(centre[0] + dx, centre[1] + dy, 5)
            if (cx, cy) in bad:
                continue
            dist = np.hypot(cluster["x"] - cx, cluster["y"] - cy)
            min_gap = np.where(np.isin(cluster["unit_type"], list(ids.GEYSERS)), 7.0, 6.0)
            if (dist < min_gap).any():
                continue
            if not cells_free(placeable, cx, cy, 5) or not clear_of_units(blockers, cx, cy, 2.5, 0.5):
                continue
            total = float(dist.sum())
            if best is None or total < best[0]:
                best = (total, (cx, cy))
    return None if best is None else best[1]


def is_mineral_cluster(cluster: np.ndarray) -> bool:
    return bool(np.isin(cluster["unit_type"], list(ids.MINERAL_FIELDS)).any() or (cluster["mineral_contents"] > 0).any())


__all__ = ["addon_spots", "army_lane_mask", "find_spot", "resource_clusters", "expansion_spot", "footprint_center", "Unit"]
