"""What happens when the kernel reports an event: spawning, finishing structures, deaths."""

from __future__ import annotations

import math

import numpy as np

from sc2env.engine import kernel as K
from sc2env.engine import state as S
from sc2env.engine.pathing import first_free_spot
from sc2env.types import ActionError

GEYSER = 342
REFINERY = 20


def free_spot_near(game, x: float, y: float, clearance: float, radius: float,
                   toward: tuple[float, float] | None = None) -> tuple[float, float]:
    """First pathable point, not on another ground unit, on rings around (x, y) (deterministic order).

    The search starts on the side facing `toward` (the rally point; else the map centre), so
    point-mirrored structures put their units on point-mirrored spots: a fixed side ("below")
    puts one player's units between its structures and the other's toward the open map.
    """
    st = game.state
    tx, ty = toward if toward is not None else (st.map.width / 2.0, st.map.height / 2.0)
    start = math.atan2(ty - y, tx - x) if (tx, ty) != (x, y) else -math.pi / 2
    cache = game.__dict__.setdefault("_spot_rings", {})  # structures do not move: their rings are fixed
    for ring in range(12):
        key = (float(x), float(y), float(clearance), float(radius), float(start), ring)
        points = cache.get(key)
        if points is None:
            points = cache[key] = _ring_points(x, y, clearance, radius, ring, start)
        k = first_free_spot(st.fl, st.it, game.tf, st.pathable, points, radius)
        if k >= 0:
            return float(points[0, k]), float(points[1, k])
    return x, y - clearance - radius


def _ring_points(x: float, y: float, clearance: float, radius: float, ring: int, start: float) -> np.ndarray:
    """Candidates of one ring in the order free_spot_near tries them, from angle `start`: [x row, y row]."""
    dist = clearance + radius + 0.1 + ring * 2 * radius
    steps = max(8, int(2 * math.pi * dist / (2 * radius)))
    xs, ys = [], []
    for k in range(steps):
        ang = start + 2 * math.pi * k / steps
        xs.append(x + dist * math.cos(ang))
        ys.append(y + dist * math.sin(ang))
    return np.array([xs, ys], np.float64)


def train_done(game, i: int, slot: int, t: int) -> None:
    st = game.state
    it, fl = st.it, st.fl
    if it[S.ALIVE, i] != 1 or it[S.QUEUE0 + slot, i] != t:
        return
    owner = int(it[S.OWNER, i])
    x, y = fl[S.X, i], fl[S.Y, i]
    radius = float(game.types.radius[t])
    rally = game.rally.get(i)
    toward = None
    if rally is not None and rally[0] == "point":
        toward = (rally[1], rally[2])
    elif rally is not None and st.it[S.ALIVE, rally[1]] == 1:
        toward = (float(fl[S.X, rally[1]]), float(fl[S.Y, rally[1]]))
    px, py = free_spot_near(game, x, y, float(game.types.radius[it[S.TYPE, i]]), radius, toward)
    u = game.add_unit(int(game.types.unit_id[t]), owner, px, py)
    # Shift the production queue; with a reactor slot 1 runs in parallel (it moves to slot 0).
    queue = [int(it[q, i]) for q in S.QUEUE]
    del queue[slot]
    queue.append(-1)
    for q, v in zip(S.QUEUE, queue):
        it[q, i] = v
    if slot == 0:
        fl[S.PROD0, i] = fl[S.PROD1, i]
    fl[S.PROD1, i] = 0.0
    if queue[0] < 0:
        fl[S.PROD0, i] = 0.0
    game.step_events.trained.append((int(game.types.unit_id[t]), owner, u))
    if rally is not None:
        from sc2env.engine.commands import order_to_rally

        order_to_rally(game, u, rally)


def research_done(game, i: int) -> None:
    st = game.state
    upgrade = int(st.it[S.RESEARCH, i])
    owner = int(st.it[S.OWNER, i])
    st.it[S.RESEARCH, i] = -1
    st.fl[S.RESEARCHT, i] = 0.0
    game._research_total[i] = 0.0
    if upgrade < 0:
        return
    row = st.upgrades[owner]
    free = np.flatnonzero(row == 0)
    if upgrade not in row and len(free):
        row[free[0]] = upgrade
    name = game.types.upgrades[upgrade]["name"]
    if name.startswith("TerranInfantryWeaponsLevel"):
        st.pl[S.P_WEAPONS, owner] = max(st.pl[S.P_WEAPONS, owner], int(name[-1]))


def structure_done(game, b: int, builder: int) -> None:
    st = game.state
    it, fl = st.it, st.fl
    t = int(it[S.TYPE, b])
    it[S.BUILT, b] = 1
    fl[S.PROGRESS, b] = game.types.build_time[t]
    fl[S.HP, b] = min(fl[S.HP, b], game.types.hit_points[t])
    if it[S.ORDER, builder] == S.CONSTRUCT and it[S.TARGET, builder] == b:
        it[S.ORDER, builder] = S.IDLE
        it[S.TARGET, builder] = -1
        it[S.ABILITY, builder] = 0
        if game.ti[K.T_IS_STRUCTURE, it[S.TYPE, builder]]:
            it[S.ADDON, builder] = b
            it[S.PARENT, b] = builder
        elif game.types.unit_id[t] == REFINERY:
            # SC2: the SCV that builds a refinery starts harvesting from it.
            it[S.ORDER, builder] = S.GATHER
            it[S.TARGET, builder] = b
            it[S.HOME, builder] = b
            it[S.ABILITY, builder] = 295
        elif it[S.HAS_QUEUE, builder]:
            next_queued_order(game, builder)


def build_arrive(game, i: int, t: int) -> None:
    """SCV i reached the site of a type-t structure: pay, place, start constructing (or report why not)."""
    from sc2env.engine.commands import placement_error, pay, ActionResult

    st = game.state
    it, fl = st.it, st.fl
    owner = int(it[S.OWNER, i])
    ability = int(game.types.build_ability[t])
    tx, ty = float(fl[S.TX, i]), float(fl[S.TY, i])
    tag = int(st.tags[i])

    def fail(result: str, reason: str) -> None:
        game.pending_errors.setdefault(owner, []).append(ActionError(tag, ability, ActionResult[result], reason))
        it[S.ORDER, i] = S.IDLE
        it[S.ABILITY, i] = 0
        it[S.TARGET, i] = -1

    geyser = -1
    if game.types.unit_id[t] == REFINERY:
        geyser = int(it[S.TARGET, i])
        if geyser < 0 or it[S.ALIVE, geyser] != 1 or game.types.unit_id[it[S.TYPE, geyser]] != GEYSER:
            return fail("CantBuildOnThat", "the vespene geyser is gone or already has a refinery")
    else:
        err = placement_error(game, t, tx, ty, ignore=i)
        if err:
            return fail(*err)
    err = pay(game, owner, t)
    if err:
        return fail(*err)
    contents = 0.0
    if geyser >= 0:
        contents = float(fl[S.CONTENTS, geyser])
        game.remove_unit(geyser)
    b = game.add_unit(int(game.types.unit_id[t]), owner, tx, ty, built=False, contents=contents)
    it[S.ORDER, i] = S.CONSTRUCT
    it[S.TARGET, i] = b
    # Stand the SCV at the footprint's edge (structures block their cells).
    side = game.types.footprint[t] / 2.0 + game.types.radius[it[S.TYPE, i]] + 0.05
    dx, dy = fl[S.X, i] - tx, fl[S.Y, i] - ty
    n = math.hypot(dx, dy) or 1.0
    scale = side / max(abs(dx) / n, abs(dy) / n)
    fl[S.X, i] = tx + dx / n * scale
    fl[S.Y, i] = ty + dy / n * scale


def next_queued_order(game, i: int) -> None:
    from sc2env.engine.commands import apply_unit_order

    pending = game.queued_orders.get(i)
    if not pending:
        game.state.it[S.HAS_QUEUE, i] = 0
        return
    cmd = pending.pop(0)
    if not pending:
        game.queued_orders.pop(i, None)
        game.state.it[S.HAS_QUEUE, i] = 0
    owner = int(game.state.it[S.OWNER, i])
    errors = apply_unit_order(game, owner, i, cmd)
    game.pending_errors.setdefault(owner, []).extend(errors)


def remove_dead(game, slots: list[int]) -> None:
    st = game.state
    it, fl = st.it, st.fl
    unique = sorted(set(slots))
    for i in unique:
        game.step_events.deaths.append((int(game.types.unit_id[it[S.TYPE, i]]), int(it[S.OWNER, i]), i,
                                        int(st.tags[i])))
    game._drop_references(np.array(unique, np.int64))
    for i in unique:
        t = int(it[S.TYPE, i])
        # (_drop_references already freed a mineral field held by a dying miner: ENGAGED -> -1.)
        parent = int(it[S.PARENT, i])
        if parent >= 0 and it[S.ADDON, parent] == i:
            it[S.ADDON, parent] = -1
        addon = int(it[S.ADDON, i])
        if addon >= 0 and it[S.ALIVE, addon] == 1:
            it[S.PARENT, addon] = -1
        st.remove_unit(i)
        if game.types.unit_id[t] == REFINERY and fl[S.CONTENTS, i] > 0:
            game.add_unit(GEYSER, S.NEUTRAL, fl[S.X, i], fl[S.Y, i], contents=fl[S.CONTENTS, i])
