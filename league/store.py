"""The league's persistent state: SQLite in WAL mode.

Tables: players, snapshots (path + sha256), matches (handed out and reported), payoff
(decayed W/D/L per ordered pair), ratings, counters; `schema_version` with forward
migrations (league/schema.py).

Crash safety: every change is one transaction (BEGIN IMMEDIATE ... COMMIT) with
synchronous=FULL, so a result is either fully recorded (match row, payoff, ratings,
sequence number) or not at all, whatever kills the process. Several processes may write
the same database: SQLite serializes writers, and `busy_timeout` makes them wait instead
of failing. Within a process one connection is shared under a lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sqlite3
import threading
import time
from typing import Iterable, Iterator

from league.errors import LeagueError
from league.payoff import OUTCOMES, PairStats
from league.players import Player, Role, snapshot_id as make_snapshot_id
from league.ratings import Rating
from league.schema import LATEST_VERSION, current_version, migrate
from league.scoring import RatingState, ScoringRules, score_result


@dataclasses.dataclass(frozen=True)
class LearnerState:
    player_id: str
    version: int
    learner_steps: int
    snapshot_step: int
    learner_address: str
    pending_freeze: bool
    pending_reset: bool
    last_checkin: float | None


@dataclasses.dataclass(frozen=True)
class MatchRecord:
    match_id: str
    kind: str  # "league" (handed out by RequestMatch) or "eval" (reported by the evaluator)
    player_id: str
    opponent_id: str
    player_version: int = 0
    opponent_version: int = 0
    map: str = ""
    seed: int = 0
    save_replay: bool = False
    actor_id: str = ""
    branch: str = ""
    created_at: float = 0.0
    outcome: str | None = None
    game_loops: int | None = None
    replay_path: str | None = None
    reported_at: float | None = None
    result_seq: int | None = None


@dataclasses.dataclass(frozen=True)
class SnapshotRecord:
    snapshot_id: str
    parent: str
    version: int
    path: str
    sha256: str
    total_bytes: int
    created_at: float


@dataclasses.dataclass(frozen=True)
class ReportOutcome:
    accepted: bool
    duplicate: bool
    message: str
    result_seq: int | None = None


_MATCH_COLUMNS = [f.name for f in dataclasses.fields(MatchRecord)]
_PLAYER_COLUMNS = "player_id, role, race, parent, version, bot_difficulty, created_seq"


def _player(row) -> Player:
    return Player(row[0], Role(row[1]), row[2], row[3], row[4], row[5], row[6])


def _match(row) -> MatchRecord:
    values = dict(zip(_MATCH_COLUMNS, row))
    values["save_replay"] = bool(values["save_replay"])
    return MatchRecord(**values)


class LeagueStore:
    """All league state on disk. Thread-safe; several processes may share one file."""

    def __init__(self, path: str, busy_timeout_s: float = 60.0, synchronous: str = "FULL"):
        # FULL: a committed result survives power loss too; NORMAL survives a killed process only.
        if synchronous not in ("FULL", "NORMAL"):
            raise LeagueError("invalid", f"synchronous must be FULL or NORMAL, got {synchronous!r}")
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        try:
            self._conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise LeagueError("data_loss", f"cannot open league database {path!r}: {error}") from None
        if str(mode).lower() != "wal":
            raise LeagueError("internal", f"league database {path!r} could not switch to WAL mode (got {mode!r})")
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.RLock()
        self.migrated_from, _ = migrate(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "LeagueStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # One read transaction: every SELECT inside sees the same committed state.
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def schema_version(self) -> int:
        with self._lock:
            return current_version(self._conn)

    # ----- players -----

    def add_players(self, entries: Iterable[tuple[Player, Rating, bool]]) -> list[str]:
        """Insert (player, prior rating, rating fixed) for players not stored yet; returns the new ids."""
        added = []
        with self._write() as conn:
            for player, rating, fixed in entries:
                if conn.execute("SELECT 1 FROM players WHERE player_id = ?", (player.player_id,)).fetchone():
                    continue
                self._insert_player(conn, player, rating, fixed)
                added.append(player.player_id)
        return added

    @staticmethod
    def _insert_player(conn: sqlite3.Connection, player: Player, rating: Rating, fixed: bool) -> int:
        seq = conn.execute("SELECT COALESCE(MAX(created_seq), 0) + 1 FROM players").fetchone()[0]
        conn.execute(
            f"INSERT INTO players ({_PLAYER_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (player.player_id, player.role.value, player.race, player.parent, player.version,
             player.bot_difficulty, seq, time.time()),
        )
        conn.execute(
            "INSERT INTO ratings (player_id, rating, deviation, prior_rating, prior_deviation, fixed)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (player.player_id, rating.rating, rating.deviation, rating.rating, rating.deviation, int(fixed)),
        )
        return seq

    def players(self) -> list[Player]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {_PLAYER_COLUMNS} FROM players ORDER BY created_seq").fetchall()
        return [_player(row) for row in rows]

    def player(self, player_id: str) -> Player | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {_PLAYER_COLUMNS} FROM players WHERE player_id = ?", (player_id,)).fetchone()
        return _player(row) if row else None

    def learner_state(self, player_id: str) -> LearnerState | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT player_id, version, learner_steps, snapshot_step, learner_address, pending_freeze,"
                " pending_reset, last_checkin FROM players WHERE player_id = ?",
                (player_id,),
            ).fetchone()
        if not row:
            return None
        return LearnerState(row[0], row[1], row[2], row[3], row[4], bool(row[5]), bool(row[6]), row[7])

    def update_checkin(self, player_id: str, version: int, learner_steps: int, learner_address: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE players SET version = ?, learner_steps = ?, learner_address = ?, last_checkin = ?"
                " WHERE player_id = ?",
                (version, learner_steps, learner_address, time.time(), player_id),
            )

    def set_pending_freeze(self, player_id: str, reset: bool, snapshot_step: int) -> None:
        """Remember a freeze decision until the snapshot arrives (a repeated check-in gets the same answer)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE players SET pending_freeze = 1, pending_reset = ?, snapshot_step = ? WHERE player_id = ?",
                (int(reset), snapshot_step, player_id),
            )

    def clear_pending_freeze(self, player_id: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE players SET pending_freeze = 0, pending_reset = 0 WHERE player_id = ?", (player_id,))

    # ----- payoff and ratings -----

    def win_rates(self, player_id: str) -> dict[str, float]:
        with self._read() as conn:
            rows = conn.execute("SELECT away, wins, draws, losses, games FROM payoff WHERE home = ?", (player_id,))
            return {away: PairStats(w, d, l, g).win_rate for away, w, d, l, g in rows.fetchall()}

    def payoff(self) -> dict[tuple[str, str], PairStats]:
        with self._read() as conn:
            rows = conn.execute("SELECT home, away, wins, draws, losses, games FROM payoff").fetchall()
        return {(h, a): PairStats(w, d, l, g) for h, a, w, d, l, g in rows}

    def ratings(self) -> dict[str, Rating]:
        with self._read() as conn:
            rows = conn.execute("SELECT player_id, rating, deviation FROM ratings").fetchall()
        return {pid: Rating(r, d) for pid, r, d in rows}

    # ----- matches and results -----

    def create_match(self, match: MatchRecord, counter: str = "") -> None:
        """Store a handed-out match (and bump `counter`, e.g. its branch, in the same transaction)."""
        with self._write() as conn:
            self._insert_match(conn, match)
            if counter:
                self._bump(conn, counter, 1)

    @staticmethod
    def _insert_match(conn: sqlite3.Connection, match: MatchRecord) -> None:
        values = dataclasses.asdict(match)
        values["save_replay"] = int(values["save_replay"])
        placeholders = ", ".join("?" for _ in _MATCH_COLUMNS)
        conn.execute(f"INSERT INTO matches ({', '.join(_MATCH_COLUMNS)}) VALUES ({placeholders})",
                     [values[c] for c in _MATCH_COLUMNS])

    def match(self, match_id: str) -> MatchRecord | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_MATCH_COLUMNS)} FROM matches WHERE match_id = ?", (match_id,)
            ).fetchone()
        return _match(row) if row else None

    def matches(self, reported: bool | None = None) -> list[MatchRecord]:
        where = {None: "", True: " WHERE reported_at IS NOT NULL", False: " WHERE reported_at IS NULL"}[reported]
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_MATCH_COLUMNS)} FROM matches{where} ORDER BY result_seq, created_at"
            ).fetchall()
        return [_match(row) for row in rows]

    def match_counts(self) -> tuple[int, int]:
        """(pending, reported) matches."""
        with self._read() as conn:
            reported = conn.execute("SELECT COUNT(*) FROM matches WHERE reported_at IS NOT NULL").fetchone()[0]
            total = conn.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
        return total - reported, reported

    def record_result(
        self,
        match_id: str,
        outcome: str,
        game_loops: int,
        player_version: int,
        replay_path: str,
        rules: ScoringRules,
    ) -> ReportOutcome:
        """Record a handed-out match's result once: match row, payoff and ratings in one transaction."""
        if outcome not in OUTCOMES:
            raise LeagueError("invalid", f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_MATCH_COLUMNS)} FROM matches WHERE match_id = ?", (match_id,)
            ).fetchone()
            if row is None:
                raise LeagueError(
                    "not_found", f"unknown match {match_id!r}: report only matches handed out by RequestMatch"
                )
            match = _match(row)
            if match.kind != "league":
                raise LeagueError("invalid", f"match {match_id!r} is an evaluation game; it was recorded when reported")
            if match.reported_at is not None:
                same = match.outcome == outcome
                note = "" if same else f" (this report says {outcome}; the first one is kept)"
                return ReportOutcome(False, True, f"match {match_id} was already reported as {match.outcome}{note}",
                                     match.result_seq)
            seq = self._next_seq(conn)
            conn.execute(
                "UPDATE matches SET outcome = ?, game_loops = ?, replay_path = ?, reported_at = ?, result_seq = ?,"
                " player_version = CASE WHEN ? > 0 THEN ? ELSE player_version END WHERE match_id = ?",
                (outcome, game_loops, replay_path, time.time(), seq, player_version, player_version, match_id),
            )
            self._score(conn, match.player_id, match.opponent_id, outcome, rules)
        return ReportOutcome(True, False, f"match {match_id} recorded as {outcome}", seq)

    def record_eval(self, match: MatchRecord, rules: ScoringRules) -> ReportOutcome:
        """Record an evaluation game (already played, outcome set) once, keyed by its match_id."""
        if match.outcome not in OUTCOMES:
            raise LeagueError("invalid", f"outcome must be one of {OUTCOMES}, got {match.outcome!r}")
        with self._write() as conn:
            for player_id in (match.player_id, match.opponent_id):
                if not conn.execute("SELECT 1 FROM players WHERE player_id = ?", (player_id,)).fetchone():
                    raise LeagueError(
                        "not_found", f"unknown player {player_id!r} in evaluation result {match.match_id}"
                    )
            existing = conn.execute(
                "SELECT outcome, result_seq FROM matches WHERE match_id = ?", (match.match_id,)
            ).fetchone()
            if existing:
                message = f"{match.match_id} was already reported as {existing[0]}"
                return ReportOutcome(False, True, message, existing[1])
            seq = self._next_seq(conn)
            self._insert_match(conn, dataclasses.replace(match, kind="eval", reported_at=time.time(), result_seq=seq))
            self._score(conn, match.player_id, match.opponent_id, match.outcome, rules)
        return ReportOutcome(True, False, f"{match.match_id} recorded as {match.outcome}", seq)

    @staticmethod
    def _next_seq(conn: sqlite3.Connection) -> int:
        return conn.execute("SELECT COALESCE(MAX(result_seq), 0) + 1 FROM matches").fetchone()[0]

    @staticmethod
    def _score(conn: sqlite3.Connection, home: str, away: str, outcome: str, rules: ScoringRules) -> None:
        def stats(h: str, a: str) -> PairStats:
            row = conn.execute(
                "SELECT wins, draws, losses, games FROM payoff WHERE home = ? AND away = ?", (h, a)
            ).fetchone()
            return PairStats(*row) if row else PairStats()

        def rating(pid: str) -> RatingState:
            r, d, fixed, role = conn.execute(
                "SELECT r.rating, r.deviation, r.fixed, p.role FROM ratings r JOIN players p USING (player_id)"
                " WHERE player_id = ?", (pid,)
            ).fetchone()
            return RatingState(Rating(r, d), bool(fixed), Role(role).learning)

        same = home == away
        effects = score_result(stats(home, away), stats(away, home), rating(home), rating(away), outcome, same, rules)
        pairs = [(home, away, effects.home_vs_away)] + ([] if same else [(away, home, effects.away_vs_home)])
        for h, a, s in pairs:
            conn.execute(
                "INSERT INTO payoff (home, away, wins, draws, losses, games) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (home, away) DO UPDATE SET wins = excluded.wins, draws = excluded.draws,"
                " losses = excluded.losses, games = excluded.games",
                (h, a, s.wins, s.draws, s.losses, s.games),
            )
        for pid, r in ((home, effects.home_rating), (away, effects.away_rating)):
            conn.execute(
                "UPDATE ratings SET rating = ?, deviation = ? WHERE player_id = ?", (r.rating, r.deviation, pid)
            )

    def games_played(self) -> dict[tuple[str, str], int]:
        """Reported games per (player, opponent), counted from both sides, not decayed."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT player_id, opponent_id, COUNT(*) FROM matches WHERE reported_at IS NOT NULL"
                " GROUP BY player_id, opponent_id"
            ).fetchall()
        counts: dict[tuple[str, str], int] = {}
        for player, opponent, n in rows:
            counts[(player, opponent)] = counts.get((player, opponent), 0) + n
            if player != opponent:
                counts[(opponent, player)] = counts.get((opponent, player), 0) + n
        return counts

    # ----- snapshots -----

    def register_snapshot(
        self, parent: str, version: int, path: str, sha256: str, total_bytes: int, rating: Rating
    ) -> tuple[str, bool]:
        """Add the frozen player "<parent>@<version>" and clear the parent's pending freeze.

        Returns (snapshot_id, duplicate). Registering the same snapshot twice with the same
        checksum is a duplicate; with another checksum it is refused.
        """
        sid = make_snapshot_id(parent, version)
        with self._write() as conn:
            row = conn.execute(f"SELECT {_PLAYER_COLUMNS} FROM players WHERE player_id = ?", (parent,)).fetchone()
            if row is None or not Role(row[1]).learning:
                raise LeagueError("not_found", f"unknown learning player {parent!r}")
            existing = conn.execute("SELECT sha256 FROM snapshots WHERE snapshot_id = ?", (sid,)).fetchone()
            if existing:
                if existing[0] != sha256:
                    raise LeagueError("precondition", f"snapshot {sid} is already stored with another checksum")
                return sid, True
            historical = Player(sid, Role.HISTORICAL, row[2], parent=parent, version=version)
            self._insert_player(conn, historical, rating, False)
            conn.execute(
                "INSERT INTO snapshots (snapshot_id, parent, version, path, sha256, total_bytes, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sid, parent, version, path, sha256, total_bytes, time.time()),
            )
            conn.execute("UPDATE players SET pending_freeze = 0, pending_reset = 0 WHERE player_id = ?", (parent,))
        return sid, False

    def snapshot(self, snapshot_id: str) -> SnapshotRecord | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT snapshot_id, parent, version, path, sha256, total_bytes, created_at FROM snapshots"
                " WHERE snapshot_id = ?", (snapshot_id,)
            ).fetchone()
        return SnapshotRecord(*row) if row else None

    def has_snapshot(self, parent: str) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM snapshots WHERE parent = ? LIMIT 1", (parent,)).fetchone() is not None

    # ----- counters -----

    def count(self, name: str, n: int = 1) -> None:
        with self._write() as conn:
            self._bump(conn, name, n)

    @staticmethod
    def _bump(conn: sqlite3.Connection, name: str, n: int) -> None:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + ?",
            (name, n, n),
        )

    def counters(self) -> dict[str, int]:
        with self._read() as conn:
            return dict(conn.execute("SELECT name, value FROM counters ORDER BY name").fetchall())

    # ----- consistency -----

    def verify(self, rules: ScoringRules, tolerance: float = 1e-6) -> list[str]:
        """Problems found (empty when consistent): SQLite integrity, result sequence, and
        payoff + ratings equal to replaying every recorded result in order from the priors."""
        problems: list[str] = []
        with self._read() as conn:
            integrity = conn.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                problems.append(f"integrity_check: {integrity}")
            foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
            if foreign:
                problems.append(f"foreign_key_check: {foreign[:5]}")
            results = conn.execute(
                "SELECT result_seq, player_id, opponent_id, outcome FROM matches WHERE result_seq IS NOT NULL"
                " ORDER BY result_seq"
            ).fetchall()
            stored_payoff = {(h, a): PairStats(w, d, l, g) for h, a, w, d, l, g in
                             conn.execute("SELECT home, away, wins, draws, losses, games FROM payoff")}
            rating_rows = conn.execute(
                "SELECT player_id, rating, deviation, prior_rating, prior_deviation, fixed, role"
                " FROM ratings JOIN players USING (player_id)"
            ).fetchall()
        seqs = [r[0] for r in results]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"result sequence is not 1..{len(seqs)} without gaps")
        states = {pid: RatingState(Rating(pr, pd), bool(fixed), Role(role).learning)
                  for pid, _, _, pr, pd, fixed, role in rating_rows}
        payoff: dict[tuple[str, str], PairStats] = {}
        for _, home, away, outcome in results:
            same = home == away
            effects = score_result(payoff.get((home, away), PairStats()), payoff.get((away, home), PairStats()),
                                   states[home], states[away], outcome, same, rules)
            payoff[(home, away)] = effects.home_vs_away
            if not same:
                payoff[(away, home)] = effects.away_vs_home
            states[home] = dataclasses.replace(states[home], rating=effects.home_rating)
            states[away] = dataclasses.replace(states[away], rating=effects.away_rating)
        if set(payoff) != set(stored_payoff):
            problems.append(f"payoff pairs differ: {sorted(set(payoff) ^ set(stored_payoff))[:5]}")
        for key in set(payoff) & set(stored_payoff):
            a, b = dataclasses.astuple(payoff[key]), dataclasses.astuple(stored_payoff[key])
            if any(not math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance) for x, y in zip(a, b)):
                problems.append(f"payoff {key}: stored {b}, replayed {a}")
        for pid, rating, deviation, *_ in rating_rows:
            replayed = states[pid].rating
            if not (math.isclose(rating, replayed.rating, abs_tol=tolerance)
                    and math.isclose(deviation, replayed.deviation, abs_tol=tolerance)):
                problems.append(f"rating {pid}: stored ({rating}, {deviation}), replayed {replayed}")
        return problems


__all__ = [
    "LATEST_VERSION", "LeagueStore", "LearnerState", "MatchRecord", "ReportOutcome", "SnapshotRecord",
]
