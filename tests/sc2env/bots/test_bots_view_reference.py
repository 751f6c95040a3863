"""BotView (one compiled pass sorts the unit table into groups, flags and counts) against a
plain version with a boolean mask per group, on the observations of real bot games."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from sc2env.bots import ids
from sc2env.bots.ids import Ability, Unit
from sc2env.bots.view import BotView
from sc2env.env import make_env
from sc2env.types import Alliance, BotPlayer, Difficulty, DisplayType, Race

GATHER = [Ability.HarvestGather, Ability.HarvestGatherSCV, Ability.HarvestReturn, Ability.HarvestReturnSCV]


def _isin(values, members) -> np.ndarray:
    return np.isin(values, [int(m) for m in members])


def reference(obs) -> dict:
    """The groups, counts and budget as plain masks over the unit table compute them."""
    units = obs.units
    own = units[units["alliance"] == Alliance.Self]
    enemy = units[(units["alliance"] == Alliance.Enemy) & (units["display_type"] != DisplayType.Hidden)]
    neutral = units[units["alliance"] == Alliance.Neutral]
    done = own["build_progress"] >= 1.0
    workers = own[own["unit_type"] == Unit.SCV]
    first = workers["order_ability_id"][:, 0]
    building = own[_isin(own["unit_type"], ids.STRUCTURES) & ~done]
    walking = _isin(first, ids.BUILD_ABILITIES)
    for k in np.flatnonzero(walking):
        tx, ty = workers["order_target_x"][k, 0], workers["order_target_y"][k, 0]
        if len(building) and (np.abs(building["x"] - tx) + np.abs(building["y"] - ty) < 1.5).any():
            walking[k] = False
    ordered = {int(s): int(np.count_nonzero(first[walking] == a)) for s, a in ids.BUILD_ABILITY.items()}
    minerals, vespene = int(obs.player.minerals), int(obs.player.vespene)
    for s, n in ordered.items():
        minerals -= n * ids.COST[s][0]
        vespene -= n * ids.COST[s][1]
    enemy_structure = _isin(enemy["unit_type"], ids.STRUCTURES)
    army = own[_isin(own["unit_type"], ids.ARMY)]
    attacking = (army["order_count"] > 0) & np.isin(army["order_ability_id"][:, 0], [int(Ability.Attack), 23])
    return {
        "groups": {
            "own": own, "enemy": enemy, "workers": workers, "army": army,
            "minerals": neutral[(_isin(neutral["unit_type"], ids.MINERAL_FIELDS) | (neutral["mineral_contents"] > 0))
                                & ~_isin(neutral["unit_type"], ids.GEYSERS)],
            "geysers": neutral[_isin(neutral["unit_type"], ids.GEYSERS)],
            "townhalls": own[_isin(own["unit_type"], ids.TOWNHALLS)],
            "townhalls_done": own[_isin(own["unit_type"], ids.TOWNHALLS) & done],
            "refineries": own[own["unit_type"] == Unit.Refinery],
            "enemy_structures": enemy[enemy_structure], "enemy_units": enemy[~enemy_structure],
            "mining_workers": workers[_isin(first, GATHER) | (workers["order_count"] == 0)],
            "idle_workers": workers[workers["order_count"] == 0],
            "producers": own[_isin(own["unit_type"], (Unit.Barracks, Unit.Factory)) & done],
        },
        "own_types": Counter(own["unit_type"].tolist()), "done_types": Counter(own["unit_type"][done].tolist()),
        "orders": Counter(own["order_ability_id"].ravel().tolist()),
        "ordered_builds": ordered, "minerals_left": minerals, "vespene_left": vespene,
        "building_workers": _isin(first, ids.BUILD_ABILITIES),
        "army_food": float(sum(ids.COST.get(int(t), (0, 0, 1))[2] for t in army["unit_type"])),
        "own_structure": _isin(own["unit_type"], ids.STRUCTURES),
        # First order Attack, given (Attack) or acquired by the unit itself (23).
        "army_attacking": attacking, "army_shooting": attacking & (army["order_target_tag"][:, 0] != 0),
    }


def _check(obs) -> set:
    """Compare one observation's BotView with the reference; returns the non-empty groups."""
    v, ref = BotView(obs), reference(obs)
    filled = set()
    for name, expected in ref["groups"].items():
        got = getattr(v, name)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), name
        if len(expected):
            filled.add(name)
    assert v.ordered_builds == ref["ordered_builds"]
    assert (v.minerals_left, v.vespene_left) == (ref["minerals_left"], ref["vespene_left"])
    assert np.array_equal(v.building_workers, ref["building_workers"])
    assert np.array_equal(v.own_structure, ref["own_structure"])
    assert np.array_equal(v.army_attacking, ref["army_attacking"])
    assert np.array_equal(v.army_shooting, ref["army_shooting"])
    assert v.army_food() == ref["army_food"]
    own_types, done_types, orders = ref["own_types"], ref["done_types"], ref["orders"]
    for u in Unit:
        types = {Unit.SupplyDepot: ids.DEPOTS, Unit.CommandCenter: ids.TOWNHALLS,
                 Unit.SiegeTank: (Unit.SiegeTank, Unit.SiegeTankSieged)}.get(u, (u,))
        built = sum(own_types[int(t)] for t in types)
        train = ids.TRAIN_ABILITY.get(u)
        queued = 0 if train is None else orders[int(train)]
        assert v.count(u, include_pending=False) == built, u
        assert v.count(u) == built + ref["ordered_builds"].get(int(u), 0) + queued, u
        assert v.queued_training(u) == queued, u
        kinds = ids.DEPOTS if u == Unit.SupplyDepot else (u,)
        done = sum(done_types[int(t)] for t in kinds)
        assert v.count_done(u) == done, u
        building = sum(own_types[int(t)] for t in kinds) - done
        assert v.under_construction(u) == building + ref["ordered_builds"].get(int(u), 0), u
    return filled


GROUPS = {"own", "enemy", "workers", "army", "minerals", "geysers", "townhalls", "townhalls_done", "refineries",
          "enemy_structures", "enemy_units", "mining_workers", "idle_workers", "producers"}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("map_name,levels,seed,seen", [
    # Through to the end (~1,575 steps); refineries come late (at 46 supply), so the seed is one
    # whose game lasts long enough for one.
    ("Simple96", (Difficulty.Harder, Difficulty.Hard), 6, GROUPS),
    ("Simple64", (Difficulty.MediumHard, Difficulty.Hard), 2, GROUPS - {"refineries"}),
], ids=["Simple96", "Simple64"])
def test_bot_view_matches_plain_masks_through_a_game(map_name, levels, seed, seen):
    env = make_env(backend="embedded", map=map_name, players=[BotPlayer(Race.Terran, d) for d in levels],
                   step_mul=8, seed=seed, game_loop_limit=22 * 60 * 30)
    env.reset()
    filled = set()
    steps = 0
    while not env._done:
        if steps % 4 == 0:
            for player in (1, 2):
                filled |= _check(env.game.observe(player))
        env.step([])
        steps += 1
    # The game reached the states the groups are for (enemies seen, builders walking, ...).
    assert filled >= seen
