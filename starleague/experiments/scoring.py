"""Score a trained policy on a scenario map: N full episodes, mean return and its standard error.

The policy acts exactly as in training (agent.actor.run_policy: sampled actions, the delay
head honoured, batched over K environments); only the parameters are frozen. `greedy` plays
each head's most likely choice instead, which measures what the policy prefers without the
entropy bonus's spread. Evaluation seeds start at EVAL_SEED_BASE, far from the training seeds,
so no training episode is replayed.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional, Sequence

EVAL_SEED_BASE = 900_000_000


@dataclasses.dataclass
class Score:
    episodes: int
    mean: float
    stderr: float
    max: float
    min: float
    returns: list[float]

    @classmethod
    def of(cls, returns: Sequence[float]) -> "Score":
        n = len(returns)
        mean = sum(returns) / n
        var = sum((r - mean) ** 2 for r in returns) / (n - 1) if n > 1 else 0.0
        return cls(n, mean, math.sqrt(var / n), max(returns), min(returns), [float(r) for r in returns])


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (sample standard deviation / sqrt(n)); stderr 0 for one value."""
    score = Score.of(values)
    return score.mean, score.stderr


def load_policy(params_path: str, model_config: Optional[dict] = None):
    """A policy from a learner checkpoint (ckpt_*.pt, carries its config) or a .safetensors snapshot."""
    import torch

    from agent.model.config import ModelConfig
    from agent.model.policy import build_policy
    from agent.snapshot import decode_snapshot

    if params_path.endswith(".pt"):
        state = torch.load(params_path, map_location="cpu", weights_only=True)
        params = state["params"]
        model_config = model_config or (state.get("config") or {}).get("model")
    else:
        with open(params_path, "rb") as f:
            params = decode_snapshot(f.read())
    if model_config is None:
        raise ValueError(f"{params_path}: no model config given or stored with the parameters")
    policy = build_policy(ModelConfig(**model_config))
    policy.load_state_dict(params)
    return policy.eval()


def play_episodes(policy, map_name: str, episodes: int, envs: int = 8, step_mul: int = 8,
                  seed: int = EVAL_SEED_BASE, greedy: bool = False,
                  progress: Callable[[int], None] = lambda done: None) -> list[float]:
    """Returns of `episodes` full episodes of `policy` on the scenario `map_name`, K at a time."""
    import torch

    import sc2env.engine.minigames  # noqa: F401  (registers the scenarios)
    from agent.actions import to_commands
    from agent.actor import SeatMemory, run_policy
    from sc2env.env import make_env
    from sc2env.types import AgentPlayer

    returns: list[float] = []
    started = 0

    def start():
        nonlocal started
        env = make_env(backend="embedded", map=map_name, players=[AgentPlayer()], step_mul=step_mul,
                       seed=seed + started)
        started += 1
        return {"env": env, "ts": env.reset()[0], "memory": SeatMemory(state=policy.initial_state(1)), "return": 0.0}

    slots = [start() for _ in range(min(envs, episodes))]
    try:
        while slots:
            deciding = []
            for slot in slots:
                if slot["memory"].wait > 0:
                    slot["memory"].wait -= 1
                else:
                    deciding.append(slot)
            commands = {id(s): [] for s in slots}
            if deciding:
                seats = [(s["ts"].observation, s["env"].game_info, s["memory"]) for s in deciding]
                with torch.no_grad():
                    results = run_policy(policy, policy.spec, seats, deterministic=greedy)
                for slot, (_, actions, _, _) in zip(deciding, results):
                    slot["memory"].first = False
                    commands[id(slot)] = to_commands(actions, slot["ts"].observation, slot["env"].game_info,
                                                     policy.spec)
            for i, slot in enumerate(list(slots)):
                slot["ts"] = slot["env"].step([commands[id(slot)]])[0]
                slot["return"] += float(slot["ts"].reward)
                if slot["ts"].last():
                    returns.append(slot["return"])
                    progress(len(returns))
                    slot["env"].close()
                    slots.remove(slot)
                    if started < episodes:
                        slots.append(start())
    finally:
        for slot in slots:
            slot["env"].close()
    return returns
