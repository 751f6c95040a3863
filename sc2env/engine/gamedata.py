"""The game's numbers as arrays indexed by a compact type index (see data/units.json).

`UnitTypes` turns the JSON rows into numpy columns the simulation kernel reads: one row
per unit type, SC2 UnitTypeId <-> compact index both ways. Times are converted to game
loops (16 loops per Normal-speed game second, i.e. 22.4 per real second at Faster) and
speeds to cells per game loop, once, here.
"""

from __future__ import annotations

import functools
import json
import pathlib

import numpy as np

DATA_FILE = pathlib.Path(__file__).resolve().parent / "data" / "units.json"
LOOPS_PER_GAME_SECOND = 16.0  # ResponseData times/speeds are per Normal-speed second
LOOPS_PER_REAL_SECOND = 22.4  # at Faster

ATTRIBUTES = ("Light", "Armored", "Biological", "Mechanical", "Robotic", "Psionic", "Massive", "Structure",
              "Hover", "Heroic", "Summoned")
ATTR_BIT = {name: 1 << i for i, name in enumerate(ATTRIBUTES)}


class UnitTypes:
    """Column arrays of the per-type numbers. `index[unit_id]` -> compact index."""

    def __init__(self, raw: dict) -> None:
        self.source = raw["source"]
        rows = raw["units"]
        self.rows = rows
        n = len(rows)
        self.count = n
        self.unit_id = np.array([r["unit_id"] for r in rows], np.int32)
        self.names = [r["name"] for r in rows]
        self.index = {int(r["unit_id"]): i for i, r in enumerate(rows)}
        self.by_name = {r["name"]: i for i, r in enumerate(rows)}
        f = lambda key: np.array([float(r[key]) for r in rows], np.float64)  # noqa: E731
        self.hit_points = f("hit_points")
        self.shields = f("shields")
        self.radius = f("radius")
        self.footprint = np.array([r["footprint"] for r in rows], np.int64)
        self.armor = f("armor")
        self.minerals = np.array([r["minerals"] for r in rows], np.int64)
        self.vespene = np.array([r["vespene"] for r in rows], np.int64)
        self.food_required = f("food_required")
        self.food_provided = f("food_provided")
        self.build_time = f("build_time")  # game loops
        self.speed = f("movement_speed") / LOOPS_PER_GAME_SECOND  # cells per game loop
        self.sight = f("sight_range")
        self.is_structure = np.array([r["is_structure"] for r in rows], np.bool_)
        self.attr_mask = np.array([sum(ATTR_BIT[a] for a in r["attributes"] if a in ATTR_BIT) for r in rows], np.int64)
        self.infantry_weapons = np.array([r["infantry_weapons"] for r in rows], np.bool_)
        self.build_ability = np.array([r["ability_id"] for r in rows], np.int32)
        self.tech_requirement = np.array(
            [self.index.get(int(r["tech_requirement"]), -1) if r["tech_requirement"] else -1 for r in rows], np.int64)
        self.tech_requirement_unit_id = np.array([r["tech_requirement"] for r in rows], np.int64)
        self.require_attached = np.array([r["require_attached"] for r in rows], np.bool_)
        self.producers = [[self.by_name[p] for p in r["producers"]] for r in rows]
        # First weapon only (every unit we model has one weapon).
        self.w_damage = np.zeros(n)
        self.w_attacks = np.zeros(n)
        self.w_range = np.zeros(n)
        self.w_cooldown = np.zeros(n)  # game loops
        self.w_bonus = np.zeros(n)
        self.w_bonus_mask = np.zeros(n, np.int64)
        self.w_hits_ground = np.zeros(n, np.bool_)
        self.w_hits_air = np.zeros(n, np.bool_)
        self.w_splash = np.zeros(n)
        self.w_suicide = np.zeros(n, np.bool_)
        for i, r in enumerate(rows):
            if not r["weapons"]:
                continue
            w = r["weapons"][0]
            self.w_damage[i] = w["damage"]
            self.w_attacks[i] = w["attacks"]
            self.w_range[i] = w["range"]
            self.w_cooldown[i] = w["speed"] * LOOPS_PER_GAME_SECOND
            if w["bonus"]:
                self.w_bonus[i] = w["bonus"][0]["bonus"]
                self.w_bonus_mask[i] = ATTR_BIT[w["bonus"][0]["attribute"]]
            self.w_hits_ground[i] = w["type"] in ("Ground", "Any")
            self.w_hits_air[i] = w["type"] in ("Air", "Any")
            self.w_splash[i] = w.get("splash", 0.0)
            self.w_suicide[i] = w.get("suicide", False)
        # What each SC2 build/train ability makes.
        self.ability_to_type = {int(r["ability_id"]): i for i, r in enumerate(rows) if r["ability_id"]}
        self.abilities = {int(a["ability_id"]): a for a in raw["abilities"]}
        self.upgrades = {int(u["upgrade_id"]): u for u in raw["upgrades"]}
        self.upgrade_by_ability = {int(u["ability_id"]): int(u["upgrade_id"]) for u in raw["upgrades"]}

    def type_of(self, name: str) -> int:
        return self.by_name[name]


@functools.lru_cache(maxsize=1)
def load_unit_types() -> UnitTypes:
    return UnitTypes(json.loads(DATA_FILE.read_text()))


class Abilities:
    """SC2 AbilityId values the engine understands (specific ids remap to general ones)."""

    SMART = 1
    STOP = 4
    STOP_GENERAL = 3665
    MOVE = 16
    MOVE_GENERAL = 3794
    HOLD = 18
    HOLD_GENERAL = 3793
    ATTACK = 23
    ATTACK_GENERAL = 3674
    RALLY_BUILDING = 195
    RALLY_CC = 203
    RALLY_UNITS = 3673
    RALLY_WORKERS = 3690
    GATHER_SCV = 295
    GATHER_GENERAL = 3666
    RETURN_SCV = 296
    RETURN_GENERAL = 3667
    BUILD_TECHLAB = 3682
    BUILD_REACTOR = 3683


BUILD_STRUCTURE_ABILITIES = (318, 319, 320, 321, 322, 328)
ADDON_ABILITIES = {421: "BarracksTechLab", 422: "BarracksReactor", 454: "FactoryTechLab", 455: "FactoryReactor"}
