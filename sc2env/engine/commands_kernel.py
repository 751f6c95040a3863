"""numba loops behind sc2env.engine.commands: the group orders most commands are.

Bots and agents mostly send one Move / Attack / Hold / Stop for many units at once; done one
unit at a time in Python that cost ~10 us per unit. These loops do exactly what
commands.set_order does per unit, in the same unit order (so the state is bit-identical).
"""

from __future__ import annotations

from numba import njit

from sc2env.engine.kernel import T_IS_STRUCTURE, T_SPEED
from sc2env.engine.state import (ABILITY, ALIVE, ENGAGED, HAS_QUEUE, MINING, ORDER, OWNER, PX, TARGET, TX, TY, TYPE,
                                 X, Y)

MODE_POINT, MODE_HERE, MODE_ORIGIN = 0, 1, 2  # target: the command's point, the unit's own position, (0, 0)


@njit(cache=True, _nrt=False)
def owned_slots(it, tags, owner, slot_mask, unit_tags, out):
    """out[:n] = slots of unit_tags; n, or -1 if any tag is not a live unit of owner."""
    cap = it.shape[1]
    for k in range(unit_tags.shape[0]):
        tag = unit_tags[k]
        if tag < 0:
            return -1
        i = tag & slot_mask
        if i >= cap or it[ALIVE, i] != 1 or tags[i] != tag or it[OWNER, i] != owner:
            return -1
        out[k] = i
    return unit_tags.shape[0]


@njit(cache=True, _nrt=False)
def group_order(it, fl, tf, slots, kind, ability, mode, px, py, not_mobile):
    """set_order(kind, ability, target point) for every mobile unit in slots, in order, and clear its
    queue flag; the units that cannot move go to not_mobile. Returns how many did not move."""
    n_fixed = 0
    for k in range(slots.shape[0]):
        i = slots[k]
        if tf[T_SPEED, it[TYPE, i]] <= 0:
            not_mobile[n_fixed] = i
            n_fixed += 1
            continue
        if it[ORDER, i] == MINING and it[TARGET, i] >= 0:  # leaving a mineral field frees it
            r = it[TARGET, i]
            if it[ENGAGED, r] == i:
                it[ENGAGED, r] = -1
        it[ORDER, i] = kind
        it[ABILITY, i] = ability
        it[TARGET, i] = -1
        it[ENGAGED, i] = -1
        if mode == MODE_HERE:
            fl[TX, i] = fl[X, i]
            fl[TY, i] = fl[Y, i]
        elif mode == MODE_ORIGIN:
            fl[TX, i] = 0.0
            fl[TY, i] = 0.0
        else:
            fl[TX, i] = px
            fl[TY, i] = py
        fl[PX, i] = 0.0
        it[HAS_QUEUE, i] = 0
    return n_fixed


@njit(cache=True, _nrt=False)
def group_command(it, fl, tf, ti, tags, owner, slot_mask, unit_tags, kind, ability, mode, px, py, slots, not_mobile):
    """A whole group order in one call: unit_tags -> slots (every tag a live unit of owner), structures
    dropped (a group Move / Attack / Hold / Stop skips them), then group_order on the rest.
    Returns (m, n): the units are slots[:m], n of them did not move (not_mobile[:n]); (-1, -1), having
    changed nothing, when a tag is not owner's or fewer than 2 units remain (the general path decides)."""
    n = owned_slots(it, tags, owner, slot_mask, unit_tags, slots)
    if n < 0:
        return -1, -1
    m = 0
    for k in range(n):
        i = slots[k]
        if ti[T_IS_STRUCTURE, it[TYPE, i]] != 1:
            slots[m] = i
            m += 1
    if m < 2:
        return -1, -1
    return m, group_order(it, fl, tf, slots[:m], kind, ability, mode, px, py, not_mobile)
