import pytest

from league.config import LeagueConfig
from league.players import Role, bot_id, initial_players, snapshot_id
from starleague.config import build_config


def test_tiny_composition():
    players = initial_players(build_config("tiny").league)
    learning = [(p.player_id, p.role) for p in players if p.role.learning]
    assert learning == [("main_0", Role.MAIN_AGENT), ("main_exploiter_0", Role.MAIN_EXPLOITER)]
    assert [p.player_id for p in players if p.role == Role.BOT] == [
        "bot:veryeasy", "bot:easy", "bot:medium", "bot:mediumhard", "bot:hard", "bot:harder"]


def test_full_composition_is_the_papers_per_race():
    players = initial_players(build_config("full").league)
    per_race = {}
    for p in players:
        if p.role.learning:
            per_race.setdefault(p.race, []).append(p.role)
    assert set(per_race) == {"Terran", "Zerg", "Protoss"}
    for roles in per_race.values():  # 1 main agent, 1 main exploiter, 2 league exploiters per race
        assert sorted(r.value for r in roles) == ["league_exploiter", "league_exploiter", "main_agent", "main_exploiter"]


def test_ids_and_bad_compositions():
    assert bot_id("MediumHard") == "bot:mediumhard" and snapshot_id("main_0", 12) == "main_0@12"
    with pytest.raises(ValueError, match="main_agents"):
        initial_players(LeagueConfig(main_agents=0))
    with pytest.raises(ValueError, match="races"):
        initial_players(LeagueConfig(races=[]))
