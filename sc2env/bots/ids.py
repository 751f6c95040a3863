"""The real StarCraft II ids the built-in bots read and send.

Source: `pysc2.lib.actions.RAW_FUNCTIONS` (ability ids of the raw interface) and
`pysc2.lib.units` / the real game's `ResponseData` in `sc2env/data/game_data.pb`
(unit type ids, upgrade ids). They are plain ints so the bots do not import pysc2.
"""

from __future__ import annotations

import enum


class Unit(enum.IntEnum):
    """UnitTypeId values (game_data.pb `units[].unit_id`)."""

    CommandCenter = 18
    SupplyDepot = 19
    Refinery = 20
    Barracks = 21
    EngineeringBay = 22
    Factory = 27
    SiegeTankSieged = 32
    SiegeTank = 33
    BarracksTechLab = 37
    BarracksReactor = 38
    FactoryTechLab = 39
    FactoryReactor = 40
    SCV = 45
    SupplyDepotLowered = 47
    Marine = 48
    Reaper = 49
    Marauder = 51
    Hellion = 53
    OrbitalCommand = 132
    MineralField = 341
    VespeneGeyser = 342
    MineralField750 = 483
    RichMineralField = 146
    RichMineralField750 = 147
    LabMineralField = 665
    LabMineralField750 = 666
    PurifierMineralField = 884
    PurifierMineralField750 = 885
    SpacePlatformGeyser = 343
    RichVespeneGeyser = 344
    PurifierVespeneGeyser = 880
    ShakurasVespeneGeyser = 881


class Ability(enum.IntEnum):
    """AbilityId values as pysc2's RAW_FUNCTIONS send them (general ids where pysc2 uses them)."""

    Attack = 3674  # Attack_pt / Attack_unit
    Move = 3794  # Move_pt / Move_unit
    Stop = 3665  # Stop_quick
    HoldPosition = 3793  # HoldPosition_quick
    HarvestGather = 3666  # Harvest_Gather_unit
    HarvestGatherSCV = 295  # Harvest_Gather_SCV_unit (shown in orders)
    HarvestReturn = 3667  # Harvest_Return_quick
    HarvestReturnSCV = 296  # Harvest_Return_SCV_quick (shown in orders)
    RallyUnits = 3673  # Rally_Units_pt
    RallyWorkers = 3690  # Rally_Workers_pt
    EffectStim = 3675  # Effect_Stim_quick
    EffectStimMarine = 380
    EffectStimMarauder = 253
    BuildCommandCenter = 318
    BuildSupplyDepot = 319
    BuildRefinery = 320
    BuildBarracks = 321
    BuildEngineeringBay = 322
    BuildFactory = 328
    BuildTechLabBarracks = 421
    BuildReactorBarracks = 422
    BuildTechLabFactory = 454
    TrainSCV = 524
    TrainMarine = 560
    TrainReaper = 561
    TrainMarauder = 563
    TrainSiegeTank = 591
    TrainHellion = 595
    ResearchStimpack = 730
    ResearchCombatShield = 731
    ResearchInfantryWeapons1 = 652
    MorphSiegeMode = 388
    MorphUnsiege = 390
    MorphSupplyDepotLower = 556


class Upgrade(enum.IntEnum):
    """UpgradeId values (game_data.pb `upgrades[].upgrade_id`)."""

    TerranInfantryWeaponsLevel1 = 7
    Stimpack = 15
    ShieldWall = 16  # Combat Shield


MINERAL_FIELDS = frozenset(
    {
        Unit.MineralField,
        Unit.MineralField750,
        Unit.RichMineralField,
        Unit.RichMineralField750,
        Unit.LabMineralField,
        Unit.LabMineralField750,
        Unit.PurifierMineralField,
        Unit.PurifierMineralField750,
    }
)
GEYSERS = frozenset(
    {
        Unit.VespeneGeyser,
        Unit.SpacePlatformGeyser,
        Unit.RichVespeneGeyser,
        Unit.PurifierVespeneGeyser,
        Unit.ShakurasVespeneGeyser,
    }
)
TOWNHALLS = frozenset({Unit.CommandCenter, Unit.OrbitalCommand})
DEPOTS = frozenset({Unit.SupplyDepot, Unit.SupplyDepotLowered})
ADDONS = frozenset({Unit.BarracksTechLab, Unit.BarracksReactor, Unit.FactoryTechLab, Unit.FactoryReactor})
TECHLABS = frozenset({Unit.BarracksTechLab, Unit.FactoryTechLab})
REACTORS = frozenset({Unit.BarracksReactor, Unit.FactoryReactor})
ARMY = frozenset(
    {Unit.Marine, Unit.Marauder, Unit.Reaper, Unit.Hellion, Unit.SiegeTank, Unit.SiegeTankSieged}
)
WORKERS = frozenset({Unit.SCV, 104, 84, 268})  # SCV, Drone, Probe, MULE

# Structures of every race the bots may have to find and destroy (game_data.pb ids).
STRUCTURES = frozenset(
    {
        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47,
        130, 132, 134,  # Terran (incl. flying variants, PlanetaryFortress, OrbitalCommand)
        59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 133, 1910, 1911,  # Protoss
        86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 142, 504,  # Zerg
    }
)

# Build ability -> the structure it makes, and the footprint side in cells.
BUILD_ABILITY = {
    Unit.CommandCenter: Ability.BuildCommandCenter,
    Unit.SupplyDepot: Ability.BuildSupplyDepot,
    Unit.Refinery: Ability.BuildRefinery,
    Unit.Barracks: Ability.BuildBarracks,
    Unit.EngineeringBay: Ability.BuildEngineeringBay,
    Unit.Factory: Ability.BuildFactory,
}
BUILD_ABILITIES = frozenset(BUILD_ABILITY.values())
FOOTPRINT = {
    Unit.CommandCenter: 5,
    Unit.SupplyDepot: 2,
    Unit.Barracks: 3,
    Unit.EngineeringBay: 3,
    Unit.Factory: 3,
}
# Structures that take an add-on on their right side (2x2 at x + 2.5, y - 0.5).
TAKES_ADDON = frozenset({Unit.Barracks, Unit.Factory})

# Costs (minerals, vespene, supply) from game_data.pb `mineral_cost`, `vespene_cost`,
# `food_required`; research costs from `upgrades[]`.
COST = {
    Unit.CommandCenter: (400, 0, 0),
    Unit.SupplyDepot: (100, 0, 0),
    Unit.Refinery: (75, 0, 0),
    Unit.Barracks: (150, 0, 0),
    Unit.EngineeringBay: (125, 0, 0),
    Unit.Factory: (150, 100, 0),
    Unit.BarracksTechLab: (50, 25, 0),
    Unit.BarracksReactor: (50, 50, 0),
    Unit.FactoryTechLab: (50, 25, 0),
    Unit.SCV: (50, 0, 1),
    Unit.Marine: (50, 0, 1),
    Unit.Reaper: (50, 50, 1),
    Unit.Marauder: (100, 25, 2),
    Unit.Hellion: (100, 0, 2),
    Unit.SiegeTank: (150, 125, 3),
    Upgrade.Stimpack: (100, 100, 0),
    Upgrade.ShieldWall: (100, 100, 0),
    Upgrade.TerranInfantryWeaponsLevel1: (100, 100, 0),
}
TRAIN_ABILITY = {
    Unit.SCV: Ability.TrainSCV,
    Unit.Marine: Ability.TrainMarine,
    Unit.Reaper: Ability.TrainReaper,
    Unit.Marauder: Ability.TrainMarauder,
    Unit.Hellion: Ability.TrainHellion,
    Unit.SiegeTank: Ability.TrainSiegeTank,
}
RESEARCH_ABILITY = {
    Upgrade.Stimpack: Ability.ResearchStimpack,
    Upgrade.ShieldWall: Ability.ResearchCombatShield,
    Upgrade.TerranInfantryWeaponsLevel1: Ability.ResearchInfantryWeapons1,
}
# Rough fighting value (hit points x damage per second, from game_data.pb weapons and
# Liquipedia hit points) used to compare local army strength; not a simulation.
FIGHT_VALUE = {
    Unit.Marine: 45 * 9.8,
    Unit.Marauder: 125 * 9.3,
    Unit.Reaper: 60 * 10.1,
    Unit.Hellion: 90 * 4.5,
    Unit.SiegeTank: 175 * 20.3,
    Unit.SiegeTankSieged: 175 * 18.7,
    Unit.SCV: 45 * 4.7,
    105: 35 * 10.0,  # Zergling
    110: 145 * 11.2,  # Roach
    73: 250 * 18.6,  # Zealot
    74: 160 * 9.7,  # Stalker
}
