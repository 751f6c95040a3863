"""CollectMineralsAndGas and BuildMarines: an SCV economy from 12 workers and a Command Center."""

from __future__ import annotations

import math

import numpy as np

from sc2env.engine.minigames.base import AGENT, NEUTRAL, MiniGame, UnitType

# Melee 5.0.x mineral fields: 4 of 1800 (MineralField) and 4 of 900 (MineralField750);
# a geyser holds 2250 (Liquipedia "Resources"). The mini-game maps use the melee fields.
FIELDS = ((UnitType.MineralField, 1800), (UnitType.MineralField750, 900)) * 4
GEYSER_CONTENTS = 2250


def resource_arc(townhall: tuple[float, float], toward: tuple[float, float], geysers: bool):
    """8 mineral fields on an arc 7-8 cells from a townhall, facing `toward`; 2 geysers at its ends."""
    cx, cy = townhall
    ang0 = math.atan2(toward[1] - cy, toward[0] - cx)
    fields = []
    for k, (unit_type, contents) in enumerate(FIELDS):
        ang = ang0 + math.radians(-59.5 + 17.0 * k)
        dist = 7.0 if k % 2 == 0 else 8.0
        fields.append((unit_type, float(round(cx + dist * math.cos(ang))), float(round(cy + dist * math.sin(ang))),
                       contents))
    gas = []
    if geysers:
        for sign in (-1, 1):
            ang = ang0 + sign * math.radians(85)
            gas.append((math.floor(cx + 7.5 * math.cos(ang)) + 0.5, math.floor(cy + 7.5 * math.sin(ang)) + 0.5))
    return fields, gas


class _Economy(MiniGame):
    fog_of_war = False
    start_minerals = 50
    start_vespene = 0
    townhall = (20.5, 32.5)
    bases: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (((20.5, 32.5), (4.0, 32.0)),)
    with_geysers = False

    def setup(self, game, rng: np.random.Generator) -> None:
        self.rng = rng
        game.add_unit(UnitType.CommandCenter, owner=AGENT, x=self.townhall[0], y=self.townhall[1])
        for centre, toward in self.bases:
            fields, gas = resource_arc(centre, toward, self.with_geysers)
            for unit_type, x, y, contents in fields:
                game.add_unit(unit_type, owner=NEUTRAL, x=x, y=y, contents=contents)
            for x, y in gas:
                game.add_unit(UnitType.VespeneGeyser, owner=NEUTRAL, x=x, y=y, contents=GEYSER_CONTENTS)
        # 12 SCVs beside the Command Center, on the side away from the minerals.
        for k in range(12):
            game.add_unit(UnitType.SCV, owner=AGENT, x=self.townhall[0] + 3.5 + 0.8 * (k // 4),
                          y=self.townhall[1] - 1.5 + 1.0 * (k % 4))


class CollectMineralsAndGas(_Economy):
    """12 SCVs, a CC, 16 fields, 4 geysers; reward = minerals + vespene collected (spending does not count)."""

    name = "CollectMineralsAndGas"
    time_limit_seconds = 300
    with_geysers = True
    # The main's minerals and a second base site across the arena for an extra Command Center.
    bases = (((20.5, 32.5), (4.0, 32.0)), ((46.5, 32.5), (62.0, 32.0)))

    def reward_and_done(self, game, events):
        collected = events.collected_minerals.get(AGENT, 0) + events.collected_vespene.get(AGENT, 0)
        return [float(collected)], False


class BuildMarines(_Economy):
    """12 SCVs, a CC, 8 fields; +1 per Marine trained."""

    name = "BuildMarines"
    time_limit_seconds = 900

    def reward_and_done(self, game, events):
        built = sum(1 for (t, owner, _slot) in events.trained if t == UnitType.Marine and owner == AGENT)
        return [float(built)], False
