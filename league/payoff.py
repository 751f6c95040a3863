"""The payoff table: decayed win/draw/loss counts per ordered pair of players (pure).

As in the AlphaStar pseudocode's Payoff.update: before a game between A and B is added,
the counts of (A, B) and (B, A) are multiplied by `decay` (0.99), so the win rate follows
recent games of a learning player rather than its whole history. A pair with no games
has win rate 0.5; a draw counts half.
"""

from __future__ import annotations

import dataclasses

WIN, DRAW, LOSS = "win", "draw", "loss"
OUTCOMES = (WIN, DRAW, LOSS)
_FLIP = {WIN: LOSS, DRAW: DRAW, LOSS: WIN}


def flip(outcome: str) -> str:
    """The same game's outcome from the other side."""
    return _FLIP[outcome]


@dataclasses.dataclass(frozen=True)
class PairStats:
    """Decayed counts of one player's games against one opponent, from the player's side."""

    wins: float = 0.0
    draws: float = 0.0
    losses: float = 0.0
    games: float = 0.0

    @property
    def win_rate(self) -> float:
        if self.games <= 0.0:
            return 0.5
        return (self.wins + 0.5 * self.draws) / self.games

    def decayed(self, decay: float) -> "PairStats":
        return PairStats(self.wins * decay, self.draws * decay, self.losses * decay, self.games * decay)

    def plus(self, outcome: str) -> "PairStats":
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        return PairStats(
            self.wins + (outcome == WIN),
            self.draws + (outcome == DRAW),
            self.losses + (outcome == LOSS),
            self.games + 1.0,
        )


def update_pair(home: PairStats, away: PairStats, outcome: str, decay: float) -> tuple[PairStats, PairStats]:
    """One game of `home` against `away` with `outcome` from home's side.

    Returns the new (home vs away, away vs home) stats. For a game of a player against
    itself (self-play) there is one entry: pass the same stats as both and use the first.
    """
    if not 0.0 < decay <= 1.0:
        raise ValueError(f"payoff decay must be in (0, 1], got {decay}")
    return home.decayed(decay).plus(outcome), away.decayed(decay).plus(flip(outcome))
