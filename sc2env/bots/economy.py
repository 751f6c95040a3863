"""SCVs: mining, gas, constant SCV production, supply depots, buildings and expansions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from sc2env.bots import ids, placement
from sc2env.bots.ids import Ability, Unit
from sc2env.bots.view import BotView, isin, nearest, pick
from sc2env.types import RawCommand, empty_units

if TYPE_CHECKING:
    from sc2env.bots.terran import TerranBot

# Structures whose tech requirement must be complete before they can be built (game data
# `tech_requirement`: Barracks <- SupplyDepot, Factory <- Barracks, EngineeringBay <- CC).
REQUIRES = {Unit.Barracks: Unit.SupplyDepot, Unit.Factory: Unit.Barracks, Unit.EngineeringBay: Unit.CommandCenter}


def train_workers(bot: "TerranBot", v: BotView, cmds: list) -> None:
    """Keep every idle command center making SCVs until the profile's worker target."""
    if bot.banned(Ability.TrainSCV):
        return
    have = v.count(Unit.SCV)
    # The target below is at most worker_target, and only an idle command center trains:
    # without either there is nothing to decide (and no need to count fields).
    if have >= bot.profile.worker_target or not (v.townhalls_done["order_count"] == 0).any():
        return
    # No more SCVs than the bases can use: 2 per mineral field, 3 per refinery, +2 builders.
    fields = sum(
        int(np.count_nonzero(np.hypot(v.minerals["x"] - th["x"], v.minerals["y"] - th["y"]) < 12.0))
        for th in v.townhalls
    )
    target = min(bot.profile.worker_target, 2 * fields + 3 * len(v.refineries) + 2)
    for th in v.townhalls_done:
        if have >= target:
            return
        if th["order_count"] > 0 or not v.can_afford(Unit.SCV):
            continue
        cmds.append(RawCommand(Ability.TrainSCV, (int(th["tag"]),)))
        v.spend(Unit.SCV)
        have += 1


def manage_workers(bot: "TerranBot", v: BotView, cmds: list) -> None:
    """Idle SCVs mine at the least saturated base; refineries get their gas workers."""
    if len(v.townhalls_done) == 0 or len(v.minerals) == 0:
        return
    if bot.gas_workers:
        alive = set(v.workers["tag"].tolist())
        for tag in list(bot.gas_workers):
            bot.gas_workers[tag] &= alive
    gas_tags = set().union(*bot.gas_workers.values()) if bot.gas_workers else set()

    # Gas first: a completed refinery takes its workers from the nearest miners.
    refineries = v.refineries
    for ref in pick(refineries, refineries["build_progress"] >= 1.0) if len(refineries) else ():
        tag = int(ref["tag"])
        crew = bot.gas_workers.setdefault(tag, set())
        while len(crew) < bot.profile.workers_per_refinery:
            miners = pick(v.mining_workers, ~np.isin(v.mining_workers["tag"], list(gas_tags | bot.busy)))
            if len(miners) == 0:
                break
            w = miners[nearest(miners, (ref["x"], ref["y"]))]
            crew.add(int(w["tag"]))
            gas_tags.add(int(w["tag"]))
            cmds.append(RawCommand(Ability.HarvestGather, (int(w["tag"]),), target_unit_tag=tag))

    # Idle SCVs: to the base with the fewest miners per mineral field.
    if len(v.idle_workers) == 0:
        return
    bases = []
    for th in v.townhalls_done:
        fields = pick(v.minerals, np.hypot(v.minerals["x"] - th["x"], v.minerals["y"] - th["y"]) < 12.0)
        if len(fields) == 0:
            continue
        miners = int(np.count_nonzero(np.hypot(v.workers["x"] - th["x"], v.workers["y"] - th["y"]) < 12.0))
        bases.append([miners / (2.0 * len(fields)), fields, th])
    if not bases:
        return
    for w in v.idle_workers:
        if int(w["tag"]) in gas_tags or int(w["tag"]) in bot.busy:
            continue
        bases.sort(key=lambda b: b[0])
        load, fields, th = bases[0]
        field = fields[int(bot.rng.integers(len(fields)))]
        cmds.append(RawCommand(Ability.HarvestGather, (int(w["tag"]),), target_unit_tag=int(field["tag"])))
        bases[0][0] = load + 1.0 / (2.0 * len(fields))


def _blockers(v: BotView) -> np.ndarray:
    """Structures, resources and the spots SCVs are already walking to build on."""
    obs_units = v.obs.units
    solid = pick(obs_units, isin(obs_units["unit_type"], ids.STRUCTURES) | (obs_units["alliance"] == 3))
    # Only orders aimed at a point: an SCV already constructing targets its structure (a tag;
    # the order's point reads (0, 0)), and that structure is in `solid`. A blocker at (0, 0)
    # walled off the map corner beside player 1's base and not player 2's (Harder's fourth
    # barracks found no spot as player 1, so mirror matches went 70/30).
    planned = pick(v.workers, isin(v.worker_first_order, ids.BUILD_ABILITIES)
                   & (v.workers["order_target_tag"][:, 0] == 0))
    fake = empty_units(len(planned))
    if len(planned):
        fake["x"] = planned["order_target_x"][:, 0]
        fake["y"] = planned["order_target_y"][:, 0]
        fake["radius"] = 2.5
    # Keep each barracks' / factory's add-on spot free (and its mirror: placement.addon_spots).
    hosts = pick(v.own, isin(v.own["unit_type"], ids.TAKES_ADDON) & (v.own["add_on_tag"] == 0))
    spots = []
    for ax, ay in placement.addon_spots(hosts["x"], hosts["y"]):  # both sides, for every host at once
        reserved = empty_units(len(hosts))
        reserved["x"], reserved["y"], reserved["radius"] = ax, ay, 1.0
        spots.append(reserved)
    # Concatenated as raw rows: numpy's structured concatenate checks the fields in Python.
    return _concat_units([solid, fake, *spots])


def _concat_units(tables: list) -> np.ndarray:
    dtype = tables[0].dtype
    row = np.dtype((np.void, dtype.itemsize))
    rows = [np.frombuffer(np.ascontiguousarray(t), dtype=row) for t in tables]
    return np.frombuffer(np.concatenate(rows), dtype=dtype)


def pick_builder(bot: "TerranBot", v: BotView, point) -> Optional[int]:
    gas_tags = set().union(*bot.gas_workers.values()) if bot.gas_workers else set()
    pool = pick(v.mining_workers, ~np.isin(v.mining_workers["tag"], list(gas_tags | bot.busy)))
    if len(pool) == 0:
        return None
    return int(pool[nearest(pool, point)]["tag"])


def tech_ready(v: BotView, structure: int) -> bool:
    need = REQUIRES.get(int(structure))
    return need is None or v.count_done(need) > 0


def try_build(bot: "TerranBot", v: BotView, cmds: list, structure: int, reserve: tuple[int, int] = (0, 0)) -> bool:
    """Order an SCV to build `structure`; False when it cannot be done this step."""
    ability = ids.BUILD_ABILITY[int(structure)]
    if bot.banned(ability) or not tech_ready(v, structure) or not v.can_afford(structure, reserve):
        return False
    if len(v.townhalls_done) == 0:
        return False
    target_point = target_unit = None
    if structure == Unit.Refinery:
        target_unit, point = _free_geyser(v)
        if target_unit is None:
            return False
    elif structure == Unit.CommandCenter:
        point = next_expansion(bot, v)
        if point is None:
            return False
        target_point = point
    else:
        point = placement.find_spot(
            structure, bot.home, v.obs.map.placeable, _blockers(v), _concat_units([v.minerals, v.geysers]),
            bot.rng, bot.bad_spots, keep_out=bot.keep_out,
        )
        if point is None:
            return False
        target_point = point
    builder = pick_builder(bot, v, point)
    if builder is None:
        return False
    cmds.append(RawCommand(ability, (builder,), target_point=target_point, target_unit_tag=target_unit))
    bot.last_build_spot[int(ability)] = target_point
    bot.busy.add(builder)
    v.spend(structure)
    v.ordered_builds[int(structure)] = v.ordered_builds.get(int(structure), 0) + 1
    v.mining_workers = v.mining_workers[v.mining_workers["tag"] != builder]
    return True


def _free_geyser(v: BotView):
    for th in v.townhalls_done:
        near = pick(v.geysers, np.hypot(v.geysers["x"] - th["x"], v.geysers["y"] - th["y"]) < 12.0)
        for g in near:
            taken = np.hypot(v.refineries["x"] - g["x"], v.refineries["y"] - g["y"]) < 1.0
            ordered = (v.worker_first_order == Ability.BuildRefinery) & (
                v.workers["order_target_tag"][:, 0] == g["tag"]
            )
            if not taken.any() and not ordered.any():
                return int(g["tag"]), (float(g["x"]), float(g["y"]))
    return None, None


def next_expansion(bot: "TerranBot", v: BotView):
    resources = _concat_units([v.minerals, v.geysers])
    clusters = [c for c in placement.resource_clusters(resources) if placement.is_mineral_cluster(c)]
    options = []
    for c in clusters:
        centre = (float(c["x"].mean()), float(c["y"].mean()))
        if len(v.townhalls) and (np.hypot(v.townhalls["x"] - centre[0], v.townhalls["y"] - centre[1]) < 12).any():
            continue
        if np.hypot(centre[0] - bot.enemy_start[0], centre[1] - bot.enemy_start[1]) < 20:
            continue
        options.append((np.hypot(centre[0] - bot.home[0], centre[1] - bot.home[1]), c))
    options.sort(key=lambda o: o[0])
    for _, c in options[:2]:
        spot = placement.expansion_spot(c, v.obs.map.placeable, _blockers(v), bot.bad_spots)
        if spot is not None:
            return spot
    return None


def build_depots(bot: "TerranBot", v: BotView, cmds: list) -> tuple[int, int]:
    """A depot when supply runs low; returns the money to keep for it when it cannot be paid yet,
    so barracks and units do not starve it (supply blocks cost more than anything else)."""
    p = bot.profile
    if v.food_cap >= 200:
        return (0, 0)
    # Production adds supply need: each idle producer may add a unit before the next depot is done.
    margin = p.depot_margin + (len(v.townhalls_done) if p.depot_margin >= 4 else 0)
    if v.food_cap - v.food_used > margin:
        return (0, 0)
    if v.under_construction(Unit.SupplyDepot) >= p.max_concurrent_depots:
        return (0, 0)
    if try_build(bot, v, cmds, Unit.SupplyDepot):
        return (0, 0)
    return ids.COST[Unit.SupplyDepot][:2] if p.depot_margin > 0 else (0, 0)
