"""Statistics of evaluation games against fixed opponents: pure functions.

- Win rates with the Wilson score interval (Wilson 1927), which stays inside [0, 1]
  and is honest for small samples and for 0 or N wins, unlike the normal interval.
- An Elo estimate anchored on opponents of known rating (the built-in bot ladder): the
  maximum-likelihood rating R under the Elo model E_i = 1 / (1 + 10^((r_i - R) / 400)),
  with a standard error from the Fisher information.
- Anchors for the bot ladder from measured head-to-head win rates between adjacent
  levels (bench/results/bot_ladder.json), chained from VeryEasy.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Mapping, Sequence

ELO_SCALE = 400.0 / math.log(10.0)
# Win rates are clipped away from 0 and 1 before they become rating differences:
# a 50-0 sweep says "much stronger", not "infinitely stronger".
_CLIP = 0.01
# Default anchors (Elo) for the built-in bots when no ladder measurement is at hand:
# 200 points a level, VeryEasy at 0 (a 200-point gap is about a 76% win rate).
DEFAULT_BOT_ELO = {
    "veryeasy": 0.0,
    "easy": 200.0,
    "medium": 400.0,
    "mediumhard": 600.0,
    "hard": 800.0,
    "harder": 1000.0,
    "veryhard": 1200.0,
}


@dataclasses.dataclass(frozen=True)
class Record:
    """Results against one opponent, from the evaluated player's side."""

    wins: int = 0
    draws: int = 0
    losses: int = 0

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Points per game: win 1, draw 1/2, loss 0."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else 0.0

    def add(self, outcome: str) -> "Record":
        if outcome == "win":
            return dataclasses.replace(self, wins=self.wins + 1)
        if outcome == "draw":
            return dataclasses.replace(self, draws=self.draws + 1)
        if outcome == "loss":
            return dataclasses.replace(self, losses=self.losses + 1)
        raise ValueError(f"outcome must be win, draw or loss, got {outcome!r}")


def wilson_interval(successes: float, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (95% for the default z)."""
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def expected_score(rating: float, opponent_rating: float) -> float:
    """Elo's expected score of `rating` against `opponent_rating`."""
    return 1.0 / (1.0 + 10.0 ** ((opponent_rating - rating) / 400.0))


@dataclasses.dataclass(frozen=True)
class EloEstimate:
    rating: float
    stderr: float


def estimate_elo(games: Iterable[tuple[float, float]], prior_games: float = 1.0) -> EloEstimate:
    """Maximum-likelihood Elo from (opponent_rating, score) pairs, score in {0, 1/2, 1}.

    A weak prior (`prior_games` draws against the mean opponent) keeps the estimate
    finite when every game is won or every game is lost.
    """
    games = [(float(r), float(s)) for r, s in games]
    if not games:
        raise ValueError("estimate_elo needs at least one game")
    mean_opponent = sum(r for r, _ in games) / len(games)
    data = games + [(mean_opponent, 0.5)]
    weights = [1.0] * len(games) + [prior_games]
    rating = mean_opponent
    for _ in range(100):
        # Newton's method on the log-likelihood's derivative, in natural units.
        expected = [expected_score(rating, r) for r, _ in data]
        gradient = sum(w * (s - e) for w, (_, s), e in zip(weights, data, expected)) / ELO_SCALE
        information = sum(w * e * (1 - e) for w, e in zip(weights, expected)) / ELO_SCALE**2
        step = gradient / max(information, 1e-12)
        step = max(-400.0, min(400.0, step))
        rating += step
        if abs(step) < 1e-6:
            break
    expected = [expected_score(rating, r) for r, _ in data]
    information = sum(w * e * (1 - e) for w, e in zip(weights, expected)) / ELO_SCALE**2
    return EloEstimate(rating=rating, stderr=1.0 / math.sqrt(max(information, 1e-12)))


def ladder_anchors(
    adjacent_win_rates: Mapping[str, float], levels: Sequence[str], base: float = 0.0
) -> dict[str, float]:
    """Bot ratings chained from the win rate of each level against the one below it.

    `adjacent_win_rates[level]` is the measured score of `level` against the previous
    level in `levels`; the first level gets `base`.
    """
    anchors = {levels[0]: base}
    for lower, upper in zip(levels, levels[1:]):
        p = min(1 - _CLIP, max(_CLIP, adjacent_win_rates[upper]))
        anchors[upper] = anchors[lower] + 400.0 * math.log10(p / (1 - p))
    return anchors


@dataclasses.dataclass
class OpponentReport:
    opponent: str
    wins: int
    draws: int
    losses: int
    win_rate: float
    ci_low: float
    ci_high: float
    mean_game_loops: float


def opponent_report(opponent: str, record: Record, game_loops: Sequence[int]) -> OpponentReport:
    low, high = wilson_interval(record.wins + 0.5 * record.draws, record.games)
    return OpponentReport(
        opponent=opponent,
        wins=record.wins,
        draws=record.draws,
        losses=record.losses,
        win_rate=record.score,
        ci_low=low,
        ci_high=high,
        mean_game_loops=(sum(game_loops) / len(game_loops)) if game_loops else 0.0,
    )
