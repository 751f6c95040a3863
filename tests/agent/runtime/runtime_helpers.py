"""Real trajectories from the real policy on hand-made observations (no engine needed)."""

from __future__ import annotations

import numpy as np
import torch

from agent.actor import SeatMemory, Unroll, build_trajectory, record_decision, run_policy
from agent.model.config import ModelConfig
from agent.model.policy import build_policy
from sc2env.types import Alliance, GameInfo, MapPlanes, Observation, PlayerCommon, Race, empty_units

# Two shared cores: more than one torch thread per test process only adds contention.
torch.set_num_threads(1)


def tiny_policy(seed: int = 0):
    torch.manual_seed(seed)
    return build_policy(ModelConfig(preset="tiny", max_entities=16, spatial_size=16))


def game_info() -> GameInfo:
    return GameInfo("Test", (32, 32), (0, 0), (32, 32), ((28.0, 28.0),), (Race.Terran, Race.Terran))


def observation(step: int, rng: np.random.Generator) -> Observation:
    units = empty_units(5)
    units["tag"] = np.arange(1, 6)
    units["unit_type"] = 45  # SCV
    units["alliance"] = [Alliance.Self] * 3 + [Alliance.Enemy] * 2
    units["x"] = rng.uniform(0, 32, 5)
    units["y"] = rng.uniform(0, 32, 5)
    units["health"] = units["health_max"] = 45
    plane = np.zeros((32, 32), np.uint8)
    return Observation(
        game_loop=step * 8,
        player=PlayerCommon(player_id=1, minerals=50 + step),
        units=units,
        map=MapPlanes(plane, plane.astype(bool) | True, plane.astype(bool), plane + 2, plane.astype(bool)),
        available_abilities=np.array([], np.int32),
        upgrades=np.array([], np.int32),
    )


def make_trajectories(policy, count: int, T: int, seed: int = 0):
    """`count` real unrolls of length T sampled by `policy`."""
    rng = np.random.default_rng(seed)
    info = game_info()
    out = []
    for _ in range(count):
        memory = SeatMemory(state=policy.initial_state(1))
        unroll = Unroll()
        for t in range(T + 1):
            ((features, actions, logp, state_before),) = run_policy(policy, policy.spec, [(observation(t, rng), info, memory)])
            if t > 0:
                unroll.pending_reward = float(rng.normal())
            unroll, finished = record_decision(unroll, (features, actions, logp, t == 0), state_before, 0, T)
            memory.first = False
        out.append(build_trajectory(finished))
    return out
