"""numba loops behind sc2env.engine.observe: which units a player sees, the unit table, food.

Kept apart from observe.py so the Python side reads as the contract (what is shown) and
this file as the fast path (how the rows are filled). Every loop runs in slot order, so
tables are deterministic.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sc2env.engine.kernel import (K_MINERAL, K_REFINERY, K_TOWNHALL, K_UNIT, K_WORKER, K_GEYSER, T_BUILD_TIME,
                                  T_FOOD_REQ, T_HP, T_INFANTRY, T_IS_STRUCTURE, T_KIND, T_RADIUS, T_SHIELD)
from sc2env.engine.state import (ABILITY, ADDON, ALIVE, BUILT, CONSTRUCT, CONTENTS, COOLDOWN, ENGAGED, FACING, GATHER,
                                 HOME, HP, IDLE, MINING, ORDER, OWNER, P_FOOD_CAP, P_FOOD_USED, P_KILLED_VALUE,
                                 P_MINED_GAS, P_MINED_MINERALS, P_WEAPONS, PROD0,
                                 PROGRESS, QUEUE0, RESEARCH, RESEARCHT, RETURN, SHIELD, TARGET, TX, TY, TYPE, X, Y,
                                 NEUTRAL, FOOD_CAP_MAX)

ALLIANCE_SELF, ALLIANCE_NEUTRAL, ALLIANCE_ENEMY = 1, 3, 4
DISPLAY_VISIBLE, DISPLAY_SNAPSHOT = 1, 2
NOT_CLOAKED = 3


@njit(cache=True, _nrt=False)
def select_units(fl, it, ti, snapshot_row, vis, player, fog, out_slots, out_display):
    """Slots `player` observes (own, neutral, enemies in visible cells, remembered enemy structures)."""
    h, w = vis.shape
    n = 0
    for i in range(fl.shape[1]):
        if it[ALIVE, i] != 1:
            continue
        o = it[OWNER, i]
        shown = DISPLAY_VISIBLE
        if fog and o != player and o != NEUTRAL:
            cx = min(max(int(fl[X, i]), 0), w - 1)
            cy = min(max(int(fl[Y, i]), 0), h - 1)
            if vis[cy, cx] != 2:
                if ti[T_IS_STRUCTURE, it[TYPE, i]] == 1 and snapshot_row[i] == 1:
                    shown = DISPLAY_SNAPSHOT
                else:
                    continue
        out_slots[n] = i
        out_display[n] = shown
        n += 1
    return n


@njit(cache=True, _nrt=False)
def fill_units(u, slots, display, player, fl, it, tags, tf, ti, pl, height, unit_ids, build_ability,
               research_ability, research_total, per_home):
    """Write the UNIT_DTYPE rows for `slots` (queued orders past the first are added by the caller).

    per_home: int64 scratch, one entry per slot."""
    cap = fl.shape[1]
    h, w = height.shape
    per_home[:] = 0
    for i in range(cap):
        if it[ALIVE, i] == 1 and it[OWNER, i] == player and it[HOME, i] >= 0 and ti[T_KIND, it[TYPE, i]] == K_WORKER:
            o = it[ORDER, i]
            if o == GATHER or o == MINING or o == RETURN:
                per_home[it[HOME, i]] += 1
    for k in range(slots.shape[0]):
        i = slots[k]
        t = it[TYPE, i]
        owner = it[OWNER, i]
        own = owner == player
        kind = ti[T_KIND, t]
        r = u[k]
        r.tag = tags[i]
        r.unit_type = unit_ids[t]
        r.alliance = ALLIANCE_SELF if own else (ALLIANCE_NEUTRAL if owner == NEUTRAL else ALLIANCE_ENEMY)
        r.owner = owner
        r.display_type = display[k]
        r.cloak = NOT_CLOAKED
        x = fl[X, i]
        y = fl[Y, i]
        r.x = x
        r.y = y
        r.z = height[min(max(int(y), 0), h - 1), min(max(int(x), 0), w - 1)] / 16.0
        r.facing = fl[FACING, i]
        r.radius = tf[T_RADIUS, t]
        if it[BUILT, i] == 1:
            r.build_progress = 1.0
        else:
            r.build_progress = fl[PROGRESS, i] / max(tf[T_BUILD_TIME, t], 1.0)
        r.health = max(fl[HP, i], 0.0)
        r.health_max = tf[T_HP, t]
        r.shield = fl[SHIELD, i]
        r.shield_max = tf[T_SHIELD, t]
        if kind == K_MINERAL:
            r.mineral_contents = int(fl[CONTENTS, i])
        elif kind == K_GEYSER or kind == K_REFINERY:
            r.vespene_contents = int(fl[CONTENTS, i])
        r.is_powered = True
        if ti[T_INFANTRY, t] == 1 and (owner == 1 or owner == 2):
            r.attack_upgrade_level = int(pl[P_WEAPONS, owner])
        r.weapon_cooldown = max(fl[COOLDOWN, i], 0.0)
        a = it[ADDON, i]
        if a >= 0:
            r.add_on_tag = tags[a]
        if not own:
            continue
        e = it[ENGAGED, i]
        if e >= 0:
            r.engaged_target_tag = tags[e]
        if kind == K_REFINERY:
            r.assigned_harvesters = per_home[i]
            r.ideal_harvesters = 3 if fl[CONTENTS, i] > 0 else 0
        elif kind == K_TOWNHALL:
            fields = 0
            assigned = 0
            for j in range(cap):
                if it[ALIVE, j] == 1 and ti[T_KIND, it[TYPE, j]] == K_MINERAL:
                    dx = fl[X, j] - x
                    dy = fl[Y, j] - y
                    if dx * dx + dy * dy < 144.0:
                        fields += 1
                        assigned += per_home[j]
            r.ideal_harvesters = 2 * fields
            r.assigned_harvesters = assigned
        n_orders = 0
        if ti[T_IS_STRUCTURE, t] == 1:
            for s in range(5):
                q = it[QUEUE0 + s, i]
                if q < 0 or n_orders >= 4:
                    continue
                r.order_ability_id[n_orders] = build_ability[q]
                if s < 2 and fl[PROD0 + s, i] > 0:
                    r.order_progress[n_orders] = fl[PROD0 + s, i] / tf[T_BUILD_TIME, q]
                n_orders += 1
            up = it[RESEARCH, i]
            if up >= 0 and n_orders < 4:
                r.order_ability_id[n_orders] = research_ability[up]
                r.order_progress[n_orders] = fl[RESEARCHT, i] / max(research_total[i], 1.0)
                n_orders += 1
            if it[ORDER, i] == CONSTRUCT and n_orders < 4:
                r.order_ability_id[n_orders] = it[ABILITY, i]
                b = it[TARGET, i]
                if b >= 0:
                    r.order_target_tag[n_orders] = tags[b]
                n_orders += 1
        elif it[ORDER, i] != IDLE:
            r.order_ability_id[0] = it[ABILITY, i]
            tg = it[TARGET, i]
            if tg >= 0:
                r.order_target_tag[0] = tags[tg]
            else:
                r.order_target_x[0] = fl[TX, i]
                r.order_target_y[0] = fl[TY, i]
            n_orders = 1
        r.order_count = n_orders
        r.is_active = n_orders > 0


@njit(cache=True, _nrt=False)
def player_counts(it, tf, ti, player, out):
    """out[:] = food_army, workers, idle workers, army units, for `player`."""
    out[:] = 0.0
    for i in range(it.shape[1]):
        if it[ALIVE, i] != 1 or it[OWNER, i] != player:
            continue
        t = it[TYPE, i]
        kind = ti[T_KIND, t]
        if kind == K_WORKER:
            out[1] += 1
            if it[ORDER, i] == IDLE:
                out[2] += 1
        elif kind == K_UNIT:
            out[0] += tf[T_FOOD_REQ, t]
            out[3] += 1


@njit(cache=True, _nrt=False)
def update_food(it, tf, ti, food_provided, pl):
    """Supply used (units + units in production queues) and supply cap (finished structures, max 200)."""
    for p in (1, 2):
        pl[P_FOOD_USED, p] = 0.0
        pl[P_FOOD_CAP, p] = 0.0
    for i in range(it.shape[1]):
        if it[ALIVE, i] != 1:
            continue
        p = it[OWNER, i]
        if p != 1 and p != 2:
            continue
        t = it[TYPE, i]
        pl[P_FOOD_USED, p] += tf[T_FOOD_REQ, t]
        for s in range(5):
            q = it[QUEUE0 + s, i]
            if q >= 0:
                pl[P_FOOD_USED, p] += tf[T_FOOD_REQ, q]
        if it[BUILT, i] == 1:
            pl[P_FOOD_CAP, p] += food_provided[t]
    for p in (1, 2):
        pl[P_FOOD_CAP, p] = min(pl[P_FOOD_CAP, p], FOOD_CAP_MAX)


@njit(cache=True, _nrt=False)
def remember_structures(fl, it, ti, vis, snapshot):
    """Enemy structures standing in a visible cell now are remembered (Snapshot under fog later)."""
    h = vis.shape[1]
    w = vis.shape[2]
    for i in range(fl.shape[1]):
        if it[ALIVE, i] != 1 or ti[T_IS_STRUCTURE, it[TYPE, i]] != 1:
            continue
        o = it[OWNER, i]
        if o != 1 and o != 2:
            continue
        cx = min(max(int(fl[X, i]), 0), w - 1)
        cy = min(max(int(fl[Y, i]), 0), h - 1)
        for p in (1, 2):
            if vis[p, cy, cx] == 2:
                snapshot[p, i] = 1


@njit(cache=True, _nrt=False)
def ability_facts(it, tf, ti, player, facts, flags):
    """Per unit type t of `player`: facts[0, t] finished, facts[1, t] ready (finished, not building an
    add-on), facts[2, t] ready with a finished TechLab attached, facts[3, t] ready without an add-on;
    flags = [any mobile, any worker]."""
    facts[:, :] = 0
    flags[0] = 0
    flags[1] = 0
    for i in range(it.shape[1]):
        if it[ALIVE, i] != 1 or it[OWNER, i] != player:
            continue
        t = it[TYPE, i]
        if tf[4, t] > 0.0:  # T_SPEED
            flags[0] = 1
        if ti[T_KIND, t] == K_WORKER:
            flags[1] = 1
        if it[BUILT, i] != 1:
            continue
        facts[0, t] += 1
        if it[ORDER, i] == CONSTRUCT:
            continue
        facts[1, t] += 1
        a = it[ADDON, i]
        if a < 0:
            facts[3, t] += 1
        elif it[ALIVE, a] == 1 and it[BUILT, a] == 1 and ti[T_KIND, it[TYPE, a]] != 6:  # not a Reactor
            facts[2, t] += 1


# Rows of the ability table (built by sc2env.engine.observe.ability_table).
AK_MOBILE, AK_WORKER, AK_BUILD, AK_TRAIN, AK_ADDON, AK_RESEARCH, AK_RALLY, AK_RALLY_CC = range(8)
# Columns of its int part a_int[row, :] and its cost part a_cost[row, :].
A_KIND, A_TECH, A_PRODUCER, A_ATTACHED, A_UPGRADE, A_UNIQUE = 0, 1, 5, 7, 8, 9
N_TECH, N_PRODUCERS, N_A_INT = 4, 2, 10
A_MINERALS, A_VESPENE, A_FOOD = 0, 1, 2


@njit(cache=True, _nrt=False)
def available_mask(it, tf, ti, pl, upgrades_row, player, a_int, a_cost, is_structure, townhall_type, facts, flags,
                   out):
    """out[k] = 1 when ability row k is usable by one of `player`'s units now."""
    ability_facts(it, tf, ti, player, facts, flags)
    minerals = pl[0, player]
    vespene = pl[1, player]
    food_left = pl[P_FOOD_CAP, player] - pl[P_FOOD_USED, player]
    any_ready_structure = False
    for t in range(facts.shape[1]):
        if facts[1, t] > 0 and is_structure[t]:
            any_ready_structure = True
    for k in range(a_int.shape[0]):
        kind = a_int[k, A_KIND]
        ok = False
        if kind == AK_MOBILE:
            ok = flags[0] == 1
        elif kind == AK_WORKER:
            ok = flags[1] == 1
        elif kind == AK_RALLY:
            ok = any_ready_structure
        elif kind == AK_RALLY_CC:
            ok = facts[1, townhall_type] > 0
        elif minerals >= a_cost[k, A_MINERALS] and vespene >= a_cost[k, A_VESPENE]:
            tech = True
            if a_int[k, A_TECH] >= 0:
                tech = False
                for r in range(N_TECH):
                    if a_int[k, A_TECH + r] >= 0 and facts[0, a_int[k, A_TECH + r]] > 0:
                        tech = True
            if kind == AK_BUILD:
                ok = tech and flags[1] == 1
            elif kind == AK_TRAIN:
                if tech and a_cost[k, A_FOOD] <= food_left:
                    for r in range(N_PRODUCERS):
                        p = a_int[k, A_PRODUCER + r]
                        if p >= 0 and ((facts[2, p] > 0) if a_int[k, A_ATTACHED] == 1 else (facts[1, p] > 0)):
                            ok = True
            elif kind == AK_ADDON:
                for r in range(N_PRODUCERS):
                    p = a_int[k, A_PRODUCER + r]
                    if p >= 0 and facts[3, p] > 0:
                        ok = True
            elif kind == AK_RESEARCH:
                done = False
                for r in range(upgrades_row.shape[0]):
                    if upgrades_row[r] == a_int[k, A_UPGRADE]:
                        done = True
                ok = (not done) and facts[1, a_int[k, A_PRODUCER]] > 0
        out[k] = 1 if ok else 0


# numbers[:] written by observe_player (float64): PlayerCommon's counts and the score.
(N_FOOD_ARMY, N_WORKERS, N_IDLE, N_ARMY, N_MINERALS, N_VESPENE, N_FOOD_CAP, N_FOOD_USED, N_SCORE) = range(9)
N_NUMBERS = 9


@njit(cache=True, _nrt=False)
def observe_player(u, u_bytes, player, fog, fl, it, tags, tf, ti, pl, upgrades, snapshot, visibility, height,
                   unit_ids, build_ability, research_ability, research_total, slots, display, per_home,
                   a_int, a_cost, is_structure, townhall_type, facts, flags, mask, unique_ids, hit,
                   numbers, ability_out, upgrade_out):
    """One call for everything of an Observation that comes from the arrays: the unit table into
    rows 0..n of u (zeroed first through u_bytes, its byte view), PlayerCommon's numbers, the
    available ability ids (ascending, each once) and the finished upgrades.
    Returns (n units, n abilities, n upgrades); the rest are caller-owned scratch buffers."""
    n = select_units(fl, it, ti, snapshot[player], visibility[player], player, fog, slots, display)
    row_bytes = u_bytes.shape[0] // u.shape[0]
    u_bytes[:n * row_bytes] = 0
    fill_units(u, slots[:n], display[:n], player, fl, it, tags, tf, ti, pl, height, unit_ids, build_ability,
               research_ability, research_total, per_home)
    player_counts(it, tf, ti, player, numbers)
    numbers[N_MINERALS] = pl[0, player]
    numbers[N_VESPENE] = pl[1, player]
    numbers[N_FOOD_CAP] = pl[P_FOOD_CAP, player]
    numbers[N_FOOD_USED] = pl[P_FOOD_USED, player]
    numbers[N_SCORE] = pl[P_MINED_MINERALS, player] + pl[P_MINED_GAS, player] + pl[P_KILLED_VALUE, player]
    available_mask(it, tf, ti, pl, upgrades[player], player, a_int, a_cost, is_structure, townhall_type, facts,
                   flags, mask)
    hit[:] = 0
    for k in range(a_int.shape[0]):
        if mask[k] == 1:
            hit[a_int[k, A_UNIQUE]] = 1
    n_abilities = 0
    for k in range(unique_ids.shape[0]):
        if hit[k] == 1:
            ability_out[n_abilities] = unique_ids[k]
            n_abilities += 1
    n_upgrades = 0
    for r in range(upgrades.shape[1]):
        if upgrades[player, r] > 0:
            upgrade_out[n_upgrades] = upgrades[player, r]
            n_upgrades += 1
    return n, n_abilities, n_upgrades
