"""`starleague league serve` killed with SIGKILL while actors report over gRPC, then restarted."""

import os
import re
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest

from league.client import LeagueClient
from league.config import LeagueConfig
from league.scoring import ScoringRules
from league.store import LeagueStore
from starleague import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = "crash-test-token"


def start_server(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "starleague", "league", "serve", "--preset", "tiny", "--run-dir", str(tmp_path / "run"),
         "--store", str(tmp_path / "league.sqlite"), "--address", "127.0.0.1:0", "--token-file", str(token_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.time() + 60
    for line in process.stdout:
        found = re.search(r"league listening on (\S+):(\d+)", line)
        if found:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process, f"127.0.0.1:{found.group(2)}"
        assert time.time() < deadline, "league did not start"
    raise AssertionError(f"league exited with {process.wait()}")


@pytest.mark.timeout(150)
def test_sigkill_during_concurrent_reports_then_restart(tmp_path, capsys, monkeypatch):
    server, address = start_server(tmp_path)
    acked, handed_out, lock = set(), set(), threading.Lock()
    stop = threading.Event()

    def actor(index):
        with LeagueClient(address, TOKEN, timeout_s=10) as client:
            while not stop.is_set():
                try:
                    match = client.request_match(f"actor_{index}")
                    with lock:
                        handed_out.add(match.match_id)
                    client.report_result(match.match_id, ("win", "loss", "draw")[index % 3], game_loops=10)
                except grpc.RpcError:
                    return  # the league is gone
                with lock:
                    acked.add(match.match_id)

    actors = [threading.Thread(target=actor, args=(i,)) for i in range(4)]
    for a in actors:
        a.start()
    deadline = time.time() + 60
    while len(acked) < 40 and time.time() < deadline:
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for a in actors:
        a.join(timeout=30)
    assert len(acked) >= 40

    rules = ScoringRules.from_config(LeagueConfig())
    with LeagueStore(str(tmp_path / "league.sqlite")) as store:
        reported = {m.match_id for m in store.matches(reported=True)}
        everything = {m.match_id for m in store.matches()}
        assert acked <= reported
        # A match committed just before the kill whose reply never reached its actor stays pending.
        orphaned = everything - handed_out
        assert len(orphaned) <= len(actors)
        assert store.verify(rules) == []

    # Restart on the same store: acknowledged results are duplicates, the rest can still be reported.
    server, address = start_server(tmp_path)
    try:
        with LeagueClient(address, TOKEN) as client:
            for match_id in sorted(handed_out):
                ack = client.report_result(match_id, "draw")
                assert ack.duplicate == (match_id in reported)
            new = client.request_match("actor_9")
            assert client.report_result(new.match_id, "win").accepted
            standings = client.standings()
            assert standings.matches_reported == len(handed_out) + 1
            assert standings.matches_pending == len(orphaned)
        # The CLI's check and standings, on the store the killed service left behind.
        assert cli.main(["league", "check", "--store", str(tmp_path / "league.sqlite")]) == 0
        assert "consistent" in capsys.readouterr().out
        assert cli.main(["league", "standings", "--store", str(tmp_path / "league.sqlite")]) == 0
        table = capsys.readouterr().out
        assert "main_exploiter_0" in table and "vs veryeasy" in table and "payoff" in table
        monkeypatch.setenv("STARLEAGUE_TOKEN", TOKEN)
        assert cli.main(["league", "standings", "--address", address]) == 0
        assert "rating" in capsys.readouterr().out
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
