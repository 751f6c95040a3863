"""Extract the units, abilities and upgrades the embedded engine uses into units.json.

Source of every number except hit points, shields, radii and footprints: the real game's
ResponseData in sc2env/data/game_data.pb (SC2 5.0.x, see sc2env/data/README.md). Those four
are not in UnitTypeData; they come from the game's unit editor values as listed on Liquipedia
(liquipedia.net/starcraft2, patch 5.0.x unit pages), named per unit below.

Run: python -m sc2env.engine.data.generate   (rewrites units.json beside this file)
"""

from __future__ import annotations

import json
import pathlib

from s2clientprotocol import data_pb2, sc2api_pb2

HERE = pathlib.Path(__file__).resolve().parent
GAME_DATA = HERE.parent.parent / "data" / "game_data.pb"
OUT = HERE / "units.json"

# name -> (hit points, shields, radius, footprint side in cells or 0 for units)
# Liquipedia (5.0.x): unit pages "Hit points"; radius from the unit editor (Liquipedia "Size").
EXTRA = {
    "SCV": (45, 0, 0.375, 0),
    "Marine": (45, 0, 0.375, 0),
    "Marauder": (125, 0, 0.5625, 0),
    "Reaper": (60, 0, 0.375, 0),
    "Hellion": (90, 0, 0.625, 0),
    "SiegeTank": (175, 0, 0.875, 0),
    "WidowMine": (90, 0, 0.5, 0),
    "Zergling": (35, 0, 0.375, 0),
    "Baneling": (30, 0, 0.375, 0),
    "Roach": (145, 0, 0.625, 0),
    "CommandCenter": (1500, 0, 2.75, 5),
    "SupplyDepot": (400, 0, 1.0, 2),
    "Refinery": (500, 0, 1.5, 3),
    "Barracks": (1000, 0, 1.5, 3),
    "EngineeringBay": (850, 0, 1.5, 3),
    "Factory": (1250, 0, 1.5, 3),
    "BarracksTechLab": (400, 0, 1.0, 2),
    "BarracksReactor": (400, 0, 1.0, 2),
    "FactoryTechLab": (400, 0, 1.0, 2),
    "FactoryReactor": (400, 0, 1.0, 2),
    # Neutral resources: not attackable (hit points 0 marks "invulnerable" in the engine).
    "MineralField": (0, 0, 1.0, 2),
    "MineralField750": (0, 0, 1.0, 2),
    "VespeneGeyser": (0, 0, 1.5, 3),
    # Mini-game markers (pysc2 MoveToBeacon uses a Terran beacon).
    "Beacon_Terran": (0, 0, 1.0, 0),
}

# The Baneling's attack is a suicide ability, not a weapon in UnitTypeData. Liquipedia
# (Baneling): 16 damage (+19 vs Light), splash radius 2.2, 80 vs structures (not modelled).
BANELING_WEAPON = {
    "type": "Ground", "damage": 16.0, "attacks": 1, "range": 0.25, "speed": 0.833,
    "bonus": [{"attribute": "Light", "bonus": 19.0}], "splash": 2.2, "suicide": True,
    "source": "Liquipedia Baneling (not in UnitTypeData)",
}

# Who trains / builds / researches what. Not in ResponseData (it lists the ability only).
PRODUCERS = {
    "SCV": ["CommandCenter"],
    "Marine": ["Barracks"], "Reaper": ["Barracks"], "Marauder": ["Barracks"],
    "Hellion": ["Factory"], "SiegeTank": ["Factory"], "WidowMine": ["Factory"],
    "CommandCenter": ["SCV"], "SupplyDepot": ["SCV"], "Refinery": ["SCV"],
    "Barracks": ["SCV"], "EngineeringBay": ["SCV"], "Factory": ["SCV"],
    "BarracksTechLab": ["Barracks"], "BarracksReactor": ["Barracks"],
    "FactoryTechLab": ["Factory"], "FactoryReactor": ["Factory"],
}
RESEARCHERS = {"TerranInfantryWeaponsLevel1": "EngineeringBay"}
# Units that Infantry Weapons upgrades improve (+1 damage per level, Liquipedia "Upgrades").
INFANTRY = ["Marine", "Marauder", "Reaper"]

ABILITIES = [1, 4, 16, 18, 23, 195, 203, 295, 296, 318, 319, 320, 321, 322, 328, 421, 422, 454, 455,
             524, 560, 561, 563, 591, 595, 614, 652, 3665, 3666, 3667, 3673, 3674, 3690, 3793, 3794]
UPGRADES = ["TerranInfantryWeaponsLevel1"]


# Units the mini-games need that the melee ResponseData lacks (pysc2's maps use the
# Liberty campaign mod): neutral markers with no stats.
MANUAL_UNITS = [
    {"unit_id": 1680, "name": "MineralShard", "source": "Liberty mod mineral shard (pysc2 CollectMineralShards)"},
]


def _marker(row: dict) -> dict:
    return {
        "unit_id": row["unit_id"], "name": row["name"], "race": "NoRace", "hit_points": 0, "shields": 0,
        "radius": 0.5, "footprint": 0, "armor": 0, "attributes": [], "is_structure": False, "minerals": 0,
        "vespene": 0, "food_required": 0, "food_provided": 0, "build_time": 0, "ability_id": 0,
        "tech_requirement": 0, "require_attached": False, "movement_speed": 0, "sight_range": 0, "weapons": [],
        "producers": [], "has_minerals": False, "has_vespene": False, "infantry_weapons": False,
        "source": row["source"],
    }


def _weapon(w: data_pb2.Weapon) -> dict:
    return {
        "type": data_pb2.Weapon.TargetType.Name(w.type),
        "damage": w.damage,
        "attacks": w.attacks,
        "range": w.range,
        "speed": w.speed,  # cooldown in game seconds at Normal speed (x16 = game loops)
        "bonus": [{"attribute": data_pb2.Attribute.Name(b.attribute), "bonus": b.bonus} for b in w.damage_bonus],
        "splash": 0.0,
        "suicide": False,
    }


def build() -> dict:
    data = sc2api_pb2.Response.FromString(GAME_DATA.read_bytes()).data
    by_name = {u.name: u for u in data.units if u.name}
    units = []
    for name, (hp, shield, radius, footprint) in EXTRA.items():
        u = by_name[name]
        attrs = [data_pb2.Attribute.Name(a) for a in u.attributes]
        weapons = [_weapon(w) for w in u.weapons]
        if name == "Baneling":
            weapons = [BANELING_WEAPON]
        units.append({
            "unit_id": u.unit_id, "name": name, "race": u.race and {1: "Terran", 2: "Zerg", 3: "Protoss"}[u.race] or "NoRace",
            "hit_points": hp, "shields": shield, "radius": radius, "footprint": footprint,
            "armor": u.armor, "attributes": attrs, "is_structure": "Structure" in attrs,
            "minerals": u.mineral_cost, "vespene": u.vespene_cost, "food_required": u.food_required,
            "food_provided": u.food_provided, "build_time": u.build_time, "ability_id": u.ability_id,
            "tech_requirement": u.tech_requirement, "require_attached": u.require_attached,
            # movement_speed is per game second at Normal speed; a game loop is 1/16 of that.
            "movement_speed": u.movement_speed, "sight_range": u.sight_range, "weapons": weapons,
            "producers": PRODUCERS.get(name, []), "has_minerals": u.has_minerals, "has_vespene": u.has_vespene,
            "infantry_weapons": name in INFANTRY,
        })
    units.extend(_marker(row) for row in MANUAL_UNITS)
    abilities = {a.ability_id: a for a in data.abilities}
    ability_rows = []
    for i in ABILITIES:
        a = abilities[i]
        ability_rows.append({
            "ability_id": i, "link_name": a.link_name, "button_name": a.button_name,
            "remaps_to_ability_id": a.remaps_to_ability_id,
            "target": data_pb2.AbilityData.Target.Name(a.target), "footprint_radius": a.footprint_radius,
        })
    upgrades = []
    for u in data.upgrades:
        if u.name in UPGRADES:
            upgrades.append({"upgrade_id": u.upgrade_id, "name": u.name, "minerals": u.mineral_cost,
                             "vespene": u.vespene_cost, "research_time": u.research_time,
                             "ability_id": u.ability_id, "researcher": RESEARCHERS[u.name]})
    return {
        "source": "sc2env/data/game_data.pb (SC2 5.0.x ResponseData); hit points, shields, radius, footprint, "
                  "Baneling attack and producers from Liquipedia 5.0.x unit pages; generated by "
                  "sc2env/engine/data/generate.py",
        "units": units, "abilities": ability_rows, "upgrades": upgrades,
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
