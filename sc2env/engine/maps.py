"""Maps: terrain grids, start locations and resource layout, named after the real maps.

Grids are indexed [y, x] (y up, as the SC2 API's ImageData), one cell per map unit.
`Simple64` (64x64: one main per side on high ground with a ramp) and `Simple96`
(96x96: main + natural per side) imitate the Blizzard melee test maps of those names;
both are point-symmetric so neither side is favoured. `flat_map` builds an open
arena for scenarios (mini-games).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

LOW, HIGH = 100, 140  # terrain heights (uint8, like the SC2 height map)
MINERALS_PER_FIELD = (1800, 1800, 1800, 1800, 900, 900, 900, 900)  # 5.0.x: 4 large + 4 small
VESPENE_PER_GEYSER = 2250


class MapError(ValueError):
    """An unknown map name or an inconsistent map layout."""


@dataclasses.dataclass
class Base:
    townhall: tuple[float, float]  # CommandCenter centre (5x5 footprint)
    minerals: list[tuple[float, float, int]]  # centre x, y, contents (2x2 footprint)
    geysers: list[tuple[float, float, int]]  # centre x, y, contents (3x3 footprint)
    owner_start: int  # player id whose start this is, 0 for an expansion


@dataclasses.dataclass
class MapSpec:
    name: str
    width: int
    height: int
    terrain_height: np.ndarray  # uint8 [H, W]
    pathable: np.ndarray  # bool [H, W], terrain only (structures are added by the game)
    placeable: np.ndarray  # bool [H, W]
    start_locations: list[tuple[float, float]]  # per player id 1..n (index 0 = player 1)
    bases: list[Base]
    playable_min: tuple[int, int] = (0, 0)
    playable_max: tuple[int, int] = (0, 0)


def _resource_arc(center: tuple[float, float], toward: tuple[float, float]) -> tuple[list, list]:
    """8 mineral fields on an arc 7 cells from the townhall facing `toward`, 2 geysers at its ends."""
    cx, cy = center
    ang0 = math.atan2(toward[1] - cy, toward[0] - cx)
    minerals = []
    for k, contents in enumerate(MINERALS_PER_FIELD):
        ang = ang0 + math.radians(-59.5 + 17.0 * k)
        dist = 7.0 if k % 2 == 0 else 8.0
        minerals.append((float(round(cx + dist * math.cos(ang))), float(round(cy + dist * math.sin(ang))), contents))
    geysers = []
    for sign in (-1, 1):
        ang = ang0 + sign * math.radians(85)
        geysers.append((math.floor(cx + 7.5 * math.cos(ang)) + 0.5, math.floor(cy + 7.5 * math.sin(ang)) + 0.5,
                        VESPENE_PER_GEYSER))
    return minerals, geysers


def _mirror(w: int, h: int, p: tuple) -> tuple:
    return (w - p[0], h - p[1]) + tuple(p[2:])


def _build(name: str, size: int, plateau: int, ramp: tuple[int, int], mains: tuple[float, float],
           naturals: list[tuple[tuple[float, float], tuple[float, float]]], rocks: list[tuple[int, int, int, int]]) -> MapSpec:
    w = h = size
    pathable = np.ones((h, w), np.bool_)
    pathable[:2, :] = pathable[-2:, :] = False
    pathable[:, :2] = pathable[:, -2:] = False
    height = np.full((h, w), LOW, np.uint8)
    height[2:plateau, 2:plateau] = HIGH
    # Cliff walls of the main plateau (x == plateau or y == plateau), with a ramp gap in the x wall.
    pathable[2:plateau + 1, plateau] = False
    pathable[plateau, 2:plateau + 1] = False
    pathable[ramp[0]:ramp[1], plateau] = True
    height[ramp[0]:ramp[1], plateau] = (LOW + HIGH) // 2
    for x0, y0, x1, y1 in rocks:
        pathable[y0:y1, x0:x1] = False
    # Point symmetry: cell (x, y) <-> (w-1-x, h-1-y).
    pathable &= pathable[::-1, ::-1].copy()
    height = np.maximum(height, height[::-1, ::-1])
    placeable = pathable.copy()
    placeable[height == (LOW + HIGH) // 2] = False  # no building on ramps
    bases = []
    mm, mg = _resource_arc(mains, (2.0, 2.0))
    bases.append(Base(mains, mm, mg, 1))
    bases.append(Base(_mirror(w, h, mains), [_mirror(w, h, m) for m in mm], [_mirror(w, h, g) for g in mg], 2))
    for center, toward in naturals:
        nm, ng = _resource_arc(center, toward)
        bases.append(Base(center, nm, ng, 0))
        bases.append(Base(_mirror(w, h, center), [_mirror(w, h, m) for m in nm], [_mirror(w, h, g) for g in ng], 0))
    spec = MapSpec(name, w, h, height, pathable, placeable, [mains, _mirror(w, h, mains)], bases,
                   playable_min=(2, 2), playable_max=(w - 2, h - 2))
    _check(spec)
    return spec


def _check(spec: MapSpec) -> None:
    for base in spec.bases:
        for x, y, *_ in [base.townhall, *base.minerals, *base.geysers]:
            if not spec.pathable[int(y), int(x)]:
                raise MapError(f"{spec.name}: resource or townhall at ({x}, {y}) on unpathable ground")


def simple64() -> MapSpec:
    return _build("Simple64", 64, 26, (18, 23), (14.5, 14.5), [], rocks=[(30, 30, 34, 34), (20, 38, 24, 42)])


def simple96() -> MapSpec:
    # Natural below the main's ramp (ramp gap in the x = 30 wall leads onto the low ground).
    return _build("Simple96", 96, 30, (22, 27), (16.5, 16.5), [((44.5, 14.5), (46.0, 2.0))],
                  rocks=[(46, 46, 50, 50), (30, 60, 36, 64)])


def flat_map(name: str, width: int = 64, height: int = 64, border: int = 0,
             playable: tuple[tuple[int, int], tuple[int, int]] | None = None) -> MapSpec:
    """An open arena (mini-games): all pathable and placeable, no bases, no start bases.

    `playable` = ((x0, y0), (x1, y1)) makes only that rectangle pathable and the playable area,
    as a map whose trigger calls RegionPlayableMapSet (units cannot leave it)."""
    pathable = np.ones((height, width), np.bool_)
    if border:
        pathable[:border, :] = pathable[-border:, :] = False
        pathable[:, :border] = pathable[:, -border:] = False
    if playable is None:
        playable = ((border, border), (width - border, height - border))
    else:
        (x0, y0), (x1, y1) = playable
        inside = np.zeros_like(pathable)
        inside[y0:y1, x0:x1] = True
        pathable &= inside
    return MapSpec(name, width, height, np.full((height, width), LOW, np.uint8), pathable, pathable.copy(),
                   [(width * 0.25, height * 0.5), (width * 0.75, height * 0.5)], [],
                   playable_min=playable[0], playable_max=playable[1])


MELEE_MAPS = {"Simple64": simple64, "Simple96": simple96}


def melee_map(name: str) -> MapSpec:
    try:
        return MELEE_MAPS[name]()
    except KeyError:
        raise MapError(f"unknown melee map {name!r}; expected one of {sorted(MELEE_MAPS)}") from None
