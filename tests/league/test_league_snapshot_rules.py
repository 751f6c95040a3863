import random

import pytest

from league.config import LeagueConfig
from league.players import Role
from league.snapshot_rules import freeze_decision, reset_decision

CONFIG = LeagueConfig(snapshot_min_steps=100, snapshot_max_steps=200)


@pytest.mark.parametrize(
    "role, steps, rates, has_snapshot, freeze",
    [
        (Role.MAIN_AGENT, 0, [], False, True),  # initial snapshot of a main agent
        (Role.MAIN_EXPLOITER, 0, [0.5], False, False),  # exploiters have no initial snapshot
        (Role.MAIN_AGENT, 99, [0.9, 0.9], True, False),  # too early even when beating everyone
        (Role.MAIN_AGENT, 100, [0.71, 0.9], True, True),  # beats all at > 0.7
        (Role.MAIN_AGENT, 150, [0.7, 0.9], True, False),  # 0.7 is not > 0.7
        (Role.MAIN_AGENT, 201, [0.1], True, True),  # step limit
        (Role.LEAGUE_EXPLOITER, 150, [], True, False),  # nobody to beat yet: wait for the step limit
        (Role.LEAGUE_EXPLOITER, 201, [], True, True),
        (Role.MAIN_EXPLOITER, 120, [0.8], False, True),
    ],
)
def test_freeze_rules(role, steps, rates, has_snapshot, freeze):
    decision = freeze_decision(role, steps, rates, has_snapshot, CONFIG)
    assert decision.freeze is freeze, decision.reason


def test_paper_defaults():
    config = LeagueConfig()
    assert (config.snapshot_min_steps, config.snapshot_max_steps, config.snapshot_win_rate) == (2e9, 4e9, 0.7)
    assert freeze_decision(Role.MAIN_AGENT, int(1.9e9), [1.0], True, config).freeze is False
    assert freeze_decision(Role.MAIN_AGENT, int(2.1e9), [0.75], True, config).freeze is True


def test_reset_probabilities_by_role():
    rng = random.Random(3)
    config = LeagueConfig()
    assert all(reset_decision(Role.MAIN_EXPLOITER, config, rng) for _ in range(1000))
    assert not any(reset_decision(Role.MAIN_AGENT, config, rng) for _ in range(1000))
    n = 10000
    share = sum(reset_decision(Role.LEAGUE_EXPLOITER, config, rng) for _ in range(n)) / n
    assert abs(share - 0.25) < 5 * (0.25 * 0.75 / n) ** 0.5


def test_historical_players_never_freeze():
    with pytest.raises(ValueError):
        freeze_decision(Role.HISTORICAL, 10**10, [], True, CONFIG)
