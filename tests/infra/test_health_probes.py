"""The manifests' readiness and liveness probes are Kubernetes' native gRPC probes: the
kubelet calls grpc.health.v1.Health/Check (service "") with no metadata, so no token.
Start the league and a learner as the manifests do and probe them the same way; a real
RPC without the token must still be refused, so the probes do not pass because auth is off."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from k8s_support import REPO
from protos import league_pb2, league_pb2_grpc, learner_pb2, learner_pb2_grpc


def kubelet_probe(address: str) -> int:
    """What `grpc: {port: N}` does: Check(service="") without credentials."""
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    return reply.status


def wait_for(condition, timeout: float, what: str, processes) -> None:
    deadline = time.time() + timeout
    while not condition():
        for name, (process, log) in processes.items():
            assert process.poll() is None, f"{name} exited while waiting for {what}:\n{log.read_text()[-3000:]}"
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.mark.timeout(240)
def test_servers_answer_the_kubelet_grpc_probe_without_a_token(tmp_path):
    token = tmp_path / "token"
    token.write_text("probe-test-token\n")
    config = ["--preset", "tiny", "--set", "league.main_exploiters=0", "--token-file", str(token)]
    port_file = tmp_path / "learner.port"
    commands = {
        "league": ["league", "serve", "--address", "127.0.0.1:0", "--store", str(tmp_path / "league.sqlite")],
        "learner": ["learner", "--player", "main_0", "--host", "127.0.0.1", "--port", "0",
                    "--port-file", str(port_file), "--run-dir", str(tmp_path / "learner")],
    }
    processes = {}
    try:
        for name, argv in commands.items():
            log = tmp_path / f"{name}.log"
            process = subprocess.Popen([sys.executable, "-m", "starleague", *argv, *config], cwd=REPO,
                                       stdout=log.open("w"), stderr=subprocess.STDOUT,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
            processes[name] = (process, log)
        league_log = processes["league"][1]
        wait_for(lambda: "league listening on" in league_log.read_text(), 120, "the league", processes)
        league = re.search(r"league listening on (\S+)", league_log.read_text()).group(1)
        wait_for(port_file.exists, 120, "the learner", processes)
        learner = f"127.0.0.1:{port_file.read_text().strip()}"

        for address in (league, learner):
            assert kubelet_probe(address) == health_pb2.HealthCheckResponse.SERVING

        with grpc.insecure_channel(league) as channel, pytest.raises(grpc.RpcError) as refused:
            league_pb2_grpc.LeagueStub(channel).Standings(league_pb2.StandingsRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with grpc.insecure_channel(learner) as channel, pytest.raises(grpc.RpcError) as refused:
            learner_pb2_grpc.LearnerStub(channel).Status(learner_pb2.StatusRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        for process, _ in processes.values():
            process.send_signal(signal.SIGTERM)
        for process, _ in processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
