"""One step's Observation, sorted the way a scripted bot reads it.

Everything here comes from the bot's own (fogged) Observation; nothing is privileged.
"""

from __future__ import annotations

import numpy as np

from sc2env.bots import ids
from sc2env.bots.ids import Ability, Unit
from sc2env.types import Alliance, DisplayType, Observation

_GATHER = (Ability.HarvestGather, Ability.HarvestGatherSCV, Ability.HarvestReturn, Ability.HarvestReturnSCV)


# Unit type / ability ids are small ints: membership is a lookup in a boolean table,
# much cheaper than np.isin on every step.
_TABLE_SIZE = 4096


def _table(members) -> np.ndarray:
    table = np.zeros(_TABLE_SIZE, dtype=np.bool_)
    table[[int(m) for m in members]] = True
    return table


_TABLES: dict[frozenset, np.ndarray] = {}


def isin(values: np.ndarray, members) -> np.ndarray:
    """values (small non-negative ids) in members, by table lookup."""
    key = members if isinstance(members, frozenset) else frozenset(int(m) for m in members)
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = _table(key)
    return table.take(values, mode="clip")


def pick(units: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """units[mask] for a UNIT_DTYPE table, copying whole rows as raw bytes: several times
    faster than numpy's field-by-field copy of a structured array. (frombuffer, not .view:
    a structured .view runs numpy's Python-level layout check, twice per call.)"""
    rows = np.frombuffer(np.ascontiguousarray(units), dtype=_raw_row(units.dtype))
    return np.frombuffer(rows[mask], dtype=units.dtype)


_RAW_ROWS: dict[np.dtype, np.dtype] = {}


def _raw_row(dtype: np.dtype) -> np.dtype:
    raw = _RAW_ROWS.get(dtype)
    if raw is None:
        raw = _RAW_ROWS[dtype] = np.dtype((np.void, dtype.itemsize))
    return raw


def _counts(ids_: np.ndarray) -> np.ndarray:
    """How many of each id (ids past the table are counted in its last slot)."""
    return np.bincount(np.minimum(ids_, _TABLE_SIZE - 1).astype(np.int64), minlength=_TABLE_SIZE)


class BotView:
    """Own units by role, neutral resources, enemies; a budget spent as commands are issued."""

    def __init__(self, obs: Observation):
        units = obs.units
        self.obs = obs
        self.loop = int(obs.game_loop)
        alliance = units["alliance"]
        self.own = pick(units, alliance == Alliance.Self)
        self.enemy = pick(units, (alliance == Alliance.Enemy) & (units["display_type"] != DisplayType.Hidden))
        neutral = pick(units, alliance == Alliance.Neutral)
        self.minerals = pick(neutral, isin(neutral["unit_type"], ids.MINERAL_FIELDS) | (neutral["mineral_contents"] > 0))
        self.minerals = pick(self.minerals, ~isin(self.minerals["unit_type"], ids.GEYSERS))
        self.geysers = pick(neutral, isin(neutral["unit_type"], ids.GEYSERS))

        own_type = self.own["unit_type"]
        done = self.own["build_progress"] >= 1.0
        self.done = done
        self.townhalls = pick(self.own, isin(own_type, ids.TOWNHALLS))
        self.townhalls_done = pick(self.own, isin(own_type, ids.TOWNHALLS) & done)
        self.workers = pick(self.own, own_type == Unit.SCV)
        self.army = pick(self.own, isin(own_type, ids.ARMY))
        self.refineries = pick(self.own, own_type == Unit.Refinery)
        self._by_tag: dict[int, int] | None = None

        self.enemy_structures = pick(self.enemy, isin(self.enemy["unit_type"], ids.STRUCTURES))
        self.enemy_units = pick(self.enemy, ~isin(self.enemy["unit_type"], ids.STRUCTURES))

        # What SCVs are currently ordered to build (counts as "in progress").
        first_order = self.workers["order_ability_id"][:, 0] if len(self.workers) else np.zeros(0, np.int32)
        self.worker_first_order = first_order
        # An SCV keeps its build order while it constructs; only those still walking to the
        # site (no structure of ours at the target yet) are "ordered" builds.
        walking = isin(first_order, ids.BUILD_ABILITIES)
        if walking.any():
            building = pick(self.own, isin(own_type, ids.STRUCTURES) & ~done)
            for k in np.flatnonzero(walking):
                tx, ty = self.workers["order_target_x"][k, 0], self.workers["order_target_y"][k, 0]
                if len(building) and (np.abs(building["x"] - tx) + np.abs(building["y"] - ty) < 1.5).any():
                    walking[k] = False
        self.walking_builders = pick(self.workers, walking)
        order_counts = _counts(first_order[walking])
        self.ordered_builds: dict[int, int] = {
            int(structure): int(order_counts[ability]) for structure, ability in ids.BUILD_ABILITY.items()
        }
        self.type_counts = _counts(own_type)
        self.done_counts = _counts(own_type[done])
        all_orders = self.own["order_ability_id"].ravel()
        self.order_counts = _counts(all_orders)
        p = obs.player
        self.minerals_left = int(p.minerals)
        self.vespene_left = int(p.vespene)
        # SCVs walking to a build site pay when they arrive (as in SC2): keep that money aside.
        for structure, n in self.ordered_builds.items():
            self.minerals_left -= n * ids.COST[structure][0]
            self.vespene_left -= n * ids.COST[structure][1]
        self.food_left = int(p.food_cap) - int(p.food_used)
        self.food_used = int(p.food_used)
        self.food_cap = int(p.food_cap)
        self.upgrades = set(int(u) for u in obs.upgrades)
        self.available = set(int(a) for a in obs.available_abilities)

        self.mining_workers = pick(self.workers, isin(first_order, _GATHER) | (self.workers["order_count"] == 0))
        self.idle_workers = pick(self.workers, self.workers["order_count"] == 0)

    # -- counting -------------------------------------------------------------------------
    def count(self, unit_type: int, include_pending: bool = True) -> int:
        """Own units of a type, built or being built (plus SCVs ordered to build one)."""
        types = [unit_type]
        if unit_type == Unit.SupplyDepot:
            types = list(ids.DEPOTS)
        elif unit_type == Unit.CommandCenter:
            types = list(ids.TOWNHALLS)
        elif unit_type == Unit.SiegeTank:
            types = [Unit.SiegeTank, Unit.SiegeTankSieged]
        n = int(sum(self.type_counts[int(t)] for t in types))
        if include_pending:
            n += self.ordered_builds.get(int(unit_type), 0)
            n += self.queued_training(unit_type)
        return n

    def count_done(self, unit_type: int) -> int:
        types = list(ids.DEPOTS) if unit_type == Unit.SupplyDepot else [unit_type]
        return int(sum(self.done_counts[int(t)] for t in types))

    def under_construction(self, unit_type: int) -> int:
        types = list(ids.DEPOTS) if unit_type == Unit.SupplyDepot else [unit_type]
        building = int(sum(self.type_counts[int(t)] - self.done_counts[int(t)] for t in types))
        return building + self.ordered_builds.get(int(unit_type), 0)

    def queued_training(self, unit_type: int) -> int:
        ability = ids.TRAIN_ABILITY.get(unit_type)
        if ability is None:
            return 0
        return int(self.order_counts[int(ability)])

    def army_food(self) -> float:
        return float(sum(ids.COST.get(int(t), (0, 0, 1))[2] for t in self.army["unit_type"]))

    # -- budget ---------------------------------------------------------------------------
    def can_afford(self, item: int, reserve: tuple[int, int] = (0, 0)) -> bool:
        minerals, vespene, food = ids.COST[item]
        return (
            self.minerals_left - reserve[0] >= minerals
            and self.vespene_left - reserve[1] >= vespene
            and self.food_left >= food
        )

    def spend(self, item: int) -> None:
        minerals, vespene, food = ids.COST[item]
        self.minerals_left -= minerals
        self.vespene_left -= vespene
        self.food_left -= food

    def unit(self, tag: int):
        if self._by_tag is None:
            self._by_tag = {int(t): i for i, t in enumerate(self.own["tag"])}
        i = self._by_tag.get(int(tag))
        return None if i is None else self.own[i]


def xy(units: np.ndarray) -> np.ndarray:
    """[N, 2] float positions."""
    return np.stack([units["x"], units["y"]], axis=-1).astype(np.float64) if len(units) else np.zeros((0, 2))


def nearest(units: np.ndarray, point) -> int:
    """Index of the unit nearest to point (units must not be empty)."""
    d = (units["x"] - point[0]) ** 2 + (units["y"] - point[1]) ** 2
    return int(np.argmin(d))
