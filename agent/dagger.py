"""A student in the teacher's game: DAgger's data for behaviour cloning.

A clone trained only on the teacher's games has seen only the states the teacher reaches. Its
own small mistakes take it elsewhere, where it has no data, and they compound: our clone of
Medium beat VeryEasy in every game played greedily but in about half of them when sampling
(bench/results/experiments/imitation). DAgger (Ross, Gordon & Bagnell 2011) records games in
which the student plays and the teacher labels every state; training on these as well teaches
the student to recover from where its own play leads.

Our teachers are scripted bots that act on whatever they observe, so they can label a game the
student has steered. The student decides on its own schedule (its delay head); each decision
hands it the game until its next one with probability `share` (DAgger's mixture of the two
policies), and the teacher plays the other stretches. `agent.demonstration.record_episode`
records the teacher's label for every step (while the student plays, the bot answers each
step afresh and nothing it says is sent). share=1 is DAgger's pure student, share=0 the plain
teacher.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from agent.actions import to_commands
from agent.actor import SeatMemory, decide_when_due
from sc2env.types import GameInfo, Observation, RawCommand


class Student:
    """A policy that takes over a share of its decisions in a recorded game."""

    def __init__(self, policy, share: float, seed: int, deterministic: bool = False):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"the student's share of decisions must be in [0, 1], got {share}")
        self.policy = policy
        self.share = float(share)
        self.deterministic = deterministic
        self.rng = np.random.default_rng(seed)
        self.memory = SeatMemory(state=policy.initial_state(1))
        self.in_control = False
        self.decisions = 0  # decisions the student made
        self.taken = 0  # ... and those it carried out (the game was its until the next one)

    def act(self, obs: Observation, game_info: GameInfo) -> Optional[list[RawCommand]]:
        """The step's commands while the student has the game (none while it waits out its
        delay), or None while the teacher has it. The student decides at every one of its
        decisions, carried out or not, so its memory follows the game as when it plays."""
        actions = decide_when_due(self.policy, self.memory, obs, game_info, self.deterministic)
        if actions is None:  # waiting out its delay
            return [] if self.in_control else None
        self.decisions += 1
        self.in_control = bool(self.rng.random() < self.share)
        if not self.in_control:
            return None
        self.taken += 1
        return to_commands(actions, obs, game_info, self.policy.spec)
