"""The league database's schema as a list of forward migrations.

`MIGRATIONS[i]` takes a database at version i to version i + 1. The `schema_version`
table holds one row with the current version; `migrate` applies the missing steps inside
one transaction, so a crash mid-migration leaves the old version intact. Never edit a
released migration: add a new one.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

from league.errors import LeagueError


def _v1_initial(conn: sqlite3.Connection) -> None:
    statements = [
        """CREATE TABLE players (
            player_id TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            race TEXT NOT NULL,
            parent TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 0,
            bot_difficulty TEXT NOT NULL DEFAULT '',
            created_seq INTEGER NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            learner_steps INTEGER NOT NULL DEFAULT 0,
            snapshot_step INTEGER NOT NULL DEFAULT 0,
            learner_address TEXT NOT NULL DEFAULT '',
            pending_freeze INTEGER NOT NULL DEFAULT 0,
            pending_reset INTEGER NOT NULL DEFAULT 0,
            last_checkin REAL
        )""",
        """CREATE TABLE snapshots (
            snapshot_id TEXT PRIMARY KEY REFERENCES players(player_id),
            parent TEXT NOT NULL REFERENCES players(player_id),
            version INTEGER NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            total_bytes INTEGER NOT NULL,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE matches (
            match_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('league', 'eval')),
            actor_id TEXT NOT NULL DEFAULT '',
            branch TEXT NOT NULL DEFAULT '',
            player_id TEXT NOT NULL REFERENCES players(player_id),
            player_version INTEGER NOT NULL DEFAULT 0,
            opponent_id TEXT NOT NULL REFERENCES players(player_id),
            opponent_version INTEGER NOT NULL DEFAULT 0,
            map TEXT NOT NULL DEFAULT '',
            seed INTEGER NOT NULL DEFAULT 0,
            save_replay INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            outcome TEXT CHECK (outcome IN ('win', 'draw', 'loss')),
            game_loops INTEGER,
            replay_path TEXT,
            reported_at REAL,
            result_seq INTEGER UNIQUE,
            CHECK ((outcome IS NULL) = (reported_at IS NULL) AND (outcome IS NULL) = (result_seq IS NULL))
        )""",
        "CREATE INDEX matches_by_seq ON matches(result_seq)",
        """CREATE TABLE payoff (
            home TEXT NOT NULL REFERENCES players(player_id),
            away TEXT NOT NULL REFERENCES players(player_id),
            wins REAL NOT NULL,
            draws REAL NOT NULL,
            losses REAL NOT NULL,
            games REAL NOT NULL,
            PRIMARY KEY (home, away)
        )""",
        """CREATE TABLE ratings (
            player_id TEXT PRIMARY KEY REFERENCES players(player_id),
            rating REAL NOT NULL,
            deviation REAL NOT NULL,
            prior_rating REAL NOT NULL,
            prior_deviation REAL NOT NULL,
            fixed INTEGER NOT NULL DEFAULT 0
        )""",
    ]
    for statement in statements:
        conn.execute(statement)


def _v2_counters_and_indexes(conn: sqlite3.Connection) -> None:
    # Rejected reports, auth failures, bad snapshots... survive restarts; standings
    # count games per player without scanning every match.
    conn.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute("CREATE INDEX matches_by_player ON matches(player_id, opponent_id)")
    conn.execute("CREATE INDEX matches_by_opponent ON matches(opponent_id)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial, _v2_counters_and_indexes]
LATEST_VERSION = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> tuple[int, int]:
    """Bring the database to `target` in one transaction; returns (from, to).

    `conn` must be in autocommit mode (isolation_level=None): the transaction is explicit.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)
        if version > LATEST_VERSION:
            raise LeagueError(
                "precondition",
                f"league database schema v{version} is newer than this starleague (v{LATEST_VERSION}): "
                "upgrade starleague",
            )
        if version == 0:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        start = version
        for step in MIGRATIONS[version:target]:
            step(conn)
            version += 1
            conn.execute("UPDATE schema_version SET version = ?", (version,))
        conn.execute("COMMIT")
        return start, version
    except BaseException:
        conn.execute("ROLLBACK")
        raise
