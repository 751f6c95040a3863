"""Pipeline throughput, side by side in one run: raw engine vs IMPALA-style async vs sync batched A2C.

    .venv/bin/python -m bench.runtime_pipeline            # writes bench/results/runtime_pipeline.{json,md}

Same K environments (embedded engine, Simple64, the agent vs the Easy bot), same tiny
policy, same T and B, same `learning.learn` step in every row:
- raw_engine: K envs stepped with empty actions in one process (no policy): the ceiling;
  raw_engine_2procs: the same K envs split over two processes (the async row has two).
- actor_only: K envs with batched policy inference (what one actor process produces alone).
- sync_a2c: one process, the batched A2C "sync-step" loop of the IMPALA paper's table:
  K envs act until each has T decisions, then the learner step runs while the envs wait.
- async_impala: `starleague learner` + `starleague actor` processes over gRPC on localhost
  (K envs in the actor), frames/s = env frames the learner trained on per second.
(a) pipeline efficiency = async_impala / raw_engine; (b) async advantage = async_impala / sync_a2c.
Frames are env steps of step_mul = 8 game loops (the delay head makes one decision cover
several). One torch thread per process; windows start after a warm-up.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import torch

from agent import learning, transport
from agent.actor import SeatMemory, Unroll, add_env_step, build_trajectory, record_decision, run_policy
from agent.actions import to_commands
from agent.model.config import ModelConfig
from agent.model.policy import build_policy
from agent.policy_compile import compile_sampling
from agent.rl.config import RLConfig
from bench.runtime_common import bot_env, command, machine, write_results
from protos import learner_pb2, learner_pb2_grpc

TOKEN = "bench-token"
DISCOUNT = RLConfig().discount  # gamma of the learner the rows are made for (RLConfig() below too)


def _raw_engine_worker(envs: int, seconds: float, seed: int, results) -> None:
    results.put(raw_engine(envs, seconds, seed))


def raw_engine_processes(envs: int, seconds: float, processes: int = 2) -> float:
    """The same K envs split over `processes` processes (the cores the async row uses)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    workers = [ctx.Process(target=_raw_engine_worker, args=(max(1, envs // processes), seconds, 100 * p, results))
               for p in range(processes)]
    for w in workers:
        w.start()
    rates = [results.get(timeout=seconds + 300) for _ in workers]
    for w in workers:
        w.join()
    wall = sum(r[0] for r in rates)
    cpu = sum(r[0] for r in rates) / sum(r[0] / r[1] for r in rates)  # frames per CPU-second over both
    return wall, cpu


def raw_engine(envs: int, seconds: float, seed: int = 0) -> float:
    pool = [bot_env(seed=seed + i) for i in range(envs)]
    for env in pool:
        env.reset()
    frames, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        for env in pool:
            if env.step([[]])[0].last():
                env.reset()
            frames += 1
    return frames / (time.perf_counter() - start), frames / (time.process_time() - cpu)


class Envs:
    """K envs with one policy seat each: the actor's decision loop without transport."""

    def __init__(self, policy, envs: int):
        self.policy = policy
        self.pool = [bot_env(seed=i) for i in range(envs)]
        self.timesteps = [env.reset() for env in self.pool]
        self.memories = [SeatMemory(state=policy.initial_state(1)) for _ in self.pool]
        self.unrolls = [Unroll() for _ in self.pool]
        self.frames = 0

    def tick(self, unroll_length: int, paused: frozenset = frozenset()) -> list:
        """One env step for every env not `paused`; returns the trajectories completed this tick."""
        live = [i for i in range(len(self.pool)) if i not in paused]
        acting = [i for i in live if self.memories[i].wait == 0]
        commands = [[] for _ in self.pool]
        for i in live:
            if self.memories[i].wait > 0:
                self.memories[i].wait -= 1
        done = []
        if acting:
            seats = [(self.timesteps[i][0].observation, self.pool[i].game_info, self.memories[i]) for i in acting]
            with torch.no_grad():
                results = run_policy(self.policy, self.policy.spec, seats)
            for i, (features, actions, logp, state_before) in zip(acting, results):
                row = (features, actions, logp, self.memories[i].first)
                self.unrolls[i], finished = record_decision(self.unrolls[i], row, state_before, 0, unroll_length)
                self.memories[i].first = False
                if finished is not None:
                    done.append((i, build_trajectory(finished)))
                commands[i] = to_commands(actions, self.timesteps[i][0].observation, self.pool[i].game_info,
                                          self.policy.spec)
        for i in live:
            env = self.pool[i]
            self.timesteps[i] = env.step([commands[i]])
            self.frames += 1
            add_env_step(self.unrolls[i], self.timesteps[i][0].reward, self.timesteps[i][0].last(), DISCOUNT)
            if self.timesteps[i][0].last():
                self.timesteps[i] = env.reset()
                self.memories[i] = SeatMemory(state=self.policy.initial_state(1))
        return done


def actor_only(model: ModelConfig, envs: int, unroll_length: int, seconds: float, compile_policy: str = "") -> float:
    torch.manual_seed(0)
    pool = Envs(compile_sampling(build_policy(model), compile_policy), envs)
    if compile_policy:  # compile (every batch size the envs produce) before the window
        for _ in range(200):
            pool.tick(unroll_length)
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        pool.tick(unroll_length)
    return pool.frames / (time.perf_counter() - start), pool.frames / (time.process_time() - cpu)


def sync_a2c(model: ModelConfig, envs: int, unroll_length: int, seconds: float) -> tuple[tuple[float, float], int]:
    """Batched A2C with a synchronous learner step: act until all K envs have an unroll, learn, repeat."""
    torch.manual_seed(0)
    policy = build_policy(model)
    optimizer = torch.optim.Adam(policy.parameters(), lr=3e-4)
    pool = Envs(policy, envs)
    steps, start, cpu = 0, time.perf_counter(), time.process_time()
    frames_at_start = 0
    while time.perf_counter() - start < seconds:
        ready: dict[int, object] = {}
        while len(ready) < envs:  # an env that has its unroll waits for the others (sync-step)
            for i, trajectory in pool.tick(unroll_length, paused=frozenset(ready)):
                ready.setdefault(i, trajectory)
        batch = learning.make_batch(list(ready.values()), [steps] * envs)
        learning.learn(batch, policy, optimizer, RLConfig(), 40.0)
        steps += 1
    frames = pool.frames - frames_at_start
    return (frames / (time.perf_counter() - start), frames / (time.process_time() - cpu)), steps


def async_impala(model: ModelConfig, envs: int, unroll_length: int, batch_size: int, warmup: float,
                 seconds: float, compile_policy: str = "") -> tuple[tuple[float, float], dict]:
    run_dir = tempfile.mkdtemp(prefix="bench-runtime-")
    sets = ["--preset", "tiny", "--run-dir", run_dir,
            "--set", f"model.max_entities={model.max_entities}", "--set", f"model.spatial_size={model.spatial_size}",
            "--set", f"learner.unroll_length={unroll_length}", "--set", f"learner.batch_size={batch_size}",
            "--set", "learner.log_every_seconds=2", "--set", "learner.checkpoint_every_seconds=100000",
            "--set", f"actor.compile_policy={compile_policy}"]
    env = dict(os.environ, STARLEAGUE_TOKEN=TOKEN, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    log = open(os.path.join(run_dir, "learner.log"), "w")
    learner = subprocess.Popen([sys.executable, "-m", "starleague", "learner", *sets, "--port", "0"],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    port = None
    while port is None:
        time.sleep(0.2)
        found = re.search(r"serving on port (\d+)", open(log.name).read())
        port = found and found.group(1)
    actor = subprocess.Popen([sys.executable, "-m", "starleague", "actor", *sets, "--learner", f"localhost:{port}",
                              "--envs", str(envs), "--opponent", "bot:easy"],
                             stdout=open(os.path.join(run_dir, "actor.log"), "w"), stderr=subprocess.STDOUT, env=env)
    stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))

    def status():
        return stub.Status(learner_pb2.StatusRequest(), metadata=transport.auth_metadata(TOKEN), timeout=5)

    try:
        deadline = time.time() + 300
        while status().learner_steps < 2 and time.time() < deadline:
            time.sleep(0.5)
        time.sleep(warmup)
        import psutil

        workers = [psutil.Process(p.pid) for p in (learner, actor)]

        def cpu_seconds():
            return sum(sum(w.cpu_times()[:2]) for w in workers)

        first, t0, c0 = status(), time.perf_counter(), cpu_seconds()
        time.sleep(seconds)
        last, t1, c1 = status(), time.perf_counter(), cpu_seconds()
    finally:
        for process in (actor, learner):
            process.send_signal(signal.SIGTERM)
        for process in (actor, learner):
            process.wait(timeout=60)
    detail = {"learner_steps": last.learner_steps - first.learner_steps, "mean_policy_lag": last.mean_policy_lag,
              "queue_depth_end": last.queue_depth, "run_dir": run_dir}
    frames = last.frames - first.frames
    return (frames / (t1 - t0), frames / max(c1 - c0, 1e-9)), detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--unroll", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--max-entities", type=int, default=64)
    parser.add_argument("--spatial-size", type=int, default=16)
    parser.add_argument("--compile-policy", default="default",
                        help="also run the actor rows with actor.compile_policy=MODE ('' to skip them)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = ModelConfig(preset="tiny", max_entities=args.max_entities, spatial_size=args.spatial_size)
    K, T = args.envs, args.unroll
    rows = {}
    rows["raw_engine"] = raw_engine(K, args.seconds / 2)
    rows["raw_engine_2procs"] = raw_engine_processes(K, args.seconds / 2)
    rows["actor_only"] = actor_only(model, K, T, args.seconds)
    rows["sync_a2c"], sync_steps = sync_a2c(model, K, T, args.seconds)
    rows["async_impala"], detail = async_impala(model, K, T, K, warmup=5.0, seconds=args.seconds)
    if args.compile_policy:
        rows["actor_only_compiled"] = actor_only(model, K, T, args.seconds, args.compile_policy)
        rows["async_impala_compiled"], detail_compiled = async_impala(model, K, T, K, warmup=5.0, seconds=args.seconds,
                                                                      compile_policy=args.compile_policy)
    info = machine()
    wall = {name: r[0] for name, r in rows.items()}
    cpu = {name: r[1] for name, r in rows.items()}
    efficiency, efficiency_2 = wall["async_impala"] / wall["raw_engine"], wall["async_impala"] / wall["raw_engine_2procs"]
    advantage = wall["async_impala"] / wall["sync_a2c"]
    cpu_efficiency, cpu_advantage = cpu["async_impala"] / cpu["raw_engine"], cpu["async_impala"] / cpu["sync_a2c"]
    md = [f"# Pipeline throughput: K = {K} envs, T = {T}, B = {K}, tiny model "
          f"(max_entities {args.max_entities}, spatial {args.spatial_size})", "", "```", command(), "```", "",
          f"Machine: {info}", "",
          "No GPU here: the learner trains on the CPU. The machine has 2 cores shared with other jobs (load average "
          "above, often 10-20 while this ran), so wall-clock rates swing by 2-4x between runs and rows; the async row "
          "needs two processes to run at once, which such a load rarely allows. frames per CPU-second (user+sys of "
          "the processes doing the work) does not depend on the load: it says how much of the CPU each design spends "
          "per env frame, not how much parallelism it gets.", "",
          "| row | env frames/s (wall) | x raw engine | x sync A2C | env frames per CPU-second | x raw engine | x sync A2C |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for name in rows:
        md.append(f"| {name} | {wall[name]:.0f} | {wall[name] / wall['raw_engine']:.2f} | {wall[name] / wall['sync_a2c']:.2f} "
                  f"| {cpu[name]:.0f} | {cpu[name] / cpu['raw_engine']:.2f} | {cpu[name] / cpu['sync_a2c']:.2f} |")
    md += ["", f"(a) pipeline efficiency async / raw engine, wall: **{efficiency:.2f}** against one raw process, "
           f"**{efficiency_2:.2f}** against the K envs over 2 processes; per CPU-second: **{cpu_efficiency:.2f}** "
           f"(goal >= 0.8)",
           f"(b) async IMPALA / sync batched A2C, wall: **{advantage:.2f}x**; per CPU-second: **{cpu_advantage:.2f}x** "
           f"(IMPALA paper: 17K / 9K = 1.9x wall)", "",
           f"sync A2C learner steps in its window: {sync_steps}; async: {detail}"]
    if "async_impala_compiled" in wall:
        md.insert(len(md) - 2,
                  f"(a') with actor.compile_policy={args.compile_policy}: async / raw engine, wall: "
                  f"**{wall['async_impala_compiled'] / wall['raw_engine']:.2f}**; per CPU-second: "
                  f"**{cpu['async_impala_compiled'] / cpu['raw_engine']:.2f}**; actor alone "
                  f"{wall['actor_only_compiled'] / wall['raw_engine']:.2f} (eager {wall['actor_only'] / wall['raw_engine']:.2f}); "
                  f"async compiled: {detail_compiled}")
    write_results("runtime_pipeline", {"command": command(), "machine": info, "envs": K, "unroll_length": T,
                                       "batch_size": K, "model": vars(args), "frames_per_second_wall": wall,
                                       "frames_per_cpu_second": cpu, "efficiency_async_over_raw": efficiency,
                                       "efficiency_async_over_raw_2procs": efficiency_2,
                                       "efficiency_per_cpu_second": cpu_efficiency, "async_over_sync": advantage,
                                       "async_over_sync_per_cpu_second": cpu_advantage,
                                       "sync_steps": sync_steps, "async_detail": detail,
                                       "compile_policy": args.compile_policy}, "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
