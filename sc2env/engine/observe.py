"""Per-player Observation (sc2env.types) from the state arrays, fog of war applied.

A player sees all its own units, neutral units (resources, as the raw interface lists
them), enemy units standing in cells it sees now, and enemy structures it has seen
before as Snapshot (display_type 2). Orders are shown for own units only.
"""

from __future__ import annotations

import math

import numpy as np

from sc2env.engine import observe_kernel as OK
from sc2env.engine import state as S
from sc2env.engine.commands import ADDON_ABILITIES, RESEARCH_ABILITIES, TRAIN_ABILITIES
from sc2env.engine.gamedata import BUILD_STRUCTURE_ABILITIES
from sc2env.types import MAX_ORDERS, MapPlanes, Observation, PlayerCommon, UNIT_DTYPE

MOBILE_ABILITIES = np.array([1, 4, 16, 18, 23], np.int32)


def _static_planes(game) -> tuple[np.ndarray, np.ndarray]:
    cached = getattr(game, "_obs_static", None)
    if cached is None:
        height = game.map.terrain_height.copy()
        creep = np.zeros_like(game.map.pathable)
        height.flags.writeable = False
        creep.flags.writeable = False
        cached = game._obs_static = (height, creep)
    return cached


def _scratch(game, capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-game slot / display / per-slot count buffers for the kernels (regrown with the state's capacity)."""
    cached = getattr(game, "_obs_scratch", None)
    if cached is None or len(cached[0]) != capacity:
        cached = game._obs_scratch = (np.empty(capacity, np.int64), np.empty(capacity, np.int8),
                                      np.empty(capacity, np.int64))
    return cached


def _zero_units(n: int) -> np.ndarray:
    """np.zeros(n, UNIT_DTYPE), several times cheaper: zeroed bytes viewed as the structured dtype."""
    return np.frombuffer(bytearray(n * UNIT_DTYPE.itemsize), UNIT_DTYPE)


def visible_slots(game, player: int, fog: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(slots, display_type) of the units `player` observes, in slot order (all units when fog=False)."""
    slots, display = _visible_slots(game, player, fog)
    return slots.copy(), display.copy()


def _visible_slots(game, player: int, fog: bool) -> tuple[np.ndarray, np.ndarray]:
    """visible_slots as views of per-game scratch buffers: valid until the next call."""
    st = game.state
    slots, display, _ = _scratch(game, st.capacity)
    row = st.snapshot[player] if 1 <= player <= 2 else np.zeros(st.capacity, np.uint8)
    vis = st.visibility[player] if 1 <= player <= 2 else st.visibility[0]
    n = OK.select_units(st.fl, st.it, game.ti, row, vis, player, fog, slots, display)
    return slots[:n], display[:n]


def _lookup_tables(game):
    cached = getattr(game, "_obs_tables", None)
    if cached is None:
        research = np.zeros(1024, np.int32)
        for up, info in game.types.upgrades.items():
            research[up] = info["ability_id"]
        cached = game._obs_tables = (game.types.unit_id.astype(np.int32), game.types.build_ability.astype(np.int32),
                                     research)
    return cached


def unit_table(game, player: int, fog: bool = True) -> np.ndarray:
    """The unit table `player` observes; fog=False lists every unit (full state, replays)."""
    st = game.state
    slots, display = _visible_slots(game, player, fog and game.fog_of_war)
    u = _zero_units(len(slots))
    if len(slots) == 0:
        return u
    unit_ids, build_ability, research = _lookup_tables(game)
    if len(game._research_total) < st.capacity:
        game._research_total = np.concatenate([game._research_total,
                                               np.zeros(st.capacity - len(game._research_total))])
    OK.fill_units(u, slots, display, player, st.fl, st.it, st.tags, game.tf, game.ti, st.pl,
                  game.map.terrain_height, unit_ids, build_ability, research, game._research_total,
                  _scratch(game, st.capacity)[2])
    if game.queued_orders:
        _queued_orders(game, player, slots, u)
    return u


def _queued_orders(game, player, slots, u) -> None:
    # `slots` is in slot order: find each queued slot's row by bisection, not a dict of all rows.
    queued_slots = list(game.queued_orders)
    rows = np.searchsorted(slots, queued_slots).tolist()
    n = len(slots)
    for i, r in zip(queued_slots, rows):
        if r >= n or slots[r] != i or game.state.it[S.OWNER, i] != player or u["order_count"][r] == 0:
            continue
        queued = game.queued_orders[i]
        for k, cmd in enumerate(queued[: MAX_ORDERS - 1], start=1):
            u["order_ability_id"][r, k] = cmd.ability_id
            if cmd.target_point is not None:
                u["order_target_x"][r, k], u["order_target_y"][r, k] = cmd.target_point
            elif cmd.target_unit_tag is not None:
                u["order_target_tag"][r, k] = cmd.target_unit_tag
        u["order_count"][r] = 1 + len(queued[: MAX_ORDERS - 1])


def ability_table(game):
    """Static per-ability requirement rows for OK.available_mask, packed (built once per game)."""
    cached = getattr(game, "_ability_table", None)
    if cached is not None:
        return cached
    from sc2env.engine.commands import TECH_ALIASES

    types = game.types
    rows = []  # (ability, kind, minerals, vespene, food, tech type idxs, producer idxs, attached, upgrade)

    def tech_of(t):
        req = int(types.tech_requirement_unit_id[t])
        if not req or types.require_attached[t]:
            return []
        return [types.index[r] for r in TECH_ALIASES.get(req, (req,)) if r in types.index]

    for ab in MOBILE_ABILITIES.tolist():
        rows.append((ab, OK.AK_MOBILE, 0, 0, 0, [], [], False, 0))
    for ab in (295, 296):
        rows.append((ab, OK.AK_WORKER, 0, 0, 0, [], [], False, 0))
    for ab in BUILD_STRUCTURE_ABILITIES:
        t = types.ability_to_type[ab]
        rows.append((ab, OK.AK_BUILD, types.minerals[t], types.vespene[t], 0, tech_of(t), [], False, 0))
    for ab in TRAIN_ABILITIES:
        t = types.ability_to_type[ab]
        rows.append((ab, OK.AK_TRAIN, types.minerals[t], types.vespene[t], types.food_required[t], tech_of(t),
                     types.producers[t], bool(types.require_attached[t]), 0))
    for ab, name in ADDON_ABILITIES.items():
        t = types.by_name[name]
        rows.append((ab, OK.AK_ADDON, types.minerals[t], types.vespene[t], 0, [], types.producers[t], False, 0))
    for ab in RESEARCH_ABILITIES:
        up = types.upgrade_by_ability[ab]
        info = types.upgrades[up]
        rows.append((ab, OK.AK_RESEARCH, info["minerals"], info["vespene"], 0, [], [types.by_name[info["researcher"]]],
                     False, up))
    rows.append((195, OK.AK_RALLY, 0, 0, 0, [], [], False, 0))
    rows.append((203, OK.AK_RALLY_CC, 0, 0, 0, [], [], False, 0))
    n = len(rows)
    ids = np.array([r[0] for r in rows], np.int32)
    unique_ids, unique_index = np.unique(ids, return_inverse=True)  # ids ascending, each row's index into them
    a_int = np.full((n, OK.N_A_INT), -1, np.int64)
    a_cost = np.zeros((n, 3), np.float64)
    for k, row in enumerate(rows):
        a_int[k, OK.A_KIND] = row[1]
        a_int[k, OK.A_TECH: OK.A_TECH + len(row[5])] = row[5]
        a_int[k, OK.A_PRODUCER: OK.A_PRODUCER + len(row[6])] = row[6]
        a_int[k, OK.A_ATTACHED] = int(row[7])
        a_int[k, OK.A_UPGRADE] = row[8]
        a_int[k, OK.A_UNIQUE] = unique_index[k]
        a_cost[k] = row[2], row[3], row[4]
    cached = game._ability_table = dict(a_int=a_int, a_cost=a_cost, unique_ids=unique_ids.astype(np.int32),
                                        is_structure=types.is_structure.copy(),
                                        townhall=int(types.by_name["CommandCenter"]))
    return cached


class _ObsBuffers:
    """Per-game inputs and scratch of OK.observe_player, sized by the state's capacity."""

    def __init__(self, game) -> None:
        capacity = game.state.capacity
        a = ability_table(game)
        self.capacity = capacity
        self.units = np.zeros(capacity, UNIT_DTYPE)  # rows 0..n are the table of the last call
        self.unit_bytes = self.units.view(np.uint8)
        self.unit_memory = memoryview(self.unit_bytes)
        self.slots = np.empty(capacity, np.int64)
        self.display = np.empty(capacity, np.int8)
        self.per_home = np.empty(capacity, np.int64)
        self.unit_ids, self.build_ability, self.research = _lookup_tables(game)
        self.a_int, self.a_cost, self.is_structure = a["a_int"], a["a_cost"], a["is_structure"]
        self.townhall, self.unique_ids = a["townhall"], a["unique_ids"]
        self.facts = np.zeros((4, game.types.count), np.int64)
        self.flags = np.zeros(2, np.int64)
        self.mask = np.zeros(len(self.a_int), np.int64)
        self.hit = np.zeros(len(self.unique_ids), np.int64)
        self.numbers = np.zeros(OK.N_NUMBERS, np.float64)
        self.abilities = np.zeros(len(self.unique_ids), np.int32)
        self.upgrades = np.zeros(game.state.upgrades.shape[1], np.int32)

    def __deepcopy__(self, memo) -> None:
        return None  # scratch that aliases itself (units / unit_bytes): a copied Game builds its own


def _buffers(game) -> _ObsBuffers:
    cached = getattr(game, "_obs_buffers", None)
    if cached is None or cached.capacity != game.state.capacity:
        cached = game._obs_buffers = _ObsBuffers(game)
    return cached


def _terrain_planes(game) -> tuple[np.ndarray, np.ndarray]:
    """Read-only pathable / placeable planes, rebuilt only when a structure changes them."""
    st = game.state
    cached = getattr(game, "_obs_planes", None)
    if cached is None or cached[0] != st.pathing_version:
        pathable = st.pathable.astype(bool)
        placeable = st.placeable.copy()
        pathable.flags.writeable = False
        placeable.flags.writeable = False
        cached = game._obs_planes = (st.pathing_version, pathable, placeable)
    return cached[1], cached[2]


def _all_visible(game) -> np.ndarray:
    """Read-only all-visible plane for games without fog (built once per game, like the static planes)."""
    cached = getattr(game, "_obs_all_visible", None)
    if cached is None:
        cached = game._obs_all_visible = np.full_like(game.state.visibility[1], 2)
        cached.flags.writeable = False
    return cached


def build_observation(game, player: int) -> Observation:
    """`player`'s Observation: one kernel call (OK.observe_player) fills the unit table, counts,
    abilities and upgrades; the rest is the planes (read-only, shared while they do not change)."""
    st = game.state
    b = _buffers(game)
    if len(game._research_total) < st.capacity:
        game._research_total = np.concatenate([game._research_total,
                                               np.zeros(st.capacity - len(game._research_total))])
    n, n_abilities, n_upgrades = OK.observe_player(
        b.units, b.unit_bytes, player, game.fog_of_war, st.fl, st.it, st.tags, game.tf, game.ti, st.pl, st.upgrades,
        st.snapshot, st.visibility, game.map.terrain_height, b.unit_ids, b.build_ability, b.research,
        game._research_total, b.slots, b.display, b.per_home, b.a_int, b.a_cost, b.is_structure, b.townhall,
        b.facts, b.flags, b.mask, b.unique_ids, b.hit, b.numbers, b.abilities, b.upgrades)
    # Copied as bytes: numpy copies a structured dtype with sub-array fields field by field (~20x slower).
    units = np.frombuffer(bytearray(b.unit_memory[:n * UNIT_DTYPE.itemsize]), UNIT_DTYPE)
    if game.queued_orders:
        _queued_orders(game, player, b.slots[:n], units)
    food_army, workers, idle, army, minerals, vespene, food_cap, food_used, score = b.numbers.tolist()
    common = PlayerCommon(player_id=player, minerals=int(minerals), vespene=int(vespene), food_cap=int(food_cap),
                          food_used=math.ceil(food_used), food_army=math.ceil(food_army), food_workers=int(workers),
                          idle_worker_count=int(idle), army_count=int(army))
    height, creep = _static_planes(game)
    pathable, placeable = _terrain_planes(game)
    vis = st.visibility[player].copy() if game.fog_of_war else _all_visible(game)
    planes = MapPlanes(height=height, pathable=pathable, placeable=placeable, visibility=vis, creep=creep)
    return Observation(game_loop=st.game_loop, player=common, units=units, map=planes,
                       available_abilities=b.abilities[:n_abilities].copy(), upgrades=b.upgrades[:n_upgrades].copy(),
                       score=score)
