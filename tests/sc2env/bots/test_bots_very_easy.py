"""VeryEasy plays a real (weak) game: supply, one barracks, marines that attack, SCVs that defend."""

from __future__ import annotations

import numpy as np
import pytest

from sc2env.engine import state as S
from sc2env.env import make_env
from sc2env.types import AgentPlayer, Alliance, BotPlayer, Difficulty, Race, RawCommand

SCV, DEPOT, BARRACKS, MARINE = 45, 19, 21, 48
ATTACK = 23


def _very_easy_vs_agent(seed: int):
    env = make_env(backend="embedded", map="Simple64", step_mul=8, seed=seed, game_loop_limit=22400,
                   players=[BotPlayer(Race.Terran, Difficulty.VeryEasy), AgentPlayer()])
    return env, env.reset()


def _own_counts(env, player: int) -> dict[int, int]:
    units = env.game.observe(player).units
    own = units[units["alliance"] == Alliance.Self]
    types, counts = np.unique(own["unit_type"], return_counts=True)
    return dict(zip(types.tolist(), counts.tolist()))


@pytest.mark.timeout(300)
def test_very_easy_builds_and_attacks_a_passive_opponent():
    # Against an agent that does nothing, VeryEasy must not sit on its SCVs for the whole game
    # (it once never built a depot: its barracks step came first and waited for one forever).
    env, _ = _very_easy_vs_agent(seed=1001)
    seen = {}
    while env.game.game_loop < 22 * 60 * 5 and not env.game.is_over():
        env.step([[]])
        for t, n in _own_counts(env, 1).items():
            seen[t] = max(seen.get(t, 0), n)
    assert seen.get(DEPOT, 0) >= 1 and seen.get(BARRACKS, 0) == 1, seen
    assert seen.get(MARINE, 0) >= 3, seen
    assert env.game.state.pl[S.P_KILLED_VALUE, 1] > 0  # its marines went and fought
    assert env.game.state.pl[S.P_LOST_VALUE, 1] == 0


@pytest.mark.timeout(300)
def test_very_easy_scvs_fight_off_a_worker_rush():
    env, steps = _very_easy_vs_agent(seed=1001)
    units = steps[0].observation.units
    scvs = tuple(int(t) for t in units["tag"][(units["unit_type"] == SCV) & (units["alliance"] == Alliance.Self)])
    home = env.game.game_info(2).start_locations[0]  # the agent (player 2) sees only the enemy start
    env.step([[RawCommand(ATTACK, scvs, target_point=tuple(home))]])
    while env.game.game_loop < 1200:
        env.step([[]])
    assert _own_counts(env, 2).get(SCV, 0) <= 3  # the rush was beaten
    assert _own_counts(env, 1).get(SCV, 0) >= 6  # and VeryEasy still mines
