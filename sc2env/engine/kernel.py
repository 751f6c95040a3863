"""The per-game-loop simulation: numba-compiled loops over the state arrays.

`simulate(...)` advances up to `n_loops` game loops: weapon cooldowns, production and
research timers, construction, harvesting (gather -> mine -> return), combat (target
acquisition, range, damage with armor / bonus / upgrades, splash), movement (straight
line when the segment is clear, else down a cached BFS distance field), collisions
(units push each other apart, never into blocked cells). It stops early, after the loop
in which something needs the Python layer (a unit finished training, a structure
finished, an SCV reached its build site, a unit with queued orders finished its order)
and reports what happened in `events`; `sc2env.engine.game.Game` handles those and calls
it again for the remaining loops. Everything is deterministic: fixed iteration order,
no randomness, float64.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Every loop here runs with _nrt=False: nothing is allocated (scratch comes from the caller), and
# without the runtime numba emits no atomic reference-count update for each array handed to a
# helper, which had cost more than the loops' own arithmetic.

from sc2env.engine.state import (ABILITY, ADDON, ALIVE, ATTACK_MOVE, ATTACK_UNIT, BTYPE, BUILD_MOVE, CARRY,
                                 CARRY_GAS, CARRY_KIND, CARRY_MINERALS, CONSTRUCT, CONTENTS, COOLDOWN, ENGAGED,
                                 FACING, GATHER, HAS_QUEUE, HOLD, HOME, HP, IDLE, MINING, MOVE, ORDER, OWNER,
                                 P_KILLED_VALUE, P_LOST_VALUE, P_MINED_GAS, P_MINED_MINERALS,
                                 P_MINERALS, P_VESPENE, P_WEAPONS, PROD0, PROGRESS, QUEUE0, RESEARCH, RESEARCHT,
                                 RETURN, SHIELD, TARGET, TX, TY, TYPE, WORKT, X, Y, BUILT, LAST_ATTACKED, PX, PY, PHASE)

from sc2env.engine import pathing as _pathing
from sc2env.engine.pathing import blocked, step_toward

# Type table rows (tf float, ti int), built by type_tables().
(T_HP, T_SHIELD, T_RADIUS, T_ARMOR, T_SPEED, T_SIGHT, T_BUILD_TIME, W_DAMAGE, W_ATTACKS, W_RANGE, W_COOLDOWN,
 W_BONUS, W_SPLASH, T_FOOD_REQ, T_VALUE, T_FOOTPRINT) = range(16)
N_TF = 16
assert (_pathing.T_RADIUS, _pathing.T_SPEED) == (T_RADIUS, T_SPEED)  # pathing reads these rows too
T_IS_STRUCTURE, T_ATTR, W_BONUS_MASK, W_GROUND, W_AIR, W_SUICIDE, T_INFANTRY, T_KIND = range(8)
N_TI = 8
# Unit kinds (ti[T_KIND]).
K_UNIT, K_WORKER, K_TOWNHALL, K_MINERAL, K_GEYSER, K_REFINERY, K_REACTOR, K_MARKER, K_STRUCTURE = range(9)

# Events (rows of `events`: kind, a, b, c).
EV_TRAIN_DONE, EV_RESEARCH_DONE, EV_STRUCT_DONE, EV_BUILD_ARRIVE, EV_DEATH, EV_ORDER_DONE, EV_DEPLETED = range(1, 8)
BLOCKING = (EV_TRAIN_DONE, EV_RESEARCH_DONE, EV_STRUCT_DONE, EV_BUILD_ARRIVE, EV_ORDER_DONE)
MAX_EVENTS = 256

# Harvest numbers. Liquipedia "Resources" (LotV, Faster): mining a mineral patch takes 2.786 s,
# a geyser 1.981 s (real seconds at Faster = x22.4 game loops); 5 minerals / 4 vespene a trip.
MINE_LOOPS = 2.786 * 22.4
GAS_LOOPS = 1.981 * 22.4
MINERALS_PER_TRIP = 5
GAS_PER_TRIP = 4
# A worker pauses at the townhall to drop its cargo (and to turn and accelerate, which the
# kernel does not model); calibrated so a close-patch trip takes ~5 real seconds (~60 minerals
# per real minute per worker, the LotV figure of Liquipedia "Mining").
DEPOSIT_LOOPS = 20.0
ARRIVE_SLACK = 0.3  # edge-to-edge distance that counts as "arrived" at a structure / resource
ACQUIRE_PERIOD = 4  # loops between target re-scans of a unit that already has a target
# A unit moving to a point counts as arrived when it is this close and its neighbours'
# pushes stop it (a group ordered to one point spreads around it instead of jostling).
CROWD_ARRIVAL = 3.0


@njit(cache=True, _nrt=False, inline="always")
def _crowd_arrived(fl, i, speed):
    dx = fl[TX, i] - fl[X, i]
    dy = fl[TY, i] - fl[Y, i]
    if dx * dx + dy * dy > CROWD_ARRIVAL * CROWD_ARRIVAL:
        return False
    mx = fl[X, i] - fl[PX, i]
    my = fl[Y, i] - fl[PY, i]
    return mx * mx + my * my < (0.25 * speed) ** 2


def type_tables(types) -> tuple[np.ndarray, np.ndarray]:
    """Pack sc2env.engine.gamedata.UnitTypes into the kernel's float/int type tables."""
    n = types.count
    tf = np.zeros((N_TF, n), np.float64)
    ti = np.zeros((N_TI, n), np.int64)
    tf[T_HP] = types.hit_points
    tf[T_SHIELD] = types.shields
    tf[T_RADIUS] = types.radius
    tf[T_ARMOR] = types.armor
    tf[T_SPEED] = types.speed
    tf[T_SIGHT] = types.sight
    tf[T_BUILD_TIME] = types.build_time
    tf[W_DAMAGE] = types.w_damage
    tf[W_ATTACKS] = types.w_attacks
    tf[W_RANGE] = types.w_range
    tf[W_COOLDOWN] = types.w_cooldown
    tf[W_BONUS] = types.w_bonus
    tf[W_SPLASH] = types.w_splash
    tf[T_FOOD_REQ] = types.food_required
    tf[T_VALUE] = types.minerals + types.vespene
    tf[T_FOOTPRINT] = types.footprint
    ti[T_IS_STRUCTURE] = types.is_structure
    ti[T_ATTR] = types.attr_mask
    ti[W_BONUS_MASK] = types.w_bonus_mask
    ti[W_GROUND] = types.w_hits_ground
    ti[W_AIR] = types.w_hits_air
    ti[W_SUICIDE] = types.w_suicide
    ti[T_INFANTRY] = types.infantry_weapons
    for i, name in enumerate(types.names):
        kind = K_STRUCTURE if types.is_structure[i] else K_UNIT
        if name == "SCV":
            kind = K_WORKER
        elif name == "CommandCenter":
            kind = K_TOWNHALL
        elif name.startswith("MineralField"):
            kind = K_MINERAL
        elif name == "VespeneGeyser":
            kind = K_GEYSER
        elif name == "Refinery":
            kind = K_REFINERY
        elif name.endswith("Reactor"):
            kind = K_REACTOR
        elif name.startswith("Beacon") or name == "MineralShard":
            kind = K_MARKER
        ti[T_KIND, i] = kind
    return tf, ti


@njit(cache=True, _nrt=False, inline="always")
def _push_event(events, n_events, kind, a, b, c):
    k = n_events[0]
    if k < events.shape[0]:
        events[k, 0] = kind
        events[k, 1] = a
        events[k, 2] = b
        events[k, 3] = c
        n_events[0] = k + 1


@njit(cache=True, _nrt=False, inline="always")
def _edge_dist(fl, tf, it, i, j):
    dx = fl[X, j] - fl[X, i]
    dy = fl[Y, j] - fl[Y, i]
    return np.sqrt(dx * dx + dy * dy) - tf[T_RADIUS, it[TYPE, i]] - tf[T_RADIUS, it[TYPE, j]]


@njit(cache=True, _nrt=False, inline="always")
def _gap(fl, tf, it, i, j):
    """Edge gap between unit i and unit j, using j's square footprint when it has one."""
    tj = it[TYPE, j]
    side = tf[T_FOOTPRINT, tj]
    ri = tf[T_RADIUS, it[TYPE, i]]
    if side <= 0.0:
        return _edge_dist(fl, tf, it, i, j)
    half = side * 0.5
    dx = max(abs(fl[X, i] - fl[X, j]) - half, 0.0)
    dy = max(abs(fl[Y, i] - fl[Y, j]) - half, 0.0)
    return np.sqrt(dx * dx + dy * dy) - ri


@njit(cache=True, _nrt=False)
def _move_to_unit(i, j, fl, it, tf, pathable, table, slack, fields, cell_field, field_cell, fnext):
    """Walk unit i next to unit j (footprint-aware); True once within `slack` of its edge."""
    if _gap(fl, tf, it, i, j) <= slack:
        return True
    step_toward(i, fl, pathable, table, tf[T_SPEED, it[TYPE, i]], fl[X, j], fl[Y, j], 0.0, fields, cell_field,
                 field_cell, fnext)
    return _gap(fl, tf, it, i, j) <= slack


@njit(cache=True, _nrt=False, inline="always")
def _can_target(it, ti, tf, i, j):
    if it[ALIVE, j] != 1 or it[OWNER, j] == it[OWNER, i] or it[OWNER, j] > 2 or it[OWNER, j] < 1:
        return False
    tj = it[TYPE, j]
    if tf[T_HP, tj] <= 0.0:
        return False  # resources, markers
    return ti[W_GROUND, it[TYPE, i]] == 1  # everything we model is on the ground


BUCKET = 4.0  # cells per side of the spatial hash used for target scans and collisions


CBUCKET = 2.0  # finer hash for collisions: largest radius sum (two Siege Tanks) is 1.75


def work_size(capacity: int, h: int, w: int) -> int:
    """Entries of simulate's int64 scratch: both spatial hashes, per-slot lists, the shot queue."""
    nb = int(np.ceil(w / BUCKET)) * int(np.ceil(h / BUCKET))
    return 3 * nb + int(np.ceil(w / CBUCKET)) * int(np.ceil(h / CBUCKET)) + 5 * capacity + 1


@njit(cache=True, _nrt=False)
def _build_buckets(fl, it, live, n_live, head, nxt, nbx, nby):
    """Spatial hash of the live units of players 1 and 2, one list per owner: head[owner * buckets +
    bucket] -> first slot, nxt[slot] -> next slot (a target scan walks only the enemy's lists)."""
    head[:] = -1
    nb = nbx * nby
    for k in range(n_live - 1, -1, -1):
        i = live[k]
        if it[ALIVE, i] != 1:
            continue
        o = it[OWNER, i]
        if o != 1 and o != 2:
            continue
        bx = min(max(int(fl[X, i] / BUCKET), 0), nbx - 1)
        by = min(max(int(fl[Y, i] / BUCKET), 0), nby - 1)
        b = o * nb + by * nbx + bx
        nxt[i] = head[b]
        head[b] = i


@njit(cache=True, _nrt=False, inline="always")
def _collidable(it, tf, ti, i):
    if it[ALIVE, i] != 1:
        return False
    t = it[TYPE, i]
    if ti[T_IS_STRUCTURE, t] == 1 or tf[T_SPEED, t] <= 0.0:
        return False
    o = it[ORDER, i]
    return not (o == GATHER or o == MINING or o == RETURN or o == CONSTRUCT)


@njit(cache=True, _nrt=False)
def _build_collision_buckets(fl, it, tf, ti, live, n_live, head, nxt, nbx, nby):
    head[:] = -1
    for k in range(n_live - 1, -1, -1):
        i = live[k]
        if not _collidable(it, tf, ti, i):
            continue
        bx = min(max(int(fl[X, i] / CBUCKET), 0), nbx - 1)
        by = min(max(int(fl[Y, i] / CBUCKET), 0), nby - 1)
        b = by * nbx + bx
        nxt[i] = head[b]
        head[b] = i


@njit(cache=True, _nrt=False)
def _acquire(i, fl, it, tf, ti, radius, head, nxt, nbx, nby):
    """Best target for unit i within `radius` (edge distance): armed units first, then others, then structures.

    Ties go to the lower slot, so the answer does not depend on the scan order.
    """
    best = -1
    best_score = 1e18
    reach = radius + 3.5  # largest footprint half-size + a loop of movement since the hash was built
    x = fl[X, i]
    y = fl[Y, i]
    bx0 = max(int((x - reach) / BUCKET), 0)
    bx1 = min(int((x + reach) / BUCKET), nbx - 1)
    by0 = max(int((y - reach) / BUCKET), 0)
    by1 = min(int((y + reach) / BUCKET), nby - 1)
    enemy = 3 - it[OWNER, i]
    if enemy < 1 or enemy > 2 or ti[W_GROUND, it[TYPE, i]] != 1:  # _can_target would refuse every unit
        return -1
    ri = tf[T_RADIUS, it[TYPE, i]]
    nb = nbx * nby
    for by in range(by0, by1 + 1):
        for bx in range(bx0, bx1 + 1):
            j = head[enemy * nb + by * nbx + bx]
            while j >= 0:
                if _can_target(it, ti, tf, i, j):
                    # Far units skip the square root: _gap >= centre distance - ri - (j's radius, or the
                    # half-diagonal of its footprint), so past `far` it exceeds radius (1e-6: rounding).
                    tj = it[TYPE, j]
                    side = tf[T_FOOTPRINT, tj]
                    far = radius + ri + (side * 0.7072 if side > 0.0 else tf[T_RADIUS, tj]) + 1e-6
                    dx = fl[X, j] - x
                    dy = fl[Y, j] - y
                    if dx * dx + dy * dy <= far * far:
                        d = _gap(fl, tf, it, i, j)
                        if d <= radius:
                            prio = 0.0 if tf[W_DAMAGE, tj] > 0 else (1000.0 if ti[T_IS_STRUCTURE, tj] == 0 else 2000.0)
                            score = prio + d
                            if score < best_score or (score == best_score and j < best):
                                best_score = score
                                best = j
                j = nxt[j]
    return best


@njit(cache=True, _nrt=False, inline="always")
def _damage(fl, it, tf, ti, pl, i, j):
    ta = it[TYPE, i]
    tj = it[TYPE, j]
    base = tf[W_DAMAGE, ta]
    if ti[T_INFANTRY, ta] == 1:
        base += pl[P_WEAPONS, it[OWNER, i]]
    if (ti[T_ATTR, tj] & ti[W_BONUS_MASK, ta]) != 0:
        base += tf[W_BONUS, ta]
    per_hit = max(0.5, base - tf[T_ARMOR, tj])
    return per_hit * tf[W_ATTACKS, ta]


@njit(cache=True, _nrt=False)
def _apply_damage(fl, it, tf, pl, events, n_events, attacker, j, amount):
    s = fl[SHIELD, j]
    if s > 0.0:
        absorbed = min(s, amount)
        fl[SHIELD, j] = s - absorbed
        amount -= absorbed
    fl[HP, j] -= amount
    it[LAST_ATTACKED, j] = attacker
    if fl[HP, j] <= 0.0 and it[ALIVE, j] == 1:
        it[ALIVE, j] = 2  # dying: removed by the Python layer after this call, invisible to targeting
        value = tf[T_VALUE, it[TYPE, j]]
        pl[P_KILLED_VALUE, it[OWNER, attacker]] += value
        pl[P_LOST_VALUE, it[OWNER, j]] += value
        _push_event(events, n_events, EV_DEATH, j, attacker, 0)


@njit(cache=True, _nrt=False)
def _nearest_townhall(fl, it, ti, cap, i):
    best = -1
    bd = 1e18
    for j in range(cap):
        if it[ALIVE, j] == 1 and it[OWNER, j] == it[OWNER, i] and ti[T_KIND, it[TYPE, j]] == K_TOWNHALL \
                and it[BUILT, j] == 1:
            dx = fl[X, j] - fl[X, i]
            dy = fl[Y, j] - fl[Y, i]
            d = dx * dx + dy * dy
            if d < bd:
                bd = d
                best = j
    return best


@njit(cache=True, _nrt=False)
def _free_mineral_near(fl, it, ti, cap, r, miner):
    """An unoccupied mineral field within 6 cells of field r (worker bounce), or -1."""
    best = -1
    bd = 36.0
    for j in range(cap):
        if it[ALIVE, j] == 1 and ti[T_KIND, it[TYPE, j]] == K_MINERAL and it[ENGAGED, j] < 0 and j != r:
            dx = fl[X, j] - fl[X, r]
            dy = fl[Y, j] - fl[Y, r]
            d = dx * dx + dy * dy
            if d < bd:
                bd = d
                best = j
    return best


@njit(cache=True, _nrt=False, inline="always")
def _finish_order(it, events, n_events, i):
    """Order done: idle, or hand over to the Python layer when orders are queued."""
    it[ORDER, i] = IDLE
    it[TARGET, i] = -1
    it[ABILITY, i] = 0
    if it[HAS_QUEUE, i] == 1:
        _push_event(events, n_events, EV_ORDER_DONE, i, 0, 0)
        return True
    return False


@njit(cache=True, _nrt=False)
def _collide(fl, it, tf, ti, i, j, ri, oi, push):
    """Add the push that separates units i and j, if they overlap, to push[:, i] and push[:, j]
    (the one holding still gives way less). Pushes of one loop are summed and applied together
    (see _apply_pushes): applied pair by pair, the result would depend on the scan order, and
    a fixed scan order favours one side of the map."""
    if it[ALIVE, j] != 1:
        return
    tj = it[TYPE, j]
    if ti[T_IS_STRUCTURE, tj] == 1 or tf[T_SPEED, tj] <= 0.0:
        return
    oj = it[ORDER, j]
    if oj == GATHER or oj == MINING or oj == RETURN or oj == CONSTRUCT:
        return
    dx = fl[X, j] - fl[X, i]
    dy = fl[Y, j] - fl[Y, i]
    rs = ri + tf[T_RADIUS, tj]
    d2 = dx * dx + dy * dy
    if d2 >= rs * rs:
        return
    d = np.sqrt(d2)
    if d < 1e-6:
        ang = (i * 2.399963) % 6.283185  # deterministic split direction for stacked units
        dx = np.cos(ang)
        dy = np.sin(ang)
        d = 1.0
        amount = rs * 0.5
    else:
        amount = (rs - d) * 0.5
    # A unit holding position (or firing) gives way less: the mover takes the push.
    wi = 0.5
    if oi == HOLD or oi == IDLE:
        wi = 0.25 if (oj != HOLD and oj != IDLE) else 0.5
    elif oj == HOLD or oj == IDLE:
        wi = 0.75
    push[0, i] -= dx / d * amount * 2.0 * wi
    push[1, i] -= dy / d * amount * 2.0 * wi
    push[0, j] += dx / d * amount * 2.0 * (1.0 - wi)
    push[1, j] += dy / d * amount * 2.0 * (1.0 - wi)


@njit(cache=True, _nrt=False)
def _apply_pushes(fl, pathable, live, n_live, push):
    """Move every pushed unit by its summed push (unless that lands it on a blocked cell)."""
    for k in range(n_live):
        i = live[k]
        px = push[0, i]
        py = push[1, i]
        if px == 0.0 and py == 0.0:
            continue
        push[0, i] = 0.0
        push[1, i] = 0.0
        nx = fl[X, i] + px
        ny = fl[Y, i] + py
        if not blocked(pathable, nx, ny):
            fl[X, i] = nx
            fl[Y, i] = ny


@njit(cache=True, _nrt=False)
def simulate(fl, it, pl, tf, ti, pathable, table, fields, cell_field, field_cell, fnext, events, n_events,
             n_loops, loop0, research_left, work, fwork):
    """Advance up to n_loops game loops; returns the number of loops done (stops after a blocking event).

    `work` is int64 scratch of work_size(capacity, h, w) entries, `fwork` float64 scratch of shape
    (4, capacity); fnext[1:] is the BFS queue (h * w)."""
    cap = fl.shape[1]
    n_events[0] = 0
    h, w = pathable.shape
    nbx = int(np.ceil(w / BUCKET))
    nby = int(np.ceil(h / BUCKET))
    cnbx = int(np.ceil(w / CBUCKET))
    cnby = int(np.ceil(h / CBUCKET))
    # Scratch from the caller (see work_size): spatial hashes, the live slots, shots fired this loop.
    nb = nbx * nby
    head = work[0:3 * nb]  # head[owner * nb + bucket]
    o = 3 * nb
    chead = work[o:o + cnbx * cnby]
    o += cnbx * cnby
    nxt = work[o:o + cap]
    cnxt = work[o + cap:o + 2 * cap]
    # Float scratch (4, cap): summed collision pushes (rows 0-1), and positions at the start of
    # the loop (rows 2-3, X and Y). Units move one after another in slot order; whatever one
    # unit reads of another (targets, ranges, chase points) comes from the snapshot, so it
    # cannot matter whose slot moved first (a mover-order advantage is a seat bias).
    push = fwork[0:2]
    snap = fwork[2:4]
    # Units are only added by the Python layer between calls: list the live slots once.
    live = work[o + 2 * cap:o + 3 * cap]
    # Shots fired this loop (attacker, target); each unit fires at most once a loop.
    pend_from = work[o + 3 * cap:o + 4 * cap]
    pend_to = work[o + 4 * cap:o + 5 * cap]
    n_pend = work[o + 5 * cap:o + 5 * cap + 1]
    n_pend[0] = 0
    n_live = 0
    for i in range(cap):
        if it[ALIVE, i] == 1:
            live[n_live] = i
            n_live += 1
    for loop in range(n_loops):
        stop = False
        now = loop0 + loop
        _build_buckets(fl, it, live, n_live, head, nxt, nbx, nby)
        for k in range(n_live):
            snap[X, live[k]] = fl[X, live[k]]
            snap[Y, live[k]] = fl[Y, live[k]]
        # --- timers, production, research, construction
        for k in range(n_live):
            i = live[k]
            if it[ALIVE, i] != 1:
                continue
            if fl[COOLDOWN, i] > 0.0:
                fl[COOLDOWN, i] -= 1.0
            t = it[TYPE, i]
            if ti[T_IS_STRUCTURE, t] == 1 and it[BUILT, i] == 1:
                slots = 1
                a = it[ADDON, i]
                if a >= 0 and it[ALIVE, a] == 1 and it[BUILT, a] == 1 and ti[T_KIND, it[TYPE, a]] == K_REACTOR:
                    slots = 2
                for s in range(slots):
                    q = it[QUEUE0 + s, i]
                    if q >= 0:
                        fl[PROD0 + s, i] += 1.0
                        if fl[PROD0 + s, i] >= tf[T_BUILD_TIME, q]:
                            _push_event(events, n_events, EV_TRAIN_DONE, i, s, q)
                            stop = True
                if it[RESEARCH, i] >= 0:
                    fl[RESEARCHT, i] += 1.0
                    if fl[RESEARCHT, i] >= research_left[i]:
                        _push_event(events, n_events, EV_RESEARCH_DONE, i, 0, 0)
                        stop = True
            if it[ORDER, i] == CONSTRUCT:
                b = it[TARGET, i]
                if b < 0 or it[ALIVE, b] != 1:
                    if _finish_order(it, events, n_events, i):
                        stop = True
                    continue
                tb = it[TYPE, b]
                bt = tf[T_BUILD_TIME, tb]
                fl[PROGRESS, b] += 1.0
                fl[HP, b] = min(tf[T_HP, tb], fl[HP, b] + tf[T_HP, tb] * 0.9 / bt)
                if fl[PROGRESS, b] >= bt:
                    _push_event(events, n_events, EV_STRUCT_DONE, b, i, 0)
                    stop = True
        # --- orders: harvesting, building, combat, movement
        for k in range(n_live):
            i = live[k]
            if it[ALIVE, i] != 1:
                continue
            t = it[TYPE, i]
            order = it[ORDER, i]
            speed = tf[T_SPEED, t]
            if order == IDLE or order == CONSTRUCT:
                # Idle armed units (not workers) engage enemies that come into sight, as in SC2,
                # by attack-moving to where they stand (they walk back afterwards).
                if order == IDLE and tf[W_DAMAGE, t] > 0.0 and ti[T_KIND, t] != K_WORKER and speed > 0.0 \
                        and (now + it[PHASE, i]) % ACQUIRE_PERIOD == 0:
                    j = _acquire(i, snap, it, tf, ti, max(tf[W_RANGE, t], tf[T_SIGHT, t]), head, nxt, nbx, nby)
                    if j >= 0:
                        it[ORDER, i] = ATTACK_MOVE
                        it[ABILITY, i] = 23
                        it[ENGAGED, i] = j
                        fl[TX, i] = fl[X, i]
                        fl[TY, i] = fl[Y, i]
                continue
            moving_to_point = order == MOVE or (order == ATTACK_MOVE and it[ENGAGED, i] < 0)
            if moving_to_point and fl[PX, i] != 0.0 and _crowd_arrived(fl, i, speed):
                fl[PX, i] = 0.0
                if _finish_order(it, events, n_events, i):
                    stop = True
                continue
            fl[PX, i] = fl[X, i]
            fl[PY, i] = fl[Y, i]
            if order == MOVE:
                if step_toward(i, fl, pathable, table, speed, fl[TX, i], fl[TY, i], 0.05, fields, cell_field, field_cell,
                                fnext):
                    if _finish_order(it, events, n_events, i):
                        stop = True
                continue
            if order == ATTACK_MOVE or order == ATTACK_UNIT or order == HOLD:
                if tf[W_DAMAGE, t] <= 0.0:
                    if order == HOLD:
                        continue
                    gx = fl[TX, i]
                    gy = fl[TY, i]
                    if order == ATTACK_UNIT and it[TARGET, i] >= 0:
                        gx = snap[X, it[TARGET, i]]
                        gy = snap[Y, it[TARGET, i]]
                    if step_toward(i, fl, pathable, table, speed, gx, gy, 0.5, fields, cell_field, field_cell, fnext):
                        if _finish_order(it, events, n_events, i):
                            stop = True
                    continue
                rng = tf[W_RANGE, t]
                if order == ATTACK_UNIT:
                    j = it[TARGET, i]
                    if j < 0 or not _can_target(it, ti, tf, i, j):
                        if _finish_order(it, events, n_events, i):
                            stop = True
                        continue
                else:
                    j = it[ENGAGED, i]
                    valid = j >= 0 and _can_target(it, ti, tf, i, j)
                    if not valid or (now + it[PHASE, i]) % ACQUIRE_PERIOD == 0:
                        radius = rng if order == HOLD else max(rng, tf[T_SIGHT, t])
                        j2 = _acquire(i, snap, it, tf, ti, radius, head, nxt, nbx, nby)
                        if j2 >= 0 or not valid:
                            j = j2
                    it[ENGAGED, i] = j
                if j >= 0:
                    d = _gap(snap, tf, it, i, j)
                    if d <= rng:
                        fl[FACING, i] = np.arctan2(snap[Y, j] - fl[Y, i], snap[X, j] - fl[X, i])
                        if fl[COOLDOWN, i] <= 0.0:
                            _fire(fl, it, tf, i, j, pend_from, pend_to, n_pend)
                    elif order != HOLD:
                        step_toward(i, fl, pathable, table, speed, snap[X, j], snap[Y, j], 0.0, fields, cell_field,
                                    field_cell, fnext)
                    continue
                if order == ATTACK_MOVE:
                    if step_toward(i, fl, pathable, table, speed, fl[TX, i], fl[TY, i], 0.05, fields, cell_field,
                                    field_cell, fnext):
                        if _finish_order(it, events, n_events, i):
                            stop = True
                continue
            if order == GATHER:
                r = it[TARGET, i]
                if r < 0 or it[ALIVE, r] != 1:
                    h = it[HOME, i]
                    r = _free_mineral_near(fl, it, ti, cap, h, i) if h >= 0 else -1
                    if r < 0:
                        _finish_order(it, events, n_events, i)
                        continue
                    it[TARGET, i] = r
                if fl[WORKT, i] > 0.0:
                    fl[WORKT, i] -= 1.0  # dropping off cargo
                    continue
                if it[CARRY, i] > 0:
                    it[ORDER, i] = RETURN
                    it[TARGET, i] = _nearest_townhall(fl, it, ti, cap, i)
                    continue
                if _move_to_unit(i, r, fl, it, tf, pathable, table, ARRIVE_SLACK, fields, cell_field, field_cell, fnext):
                    if it[ENGAGED, r] < 0 or it[ENGAGED, r] == i:
                        it[ENGAGED, r] = i
                        it[ORDER, i] = MINING
                        it[HOME, i] = r
                        fl[WORKT, i] = GAS_LOOPS if ti[T_KIND, it[TYPE, r]] == K_REFINERY else MINE_LOOPS
                    elif ti[T_KIND, it[TYPE, r]] == K_MINERAL and (now + it[PHASE, i]) % ACQUIRE_PERIOD == 0:
                        r2 = _free_mineral_near(fl, it, ti, cap, r, i)
                        if r2 >= 0:
                            it[TARGET, i] = r2
                elif abs(fl[X, i] - fl[PX, i]) < 1e-6 and abs(fl[Y, i] - fl[PY, i]) < 1e-6 \
                        and ti[T_KIND, it[TYPE, r]] == K_MINERAL:
                    # Wedged against a neighbouring field (this one is reachable only from
                    # another side): mine a free field nearby instead of standing there forever.
                    # (A tolerance, not ==: a wedged unit's x can jitter in the last bit, and
                    # whether it does differs between point-mirrored positions.)
                    r2 = _free_mineral_near(fl, it, ti, cap, r, i)
                    if r2 >= 0:
                        it[TARGET, i] = r2
                continue
            if order == MINING:
                r = it[TARGET, i]
                if r < 0 or it[ALIVE, r] != 1:
                    it[ORDER, i] = GATHER
                    continue
                fl[WORKT, i] -= 1.0
                if fl[WORKT, i] <= 0.0:
                    gas = ti[T_KIND, it[TYPE, r]] == K_REFINERY
                    amount = min(GAS_PER_TRIP if gas else MINERALS_PER_TRIP, int(fl[CONTENTS, r]))
                    fl[CONTENTS, r] -= amount
                    it[CARRY, i] = amount
                    it[CARRY_KIND, i] = CARRY_GAS if gas else CARRY_MINERALS
                    it[ENGAGED, r] = -1
                    if fl[CONTENTS, r] <= 0.0:
                        _push_event(events, n_events, EV_DEPLETED, r, 0, 0)
                    it[ORDER, i] = RETURN
                    it[TARGET, i] = _nearest_townhall(fl, it, ti, cap, i)
                continue
            if order == RETURN:
                th = it[TARGET, i]
                if th < 0 or it[ALIVE, th] != 1:
                    th = _nearest_townhall(fl, it, ti, cap, i)
                    it[TARGET, i] = th
                    if th < 0:
                        _finish_order(it, events, n_events, i)
                        continue
                if _move_to_unit(i, th, fl, it, tf, pathable, table, ARRIVE_SLACK, fields, cell_field, field_cell, fnext):
                    owner = it[OWNER, i]
                    if it[CARRY_KIND, i] == CARRY_GAS:
                        pl[P_VESPENE, owner] += it[CARRY, i]
                        pl[P_MINED_GAS, owner] += it[CARRY, i]
                    else:
                        pl[P_MINERALS, owner] += it[CARRY, i]
                        pl[P_MINED_MINERALS, owner] += it[CARRY, i]
                    it[CARRY, i] = 0
                    fl[WORKT, i] = DEPOSIT_LOOPS
                    h = it[HOME, i]
                    if h >= 0 and it[ALIVE, h] == 1:
                        it[ORDER, i] = GATHER
                        it[TARGET, i] = h
                    elif _finish_order(it, events, n_events, i):
                        stop = True
                continue
            if order == BUILD_MOVE:
                bt = it[BTYPE, i]
                reach = tf[T_RADIUS, bt] + tf[T_RADIUS, t] + 0.5
                if step_toward(i, fl, pathable, table, speed, fl[TX, i], fl[TY, i], reach, fields, cell_field, field_cell,
                                fnext):
                    _push_event(events, n_events, EV_BUILD_ARRIVE, i, bt, 0)
                    stop = True
                continue
        # --- damage: all shots of this loop land together
        _land_shots(fl, it, tf, ti, pl, events, n_events, pend_from, pend_to, n_pend, cap)
        # --- collisions: moving ground units push apart (harvesting workers pass through, as in SC2)
        _build_collision_buckets(fl, it, tf, ti, live, n_live, chead, cnxt, cnbx, cnby)
        for k in range(n_live):
            i = live[k]
            if not _collidable(it, tf, ti, i):
                continue
            ri = tf[T_RADIUS, it[TYPE, i]]
            oi = it[ORDER, i]
            cbx = min(max(int(fl[X, i] / CBUCKET), 0), cnbx - 1)
            cby = min(max(int(fl[Y, i] / CBUCKET), 0), cnby - 1)
            for by in range(max(cby - 1, 0), min(cby + 2, cnby)):
                for bx in range(max(cbx - 1, 0), min(cbx + 2, cnbx)):
                    j = chead[by * cnbx + bx]
                    while j >= 0:
                        if j > i:
                            # _collide's own overlap test, first: most pairs do not touch, and the call
                            # (several arrays passed field by field) costs more than the test
                            dx = fl[X, j] - fl[X, i]
                            dy = fl[Y, j] - fl[Y, i]
                            rs = ri + tf[T_RADIUS, it[TYPE, j]]
                            if dx * dx + dy * dy < rs * rs:
                                _collide(fl, it, tf, ti, i, j, ri, oi, push)
                        j = cnxt[j]
        _apply_pushes(fl, pathable, live, n_live, push)
        if stop or n_events[0] >= events.shape[0] - 8:
            return loop + 1
    return n_loops


@njit(cache=True, _nrt=False)
def _fire(fl, it, tf, i, j, pend_from, pend_to, n_pend):
    """Unit i shoots at j: the shot is queued and lands in `_land_shots` at the end of the loop.

    Every unit fires from the state at the start of the loop's combat, so the order units
    are processed in (slot order, which favours the player whose units were made first)
    never decides which of two units in range of each other shoots first.
    """
    it[ENGAGED, i] = j
    k = n_pend[0]
    pend_from[k] = i
    pend_to[k] = j
    n_pend[0] = k + 1
    # Keep the fractional remainder so the average rate matches the real cooldown exactly.
    fl[COOLDOWN, i] += tf[W_COOLDOWN, it[TYPE, i]]


@njit(cache=True, _nrt=False)
def _land_shots(fl, it, tf, ti, pl, events, n_events, pend_from, pend_to, n_pend, cap):
    """Apply the shots queued this loop, all at once: a unit killed this loop has still fired its own."""
    for s in range(n_pend[0]):
        i = pend_from[s]
        j = pend_to[s]
        ta = it[TYPE, i]
        splash = tf[W_SPLASH, ta]
        if splash > 0.0:
            cx = fl[X, j]
            cy = fl[Y, j]
            for k in range(cap):
                if _can_target(it, ti, tf, i, k):
                    dx = fl[X, k] - cx
                    dy = fl[Y, k] - cy
                    if np.sqrt(dx * dx + dy * dy) - tf[T_RADIUS, it[TYPE, k]] <= splash:
                        _apply_damage(fl, it, tf, pl, events, n_events, i, k, _damage(fl, it, tf, ti, pl, i, k))
        else:
            _apply_damage(fl, it, tf, pl, events, n_events, i, j, _damage(fl, it, tf, ti, pl, i, j))
    for s in range(n_pend[0]):
        i = pend_from[s]
        if ti[W_SUICIDE, it[TYPE, i]] == 1 and it[ALIVE, i] == 1:
            fl[HP, i] = 0.0
            it[ALIVE, i] = 2
            _push_event(events, n_events, EV_DEATH, i, i, 0)
    n_pend[0] = 0

