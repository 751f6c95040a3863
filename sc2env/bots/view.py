"""One step's Observation, sorted the way a scripted bot reads it.

Everything here comes from the bot's own (fogged) Observation; nothing is privileged.
"""

from __future__ import annotations

import numpy as np

from numba import njit

from sc2env.bots import ids
from sc2env.bots.ids import Ability, Unit
from sc2env.types import UNIT_DTYPE, Alliance, DisplayType, Observation

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
_MINERAL, _GEYSER, _TOWNHALL, _ARMY, _STRUCTURE, _WORKER, _PRODUCER = 1, 2, 4, 8, 16, 32, 64
# The structures production.train_army trains units from.
PRODUCERS = (Unit.Factory, Unit.Barracks)
_ROLE = np.zeros(_TABLE_SIZE, np.uint8)
for _bit, _members in ((_MINERAL, ids.MINERAL_FIELDS), (_GEYSER, ids.GEYSERS), (_TOWNHALL, ids.TOWNHALLS),
                       (_ARMY, ids.ARMY), (_STRUCTURE, ids.STRUCTURES), (_WORKER, ids.WORKERS),
                       (_PRODUCER, PRODUCERS)):
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
# count(): which ids a type's count covers.
_COUNTED_AS = {int(Unit.SupplyDepot): [int(t) for t in ids.DEPOTS],
               int(Unit.CommandCenter): [int(t) for t in ids.TOWNHALLS],
               int(Unit.SiegeTank): [int(Unit.SiegeTank), int(Unit.SiegeTankSieged)]}
_DEPOT_TYPES = [int(t) for t in ids.DEPOTS]
_SLOT_OF = {int(u): int(_UNIT_SLOT[int(u)]) for u in Unit}
# count(): the slots a type's count adds up (every Unit member; others are counted directly).
_COUNT_SLOTS = {int(u): tuple(_SLOT_OF[t] for t in _COUNTED_AS.get(int(u), (int(u),))) for u in Unit}
_TRAIN_SLOT = {int(u): int(_ABILITY_SLOT[int(a)]) for u, a in ids.TRAIN_ABILITY.items()}
_SELF, _ENEMY, _NEUTRAL = int(Alliance.Self), int(Alliance.Enemy), int(Alliance.Neutral)
_HIDDEN = int(DisplayType.Hidden)
_SCV, _REFINERY = int(Unit.SCV), int(Unit.Refinery)
_GATHER_TABLE = _table(_GATHER)
_BUILD_TABLE = _table(ids.BUILD_ABILITIES)


# Supply each unit type takes (ids.COST's, 1 for types it does not list).
_FOOD = np.ones(_TABLE_SIZE, np.int64)
for _item, (_, _, _food) in ids.COST.items():
    _FOOD[int(_item)] = _food


# The groups BotView sorts the unit table into, each a run of row indices (in table order) that
# _sort_units writes one after another.
(_G_OWN, _G_WORKERS, _G_ARMY, _G_TOWNHALLS, _G_TOWNHALLS_DONE, _G_REFINERIES, _G_ENEMY, _G_ENEMY_STRUCTURES,
 _G_ENEMY_UNITS, _G_MINERALS, _G_GEYSERS, _G_MINING_WORKERS, _G_IDLE_WORKERS, _G_PRODUCERS) = range(14)
_N_GROUPS = 14
# _sort_units' counts buffer: group bounds, then own units per type slot, finished ones per
# type slot, own orders per ability slot, SCVs walking to a build site per build ability slot.
_TYPE_COUNTS = _N_GROUPS + 1
_DONE_COUNTS = _TYPE_COUNTS + _N_UNIT_SLOTS
_ORDER_COUNTS = _DONE_COUNTS + _N_UNIT_SLOTS
_WALKING_COUNTS = _ORDER_COUNTS + _N_ABILITY_SLOTS
_ARMY_FOOD = _WALKING_COUNTS + _N_ABILITY_SLOTS
_N_COUNTS = _ARMY_FOOD + 1
ATTACK_ACQUIRED = 23  # the attack order a unit gives itself when it acquires a target
# What _sort_units reads: numba's cache is keyed by this file's source only, so nothing derived
# from another module (ids, types) may reach the kernel as a global; it comes in as arguments.
_KERNEL_TABLES = np.zeros((7, _TABLE_SIZE), np.int64)
_KERNEL_TABLES[0], _KERNEL_TABLES[1], _KERNEL_TABLES[2] = _ROLE, _UNIT_SLOT, _ABILITY_SLOT
_KERNEL_TABLES[3], _KERNEL_TABLES[4] = _GATHER_TABLE, _BUILD_TABLE
_KERNEL_TABLES[5, :256] = _RESOURCE_KIND
_KERNEL_TABLES[6] = _FOOD
_KERNEL_CONSTANTS = np.array([_SELF, _ENEMY, _NEUTRAL, _HIDDEN, _SCV, _REFINERY,
                              _TYPE_COUNTS, _DONE_COUNTS, _ORDER_COUNTS, _WALKING_COUNTS, _ARMY_FOOD,
                              int(Ability.Attack), ATTACK_ACQUIRED], np.int64)


@njit(cache=True)
def _sort_units(units, tables, consts, idx, counts, flags):  # pragma: no cover - compiled
    """One pass per group over the unit table (ids clipped into the tables, as take(mode="clip")).
    idx: the groups' row indices, one group after another; counts: see _N_COUNTS; flags: own
    finished [0, n), own structure [n, 2n), SCV with a build order [2n, 3n), army unit attacking
    (an Attack order first, given or acquired) [3n, 4n), and attacking a unit [4n, 5n) (per group row).
    tables and consts: _KERNEL_TABLES and _KERNEL_CONSTANTS."""
    role, unit_slot, ability_slot, gather, build, resource_kind, food = (
        tables[0], tables[1], tables[2], tables[3], tables[4], tables[5], tables[6])
    own_id, enemy_id, neutral_id, hidden_id, scv, refinery = consts[0:6]
    type_counts, done_counts, order_counts, walking_counts, army_food = consts[6:11]
    attack, attack_acquired = consts[11], consts[12]
    n = units.shape[0]
    top = _TABLE_SIZE - 1
    pos = 0
    for i in range(n):
        if units[i]["alliance"] == own_id:
            idx[pos] = i
            pos += 1
    n_own = pos
    for k in range(n_own):
        u = units[idx[k]]
        t = min(max(u["unit_type"], 0), top)
        done = u["build_progress"] >= 1.0
        flags[k] = done
        flags[n + k] = (role[t] & _STRUCTURE) != 0
        counts[type_counts + unit_slot[t]] += 1
        if done:
            counts[done_counts + unit_slot[t]] += 1
        orders = u["order_ability_id"]
        for j in range(orders.shape[0]):
            counts[order_counts + ability_slot[min(max(orders[j], 0), top)]] += 1
    counts[_G_OWN + 1] = pos
    # SCVs; one with a build order is "walking" until a structure of ours stands at its target.
    start = pos
    for k in range(n_own):
        i = idx[k]
        if units[i]["unit_type"] == scv:
            idx[pos] = i
            first = min(max(units[i]["order_ability_id"][0], 0), top)
            if build[first]:
                flags[2 * n + pos - start] = True
                tx, ty = units[i]["order_target_x"][0], units[i]["order_target_y"][0]
                there = False
                for m in range(n_own):
                    if flags[n + m] and not flags[m]:
                        b = units[idx[m]]
                        if abs(b["x"] - tx) + abs(b["y"] - ty) < 1.5:
                            there = True
                            break
                if not there:
                    counts[walking_counts + ability_slot[first]] += 1
            pos += 1
    counts[_G_WORKERS + 1] = pos
    start = pos
    for k in range(n_own):
        i = idx[k]
        t = min(max(units[i]["unit_type"], 0), top)
        if role[t] & _ARMY:
            idx[pos] = i
            counts[army_food] += food[t]
            first = units[i]["order_ability_id"][0]
            if units[i]["order_count"] > 0 and (first == attack or first == attack_acquired):
                flags[3 * n + pos - start] = True
                flags[4 * n + pos - start] = units[i]["order_target_tag"][0] != 0
            pos += 1
    counts[_G_ARMY + 1] = pos
    for k in range(n_own):
        i = idx[k]
        if role[min(max(units[i]["unit_type"], 0), top)] & _TOWNHALL:
            idx[pos] = i
            pos += 1
    counts[_G_TOWNHALLS + 1] = pos
    for k in range(n_own):
        i = idx[k]
        if role[min(max(units[i]["unit_type"], 0), top)] & _TOWNHALL and flags[k]:
            idx[pos] = i
            pos += 1
    counts[_G_TOWNHALLS_DONE + 1] = pos
    for k in range(n_own):
        i = idx[k]
        if units[i]["unit_type"] == refinery:
            idx[pos] = i
            pos += 1
    counts[_G_REFINERIES + 1] = pos
    start = pos
    for i in range(n):
        if units[i]["alliance"] == enemy_id and units[i]["display_type"] != hidden_id:
            idx[pos] = i
            pos += 1
    end = pos
    counts[_G_ENEMY + 1] = pos
    for k in range(start, end):
        i = idx[k]
        if role[min(max(units[i]["unit_type"], 0), top)] & _STRUCTURE:
            idx[pos] = i
            pos += 1
    counts[_G_ENEMY_STRUCTURES + 1] = pos
    for k in range(start, end):
        i = idx[k]
        if not role[min(max(units[i]["unit_type"], 0), top)] & _STRUCTURE:
            idx[pos] = i
            pos += 1
    counts[_G_ENEMY_UNITS + 1] = pos
    # Mineral fields: neutral, a mineral field type or (not a geyser) with minerals left.
    for i in range(n):
        if units[i]["alliance"] == neutral_id:
            bits = role[min(max(units[i]["unit_type"], 0), top)]
            if resource_kind[bits] + (1 if units[i]["mineral_contents"] > 0 else 0) >= 2:
                idx[pos] = i
                pos += 1
    counts[_G_MINERALS + 1] = pos
    for i in range(n):
        if units[i]["alliance"] == neutral_id and role[min(max(units[i]["unit_type"], 0), top)] & _GEYSER:
            idx[pos] = i
            pos += 1
    counts[_G_GEYSERS + 1] = pos
    workers_start, workers_end = counts[_G_WORKERS], counts[_G_WORKERS + 1]
    for k in range(workers_start, workers_end):
        i = idx[k]
        if units[i]["order_count"] == 0 or gather[min(max(units[i]["order_ability_id"][0], 0), top)]:
            idx[pos] = i
            pos += 1
    counts[_G_MINING_WORKERS + 1] = pos
    for k in range(workers_start, workers_end):
        i = idx[k]
        if units[i]["order_count"] == 0:
            idx[pos] = i
            pos += 1
    counts[_G_IDLE_WORKERS + 1] = pos
    for k in range(n_own):
        i = idx[k]
        if role[min(max(units[i]["unit_type"], 0), top)] & _PRODUCER and flags[k]:
            idx[pos] = i
            pos += 1
    counts[_G_PRODUCERS + 1] = pos


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


class _group:
    """A unit group of BotView: its rows of the table, copied out on first read."""

    def __init__(self, g: int):
        self.g = g

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, view, owner=None):
        if view is None:
            return self
        b = view._bounds
        value = view.__dict__[self.name] = np.frombuffer(view._rows[b[self.g]:b[self.g + 1]], dtype=view._dtype)
        return value


class BotView:
    """Own units by role, neutral resources, enemies; a budget spent as commands are issued."""

    def __init__(self, obs: Observation):
        units = np.ascontiguousarray(obs.units)
        self.obs = obs
        self.loop = int(obs.game_loop)
        self._dtype = dtype = units.dtype
        n = len(units)
        # One compiled pass sorts the table into the groups (row indices) and counts; the groups'
        # rows are then copied out in one take, each group a slice of it.
        idx = np.empty(n * _N_GROUPS, np.int64)
        counts = np.zeros(_N_COUNTS, np.int64)
        flags = np.zeros(5 * n, np.bool_)
        _sort_units(units, _KERNEL_TABLES, _KERNEL_CONSTANTS, idx, counts, flags)
        c = counts.tolist()
        self._bounds = b = c[:_TYPE_COUNTS]
        self._rows = np.frombuffer(units, dtype=_raw_row(dtype)).take(idx[:b[-1]])
        n_own, n_workers = b[1], b[2] - b[1]
        self.done = flags[:n_own]
        self.own_structure = flags[n:n + n_own]
        self.building_workers = flags[2 * n:2 * n + n_workers]  # SCVs with a build order, walking or building
        n_army = b[_G_ARMY + 1] - b[_G_ARMY]
        self.army_attacking = flags[3 * n:3 * n + n_army]  # first order Attack (given or acquired)
        self.army_shooting = flags[4 * n:4 * n + n_army]  # ... at a unit
        self._type_counts = c[_TYPE_COUNTS:_DONE_COUNTS]
        self._done_counts = c[_DONE_COUNTS:_ORDER_COUNTS]
        self._order_counts = c[_ORDER_COUNTS:_WALKING_COUNTS]
        self._army_food = c[_ARMY_FOOD]
        self._by_tag: dict[int, int] | None = None

        # What SCVs walking to a build site will build (counts as "in progress"); they pay when
        # they arrive (as in SC2): keep that money aside.
        p = obs.player
        minerals_left, vespene_left = int(p.minerals), int(p.vespene)
        ordered = {}
        for structure, slot, minerals, vespene in _BUILDS:
            k = c[_WALKING_COUNTS + slot]
            ordered[structure] = k
            minerals_left -= k * minerals
            vespene_left -= k * vespene
        self.ordered_builds: dict[int, int] = ordered
        self.minerals_left = minerals_left
        self.vespene_left = vespene_left
        self.food_used = int(p.food_used)
        self.food_cap = int(p.food_cap)
        self.food_left = self.food_cap - self.food_used

    own = _group(_G_OWN)
    workers = _group(_G_WORKERS)
    army = _group(_G_ARMY)
    townhalls = _group(_G_TOWNHALLS)
    townhalls_done = _group(_G_TOWNHALLS_DONE)
    refineries = _group(_G_REFINERIES)
    enemy = _group(_G_ENEMY)
    enemy_structures = _group(_G_ENEMY_STRUCTURES)
    enemy_units = _group(_G_ENEMY_UNITS)
    minerals = _group(_G_MINERALS)
    geysers = _group(_G_GEYSERS)
    mining_workers = _group(_G_MINING_WORKERS)
    idle_workers = _group(_G_IDLE_WORKERS)
    producers = _group(_G_PRODUCERS)  # finished PRODUCERS

    @_lazy
    def upgrades(self) -> set:
        return set(np.asarray(self.obs.upgrades).tolist())

    @_lazy
    def available(self) -> set:
        return set(np.asarray(self.obs.available_abilities).tolist())

    @_lazy
    def worker_first_order(self) -> np.ndarray:
        return self.workers["order_ability_id"][:, 0]

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
        return float(self._army_food)

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


# Compile _sort_units (or load it from numba's cache) on import, not in a game's first step.
_sort_units(np.zeros(0, UNIT_DTYPE), _KERNEL_TABLES, _KERNEL_CONSTANTS, np.empty(0, np.int64),
            np.zeros(_N_COUNTS, np.int64), np.zeros(0, np.bool_))
