"""When a learning player adds a frozen copy of itself to the league, and when it resets.

The paper's pseudocode (`ready_to_checkpoint`, `checkpoint`): after at least
`snapshot_min_steps` (2e9) agent steps since the last snapshot, a player freezes once it
beats every target at more than `snapshot_win_rate` (0.7), or unconditionally after
`snapshot_max_steps` (4e9). Targets: all historical players for main agents and league
exploiters, the main agents for main exploiters. On a snapshot, main exploiters always
reset to their initial parameters, league exploiters with probability 0.25, main agents
never. Main agents also freeze their initial parameters when they have no snapshot yet
(the pseudocode adds one per main agent when the league is built).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Sequence

from league.config import LeagueConfig
from league.players import Role


@dataclasses.dataclass(frozen=True)
class FreezeDecision:
    freeze: bool
    reason: str


def freeze_decision(
    role: Role,
    steps_since_snapshot: int,
    target_win_rates: Sequence[float],
    has_snapshot: bool,
    config: LeagueConfig,
) -> FreezeDecision:
    """Should the learning player freeze a snapshot now? Pure."""
    if not role.learning:
        raise ValueError(f"only learning players freeze snapshots, not {role.value}")
    if role == Role.MAIN_AGENT and not has_snapshot:
        return FreezeDecision(True, "initial snapshot of a main agent")
    if steps_since_snapshot < config.snapshot_min_steps:
        return FreezeDecision(
            False, f"{steps_since_snapshot} < {config.snapshot_min_steps} steps since the last snapshot"
        )
    if target_win_rates and min(target_win_rates) > config.snapshot_win_rate:
        worst = min(target_win_rates)
        return FreezeDecision(True, f"beats every target at > {config.snapshot_win_rate} (min {worst:.3f})")
    if steps_since_snapshot > config.snapshot_max_steps:
        return FreezeDecision(
            True, f"{steps_since_snapshot} > {config.snapshot_max_steps} steps since the last snapshot"
        )
    worst = f"min win rate {min(target_win_rates):.3f}" if target_win_rates else "no targets yet"
    return FreezeDecision(False, f"{worst} <= {config.snapshot_win_rate} and under the step limit")


def reset_probability(role: Role, config: LeagueConfig) -> float:
    return {
        Role.MAIN_AGENT: config.main_reset_probability,
        Role.MAIN_EXPLOITER: config.main_exploiter_reset_probability,
        Role.LEAGUE_EXPLOITER: config.league_exploiter_reset_probability,
    }[role]


def reset_decision(role: Role, config: LeagueConfig, rng: random.Random) -> bool:
    """Whether the player resets to its initial parameters after this snapshot."""
    return rng.random() < reset_probability(role, config)
