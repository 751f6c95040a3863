"""Game state as struct-of-arrays: one numpy column per unit field, one row per unit slot.

`fl[FIELD, i]` (float64) and `it[FIELD, i]` (int64) hold every per-unit number; each field
row is contiguous, so the simulation kernel (sc2env.engine.kernel) and the observation
code read whole columns. Slot i is live when `it[ALIVE, i] == 1`; dead slots are reused.
`tags[i]` is the unit's stable uint64 tag: (slot index) | (recycle count << 20) like the
SC2 API's tags, handed out deterministically. Per-player numbers live in `pl[player, P_*]`
(player 0 = neutral). Nothing here knows about Python objects, so state_hash() is a hash
of these arrays and nothing else.
"""

from __future__ import annotations

import hashlib

import numpy as np

from sc2env.engine.gamedata import UnitTypes
from sc2env.engine.maps import MapSpec

# Float fields (rows of fl).
X, Y, HP, SHIELD, ENERGY, COOLDOWN, PROGRESS, TX, TY, FACING, WORKT, PROD0, PROD1, RESEARCHT, CONTENTS, PX, PY = \
    range(17)
N_FL = 17  # PX, PY: position one loop ago (crowd arrival: a mover blocked near its goal stops)
# Int fields (rows of it).
(ALIVE, TYPE, OWNER, ORDER, TARGET, ABILITY, CARRY, CARRY_KIND, BTYPE, HOME, ADDON, PARENT, QUEUE0, QUEUE1, QUEUE2,
 QUEUE3, QUEUE4, RESEARCH, HARVESTERS, BUILT, HAS_QUEUE, PATH_FIELD, RALLY_KIND, LAST_ATTACKED, ENGAGED, PHASE) = range(26)
N_IT = 26
# PHASE: the owner's count of units made before this one. Periodic work (target re-scans,
# mining bounces) is staggered by it, not by slot: slots differ between the two players,
# so a slot-based stagger made mirrored units act on different loops (a seat bias).
QUEUE_SLOTS = 5
QUEUE = (QUEUE0, QUEUE1, QUEUE2, QUEUE3, QUEUE4)

# Order kinds (it[ORDER]).
IDLE, MOVE, ATTACK_MOVE, ATTACK_UNIT, HOLD, GATHER, RETURN, BUILD_MOVE, CONSTRUCT, MINING = range(10)
ORDER_NAMES = ("Idle", "Move", "AttackMove", "AttackUnit", "Hold", "Gather", "Return", "BuildMove", "Construct",
               "Mining")
# Carry kinds.
CARRY_MINERALS, CARRY_GAS = 1, 2

# Per-player fields (rows of pl, columns = player id 0..2).
P_MINERALS, P_VESPENE, P_FOOD_USED, P_FOOD_CAP, P_WEAPONS, P_MINED_MINERALS, P_MINED_GAS, P_KILLED_VALUE, \
    P_LOST_VALUE = range(9)
N_PL = 9
NEUTRAL = 16  # the SC2 API's owner id for neutral units
MAX_PLAYERS = 2
FOOD_CAP_MAX = 200

TAG_SLOT_BITS = 20

# A new unit's int column (add_unit copies it in one assignment, then sets type, owner, ...):
# alive, and -1 (none) in every field that holds a slot or a queued item.
_NEW_UNIT_IT = np.zeros(N_IT, np.int64)
_NEW_UNIT_IT[[TARGET, HOME, ADDON, PARENT, RESEARCH, PATH_FIELD, LAST_ATTACKED, ENGAGED, *QUEUE]] = -1
_NEW_UNIT_IT[ALIVE] = 1


class StateError(RuntimeError):
    """The game state was asked for something impossible (e.g. a unit id not in the data)."""


class GameState:
    """All mutable game data, as arrays. See the module docstring for the layout."""

    def __init__(self, map_spec: MapSpec, types: UnitTypes, capacity: int = 256) -> None:
        self.map = map_spec
        self.types = types
        self.fl = np.zeros((N_FL, capacity), np.float64)
        self.it = np.zeros((N_IT, capacity), np.int64)
        self.it[TARGET] = -1
        self.tags = np.zeros(capacity, np.uint64)
        self.recycles = np.zeros(capacity, np.int64)
        self.pl = np.zeros((N_PL, MAX_PLAYERS + 1), np.float64)
        self.upgrades = np.zeros((MAX_PLAYERS + 1, 8), np.int64)  # [player, k] = 1 when upgrade k done
        self.game_loop = 0
        # Terrain + structure footprints; kernels read `pathable` (uint8, 1 = walkable).
        self.terrain_pathable = map_spec.pathable.copy()
        self.pathable = map_spec.pathable.astype(np.uint8)
        self.placeable = map_spec.placeable.copy()
        self.pathing_version = 0
        # Visibility per player: 0 hidden, 1 fogged (seen before), 2 visible.
        self.visibility = np.zeros((MAX_PLAYERS + 1, map_spec.height, map_spec.width), np.uint8)
        # Structures an enemy has seen: snapshot[player, slot] = 1 (shown as Snapshot in fog).
        self.snapshot = np.zeros((MAX_PLAYERS + 1, capacity), np.uint8)
        self.made = np.zeros(NEUTRAL + 1, np.int64)  # units made so far per owner id (PHASE)

    # ----------------------------------------------------------------- slots
    @property
    def capacity(self) -> int:
        return self.fl.shape[1]

    def _grow(self) -> None:
        cap = self.capacity
        self.fl = np.concatenate([self.fl, np.zeros((N_FL, cap))], axis=1)
        extra = np.zeros((N_IT, cap), np.int64)
        extra[TARGET] = -1
        self.it = np.concatenate([self.it, extra], axis=1)
        self.tags = np.concatenate([self.tags, np.zeros(cap, np.uint64)])
        self.recycles = np.concatenate([self.recycles, np.zeros(cap, np.int64)])
        self.snapshot = np.concatenate([self.snapshot, np.zeros((MAX_PLAYERS + 1, cap), np.uint8)], axis=1)

    def add_unit(self, unit_type: int, owner: int, x: float, y: float, *, built: bool = True,
                 contents: float = 0.0) -> int:
        """Place a unit of SC2 UnitTypeId `unit_type` for `owner` (1, 2 or NEUTRAL); returns its slot.

        Structures block pathing under their footprint. `built=False` starts a structure at
        build progress 0 (construction). `contents` is minerals/vespene for resources.
        """
        if unit_type not in self.types.index:
            raise StateError(f"unit type {unit_type} is not in the engine's data (sc2env/engine/data/units.json)")
        t = self.types.index[unit_type]
        free = self.it[ALIVE] == 0
        i = int(free.argmax())  # the first free slot (argmax: ~1 us less than flatnonzero per unit)
        if not free[i]:
            self._grow()
            i = int(np.flatnonzero(self.it[ALIVE] == 0)[0])
        it, fl = self.it, self.fl
        fl[:, i] = 0.0
        it[:, i] = _NEW_UNIT_IT  # alive, no references (-1), every other int field 0
        it[TYPE, i] = t
        it[OWNER, i] = owner
        it[PHASE, i] = self.made[owner]
        self.made[owner] += 1
        it[BUILT, i] = 1 if built else 0
        fl[X, i] = x
        fl[Y, i] = y
        fl[TX, i] = x
        fl[TY, i] = y
        hp = self.types.hit_points[t]
        fl[HP, i] = hp if built else max(1.0, hp * 0.1)
        fl[SHIELD, i] = self.types.shields[t]
        fl[CONTENTS, i] = contents
        fl[PROGRESS, i] = self.types.build_time[t] if built else 0.0
        self.recycles[i] += 1
        self.tags[i] = np.uint64(i | (int(self.recycles[i]) << TAG_SLOT_BITS))
        self.snapshot[:, i] = 0
        if self.types.footprint[t] > 0 and self.types.is_structure[t]:
            self.set_footprint(i, blocked=True)
        return i

    def add_units(self, unit_type: int, owner: int, xs: np.ndarray, ys: np.ndarray, *, contents: float = 0.0
                  ) -> np.ndarray:
        """add_unit for several built units of one type and owner (a mini-game's refill), in one
        go: the same slots, tags and fields as adding them one by one in order. Returns the slots."""
        if unit_type not in self.types.index:
            raise StateError(f"unit type {unit_type} is not in the engine's data (sc2env/engine/data/units.json)")
        t = self.types.index[unit_type]
        xs = np.asarray(xs, dtype=np.float64).reshape(-1)
        ys = np.asarray(ys, dtype=np.float64).reshape(-1)
        k = len(xs)
        if len(ys) != k:
            raise ValueError(f"add_units got {k} x and {len(ys)} y coordinates")
        # Structures' footprints block pathing one by one; under 5 units the array calls below
        # (~20 us) cost more than add_unit (~4 us each).
        if k < 5 or (self.types.footprint[t] > 0 and self.types.is_structure[t]):
            return np.array([self.add_unit(unit_type, owner, x, y, contents=contents)
                             for x, y in zip(xs.tolist(), ys.tolist())], np.int64)
        free = np.flatnonzero(self.it[ALIVE] == 0)
        while len(free) < k:  # one by one, add_unit grows whenever no slot is free: the same growths
            self._grow()
            free = np.flatnonzero(self.it[ALIVE] == 0)
        i = free[:k]  # add_unit takes the lowest free slot each time
        it, fl = self.it, self.fl
        fl[:, i] = 0.0
        it[:, i] = _NEW_UNIT_IT[:, None]
        it[TYPE, i] = t
        it[OWNER, i] = owner
        it[PHASE, i] = self.made[owner] + np.arange(k)
        self.made[owner] += k
        it[BUILT, i] = 1
        fl[X, i] = xs
        fl[Y, i] = ys
        fl[TX, i] = xs
        fl[TY, i] = ys
        fl[HP, i] = self.types.hit_points[t]
        fl[SHIELD, i] = self.types.shields[t]
        fl[CONTENTS, i] = contents
        fl[PROGRESS, i] = self.types.build_time[t]
        self.recycles[i] += 1
        self.tags[i] = (i | (self.recycles[i] << TAG_SLOT_BITS)).astype(np.uint64)
        self.snapshot[:, i] = 0
        return i

    def footprint_cells(self, t: int, x: float, y: float) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) cell bounds of a footprint of type t centred at (x, y)."""
        side = int(self.types.footprint[t])
        x0 = int(np.floor(x - side / 2.0 + 0.5))
        y0 = int(np.floor(y - side / 2.0 + 0.5))
        return x0, y0, x0 + side, y0 + side

    def set_footprint(self, i: int, blocked: bool) -> None:
        t = int(self.it[TYPE, i])
        x0, y0, x1, y1 = self.footprint_cells(t, self.fl[X, i], self.fl[Y, i])
        h, w = self.pathable.shape
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if blocked:
            self.pathable[y0:y1, x0:x1] = 0
            self.placeable[y0:y1, x0:x1] = False
        else:
            self.pathable[y0:y1, x0:x1] = self.terrain_pathable[y0:y1, x0:x1]
            self.placeable[y0:y1, x0:x1] = self.map.placeable[y0:y1, x0:x1]
        self.pathing_version += 1

    def remove_unit(self, i: int) -> None:
        t = int(self.it[TYPE, i])
        was_structure = self.types.is_structure[t] and self.types.footprint[t] > 0
        self.it[ALIVE, i] = 0
        if was_structure:
            self.set_footprint(i, blocked=False)

    # --------------------------------------------------------------- lookups
    def alive_slots(self) -> np.ndarray:
        return np.flatnonzero(self.it[ALIVE] == 1)

    def slot_of_tag(self, tag: int) -> int:
        """Slot of a live unit's tag, or -1."""
        i = int(tag) & ((1 << TAG_SLOT_BITS) - 1)
        if i >= self.capacity or self.it[ALIVE, i] != 1 or int(self.tags[i]) != int(tag):
            return -1
        return i

    def units_of(self, owner: int, type_index: int | None = None) -> np.ndarray:
        mask = (self.it[ALIVE] == 1) & (self.it[OWNER] == owner)
        if type_index is not None:
            mask &= self.it[TYPE] == type_index
        return np.flatnonzero(mask)

    def state_hash(self) -> str:
        """sha256 over every array that defines the game (bit-identical games <=> equal hashes)."""
        h = hashlib.sha256()
        for arr in (self.fl, self.it, self.tags, self.pl, self.upgrades, self.pathable, self.visibility, self.made):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(np.int64(self.game_loop).tobytes())
        return h.hexdigest()
