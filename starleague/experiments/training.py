"""One training cell of an experiment: a real learner process and actor processes, stopped at a budget.

    learner  `python -m starleague learner --port 0 --port-file ...`  (agent/learner.py, checkpoints)
    actors   `python -m starleague.experiments.scenario_actor ...`   (agent/actor.py, one-seat scenario)

The same learner and actor code as `starleague train`, minus the league (a mini-game has
no opponent to match). The cell stops when the learner has trained on `frames` env
frames or the cell has run `seconds` of wall time (counted from the first trajectory the
learner receives, so start-up is not training time), whichever comes first; the learner
writes its final checkpoint on SIGTERM. `progress.jsonl` gets one line per poll (time,
cell seconds, learner frames/steps), so a stopped cell resumes where it was: the learner
with --resume from its newest checkpoint, the wall clock from the last progress line.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Optional


class CellError(RuntimeError):
    """A training cell could not start or its learner died; the log path says why."""


class CellStopped(CellError):
    """The experiment was interrupted while this cell trained."""


@dataclasses.dataclass
class CellSpec:
    name: str
    run_dir: str
    map: str
    overrides: list[str]  # "--set" items on top of the tiny preset
    frames: Optional[int] = None  # stop once the learner trained on this many env frames
    seconds: Optional[float] = None  # ... or after this much wall time (across resumes)
    actors: int = 1
    seed: int = 0
    preset: str = "tiny"


@dataclasses.dataclass
class CellProgress:
    seconds: float = 0.0
    frames: int = 0
    steps: int = 0
    finished: bool = False


def read_progress(run_dir: str) -> CellProgress:
    """The last progress line of a cell (zeros when it never ran)."""
    path = os.path.join(run_dir, "progress.jsonl")
    last = None
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        last = json.loads(line)
                    except json.JSONDecodeError:  # a line cut by a kill: the previous one stands
                        continue
    if last is None:
        return CellProgress()
    return CellProgress(float(last["seconds"]), int(last["frames"]), int(last["steps"]), bool(last.get("finished")))


def latest_checkpoint(run_dir: str, player: str = "main_0") -> Optional[str]:
    paths = sorted(glob.glob(os.path.join(run_dir, "checkpoints", player, "ckpt_*.pt")))
    return paths[-1] if paths else None


def budget_reached(spec: CellSpec, progress: CellProgress) -> bool:
    if spec.frames is not None and progress.frames >= spec.frames:
        return True
    return spec.seconds is not None and progress.seconds >= spec.seconds


def _config_args(spec: CellSpec) -> list[str]:
    args = ["--preset", spec.preset, "--run-dir", spec.run_dir, "--set", f"seed={spec.seed}",
            "--set", f"env.map={spec.map}"]
    for item in spec.overrides:
        args += ["--set", item]
    return args


class _Child:
    def __init__(self, name: str, argv: list[str], log_path: str, env: dict[str, str]):
        self.name = name
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen([sys.executable, *argv], stdout=log, stderr=subprocess.STDOUT, env=env,
                                          start_new_session=True)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def _learner_status(address: str, token: str):
    import grpc

    from agent import transport
    from protos import learner_pb2, learner_pb2_grpc

    channel = transport.open_channel(address)
    try:
        stub = learner_pb2_grpc.LearnerStub(channel)
        return stub.Status(learner_pb2.StatusRequest(), metadata=transport.auth_metadata(token), timeout=5)
    except grpc.RpcError:
        return None
    finally:
        channel.close()


def run_cell(spec: CellSpec, log: Callable[[str], None] = print, poll_seconds: float = 2.0,
             start_timeout: float = 300.0, stop: Optional[threading.Event] = None) -> CellProgress:
    """Train the cell until its budget (resuming what an earlier call left); returns the final progress.

    `stop` set (the experiment is interrupted) ends the cell early: its learner and actors
    are stopped (the learner checkpoints, so `--resume` continues it) and CellStopped is raised.
    """
    os.makedirs(os.path.join(spec.run_dir, "logs"), exist_ok=True)
    before = read_progress(spec.run_dir)
    if budget_reached(spec, before):  # a larger budget on --resume trains on
        return before
    resume = latest_checkpoint(spec.run_dir) is not None
    token = secrets.token_hex(16)
    env = dict(os.environ, STARLEAGUE_TOKEN=token, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    env.pop("STARLEAGUE_TOKEN_FILE", None)
    port_file = os.path.join(spec.run_dir, "learner.port")
    if os.path.exists(port_file):
        os.remove(port_file)
    config_args = _config_args(spec)
    learner_argv = ["-m", "starleague", "learner", *config_args, "--player", "main_0", "--port", "0",
                    "--host", "localhost", "--port-file", port_file] + (["--resume"] if resume else [])
    learner = _Child("learner", learner_argv, os.path.join(spec.run_dir, "logs", "learner.log"), env)
    actors: list[_Child] = []
    progress = before
    try:
        deadline = time.time() + start_timeout
        while not os.path.exists(port_file):
            if not learner.alive():
                raise CellError(f"cell {spec.name}: learner exited ({learner.popen.returncode}); see {learner.log_path}")
            if time.time() > deadline:
                raise CellError(f"cell {spec.name}: learner did not serve within {start_timeout:.0f}s; see {learner.log_path}")
            time.sleep(0.2)
        with open(port_file) as f:
            address = f"localhost:{int(f.read().strip())}"
        # Env seeds continue past the episodes already played, so a resumed cell plays new games.
        episodes_done = sum(1 for _ in iter_episodes(spec.run_dir))
        for i in range(spec.actors):
            argv = ["-m", "starleague.experiments.scenario_actor", *config_args, "--learner", address,
                    "--map", spec.map, "--actor-id", f"actor_{i}",
                    "--episodes-file", os.path.join(spec.run_dir, f"episodes_actor_{i}.jsonl"),
                    "--match-seed", str(spec.seed * 1_000_000 + i * 100_000 + episodes_done)]
            actors.append(_Child(f"actor_{i}", argv, os.path.join(spec.run_dir, "logs", f"actor_{i}.log"), env))
        log(f"[{spec.name}] learner on {address}, {spec.actors} actor(s); "
            f"{'resuming at ' + str(before.frames) + ' frames' if resume else 'from scratch'}")
        started = time.time()
        last_log = 0.0
        with open(os.path.join(spec.run_dir, "progress.jsonl"), "a") as progress_file:
            while True:
                time.sleep(poll_seconds)
                if stop is not None and stop.is_set():
                    raise CellStopped(f"cell {spec.name}: stopped at {progress.frames} frames")
                if not learner.alive():
                    raise CellError(f"cell {spec.name}: learner exited ({learner.popen.returncode}); see {learner.log_path}")
                for actor in actors:
                    if not actor.alive():
                        raise CellError(f"cell {spec.name}: {actor.name} exited ({actor.popen.returncode}); "
                                        f"see {actor.log_path}")
                status = _learner_status(address, token)
                if status is None:
                    continue
                if status.accepted == 0:
                    # The clock runs from the first trajectory: process start-up is not training time.
                    started = time.time()
                    continue
                progress = CellProgress(before.seconds + time.time() - started, int(status.frames),
                                        int(status.learner_steps))
                progress_file.write(json.dumps({"time": time.time(), **dataclasses.asdict(progress)}) + "\n")
                progress_file.flush()
                if time.time() - last_log >= 30:
                    last_log = time.time()
                    log(f"[{spec.name}] {progress.seconds / 60:.1f} min, {progress.frames} frames "
                        f"({status.frames_per_second:.0f}/s), {progress.steps} learner steps")
                if budget_reached(spec, progress):
                    break
    finally:
        for actor in actors:
            actor.stop(30)
        learner.stop(120)
    final = CellProgress(read_progress(spec.run_dir).seconds, progress.frames, progress.steps, True)
    checkpoint = latest_checkpoint(spec.run_dir)
    if checkpoint is not None:  # the final checkpoint counts what was trained after the last poll
        import torch

        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        final.frames, final.steps = int(state["frames"]), int(state["step"])
    with open(os.path.join(spec.run_dir, "progress.jsonl"), "a") as progress_file:
        progress_file.write(json.dumps({"time": time.time(), **dataclasses.asdict(final)}) + "\n")
    log(f"[{spec.name}] trained: {final.frames} frames, {final.steps} learner steps, {final.seconds / 60:.1f} min")
    return final


def iter_episodes(run_dir: str):
    """Every logged training episode of a cell, oldest first: dicts with time, return, steps, version."""
    rows = []
    for path in sorted(glob.glob(os.path.join(run_dir, "episodes_actor_*.jsonl"))):
        with open(path) as f:
            for line in f:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut by a kill
                    continue
    return iter(sorted(rows, key=lambda r: r["time"]))


def learning_curve(run_dir: str) -> list[dict]:
    """Episodes with the cell's wall seconds and learner frames at the moment each ended (interpolated)."""
    import bisect

    path = os.path.join(run_dir, "progress.jsonl")
    points = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if not row.get("finished"):
                    points.append((row["time"], row["seconds"], row["frames"]))
    curve = []
    times = [p[0] for p in points]
    for episode in iter_episodes(run_dir):
        i = bisect.bisect_left(times, episode["time"])
        if not points:
            seconds, frames = 0.0, 0
        elif i >= len(points):
            seconds, frames = points[-1][1], points[-1][2]
        else:
            seconds, frames = points[i][1], points[i][2]
        curve.append({"seconds": seconds, "frames": frames, "return": episode["return"], "version": episode["version"]})
    return curve
