"""Build order, add-ons, research and army production."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sc2env.bots import economy, ids
from sc2env.bots.ids import Ability, Unit
from sc2env.bots.view import PRODUCERS, BotView, pick
from sc2env.types import RawCommand

if TYPE_CHECKING:
    from sc2env.bots.terran import TerranBot

ADDON_ABILITY = {
    (Unit.Barracks, Unit.BarracksTechLab): Ability.BuildTechLabBarracks,
    (Unit.Barracks, Unit.BarracksReactor): Ability.BuildReactorBarracks,
    (Unit.Factory, Unit.FactoryTechLab): Ability.BuildTechLabFactory,
}
# What each production structure makes, and which add-on a unit needs (game data
# `require_attached`: Marauder and SiegeTank need a tech lab).
MAKES = {Unit.Barracks: (Unit.Marine, Unit.Marauder, Unit.Reaper), Unit.Factory: (Unit.Hellion, Unit.SiegeTank)}
NEEDS_TECHLAB = frozenset({Unit.Marauder, Unit.SiegeTank})
_PRODUCERS = tuple(int(t) for t in PRODUCERS)  # in the order train_army serves them
assert set(_PRODUCERS) == set(MAKES)
_SIEGE_TANK, _SIEGE_TANK_SIEGED = int(Unit.SiegeTank), int(Unit.SiegeTankSieged)
RESEARCHER = {
    ids.Upgrade.Stimpack: Unit.BarracksTechLab,
    ids.Upgrade.ShieldWall: Unit.BarracksTechLab,
    ids.Upgrade.TerranInfantryWeaponsLevel1: Unit.EngineeringBay,
}


_STEPS: dict[int, tuple] = {}


def _steps(build_order: tuple) -> list:
    """(step, structure id, skipped_steps key) per build step, made once per build order
    (keyed by identity: hashing the frozen steps would cost more than it saves)."""
    entry = _STEPS.get(id(build_order))
    if entry is None or entry[0] is not build_order:
        entry = _STEPS[id(build_order)] = (
            build_order, [(step, int(step.structure), (int(step.structure), step.count)) for step in build_order])
    return entry[1]


def run_build_order(bot: "TerranBot", v: BotView, cmds: list, held: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """Work through the build order (leaving `held` money untouched); returns the
    (minerals, vespene) to save for its next step, `held` included."""
    have: dict[int, int] = {}  # counts do not change until the loop returns (try_build)
    for step, structure, key in _steps(bot.profile.build_order):
        if key in bot.skipped_steps:
            continue
        n = have.get(structure)
        if n is None:
            n = have[structure] = v.count(step.structure)
        if n >= step.count:
            continue
        if v.food_used < step.at_food:
            return held
        if step.structure == Unit.CommandCenter and economy.next_expansion(bot, v) is None:
            bot.skipped_steps.add((int(step.structure), step.count))  # this map has no free base
            continue
        cost = ids.COST[int(step.structure)]
        if not economy.tech_ready(v, step.structure) or not v.can_afford(step.structure, held):
            return (held[0] + cost[0], held[1] + cost[1])
        if not economy.try_build(bot, v, cmds, step.structure, held):
            # Affordable and allowed but nowhere to put it (e.g. no expansion on this map):
            # after a few tries the step is dropped so it does not stall the rest.
            key = (int(step.structure), step.count)
            bot.failed_steps[key] = bot.failed_steps.get(key, 0) + 1
            if bot.failed_steps[key] >= 20:
                bot.skipped_steps.add(key)
            return (held[0] + cost[0], held[1] + cost[1])
        return held
    # Past the build order: more barracks while minerals float (Medium and up).
    if bot.profile.extra_barracks and v.minerals_left > 400 and v.count(Unit.Barracks) < 8:
        if v.under_construction(Unit.Barracks) == 0:
            economy.try_build(bot, v, cmds, Unit.Barracks, held)
    return held


def _addon_type(v: BotView, tag: int) -> int:
    """The add-on's type for a building's add_on_tag: 0 none, -1 still being built."""
    if tag == 0:
        return 0
    addon = v.unit(tag)
    if addon is None or addon["build_progress"] < 1.0:
        return -1
    return int(addon["unit_type"])


def build_addons(bot: "TerranBot", v: BotView, cmds: list, reserve: tuple[int, int]) -> None:
    for kind, plan in ((Unit.Barracks, bot.profile.barracks_addons), (Unit.Factory, bot.profile.factory_addons)):
        if not plan:
            continue
        buildings = pick(v.own, (v.own["unit_type"] == kind) & v.done)
        buildings = buildings[np.argsort(buildings["tag"], kind="stable")]
        for k, b in enumerate(buildings[: len(plan)]):
            addon = plan[k]
            ability = ADDON_ABILITY[(kind, addon)]
            if int(b["add_on_tag"]) != 0 or b["order_count"] > 0 or bot.banned(ability):
                continue
            if not v.can_afford(addon, reserve):
                return
            cmds.append(RawCommand(ability, (int(b["tag"]),)))
            v.spend(addon)


def research(bot: "TerranBot", v: BotView, cmds: list, reserve: tuple[int, int]) -> None:
    if not bot.profile.research:
        return
    researching = None
    for upgrade in bot.profile.research:
        ability = ids.RESEARCH_ABILITY[upgrade]
        if int(upgrade) in v.upgrades:
            continue
        # (Each test below only skips the upgrade, so the cheapest goes first.)
        if int(ability) not in v.available:
            continue  # not offered now (no idle researcher, no money, or not in this game's data)
        if researching is None:
            researching = set(v.own["order_ability_id"].ravel().tolist())
            researching.discard(0)
        if int(ability) in researching or bot.banned(ability):
            continue
        labs = pick(v.own, (v.own["unit_type"] == RESEARCHER[upgrade]) & v.done & (v.own["order_count"] == 0))
        if len(labs) == 0 or not v.can_afford(upgrade, reserve):
            continue
        cmds.append(RawCommand(ability, (int(labs[0]["tag"]),)))
        v.spend(upgrade)
        researching.add(int(ability))


def _choose_unit(bot: "TerranBot", v: BotView, kind: int, addon: int, counts: dict, reserve) -> int:
    """The most under-represented unit of the profile's mix this building can make now."""
    mix = dict(bot.profile.army_mix)
    total = sum(counts.values()) + 1
    options = []
    for unit in MAKES[kind]:
        if unit not in mix:
            continue
        if unit in NEEDS_TECHLAB and addon not in ids.TECHLABS:
            continue
        if bot.banned(ids.TRAIN_ABILITY[unit]):
            continue
        deficit = mix[unit] - counts.get(unit, 0) / total
        options.append((-deficit, int(unit)))
    options.sort()
    for _, unit in options:
        if v.can_afford(unit, reserve):
            return unit
        if ids.COST[unit][1] == 0:
            return 0  # wait for minerals for the unit we want most rather than skipping it
    return 0


def _army_counts(v: BotView) -> dict:
    """Army units by type (sieged tanks count as tanks)."""
    counts = {}
    for t in v.army["unit_type"].tolist():
        t = _SIEGE_TANK if t == _SIEGE_TANK_SIEGED else t
        counts[t] = counts.get(t, 0) + 1
    return counts


def train_army(bot: "TerranBot", v: BotView, cmds: list, reserve: tuple[int, int]) -> None:
    counts = None
    found = v.producers
    if len(found) == 0:
        return
    producers = list(zip(found["unit_type"].tolist(), found["tag"].tolist(), found["add_on_tag"].tolist(),
                         found["order_count"].tolist()))
    for kind in _PRODUCERS:
        for kind_, tag, addon_tag, n_orders in producers:
            if kind_ != kind:
                continue
            addon = _addon_type(v, addon_tag)
            slots = 2 if addon in ids.REACTORS else 1
            free = slots - n_orders
            if addon == -1 or (addon == 0 and addon_tag == 0 and n_orders > 0):
                continue  # add-on under construction / busy
            if free > 0 and counts is None:
                counts = _army_counts(v)
            for _ in range(max(0, free)):
                unit = _choose_unit(bot, v, kind, addon, counts, reserve)
                if unit == 0:
                    break
                cmds.append(RawCommand(ids.TRAIN_ABILITY[unit], (tag,)))
                v.spend(unit)
                counts[unit] = counts.get(unit, 0) + 1
