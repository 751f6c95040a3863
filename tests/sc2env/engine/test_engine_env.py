"""EmbeddedEnv through make_env: seats, rewards, game end, scenarios, opponent observation."""

from __future__ import annotations

import numpy as np
import pytest

from sc2env.engine import state as S
from sc2env.engine.environment import EmbeddedEnv
from sc2env.engine.maps import flat_map
from sc2env.engine.scenario import Scenario, register_scenario
from sc2env.env import EnvError, make_env
from sc2env.types import AgentPlayer, BotPlayer, Difficulty, Race, RawCommand, Result, StepType, UNIT_DTYPE


def test_agent_vs_agent_contract_and_opponent_observation():
    env = make_env("embedded", map="Simple64", players=[AgentPlayer(), AgentPlayer()], seed=1, observe_opponent=True)
    ts = env.reset()
    assert [t.step_type for t in ts] == [StepType.FIRST, StepType.FIRST]
    obs = ts[0].observation
    assert obs.units.dtype == UNIT_DTYPE and obs.map.visibility.shape == (64, 64)
    assert obs.opponent is not None and obs.opponent.player.player_id == 2
    tags = obs.own_units()["tag"]
    assert len(np.unique(tags)) == len(tags) and (obs.units["tag"] > 0).all()
    ts = env.step([[], []])
    assert ts[0].step_type == StepType.MID and ts[0].reward == 0.0 and ts[0].observation.game_loop == 8
    info = env.game_info
    assert info.map_name == "Simple64" and info.start_locations == ((49.5, 49.5),)
    with pytest.raises(EnvError):
        env.step([[]])


def test_victory_when_enemy_has_no_structures_and_rewards_on_last_step():
    env = EmbeddedEnv("Simple64", [AgentPlayer(), AgentPlayer()], step_mul=8, seed=0)
    env.reset()
    game = env.game
    # Player 2's base is wiped out except its SCVs: no structures left -> player 1 wins.
    for i in game.units(2, 18):
        game.remove_unit(int(i))
    ts = env.step([[], []])
    assert ts[0].last() and ts[0].reward == 1.0 and ts[0].result == Result.Victory
    assert ts[1].reward == -1.0 and ts[1].result == Result.Defeat and ts[1].discount == 0.0


def test_tie_at_game_loop_limit():
    env = EmbeddedEnv("Simple64", [AgentPlayer(), AgentPlayer()], step_mul=8, seed=0, game_loop_limit=80)
    env.reset()
    for _ in range(20):
        ts = env.step([[], []])
        if ts[0].last():
            break
    assert ts[0].last() and ts[0].result == Result.Tie and ts[0].reward == 0.0
    assert env.game.game_loop == 80


class _Duel(Scenario):
    name = "TestDuel"
    game_loop_limit = 400

    def make_map(self):
        return flat_map("TestDuel", 32, 32)

    def setup(self, game, rng):
        self.marine = game.add_unit(48, 1, 8.0, 16.0)
        self.ling = game.add_unit(105, 2, 8.0 + float(rng.uniform(3, 4)), 16.0)

    def reward_and_done(self, game, events):
        kills = sum(1 for d in events.deaths if d[1] == 2)
        return [float(kills)], kills > 0 or not len(game.units(1, 48))


def test_scenario_hook_dispatches_by_map_name():
    register_scenario("TestDuel", _Duel)
    env = make_env("embedded", map="TestDuel", players=[AgentPlayer()], seed=4)
    ts = env.reset()
    own = ts[0].observation.own_units()
    ling = ts[0].observation.enemy_units()
    total = 0.0
    ts = env.step([[RawCommand(23, (int(own["tag"][0]),), target_unit_tag=int(ling["tag"][0]))]])
    while not ts[0].last():
        total += ts[0].reward
        ts = env.step([[]])
    total += ts[0].reward
    assert total == 1.0


def test_bot_seats_play_through_make_bot():
    pytest.importorskip("sc2env.bots")
    env = make_env("embedded", map="Simple64", players=[AgentPlayer(), BotPlayer(Race.Terran, Difficulty.Easy)],
                   seed=2)
    ts = env.reset()
    for _ in range(40):
        ts = env.step([[]])
    mine = (env.game.state.it[S.ALIVE] == 1) & (env.game.state.it[S.OWNER] == 2)
    assert env.game.state.pl[S.P_MINED_MINERALS, 2] > 0 and mine.sum() >= 13
    assert len(ts) == 1
