"""Ratings with uncertainty: Glicko (Glickman 1999) on the Elo scale, pure functions.

Each player has a rating r and a rating deviation RD (the uncertainty, one standard
deviation). After a game against an opponent (r_j, RD_j) with score s (1 win, 1/2 draw,
0 loss), Glicko's update for a rating period of one game is

    q = ln(10) / 400,   g(RD) = 1 / sqrt(1 + 3 q^2 RD^2 / pi^2)
    E = 1 / (1 + 10^(-g(RD_j) (r - r_j) / 400))
    d^2 = 1 / (q^2 g(RD_j)^2 E (1 - E))
    r'  = r + q / (1/RD^2 + 1/d^2) * g(RD_j) (s - E)
    RD' = sqrt(1 / (1/RD^2 + 1/d^2))

Learning players change between games, so their RD first grows by `drift`
(RD <- sqrt(RD^2 + drift^2), capped at the initial RD) — Glicko's step 1.
The anchor (the weakest bot) is never updated: it fixes the scale's origin.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

Q = math.log(10.0) / 400.0


@dataclasses.dataclass(frozen=True)
class Rating:
    rating: float
    deviation: float


def g(deviation: float) -> float:
    return 1.0 / math.sqrt(1.0 + 3.0 * Q * Q * deviation * deviation / (math.pi * math.pi))


def expected_score(player: Rating, opponent: Rating) -> float:
    return 1.0 / (1.0 + 10.0 ** (-g(opponent.deviation) * (player.rating - opponent.rating) / 400.0))


def inflate(rating: Rating, drift: float, max_deviation: float) -> Rating:
    """Glicko step 1: uncertainty grows while a player is not observed (or keeps learning)."""
    return Rating(rating.rating, min(max_deviation, math.sqrt(rating.deviation**2 + drift**2)))


def rate_period(player: Rating, games: Sequence[tuple[Rating, float]], min_deviation: float = 0.0) -> Rating:
    """Glicko step 2: the player's new rating after a period of games [(opponent, score)]."""
    if not games:
        return player
    d_inverse = 0.0
    improvement = 0.0
    for opponent, score in games:
        if score not in (0.0, 0.5, 1.0):
            raise ValueError(f"score must be 0, 0.5 or 1, got {score}")
        g_j = g(opponent.deviation)
        e_j = expected_score(player, opponent)
        d_inverse += Q * Q * g_j * g_j * e_j * (1.0 - e_j)
        improvement += g_j * (score - e_j)
    precision = 1.0 / (player.deviation * player.deviation) + d_inverse
    rating = player.rating + (Q / precision) * improvement
    deviation = max(min_deviation, math.sqrt(1.0 / precision))
    return Rating(rating, deviation)


def rate_game(
    a: Rating, b: Rating, score_a: float, a_fixed: bool = False, b_fixed: bool = False, min_deviation: float = 0.0
) -> tuple[Rating, Rating]:
    """Both players' ratings after one game, each rated against the other's pre-game rating."""
    new_a = a if a_fixed else rate_period(a, [(b, score_a)], min_deviation)
    new_b = b if b_fixed else rate_period(b, [(a, 1.0 - score_a)], min_deviation)
    return new_a, new_b
