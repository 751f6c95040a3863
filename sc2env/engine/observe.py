"""Per-player Observation (sc2env.types) from the state arrays, fog of war applied.

A player sees all its own units, neutral units (resources, as the raw interface lists
them), enemy units standing in cells it sees now, and enemy structures it has seen
before as Snapshot (display_type 2). Orders are shown for own units only.
"""

from __future__ import annotations

import numpy as np

from sc2env.engine import kernel as K
from sc2env.engine import state as S
from sc2env.engine.commands import ADDON_ABILITIES, RESEARCH_ABILITIES, TRAIN_ABILITIES, tech_error, tech_met
from sc2env.engine.gamedata import BUILD_STRUCTURE_ABILITIES
from sc2env.types import (MAX_ORDERS, Alliance, CloakState, DisplayType, MapPlanes, Observation, PlayerCommon,
                          UNIT_DTYPE)

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


def visible_slots(game, player: int, fog: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(slots, display_type) of the units `player` observes, in slot order (all units when fog=False)."""
    st = game.state
    it, fl = st.it, st.fl
    alive = it[S.ALIVE] == 1
    owner = it[S.OWNER]
    enemy = 3 - player
    cx = np.clip(fl[S.X].astype(np.int64), 0, game.map.width - 1)
    cy = np.clip(fl[S.Y].astype(np.int64), 0, game.map.height - 1)
    seen_now = st.visibility[player, cy, cx] == 2
    is_struct = game.ti[K.T_IS_STRUCTURE, it[S.TYPE]] == 1
    own_or_neutral = alive & ((owner == player) | (owner == S.NEUTRAL))
    enemy_alive = alive & (owner == enemy)
    if not fog:
        slots = np.flatnonzero(alive)
        return slots, np.full(len(slots), DisplayType.Visible, np.int8)
    visible = own_or_neutral | (enemy_alive & seen_now)
    snapshot = enemy_alive & ~seen_now & is_struct & (st.snapshot[player] == 1)
    slots = np.flatnonzero(visible | snapshot)
    display = np.where(snapshot[slots], DisplayType.Snapshot, DisplayType.Visible).astype(np.int8)
    return slots, display


def unit_table(game, player: int, fog: bool = True) -> np.ndarray:
    """The unit table `player` observes; fog=False lists every unit (full state, replays)."""
    st = game.state
    it, fl = st.it, st.fl
    types = game.types
    slots, display = visible_slots(game, player, fog and game.fog_of_war)
    n = len(slots)
    u = np.zeros(n, UNIT_DTYPE)
    if n == 0:
        return u
    t = it[S.TYPE, slots]
    owner = it[S.OWNER, slots]
    own = owner == player
    u["tag"] = st.tags[slots]
    u["unit_type"] = types.unit_id[t]
    u["alliance"] = np.where(own, Alliance.Self, np.where(owner == S.NEUTRAL, Alliance.Neutral, Alliance.Enemy))
    u["owner"] = owner
    u["display_type"] = display
    u["cloak"] = CloakState.NotCloaked
    x, y = fl[S.X, slots], fl[S.Y, slots]
    u["x"] = x
    u["y"] = y
    hgrid = game.map.terrain_height
    u["z"] = hgrid[np.clip(y.astype(np.int64), 0, game.map.height - 1),
                   np.clip(x.astype(np.int64), 0, game.map.width - 1)] / 16.0
    u["facing"] = fl[S.FACING, slots]
    u["radius"] = game.tf[K.T_RADIUS, t]
    bt = game.tf[K.T_BUILD_TIME, t]
    u["build_progress"] = np.where(it[S.BUILT, slots] == 1, 1.0, fl[S.PROGRESS, slots] / np.maximum(bt, 1.0))
    u["health"] = np.maximum(fl[S.HP, slots], 0.0)
    u["health_max"] = game.tf[K.T_HP, t]
    u["shield"] = fl[S.SHIELD, slots]
    u["shield_max"] = game.tf[K.T_SHIELD, t]
    kind = game.ti[K.T_KIND, t]
    contents = fl[S.CONTENTS, slots].astype(np.int32)
    u["mineral_contents"] = np.where(kind == K.K_MINERAL, contents, 0)
    u["vespene_contents"] = np.where((kind == K.K_GEYSER) | (kind == K.K_REFINERY), contents, 0)
    u["is_powered"] = True
    u["attack_upgrade_level"] = np.where(game.ti[K.T_INFANTRY, t] == 1, st.pl[S.P_WEAPONS, np.clip(owner, 0, 2)], 0)
    u["weapon_cooldown"] = np.maximum(fl[S.COOLDOWN, slots], 0.0)
    addon = it[S.ADDON, slots]
    u["add_on_tag"] = np.where(addon >= 0, st.tags[np.maximum(addon, 0)], 0)
    u["cargo_space_taken"] = 0
    engaged = it[S.ENGAGED, slots]
    u["engaged_target_tag"] = np.where(own & (engaged >= 0), st.tags[np.maximum(engaged, 0)], 0)
    _harvesters(game, player, slots, kind, own, u)
    _orders(game, slots, t, own, u)
    u["is_active"] = u["order_count"] > 0
    return u


def _harvesters(game, player, slots, kind, own, u) -> None:
    st = game.state
    it, fl = st.it, st.fl
    th = np.flatnonzero(own & (kind == K.K_TOWNHALL))
    ref = np.flatnonzero(own & (kind == K.K_REFINERY))
    if len(th) == 0 and len(ref) == 0:
        return
    order = it[S.ORDER]
    workers = (it[S.ALIVE] == 1) & (it[S.OWNER] == player) & (it[S.HOME] >= 0) \
        & ((order == S.GATHER) | (order == S.MINING) | (order == S.RETURN))
    per_home = np.bincount(it[S.HOME, workers], minlength=st.capacity)
    if len(ref):
        rs = slots[ref]
        u["assigned_harvesters"][ref] = per_home[rs]
        u["ideal_harvesters"][ref] = np.where(fl[S.CONTENTS, rs] > 0, 3, 0)
    if len(th):
        minerals = np.flatnonzero((it[S.ALIVE] == 1) & (game.ti[K.T_KIND, it[S.TYPE]] == K.K_MINERAL))
        for r in th:
            s = slots[r]
            near = minerals[np.hypot(fl[S.X, minerals] - fl[S.X, s], fl[S.Y, minerals] - fl[S.Y, s]) < 12.0]
            u["ideal_harvesters"][r] = 2 * len(near)
            u["assigned_harvesters"][r] = int(per_home[near].sum())


def _orders(game, slots, t, own, u) -> None:
    st = game.state
    it, fl = st.it, st.fl
    types = game.types
    is_struct = game.ti[K.T_IS_STRUCTURE, t] == 1
    # Units: the current order in slot 0 (vectorised), queued ones after it.
    rows = np.flatnonzero(own & ~is_struct & (it[S.ORDER, slots] != S.IDLE))
    if len(rows):
        us = slots[rows]
        target = it[S.TARGET, us]
        has_target = target >= 0
        u["order_ability_id"][rows, 0] = it[S.ABILITY, us]
        u["order_target_tag"][rows, 0] = np.where(has_target, st.tags[np.maximum(target, 0)], 0)
        u["order_target_x"][rows, 0] = np.where(has_target, 0.0, fl[S.TX, us])
        u["order_target_y"][rows, 0] = np.where(has_target, 0.0, fl[S.TY, us])
        u["order_count"][rows] = 1
        if game.queued_orders:
            for r, i in zip(rows, us):
                queued = game.queued_orders.get(int(i), [])
                for k, cmd in enumerate(queued[: MAX_ORDERS - 1], start=1):
                    u["order_ability_id"][r, k] = cmd.ability_id
                    if cmd.target_point is not None:
                        u["order_target_x"][r, k], u["order_target_y"][r, k] = cmd.target_point
                    elif cmd.target_unit_tag is not None:
                        u["order_target_tag"][r, k] = cmd.target_unit_tag
                u["order_count"][r] = 1 + len(queued)
    # Structures: production queue, research, add-on construction.
    for r in np.flatnonzero(own & is_struct):
        i = slots[r]
        k = 0
        for s, q in enumerate(S.QUEUE):
            qt = it[q, i]
            if qt < 0 or k >= MAX_ORDERS:
                continue
            u["order_ability_id"][r, k] = types.build_ability[qt]
            if s < 2 and fl[S.PROD0 + s, i] > 0:
                u["order_progress"][r, k] = fl[S.PROD0 + s, i] / types.build_time[qt]
            k += 1
        if it[S.RESEARCH, i] >= 0 and k < MAX_ORDERS:
            u["order_ability_id"][r, k] = types.upgrades[int(it[S.RESEARCH, i])]["ability_id"]
            u["order_progress"][r, k] = fl[S.RESEARCHT, i] / max(game._research_total[i], 1.0)
            k += 1
        if it[S.ORDER, i] == S.CONSTRUCT and k < MAX_ORDERS:
            u["order_ability_id"][r, k] = it[S.ABILITY, i]
            b = it[S.TARGET, i]
            u["order_target_tag"][r, k] = st.tags[b] if b >= 0 else 0
            k += 1
        u["order_count"][r] = k


def available_abilities(game, player: int) -> np.ndarray:
    """Ability ids at least one of the player's units can use now (cost, supply and tech checked)."""
    st = game.state
    it = st.it
    types = game.types
    mine = np.flatnonzero((it[S.ALIVE] == 1) & (it[S.OWNER] == player))
    if len(mine) == 0:
        return np.zeros(0, np.int32)
    mt = it[S.TYPE, mine]
    present = set(np.unique(mt).tolist())
    out: list[int] = []
    if (game.tf[K.T_SPEED, mt] > 0).any():
        out.extend(MOBILE_ABILITIES.tolist())
    minerals, vespene = st.pl[S.P_MINERALS, player], st.pl[S.P_VESPENE, player]
    food_left = st.pl[S.P_FOOD_CAP, player] - st.pl[S.P_FOOD_USED, player]
    finished = mine[it[S.BUILT, mine] == 1]
    finished_ids = set(types.unit_id[it[S.TYPE, finished]].tolist())

    def affordable(m, g):
        return minerals >= m and vespene >= g

    if types.by_name["SCV"] in present:
        out.extend([295, 296])
        for ab in BUILD_STRUCTURE_ABILITIES:
            t = types.ability_to_type[ab]
            if affordable(types.minerals[t], types.vespene[t]) and tech_met(game, t, finished_ids):
                out.append(ab)
    ready = finished[it[S.ORDER, finished] != S.CONSTRUCT]
    ready_types = it[S.TYPE, ready]
    for ab in TRAIN_ABILITIES:
        t = types.ability_to_type[ab]
        if not affordable(types.minerals[t], types.vespene[t]) or types.food_required[t] > food_left:
            continue
        for i, rt in zip(ready, ready_types):
            if rt in types.producers[t] and (not types.require_attached[t] or tech_error(game, player, t, i) is None) \
                    and tech_met(game, t, finished_ids):
                out.append(ab)
                break
    for ab, name in ADDON_ABILITIES.items():
        t = types.by_name[name]
        if affordable(types.minerals[t], types.vespene[t]) and any(
                rt in types.producers[t] and it[S.ADDON, i] < 0 for i, rt in zip(ready, ready_types)):
            out.append(ab)
    for ab in RESEARCH_ABILITIES:
        up = types.upgrade_by_ability[ab]
        info = types.upgrades[up]
        if types.by_name[info["researcher"]] in set(ready_types.tolist()) and up not in st.upgrades[player] \
                and affordable(info["minerals"], info["vespene"]):
            out.append(ab)
    if len(ready) and types.is_structure[ready_types].any():
        out.extend([195, 203] if types.by_name["CommandCenter"] in set(ready_types.tolist()) else [195])
    return np.array(sorted(set(out)), np.int32)


def player_common(game, player: int) -> PlayerCommon:
    st = game.state
    it = st.it
    mine = (it[S.ALIVE] == 1) & (it[S.OWNER] == player)
    kind = game.ti[K.T_KIND, it[S.TYPE]]
    workers = mine & (kind == K.K_WORKER)
    army = mine & (kind == K.K_UNIT)
    return PlayerCommon(
        player_id=player,
        minerals=int(st.pl[S.P_MINERALS, player]),
        vespene=int(st.pl[S.P_VESPENE, player]),
        food_cap=int(st.pl[S.P_FOOD_CAP, player]),
        food_used=int(np.ceil(st.pl[S.P_FOOD_USED, player])),
        food_army=int(np.ceil(game.tf[K.T_FOOD_REQ, it[S.TYPE, army]].sum())),
        food_workers=int(workers.sum()),
        idle_worker_count=int((workers & (it[S.ORDER] == S.IDLE)).sum()),
        army_count=int(army.sum()),
    )


def build_observation(game, player: int) -> Observation:
    st = game.state
    height, creep = _static_planes(game)
    vis = st.visibility[player].copy() if game.fog_of_war else np.full_like(st.visibility[player], 2)
    planes = MapPlanes(height=height, pathable=st.pathable.astype(bool), placeable=st.placeable.copy(),
                       visibility=vis, creep=creep)
    ups = st.upgrades[player]
    score = float(st.pl[S.P_MINED_MINERALS, player] + st.pl[S.P_MINED_GAS, player] + st.pl[S.P_KILLED_VALUE, player])
    return Observation(game_loop=st.game_loop, player=player_common(game, player), units=unit_table(game, player),
                       map=planes, available_abilities=available_abilities(game, player),
                       upgrades=ups[ups > 0].astype(np.int32), score=score)
