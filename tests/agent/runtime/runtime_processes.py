"""Start `starleague` components as real processes for the runtime tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

TOKEN = "runtime-test-token"
# A small model and short unrolls so that two busy cores train a few steps per second.
SMALL = [
    "--preset", "tiny",
    "--set", "model.max_entities=16", "--set", "model.spatial_size=16",
    "--set", "learner.unroll_length=4", "--set", "learner.batch_size=2",
    "--set", "learner.log_every_seconds=1", "--set", "actor.snapshot_poll_seconds=0.3",
    "--set", "actor.reconnect_max_seconds=1", "--set", "env.game_loop_limit=2000",
]


def env() -> dict[str, str]:
    environment = dict(os.environ, STARLEAGUE_TOKEN=TOKEN, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    environment.pop("STARLEAGUE_TOKEN_FILE", None)
    return environment


class Process:
    """A `python -m starleague ...` child with its output in a log file."""

    def __init__(self, argv: list[str], log_path: str):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen([sys.executable, "-m", "starleague", *argv], stdout=self._log,
                                      stderr=subprocess.STDOUT, env=env(), start_new_session=True)

    def text(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern: str, timeout: float = 90.0, after: int = 0) -> re.Match:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = re.search(pattern, self.text()[after:])
            if found:
                return found
            if self.popen.poll() is not None:
                raise AssertionError(f"process exited ({self.popen.returncode}) before {pattern!r}:\n{self.text()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} within {timeout}s:\n{self.text()[-3000:]}")

    def signal(self, signum: int) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signum)

    def stop(self, timeout: float = 60.0) -> int:
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()
        finally:
            self._log.close()

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.popen.wait()
        self._log.close()


def learner(run_dir: str, port: int, *extra: str) -> Process:
    return Process(["learner", *SMALL, "--run-dir", run_dir, "--port", str(port), *extra],
                   os.path.join(run_dir, f"learner-{time.time_ns()}.log"))


def actor(run_dir: str, learner_port: int, *extra: str) -> Process:
    return Process(["actor", *SMALL, "--run-dir", run_dir, "--learner", f"localhost:{learner_port}", *extra],
                   os.path.join(run_dir, f"actor-{time.time_ns()}.log"))
