"""The learner's gRPC face: trajectory intake (validated, bounded), snapshots, status.

Nothing here trains. `LearnerService` decodes and checks every incoming trajectory
and puts the good ones on a bounded `TrajectoryQueue`; when the queue is full the
stream handler waits, so a slow learner slows its actors (backpressure through gRPC
flow control) instead of growing memory. Each TrajectoryMessage is one complete
unroll, so an actor dying mid-stream can never leave half a trajectory behind.
"""

from __future__ import annotations

import collections
import dataclasses
import queue
import threading
import time
from collections import Counter
from typing import Callable, Iterator

import grpc

from agent import snapshot as snapshot_format
from agent import wire
from agent.trajectory_schema import TrajectoryRejected, TrajectorySchema
from protos import learner_pb2, learner_pb2_grpc


@dataclasses.dataclass
class QueuedTrajectory:
    trajectory: wire.Trajectory
    policy_version: int
    actor_id: str
    received_at: float
    payload: bytes = b""  # the compressed form, kept for the replay buffer
    env_frames: int = 0


class TrajectoryQueue:
    """A bounded FIFO; `put` waits (and gives up when `stop` is set) instead of growing."""

    def __init__(self, capacity: int):
        self._queue: queue.Queue[QueuedTrajectory] = queue.Queue(maxsize=capacity)
        self.capacity = capacity

    def put(self, item: QueuedTrajectory, stop: threading.Event, context: grpc.ServicerContext | None = None) -> bool:
        while not stop.is_set() and (context is None or context.is_active()):
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get_batch(self, size: int, stop: threading.Event) -> list[QueuedTrajectory] | None:
        """Block until `size` items are there (None if stopped first)."""
        items: list[QueuedTrajectory] = []
        while len(items) < size:
            if stop.is_set():
                self.put_back(items)  # a checkpointing stop loses nothing
                return None
            try:
                items.append(self._queue.get(timeout=0.1))
            except queue.Empty:
                continue
        return items

    def put_back(self, items: list[QueuedTrajectory]) -> None:
        """Return taken items (as far as they fit) when a batch is abandoned."""
        for item in items:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                break

    def depth(self) -> int:
        return self._queue.qsize()


class SnapshotStore:
    """The last few published parameter versions as safetensors bytes with their sha256."""

    def __init__(self, player_id: str, keep: int = 4):
        self.player_id = player_id
        self._versions: collections.OrderedDict[int, tuple[bytes, str]] = collections.OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def publish(self, version: int, data: bytes) -> None:
        digest = snapshot_format.sha256_hex(data)
        with self._lock:
            self._versions[version] = (data, digest)
            while len(self._versions) > self._keep:
                self._versions.popitem(last=False)

    def latest_version(self) -> int:
        with self._lock:
            return next(reversed(self._versions)) if self._versions else -1

    def get(self, version: int | None) -> tuple[int, bytes, str] | None:
        with self._lock:
            if not self._versions:
                return None
            if version is None:
                version = next(reversed(self._versions))
            if version not in self._versions:
                return None
            data, digest = self._versions[version]
            return version, data, digest


class Counters:
    """Thread-safe counters (accepted, rejected by reason)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.accepted = 0
        self.rejected: Counter[str] = Counter()

    def accept(self) -> None:
        with self._lock:
            self.accepted += 1

    def reject(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason] += 1

    def snapshot(self) -> tuple[int, dict[str, int]]:
        with self._lock:
            return self.accepted, dict(self.rejected)


@dataclasses.dataclass
class IntakeLimits:
    max_payload_bytes: int = 16 * 1024 * 1024
    max_decoded_bytes: int = 256 * 1024 * 1024


class LearnerService(learner_pb2_grpc.LearnerServicer):
    def __init__(
        self,
        player_id: str,
        schema: TrajectorySchema,
        trajectories: TrajectoryQueue,
        snapshots: SnapshotStore,
        counters: Counters,
        status: Callable[[], learner_pb2.LearnerStatus],
        stop: threading.Event,
        limits: IntakeLimits = IntakeLimits(),
        log: Callable[[str], None] = print,
    ):
        self.player_id = player_id
        self.schema = schema
        self.trajectories = trajectories
        self.snapshots = snapshots
        self.counters = counters
        self._status = status
        self._stop = stop
        self.limits = limits
        self._log = log
        self._last_logged: dict[str, float] = {}

    def admit(self, message: learner_pb2.TrajectoryMessage) -> wire.Trajectory:
        """Decode and check one message; raises TrajectoryRejected."""
        if message.player_id != self.player_id:
            raise TrajectoryRejected("wrong_player", f"trajectory for {message.player_id!r}, this learner trains {self.player_id!r}")
        if message.codec != wire.CODEC:
            raise TrajectoryRejected("codec", f"codec {message.codec!r}, expected {wire.CODEC!r}")
        if len(message.payload) > self.limits.max_payload_bytes:
            raise TrajectoryRejected("too_large", f"payload of {len(message.payload)} bytes, limit {self.limits.max_payload_bytes}")
        if message.unroll_length != self.schema.unroll_length:
            raise TrajectoryRejected("shape", f"unroll length {message.unroll_length}, expected {self.schema.unroll_length}")
        try:
            trajectory = wire.decode_trajectory(message.payload, self.limits.max_decoded_bytes)
        except wire.WireError as error:
            reason = "too_large" if "over the limit" in str(error) else "malformed"
            raise TrajectoryRejected(reason, str(error)) from None
        self.schema.check(trajectory)
        return trajectory

    def SendTrajectories(self, request_iterator: Iterator[learner_pb2.TrajectoryMessage], context):
        accepted, rejected = 0, Counter()
        for message in request_iterator:
            try:
                trajectory = self.admit(message)
            except TrajectoryRejected as error:
                rejected[error.reason] += 1
                self.counters.reject(error.reason)
                self._log_rejection(message.actor_id, error)
                continue
            item = QueuedTrajectory(trajectory, message.policy_version, message.actor_id, time.time(), message.payload,
                                    max(message.env_frames, trajectory.unroll_length))
            if not self.trajectories.put(item, self._stop, context):
                break  # shutting down or the actor went away
            accepted += 1
            self.counters.accept()
        return learner_pb2.TrajectoryAck(
            accepted=accepted,
            rejected=sum(rejected.values()),
            rejected_by_reason=dict(rejected),
            learner_version=self.snapshots.latest_version(),
        )

    def GetSnapshot(self, request: learner_pb2.LearnerSnapshotRequest, context):
        found = self.snapshots.get(None if request.latest else request.version)
        if found is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"snapshot version {request.version} is not kept (latest {self.snapshots.latest_version()})")
        version, data, digest = found
        yield from snapshot_format.chunk_snapshot(data, self.player_id, version, sha256=digest)

    def Status(self, request, context):
        return self._status()

    def _log_rejection(self, actor_id: str, error: TrajectoryRejected) -> None:
        # At most one line per reason every 5 s: a broken actor must not flood the log.
        now = time.time()
        if now - self._last_logged.get(error.reason, 0.0) > 5.0:
            self._last_logged[error.reason] = now
            self._log(f"learner: rejected trajectory from {actor_id or '?'}: {error}")

