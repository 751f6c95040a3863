"""The league table: players, ratings, win rates against each bot, and the payoff matrix."""

from __future__ import annotations

import dataclasses

from league.payoff import PairStats
from league.players import Role
from league.store import LeagueStore


@dataclasses.dataclass(frozen=True)
class BotRecord:
    bot: str
    win_rate: float  # decayed payoff win rate; 0.5 when never played
    games: int  # reported games, not decayed


@dataclasses.dataclass(frozen=True)
class StandingRow:
    player_id: str
    role: str
    race: str
    version: int
    parent: str
    games: int
    rating: float
    deviation: float
    learner_steps: int
    vs_bots: tuple[BotRecord, ...]


@dataclasses.dataclass(frozen=True)
class Standings:
    rows: tuple[StandingRow, ...]
    payoff: dict[tuple[str, str], PairStats]
    counters: dict[str, int]
    matches_pending: int
    matches_reported: int


def compute_standings(store: LeagueStore) -> Standings:
    players = store.players()
    ratings = store.ratings()
    payoff = store.payoff()
    games = store.games_played()
    bots = [p.player_id for p in players if p.role == Role.BOT]
    rows = []
    for p in players:
        state = store.learner_state(p.player_id)
        version = state.version if p.role.learning else p.version
        vs_bots = tuple(
            BotRecord(b, payoff.get((p.player_id, b), PairStats()).win_rate, games.get((p.player_id, b), 0))
            for b in bots
        ) if p.role != Role.BOT else ()
        total = sum(n for (home, _), n in games.items() if home == p.player_id)
        rating = ratings[p.player_id]
        rows.append(StandingRow(p.player_id, p.role.value, p.race, version, p.parent, total, rating.rating,
                                rating.deviation, state.learner_steps, vs_bots))
    # A leaderboard of players with games; unplayed ones (their rating is only a prior) after them.
    rows.sort(key=lambda r: (r.games == 0, -r.rating, r.player_id))
    pending, reported = store.match_counts()
    return Standings(tuple(rows), payoff, store.counters(), pending, reported)


def _bot_short(bot_id: str) -> str:
    return bot_id.split(":", 1)[-1]


def render(standings: Standings) -> str:
    """A text table for terminals: one row per player, then the payoff matrix of win rates."""
    rows = standings.rows
    bots = [b.bot for b in next((r.vs_bots for r in rows if r.vs_bots), ())]
    header = ["player", "role", "race", "ver", "games", "rating"] + [f"vs {_bot_short(b)}" for b in bots]
    table = []
    for r in rows:
        cells = [r.player_id, r.role, r.race, str(r.version), str(r.games), f"{r.rating:.0f} ± {r.deviation:.0f}"]
        for record in r.vs_bots:
            cells.append(f"{record.win_rate:.2f} ({record.games})" if record.games else "-")
        cells += [""] * (len(header) - len(cells))
        table.append(cells)
    lines = [f"league: {len(rows)} players, {standings.matches_reported} results, "
             f"{standings.matches_pending} matches pending"]
    lines += _format(header, table)
    # Payoff: the row player's decayed win rate against the column player.
    players = [r.player_id for r in rows if r.role != Role.BOT.value]
    columns = [r.player_id for r in rows]
    lines += ["", "payoff (row player's win rate vs column player; '-' = no games):"]
    matrix = []
    for home in players:
        cells = [home]
        for away in columns:
            stats = standings.payoff.get((home, away))
            cells.append(f"{stats.win_rate:.2f}" if stats and stats.games > 0 else "-")
        matrix.append(cells)
    lines += _format([""] + columns, matrix)
    if standings.counters:
        lines += ["", "counters: " + ", ".join(f"{k}={v}" for k, v in sorted(standings.counters.items()))]
    return "\n".join(lines)


def _format(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)] if rows else [len(h) for h in header]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip(), fmt.format(*["-" * w for w in widths]).rstrip()] + [
        fmt.format(*row).rstrip() for row in rows
    ]
