import hashlib
import os
import sqlite3
import threading

import pytest

from league.config import LeagueConfig
from league.errors import LeagueError
from league.league import League
from league.schema import LATEST_VERSION, migrate
from league.store import LeagueStore

CONFIG = LeagueConfig(snapshot_min_steps=100, snapshot_max_steps=200, main_bot_share=0.2)


@pytest.fixture
def league(tmp_path):
    store = LeagueStore(str(tmp_path / "league.sqlite"))
    yield League(store, CONFIG, str(tmp_path / "snapshots"))
    store.close()


def upload(league, player_id, version, data=b"weights" * 100):
    sha = hashlib.sha256(data).hexdigest()
    return league.put_snapshot(player_id, version, sha, len(data), [(0, data[:100]), (100, data[100:])])


def test_database_is_wal_and_versioned(league):
    mode = sqlite3.connect(league.store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert league.store.schema_version() == LATEST_VERSION
    ids = [p.player_id for p in league.store.players()]
    assert ids[:2] == ["main_0", "main_exploiter_0"]
    assert "bot:veryeasy" in ids and "bot:harder" in ids


def test_a_result_reported_twice_counts_once(league):
    match = league.request_match("actor_0", "main_0").match
    first = league.report_result(match.match_id, "win", 500, 3, "/replays/a.SC2Replay")
    again = league.report_result(match.match_id, "loss", 500, 3)
    assert first.accepted and not first.duplicate
    assert again.duplicate and not again.accepted and "first one is kept" in again.message
    stored = league.store.match(match.match_id)
    assert (stored.outcome, stored.game_loops, stored.player_version, stored.replay_path) == (
        "win", 500, 3, "/replays/a.SC2Replay")
    assert league.store.payoff()[("main_0", match.opponent_id)].games == 1
    assert league.store.counters()["report_duplicate"] == 1
    assert league.store.verify(league.rules) == []


def test_unknown_match_and_bad_outcome_are_rejected_and_counted(league):
    with pytest.raises(LeagueError, match="unknown match 'nope'") as error:
        league.report_result("nope", "win")
    assert error.value.code == "not_found"
    match = league.request_match("actor_0").match
    with pytest.raises(LeagueError, match="outcome must be"):
        league.report_result(match.match_id, "victory")
    with pytest.raises(LeagueError, match="unknown player"):
        league.request_match("actor_0", "main_7")
    with pytest.raises(LeagueError, match="only learning players"):
        league.request_match("actor_0", "bot:easy")
    counters = league.store.counters()
    assert counters["report_rejected_not_found"] == 1 and counters["report_rejected_invalid"] == 1
    assert counters["match_request_rejected_not_found"] == 1
    assert league.store.match(match.match_id).outcome is None  # nothing stored was touched


def test_eval_results_land_in_the_store_once(league):
    assert league.report_eval("main_0", "Easy", "win", version=4, eval_id="e1").accepted
    assert league.report_eval("main_0", "Easy", "win", version=4, eval_id="e1").duplicate
    assert league.store.payoff()[("main_0", "bot:easy")].wins == 1
    with pytest.raises(LeagueError, match="unknown player 'bot:cheatinsane'"):
        league.report_eval("main_0", "CheatInsane", "win")
    with pytest.raises(LeagueError, match="is a bot"):
        league.report_eval("bot:easy", "Easy", "win")


def test_checkin_freeze_snapshot_and_reset_flow(league, tmp_path):
    # initial snapshot of the main agent; asked again until it arrives
    assert league.checkin("main_0", 0, 0, "localhost:1").freeze
    again = league.checkin("main_0", 0, 10, "localhost:1")
    assert again.freeze and not again.reset and "not received" in again.reason
    record, duplicate = upload(league, "main_0", 0)
    assert not duplicate and record.snapshot_id == "main_0@0" and os.path.exists(record.path)
    assert upload(league, "main_0", 0)[1] is True  # retried upload
    historical = league.store.player("main_0@0")
    assert historical.role.value == "historical" and historical.parent == "main_0"
    assert not league.checkin("main_0", 1, 50, "localhost:1").freeze  # < min steps
    # a freeze answered with an already stored version still completes the freeze
    assert league.checkin("main_0", 1, 300, "localhost:1").freeze  # step limit
    assert upload(league, "main_0", 0)[1] is True
    assert not league.checkin("main_0", 1, 310, "localhost:1").freeze
    # uninvited snapshots are refused
    with pytest.raises(LeagueError, match="did not ask"):
        upload(league, "main_0", 1)
    # the exploiter beats the main agent: after min steps it freezes and (always) resets
    for _ in range(20):
        match = league.request_match("actor_1", "main_exploiter_0").match
        league.report_result(match.match_id, "win")
    answer = league.checkin("main_exploiter_0", 3, 150, "localhost:2")
    assert answer.freeze and answer.reset and "beats every target" in answer.reason
    upload(league, "main_exploiter_0", 3)
    assert not league.checkin("main_exploiter_0", 4, 160, "localhost:2").freeze  # steps since snapshot: 10
    assert league.checkin("main_exploiter_0", 5, 400, "localhost:2").freeze  # step limit
    state = league.store.learner_state("main_exploiter_0")
    assert (state.version, state.learner_steps, state.learner_address) == (5, 400, "localhost:2")


def test_snapshot_with_a_wrong_checksum_is_refused_and_not_stored(league):
    league.checkin("main_0", 0, 0)
    data = b"abc" * 50
    with pytest.raises(LeagueError, match="sha256"):
        league.put_snapshot("main_0", 0, hashlib.sha256(b"other").hexdigest(), len(data), [(0, data)])
    with pytest.raises(LeagueError, match="offset"):
        league.put_snapshot("main_0", 0, hashlib.sha256(data).hexdigest(), len(data), [(5, data)])
    assert league.store.snapshot("main_0@0") is None
    assert os.listdir(league.files.directory) == []
    assert league.store.counters()["snapshot_rejected_invalid"] == 2


def test_corrupt_snapshot_file_is_reported_as_data_loss(league):
    league.checkin("main_0", 0, 0)
    record, _ = upload(league, "main_0", 0)
    _, chunks = league.get_snapshot("main_0@0")
    assert b"".join(d for _, d in chunks) == b"weights" * 100
    with open(record.path, "r+b") as f:
        f.write(b"X")
    with pytest.raises(LeagueError, match="corrupt") as error:
        league.get_snapshot("main_0@0")
    assert error.value.code == "data_loss"


def test_matches_name_learning_snapshot_and_bot_opponents(league):
    league.checkin("main_0", 7, 0, "learner-main:1")
    upload(league, "main_0", 7)
    kinds = set()
    for _ in range(200):
        assignment = league.request_match("actor_0", "main_0")
        kinds.add(assignment.opponent.role.value)
        if assignment.opponent.role.value == "historical":
            assert assignment.match.opponent_version == 7
        if assignment.opponent.player_id == "main_0":
            assert assignment.opponent_learner_address == "learner-main:1"
        assert assignment.match.player_version == 7 and assignment.player_learner_address == "learner-main:1"
    assert {"historical", "bot", "main_agent"} <= kinds


def test_verify_detects_a_tampered_payoff(league):
    for _ in range(10):
        match = league.request_match("actor_0").match
        league.report_result(match.match_id, "draw")
    assert league.store.verify(league.rules) == []
    conn = sqlite3.connect(league.store.path)
    conn.execute("UPDATE payoff SET wins = wins + 1 WHERE rowid = (SELECT MIN(rowid) FROM payoff)")
    conn.commit()
    conn.close()
    assert any("payoff" in problem for problem in league.store.verify(league.rules))


def test_concurrent_reporting_threads(league):
    matches = [league.request_match(f"actor_{i % 4}").match.match_id for i in range(80)]
    errors = []

    def report(ids):
        try:
            for i, match_id in enumerate(ids):
                league.report_result(match_id, ("win", "loss", "draw")[i % 3])
                league.report_result(match_id, "win")  # an actor's retry
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=report, args=(matches[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert league.store.match_counts() == (0, 80)
    assert league.store.counters()["report_duplicate"] == 80
    assert league.store.verify(league.rules) == []


def test_migrating_a_v1_database(tmp_path):
    path = str(tmp_path / "old.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == (0, 1)
    conn.execute("INSERT INTO players (player_id, role, race, created_seq, created_at)"
                 " VALUES ('main_0', 'main_agent', 'Terran', 1, 0)")
    conn.execute("INSERT INTO players (player_id, role, race, bot_difficulty, created_seq, created_at)"
                 " VALUES ('bot:veryeasy', 'bot', 'Terran', 'VeryEasy', 2, 0)")
    for pid, rating, deviation, fixed in (("main_0", 0, 350, 0), ("bot:veryeasy", 0, 0, 1)):
        conn.execute("INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?)",
                     (pid, rating, deviation, rating, deviation, fixed))
    conn.execute("INSERT INTO matches (match_id, kind, player_id, opponent_id, created_at)"
                 " VALUES ('m1', 'league', 'main_0', 'bot:veryeasy', 0)")
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name = 'counters'")] == []
    conn.close()

    with LeagueStore(path) as store:
        assert (store.migrated_from, store.schema_version()) == (1, LATEST_VERSION)
        league = League(store, CONFIG, str(tmp_path / "snapshots"))
        # the old pending match is still reportable, and the new counters table works
        assert league.report_result("m1", "win").accepted
        store.count("x", 2)
        assert store.counters()["x"] == 2
        assert store.player("main_0").role.value == "main_agent"
        assert store.verify(league.rules) == []
    # reopening an up-to-date database migrates nothing
    with LeagueStore(path) as store:
        assert store.migrated_from == LATEST_VERSION


def test_a_newer_database_is_refused(tmp_path):
    path = str(tmp_path / "future.sqlite")
    LeagueStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(LeagueError, match="v99 is newer"):
        LeagueStore(path)


def test_restart_continues_and_composition_can_grow(tmp_path):
    path, snaps = str(tmp_path / "db.sqlite"), str(tmp_path / "snaps")
    with LeagueStore(path) as store:
        league = League(store, CONFIG, snaps)
        pending = league.request_match("actor_0").match.match_id
    grown = LeagueConfig(main_agents=1, main_exploiters=1, league_exploiters=2)
    with LeagueStore(path) as store:
        league = League(store, grown, snaps)
        assert league.report_result(pending, "loss").accepted
        ids = [p.player_id for p in store.players()]
        assert "league_exploiter_1" in ids and ids.count("main_0") == 1
