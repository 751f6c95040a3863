"""The league: matchmaking, results, learner check-ins and snapshots over one store.

This is the service's logic without the transport: `league/service.py` maps gRPC calls
onto these methods, and tests drive them directly. Every decision is made by the pure
functions in matchmaking.py / snapshot_rules.py; every state change is one store
transaction, so a restart (same store) continues where the league stopped.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
import uuid
from typing import Iterable, Iterator

from league.config import LeagueConfig
from league.errors import LeagueError
from league.matchmaking import choose_opponent
from league.payoff import OUTCOMES
from league.players import Player, Role, bot_id, initial_players, snapshot_id as make_snapshot_id
from league.scoring import ScoringRules, initial_rating
from league.snapshot_files import SnapshotFiles
from league.snapshot_rules import freeze_decision, reset_decision
from league.store import LeagueStore, MatchRecord, ReportOutcome, SnapshotRecord


@dataclasses.dataclass(frozen=True)
class Assignment:
    """A match handed to an actor."""

    match: MatchRecord
    player: Player
    opponent: Player
    player_learner_address: str
    opponent_learner_address: str


@dataclasses.dataclass(frozen=True)
class CheckinAnswer:
    freeze: bool
    reset: bool
    reason: str


class League:
    def __init__(self, store: LeagueStore, config: LeagueConfig, snapshot_dir: str):
        self.store = store
        self.config = config
        self.rules = ScoringRules.from_config(config)
        self.files = SnapshotFiles(snapshot_dir, config.max_snapshot_bytes)
        self._lock = threading.Lock()
        pending, reported = store.match_counts()
        # Seeded from config and the league's age, so a restart does not replay old choices.
        self._rng = random.Random(hash((config.seed, pending + reported)))
        self._add_configured_players()

    def _add_configured_players(self) -> list[str]:
        """Players in the config but not in the store (a new league, or a grown composition)."""
        entries = []
        bot_rank = 0
        for player in initial_players(self.config):
            rank = bot_rank if player.role == Role.BOT else 0
            bot_rank += player.role == Role.BOT
            fixed = player.role == Role.BOT and rank == 0
            entries.append((player, initial_rating(player, self.config, bot_rank=rank), fixed))
        return self.store.add_players(entries)

    def _count_rejection(self, what: str, error: LeagueError) -> None:
        self.store.count(f"{what}_rejected_{error.code}")

    def _player(self, player_id: str) -> Player:
        player = self.store.player(player_id)
        if player is None:
            raise LeagueError("not_found", f"unknown player {player_id!r}")
        return player

    # ----- matches -----

    def request_match(self, actor_id: str, player_id: str = "") -> Assignment:
        try:
            return self._request_match(actor_id, player_id)
        except LeagueError as error:
            self._count_rejection("match_request", error)
            raise

    def _request_match(self, actor_id: str, player_id: str) -> Assignment:
        players = self.store.players()
        if player_id:
            player = next((p for p in players if p.player_id == player_id), None)
            if player is None:
                raise LeagueError("not_found", f"unknown player {player_id!r}: learning players are "
                                  f"{[p.player_id for p in players if p.role.learning]}")
            if not player.role.learning:
                raise LeagueError(
                    "invalid", f"{player_id} is a {player.role.value} player; only learning players play matches"
                )
        with self._lock:
            if not player_id:
                player = self._rng.choice([p for p in players if p.role.learning])
            win_rates = self.store.win_rates(player.player_id)
            pick = choose_opponent(player, players, win_rates, self.config, self._rng)
            seed = self._rng.randrange(1 << 31)
            game_map = self._rng.choice(self.config.maps)
            save_replay = self._rng.random() < self.config.save_replay_fraction
        opponent = pick.opponent
        player_state = self.store.learner_state(player.player_id)
        opponent_state = self.store.learner_state(opponent.player_id) if opponent.role.learning else None
        match = MatchRecord(
            match_id=uuid.uuid4().hex,
            kind="league",
            player_id=player.player_id,
            opponent_id=opponent.player_id,
            player_version=player_state.version,
            opponent_version=opponent_state.version if opponent_state else opponent.version,
            map=game_map,
            seed=seed,
            save_replay=save_replay,
            actor_id=actor_id,
            branch=pick.branch,
            created_at=time.time(),
        )
        self.store.create_match(match, counter=f"matches_{pick.branch}")
        return Assignment(
            match=match,
            player=dataclasses.replace(player, version=match.player_version),
            opponent=dataclasses.replace(opponent, version=match.opponent_version),
            player_learner_address=player_state.learner_address,
            opponent_learner_address=opponent_state.learner_address if opponent_state else "",
        )

    def report_result(
        self, match_id: str, outcome: str, game_loops: int = 0, player_version: int = 0, replay_path: str = ""
    ) -> ReportOutcome:
        try:
            if not match_id:
                raise LeagueError("invalid", "match_id is empty: report the id RequestMatch returned")
            if outcome not in OUTCOMES:
                raise LeagueError("invalid", f"outcome must be one of {OUTCOMES}, got {outcome!r}")
            if game_loops < 0 or player_version < 0:
                raise LeagueError(
                    "invalid", f"game_loops ({game_loops}) and player_version ({player_version}) must be >= 0"
                )
            result = self.store.record_result(match_id, outcome, game_loops, player_version, replay_path, self.rules)
        except LeagueError as error:
            self._count_rejection("report", error)
            raise
        if result.duplicate:
            self.store.count("report_duplicate")
        return result

    def report_eval(
        self,
        player_id: str,
        bot_difficulty: str,
        outcome: str,
        version: int = 0,
        game_loops: int = 0,
        map: str = "",
        seed: int = 0,
        replay_path: str = "",
        eval_id: str = "",
    ) -> ReportOutcome:
        """An evaluation game of a player (learning or snapshot) against a league bot."""
        try:
            if outcome not in OUTCOMES:
                raise LeagueError("invalid", f"outcome must be one of {OUTCOMES}, got {outcome!r}")
            player = self._player(player_id)
            if player.role == Role.BOT:
                raise LeagueError("invalid", f"{player_id} is a bot: evaluate a learning or historical player")
            if not bot_difficulty:
                raise LeagueError("invalid", "bot_difficulty is empty: name the bot level played (e.g. 'Easy')")
            bot = self._player(bot_id(bot_difficulty))
            match = MatchRecord(
                match_id=f"eval:{eval_id or uuid.uuid4().hex}", kind="eval", player_id=player.player_id,
                opponent_id=bot.player_id, player_version=version, map=map, seed=seed,
                branch="eval", outcome=outcome, game_loops=game_loops, replay_path=replay_path,
            )
            result = self.store.record_eval(match, self.rules)
        except LeagueError as error:
            self._count_rejection("eval_report", error)
            raise
        if result.duplicate:
            self.store.count("eval_report_duplicate")
        return result

    # ----- learners and snapshots -----

    def checkin(self, player_id: str, version: int, learner_steps: int, learner_address: str = "") -> CheckinAnswer:
        """Record a learner's progress and tell it whether to freeze (and then reset) now."""
        try:
            player = self._player(player_id)
            if not player.role.learning:
                raise LeagueError("invalid", f"{player_id} is a {player.role.value} player; only learners check in")
            if version < 0 or learner_steps < 0:
                raise LeagueError("invalid", f"version ({version}) and learner_steps ({learner_steps}) must be >= 0")
        except LeagueError as error:
            self._count_rejection("checkin", error)
            raise
        with self._lock:
            state = self.store.learner_state(player_id)
            self.store.update_checkin(player_id, version, learner_steps, learner_address)
            if state.pending_freeze:
                return CheckinAnswer(True, state.pending_reset, "a snapshot was asked for and not received yet")
            players = self.store.players()
            if player.role == Role.MAIN_EXPLOITER:
                targets = [p for p in players if p.role == Role.MAIN_AGENT]
            else:
                targets = [p for p in players if p.role == Role.HISTORICAL]
            rates = self.store.win_rates(player_id)
            target_rates = [rates.get(p.player_id, 0.5) for p in targets]
            # A learner that restarted from scratch counts its steps from zero again.
            since = learner_steps - state.snapshot_step if learner_steps >= state.snapshot_step else learner_steps
            has_snapshot = self.store.has_snapshot(player_id)
            decision = freeze_decision(player.role, since, target_rates, has_snapshot, self.config)
            if not decision.freeze:
                return CheckinAnswer(False, False, decision.reason)
            reset = reset_decision(player.role, self.config, self._rng)
            self.store.set_pending_freeze(player_id, reset, learner_steps)
            self.store.count("freezes_decided")
            return CheckinAnswer(True, reset, decision.reason)

    def put_snapshot(
        self, player_id: str, version: int, sha256: str, total_bytes: int, chunks: Iterable[tuple[int, bytes]]
    ) -> tuple[SnapshotRecord, bool]:
        """Store a frozen snapshot the league asked for; returns (record, duplicate)."""
        try:
            return self._put_snapshot(player_id, version, sha256, total_bytes, chunks)
        except LeagueError as error:
            self._count_rejection("snapshot", error)
            raise

    def _put_snapshot(self, player_id, version, sha256, total_bytes, chunks) -> tuple[SnapshotRecord, bool]:
        player = self._player(player_id)
        if not player.role.learning:
            raise LeagueError("invalid", f"{player_id} is a {player.role.value} player; only learning players freeze")
        sid = make_snapshot_id(player_id, version)
        existing = self.store.snapshot(sid)
        if existing:
            if existing.sha256 != sha256:
                raise LeagueError("precondition", f"snapshot {sid} is already stored with another checksum")
            # A retried upload (or a freeze answered with an unchanged version) is done.
            self.store.clear_pending_freeze(player_id)
            return existing, True
        if not self.store.learner_state(player_id).pending_freeze:
            raise LeagueError("precondition", f"the league did not ask {player_id} for a snapshot: call LearnerCheckin "
                              "and upload only when it answers freeze=true")
        path = self.files.write(sid, chunks, sha256, total_bytes)
        prior = self.store.ratings()[player_id]
        sid, duplicate = self.store.register_snapshot(player_id, version, path, sha256, total_bytes, prior)
        self.store.count("snapshots_stored")
        return self.store.snapshot(sid), duplicate

    def get_snapshot(self, snapshot_id: str) -> tuple[SnapshotRecord, Iterator[tuple[int, bytes]]]:
        try:
            record = self.store.snapshot(snapshot_id)
            if record is None:
                raise LeagueError("not_found", f"unknown snapshot {snapshot_id!r}")
            return record, SnapshotFiles.read(record.path, record.sha256, self.config.snapshot_chunk_bytes)
        except LeagueError as error:
            self._count_rejection("snapshot_read", error)
            raise
