"""AlphaStar matchmaking: who a learning player plays next (pure given the random source).

Follows the paper's pseudocode (Vinyals et al. 2019, supplementary "League"):

- Main agents: with `main_bot_share` a built-in bot (not in the paper; measures progress).
  Otherwise a coin: < 0.5 PFSP (f_hard) over all historical players; < 0.65 the
  verification branch (main exploiters' snapshots while losing to one of them, else
  forgotten snapshots of a main agent), falling through to self-play when there is nothing
  to verify; the rest (35%) self-play against a random main agent, or PFSP (f_var) over its
  snapshots while beating it at most 30% of the time.
- Main exploiters: a random main agent while beating it more than 10% of the time, else
  PFSP (f_var) over that agent's snapshots.
- League exploiters: PFSP over all historical players (the pseudocode's linear_capped).

Where the pseudocode would sample from an empty set (a young league), the nearest sensible
choice is made instead and named in `Pick.branch`, so tests and logs can see it.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Mapping, Sequence

from league.config import LeagueConfig
from league.pfsp import pfsp_choice, remove_monotonic_suffix
from league.players import Player, Role


@dataclasses.dataclass(frozen=True)
class Pick:
    opponent: Player
    branch: str


class _Rates:
    """The requesting player's win rate against each opponent (0.5 when never played)."""

    def __init__(self, win_rates: Mapping[str, float]):
        self._win_rates = win_rates

    def __call__(self, player: Player) -> float:
        return self._win_rates.get(player.player_id, 0.5)

    def of(self, players: Sequence[Player]) -> list[float]:
        return [self(p) for p in players]


def _by_age(players: Sequence[Player]) -> list[Player]:
    return sorted(players, key=lambda p: (p.created_seq, p.version, p.player_id))


def _historical(players: Sequence[Player], parent: str | None = None, parents: set[str] | None = None) -> list[Player]:
    chosen = [p for p in players if p.role == Role.HISTORICAL]
    if parent is not None:
        chosen = [p for p in chosen if p.parent == parent]
    if parents is not None:
        chosen = [p for p in chosen if p.parent in parents]
    return _by_age(chosen)


def _of_role(players: Sequence[Player], role: Role) -> list[Player]:
    return _by_age([p for p in players if p.role == role])


def choose_opponent(
    player: Player,
    players: Sequence[Player],
    win_rates: Mapping[str, float],
    config: LeagueConfig,
    rng: random.Random,
) -> Pick:
    """The opponent of `player`'s next match. `win_rates` are `player`'s payoff win rates."""
    rates = _Rates(win_rates)
    if player.role == Role.MAIN_AGENT:
        return _main_agent_match(player, players, rates, config, rng)
    if player.role == Role.MAIN_EXPLOITER:
        return _main_exploiter_match(players, rates, config, rng)
    if player.role == Role.LEAGUE_EXPLOITER:
        return _league_exploiter_match(players, rates, config, rng)
    raise ValueError(f"{player.player_id} is a {player.role.value} player: only learning players request matches")


def _main_agent_match(player: Player, players, rates: _Rates, config: LeagueConfig, rng: random.Random) -> Pick:
    bots = _of_role(players, Role.BOT)
    if bots and rng.random() < config.main_bot_share:
        bot = pfsp_choice(bots, rates.of(bots), rng, config.bot_weighting, config.pfsp_hard_exponent)
        return Pick(bot, "bot")
    coin = rng.random()
    if coin < config.main_pfsp_share:
        historical = _historical(players)
        if historical:
            choice = pfsp_choice(historical, rates.of(historical), rng, "hard", config.pfsp_hard_exponent)
            return Pick(choice, "pfsp")
    mains = _of_role(players, Role.MAIN_AGENT)
    opponent = rng.choice(mains)
    if config.main_pfsp_share <= coin < config.main_pfsp_share + config.main_verification_share:
        pick = _verification(opponent, players, rates, config, rng)
        if pick is not None:
            return pick
    return _self_play(opponent, players, rates, config, rng)


def _self_play(opponent: Player, players, rates: _Rates, config: LeagueConfig, rng: random.Random) -> Pick:
    if rates(opponent) > config.selfplay_min_win_rate:
        return Pick(opponent, "self_play")
    # Too strong: its snapshots are a curriculum, weighted toward even games.
    historical = _historical(players, parent=opponent.player_id)
    if not historical:
        return Pick(opponent, "self_play")
    return Pick(pfsp_choice(historical, rates.of(historical), rng, "variance"), "self_play_curriculum")


def _verification(opponent: Player, players, rates: _Rates, config: LeagueConfig, rng: random.Random) -> Pick | None:
    exploiters = {p.player_id for p in players if p.role == Role.MAIN_EXPLOITER}
    exploiter_snapshots = _historical(players, parents=exploiters)
    win_rates = rates.of(exploiter_snapshots)
    if win_rates and min(win_rates) < config.verification_exploiter_win_rate:
        choice = pfsp_choice(exploiter_snapshots, win_rates, rng, "hard", config.pfsp_hard_exponent)
        return Pick(choice, "verification_exploiters")
    own = _historical(players, parent=opponent.player_id)
    win_rates, forgotten = remove_monotonic_suffix(rates.of(own), own)
    if win_rates and min(win_rates) < config.verification_forgotten_win_rate:
        choice = pfsp_choice(forgotten, win_rates, rng, "hard", config.pfsp_hard_exponent)
        return Pick(choice, "verification_forgotten")
    return None


def _main_exploiter_match(players, rates: _Rates, config: LeagueConfig, rng: random.Random) -> Pick:
    mains = _of_role(players, Role.MAIN_AGENT)
    opponent = rng.choice(mains)
    if rates(opponent) > config.main_exploiter_min_win_rate:
        return Pick(opponent, "exploit_main")
    historical = _historical(players, parent=opponent.player_id)
    if not historical:
        return Pick(opponent, "exploit_main")
    return Pick(pfsp_choice(historical, rates.of(historical), rng, "variance"), "exploit_main_snapshot")


def _league_exploiter_match(players, rates: _Rates, config: LeagueConfig, rng: random.Random) -> Pick:
    historical = _historical(players)
    if not historical:
        return Pick(rng.choice(_of_role(players, Role.MAIN_AGENT)), "league_no_snapshots_yet")
    weighting = config.league_exploiter_weighting
    return Pick(pfsp_choice(historical, rates.of(historical), rng, weighting, config.pfsp_hard_exponent), "league_pfsp")
