"""Built-in bots on the embedded engine: determinism, legal commands, the ladder's ends."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sc2env.bots import BotError, make_bot
from sc2env.bots.profiles import PROFILES
from sc2env.env import make_env
from sc2env.types import BotPlayer, Difficulty, Race, Result

LADDER = [Difficulty.VeryEasy, Difficulty.Easy, Difficulty.Medium, Difficulty.MediumHard, Difficulty.Hard,
          Difficulty.Harder]


def bot_game(levels, seed: int, loops: int):
    """Bot vs bot on Simple64 through make_env, run until the end or `loops`."""
    env = make_env(backend="embedded", map="Simple64", players=[BotPlayer(Race.Terran, d) for d in levels],
                   step_mul=8, seed=seed, game_loop_limit=loops)
    env.reset()
    env.run_bots_until_end()
    return env


@pytest.mark.timeout(600)
def test_same_seed_same_game():
    a = bot_game((Difficulty.Hard, Difficulty.Medium), seed=3, loops=1600)
    b = bot_game((Difficulty.Hard, Difficulty.Medium), seed=3, loops=1600)
    assert a.game.state_hash() == b.game.state_hash()
    assert a.bots[1].commands_sent == b.bots[1].commands_sent > 10  # the bots really played


def test_bot_commands_depend_only_on_seed_and_observation():
    env = make_env(backend="embedded", map="Simple64", players=[BotPlayer(), BotPlayer()], seed=1)
    env.reset()
    obs, info = env.game.observe(1), env.game.game_info(1)
    first = [make_bot(BotPlayer(Race.Terran, Difficulty.Harder), seed=9).act(obs, info) for _ in range(2)]
    assert first[0] == first[1] and len(first[0]) > 0
    abilities = {c.ability_id for c in first[0]}
    assert abilities <= {524, 3666}  # train an SCV, send the idle SCVs to mine


@pytest.mark.timeout(600)
@pytest.mark.parametrize("pair", [(LADDER[2], LADDER[5]), (LADDER[3], LADDER[4])],
                         ids=lambda p: f"{p[0].name}-{p[1].name}")
def test_bots_build_an_army_with_few_rejected_commands(pair):
    # Three game minutes: every level has its barracks up and its first units out by then.
    # (VeryEasy and Easy are covered by the full game in test_easy_bot_beats_very_easy.)
    env = bot_game(pair, seed=1, loops=22 * 60 * 3)
    for p in (1, 2):
        _assert_played_legally(env, p)


def _assert_played_legally(env, p: int) -> None:
    bot = env.bots[p]
    assert bot.commands_sent > 10  # VeryEasy acts every 6th step and does little
    assert bot.errors_seen <= 0.05 * bot.commands_sent
    assert env.game.army_supply(p) >= 1 or env.game.is_over()


def test_levels_differ_in_economy_timing_and_micro():
    profiles = [PROFILES[d] for d in LADDER]
    assert [p.act_every for p in profiles] == sorted([p.act_every for p in profiles], reverse=True)
    assert profiles[0].worker_target < min(p.worker_target for p in profiles[1:])  # VeryEasy: fewest SCVs
    assert profiles[0].attack_supply < profiles[1].attack_supply  # VeryEasy: the smallest groups
    assert not profiles[0].focus_fire and profiles[-1].focus_fire
    assert not profiles[-2].focus_fire and profiles[-3].focus_fire  # Hard: the nearest target, not the weakest
    assert all(p.research for p in profiles[-2:]) and not any(p.research for p in profiles[:-2])  # +1 weapons
    assert sum(s.structure == 21 for s in profiles[0].build_order) == 1  # VeryEasy: one barracks
    barracks = [sum(s.structure == 21 for s in p.build_order) for p in profiles]
    assert np.diff(barracks).min() >= 0 and barracks[-1] > barracks[-2]  # more production up the ladder
    assert profiles[-2].worker_target < profiles[-3].worker_target  # Hard: fewer SCVs, barracks sooner,
    assert profiles[-2].attack_supply > profiles[-3].attack_supply  # and a bigger first wave
    # No two levels are the same bot under another name.
    fields = [dataclasses.replace(p, name="") for p in profiles]
    assert all(fields[i] != fields[j] for i in range(len(fields)) for j in range(i))


def test_unsupported_bot_is_a_clear_error():
    with pytest.raises(BotError, match="Terran only"):
        make_bot(BotPlayer(Race.Zerg, Difficulty.Easy), 0)
    with pytest.raises(BotError, match="CheatInsane"):
        make_bot(BotPlayer(Race.Terran, Difficulty.CheatInsane), 0)


@pytest.mark.timeout(600)
def test_easy_bot_beats_very_easy():
    # A real game to the end: Easy's first wave (four game minutes) destroys VeryEasy, whose
    # marines attack in small groups; both seats play legal commands throughout.
    env = bot_game((Difficulty.VeryEasy, Difficulty.Easy), seed=4, loops=22 * 60 * 7)
    assert env.game.result(2) == Result.Victory, f"ended at loop {env.game.game_loop}: {env.game.results}"
    assert env.game.game_loop < 22 * 60 * 7
    for p in (1, 2):
        _assert_played_legally(env, p)
