"""Tech requirements, construction, add-ons, research, production queues."""

from __future__ import annotations

from engine_testing import (BARRACKS, CC, DEPOT, EBAY, MARAUDER, MARINE, SCV, TECHLAB, arena, give, order, run_until)

from sc2env.engine import state as S
from sc2env.types import RawCommand

R = {"NotEnoughMinerals": 9, "NotEnoughFood": 13, "BuildTechRequirementsNotMet": 40, "TechRequirementsNotMet": 79,
     "CantBuildLocationInvalid": 44, "QueueIsFull": 7}


def _base():
    game = arena(48)
    cc = game.add_unit(CC, 1, 10.5, 24.5)
    scv = game.add_unit(SCV, 1, 16.0, 24.0)
    game.step(1)
    return game, cc, scv


def test_barracks_needs_a_finished_supply_depot_then_trains_marines():
    game, cc, scv = _base()
    give(game, 1, 2000)
    errors = order(game, 1, 321, [scv], point=(20.5, 20.5))
    assert [e.result for e in errors] == [R["BuildTechRequirementsNotMet"]]
    assert order(game, 1, 319, [scv], point=(20.0, 30.0)) == []
    depot = run_until(game, lambda: len(game.units(1, DEPOT)) == 1, 300) and game.units(1, DEPOT)[0]
    assert game.observe(1).units[game.observe(1).units["unit_type"] == DEPOT]["build_progress"][0] < 1
    # Depot: 480 loops of construction, then 8 more supply.
    run_until(game, lambda: game.state.it[S.BUILT, depot] == 1, 600)
    assert game.observe(1).player.food_cap == 15 + 8
    assert order(game, 1, 321, [scv], point=(20.5, 18.5)) == []
    run_until(game, lambda: len(game.units(1, BARRACKS)) == 1, 300)
    rax = game.units(1, BARRACKS)[0]
    run_until(game, lambda: game.state.it[S.BUILT, rax] == 1, 1200, chunk=8)
    minerals = game.state.pl[S.P_MINERALS, 1]
    assert order(game, 1, 560, [rax]) == []
    assert game.state.pl[S.P_MINERALS, 1] == minerals - 50
    run_until(game, lambda: len(game.units(1, MARINE)) == 1, 420)
    # Marauder needs a TechLab on this Barracks.
    give(game, 1, 500, 100)
    available = set(game.observe(1).available_abilities.tolist())
    assert {560, 421, 422, 524, 319, 321} <= available and 563 not in available and 328 in available
    errors = order(game, 1, 563, [rax])
    assert [e.result for e in errors] == [R["TechRequirementsNotMet"]]
    give(game, 1, 500, 100)
    assert order(game, 1, 421, [rax]) == []
    run_until(game, lambda: len(game.units(1, TECHLAB)) == 1 and game.state.it[S.BUILT, game.units(1, TECHLAB)[0]] == 1,
              500, chunk=8)
    give(game, 1, 500, 100)
    assert 563 in game.observe(1).available_abilities
    assert order(game, 1, 563, [rax]) == []
    run_until(game, lambda: len(game.units(1, MARAUDER)) == 1, 520, chunk=8)


def test_not_enough_minerals_food_and_full_queue():
    game, cc, scv = _base()
    give(game, 1, 0)
    errors = order(game, 1, 524, [cc])
    assert [e.result for e in errors] == [R["NotEnoughMinerals"]] and "minerals" in errors[0].reason
    give(game, 1, 10_000)
    for _ in range(5):
        assert order(game, 1, 524, [cc]) == []
    assert [e.result for e in order(game, 1, 524, [cc])] == [R["QueueIsFull"]]
    game2, cc2, _ = _base()
    give(game2, 1, 10_000)
    game2.state.pl[S.P_FOOD_USED, 1] = 15
    assert [e.result for e in order(game2, 1, 524, [cc2])] == [R["NotEnoughFood"]]


def test_infantry_weapons_research_adds_upgrade():
    game, cc, scv = _base()
    ebay = game.add_unit(EBAY, 1, 30.5, 24.5)
    give(game, 1, 200, 200)
    assert order(game, 1, 652, [ebay]) == []
    assert game.state.pl[S.P_MINERALS, 1] == 100
    game.step(2560 + 2)
    obs = game.observe(1)
    assert 7 in obs.upgrades and game.state.pl[S.P_WEAPONS, 1] == 1
    assert order(game, 1, 652, [ebay])[0].result == 3  # already researched


def test_placement_rejects_overlap_and_off_map():
    game, cc, scv = _base()
    give(game, 1, 1000)
    assert order(game, 1, 319, [scv], point=(10.0, 24.0))[0].result == R["CantBuildLocationInvalid"]
    errors = game.command(1, RawCommand(319, (game.tag(scv),), target_point=(500.0, 3.0)))
    assert errors[0].result == 208  # CouldntReachTarget
