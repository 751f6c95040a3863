"""The league over real gRPC on localhost: auth, matches, results, snapshots, health, TLS."""

import hashlib
import os
import shutil
import subprocess

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from league.client import LeagueClient
from league.config import LeagueConfig
from league.league import League
from league.service import SERVICE_NAME, LeagueServer
from league.store import LeagueStore
from league.transport import channel
from protos import common_pb2, league_pb2, league_pb2_grpc

TOKEN = "s3cret-token"
CONFIG = LeagueConfig(main_bot_share=0.2, snapshot_min_steps=100, snapshot_max_steps=200, snapshot_chunk_bytes=1000)


@pytest.fixture
def server(tmp_path):
    store = LeagueStore(str(tmp_path / "league.sqlite"))
    league = League(store, CONFIG, str(tmp_path / "snapshots"))
    running = LeagueServer(league, "127.0.0.1:0", TOKEN).start()
    yield running
    running.stop(grace=None)
    store.close()


@pytest.fixture
def client(server):
    with LeagueClient(server.address, TOKEN) as c:
        yield c


def status_of(call):
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value.code(), error.value.details()


@pytest.mark.timeout(60)
def test_calls_without_the_right_token_are_refused_and_counted(server, client):
    stub = league_pb2_grpc.LeagueStub(channel(server.address))
    code, details = status_of(lambda: stub.Standings(league_pb2.StandingsRequest(), timeout=10))
    assert code == grpc.StatusCode.UNAUTHENTICATED and "x-starleague-token" in details
    code, _ = status_of(lambda: stub.ReportResult(league_pb2.MatchResult(match_id="x", outcome=league_pb2.WIN),
                                                  metadata=(("x-starleague-token", "wrong"),), timeout=10))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    code, _ = status_of(lambda: list(stub.GetSnapshot(league_pb2.SnapshotRequest(snapshot_id="main_0@0"), timeout=10)))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    # the learner's clients also send "authorization: Bearer <token>": accepted
    assert stub.Standings(league_pb2.StandingsRequest(), metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=10)
    counters = client.standings().counters
    assert counters["auth_rejected_missing_token"] == 2 and counters["auth_rejected_wrong_token"] == 1
    # health needs no token
    health = health_pb2_grpc.HealthStub(channel(server.address))
    reply = health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.timeout(60)
def test_match_report_duplicate_and_unknown(client):
    match = client.request_match("actor_0", "main_0")
    assert match.player.player_id == "main_0" and match.role == "main_agent" and match.map == "Simple64"
    assert match.opponent.kind in (league_pb2.Opponent.LEARNING, league_pb2.Opponent.BOT)
    ack = client.report_result(match.match_id, "win", game_loops=1234, player_version=0)
    assert ack.accepted and not ack.duplicate
    ack = client.report_result(match.match_id, "win", game_loops=1234)
    assert ack.duplicate and not ack.accepted
    code, details = status_of(lambda: client.report_result("no-such-match", "loss"))
    assert code == grpc.StatusCode.NOT_FOUND and "unknown match 'no-such-match'" in details
    code, details = status_of(lambda: client.stub.ReportResult(
        league_pb2.MatchResult(match_id=match.match_id), metadata=client.metadata, timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "outcome" in details
    code, _ = status_of(lambda: client.request_match("actor_0", "main_9"))
    assert code == grpc.StatusCode.NOT_FOUND
    standings = client.standings()
    assert standings.matches_reported == 1
    assert standings.counters["report_rejected_not_found"] == 1
    assert standings.counters["report_rejected_invalid"] == 1
    assert standings.counters["report_duplicate"] == 1
    main = next(p for p in standings.players if p.player_id == "main_0")
    assert main.games == 1 and main.role == "main_agent" and len(main.vs_bots) == 6
    assert "payoff" in standings.table and "main_exploiter_0" in standings.table


@pytest.mark.timeout(60)
def test_freeze_upload_download_and_snapshot_opponents(client):
    reply = client.checkin("main_0", 3, 0, "learner-a:5000")
    assert reply.freeze and not reply.reset
    data = os.urandom(4500)
    ack = client.put_snapshot("main_0", 3, data, chunk_bytes=1000)
    assert (ack.snapshot_id, ack.total_bytes, ack.duplicate) == ("main_0@3", 4500, False)
    assert ack.sha256 == hashlib.sha256(data).hexdigest()
    assert client.put_snapshot("main_0", 3, data).duplicate
    assert client.get_snapshot("main_0@3") == data
    kinds = {}
    for _ in range(60):
        match = client.request_match("actor_0", "main_0")
        kinds[match.opponent.kind] = match.opponent
    snapshot = kinds[league_pb2.Opponent.SNAPSHOT]
    assert (snapshot.snapshot_id, snapshot.version) == ("main_0@3", 3)
    assert kinds[league_pb2.Opponent.BOT].bot_difficulty in CONFIG.bots
    assert kinds[league_pb2.Opponent.LEARNING].learner_address == "learner-a:5000"
    code, _ = status_of(lambda: client.get_snapshot("main_0@99"))
    assert code == grpc.StatusCode.NOT_FOUND


@pytest.mark.timeout(60)
def test_bad_snapshot_uploads_are_refused(client):
    code, details = status_of(lambda: client.put_snapshot("main_0", 1, b"xyz"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "LearnerCheckin" in details
    client.checkin("main_0", 1, 0)
    chunk = common_pb2.SnapshotChunk(player_id="main_0", version=1, sha256="0" * 64, total_bytes=3, offset=0,
                                     data=b"xyz")
    code, details = status_of(lambda: client.stub.PutSnapshot(iter([chunk]), metadata=client.metadata, timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "sha256" in details
    code, _ = status_of(lambda: client.stub.PutSnapshot(iter([]), metadata=client.metadata, timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert client.standings().counters["snapshot_rejected_invalid"] == 2


@pytest.mark.timeout(60)
def test_eval_results(client):
    assert client.report_eval_result("main_0", "VeryEasy", "win", eval_id="ev-1", version=2).accepted
    assert client.report_eval_result("main_0", "VeryEasy", "win", eval_id="ev-1", version=2).duplicate
    code, _ = status_of(lambda: client.report_eval_result("main_0", "CheatInsane", "win"))
    assert code == grpc.StatusCode.NOT_FOUND
    main = next(p for p in client.standings().players if p.player_id == "main_0")
    veryeasy = next(b for b in main.vs_bots if b.bot == "bot:veryeasy")
    assert (veryeasy.games, veryeasy.win_rate) == (1, 1.0)


@pytest.mark.timeout(60)
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_tls(tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    store = LeagueStore(str(tmp_path / "league.sqlite"))
    server = LeagueServer(League(store, CONFIG, str(tmp_path / "s")), "localhost:0", TOKEN, cert, key).start()
    try:
        with LeagueClient(f"localhost:{server.port}", TOKEN, tls_ca=cert) as client:
            assert client.request_match("actor_0").match_id
        with LeagueClient(f"localhost:{server.port}", TOKEN) as plain:
            code, _ = status_of(lambda: plain.standings())
            assert code == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(grace=None)
        store.close()
