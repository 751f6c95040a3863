"""Shared by the runtime benchmarks: real trajectories, machine facts, result files."""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys

import numpy as np
import torch

from agent.actor import SeatMemory, Unroll, add_env_step, build_trajectory, record_decision, run_policy
from agent.actions import to_commands
from agent.model.config import ModelConfig
from agent.model.policy import build_policy
from agent.rl.config import RLConfig
from sc2env.env import make_env
from sc2env.types import AgentPlayer, BotPlayer, Difficulty

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def machine() -> dict:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (CPU only; no GPU lent)",
        "python": platform.python_version(),
        "load_average_1m": list(os.getloadavg()[:2]),
    }


def command() -> str:
    module = os.path.splitext(os.path.relpath(os.path.abspath(sys.argv[0]), os.path.dirname(RESULTS) + "/.."))[0]
    return ".venv/bin/python -m " + " ".join(shlex.quote(a) for a in [module.replace(os.sep, "."), *sys.argv[1:]])


def bot_env(seed: int, game_loop_limit: int = 22400):
    return make_env(map="Simple64", players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.Easy)], step_mul=8,
                    seed=seed, game_loop_limit=game_loop_limit)


def collect_trajectories(count: int, unroll_length: int, model: ModelConfig | None = None, seed: int = 0,
                         discount: float = RLConfig().discount):
    """`count` real unrolls: the policy playing the embedded engine against the Easy bot."""
    torch.manual_seed(seed)
    policy = build_policy(model or ModelConfig(preset="tiny"))
    env = bot_env(seed)
    timesteps = env.reset()
    memory = SeatMemory(state=policy.initial_state(1))
    out, unroll = [], Unroll()
    while len(out) < count:
        if memory.wait > 0:
            memory.wait -= 1
            commands = []
        else:
            with torch.no_grad():
                ((features, actions, logp, state_before),) = run_policy(
                    policy, policy.spec, [(timesteps[0].observation, env.game_info, memory)])
            unroll, finished = record_decision(unroll, (features, actions, logp, memory.first), state_before, 0,
                                               unroll_length)
            memory.first = False
            if finished is not None:
                out.append(build_trajectory(finished))
            commands = to_commands(actions, timesteps[0].observation, env.game_info, policy.spec)
        timesteps = env.step([commands])
        add_env_step(unroll, timesteps[0].reward, timesteps[0].last(), discount)
        if timesteps[0].last():
            timesteps = env.reset()
            memory = SeatMemory(state=policy.initial_state(1))
    env.close()
    return policy, out


def write_results(name: str, payload: dict, markdown: str) -> None:
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f"{name}.json"), "w") as f:
        json.dump(payload, f, indent=2)
        f.write("\n")
    with open(os.path.join(RESULTS, f"{name}.md"), "w") as f:
        f.write(markdown)
    print(markdown)


def raw_bytes(trajectory) -> int:
    return int(sum(a.nbytes for a in trajectory.to_arrays().values()))


def mean(values) -> float:
    return float(np.mean(values)) if len(values) else 0.0
