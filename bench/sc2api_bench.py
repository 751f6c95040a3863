"""Cost of playing over the SC2 API versus the embedded engine directly, side by side.

    .venv/bin/python -m bench.sc2api_bench       # writes bench/results/sc2api.{json,md}

Rows (same map, seed, bot and scripted commands; agent vs Medium bot on Simple64, step_mul 8):
- embedded_direct: make_env("embedded") step, in process.
- sc2api_embedded_server: make_env("sc2") against the embedded server started through the
  SC2PATH shim (a second process; websocket, protobuf both ways, game_info refresh per step).
- conversion_round_trip: observation_to_proto + serialize + parse + observation_from_proto of
  one observation (the protocol overhead the SC2 path adds per agent step, both sides).
Times are medians per step over one game after a warm-up (numba JIT compiled).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time

import sc2env  # noqa: F401
from s2clientprotocol import sc2api_pb2

from sc2env.env import make_env
from sc2env.sc2api import conversion, shim
from sc2env.types import AgentPlayer, BotPlayer, Difficulty, RawCommand

STEPS = 150


def commands(obs, step):
    own = obs.own_units()
    cc = own[own["unit_type"] == 18]
    out = []
    if len(cc) and obs.player.minerals >= 50 and cc["order_count"][0] == 0:
        out.append(RawCommand(524, (int(cc["tag"][0]),)))
    return out


def time_env(backend: str, sc2_path: str) -> tuple[list[float], float]:
    kwargs = dict(map="Simple64", players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.Medium)], step_mul=8,
                  seed=3, game_loop_limit=8 * (STEPS + 20))
    if backend == "sc2":
        kwargs["sc2_path"] = sc2_path
    started = time.perf_counter()
    env = make_env(backend, **kwargs)
    timesteps = env.reset()
    reset_s = time.perf_counter() - started
    times = []
    try:
        for step in range(STEPS):
            t0 = time.perf_counter()
            timesteps = env.step([commands(timesteps[0].observation, step)])
            times.append(time.perf_counter() - t0)
    finally:
        env.close()
    return times[10:], reset_s


def time_conversion() -> list[float]:
    from sc2env.engine.environment import EmbeddedEnv

    env = EmbeddedEnv("Simple64", [AgentPlayer(), BotPlayer(difficulty=Difficulty.Medium)], step_mul=8, seed=3)
    timesteps = env.reset()
    for step in range(60):
        timesteps = env.step([commands(timesteps[0].observation, step)])
    obs = timesteps[0].observation
    info = conversion.game_info_to_proto(env.game_info, obs.map.height, obs.map.pathable, obs.map.placeable)
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        wire = conversion.observation_to_proto(obs).SerializeToString()
        conversion.observation_from_proto(sc2api_pb2.ResponseObservation.FromString(wire), info)
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sc2shim-") as root:
        shim.make_shim(root)
        embedded, embedded_reset = time_env("embedded", root)
        remote, remote_reset = time_env("sc2", root)
    convert = time_conversion()
    rows = {
        "embedded_direct": statistics.median(embedded) * 1e3,
        "sc2api_embedded_server": statistics.median(remote) * 1e3,
        "conversion_round_trip": statistics.median(convert) * 1e3,
    }
    base = rows["embedded_direct"]
    print(f"{'row':<26}{'ms/step':>10}{'x embedded':>12}")
    for name, ms in rows.items():
        print(f"{name:<26}{ms:>10.2f}{ms / base:>12.2f}")
    print(f"reset (launch + create + join): embedded {embedded_reset:.2f}s, sc2 api {remote_reset:.2f}s")
    result = {
        "command": " ".join(shlex.quote(a) for a in [sys.executable, "-m", "bench.sc2api_bench"]),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "steps": STEPS,
        "ms_per_step": rows,
        "ratio_to_embedded": {k: v / base for k, v in rows.items()},
        "reset_s": {"embedded": embedded_reset, "sc2api": remote_reset},
    }
    os.makedirs("bench/results", exist_ok=True)
    with open("bench/results/sc2api.json", "w") as file:
        json.dump(result, file, indent=2)
    with open("bench/results/sc2api.md", "w") as file:
        file.write("# SC2 API overhead (bench/sc2api_bench.py)\n\n")
        file.write(f"`{result['command']}` on {result['machine']['platform']}, {result['machine']['cpus']} CPUs "
                   "(shared with other jobs).\n\n| row | ms/step | x embedded |\n|---|---:|---:|\n")
        for name, ms in rows.items():
            file.write(f"| {name} | {ms:.2f} | {ms / base:.2f} |\n")
        file.write(f"\nreset: embedded {embedded_reset:.2f}s, sc2 api {remote_reset:.2f}s (includes starting the "
                   "server process)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
