"""The learner process: one per learning player (`starleague learner --player main_0`).

It serves agent/learner_service.py (trajectory intake, snapshots, status, health) on
one port, and runs the training loop in the main thread: bounded queue -> [T, B] batch
(+ the configured replay share) -> `learning.learn` -> version v+1 -> snapshot
published for the actors. Around that loop: atomic checkpoints on a schedule and on
SIGTERM (`--resume` continues from the newest good one), metrics to TensorBoard and a
one-line progress display, and check-ins with the league, which may ask it to freeze
a snapshot (uploaded with PutSnapshot) and to reset to its initial parameters.
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import glob
import json
import os
import threading
import time
from typing import Any, Callable

import grpc
import torch
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from agent import learning, snapshot, transport, wire
from agent.learner_service import Counters, IntakeLimits, LearnerService, SnapshotStore, TrajectoryQueue
from agent.rl.config import RLConfig
from agent.rl.replay import ReplayBuffer, replay_split
from agent.runtime_config import LearnerConfig
from agent.trajectory_schema import TrajectorySchema
from protos import common_pb2, learner_pb2, learner_pb2_grpc


class LearnerError(RuntimeError):
    """The learner cannot start or continue (bad checkpoint directory, port in use, ...)."""


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def trajectory_schema(policy: Any, unroll_length: int) -> TrajectorySchema:
    """What this policy's actors must send (from its FeatureSpec and core state)."""
    spec = policy.spec
    return TrajectorySchema.from_spec(unroll_length, spec.shapes(), spec.action_shapes(), policy.initial_state(1))


class Checkpoints:
    """Atomic checkpoints in one folder: ckpt_<step>.pt (temp file + rename), newest kept."""

    def __init__(self, directory: str, keep: int):
        self.directory = directory
        self.keep = keep
        os.makedirs(directory, exist_ok=True)

    def save(self, state: dict[str, Any]) -> str:
        path = os.path.join(self.directory, f"ckpt_{state['step']:010d}.pt")
        tmp = f"{path}.tmp.{os.getpid()}"
        torch.save(state, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        for old in self.paths()[: -self.keep]:
            os.remove(old)
        return path

    def paths(self) -> list[str]:
        return sorted(glob.glob(os.path.join(self.directory, "ckpt_*.pt")))

    def load_latest(self, log: Callable[[str], None]) -> dict[str, Any] | None:
        """The newest checkpoint that loads; a corrupt one is reported and skipped."""
        for path in reversed(self.paths()):
            try:
                return torch.load(path, map_location="cpu", weights_only=True)
            except Exception as error:  # a truncated or foreign file: try the previous one
                log(f"learner: skipping unreadable checkpoint {path}: {error}")
        return None


def too_stale(learner_version: int, policy_version: int, max_policy_lag: int) -> bool:
    """Whether a trajectory started at policy_version is over the lag limit (0 = no limit)."""
    return max_policy_lag > 0 and learner_version - policy_version > max_policy_lag


@dataclasses.dataclass
class Progress:
    """Counters the loop updates and Status reports."""

    version: int = 0
    steps: int = 0
    frames: int = 0  # env frames of the fresh trajectories trained on
    agent_steps: int = 0  # T x B per learner step
    train_seconds: float = 0.0  # wall time in the training loop, summed over resumes (the lr schedule's clock)
    frames_per_second: float = 0.0
    steps_per_second: float = 0.0
    mean_policy_lag: float = 0.0
    last_metrics: dict[str, float] = dataclasses.field(default_factory=dict)


class Learner:
    def __init__(
        self,
        player_id: str,
        policy: torch.nn.Module,
        rl_config: RLConfig,
        config: LearnerConfig,
        run_dir: str,
        token: str,
        run_config: dict[str, Any] | None = None,
        league: "LeagueLink | None" = None,
        tls: transport.TLSFiles | None = None,
        resume: bool = False,
        log: Callable[[str], None] = print,
    ):
        if config.batch_size > config.queue_capacity:
            raise LearnerError(f"learner.batch_size {config.batch_size} is over learner.queue_capacity "
                               f"{config.queue_capacity}: a batch must fit in the bounded queue")
        for schedule in ("learning_rate", "entropy_cost"):
            end = getattr(config, f"{schedule}_anneal_seconds")
            start = getattr(config, f"{schedule}_anneal_start_seconds")
            if 0 < end <= start:
                raise LearnerError(f"learner.{schedule}_anneal_start_seconds {start} is not before "
                                   f"learner.{schedule}_anneal_seconds {end}")
        if config.max_policy_lag < 0:
            raise LearnerError(f"learner.max_policy_lag {config.max_policy_lag}: expected versions >= 0 (0 = no limit)")
        self.player_id = player_id
        self.config = config
        self.rl_config = rl_config
        self.run_config = run_config or {}
        self.log = log
        self.device = pick_device(config.device)
        try:
            learning.forward_precision(config.precision, self.device)  # fail at start, not at the first batch
        except ValueError as error:
            raise LearnerError(str(error)) from None
        self.policy = policy.to(self.device)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=config.learning_rate)
        self.progress = Progress()
        self.stop_event = threading.Event()
        self.counters = Counters()
        self.queue = TrajectoryQueue(config.queue_capacity)
        self.snapshots = SnapshotStore(player_id, keep=config.snapshots_kept)
        self.checkpoints = Checkpoints(os.path.join(run_dir, "checkpoints", player_id), config.checkpoint_keep)
        self.log_dir = os.path.join(run_dir, "logs", f"learner_{player_id}")
        self.league = league
        self._replay = self._make_replay()
        self._initial_params = self._initial_parameters()
        self.teacher = self._make_teacher()
        if resume:
            self._resume()
        self._publish()

        schema = trajectory_schema(self.policy, config.unroll_length)
        limits = IntakeLimits(max_payload_bytes=int(config.max_payload_mb * 1024 * 1024))
        self.service = LearnerService(
            player_id, schema, self.queue, self.snapshots, self.counters, self.status, self.stop_event, limits, log
        )
        self.auth = transport.TokenAuthInterceptor(token)
        self.server = grpc.server(
            concurrent.futures.ThreadPoolExecutor(max_workers=config.max_streams + 8),
            interceptors=[self.auth],
            options=transport.channel_options(),
            maximum_concurrent_rpcs=config.max_streams + 8,
        )
        learner_pb2_grpc.add_LearnerServicer_to_server(self.service, self.server)
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self._tls = tls
        self.port = 0

    # --- parameters -----------------------------------------------------------------

    def _initial_parameters(self) -> dict[str, torch.Tensor]:
        """The parameters a league `reset` returns to; kept on disk so a restart keeps them."""
        path = os.path.join(self.checkpoints.directory, "initial.safetensors")
        if os.path.exists(path):
            with open(path, "rb") as f:
                params = snapshot.decode_snapshot(f.read())
            self.policy.load_state_dict(params)
            return params
        if self.config.initial_params:
            self._load_initial_params(self.config.initial_params)
        params = {k: v.detach().cpu().clone() for k, v in self.policy.state_dict().items()}
        tmp = f"{path}.tmp.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(snapshot.encode_snapshot(params, self._snapshot_metadata("initial")))
        os.replace(tmp, path)
        return params

    def _make_teacher(self) -> torch.nn.Module | None:
        """rl.teacher_kl_cost > 0: a frozen copy of the policy at learner.initial_params (AlphaStar's KL
        towards the supervised policy). The copy lives on the learner's device beside the policy."""
        if self.rl_config.teacher_kl_cost <= 0.0:
            return None
        if not self.config.initial_params:
            raise LearnerError("rl.teacher_kl_cost > 0 needs learner.initial_params: the KL term pulls the policy "
                               "towards the policy in that file (e.g. the behaviour-cloned one)")
        teacher = copy.deepcopy(self.policy)
        with open(self.config.initial_params, "rb") as f:
            teacher.load_state_dict(snapshot.decode_snapshot(f.read()))
        for parameter in teacher.parameters():
            parameter.requires_grad_(False)
        return teacher.eval()

    def _load_initial_params(self, path: str) -> None:
        """learner.initial_params: a snapshot of this same model, or a clear error."""
        try:
            with open(path, "rb") as f:
                params = snapshot.decode_snapshot(f.read())
        except (OSError, snapshot.SnapshotError) as error:
            raise LearnerError(f"learner.initial_params {path!r}: {error}") from None
        mine = self.policy.state_dict()
        missing, extra = sorted(set(mine) - set(params)), sorted(set(params) - set(mine))
        wrong = sorted(k for k in set(mine) & set(params) if tuple(mine[k].shape) != tuple(params[k].shape))
        if missing or extra or wrong:
            raise LearnerError(f"learner.initial_params {path!r} is not a snapshot of this model: missing "
                               f"{missing[:3]}, unexpected {extra[:3]}, other shapes {wrong[:3]} (build it with "
                               f"the same model settings)")
        self.policy.load_state_dict(params)
        self.log(f"learner: {self.player_id} starts from {path}")

    def _resume(self) -> None:
        state = self.checkpoints.load_latest(self.log)
        if state is None:
            self.log(f"learner: --resume found no checkpoint in {self.checkpoints.directory}; starting fresh")
            return
        self.policy.load_state_dict(state["params"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.progress.steps = int(state["step"])
        self.progress.version = int(state["version"])
        self.progress.frames = int(state["frames"])
        self.progress.agent_steps = int(state.get("agent_steps", 0))
        self.progress.train_seconds = float(state.get("train_seconds", 0.0))
        self.log(f"learner: resumed {self.player_id} at step {self.progress.steps}, version {self.progress.version}")

    def checkpoint(self) -> str:
        state = {
            "params": {k: v.detach().cpu() for k, v in self.policy.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "step": self.progress.steps,
            "version": self.progress.version,
            "frames": self.progress.frames,
            "agent_steps": self.progress.agent_steps,
            "train_seconds": self.progress.train_seconds,
            "player_id": self.player_id,
            "config": self.run_config,
        }
        return self.checkpoints.save(state)

    def _snapshot_metadata(self, version: str) -> dict[str, str]:
        """Player, version and the model config: a snapshot file rebuilds its policy alone."""
        metadata = {"player_id": self.player_id, "version": version}
        if "model" in self.run_config:
            metadata["model_config"] = json.dumps(self.run_config["model"], sort_keys=True)
        return metadata

    def _publish(self) -> None:
        data = snapshot.encode_snapshot(self.policy.state_dict(), self._snapshot_metadata(str(self.progress.version)))
        self.snapshots.publish(self.progress.version, data)

    def reset_parameters(self) -> None:
        """League `reset` (exploiters): back to the initial parameters, fresh optimizer."""
        self.policy.load_state_dict(self._initial_params)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=self.config.learning_rate)

    def _schedule_learning_rate(self) -> float:
        learning_rate = learning.annealed(self.config.learning_rate, self.progress.train_seconds,
                                          self.config.learning_rate_anneal_seconds,
                                          self.config.learning_rate_anneal_start_seconds)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        return learning_rate

    def _scheduled_rl_config(self) -> RLConfig:
        """The RL settings for this step: rl.entropy_cost on its schedule when one is set."""
        if self.config.entropy_cost_anneal_seconds <= 0:
            return self.rl_config
        entropy_cost = learning.annealed(self.rl_config.entropy_cost, self.progress.train_seconds,
                                         self.config.entropy_cost_anneal_seconds,
                                         self.config.entropy_cost_anneal_start_seconds)
        return dataclasses.replace(self.rl_config, entropy_cost=entropy_cost)

    # --- serving --------------------------------------------------------------------

    def serve(self, address: str) -> int:
        self.port = transport.add_port(self.server, address, self._tls)
        self.server.start()
        self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        self.health.set("starleague.Learner", health_pb2.HealthCheckResponse.SERVING)
        return self.port

    def status(self) -> learner_pb2.LearnerStatus:
        accepted, rejected = self.counters.snapshot()
        for reason, count in self.auth.rejected.items():
            rejected[f"auth_{reason}"] = count
        p = self.progress
        return learner_pb2.LearnerStatus(
            player_id=self.player_id,
            version=p.version,
            learner_steps=p.steps,
            frames=p.frames,
            agent_steps=p.agent_steps,
            queue_depth=self.queue.depth(),
            queue_capacity=self.queue.capacity,
            accepted=accepted,
            rejected_by_reason=rejected,
            frames_per_second=p.frames_per_second,
            steps_per_second=p.steps_per_second,
            mean_policy_lag=p.mean_policy_lag,
            heartbeat=common_pb2.Heartbeat(process=f"learner:{self.player_id}", unix_time=time.time(), state="training"),
            last_metrics=p.last_metrics,
        )

    # --- training -------------------------------------------------------------------

    def _make_replay(self):
        if self.rl_config.replay_proportion <= 0:
            return None
        return ReplayBuffer.from_config(self.rl_config)

    def _fresh_items(self, n: int) -> list | None:
        """n queued trajectories, dropping those over learner.max_policy_lag (counted as "stale")."""
        kept: list = []
        while len(kept) < n:
            items = self.queue.get_batch(n - len(kept), self.stop_event)
            if items is None:
                self.queue.put_back(kept)
                return None
            for item in items:
                if too_stale(self.progress.version, item.policy_version, self.config.max_policy_lag):
                    self.counters.reject("stale")
                else:
                    kept.append(item)
        return kept

    def _next_batch(self) -> tuple[learning.Batch, int] | None:
        """B trajectories: the replay share from the buffer, the rest fresh from the queue."""
        B = self.config.batch_size
        n_fresh, n_replay = B, 0
        if self._replay is not None:
            n_fresh, n_replay = replay_split(B, self.rl_config.replay_proportion, len(self._replay))
        items = self._fresh_items(n_fresh)
        if items is None:
            return None
        trajectories = [item.trajectory for item in items]
        versions = [item.policy_version for item in items]
        if self._replay is not None:
            # Sample before adding this batch's fresh ones, so nothing appears twice in a batch.
            for replayed in self._replay.sample(n_replay, self.progress.version) if n_replay else []:
                trajectories.append(wire.decode_trajectory(replayed.payload))
                versions.append(replayed.policy_version)
            for item in items:
                self._replay.add(item.payload, item.policy_version)
        env_frames = sum(item.env_frames for item in items)
        return learning.make_batch(trajectories, versions, self.device), env_frames

    def train(self, max_steps: int | None = None, max_seconds: float | None = None) -> None:
        """Train until stopped (SIGTERM/stop()), `max_steps` more steps or `max_seconds`; checkpoints at the end."""
        writer = _tensorboard(self.log_dir)
        start = time.time()
        last_log = last_checkpoint = last_step = start
        window_frames = window_steps = 0
        window_start = start
        target_step = self.progress.steps + max_steps if max_steps else None
        if self.league is not None:
            # Announce this learner's address before the first batch arrives: actors of
            # other players need it to play this one as their opponent.
            self.league.maybe_checkin(self)
        try:
            while not self.stop_event.is_set():
                if target_step is not None and self.progress.steps >= target_step:
                    break
                if max_seconds is not None and time.time() - start >= max_seconds:
                    break
                next_batch = self._next_batch()
                if next_batch is None:
                    break
                batch, env_frames = next_batch
                lag = (self.progress.version - batch.policy_version).float().mean().item()
                learning_rate = self._schedule_learning_rate()
                rl_config = self._scheduled_rl_config()
                self.policy.train()
                metrics = learning.learn(batch, self.policy, self.optimizer, rl_config, self.config.max_grad_norm,
                                         self.config.precision, teacher=self.teacher)
                p = self.progress
                p.steps += 1
                p.frames += env_frames
                p.agent_steps += batch.frames
                p.version += 1
                if p.steps % self.config.publish_every_steps == 0:
                    self._publish()
                window_frames += env_frames
                window_steps += 1
                metrics["policy_lag"] = lag
                metrics["learning_rate"] = learning_rate
                metrics["entropy_cost"] = rl_config.entropy_cost
                metrics["queue_depth"] = float(self.queue.depth())
                p.last_metrics = metrics
                now = time.time()
                p.train_seconds += now - last_step
                last_step = now
                if now - last_log >= self.config.log_every_seconds:
                    p.frames_per_second = window_frames / (now - window_start)
                    p.steps_per_second = window_steps / (now - window_start)
                    p.mean_policy_lag = lag
                    window_frames = window_steps = 0
                    window_start = last_log = now
                    self._report(writer, metrics)
                if now - last_checkpoint >= self.config.checkpoint_every_seconds:
                    self.log(f"learner: checkpoint {self.checkpoint()}")
                    last_checkpoint = now
                if self.league is not None:
                    self.league.maybe_checkin(self)
        finally:
            path = self.checkpoint()
            self.log(f"learner: final checkpoint {path} (step {self.progress.steps}, version {self.progress.version})")
            if writer is not None:
                writer.close()

    def _report(self, writer, metrics: dict[str, float]) -> None:
        p = self.progress
        accepted, rejected = self.counters.snapshot()
        if writer is not None:
            for name, value in metrics.items():
                writer.add_scalar(name, value, p.steps)
            writer.add_scalar("throughput/frames_per_second", p.frames_per_second, p.steps)
            writer.add_scalar("throughput/steps_per_second", p.steps_per_second, p.steps)
            writer.flush()
        rejected_total = sum(rejected.values()) + sum(self.auth.rejected.values())
        self.log(
            f"learner {self.player_id}: step {p.steps} v{p.version} frames {p.frames} "
            f"{p.frames_per_second:.0f} fps {p.steps_per_second:.2f} steps/s lag {p.mean_policy_lag:.1f} "
            f"queue {self.queue.depth()}/{self.queue.capacity} loss {metrics['loss/total']:.3f} "
            f"entropy {metrics['entropy']:.3f} rho {metrics['rho/mean']:.2f} reward {metrics['reward/mean']:.3f} "
            f"accepted {accepted} rejected {rejected_total}"
        )

    def stop(self) -> None:
        self.stop_event.set()

    def shutdown(self, grace: float = 1.0) -> None:
        self.stop_event.set()
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()


def _tensorboard(log_dir: str):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard missing: the progress line still works
        return None
    os.makedirs(log_dir, exist_ok=True)
    return SummaryWriter(log_dir)


class LeagueLink:
    """The learner's side of the league: periodic LearnerCheckin, PutSnapshot on freeze."""

    def __init__(self, address: str, token: str, learner_address: str, every_seconds: float,
                 tls: transport.TLSFiles | None = None, log: Callable[[str], None] = print):
        from protos import league_pb2, league_pb2_grpc

        self._pb = league_pb2
        self._stub = league_pb2_grpc.LeagueStub(transport.open_channel(address, tls))
        self._metadata = transport.auth_metadata(token)
        self.learner_address = learner_address
        self.every_seconds = every_seconds
        self._last = 0.0
        self.failures = 0
        self.frozen: list[str] = []
        self.log = log

    def maybe_checkin(self, learner: Learner) -> None:
        now = time.time()
        if now - self._last < self.every_seconds:
            return
        self._last = now
        p = learner.progress
        try:
            reply = self._stub.LearnerCheckin(
                self._pb.CheckinRequest(player_id=learner.player_id, version=p.version,
                                        learner_steps=p.agent_steps, learner_address=self.learner_address),
                metadata=self._metadata, timeout=10,
            )
            if reply.freeze:
                found = learner.snapshots.get(None)
                version, data, digest = found
                ack = self._stub.PutSnapshot(
                    snapshot.chunk_snapshot(data, learner.player_id, version, sha256=digest),
                    metadata=self._metadata, timeout=60,
                )
                self.frozen.append(ack.snapshot_id)
                self.log(f"learner: froze {ack.snapshot_id} for the league ({reply.reason})")
            if reply.reset:
                learner.reset_parameters()
                self.log(f"learner: reset {learner.player_id} to its initial parameters ({reply.reason})")
        except grpc.RpcError as error:
            self.failures += 1
            self.log(f"learner: league check-in failed ({error.code().name}: {error.details()}); training on")

