"""The seven pysc2 mini-games on the embedded engine: rewards, respawns, time limits."""

from __future__ import annotations

import numpy as np
import pytest

from sc2env.engine.minigames import MINI_GAMES
from sc2env.engine.minigames.agents import RandomAgent, ScriptedAgent
from sc2env.env import make_env
from sc2env.types import AgentPlayer, Alliance, RawCommand

MOVE, ATTACK = 3794, 3674
MARINE, ZERGLING, BANELING, ROACH, BEACON, SHARD = 48, 105, 9, 110, 317, 1680


def env_for(name: str, seed: int = 0):
    return make_env(backend="embedded", map=name, players=[AgentPlayer()], step_mul=8, seed=seed)


def of(obs, unit_type, alliance=None):
    u = obs.units[obs.units["unit_type"] == unit_type]
    return u if alliance is None else u[u["alliance"] == alliance]


def test_all_seven_are_registered_with_pysc2_time_limits():
    limits = {g.name: g().game_loop_limit for g in MINI_GAMES}
    assert limits == {
        "MoveToBeacon": 1920, "CollectMineralShards": 1920, "FindAndDefeatZerglings": 2880,
        "DefeatRoaches": 1920, "DefeatZerglingsAndBanelings": 1920, "CollectMineralsAndGas": 4800,
        "BuildMarines": 14400,
    }


@pytest.mark.timeout(60)
def test_move_to_beacon_reward_and_beacon_moves():
    env = env_for("MoveToBeacon", seed=1)
    ts = env.reset()[0]
    obs = ts.observation
    assert len(of(obs, MARINE, Alliance.Self)) == 1
    beacon = of(obs, BEACON, Alliance.Neutral)[0]
    marine = of(obs, MARINE)[0]
    assert np.hypot(beacon["x"] - marine["x"], beacon["y"] - marine["y"]) >= 5.0
    total, steps = 0.0, 0
    while total == 0.0 and steps < 100:
        ts = env.step([[RawCommand(MOVE, (int(marine["tag"]),), target_point=(float(beacon["x"]), float(beacon["y"])))]])[0]
        total += ts.reward
        steps += 1
    assert total == 1.0
    new = of(ts.observation, BEACON)[0]
    m = of(ts.observation, MARINE)[0]
    assert (new["x"], new["y"]) != (beacon["x"], beacon["y"])
    assert np.hypot(new["x"] - m["x"], new["y"] - m["y"]) >= 5.0
    env.close()


def _inside(units, x0, y0, x1, y1):
    return bool(np.all((units["x"] >= x0) & (units["x"] <= x1) & (units["y"] >= y0) & (units["y"] <= y1)))


@pytest.mark.timeout(120)
def test_move_to_beacon_and_shards_use_the_real_maps_regions():
    """The regions of pysc2's MoveToBeacon.SC2Map / CollectMineralShards.SC2Map: playable space
    (22, 20)-(44, 36) (the game info's playable area), beacons in (23.5, 21.5)-(42.5, 34.5) outside
    the circle of radius 4 around (33, 28), shards in (23, 21)-(43, 35)."""
    for seed in range(12):
        env = env_for("MoveToBeacon", seed=seed)
        obs = env.reset()[0].observation
        info = env.game_info
        assert (info.playable_min, info.playable_max) == ((22, 20), (44, 36))
        marine, beacon = of(obs, MARINE)[0], of(obs, BEACON)[0]
        assert _inside(of(obs, MARINE), 22, 20, 44, 36)
        assert _inside(of(obs, BEACON), 23.5, 21.5, 42.5, 34.5)
        assert np.hypot(beacon["x"] - 33.0, beacon["y"] - 28.0) >= 4.0
        assert np.hypot(beacon["x"] - marine["x"], beacon["y"] - marine["y"]) >= 5.0
        env.close()
        env = env_for("CollectMineralShards", seed=seed)
        obs = env.reset()[0].observation
        marines, shards = of(obs, MARINE), of(obs, SHARD)
        assert _inside(marines, 22, 20, 44, 36)
        assert len(shards) == 20 and _inside(shards, 23, 21, 43, 35)
        for s in shards:
            assert np.hypot(marines["x"] - s["x"], marines["y"] - s["y"]).min() >= 2.0
        env.close()


@pytest.mark.timeout(60)
def test_beacon_counts_when_the_marines_centre_is_within_1_25():
    """The real map's "Beacon Area" is a circle of radius 1.25 around the beacon, tested against
    the marine's position: 1.3 away scores nothing, 1.2 away scores."""
    from sc2env.engine.state import X, Y

    env = env_for("MoveToBeacon", seed=7)
    env.reset()
    game, scenario = env.game, env.scenario
    marine = int(game.units(1, MARINE)[0])
    bx, by = scenario.beacon_xy
    for distance, reward in ((1.3, 0.0), (1.2, 1.0)):
        game.state.fl[X, marine], game.state.fl[Y, marine] = bx - distance, by
        assert scenario.reward_and_done(game, None) == ([reward], False)
    env.close()


@pytest.mark.timeout(60)
def test_marines_cannot_leave_the_playable_space():
    env = env_for("MoveToBeacon", seed=3)
    obs = env.reset()[0].observation
    marine = of(obs, MARINE)[0]
    ts = env.step([[RawCommand(MOVE, (int(marine["tag"]),), target_point=(10.0, 50.0))]])[0]
    assert [e.reason for e in ts.observation.action_errors] == ["(10.0, 50.0) is not pathable"]
    for _ in range(30):
        ts = env.step([[RawCommand(MOVE, (int(marine["tag"]),), target_point=(22.2, 35.8))]])[0]
    assert _inside(of(ts.observation, MARINE), 22, 20, 44, 36)
    env.close()


@pytest.mark.timeout(60)
def test_episode_ends_at_the_time_limit():
    env = env_for("MoveToBeacon", seed=2)
    ts = env.reset()[0]
    steps = 0
    while not ts.last():
        ts = env.step([[]])[0]
        steps += 1
    assert steps == 1920 // 8
    assert ts.observation.game_loop == 1920
    env.close()


@pytest.mark.timeout(60)
def test_collect_mineral_shards_reward_and_respawn():
    env = env_for("CollectMineralShards", seed=3)
    ts = env.reset()[0]
    assert len(of(ts.observation, SHARD, Alliance.Neutral)) == 20
    assert len(of(ts.observation, MARINE, Alliance.Self)) == 2
    agent = ScriptedAgent("CollectMineralShards")
    total = 0.0
    saw_respawn = False
    while not ts.last():
        before = len(of(ts.observation, SHARD))
        ts = env.step([agent.act(ts.observation, env.game_info)])[0]
        after = len(of(ts.observation, SHARD))
        total += ts.reward
        if after > before:
            saw_respawn = True
            assert after == 20
        else:
            assert ts.reward == before - after  # +1 per shard collected
    assert total >= 20 and saw_respawn
    env.close()


@pytest.mark.timeout(60)
def test_find_and_defeat_zerglings_rewards_kills_under_fog():
    env = env_for("FindAndDefeatZerglings", seed=4)
    ts = env.reset()[0]
    obs = ts.observation
    assert len(of(obs, MARINE, Alliance.Self)) == 3
    visible = of(obs, ZERGLING, Alliance.Enemy)
    assert 1 <= len(visible) < 25  # fog of war: only the two near ones are in sight
    agent = ScriptedAgent("FindAndDefeatZerglings")
    total = 0.0
    for _ in range(120):
        ts = env.step([agent.act(ts.observation, env.game_info)])[0]
        total += ts.reward
        if ts.last():
            break
    assert total >= 2  # at least the two zerglings in sight
    env.close()


@pytest.mark.timeout(60)
def test_defeat_roaches_rewards_and_reinforcements():
    env = env_for("DefeatRoaches", seed=5)
    ts = env.reset()[0]
    assert len(of(ts.observation, MARINE, Alliance.Self)) == 9
    assert len(of(ts.observation, ROACH, Alliance.Enemy)) == 4
    agent = ScriptedAgent("DefeatRoaches")
    marines_before = 9
    while not ts.last():
        roaches_before = len(of(ts.observation, ROACH))
        marines_before = len(of(ts.observation, MARINE))
        ts = env.step([agent.act(ts.observation, env.game_info)])[0]
        roaches_after = len(of(ts.observation, ROACH))
        marines_after = len(of(ts.observation, MARINE))
        if roaches_after == 4 and roaches_before < 4:
            # Wave cleared: 4 new roaches, 5 new marines at full health, the rest keep theirs.
            lost = marines_before + 5 - marines_after
            assert ts.reward == 10 * roaches_before - lost
            m = of(ts.observation, MARINE)
            assert (m["health"] == m["health_max"]).sum() >= 5
            env.close()
            return
        assert ts.reward == 10 * (roaches_before - roaches_after) - (marines_before - marines_after)
    pytest.fail("the scripted agent never cleared a wave of roaches")


@pytest.mark.timeout(60)
def test_banelings_explode_on_marines():
    env = env_for("DefeatZerglingsAndBanelings", seed=6)
    ts = env.reset()[0]
    assert len(of(ts.observation, ZERGLING, Alliance.Enemy)) == 6
    assert len(of(ts.observation, BANELING, Alliance.Enemy)) == 4
    marines = of(ts.observation, MARINE)
    bane = of(ts.observation, BANELING)[0]
    # Walk the marines into the zerg: banelings hit them and die doing it.
    ts = env.step([[RawCommand(MOVE, tuple(int(t) for t in marines["tag"]),
                               target_point=(float(bane["x"]), float(bane["y"])))]])[0]
    total = ts.reward
    for _ in range(60):
        ts = env.step([[]])[0]
        total += ts.reward
        if len(of(ts.observation, BANELING)) < 4 or ts.last():
            break
    m = of(ts.observation, MARINE)
    assert len(of(ts.observation, BANELING)) < 4
    assert len(m) < 9 or (m["health"] < m["health_max"]).any()
    env.close()


@pytest.mark.timeout(60)
def test_collect_minerals_and_gas_reward_is_income():
    env = env_for("CollectMineralsAndGas", seed=7)
    ts = env.reset()[0]
    obs = ts.observation
    assert len(of(obs, 45, Alliance.Self)) == 12 and obs.player.minerals == 50
    assert obs.player.food_used == 12 and obs.player.food_cap == 15
    fields = obs.neutral_units()[np.isin(obs.neutral_units()["unit_type"], (341, 483))]
    assert len(fields) == 16 and (obs.neutral_units()["unit_type"] == 342).sum() == 4
    agent = ScriptedAgent("CollectMineralsAndGas")
    total = 0.0
    for _ in range(150):
        ts = env.step([agent.act(ts.observation, env.game_info)])[0]
        total += ts.reward
    assert total > 200
    env.close()


@pytest.mark.timeout(90)
def test_build_marines_rewards_each_marine():
    env = env_for("BuildMarines", seed=8)
    ts = env.reset()[0]
    agent = ScriptedAgent("BuildMarines")
    total = 0.0
    for _ in range(700):
        ts = env.step([agent.act(ts.observation, env.game_info)])[0]
        total += ts.reward
    marines = len(of(ts.observation, MARINE, Alliance.Self))
    assert marines >= 1 and total == marines
    env.close()


@pytest.mark.timeout(60)
def test_random_agent_scores_below_scripted_on_move_to_beacon():
    from sc2env.engine.minigames.agents import run_episode

    random_score = run_episode("MoveToBeacon", RandomAgent(0), seed=0)
    scripted_score = run_episode("MoveToBeacon", ScriptedAgent("MoveToBeacon"), seed=0)
    assert scripted_score >= 5 and random_score < scripted_score
