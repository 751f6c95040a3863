"""How one game result changes the payoff table and the ratings (pure).

The store applies this inside the transaction that records the result, and its
consistency check replays every result in order through the same function: both must
agree, which is what "the database is consistent" means after a crash.
"""

from __future__ import annotations

import dataclasses

from league.config import LeagueConfig
from league.payoff import WIN, DRAW, PairStats, update_pair
from league.players import Player, Role
from league.ratings import Rating, inflate, rate_game

_SCORE = {WIN: 1.0, DRAW: 0.5, "loss": 0.0}


@dataclasses.dataclass(frozen=True)
class ScoringRules:
    decay: float
    drift: float
    max_deviation: float
    min_deviation: float

    @classmethod
    def from_config(cls, config: LeagueConfig) -> "ScoringRules":
        return cls(
            decay=config.payoff_decay,
            drift=config.learning_rating_drift,
            max_deviation=config.initial_rating_deviation,
            min_deviation=config.min_rating_deviation,
        )


@dataclasses.dataclass(frozen=True)
class RatingState:
    rating: Rating
    fixed: bool
    learning: bool


@dataclasses.dataclass(frozen=True)
class Effects:
    home_vs_away: PairStats
    away_vs_home: PairStats
    home_rating: Rating
    away_rating: Rating


def score_result(
    home_stats: PairStats,
    away_stats: PairStats,
    home: RatingState,
    away: RatingState,
    outcome: str,
    same_player: bool,
    rules: ScoringRules,
) -> Effects:
    """New payoff entries and ratings after `home` played `away` with `outcome` (home's side).

    Self-play (a player against itself) updates the single payoff entry once and leaves
    the rating alone: a game against yourself says nothing about your strength.
    """
    new_home, new_away = update_pair(home_stats, away_stats, outcome, rules.decay)
    if same_player:
        return Effects(new_home, new_home, home.rating, home.rating)
    home_rating = inflate(home.rating, rules.drift, rules.max_deviation) if home.learning else home.rating
    away_rating = inflate(away.rating, rules.drift, rules.max_deviation) if away.learning else away.rating
    home_rating, away_rating = rate_game(
        home_rating, away_rating, _SCORE[outcome], home.fixed, away.fixed, rules.min_deviation
    )
    return Effects(new_home, new_away, home_rating, away_rating)


def initial_rating(player: Player, config: LeagueConfig, bot_rank: int = 0, parent: Rating | None = None) -> Rating:
    """Prior rating: bots on the ladder (the first is the anchor), snapshots from their parent."""
    if player.role == Role.BOT:
        deviation = 0.0 if bot_rank == 0 else config.initial_rating_deviation
        if config.bot_ratings:
            if len(config.bot_ratings) != len(config.bots):
                raise ValueError(f"league.bot_ratings has {len(config.bot_ratings)} values for {len(config.bots)} bots")
            return Rating(config.bot_ratings[bot_rank], deviation)
        return Rating(config.anchor_rating + bot_rank * config.bot_rating_step, deviation)
    if player.role == Role.HISTORICAL and parent is not None:
        return parent
    return Rating(config.anchor_rating, config.initial_rating_deviation)
