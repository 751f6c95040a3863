"""The learner's gRPC intake on localhost: bad input is refused, counted, and training goes on."""

import threading

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from agent import learning, transport, wire
from agent.learner import Learner, LearnerError, too_stale
from agent.rl.config import RLConfig
from agent.runtime_config import LearnerConfig
from protos import learner_pb2, learner_pb2_grpc
from runtime_helpers import make_trajectories, tiny_policy

T = 4
TOKEN = "test-token"


def _message(trajectory, player="main_0", payload=None, version=0):
    payload = wire.encode_trajectory(trajectory) if payload is None else payload
    return learner_pb2.TrajectoryMessage(player_id=player, actor_id="test", policy_version=version, unroll_length=T,
                                         codec=wire.CODEC, payload=payload)


@pytest.fixture
def learner(tmp_path):
    config = LearnerConfig(batch_size=2, unroll_length=T, queue_capacity=8, max_payload_mb=0.25,
                           checkpoint_every_seconds=1e9, log_every_seconds=0.0)
    learner = Learner("main_0", tiny_policy(), RLConfig(), config, str(tmp_path), TOKEN, log=lambda line: None)
    port = learner.serve("localhost:0")
    yield learner, f"localhost:{port}"
    learner.shutdown(grace=0)


@pytest.mark.timeout(120)
def test_bad_trajectories_are_rejected_counted_and_training_goes_on(learner):
    learner, address = learner
    good = make_trajectories(learner.policy, 6, T)
    wrong_shape = make_trajectories(learner.policy, 1, T)[0]
    wrong_shape.obs["entity_mask"] = wrong_shape.obs["entity_mask"][:, :-1]
    non_finite = make_trajectories(learner.policy, 1, T)[0]
    non_finite.reward = non_finite.reward.copy()
    non_finite.reward[1] = np.nan
    wrong_dtype = make_trajectories(learner.policy, 1, T)[0]
    wrong_dtype.reward = wrong_dtype.reward.astype(np.float64)
    missing = make_trajectories(learner.policy, 1, T)[0]
    del missing.actions["delay"]
    oversized = np.random.default_rng(0).integers(0, 255, 400_000, dtype=np.uint8).tobytes()

    trainer = threading.Thread(target=learner.train, kwargs={"max_steps": 3}, daemon=True)
    trainer.start()
    channel = transport.open_channel(address)
    stub = learner_pb2_grpc.LearnerStub(channel)
    metadata = transport.auth_metadata(TOKEN)
    messages = [
        _message(good[0]), _message(good[0], payload=b"\x28\xb5\x2f\xfd garbage"), _message(wrong_shape),
        _message(good[1]), _message(non_finite), _message(wrong_dtype), _message(missing),
        _message(good[2], payload=oversized), _message(good[2], player="main_exploiter_0"), *map(_message, good[2:]),
    ]
    ack = stub.SendTrajectories(iter(messages), metadata=metadata, timeout=60)
    assert ack.accepted == 6
    assert dict(ack.rejected_by_reason) == {"malformed": 1, "shape": 1, "non_finite": 1, "dtype": 1, "schema": 1,
                                            "too_large": 1, "wrong_player": 1}

    for bad_metadata, reason in ((transport.auth_metadata("wrong"), "auth_wrong_token"), ((), "auth_missing_token")):
        with pytest.raises(grpc.RpcError) as error:
            stub.SendTrajectories(iter([_message(good[0])]), metadata=bad_metadata, timeout=10)
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError):
            stub.Status(learner_pb2.StatusRequest(), metadata=bad_metadata, timeout=10)

    trainer.join(timeout=90)
    assert not trainer.is_alive()
    status = stub.Status(learner_pb2.StatusRequest(), metadata=metadata, timeout=10)
    assert status.learner_steps == 3 and status.version == 3
    assert status.rejected_by_reason["auth_wrong_token"] == 2 and status.rejected_by_reason["auth_missing_token"] == 2
    assert status.rejected_by_reason["non_finite"] == 1 and status.accepted == 6
    assert all(np.isfinite(v) for v in status.last_metrics.values())
    # Health needs no token (Kubernetes probes cannot send one).
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    # Snapshots of the newest version are served in checked chunks.
    from agent.actor import fetch_learner_snapshot

    version, params = fetch_learner_snapshot(stub, metadata)
    assert version == 3 and set(params) == set(learner.policy.state_dict())
    channel.close()


@pytest.mark.timeout(60)
def test_tls_with_cert_files(tmp_path):
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    config = LearnerConfig(batch_size=2, unroll_length=T)
    learner = Learner("main_0", tiny_policy(), RLConfig(), config, str(tmp_path), TOKEN,
                      tls=transport.TLSFiles(cert=cert, key=key), log=lambda line: None)
    port = learner.serve("localhost:0")
    try:
        secure = transport.open_channel(f"localhost:{port}", transport.TLSFiles(ca=cert))
        status = learner_pb2_grpc.LearnerStub(secure).Status(
            learner_pb2.StatusRequest(), metadata=transport.auth_metadata(TOKEN), timeout=20)
        assert status.player_id == "main_0"
        plain = transport.open_channel(f"localhost:{port}")
        with pytest.raises(grpc.RpcError) as error:
            learner_pb2_grpc.LearnerStub(plain).Status(
                learner_pb2.StatusRequest(), metadata=transport.auth_metadata(TOKEN), timeout=5)
        assert error.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    finally:
        learner.shutdown(grace=0)


@pytest.mark.timeout(90)
def test_replay_share_lets_the_learner_reuse_trajectories(tmp_path):
    # 4 fresh trajectories, B = 2: without replay that is 2 learner steps; with half of each
    # batch replayed (after the first), 3 steps need only 4 fresh ones.
    config = LearnerConfig(batch_size=2, unroll_length=T, queue_capacity=8, log_every_seconds=0.0)
    rl = RLConfig(replay_proportion=0.5, replay_capacity=16)
    learner = Learner("main_0", tiny_policy(), rl, config, str(tmp_path), TOKEN, log=lambda line: None)
    port = learner.serve("localhost:0")
    try:
        stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))
        ack = stub.SendTrajectories(iter([_message(t) for t in make_trajectories(learner.policy, 4, T)]),
                                    metadata=transport.auth_metadata(TOKEN), timeout=60)
        assert ack.accepted == 4
        learner.train(max_steps=3, max_seconds=60)
        assert learner.progress.steps == 3
        assert learner._replay.stats().replayed >= 2
    finally:
        learner.shutdown(grace=0)


def test_the_policy_lag_limit():
    assert not too_stale(10, 7, 3) and too_stale(10, 6, 3)
    assert not too_stale(10, 0, 0)  # 0: no limit
    with pytest.raises(LearnerError, match="max_policy_lag"):
        Learner("main_0", tiny_policy(), RLConfig(), LearnerConfig(max_policy_lag=-1), "unused", TOKEN)


@pytest.mark.timeout(90)
def test_trajectories_over_the_policy_lag_limit_are_dropped_and_counted(tmp_path):
    config = LearnerConfig(batch_size=2, unroll_length=T, queue_capacity=8, log_every_seconds=0.0, max_policy_lag=3)
    learner = Learner("main_0", tiny_policy(), RLConfig(), config, str(tmp_path), TOKEN, log=lambda line: None)
    learner.progress.version = 10  # the learner has moved on since the oldest of these were played
    port = learner.serve("localhost:0")
    try:
        stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))
        trajectories = make_trajectories(learner.policy, 4, T)
        messages = [_message(t, version=v) for t, v in zip(trajectories, (0, 9, 6, 7))]
        ack = stub.SendTrajectories(iter(messages), metadata=transport.auth_metadata(TOKEN), timeout=60)
        assert ack.accepted == 4
        learner.train(max_steps=1, max_seconds=60)
        assert learner.progress.steps == 1
        assert learner.progress.last_metrics["policy_lag"] == 2.0  # trained on versions 9 and 7 only
        assert learner.queue.depth() == 0
        status = stub.Status(learner_pb2.StatusRequest(), metadata=transport.auth_metadata(TOKEN), timeout=10)
        assert status.rejected_by_reason["stale"] == 2  # versions 0 and 6: 10 and 4 behind
    finally:
        learner.shutdown(grace=0)


def test_the_annealed_learning_rate():
    assert learning.annealed(3e-4, 0.0, 600.0) == 3e-4
    assert learning.annealed(3e-4, 150.0, 600.0) == pytest.approx(2.25e-4)
    assert learning.annealed(3e-4, 600.0, 600.0) == 0.0
    assert learning.annealed(3e-4, 900.0, 600.0) == 0.0  # past the schedule: no updates
    assert learning.annealed(3e-4, 900.0, 0.0) == 3e-4  # 0: constant
    # held for the first 400 s, then down to 0 at 600 s
    assert learning.annealed(3e-4, 399.0, 600.0, 400.0) == 3e-4
    assert learning.annealed(3e-4, 500.0, 600.0, 400.0) == pytest.approx(1.5e-4)
    assert learning.annealed(3e-4, 650.0, 600.0, 400.0) == 0.0
    with pytest.raises(LearnerError, match="learning_rate_anneal_start_seconds"):
        Learner("main_0", tiny_policy(), RLConfig(), LearnerConfig(learning_rate_anneal_seconds=600.0,
                learning_rate_anneal_start_seconds=600.0), "unused", TOKEN)
    with pytest.raises(LearnerError, match="entropy_cost_anneal_start_seconds"):
        Learner("main_0", tiny_policy(), RLConfig(), LearnerConfig(entropy_cost_anneal_seconds=600.0,
                entropy_cost_anneal_start_seconds=700.0), "unused", TOKEN)


@pytest.mark.timeout(90)
def test_the_learning_rate_anneals_on_training_time_kept_across_a_resume(tmp_path):
    config = LearnerConfig(batch_size=2, unroll_length=T, queue_capacity=8, log_every_seconds=0.0,
                           learning_rate=1e-3, learning_rate_anneal_seconds=1000.0,
                           entropy_cost_anneal_seconds=1200.0, entropy_cost_anneal_start_seconds=600.0)
    learner = Learner("main_0", tiny_policy(), RLConfig(entropy_cost=0.01), config, str(tmp_path), TOKEN,
                      log=lambda line: None)
    learner.progress.train_seconds = 750.0  # three quarters through the schedule
    port = learner.serve("localhost:0")
    try:
        stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))
        stub.SendTrajectories(iter([_message(t) for t in make_trajectories(learner.policy, 2, T)]),
                              metadata=transport.auth_metadata(TOKEN), timeout=60)
        learner.train(max_steps=1, max_seconds=60)  # checkpoints at the end
    finally:
        learner.shutdown(grace=0)
    assert learner.progress.last_metrics["learning_rate"] == pytest.approx(2.5e-4, rel=0.01)
    assert learner.optimizer.param_groups[0]["lr"] == learner.progress.last_metrics["learning_rate"]
    assert learner.progress.last_metrics["entropy_cost"] == pytest.approx(0.0075, rel=0.01)  # held to 600, 0 at 1200
    assert learner.rl_config.entropy_cost == 0.01  # the configured cost is not overwritten
    trained = learner.progress.train_seconds
    assert trained > 750.0
    resumed = Learner("main_0", tiny_policy(), RLConfig(), config, str(tmp_path), TOKEN, resume=True,
                      log=lambda line: None)
    assert resumed.progress.train_seconds == pytest.approx(trained)


@pytest.mark.timeout(90)
def test_an_entropy_cost_annealed_to_zero_leaves_no_entropy_term_in_the_loss(tmp_path):
    config = LearnerConfig(batch_size=2, unroll_length=T, queue_capacity=8, log_every_seconds=0.0,
                           entropy_cost_anneal_seconds=1000.0)
    learner = Learner("main_0", tiny_policy(), RLConfig(entropy_cost=0.01), config, str(tmp_path), TOKEN,
                      log=lambda line: None)
    learner.progress.train_seconds = 1500.0  # past the schedule's end
    port = learner.serve("localhost:0")
    try:
        stub = learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}"))
        stub.SendTrajectories(iter([_message(t) for t in make_trajectories(learner.policy, 2, T)]),
                              metadata=transport.auth_metadata(TOKEN), timeout=60)
        learner.train(max_steps=1, max_seconds=60)
    finally:
        learner.shutdown(grace=0)
    metrics = learner.progress.last_metrics
    assert metrics["entropy_cost"] == 0.0 and metrics["loss/entropy"] == 0.0
    assert metrics["entropy"] > 0.0  # the policy still has entropy; only its bonus is off
    assert metrics["learning_rate"] == config.learning_rate  # the rate has its own (constant) schedule
