"""Start a whole training run on this machine as separate processes, watch it, stop it cleanly.

    league  (starleague league serve)      one, unless --league names a running one
    learner (starleague learner)           one per learning player, unless --learner names one
    actors  (starleague actor)             actor.num_actors, dealt round-robin over the players

Every child gets the run's token in $STARLEAGUE_TOKEN, writes its output to
<run_dir>/logs/<name>.log, and is told by the kernel to stop if the launcher dies
(PR_SET_PDEATHSIG), so nothing is left orphaned. A child that crashes is restarted
(learners with --resume). Stopping sends SIGTERM in order actors -> learners (each
writes a final checkpoint) -> league, then SIGKILL to anything still alive.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from typing import Optional

import grpc

from agent import transport
from protos import learner_pb2, learner_pb2_grpc

_PR_SET_PDEATHSIG = 1


class LaunchError(RuntimeError):
    """A component did not come up (its log says why)."""


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: the launcher's own shutdown still stops children
        pass


@dataclasses.dataclass
class Child:
    name: str
    argv: list[str]
    log_path: str
    process: Optional[subprocess.Popen] = None
    restarts: int = 0

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclasses.dataclass
class LearnerView:
    player_id: str
    address: str
    child: Optional[Child]
    status: Optional[learner_pb2.LearnerStatus] = None


class Launcher:
    def __init__(self, run_dir: str, config_args: list[str], learning_players: list[str], num_actors: int,
                 token: Optional[str] = None, league_address: Optional[str] = None,
                 learner_addresses: Optional[dict[str, str]] = None, resume: bool = False, max_restarts: int = 3,
                 log=print):
        """`learner_addresses`: player -> host:port of a learner already running (elsewhere);
        the other learning players get a learner process here."""
        self.run_dir = os.path.abspath(run_dir)
        self.config_args = config_args + ["--run-dir", self.run_dir]
        self.players = learning_players
        self.num_actors = num_actors
        self.token = token or os.environ.get(transport.TOKEN_ENV) or secrets.token_hex(16)
        self.league_address = league_address
        self.remote_learners = dict(learner_addresses or {})
        unknown = sorted(set(self.remote_learners) - set(learning_players))
        if unknown:
            raise LaunchError(f"--learner given for {unknown}, which are not learning players here; "
                              f"the learning players are {learning_players}")
        self.resume = resume
        self.max_restarts = max_restarts
        self.log = log
        self.logs_dir = os.path.join(self.run_dir, "logs")
        os.makedirs(self.logs_dir, exist_ok=True)
        self.children: list[Child] = []
        self.league_child: Optional[Child] = None
        self.learners: dict[str, LearnerView] = {}
        self.actors: list[Child] = []
        self._stubs: dict[str, learner_pb2_grpc.LearnerStub] = {}

    # --- processes ------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[transport.TOKEN_ENV] = self.token
        env.pop(transport.TOKEN_FILE_ENV, None)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _spawn(self, child: Child) -> Child:
        log_file = open(child.log_path, "ab")
        child.process = subprocess.Popen(
            [sys.executable, "-m", "starleague", *child.argv], stdout=log_file, stderr=subprocess.STDOUT,
            env=self._env(), preexec_fn=_die_with_parent, start_new_session=True,
        )
        log_file.close()
        if child not in self.children:
            self.children.append(child)
        return child

    def _wait_for_line(self, child: Child, pattern: str, timeout: float, offset: int = 0) -> re.Match:
        """Wait for `pattern` in the child's log past byte `offset`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(child.log_path, "r", errors="replace") as f:
                f.seek(offset)
                found = re.search(pattern, f.read())
            if found:
                return found
            if not child.alive():
                raise LaunchError(f"{child.name} exited with code {child.process.returncode}; see {child.log_path}")
            time.sleep(0.1)
        raise LaunchError(f"{child.name} did not start within {timeout:.0f}s; see {child.log_path}")

    def start(self, timeout: float = 180.0) -> None:
        if self.league_address is None:
            child = Child("league", ["league", "serve", *self.config_args, "--address", "localhost:0"],
                          os.path.join(self.logs_dir, "league.log"))
            self._truncate(child)
            self.league_child = self._spawn(child)
            found = self._wait_for_line(child, r"league listening on (\S+?):(\d+)", timeout)
            self.league_address = f"localhost:{found.group(2)}"
            self.log(f"league on {self.league_address}")
        for player in self.players:
            if player in self.remote_learners:
                self.learners[player] = LearnerView(player, self.remote_learners[player], None)
                self.log(f"learner {player} on {self.remote_learners[player]} (already running)")
            else:
                child = self._spawn(self._learner_child(player, resume=self.resume))
                self.learners[player] = LearnerView(player, "", child)
        for player, view in self.learners.items():
            if view.child is not None:
                found = self._wait_for_line(view.child, r"serving on port (\d+)", timeout)
                view.address = f"localhost:{found.group(1)}"
                self.log(f"learner {player} on {view.address}")
        for i in range(self.num_actors):
            player = self.players[i % len(self.players)]
            argv = ["actor", *self.config_args, "--learner", self.learners[player].address,
                    "--league", self.league_address, "--player", player, "--actor-id", f"actor_{i}"]
            child = Child(f"actor_{i}", argv, os.path.join(self.logs_dir, f"actor_{i}.log"))
            self._truncate(child)
            self.actors.append(self._spawn(child))

    def _learner_child(self, player: str, resume: bool) -> Child:
        argv = ["learner", *self.config_args, "--player", player, "--port", "0", "--league", self.league_address]
        if resume:
            argv.append("--resume")
        child = Child(f"learner_{player}", argv, os.path.join(self.logs_dir, f"learner_{player}.log"))
        if not resume:
            self._truncate(child)
        return child

    @staticmethod
    def _truncate(child: Child) -> None:
        open(child.log_path, "wb").close()

    def supervise(self) -> list[str]:
        """Restart crashed children (learners resume from their checkpoint); returns what happened."""
        events = []
        for view in self.learners.values():
            child = view.child
            if child is None or child.alive():
                continue
            if child.restarts >= self.max_restarts:
                continue
            child.restarts += 1
            child.argv = [a for a in child.argv if a != "--resume"] + ["--resume"]
            offset = os.path.getsize(child.log_path)
            self._spawn(child)
            found = self._wait_for_line(child, r"serving on port (\d+)", 180, offset)
            if f"localhost:{found.group(1)}" != view.address:
                events.append(f"learner {view.player_id} came back on a new port; restarting its actors")
                view.address = f"localhost:{found.group(1)}"
                self._stubs.pop(view.player_id, None)
                for actor in self.actors:
                    if actor.argv[actor.argv.index("--player") + 1] == view.player_id:
                        actor.argv[actor.argv.index("--learner") + 1] = view.address
                        self._terminate([actor], 10)
            events.append(f"learner {view.player_id} exited; restarted with --resume")
        for actor in self.actors:
            if not actor.alive() and actor.restarts < self.max_restarts:
                actor.restarts += 1
                self._spawn(actor)
                events.append(f"{actor.name} exited; restarted")
        return events

    # --- watching -------------------------------------------------------------------

    def learner_status(self, player: str) -> Optional[learner_pb2.LearnerStatus]:
        view = self.learners[player]
        if player not in self._stubs:
            self._stubs[player] = learner_pb2_grpc.LearnerStub(transport.open_channel(view.address))
        try:
            view.status = self._stubs[player].Status(
                learner_pb2.StatusRequest(), metadata=transport.auth_metadata(self.token), timeout=2)
        except grpc.RpcError:
            return None
        return view.status

    def standings(self):
        from protos import league_pb2, league_pb2_grpc

        stub = league_pb2_grpc.LeagueStub(transport.open_channel(self.league_address))
        try:
            return stub.Standings(league_pb2.StandingsRequest(), metadata=transport.auth_metadata(self.token), timeout=5)
        except grpc.RpcError:
            return None

    # --- stopping -------------------------------------------------------------------

    @staticmethod
    def _terminate(children: list[Child], timeout: float) -> None:
        for child in children:
            if child.alive():
                child.process.send_signal(signal.SIGTERM)
        deadline = time.time() + timeout
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()

    def stop(self) -> None:
        self._terminate(self.actors, 20)
        self._terminate([v.child for v in self.learners.values() if v.child], 60)
        if self.league_child:
            self._terminate([self.league_child], 20)

    def orphans(self) -> list[str]:
        return [c.name for c in self.children if c.alive()]
