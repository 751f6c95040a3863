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
    rows = {int(s): r for r, s in enumerate(slots)}
    for i, queued in game.queued_orders.items():
        r = rows.get(i)
        if r is None or game.state.it[S.OWNER, i] != player or u["order_count"][r] == 0:
            continue
        for k, cmd in enumerate(queued[: MAX_ORDERS - 1], start=1):
            u["order_ability_id"][r, k] = cmd.ability_id
            if cmd.target_point is not None:
                u["order_target_x"][r, k], u["order_target_y"][r, k] = cmd.target_point
            elif cmd.target_unit_tag is not None:
                u["order_target_tag"][r, k] = cmd.target_unit_tag
        u["order_count"][r] = 1 + len(queued[: MAX_ORDERS - 1])


def ability_table(game):
    """Static per-ability requirement rows for OK.available_mask (built once per game)."""
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
    tech = np.full((n, 4), -1, np.int64)
    producers = np.full((n, 2), -1, np.int64)
    for k, row in enumerate(rows):
        tech[k, : len(row[5])] = row[5]
        producers[k, : len(row[6])] = row[6]
    nt = types.count
    cached = game._ability_table = dict(
        ids=np.array([r[0] for r in rows], np.int32), kind=np.array([r[1] for r in rows], np.int64),
        minerals=np.array([r[2] for r in rows], np.float64), vespene=np.array([r[3] for r in rows], np.float64),
        food=np.array([r[4] for r in rows], np.float64), tech=tech, producers=producers,
        attached=np.array([r[7] for r in rows], np.bool_), upgrade=np.array([r[8] for r in rows], np.int64),
        is_structure=types.is_structure.copy(), townhall=types.by_name["CommandCenter"],
        # np.unique(ids[mask]) without sorting every call: unique ids once, each row's index into them.
        unique_ids=np.unique(np.array([r[0] for r in rows], np.int32)),
        unique_index=np.unique(np.array([r[0] for r in rows], np.int32), return_inverse=True)[1].astype(np.int64),
        scratch=[np.zeros(nt, np.int64) for _ in range(4)] + [np.zeros(2, np.int64), np.zeros(n, np.int64)])
    return cached


def available_abilities(game, player: int) -> np.ndarray:
    """Ability ids at least one of the player's units can use now (cost, supply and tech checked)."""
    st = game.state
    a = ability_table(game)
    finished, ready, ready_techlab, ready_free, flags, out = a["scratch"]
    OK.available_mask(st.it, game.tf, game.ti, st.pl, st.upgrades[player], player, a["kind"], a["minerals"],
                      a["vespene"], a["food"], a["tech"], a["producers"], a["attached"], a["upgrade"],
                      a["is_structure"], a["townhall"], finished, ready, ready_techlab, ready_free, flags, out)
    hit = np.zeros(len(a["unique_ids"]), np.bool_)
    hit[a["unique_index"][out == 1]] = True
    return a["unique_ids"][hit]


def player_common(game, player: int) -> PlayerCommon:
    st = game.state
    counts = np.zeros(4)
    OK.player_counts(st.it, game.tf, game.ti, player, counts)
    food_army, workers, idle, army = counts.tolist()
    pl = st.pl[:, player].tolist()  # python floats: cheaper than numpy scalars field by field
    return PlayerCommon(
        player_id=player,
        minerals=int(pl[S.P_MINERALS]),
        vespene=int(pl[S.P_VESPENE]),
        food_cap=int(pl[S.P_FOOD_CAP]),
        food_used=math.ceil(pl[S.P_FOOD_USED]),
        food_army=math.ceil(food_army),
        food_workers=int(workers),
        idle_worker_count=int(idle),
        army_count=int(army),
    )


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
    st = game.state
    height, creep = _static_planes(game)
    pathable, placeable = _terrain_planes(game)
    vis = st.visibility[player].copy() if game.fog_of_war else _all_visible(game)
    planes = MapPlanes(height=height, pathable=pathable, placeable=placeable, visibility=vis, creep=creep)
    ups = st.upgrades[player]
    score = float(st.pl[S.P_MINED_MINERALS, player] + st.pl[S.P_MINED_GAS, player] + st.pl[S.P_KILLED_VALUE, player])
    return Observation(game_loop=st.game_loop, player=player_common(game, player), units=unit_table(game, player),
                       map=planes, available_abilities=available_abilities(game, player),
                       upgrades=ups[ups > 0].astype(np.int32), score=score)
