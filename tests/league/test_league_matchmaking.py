"""Role matchmaking proportions over many draws, against hand-computed distributions."""

import collections
import random

import pytest

from league.config import LeagueConfig
from league.matchmaking import choose_opponent
from league.players import Player, Role

N = 20000

MAIN = Player("main_0", Role.MAIN_AGENT, "Terran", created_seq=1)
EXPLOITER = Player("main_exploiter_0", Role.MAIN_EXPLOITER, "Terran", created_seq=2)
LEAGUE_EXPLOITER = Player("league_exploiter_0", Role.LEAGUE_EXPLOITER, "Terran", created_seq=3)
BOTS = [Player("bot:veryeasy", Role.BOT, "Terran", bot_difficulty="VeryEasy", created_seq=4),
        Player("bot:easy", Role.BOT, "Terran", bot_difficulty="Easy", created_seq=5)]
M1 = Player("main_0@1", Role.HISTORICAL, "Terran", parent="main_0", version=1, created_seq=6)
M2 = Player("main_0@2", Role.HISTORICAL, "Terran", parent="main_0", version=2, created_seq=7)
E1 = Player("main_exploiter_0@1", Role.HISTORICAL, "Terran", parent="main_exploiter_0", version=1, created_seq=8)
LEAGUE = [MAIN, EXPLOITER, LEAGUE_EXPLOITER, *BOTS, M1, M2, E1]


def sample(player, win_rates, config, n=N, seed=0):
    rng = random.Random(seed)
    opponents, branches = collections.Counter(), collections.Counter()
    for _ in range(n):
        pick = choose_opponent(player, LEAGUE, win_rates, config, rng)
        opponents[pick.opponent.player_id] += 1
        branches[pick.branch] += 1
    return opponents, branches


def assert_distribution(counts, expected, n=N):
    assert set(counts) <= set(expected), f"unexpected opponents {set(counts) - set(expected)}"
    for name, p in expected.items():
        sigma = max((p * (1 - p) / n) ** 0.5, 1e-9)
        assert abs(counts[name] / n - p) < 5 * sigma + 1e-9, (name, counts[name] / n, p)


def test_main_agent_bots_pfsp_and_self_play():
    config = LeagueConfig(main_bot_share=0.2, bots=["VeryEasy", "Easy"])
    # vs own snapshots 0.8 then 0.6 (non-increasing: nothing forgotten), vs exploiter snapshot 0.5 (>= 0.3)
    rates = {"main_0@1": 0.8, "main_0@2": 0.6, "main_exploiter_0@1": 0.5}
    counts, branches = sample(MAIN, rates, config)
    # bots 20% uniform; of the rest: 50% PFSP-hard over [0.8, 0.6, 0.5] -> weights .04 .16 .25 (sum .45);
    # verification finds nothing -> self-play (win rate vs itself 0.5 > 0.3) for the other 50%.
    rest = 0.8
    expected = {
        "bot:veryeasy": 0.1, "bot:easy": 0.1,
        "main_0@1": rest * 0.5 * 0.04 / 0.45, "main_0@2": rest * 0.5 * 0.16 / 0.45,
        "main_exploiter_0@1": rest * 0.5 * 0.25 / 0.45, "main_0": rest * 0.5,
    }
    assert_distribution(counts, expected)
    assert set(branches) == {"bot", "pfsp", "self_play"}


def test_main_agent_verification_and_curriculum():
    config = LeagueConfig(main_bot_share=0.0)
    # forgotten: 0.4 then 0.6 (still rising: keep both, min 0.4 < 0.7); the main beats itself only 20%
    rates = {"main_0@1": 0.4, "main_0@2": 0.6, "main_exploiter_0@1": 0.5, "main_0": 0.2}
    counts, branches = sample(MAIN, rates, config)
    pfsp = [0.36, 0.16, 0.25]  # (1-x)^2 over @1, @2, exploiter@1
    forgotten = [0.36, 0.16]  # (1-x)^2 over @1, @2
    expected = {
        "main_0@1": 0.5 * pfsp[0] / sum(pfsp) + 0.15 * forgotten[0] / sum(forgotten) + 0.35 * 0.5,
        "main_0@2": 0.5 * pfsp[1] / sum(pfsp) + 0.15 * forgotten[1] / sum(forgotten) + 0.35 * 0.5,
        "main_exploiter_0@1": 0.5 * pfsp[2] / sum(pfsp),
    }
    assert_distribution(counts, expected)
    assert branches["verification_forgotten"] / N == pytest.approx(0.15, abs=0.02)
    assert branches["self_play_curriculum"] / N == pytest.approx(0.35, abs=0.02)


def test_main_agent_verifies_against_exploiters_it_loses_to():
    config = LeagueConfig()
    rates = {"main_0@1": 0.9, "main_0@2": 0.9, "main_exploiter_0@1": 0.2}
    counts, branches = sample(MAIN, rates, config)
    assert branches["verification_exploiters"] / N == pytest.approx(0.15, abs=0.02)
    pfsp = [0.01, 0.01, 0.64]
    expected = {
        "main_0@1": 0.5 * pfsp[0] / sum(pfsp), "main_0@2": 0.5 * pfsp[1] / sum(pfsp),
        "main_exploiter_0@1": 0.5 * pfsp[2] / sum(pfsp) + 0.15, "main_0": 0.35,
    }
    assert_distribution(counts, expected)


def test_main_exploiter_plays_the_main_agent_or_its_snapshots():
    config = LeagueConfig()
    counts, _ = sample(EXPLOITER, {"main_0": 0.3}, config, n=2000)
    assert counts == {"main_0": 2000}
    # cannot win yet (0.05 <= 0.1): PFSP-variance over the main's snapshots, 0.2 and 0.5 -> .16, .25
    counts, branches = sample(EXPLOITER, {"main_0": 0.05, "main_0@1": 0.2, "main_0@2": 0.5}, config)
    assert_distribution(counts, {"main_0@1": 0.16 / 0.41, "main_0@2": 0.25 / 0.41})
    assert set(branches) == {"exploit_main_snapshot"}


def test_league_exploiter_pfsp_over_all_snapshots():
    config = LeagueConfig()
    counts, _ = sample(LEAGUE_EXPLOITER, {"main_0@1": 0.2, "main_0@2": 0.7, "main_exploiter_0@1": 0.9}, config)
    weights = [0.5, 0.3, 0.1]  # min(0.5, 1 - x)
    assert_distribution(counts, {"main_0@1": 0.5 / 0.9, "main_0@2": 0.3 / 0.9, "main_exploiter_0@1": 0.1 / 0.9})
    assert sum(weights) == pytest.approx(0.9)


def test_young_league_without_snapshots_falls_back_to_main_agents():
    league = [MAIN, EXPLOITER, LEAGUE_EXPLOITER]
    rng = random.Random(0)
    config = LeagueConfig()
    for player in (MAIN, EXPLOITER, LEAGUE_EXPLOITER):
        for _ in range(200):
            assert choose_opponent(player, league, {}, config, rng).opponent == MAIN


def test_only_learning_players_request_matches():
    with pytest.raises(ValueError, match="only learning players"):
        choose_opponent(M1, LEAGUE, {}, LeagueConfig(), random.Random(0))
