"""Crash safety: kill -9 during a burst of concurrent result reports (real processes).

Each writer process reports its share of the matches from several threads and prints
"ACK <id>" only after the report returned, i.e. after its transaction committed. After a
real SIGKILL, every acknowledged result must be in the database, the database must pass
its consistency check (payoff and ratings equal to replaying the recorded results), and a
restarted writer must be able to finish the rest, with the acknowledged ones counted once.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from league.config import LeagueConfig
from league.league import League
from league.store import LeagueStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = LeagueConfig(main_bot_share=0.2, league_exploiters=1)

WRITER = r"""
import sys, threading
from league.config import LeagueConfig
from league.league import League
from league.store import LeagueStore

path, snaps, ids_file, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ids = open(ids_file).read().split()
league = League(LeagueStore(path), LeagueConfig(main_bot_share=0.2, league_exploiters=1), snaps)
lock = threading.Lock()

def report(part):
    for i, match_id in enumerate(part):
        result = league.report_result(match_id, ("win", "loss", "draw")[int(match_id, 16) % 3], game_loops=100 + i)
        with lock:
            print(("DUP " if result.duplicate else "ACK ") + match_id, flush=True)

workers = [threading.Thread(target=report, args=(ids[k::threads],)) for k in range(threads)]
for w in workers: w.start()
for w in workers: w.join()
print("DONE", flush=True)
"""


def start_writer(path, snaps, ids, tmp_path, index, threads=2):
    ids_file = tmp_path / f"ids_{index}.txt"
    ids_file.write_text("\n".join(ids))
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, path, snaps, str(ids_file), str(threads)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


class Reader(threading.Thread):
    """Collects a writer's stdout lines as they come."""

    def __init__(self, process):
        super().__init__(daemon=True)
        self.process, self.lines = process, []

    def run(self):
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def ids(self, tag):
        return {line.split()[1] for line in self.lines if line.startswith(tag + " ")}


@pytest.mark.timeout(120)
def test_kill_9_during_concurrent_reports_loses_nothing_committed(tmp_path):
    path, snaps = str(tmp_path / "league.sqlite"), str(tmp_path / "snapshots")
    with LeagueStore(path) as store:
        league = League(store, CONFIG, snaps)
        ids = [league.request_match(f"actor_{i % 3}").match.match_id for i in range(450)]

    shares = [ids[k::3] for k in range(3)]
    writers = [start_writer(path, snaps, share, tmp_path, k) for k, share in enumerate(shares)]
    readers = [Reader(w) for w in writers]
    for r in readers:
        r.start()
    # Let the burst get going, then kill every writer mid-stream.
    deadline = time.time() + 60
    while sum(len(r.ids("ACK")) for r in readers) < 60 and time.time() < deadline:
        time.sleep(0.01)
    for w in writers:
        os.kill(w.pid, signal.SIGKILL)
    for w, r in zip(writers, readers):
        w.wait(timeout=10)
        r.join(timeout=10)
        assert w.returncode == -signal.SIGKILL
    acked = set().union(*(r.ids("ACK") for r in readers))
    assert 60 <= len(acked) < len(ids), "the kill must land mid-burst"

    with LeagueStore(path) as store:
        reported = {m.match_id for m in store.matches(reported=True)}
        assert acked <= reported, f"{len(acked - reported)} acknowledged results were lost"
        assert store.verify(league.rules) == []

    # Restart: finish every match; the ones already recorded count once.
    writers = [start_writer(path, snaps, share, tmp_path, 10 + k) for k, share in enumerate(shares)]
    outputs = [w.communicate(timeout=90) for w in writers]
    for w, (out, err) in zip(writers, outputs):
        assert w.returncode == 0, err
    duplicates = set().union(*({l.split()[1] for l in out.splitlines() if l.startswith("DUP ")} for out, _ in outputs))
    assert duplicates == reported
    with LeagueStore(path) as store:
        assert store.match_counts() == (0, len(ids))
        assert store.verify(league.rules) == []
