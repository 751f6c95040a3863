"""Whole games over the SC2 API: pysc2's SC2Env and our SC2ApiEnv against the embedded server
(launched through the fake SC2PATH shim, as they would launch SC2_x64), and against the real
game when SC2PATH holds one (tests marked `sc2`).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

import sc2env  # noqa: F401
from sc2env.env import make_env
from sc2env.sc2api import shim
from sc2env.sc2api.compare import observation_differences
from sc2env.sc2api.paths import available_builds
from sc2env.types import AgentPlayer, BotPlayer, Difficulty, RawCommand, Result, StepType

GAME_LOOP_LIMIT = 320
TRAIN_SCV, MOVE = 524, 16
SCV, COMMAND_CENTER = 45, 18


@pytest.fixture(scope="module")
def shim_root(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("sc2shim")
    shim.make_shim(root)
    return str(root)


@pytest.fixture()
def shim_env(shim_root, monkeypatch):
    """SC2PATH -> the shim; its servers end games as a tie at GAME_LOOP_LIMIT."""
    monkeypatch.setenv("SC2PATH", shim_root)
    monkeypatch.setenv(shim.GAME_LOOP_LIMIT_ENV, str(GAME_LOOP_LIMIT))
    return shim_root


def scripted_commands(obs, step: int) -> list[RawCommand]:
    """Train SCVs, move one around, and send one command with a bad target (an ActionError)."""
    own = obs.own_units()
    command_centers = own[own["unit_type"] == COMMAND_CENTER]
    workers = own[own["unit_type"] == SCV]
    commands = []
    if len(command_centers) and obs.player.minerals >= 50 and command_centers["order_count"][0] == 0:
        commands.append(RawCommand(TRAIN_SCV, (int(command_centers["tag"][0]),)))
    if step % 6 == 2 and len(workers):
        commands.append(RawCommand(MOVE, (int(workers["tag"][0]),), target_point=(20.0 + step % 20, 30.0)))
    if step == 4 and len(workers) > 1:
        commands.append(RawCommand(MOVE, (int(workers["tag"][1]),), target_unit_tag=987654321))
    return commands


# ------------------------------------------------------------------ pysc2 (a client nobody here wrote)


def run_pysc2_game(players) -> tuple[list, int]:
    from pysc2.env import sc2_env
    from pysc2.lib import actions, features

    interface = sc2_env.AgentInterfaceFormat(action_space=actions.ActionSpace.RAW, use_raw_units=True,
                                             raw_resolution=64)
    with sc2_env.SC2Env(map_name="Simple64", players=players, agent_interface_format=interface, step_mul=8,
                        game_steps_per_episode=0, random_seed=3) as env:
        timesteps = env.reset()
        first_units = timesteps[0].observation.raw_units
        steps = 0
        while not timesteps[0].last():
            step_actions = []
            for timestep in timesteps:
                units = timestep.observation.raw_units
                mine = units[(units[:, 0] == COMMAND_CENTER) & (units[:, 1] == 1)]  # unit_type, alliance Self
                minerals = timestep.observation.player.minerals
                if len(mine) and minerals >= 50 and steps % 4 == 0:
                    tag = int(mine[0][features.FeatureUnit.tag])
                    step_actions.append(actions.RAW_FUNCTIONS.Train_SCV_quick("now", tag))
                else:
                    step_actions.append(actions.RAW_FUNCTIONS.no_op())
            timesteps = env.step(step_actions)
            steps += 1
        return [first_units, timesteps], steps


@pytest.mark.timeout(180)
def test_pysc2_sc2env_agent_vs_bot_plays_a_whole_game(shim_env):
    from pysc2.env import sc2_env

    (first_units, last), steps = run_pysc2_game(
        [sc2_env.Agent(sc2_env.Race.terran), sc2_env.Bot(sc2_env.Race.terran, sc2_env.Difficulty.very_easy)]
    )
    assert steps == GAME_LOOP_LIMIT // 8
    assert last[0].last() and last[0].observation.game_loop[0] == GAME_LOOP_LIMIT
    own_scvs = lambda units: int(((units[:, 0] == SCV) & (units[:, 1] == 1)).sum())  # noqa: E731
    assert own_scvs(first_units) == 12
    assert own_scvs(last[0].observation.raw_units) > 12  # its Train_SCV raw actions went through
    assert last[0].reward == 0  # the server's limit ends it as a tie


@pytest.mark.timeout(180)
def test_pysc2_sc2env_agent_vs_agent_plays_a_whole_game(shim_env):
    from pysc2.env import sc2_env

    (first_units, last), steps = run_pysc2_game(
        [sc2_env.Agent(sc2_env.Race.terran, "a"), sc2_env.Agent(sc2_env.Race.terran, "b")]
    )
    assert steps == GAME_LOOP_LIMIT // 8
    assert all(t.last() for t in last)
    assert [int(t.observation.player.player_id) for t in last] == [1, 2]
    assert all(t.observation.game_loop[0] == GAME_LOOP_LIMIT for t in last)


# ------------------------------------------------------------------ our client vs the engine


def play_both_backends(players, sc2_path: str, game_loop_limit: int = GAME_LOOP_LIMIT):
    """Same seed, same commands, both backends; returns the number of steps and last timesteps."""
    kwargs = dict(map="Simple64", players=players, step_mul=8, seed=11, game_loop_limit=game_loop_limit)
    embedded = make_env("embedded", **kwargs)
    remote = make_env("sc2", sc2_path=sc2_path, **kwargs)
    try:
        a, b = embedded.reset(), remote.reset()
        assert embedded.game_info == remote.game_info
        steps, errors = 0, []
        while True:
            errors += [e for t in b for e in t.observation.action_errors]
            for x, y in zip(a, b):
                assert observation_differences(x.observation, y.observation) == [], f"step {steps}"
                assert (x.step_type, x.reward, x.discount, x.result) == (y.step_type, y.reward, y.discount, y.result)
            if a[0].last():
                break
            commands = [scripted_commands(t.observation, steps) for t in a]
            a, b = embedded.step(commands), remote.step(commands)
            steps += 1
        return steps, a, b, remote, errors
    finally:
        embedded.close()
        remote.close()


@pytest.mark.timeout(180)
def test_sc2_backend_matches_embedded_backend_agent_vs_bot(shim_env):
    players = [AgentPlayer(), BotPlayer(difficulty=Difficulty.Medium)]
    steps, a, b, _, errors = play_both_backends(players, shim_env)
    assert steps == GAME_LOOP_LIMIT // 8
    # scripted_commands' bad target came back over the wire as an ActionError with its result name.
    assert any(e.ability_id == MOVE and e.reason for e in errors)
    assert b[0].step_type == StepType.LAST and b[0].result == Result.Tie
    assert len(b[0].observation.own_units()) > 13  # trained SCVs on both paths alike


@pytest.mark.timeout(180)
def test_sc2_backend_self_play_two_processes_matches_embedded(shim_env, tmp_path):
    steps, a, b, remote, _ = play_both_backends([AgentPlayer(name="p1"), AgentPlayer(name="p2")], shim_env,
                                                game_loop_limit=160)
    assert steps == 20
    assert [t.observation.player.player_id for t in b] == [1, 2]
    assert all(t.result == Result.Tie for t in b)


@pytest.mark.timeout(180)
def test_sc2_backend_save_replay_and_reset(shim_env, tmp_path):
    from sc2env.replay import load_replay

    env = make_env("sc2", map="Simple64", players=[AgentPlayer(), BotPlayer()], step_mul=16, seed=2,
                   sc2_path=shim_env, game_loop_limit=64)
    try:
        for _ in range(2):  # the second episode goes through leave + create + join on the same process
            timesteps = env.reset()
            assert timesteps[0].first()
            while not timesteps[0].last():
                timesteps = env.step([scripted_commands(timesteps[0].observation, 0)])
            assert timesteps[0].observation.game_loop == 64
        path = env.save_replay(str(tmp_path / "game.SC2Replay"))
        replay = load_replay(path)
        assert replay is not None and pathlib.Path(path).stat().st_size > 0
    finally:
        env.close()
    assert env.processes == []


# ------------------------------------------------------------------ the real game


def real_sc2_path() -> str | None:
    root = os.environ.get("SC2PATH")
    if not root:
        return None
    for binary in available_builds(root).values():
        if b"starleague" not in binary.read_bytes()[:400]:
            return root
    return None


needs_real_sc2 = pytest.mark.skipif(
    real_sc2_path() is None,
    reason="needs the real StarCraft II: set SC2PATH to an install with Versions/Base*/SC2_x64 and "
    "Maps/Melee/Simple64.SC2Map (Linux package: github.com/Blizzard/s2client-proto#downloads)",
)


@pytest.mark.sc2
@needs_real_sc2
@pytest.mark.timeout(600)
def test_real_sc2_agent_vs_bot_game():
    with make_env("sc2", map="Simple64", players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.VeryEasy)],
                  step_mul=8, seed=1, game_loop_limit=400, sc2_path=real_sc2_path()) as env:
        timesteps = env.reset()
        steps = 0
        while not timesteps[0].last():
            timesteps = env.step([scripted_commands(timesteps[0].observation, steps)])
            steps += 1
        obs = timesteps[0].observation
        assert obs.game_loop >= 400 and len(obs.neutral_units()) > 0
        assert np.isin(obs.units["unit_type"], [SCV]).sum() > 12


@pytest.mark.sc2
@needs_real_sc2
@pytest.mark.timeout(600)
def test_real_sc2_pysc2_agent_vs_agent(monkeypatch):
    from pysc2.env import sc2_env
    from pysc2.lib import actions

    monkeypatch.setenv("SC2PATH", real_sc2_path())
    interface = sc2_env.AgentInterfaceFormat(action_space=actions.ActionSpace.RAW, use_raw_units=True,
                                             raw_resolution=64)
    players = [sc2_env.Agent(sc2_env.Race.terran), sc2_env.Agent(sc2_env.Race.terran)]
    with sc2_env.SC2Env(map_name="Simple64", players=players, agent_interface_format=interface, step_mul=8,
                        game_steps_per_episode=200) as env:
        timesteps = env.reset()
        while not timesteps[0].last():
            timesteps = env.step([actions.RAW_FUNCTIONS.no_op(), actions.RAW_FUNCTIONS.no_op()])
        assert timesteps[0].last()


@pytest.mark.timeout(120)
def test_self_play_peer_crash_is_a_clear_error_not_a_hang(shim_env):
    import time

    env = make_env("sc2", map="Simple64", players=[AgentPlayer(), AgentPlayer()], step_mul=8, seed=1,
                   sc2_path=shim_env, timeout_s=60)
    try:
        env.reset()
        env.step([[], []])
        env.processes[1].kill()  # the joining player's game dies mid-match
        started = time.monotonic()
        with pytest.raises(Exception) as info:
            env.step([[], []])
        assert time.monotonic() - started < 30  # the host stops waiting for the lost player
        assert "connection" in str(info.value) or "left the game" in str(info.value)
        assert env.processes == []  # everything killed; reset() would start over
    finally:
        env.close()


@pytest.mark.timeout(180)
def test_pysc2_mini_game_rewards_come_from_the_curriculum_score(shim_env):
    from pysc2.env import sc2_env
    from pysc2.lib import actions, features

    interface = sc2_env.AgentInterfaceFormat(action_space=actions.ActionSpace.RAW, use_raw_units=True,
                                             raw_resolution=64)
    tag, x, y = features.FeatureUnit.tag, features.FeatureUnit.x, features.FeatureUnit.y
    with sc2_env.SC2Env(map_name="MoveToBeacon", players=[sc2_env.Agent(sc2_env.Race.terran)],
                        agent_interface_format=interface, step_mul=16, game_steps_per_episode=640) as env:
        timesteps = env.reset()
        total = 0.0
        while not timesteps[0].last():
            units = timesteps[0].observation.raw_units
            marine, beacon = units[units[:, 0] == 48], units[units[:, 0] == 317]
            action = actions.RAW_FUNCTIONS.no_op()
            if len(marine) and len(beacon):
                action = actions.RAW_FUNCTIONS.Move_pt("now", int(marine[0][tag]), (int(beacon[0][x]),
                                                                                      int(beacon[0][y])))
            timesteps = env.step([action])
            total += timesteps[0].reward
        assert total > 0 and total == timesteps[0].observation.score_cumulative[0]
        # A single-agent mini-game's next episode goes through restart_game.
        timesteps = env.reset()
        assert timesteps[0].first() and timesteps[0].observation.game_loop[0] == 0
        assert timesteps[0].observation.score_cumulative[0] == 0


@pytest.mark.timeout(180)
def test_sc2_backend_mini_game_rewards_match_embedded(shim_env):
    kwargs = dict(map="MoveToBeacon", players=[AgentPlayer()], step_mul=64, seed=4)
    embedded, remote = make_env("embedded", **kwargs), make_env("sc2", sc2_path=shim_env, **kwargs)
    try:
        a, b = embedded.reset(), remote.reset()
        rewards_a, rewards_b = [], []
        while not a[0].last():
            own = a[0].observation.own_units()
            beacon = a[0].observation.neutral_units()
            commands = []
            if len(own) and len(beacon):
                commands = [RawCommand(MOVE, (int(own["tag"][0]),),
                                       target_point=(float(beacon["x"][0]), float(beacon["y"][0])))]
            a, b = embedded.step([commands]), remote.step([commands])
            rewards_a.append(a[0].reward)
            rewards_b.append(b[0].reward)
            assert a[0].step_type == b[0].step_type
        assert rewards_a == rewards_b and sum(rewards_a) > 0
    finally:
        embedded.close()
        remote.close()
