"""Prioritized fictitious self-play (PFSP) weights: pure functions.

AlphaStar (Vinyals et al. 2019, Methods "Prioritized fictitious self-play"): an opponent B
is chosen from a candidate set C with probability f(P[A beats B]) / sum_{C in C} f(P[A beats C]),
where
    f_hard(x) = (1 - x)^p   focuses on the opponents A still loses to (p = 2: "squared"),
    f_var(x)  = x (1 - x)   focuses on opponents of about A's level (a curriculum),
    linear(x) = 1 - x, linear_capped(x) = min(0.5, 1 - x)  (the pseudocode's league exploiters).
When every weight is (numerically) zero the choice is uniform, as in the pseudocode.
"""

from __future__ import annotations

import random
from typing import Sequence, TypeVar

T = TypeVar("T")

WEIGHTINGS = ("hard", "variance", "linear", "linear_capped", "uniform")
# Below this total weight the pseudocode falls back to a uniform choice.
_NORM_EPSILON = 1e-10


def f_hard(x: float, p: float = 2.0) -> float:
    return (1.0 - x) ** p


def f_var(x: float) -> float:
    return x * (1.0 - x)


def weight(x: float, weighting: str, p: float = 2.0) -> float:
    """The PFSP weight of one opponent beaten at rate `x` in [0, 1]."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"win rate must be in [0, 1], got {x}")
    if weighting == "hard":
        return f_hard(x, p)
    if weighting == "variance":
        return f_var(x)
    if weighting == "linear":
        return 1.0 - x
    if weighting == "linear_capped":
        return min(0.5, 1.0 - x)
    if weighting == "uniform":
        return 1.0
    raise ValueError(f"unknown PFSP weighting {weighting!r}; expected one of {WEIGHTINGS}")


def pfsp_probabilities(win_rates: Sequence[float], weighting: str = "hard", p: float = 2.0) -> list[float]:
    """Probability of choosing each candidate, given the player's win rate against it."""
    if not win_rates:
        raise ValueError("PFSP needs at least one candidate")
    weights = [weight(x, weighting, p) for x in win_rates]
    total = sum(weights)
    if total < _NORM_EPSILON:
        return [1.0 / len(weights)] * len(weights)
    return [w / total for w in weights]


def pfsp_choice(
    candidates: Sequence[T], win_rates: Sequence[float], rng: random.Random, weighting: str = "hard", p: float = 2.0
) -> T:
    if len(candidates) != len(win_rates):
        raise ValueError(f"{len(candidates)} candidates but {len(win_rates)} win rates")
    probabilities = pfsp_probabilities(win_rates, weighting, p)
    return rng.choices(list(candidates), weights=probabilities, k=1)[0]


def remove_monotonic_suffix(win_rates: Sequence[float], players: Sequence[T]) -> tuple[list[float], list[T]]:
    """Drop the trailing run of snapshots (oldest first) whose win rates never increase.

    The pseudocode's "forgetting" check: a main agent that still does worse against a newer
    snapshot than an older one keeps up to that point; a suffix where win rates only fall
    with age order means the newest are simply harder, not forgotten. Returns empty lists
    when the whole sequence is non-increasing.
    """
    win_rates, players = list(win_rates), list(players)
    for i in range(len(win_rates) - 1, 0, -1):
        if win_rates[i - 1] < win_rates[i]:
            return win_rates[: i + 1], players[: i + 1]
    return [], []
