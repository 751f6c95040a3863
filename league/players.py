"""Who is in the league: learning players of three roles, their frozen snapshots, bots.

Ids are plain strings that read well in tables and logs:
- learning players: "main_0", "main_exploiter_0", "league_exploiter_1"
- historical (frozen) players: "<parent>@<version>", e.g. "main_0@12" (also the snapshot id)
- built-in bots: "bot:<difficulty lower-case>", e.g. "bot:veryeasy"
"""

from __future__ import annotations

import dataclasses
import enum

from league.config import LeagueConfig


class Role(str, enum.Enum):
    MAIN_AGENT = "main_agent"
    MAIN_EXPLOITER = "main_exploiter"
    LEAGUE_EXPLOITER = "league_exploiter"
    HISTORICAL = "historical"
    BOT = "bot"

    @property
    def learning(self) -> bool:
        return self in LEARNING_ROLES


LEARNING_ROLES = (Role.MAIN_AGENT, Role.MAIN_EXPLOITER, Role.LEAGUE_EXPLOITER)
_ID_PREFIX = {Role.MAIN_AGENT: "main", Role.MAIN_EXPLOITER: "main_exploiter", Role.LEAGUE_EXPLOITER: "league_exploiter"}
BOT_PREFIX = "bot:"


@dataclasses.dataclass(frozen=True)
class Player:
    """One row of the league: what matchmaking needs to know about a player."""

    player_id: str
    role: Role
    race: str
    # Historical: the learning player it was frozen from; "" otherwise.
    parent: str = ""
    # Learning: latest checked-in version; historical: the frozen version; bots: 0.
    version: int = 0
    # Bots: the sc2env Difficulty name ("VeryEasy").
    bot_difficulty: str = ""
    # Order of creation; snapshots of one parent are ordered by it (oldest first).
    created_seq: int = 0


def bot_id(difficulty: str) -> str:
    return BOT_PREFIX + difficulty.replace("_", "").replace("-", "").lower()


def snapshot_id(parent: str, version: int) -> str:
    return f"{parent}@{version}"


def learning_player_id(role: Role, index: int) -> str:
    return f"{_ID_PREFIX[role]}_{index}"


def initial_players(config: LeagueConfig) -> list[Player]:
    """The league's composition from config: learning players, then bots.

    Counts are totals; races are dealt round-robin within each role, so the paper's
    3 / 3 / 6 over three races gives each race 1 main, 1 main exploiter, 2 league exploiters.
    """
    if not config.races:
        raise ValueError("league.races is empty: name at least one race")
    if config.main_agents < 1:
        raise ValueError("league.main_agents must be at least 1: exploiters need a main agent to exploit")
    players = []
    counts = (
        (Role.MAIN_AGENT, config.main_agents),
        (Role.MAIN_EXPLOITER, config.main_exploiters),
        (Role.LEAGUE_EXPLOITER, config.league_exploiters),
    )
    for role, count in counts:
        for index in range(count):
            race = config.races[index % len(config.races)]
            players.append(Player(learning_player_id(role, index), role, race))
    for difficulty in config.bots:
        players.append(Player(bot_id(difficulty), Role.BOT, config.bot_race, bot_difficulty=difficulty))
    return players
