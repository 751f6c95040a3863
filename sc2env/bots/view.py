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


# One lookup per unit gives every role the view sorts by (bit flags by unit type id).
_MINERAL, _GEYSER, _TOWNHALL, _ARMY, _STRUCTURE, _WORKER, _TAKES_ADDON = 1, 2, 4, 8, 16, 32, 64
_ROLE = np.zeros(_TABLE_SIZE, np.uint8)
for _bit, _members in ((_MINERAL, ids.MINERAL_FIELDS), (_GEYSER, ids.GEYSERS), (_TOWNHALL, ids.TOWNHALLS),
                       (_ARMY, ids.ARMY), (_STRUCTURE, ids.STRUCTURES), (_WORKER, ids.WORKERS),
                       (_TAKES_ADDON, ids.TAKES_ADDON)):
    _ROLE[[int(m) for m in _members]] |= _bit

# minerals: 2 for a mineral field type, 0 for a geyser, 1 for anything else (by role bits);
# plus 1 for minerals left, a unit is a mineral field when the sum is at least 2.
_RESOURCE_KIND = np.ones(256, np.uint8)
_RESOURCE_KIND[[r for r in range(256) if r & _GEYSER]] = 0
_RESOURCE_KIND[[r for r in range(256) if r & _MINERAL]] = 2

# Counts are kept only for the ids the bots ask about (every Unit / Ability member): a compact
# slot per id, so one small bincount per step instead of a 4096-long one.
_UNIT_SLOT = np.zeros(_TABLE_SIZE, np.intp)
_UNIT_SLOT[[int(u) for u in Unit]] = np.arange(1, len(Unit) + 1)
_ABILITY_SLOT = np.zeros(_TABLE_SIZE, np.intp)
_ABILITY_SLOT[[int(a) for a in Ability]] = np.arange(1, len(Ability) + 1)
_N_UNIT_SLOTS, _N_ABILITY_SLOTS = len(Unit) + 1, len(Ability) + 1
_BUILDS = [(int(s), int(_ABILITY_SLOT[int(a)]), ids.COST[s][0], ids.COST[s][1]) for s, a in ids.BUILD_ABILITY.items()]
_BUILD_STRUCTURES = [int(s) for s in ids.BUILD_ABILITY]
_any = np.logical_or.reduce  # arr.any() without its Python wrapper
# count(): which ids a type's count covers.
_COUNTED_AS = {int(Unit.SupplyDepot): [int(t) for t in ids.DEPOTS],
               int(Unit.CommandCenter): [int(t) for t in ids.TOWNHALLS],
               int(Unit.SiegeTank): [int(Unit.SiegeTank), int(Unit.SiegeTankSieged)]}
_DEPOT_TYPES = [int(t) for t in ids.DEPOTS]
_SLOT_OF = {int(u): int(_UNIT_SLOT[int(u)]) for u in Unit}
# count(): the slots a type's count adds up (every Unit member; others are counted directly).
_COUNT_SLOTS = {int(u): tuple(_SLOT_OF[t] for t in _COUNTED_AS.get(int(u), (int(u),))) for u in Unit}
_TRAIN_SLOT = {int(u): int(_ABILITY_SLOT[int(a)]) for u, a in ids.TRAIN_ABILITY.items()}
_SELF, _ENEMY, _NEUTRAL, _HIDDEN = int(Alliance.Self), int(Alliance.Enemy), int(Alliance.Neutral), int(DisplayType.Hidden)
_SCV, _REFINERY = int(Unit.SCV), int(Unit.Refinery)
_GATHER_TABLE = _table(_GATHER)
_BUILD_TABLE = _table(ids.BUILD_ABILITIES)


# Supply each unit type takes (ids.COST's, 1 for types it does not list).
_FOOD = np.ones(_TABLE_SIZE, np.int64)
for _item, (_, _, _food) in ids.COST.items():
    _FOOD[int(_item)] = _food


class _lazy:
    """functools.cached_property without its lock (3.11 takes an RLock on every first read,
    ~10 per step here): computes on first read and stores the value on the instance, whose
    __dict__ then answers every later read."""

    def __init__(self, build):
        self.build = build
        self.name = build.__name__

    def __get__(self, view, owner=None):
        if view is None:
            return self
        value = view.__dict__[self.name] = self.build(view)
        return value


class BotView:
    """Own units by role, neutral resources, enemies; a budget spent as commands are issued."""

    def __init__(self, obs: Observation):
        units = np.ascontiguousarray(obs.units)
        self.obs = obs
        self.loop = int(obs.game_loop)
        self._dtype = dtype = units.dtype
        self._units = units
        self._raw = raw = np.frombuffer(units, dtype=_raw_row(dtype))
        self._alliance = alliance = units["alliance"]
        self._role = role = _ROLE.take(units["unit_type"], mode="clip")

        # Own units: every own group is picked from the own rows (same order as the table).
        is_own = alliance == _SELF
        self._own_raw = own_raw = raw[is_own]
        own = self.own = np.frombuffer(own_raw, dtype=dtype)
        own_type = own["unit_type"]
        self._own_role = role[is_own]
        done = self.done = own["build_progress"] >= 1.0
        self._workers_raw = workers_raw = own_raw[own_type == _SCV]
        workers = self.workers = np.frombuffer(workers_raw, dtype=dtype)
        self._by_tag: dict[int, int] | None = None

        # What SCVs are currently ordered to build (counts as "in progress").
        first_order = self.worker_first_order = workers["order_ability_id"][:, 0]
        # An SCV keeps its build order while it constructs; only those still walking to the
        # site (no structure of ours at the target yet) are "ordered" builds.
        walking = _BUILD_TABLE.take(first_order, mode="clip")
        self.building_workers = walking.copy()  # SCVs with a build order, walking or building
        p = obs.player
        minerals_left, vespene_left = int(p.minerals), int(p.vespene)
        if _any(walking):
            building = self.own_structure & ~done
            if _any(building):
                k = walking.nonzero()[0]
                tx, ty = workers["order_target_x"][k, 0], workers["order_target_y"][k, 0]
                bx, by = own["x"][building], own["y"][building]
                there = (np.abs(bx[None, :] - tx[:, None]) + np.abs(by[None, :] - ty[:, None]) < 1.5).any(axis=1)
                walking[k[there]] = False
            slots = _ABILITY_SLOT.take(first_order[walking], mode="clip").tolist()
            ordered = {}
            # SCVs walking to a build site pay when they arrive (as in SC2): keep that money aside.
            for structure, slot, minerals, vespene in _BUILDS:
                n = slots.count(slot)
                ordered[structure] = n
                minerals_left -= n * minerals
                vespene_left -= n * vespene
            self.ordered_builds: dict[int, int] = ordered
        else:
            self.ordered_builds = dict.fromkeys(_BUILD_STRUCTURES, 0)
        self._slot = slot = _UNIT_SLOT.take(own_type, mode="clip")
        self._type_counts = np.bincount(slot, minlength=_N_UNIT_SLOTS).tolist()
        self._order_counts = np.bincount(_ABILITY_SLOT.take(own["order_ability_id"].reshape(-1), mode="clip"),
                                         minlength=_N_ABILITY_SLOTS).tolist()
        self.minerals_left = minerals_left
        self.vespene_left = vespene_left
        self.food_used = int(p.food_used)
        self.food_cap = int(p.food_cap)
        self.food_left = self.food_cap - self.food_used
        self.upgrades = set(np.asarray(obs.upgrades).tolist())
        self.available = set(np.asarray(obs.available_abilities).tolist())
        self.idle_workers = np.frombuffer(workers_raw[workers["order_count"] == 0], dtype=dtype)

    # The groups below are made on first use (each step reads only some of them), then kept.
    def _own(self, mask: np.ndarray) -> np.ndarray:
        return np.frombuffer(self._own_raw[mask], dtype=self._dtype)

    def _all(self, mask: np.ndarray) -> np.ndarray:
        return np.frombuffer(self._raw[mask], dtype=self._dtype)

    @_lazy
    def own_structure(self) -> np.ndarray:
        return (self._own_role & _STRUCTURE) != 0

    @_lazy
    def _townhall(self) -> np.ndarray:
        return (self._own_role & _TOWNHALL) != 0

    @_lazy
    def townhalls(self) -> np.ndarray:
        return self._own(self._townhall)

    @_lazy
    def townhalls_done(self) -> np.ndarray:
        return self._own(self._townhall & self.done)

    @_lazy
    def army(self) -> np.ndarray:
        return self._own((self._own_role & _ARMY) != 0)

    @_lazy
    def refineries(self) -> np.ndarray:
        return self._own(self.own["unit_type"] == _REFINERY)

    @_lazy
    def mining_workers(self) -> np.ndarray:
        gather = _GATHER_TABLE.take(self.worker_first_order, mode="clip") | (self.workers["order_count"] == 0)
        return np.frombuffer(self._workers_raw[gather], dtype=self._dtype)

    @_lazy
    def _enemy_raw(self) -> np.ndarray:
        return self._raw[(self._alliance == _ENEMY) & (self._units["display_type"] != _HIDDEN)]

    @_lazy
    def enemy(self) -> np.ndarray:
        return np.frombuffer(self._enemy_raw, dtype=self._dtype)

    @_lazy
    def _enemy_structure(self) -> np.ndarray:
        return (_ROLE.take(self.enemy["unit_type"], mode="clip") & _STRUCTURE) != 0

    @_lazy
    def enemy_structures(self) -> np.ndarray:
        if len(self._enemy_raw) == 0:
            return self.enemy
        return np.frombuffer(self._enemy_raw[self._enemy_structure], dtype=self._dtype)

    @_lazy
    def enemy_units(self) -> np.ndarray:
        if len(self._enemy_raw) == 0:
            return self.enemy
        return np.frombuffer(self._enemy_raw[~self._enemy_structure], dtype=self._dtype)

    @_lazy
    def minerals(self) -> np.ndarray:
        # Neutral, and a mineral field type or (not a geyser) with minerals left.
        kind = _RESOURCE_KIND.take(self._role) + (self._units["mineral_contents"] > 0)
        return self._all((self._alliance == _NEUTRAL) & (kind >= 2))

    @_lazy
    def geysers(self) -> np.ndarray:
        return self._all((self._alliance == _NEUTRAL) & ((self._role & _GEYSER) != 0))

    @_lazy
    def _done_counts(self) -> list:
        return np.bincount(self._slot[self.done], minlength=_N_UNIT_SLOTS).tolist()

    # -- counting -------------------------------------------------------------------------
    def _type_count(self, counts: list, unit_type: int) -> int:
        slot = _SLOT_OF.get(unit_type)
        if slot is not None:
            return counts[slot]
        own_type = self.own["unit_type"] if counts is self._type_counts else self.own["unit_type"][self.done]
        return int(np.count_nonzero(own_type == unit_type))  # an id the slots do not cover

    def count(self, unit_type: int, include_pending: bool = True) -> int:
        """Own units of a type, built or being built (plus SCVs ordered to build one)."""
        unit_type = int(unit_type)
        slots = _COUNT_SLOTS.get(unit_type)
        counts = self._type_counts
        if slots is None:
            n = self._type_count(counts, unit_type)
        elif len(slots) == 1:
            n = counts[slots[0]]
        else:
            n = sum(counts[slot] for slot in slots)
        if include_pending:
            n += self.ordered_builds.get(unit_type, 0)
            slot = _TRAIN_SLOT.get(unit_type)
            if slot is not None:
                n += self._order_counts[slot]
        return n

    def count_done(self, unit_type: int) -> int:
        unit_type = int(unit_type)
        types = _DEPOT_TYPES if unit_type == Unit.SupplyDepot else (unit_type,)
        return sum(self._type_count(self._done_counts, t) for t in types)

    def under_construction(self, unit_type: int) -> int:
        unit_type = int(unit_type)
        types = _DEPOT_TYPES if unit_type == Unit.SupplyDepot else (unit_type,)
        building = sum(self._type_count(self._type_counts, t) - self._type_count(self._done_counts, t) for t in types)
        return building + self.ordered_builds.get(unit_type, 0)

    def queued_training(self, unit_type: int) -> int:
        slot = _TRAIN_SLOT.get(int(unit_type))
        return 0 if slot is None else self._order_counts[slot]

    def army_food(self) -> float:
        return float(_FOOD.take(self.army["unit_type"], mode="clip").sum())

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
            self._by_tag = {t: i for i, t in enumerate(self.own["tag"].tolist())}
        i = self._by_tag.get(int(tag))
        return None if i is None else self.own[i]


def xy(units: np.ndarray) -> np.ndarray:
    """[N, 2] float positions."""
    out = np.empty((len(units), 2))
    out[:, 0] = units["x"]
    out[:, 1] = units["y"]
    return out


def nearest(units: np.ndarray, point) -> int:
    """Index of the unit nearest to point (units must not be empty)."""
    d = (units["x"] - point[0]) ** 2 + (units["y"] - point[1]) ** 2
    return int(np.argmin(d))
