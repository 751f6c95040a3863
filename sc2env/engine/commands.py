"""RawCommand -> unit orders, with the SC2 API's ActionResult for every rejected command.

Specific and general ability ids are both accepted (e.g. 16 Move and 3794 general Move).
Nothing here raises on bad input: unknown abilities, units that are not ours, targets off
the map, missing resources or tech come back as ActionErrors with a reason.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
from s2clientprotocol import error_pb2

from sc2env.engine import commands_kernel as CK
from sc2env.engine import kernel as K
from sc2env.engine import state as S
from sc2env.engine.gamedata import ADDON_ABILITIES, BUILD_STRUCTURE_ABILITIES, Abilities as A
from sc2env.types import ActionError, RawCommand

ActionResult = dict(error_pb2.ActionResult.items())

GENERAL_TO_SPECIFIC = {A.MOVE_GENERAL: A.MOVE, A.ATTACK_GENERAL: A.ATTACK, A.STOP_GENERAL: A.STOP,
                       A.HOLD_GENERAL: A.HOLD, A.GATHER_GENERAL: A.GATHER_SCV, A.RETURN_GENERAL: A.RETURN_SCV,
                       A.RALLY_UNITS: A.RALLY_BUILDING, A.RALLY_WORKERS: A.RALLY_CC}
TRAIN_ABILITIES = (524, 560, 561, 563, 591, 595, 614)
RESEARCH_ABILITIES = (652,)
UNIT_ORDER_ABILITIES = (A.SMART, A.STOP, A.MOVE, A.HOLD, A.ATTACK, A.GATHER_SCV, A.RETURN_SCV) + BUILD_STRUCTURE_ABILITIES
# Units a build ability's tech requirement accepts (SupplyDepotLowered counts as a depot).
TECH_ALIASES = {19: (19, 47), 18: (18, 132, 130), 21: (21,), 27: (27,)}
MAX_QUEUE = 5


def _err(cmd: RawCommand, tag: int, result: str, reason: str) -> ActionError:
    return ActionError(unit_tag=int(tag), ability_id=int(cmd.ability_id), result=ActionResult[result], reason=reason)


def normalize(ability: int, game, i: int) -> int:
    ability = GENERAL_TO_SPECIFIC.get(ability, ability)
    if ability in (A.BUILD_TECHLAB, A.BUILD_REACTOR):
        name = game.types.names[game.state.it[S.TYPE, i]]
        table = {("Barracks", A.BUILD_TECHLAB): 421, ("Barracks", A.BUILD_REACTOR): 422,
                 ("Factory", A.BUILD_TECHLAB): 454, ("Factory", A.BUILD_REACTOR): 455}
        return table.get((name, ability), ability)
    return ability


# ------------------------------------------------------------------- checks
def tech_met(game, t: int, finished_ids: set) -> bool:
    """The non-attached tech requirement of type t holds given the owner's finished unit ids."""
    req = int(game.types.tech_requirement_unit_id[t])
    if not req or game.types.require_attached[t]:
        return True
    return any(r in finished_ids for r in TECH_ALIASES.get(req, (req,)))


def tech_error(game, owner: int, t: int, producer: int = -1) -> Optional[tuple[str, str]]:
    types = game.types
    it = game.state.it
    req = int(types.tech_requirement_unit_id[t])
    if types.require_attached[t]:
        addon = int(it[S.ADDON, producer]) if producer >= 0 else -1
        if addon < 0 or it[S.BUILT, addon] != 1 or "TechLab" not in types.names[it[S.TYPE, addon]]:
            return "TechRequirementsNotMet", f"{types.names[t]} needs a TechLab attached to its {types.names[it[S.TYPE, producer]]}"
        return None
    if req:
        ok_ids = TECH_ALIASES.get(req, (req,))
        mine = (it[S.ALIVE] == 1) & (it[S.OWNER] == owner) & (it[S.BUILT] == 1)
        if not np.isin(types.unit_id[it[S.TYPE, mine]], ok_ids).any():
            name = types.names[types.index[req]] if req in types.index else str(req)
            result = "BuildTechRequirementsNotMet" if types.is_structure[t] else "TechRequirementsNotMet"
            return result, f"{types.names[t]} requires a finished {name}"
    return None


def cost_error(game, owner: int, minerals: int, vespene: int) -> Optional[tuple[str, str]]:
    pl = game.state.pl
    if pl[S.P_MINERALS, owner] < minerals:
        return "NotEnoughMinerals", f"needs {minerals} minerals, have {int(pl[S.P_MINERALS, owner])}"
    if pl[S.P_VESPENE, owner] < vespene:
        return "NotEnoughVespene", f"needs {vespene} vespene, have {int(pl[S.P_VESPENE, owner])}"
    return None


def pay(game, owner: int, t: int) -> Optional[tuple[str, str]]:
    types = game.types
    err = cost_error(game, owner, int(types.minerals[t]), int(types.vespene[t]))
    if err:
        return err
    game.state.pl[S.P_MINERALS, owner] -= types.minerals[t]
    game.state.pl[S.P_VESPENE, owner] -= types.vespene[t]
    return None


def snap_center(game, t: int, x: float, y: float) -> tuple[float, float]:
    """Structure centres sit on the grid: odd footprints at .5, even ones on integers."""
    side = int(game.types.footprint[t])
    if side % 2:
        return math.floor(x) + 0.5, math.floor(y) + 0.5
    return float(round(x)), float(round(y))


def placement_error(game, t: int, x: float, y: float, ignore: int = -1) -> Optional[tuple[str, str]]:
    st = game.state
    x0, y0, x1, y1 = st.footprint_cells(t, x, y)
    if x0 < 0 or y0 < 0 or x1 > st.map.width or y1 > st.map.height:
        return "CantBuildLocationInvalid", f"footprint ({x0},{y0})-({x1},{y1}) leaves the map"
    if not st.placeable[y0:y1, x0:x1].all():
        return "CantBuildLocationInvalid", f"footprint at ({x:.1f}, {y:.1f}) is not placeable (terrain or structure)"
    it, fl = st.it, st.fl
    if game.types.names[t] == "CommandCenter":
        res = np.flatnonzero((it[S.ALIVE] == 1) & np.isin(game.ti[K.T_KIND, it[S.TYPE]], (K.K_MINERAL, K.K_GEYSER)))
        if len(res) and (np.hypot(fl[S.X, res] - x, fl[S.Y, res] - y) < 6.0).any():
            return "CantBuildTooCloseToResources", "a CommandCenter must be 6 cells from minerals and geysers"
    return None


# ------------------------------------------------------------------- orders
def set_order(game, i: int, kind: int, ability: int, tx: float = 0.0, ty: float = 0.0, target: int = -1) -> None:
    st = game.state
    it, fl = st.it, st.fl
    # Leaving a mineral field frees it for the next worker.
    if it[S.ORDER, i] == S.MINING and it[S.TARGET, i] >= 0:
        r = it[S.TARGET, i]
        if it[S.ENGAGED, r] == i:
            it[S.ENGAGED, r] = -1
    it[S.ORDER, i] = kind
    it[S.ABILITY, i] = ability
    it[S.TARGET, i] = target
    it[S.ENGAGED, i] = -1
    fl[S.TX, i] = tx
    fl[S.TY, i] = ty
    fl[S.PX, i] = 0.0  # no crowd-arrival check until the unit has moved once


def order_to_rally(game, u: int, rally: tuple) -> None:
    st = game.state
    if rally[0] == "unit":
        r = rally[1]
        if st.it[S.ALIVE, r] != 1:
            return
        kind = game.ti[K.T_KIND, st.it[S.TYPE, r]]
        if game.ti[K.T_KIND, st.it[S.TYPE, u]] == K.K_WORKER and kind in (K.K_MINERAL, K.K_REFINERY):
            set_order(game, u, S.GATHER, A.GATHER_SCV, target=r)
            st.it[S.HOME, u] = r
            return
        set_order(game, u, S.MOVE, A.MOVE, st.fl[S.X, r], st.fl[S.Y, r])
    else:
        set_order(game, u, S.MOVE, A.MOVE, rally[1], rally[2])


def _target(game, cmd: RawCommand, tag: int):
    """(point or None, target slot or -1, error or None)."""
    st = game.state
    if cmd.target_unit_tag is not None:
        j = st.slot_of_tag(cmd.target_unit_tag)
        if j < 0:
            return None, -1, _err(cmd, tag, "CantTargetThatUnit", f"target unit {cmd.target_unit_tag} does not exist")
        return (float(st.fl[S.X, j]), float(st.fl[S.Y, j])), j, None
    if cmd.target_point is not None:
        x, y = cmd.target_point
        if not (math.isfinite(x) and math.isfinite(y)) or not (0 <= x < st.map.width and 0 <= y < st.map.height):
            return None, -1, _err(cmd, tag, "CouldntReachTarget", f"target point ({x}, {y}) is off the map")
        return (float(x), float(y)), -1, None
    return None, -1, None


def apply_unit_order(game, owner: int, i: int, cmd: RawCommand) -> list[ActionError]:
    """An order for one of owner's units (move, attack, hold, stop, gather, return, build, smart)."""
    st = game.state
    it, fl = st.it, st.fl
    tag = int(st.tags[i])
    t = int(it[S.TYPE, i])
    ability = normalize(cmd.ability_id, game, i)
    kind = game.ti[K.T_KIND, t]
    mobile = game.tf[K.T_SPEED, t] > 0
    point, j, error = _target(game, cmd, tag)
    if error:
        return [error]
    if ability == A.STOP:
        if mobile:
            set_order(game, i, S.IDLE, 0)
            game.queued_orders.pop(i, None)
            it[S.HAS_QUEUE, i] = 0
        return []
    if not mobile:
        return [_err(cmd, tag, "NotSupported", f"{game.types.names[t]} cannot use ability {cmd.ability_id}")]
    if cmd.queued and (it[S.ORDER, i] != S.IDLE):
        game.queued_orders.setdefault(i, []).append(RawCommand(cmd.ability_id, (tag,), cmd.target_point,
                                                               cmd.target_unit_tag, False))
        it[S.HAS_QUEUE, i] = 1
        return []
    if not cmd.queued:
        game.queued_orders.pop(i, None)
        it[S.HAS_QUEUE, i] = 0
    if ability == A.SMART:
        if j >= 0:
            tk = game.ti[K.T_KIND, it[S.TYPE, j]]
            if kind == K.K_WORKER and (tk == K.K_MINERAL or (tk == K.K_REFINERY and it[S.OWNER, j] == owner)):
                ability = A.GATHER_SCV
            elif 1 <= it[S.OWNER, j] <= 2 and it[S.OWNER, j] != owner:
                ability = A.ATTACK
            else:
                ability = A.MOVE
        else:
            ability = A.MOVE
    if ability == A.HOLD:
        set_order(game, i, S.HOLD, A.HOLD, fl[S.X, i], fl[S.Y, i])
        return []
    if ability == A.MOVE:
        if point is None:
            return [_err(cmd, tag, "MustTargetUnit", "Move needs a target point or unit")]
        cx, cy = int(point[0]), int(point[1])
        if j < 0 and not st.terrain_pathable[cy, cx]:
            return [_err(cmd, tag, "CouldntReachTarget", f"({point[0]:.1f}, {point[1]:.1f}) is not pathable")]
        set_order(game, i, S.MOVE, A.MOVE, point[0], point[1])
        return []
    if ability == A.ATTACK:
        if point is None:
            return [_err(cmd, tag, "MustTargetUnit", "Attack needs a target point or unit")]
        if j >= 0:
            if not (1 <= it[S.OWNER, j] <= 2) or game.tf[K.T_HP, it[S.TYPE, j]] <= 0:
                return [_err(cmd, tag, "CantTargetThatUnit", f"{game.types.names[it[S.TYPE, j]]} cannot be attacked")]
            if game.tf[K.W_DAMAGE, t] <= 0:
                set_order(game, i, S.MOVE, A.MOVE, point[0], point[1])
                return []
            set_order(game, i, S.ATTACK_UNIT, A.ATTACK, point[0], point[1], target=j)
            return []
        set_order(game, i, S.ATTACK_MOVE, A.ATTACK, point[0], point[1])
        return []
    if ability in (A.GATHER_SCV, A.RETURN_SCV):
        if kind != K.K_WORKER:
            return [_err(cmd, tag, "NotSupported", f"{game.types.names[t]} cannot harvest")]
        if ability == A.RETURN_SCV:
            if it[S.CARRY, i] <= 0:
                return [_err(cmd, tag, "Error", "the SCV carries nothing to return")]
            set_order(game, i, S.RETURN, A.RETURN_SCV, target=-1)
            return []
        if j < 0:
            return [_err(cmd, tag, "MustTargetResources", "Gather needs a mineral field or refinery target")]
        tk = game.ti[K.T_KIND, it[S.TYPE, j]]
        if tk == K.K_REFINERY and (it[S.OWNER, j] != owner or it[S.BUILT, j] != 1):
            return [_err(cmd, tag, "MustTargetResources", "the refinery is not ours or not finished")]
        if tk not in (K.K_MINERAL, K.K_REFINERY):
            return [_err(cmd, tag, "MustTargetResources", f"{game.types.names[it[S.TYPE, j]]} is not a resource")]
        set_order(game, i, S.GATHER, A.GATHER_SCV, target=j)
        it[S.HOME, i] = j
        return []
    if ability in BUILD_STRUCTURE_ABILITIES:
        return _build_order(game, owner, i, cmd, ability, point, j)
    return [_err(cmd, tag, "NotSupported", f"ability {cmd.ability_id} is not supported for {game.types.names[t]}")]


def _build_order(game, owner, i, cmd, ability, point, j) -> list[ActionError]:
    st = game.state
    tag = int(st.tags[i])
    if game.ti[K.T_KIND, st.it[S.TYPE, i]] != K.K_WORKER:
        return [_err(cmd, tag, "NotSupported", "only SCVs build structures")]
    t = game.types.ability_to_type[ability]
    err = tech_error(game, owner, t) or cost_error(game, owner, int(game.types.minerals[t]), int(game.types.vespene[t]))
    if err:
        return [_err(cmd, tag, *err)]
    if point is None:
        return [_err(cmd, tag, "MustTargetUnit", "a build order needs a target")]
    if game.types.names[t] == "Refinery":
        if j < 0 or game.ti[K.T_KIND, st.it[S.TYPE, j]] != K.K_GEYSER:
            return [_err(cmd, tag, "CantBuildOnThat", "a Refinery must target a vespene geyser")]
        set_order(game, i, S.BUILD_MOVE, ability, st.fl[S.X, j], st.fl[S.Y, j], target=j)
    else:
        x, y = snap_center(game, t, *point)
        err = placement_error(game, t, x, y)
        if err:
            return [_err(cmd, tag, *err)]
        set_order(game, i, S.BUILD_MOVE, ability, x, y)
    st.it[S.BTYPE, i] = t
    return []


def _structure_order(game, owner: int, slots: list[int], cmd: RawCommand) -> list[ActionError]:
    """Train / research / add-on / rally, spread over the selected structures like SC2."""
    st = game.state
    it, fl = st.it, st.fl
    types = game.types
    first = slots[0]
    ability = normalize(cmd.ability_id, game, first)
    tag0 = int(st.tags[first])
    if ability in (A.RALLY_BUILDING, A.RALLY_CC):
        point, j, error = _target(game, cmd, tag0)
        if error:
            return [error]
        if point is None:
            return [_err(cmd, tag0, "MustTargetUnit", "Rally needs a target")]
        for i in slots:
            game.rally[i] = ("unit", j) if j >= 0 else ("point", point[0], point[1])
        return []
    if ability in TRAIN_ABILITIES:
        t = types.ability_to_type[ability]
        producer_ids = set(types.producers[t])
        candidates = [i for i in slots if it[S.TYPE, i] in producer_ids]
        if not candidates:
            return [_err(cmd, tag0, "NotSupported", f"{types.names[it[S.TYPE, first]]} cannot train {types.names[t]}")]
        ready = [i for i in candidates if it[S.BUILT, i] == 1 and it[S.ORDER, i] != S.CONSTRUCT]
        if not ready:
            return [_err(cmd, tag0, "BuildingIsUnderConstruction", "the producer is unfinished or building an add-on")]
        tech_ok = [i for i in ready if tech_error(game, owner, t, i) is None]
        if not tech_ok:
            return [_err(cmd, tag0, *tech_error(game, owner, t, ready[0]))]
        err = cost_error(game, owner, int(types.minerals[t]), int(types.vespene[t]))
        if err:
            return [_err(cmd, tag0, *err)]
        if st.pl[S.P_FOOD_USED, owner] + types.food_required[t] > st.pl[S.P_FOOD_CAP, owner]:
            return [_err(cmd, tag0, "NotEnoughFood", f"supply {st.pl[S.P_FOOD_USED, owner]:g}/"
                         f"{st.pl[S.P_FOOD_CAP, owner]:g} cannot fit {types.names[t]}")]
        lengths = [int((it[list(S.QUEUE), i] >= 0).sum()) for i in tech_ok]
        best = tech_ok[int(np.argmin(lengths))]
        if min(lengths) >= MAX_QUEUE:
            return [_err(cmd, tag0, "QueueIsFull", "the production queue is full")]
        pay(game, owner, t)
        it[S.QUEUE[min(lengths)], best] = t
        st.pl[S.P_FOOD_USED, owner] += types.food_required[t]
        return []
    if ability in ADDON_ABILITIES:
        t = types.by_name[ADDON_ABILITIES[ability]]
        for i in slots:
            if it[S.TYPE, i] not in types.producers[t]:
                continue
            tag = int(st.tags[i])
            if it[S.BUILT, i] != 1 or it[S.ORDER, i] == S.CONSTRUCT or (it[list(S.QUEUE), i] >= 0).any():
                return [_err(cmd, tag, "Error", "the structure is busy (unfinished, training or building)")]
            if it[S.ADDON, i] >= 0:
                return [_err(cmd, tag, "CantBuildOnThat", "it already has an add-on")]
            ax, ay = fl[S.X, i] + 2.5, fl[S.Y, i] - 0.5
            err = placement_error(game, t, ax, ay) or pay(game, owner, t)
            if err:
                return [_err(cmd, tag, *err)]
            b = game.add_unit(int(types.unit_id[t]), owner, ax, ay, built=False)
            set_order(game, i, S.CONSTRUCT, ability, target=b)
            return []
        return [_err(cmd, tag0, "NotSupported", f"{types.names[it[S.TYPE, first]]} cannot build that add-on")]
    if ability in RESEARCH_ABILITIES:
        upgrade = types.upgrade_by_ability[ability]
        info = types.upgrades[upgrade]
        researcher = types.by_name[info["researcher"]]
        for i in slots:
            if it[S.TYPE, i] != researcher:
                continue
            tag = int(st.tags[i])
            if upgrade in st.upgrades[owner] or (it[S.RESEARCH] == upgrade)[it[S.OWNER] == owner].any():
                return [_err(cmd, tag, "Error", f"{info['name']} is already researched or researching")]
            if it[S.BUILT, i] != 1 or it[S.RESEARCH, i] >= 0:
                continue
            err = cost_error(game, owner, info["minerals"], info["vespene"])
            if err:
                return [_err(cmd, tag, *err)]
            st.pl[S.P_MINERALS, owner] -= info["minerals"]
            st.pl[S.P_VESPENE, owner] -= info["vespene"]
            it[S.RESEARCH, i] = upgrade
            fl[S.RESEARCHT, i] = 0.0
            game._research_total[i] = info["research_time"]
            return []
        return [_err(cmd, tag0, "NotSupported", f"no idle finished {info['researcher']} selected")]
    return [_err(cmd, tag0, "NotSupported", f"ability {cmd.ability_id} is not supported by structures")]


def apply_command(game, owner: int, cmd: RawCommand) -> list[ActionError]:
    """Validate and apply one RawCommand of `owner`."""
    st = game.state
    errors: list[ActionError] = []
    if not cmd.unit_tags:
        return [_err(cmd, 0, "Error", "the command names no units")]
    group_errors = _group_command(game, owner, cmd)
    if group_errors is not None:
        return group_errors
    slots = _owned_slots(st, owner, cmd.unit_tags)
    if slots is None:  # some tag is unknown or not ours: check one by one for the errors
        slots = []
        for tag in cmd.unit_tags:
            i = st.slot_of_tag(tag)
            if i < 0:
                errors.append(_err(cmd, tag, "CantTargetThatUnit", f"unit {tag} does not exist"))
            elif st.it[S.OWNER, i] != owner:
                errors.append(_err(cmd, tag, "YouCantControlThatUnit",
                                   f"unit {tag} belongs to player {st.it[S.OWNER, i]}"))
            else:
                slots.append(i)
    if not slots:
        return errors
    if len(slots) <= 4:  # a few scalar reads cost less than two fancy-index calls
        is_structure = [int(game.ti[K.T_IS_STRUCTURE, st.it[S.TYPE, i]]) for i in slots]
    else:
        is_structure = game.ti[K.T_IS_STRUCTURE, st.it[S.TYPE, slots]].tolist()
    structures = [i for i, s in zip(slots, is_structure) if s]
    units = [i for i, s in zip(slots, is_structure) if not s]
    ability = GENERAL_TO_SPECIFIC.get(cmd.ability_id, cmd.ability_id)
    if structures and ability not in (A.STOP, A.MOVE, A.ATTACK, A.HOLD):
        errors.extend(_structure_order(game, owner, structures, cmd))
    if units:
        if ability in BUILD_STRUCTURE_ABILITIES:
            # SC2 sends one worker of the selection to build.
            errors.extend(apply_unit_order(game, owner, units[0], cmd))
        else:
            group_errors = _group_order(game, units, cmd, ability)
            if group_errors is not None:
                errors.extend(group_errors)
            else:
                for i in units:
                    errors.extend(apply_unit_order(game, owner, i, cmd))
    return errors


def _owned_slots(st, owner: int, unit_tags) -> Optional[list[int]]:
    """Slots of unit_tags when every tag is a live unit of owner (numba); None otherwise."""
    if len(unit_tags) < 2:
        return None
    try:
        tags = np.array(unit_tags, np.int64)
    except OverflowError:
        return None
    out = np.empty(len(tags), np.int64)
    n = CK.owned_slots(st.it, st.tags.view(np.int64), owner, (1 << S.TAG_SLOT_BITS) - 1, tags, out)
    return out.tolist() if n >= 0 else None


# ability -> (order kind, ability shown, target mode) of a group order
_GROUP_ORDERS = {A.MOVE: (S.MOVE, A.MOVE, CK.MODE_POINT), A.ATTACK: (S.ATTACK_MOVE, A.ATTACK, CK.MODE_POINT),
                 A.HOLD: (S.HOLD, A.HOLD, CK.MODE_HERE), A.STOP: (S.IDLE, 0, CK.MODE_ORIGIN)}


def _group_order(game, units: list[int], cmd: RawCommand, ability: int) -> Optional[list[ActionError]]:
    """Move / attack-move / hold / stop to a point (or none) for many units at once, exactly as
    apply_unit_order would one by one; None when the command needs the per-unit path."""
    if cmd.queued or cmd.target_unit_tag is not None or len(units) < 2 or ability not in _GROUP_ORDERS:
        return None
    st = game.state
    point, _, error = _target(game, cmd, 0)
    if error is not None or (point is None and ability in (A.MOVE, A.ATTACK)):
        return None
    if ability == A.MOVE and not st.terrain_pathable[int(point[1]), int(point[0])]:
        return None
    kind, shown, mode = _GROUP_ORDERS[ability]
    px, py = point if point is not None else (0.0, 0.0)
    slots = np.array(units, np.int64)
    not_mobile = np.empty(len(units), np.int64)
    n = CK.group_order(st.it, st.fl, game.tf, slots, kind, shown, mode, px, py, not_mobile)
    if game.queued_orders:
        fixed = set(not_mobile[:n].tolist())
        for i in units:
            if i not in fixed:
                game.queued_orders.pop(i, None)
    if ability == A.STOP:
        return []
    return [_err(cmd, int(st.tags[i]), "NotSupported", f"{game.types.names[st.it[S.TYPE, i]]} cannot use ability "
                 f"{cmd.ability_id}") for i in not_mobile[:n].tolist()]


def _group_command(game, owner: int, cmd: RawCommand) -> Optional[list[ActionError]]:
    """The common case in one numba call (CK.group_command): Move / Attack / Hold / Stop to a valid point
    (or none) for 2+ of owner's units. Exactly what the general path below does for such a command
    (structures in the selection skipped, _group_order for the units); None, having changed nothing,
    for everything else."""
    ability = GENERAL_TO_SPECIFIC.get(cmd.ability_id, cmd.ability_id)
    order = _GROUP_ORDERS.get(ability)
    if order is None or cmd.queued or cmd.target_unit_tag is not None or len(cmd.unit_tags) < 2:
        return None
    st = game.state
    px = py = 0.0
    if cmd.target_point is not None:
        x, y = cmd.target_point
        if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < st.map.width and 0 <= y < st.map.height):
            return None
        px, py = float(x), float(y)
        if ability == A.MOVE and not st.terrain_pathable[int(py), int(px)]:
            return None
    elif ability in (A.MOVE, A.ATTACK):
        return None
    try:
        tags = np.array(cmd.unit_tags, np.int64)
    except OverflowError:
        return None
    slots = np.empty(len(tags), np.int64)
    not_mobile = np.empty(len(tags), np.int64)
    kind, shown, mode = order
    m, n = CK.group_command(st.it, st.fl, game.tf, game.ti, st.tags.view(np.int64), owner,
                            (1 << S.TAG_SLOT_BITS) - 1, tags, kind, shown, mode, px, py, slots, not_mobile)
    if m < 0:
        return None
    if game.queued_orders:
        fixed = set(not_mobile[:n].tolist())
        for i in slots[:m].tolist():
            if i not in fixed:
                game.queued_orders.pop(i, None)
    if ability == A.STOP or n == 0:
        return []
    return [_err(cmd, int(st.tags[i]), "NotSupported", f"{game.types.names[st.it[S.TYPE, i]]} cannot use ability "
                 f"{cmd.ability_id}") for i in not_mobile[:n].tolist()]


def command_to_dict(cmd: RawCommand) -> dict:
    d: dict = {"a": int(cmd.ability_id), "u": [int(t) for t in cmd.unit_tags]}
    if cmd.target_point is not None:
        d["p"] = [float(cmd.target_point[0]), float(cmd.target_point[1])]
    if cmd.target_unit_tag is not None:
        d["t"] = int(cmd.target_unit_tag)
    if cmd.queued:
        d["q"] = 1
    return d


def command_from_dict(d: dict) -> RawCommand:
    point = d.get("p")
    return RawCommand(int(d["a"]), tuple(int(t) for t in d["u"]),
                      target_point=(float(point[0]), float(point[1])) if point is not None else None,
                      target_unit_tag=int(d["t"]) if "t" in d else None, queued=bool(d.get("q", 0)))
