"""The learner as a real process: SIGKILL + --resume keeps versions rising; a slow learner stays bounded."""

import re
import time

import numpy as np
import portpicker
import psutil
import pytest

from agent import transport, wire
from agent.actor import ActorStats, TrajectorySender
from protos import learner_pb2, learner_pb2_grpc
from runtime_helpers import make_trajectories, tiny_policy
import runtime_processes as procs


def _message(trajectory, sequence):
    return learner_pb2.TrajectoryMessage(player_id="main_0", actor_id="feeder", policy_version=0, unroll_length=4,
                                         codec=wire.CODEC, payload=wire.encode_trajectory(trajectory), sequence=sequence)


def _status(stub):
    try:
        return stub.Status(learner_pb2.StatusRequest(), metadata=transport.auth_metadata(procs.TOKEN), timeout=2)
    except Exception:
        return None


def _wait_status(stub, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = _status(stub)
        if status is not None and predicate(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"learner status never satisfied the condition; last: {_status(stub)}")


@pytest.mark.timeout(420)
def test_actor_sigkill_and_learner_sigkill_resume(tmp_path):
    """Real actor processes on the embedded engine against a real learner process.

    An actor SIGKILLed mid-stream leaves the learner training, with nothing rejected (every
    message is one whole, validated unroll); the learner SIGKILLed and restarted with
    --resume on the same port gets the surviving actor back by itself, and versions go on
    rising from the checkpoint.
    """
    port = portpicker.pick_unused_port()
    run = str(tmp_path)
    learner = procs.learner(run, port, "--set", "learner.checkpoint_every_seconds=2")
    learner.wait_for(r"serving on port")
    stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))
    doomed = procs.actor(run, port, "--actor-id", "doomed", "--envs", "1")
    survivor = procs.actor(run, port, "--actor-id", "survivor", "--envs", "1")
    restarted = None
    try:
        _wait_status(stub, lambda s: s.accepted >= 4, 200)
        doomed.kill()
        killed_at = _status(stub)
        after_actor_kill = _wait_status(stub, lambda s: s.learner_steps >= killed_at.learner_steps + 2, 120)
        assert dict(after_actor_kill.rejected_by_reason) == {}
        learner.wait_for(r"learner: checkpoint .*ckpt_", timeout=60)
        before = _wait_status(stub, lambda s: s.version >= 2, 60)
        learner.kill()
        restarted = procs.learner(run, port, "--resume", "--set", "learner.checkpoint_every_seconds=2")
        resumed = restarted.wait_for(r"resumed main_0 at step (\d+), version (\d+)", timeout=150)
        resumed_version = int(resumed.group(2))
        assert 1 <= resumed_version <= before.version + 5
        after = _wait_status(stub, lambda s: s.version >= resumed_version + 2 and s.accepted >= 2, 150)
        assert dict(after.rejected_by_reason) == {}
        assert survivor.popen.poll() is None, "the actor must outlive its learner's restart"
        assert survivor.stop() == 0
        assert re.search(r"reconnects [1-9]|reconnects=[1-9]", survivor.text()), survivor.text()[-2000:]
        # The first snapshot and at least one more (the follower only fetches when the learner's
        # version has moved when it polls, so how many more depends on timing).
        assert re.search(r"snapshots_loaded=([2-9]|\d\d)", survivor.text())
        assert restarted.stop() == 0
        assert "final checkpoint" in restarted.text()
    finally:
        for process in (doomed, survivor, learner, restarted):
            if process is not None and process.popen.poll() is None:
                process.kill()


@pytest.mark.timeout(120)
def test_slow_learner_keeps_queue_and_sender_buffers_bounded(tmp_path):
    port = portpicker.pick_unused_port()
    capacity, unsent_cap, streams, offered = 6, 4, 3, 150
    # The feeders offer trajectories hundreds of times faster than the learner trains on them.
    learner = procs.learner(str(tmp_path), port, "--set", f"learner.queue_capacity={capacity}")
    learner.wait_for(r"serving on port")
    trajectories = make_trajectories(tiny_policy(), 2, 4)
    for trajectory in trajectories:  # incompressible, so gRPC's flow-control windows fill up too
        scalars = trajectory.obs["entity_scalars"]
        trajectory.obs["entity_scalars"] = np.random.default_rng(0).random(scalars.shape, dtype=np.float32)
    senders = []
    for _ in range(streams):
        stats = ActorStats()
        stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))
        sender = TrajectorySender(stub, transport.auth_metadata(procs.TOKEN), unsent_cap, stats, 0.5, lambda line: None)
        for n in range(offered):
            sender.put(_message(trajectories[n % 2], n))
            time.sleep(0.005)
        senders.append((sender, stats))
    try:
        _wait_status(stub, lambda s: s.queue_depth == capacity, 30)
        # Memory once warmed up and full; it must not keep growing while actors push on.
        rss_full = psutil.Process(learner.popen.pid).memory_info().rss
        for _ in range(10):
            status = _status(stub)
            assert status.queue_depth <= capacity == status.queue_capacity
            # Taken in = trained on + queued + one batch being gathered + one waiting per stream.
            in_learner = status.accepted - status.learner_steps * 2
            assert in_learner <= capacity + 2 + streams, status
            time.sleep(0.3)
        for sender, stats in senders:
            assert sender.unsent() <= unsent_cap
            assert stats.dropped_unsent + stats.sent + sender.unsent() == offered
        growth_mb = (psutil.Process(learner.popen.pid).memory_info().rss - rss_full) / 1e6
        assert growth_mb < 50, f"learner grew {growth_mb:.0f} MB while its queue was full"
    finally:
        for sender, _ in senders:
            sender.close(timeout=0.5)
        learner.stop()


@pytest.mark.timeout(60)
def test_sender_without_learner_holds_a_bounded_buffer_and_drops_oldest():
    port = portpicker.pick_unused_port()  # nothing listens here
    stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))
    stats = ActorStats()
    sender = TrajectorySender(stub, transport.auth_metadata(procs.TOKEN), 8, stats, 0.2, lambda line: None)
    messages = [learner_pb2.TrajectoryMessage(player_id="main_0", sequence=n) for n in range(50)]
    for message in messages:
        sender.put(message)
    time.sleep(1.0)
    sender.close(timeout=0.5)
    assert stats.reconnects >= 1 and stats.sent == 0
    # A message taken by a stream that broke went back to the buffer: nothing vanished.
    assert sender.unsent() + stats.dropped_unsent == 50
    assert sender.unsent() == 8 and stats.dropped_unsent == 42
