"""The policy's action space and its translation into RawCommands.

An action is one raw command chosen by autoregressive heads, in AlphaStar's order
(Vinyals et al. 2019, Methods "Action space"):

  action_type     index into ACTION_TYPES (a curated table of raw abilities, 0 = no-op)
  delay           agent steps to wait before the next observation, 0..max_delay-1
  queued          0/1, append to the units' orders (only for abilities that queue)
  selected_units  [K] entity indices, then the end-of-selection token (= max_entities),
                  padded with that token; at least one unit when the head is used
  target_unit     entity index
  target_location cell index row * S + col on the S x S grid over the playable area

Each action type says what it needs (`heads_used`), which unit types may perform it
(`performers`, real UnitTypeIds), and whether it may be queued. Ids come from the real
game data, names are checked against it when the table is built.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import TYPE_CHECKING, Mapping, Optional

import numpy as np

from agent.vocabulary import game_vocabulary
from sc2env.types import Alliance, GameInfo, Observation, RawCommand

if TYPE_CHECKING:  # only for annotations: features imports this module
    from agent.features import FeatureSpec

HEADS = ("action_type", "delay", "queued", "selected_units", "target_unit", "target_location")


class ActionError(ValueError):
    """An action does not fit the observation or the action space (index out of range, ...)."""


class Target(enum.Enum):
    NONE = "none"
    POINT = "point"
    UNIT = "unit"


@dataclasses.dataclass(frozen=True)
class ActionType:
    name: str
    ability_id: int  # the id sent in RawCommand (the general id where the game has one)
    target: Target
    queueable: bool
    performers: frozenset[int]  # UnitTypeIds that can use it; empty for no-op
    # For unit targets: the alliances (sc2env.types.Alliance values) and unit types a
    # target may have; None = any unit type.
    target_alliances: frozenset[int] = frozenset(int(a) for a in Alliance)
    target_types: Optional[frozenset[int]] = None

    @property
    def needs_units(self) -> bool:
        return self.ability_id != 0


# Groups of performers derived from the game data instead of listed by hand.
_ALL = "@all"  # every Terran and Zerg unit type
_MOVERS = "@movers"  # Terran/Zerg unit types with movement speed
_ATTACKERS = "@attackers"  # Terran/Zerg unit types with a weapon
_WORKERS = ("SCV", "Drone", "MULE")
_COMMAND_CENTERS = ("CommandCenter", "OrbitalCommand", "PlanetaryFortress")
_HATCHERIES = ("Hatchery", "Lair", "Hive")
_PRODUCTION = ("Barracks", "Factory", "Starport")
_LIFTABLE = ("Barracks", "Factory", "Starport", "CommandCenter", "OrbitalCommand")
_FLYING_BUILDINGS = ("BarracksFlying", "FactoryFlying", "StarportFlying", "CommandCenterFlying", "OrbitalCommandFlying")
_RALLIERS = _COMMAND_CENTERS + _HATCHERIES + _PRODUCTION

N, P, U = Target.NONE, Target.POINT, Target.UNIT

# (name, ability id, target, queueable, performers). Ids are the SC2 API's AbilityId.
_TABLE: tuple[tuple[str, int, Target, bool, object], ...] = (
    ("no_op", 0, N, False, ()),
    ("smart_point", 1, P, True, _ALL),
    ("smart_unit", 1, U, True, _ALL),
    ("move_point", 3794, P, True, _MOVERS),
    ("move_unit", 3794, U, True, _MOVERS),
    ("patrol", 3795, P, True, _MOVERS),
    ("hold_position", 3793, N, True, _MOVERS),
    ("stop", 3665, N, False, _ALL),
    ("attack_point", 3674, P, True, _ATTACKERS),
    ("attack_unit", 3674, U, True, _ATTACKERS),
    ("harvest_gather", 3666, U, True, _WORKERS),
    ("harvest_return", 3667, N, True, _WORKERS),
    ("rally_point", 3673, P, False, _RALLIERS),
    ("rally_workers", 3690, P, False, _COMMAND_CENTERS + _HATCHERIES),
    ("cancel_last", 3671, N, False, _ALL),
    # Terran: SCV builds.
    ("build_command_center", 318, P, True, ("SCV",)),
    ("build_supply_depot", 319, P, True, ("SCV",)),
    ("build_refinery", 320, U, True, ("SCV",)),
    ("build_barracks", 321, P, True, ("SCV",)),
    ("build_engineering_bay", 322, P, True, ("SCV",)),
    ("build_missile_turret", 323, P, True, ("SCV",)),
    ("build_bunker", 324, P, True, ("SCV",)),
    ("build_sensor_tower", 326, P, True, ("SCV",)),
    ("build_ghost_academy", 327, P, True, ("SCV",)),
    ("build_factory", 328, P, True, ("SCV",)),
    ("build_starport", 329, P, True, ("SCV",)),
    ("build_armory", 331, P, True, ("SCV",)),
    ("build_fusion_core", 333, P, True, ("SCV",)),
    ("build_techlab", 3682, N, False, _PRODUCTION),
    ("build_reactor", 3683, N, False, _PRODUCTION),
    # Terran: training.
    ("train_scv", 524, N, True, _COMMAND_CENTERS),
    ("train_marine", 560, N, True, ("Barracks",)),
    ("train_reaper", 561, N, True, ("Barracks",)),
    ("train_ghost", 562, N, True, ("Barracks",)),
    ("train_marauder", 563, N, True, ("Barracks",)),
    ("train_siege_tank", 591, N, True, ("Factory",)),
    ("train_thor", 594, N, True, ("Factory",)),
    ("train_hellion", 595, N, True, ("Factory",)),
    ("train_hellbat", 596, N, True, ("Factory",)),
    ("train_cyclone", 597, N, True, ("Factory",)),
    ("train_widow_mine", 614, N, True, ("Factory",)),
    ("train_medivac", 620, N, True, ("Starport",)),
    ("train_banshee", 621, N, True, ("Starport",)),
    ("train_raven", 622, N, True, ("Starport",)),
    ("train_battlecruiser", 623, N, True, ("Starport",)),
    ("train_viking", 624, N, True, ("Starport",)),
    ("train_liberator", 626, N, True, ("Starport",)),
    # Terran: morphs, effects, research.
    ("morph_orbital_command", 1516, N, False, ("CommandCenter",)),
    ("morph_planetary_fortress", 1450, N, False, ("CommandCenter",)),
    ("supply_depot_lower", 556, N, False, ("SupplyDepot",)),
    ("supply_depot_raise", 558, N, False, ("SupplyDepotLowered",)),
    ("siege_mode", 388, N, True, ("SiegeTank",)),
    ("unsiege", 390, N, True, ("SiegeTankSieged",)),
    ("lift", 3679, N, False, _LIFTABLE),
    ("land", 3678, P, False, _FLYING_BUILDINGS),
    ("stimpack", 3675, N, False, ("Marine", "Marauder")),
    ("calldown_mule", 171, U, False, ("OrbitalCommand",)),
    ("research_stimpack", 730, N, True, ("BarracksTechLab",)),
    ("research_combat_shield", 731, N, True, ("BarracksTechLab",)),
    ("research_concussive_shells", 732, N, True, ("BarracksTechLab",)),
    ("research_infantry_weapons", 3698, N, True, ("EngineeringBay",)),
    ("research_infantry_armor", 3697, N, True, ("EngineeringBay",)),
    ("research_vehicle_weapons", 3701, N, True, ("Armory",)),
    ("research_ship_weapons", 3699, N, True, ("Armory",)),
    ("research_vehicle_ship_plating", 3700, N, True, ("Armory",)),
    # Zerg: drone builds.
    ("build_hatchery", 1152, P, True, ("Drone",)),
    ("build_extractor", 1154, U, True, ("Drone",)),
    ("build_spawning_pool", 1155, P, True, ("Drone",)),
    ("build_evolution_chamber", 1156, P, True, ("Drone",)),
    ("build_hydralisk_den", 1157, P, True, ("Drone",)),
    ("build_spire", 1158, P, True, ("Drone",)),
    ("build_ultralisk_cavern", 1159, P, True, ("Drone",)),
    ("build_infestation_pit", 1160, P, True, ("Drone",)),
    ("build_baneling_nest", 1162, P, True, ("Drone",)),
    ("build_roach_warren", 1165, P, True, ("Drone",)),
    ("build_spine_crawler", 1166, P, True, ("Drone",)),
    ("build_spore_crawler", 1167, P, True, ("Drone",)),
    ("build_creep_tumor", 3691, P, False, ("Queen", "CreepTumorBurrowed")),
    # Zerg: training and morphs.
    ("train_drone", 1342, N, False, ("Larva",)),
    ("train_zergling", 1343, N, False, ("Larva",)),
    ("train_overlord", 1344, N, False, ("Larva",)),
    ("train_hydralisk", 1345, N, False, ("Larva",)),
    ("train_mutalisk", 1346, N, False, ("Larva",)),
    ("train_ultralisk", 1348, N, False, ("Larva",)),
    ("train_roach", 1351, N, False, ("Larva",)),
    ("train_infestor", 1352, N, False, ("Larva",)),
    ("train_corruptor", 1353, N, False, ("Larva",)),
    ("train_viper", 1354, N, False, ("Larva",)),
    ("train_swarm_host", 1356, N, False, ("Larva",)),
    ("train_queen", 1632, N, True, _HATCHERIES),
    ("morph_baneling", 80, N, False, ("Zergling",)),
    ("morph_ravager", 2330, N, False, ("Roach",)),
    ("morph_overseer", 1448, N, False, ("Overlord",)),
    ("morph_lair", 1216, N, False, ("Hatchery",)),
    ("morph_hive", 1218, N, False, ("Lair",)),
    ("inject_larva", 251, U, True, ("Queen",)),
    ("research_metabolic_boost", 1253, N, True, ("SpawningPool",)),
    ("research_glial_reconstitution", 216, N, True, ("RoachWarren",)),
    ("research_burrow", 1225, N, True, _HATCHERIES),
    ("research_melee_weapons", 3705, N, True, ("EvolutionChamber",)),
    ("research_missile_weapons", 3706, N, True, ("EvolutionChamber",)),
    ("research_ground_armor", 3704, N, True, ("EvolutionChamber",)),
)


# Which units a unit-targeted action may target: (alliances, unit-type group or None).
_MINERALS = "@minerals"  # every mineral field type
_GEYSERS = "@geysers"  # every vespene geyser type
_HARVESTABLE = "@harvestable"  # mineral fields and finished gas buildings
_SELF, _ENEMY, _NEUTRAL = int(Alliance.Self), int(Alliance.Enemy), int(Alliance.Neutral)
_TARGETS: dict[str, tuple[tuple[int, ...], Optional[object]]] = {
    "attack_unit": ((_ENEMY,), None),  # neutral minerals and geysers cannot be attacked
    "harvest_gather": ((_SELF, _NEUTRAL), _HARVESTABLE),
    "build_refinery": ((_NEUTRAL,), _GEYSERS),
    "build_extractor": ((_NEUTRAL,), _GEYSERS),
    "calldown_mule": ((_NEUTRAL,), _MINERALS),
    "inject_larva": ((_SELF,), _HATCHERIES),
}


def _resolve_performers(spec: object, by_name: Mapping[str, int], groups: Mapping[str, frozenset[int]]) -> frozenset[int]:
    if isinstance(spec, str):
        return groups[spec]
    missing = [name for name in spec if name not in by_name]
    if missing:
        raise ActionError(f"action table names unit types the game data lacks: {missing}")
    return frozenset(by_name[name] for name in spec)


@functools.lru_cache(maxsize=1)
def action_types() -> tuple[ActionType, ...]:
    """The action table, performers resolved to UnitTypeIds from the real game data."""
    vocab = game_vocabulary()
    terran_zerg = {uid: u for uid, u in vocab.unit_data.items() if u.race in (1, 2)}
    groups = {
        _ALL: frozenset(terran_zerg),
        _MOVERS: frozenset(uid for uid, u in terran_zerg.items() if u.movement_speed > 0),
        _ATTACKERS: frozenset(uid for uid, u in terran_zerg.items() if len(u.weapons) > 0),
    }
    minerals = frozenset(uid for uid, u in vocab.unit_data.items() if "MineralField" in u.name)
    geysers = frozenset(uid for uid, u in vocab.unit_data.items() if "Geyser" in u.name)
    gas_buildings = frozenset(uid for uid, u in terran_zerg.items() if u.name.startswith(("Refinery", "Extractor")))
    groups.update({_MINERALS: minerals, _GEYSERS: geysers, _HARVESTABLE: minerals | gas_buildings})
    by_name = {u.name: uid for uid, u in terran_zerg.items()}
    table = []
    for name, ability, target, queueable, performers in _TABLE:
        kind = ActionType(name, ability, target, queueable, _resolve_performers(performers, by_name, groups))
        if name in _TARGETS:
            alliances, types = _TARGETS[name]
            resolved = None if types is None else _resolve_performers(types, by_name, groups)
            kind = dataclasses.replace(kind, target_alliances=frozenset(alliances), target_types=resolved)
        table.append(kind)
    return tuple(table)


NO_OP = 0


def heads_used(action_type: "ActionType | int") -> dict[str, bool]:
    """Which heads an action of this type (or index into action_types()) reads; the rest are ignored."""
    if not isinstance(action_type, ActionType):
        table = action_types()
        if not 0 <= int(action_type) < len(table):
            raise ActionError(f"action_type {int(action_type)} outside the table of {len(table)} action types")
        action_type = table[int(action_type)]
    return {
        "action_type": True,
        "delay": True,
        "queued": action_type.queueable,
        "selected_units": action_type.needs_units,
        "target_unit": action_type.target is Target.UNIT,
        "target_location": action_type.target is Target.POINT,
    }


def heads_used_table(table: tuple[ActionType, ...]) -> dict[str, np.ndarray]:
    """heads_used for every action type: head -> bool [A], the lookup the model uses."""
    rows = [heads_used(a) for a in table]
    return {head: np.array([r[head] for r in rows], dtype=bool) for head in HEADS}


def _scalar(action: Mapping[str, object], head: str) -> int:
    value = np.asarray(action[head])
    if value.size != 1:
        raise ActionError(f"head {head!r}: expected one value for one environment, got shape {value.shape}")
    return int(value.reshape(()))


def to_commands(action: Mapping[str, object], obs: Observation, game_info: GameInfo, spec: "FeatureSpec") -> list[RawCommand]:
    """One environment's sampled heads (numpy or CPU tensors) -> the RawCommands to send.

    `obs` and `game_info` must be the ones the action was sampled from: entity indices
    refer to the rows `spec.entity_rows(obs)` picked. The delay head is not a command;
    the actor reads it to decide when to act next.
    """
    table = spec.action_table
    type_index = _scalar(action, "action_type")
    if not 0 <= type_index < len(table):
        raise ActionError(f"action_type {type_index} outside the table of {len(table)} action types")
    kind = table[type_index]
    if not kind.needs_units:
        return []
    entity_tags = obs.units["tag"][spec.entity_rows(obs)]
    end = spec.max_entities
    selected = np.asarray(action["selected_units"]).reshape(-1).astype(np.int64)
    chosen = selected[: np.argmax(selected == end)] if (selected == end).any() else selected
    if len(chosen) == 0:
        raise ActionError(f"{kind.name}: selected_units is empty")
    if (chosen < 0).any() or (chosen >= len(entity_tags)).any():
        raise ActionError(f"{kind.name}: selected entity index out of range 0..{len(entity_tags) - 1}: {chosen.tolist()}")
    tags = tuple(int(t) for t in entity_tags[chosen])
    queued = bool(_scalar(action, "queued")) if kind.queueable else False
    if kind.target is Target.UNIT:
        target = _scalar(action, "target_unit")
        if not 0 <= target < len(entity_tags):
            raise ActionError(f"{kind.name}: target_unit {target} out of range 0..{len(entity_tags) - 1}")
        return [RawCommand(kind.ability_id, tags, target_unit_tag=int(entity_tags[target]), queued=queued)]
    if kind.target is Target.POINT:
        cell = _scalar(action, "target_location")
        if not 0 <= cell < spec.spatial_size**2:
            raise ActionError(f"{kind.name}: target_location {cell} outside the {spec.spatial_size}^2 grid")
        return [RawCommand(kind.ability_id, tags, target_point=spec.cell_to_point(cell, game_info), queued=queued)]
    return [RawCommand(kind.ability_id, tags, queued=queued)]
