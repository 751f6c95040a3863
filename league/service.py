"""The league over gRPC (protos/league.proto, service starleague.league.League).

Maps each RPC onto `League` and each `LeagueError` onto a gRPC status with its message:
not_found -> NOT_FOUND, invalid -> INVALID_ARGUMENT, precondition -> FAILED_PRECONDITION,
data_loss -> DATA_LOSS. Every refusal is counted in the store's counters (shown by
Standings). The standard grpc.health.v1 service is registered and needs no token.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import os
import signal
import threading
from typing import Iterator

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from league.config import LeagueConfig
from league.errors import LeagueError
from league.league import Assignment, League
from league.players import Role
from league.standings import compute_standings, render
from league.store import LeagueStore
from league.transport import TokenCheck, bind
from protos import common_pb2, league_pb2, league_pb2_grpc

log = logging.getLogger(__name__)

SERVICE_NAME = league_pb2.DESCRIPTOR.services_by_name["League"].full_name
_STATUS = {
    "not_found": grpc.StatusCode.NOT_FOUND,
    "invalid": grpc.StatusCode.INVALID_ARGUMENT,
    "precondition": grpc.StatusCode.FAILED_PRECONDITION,
    "data_loss": grpc.StatusCode.DATA_LOSS,
    "internal": grpc.StatusCode.INTERNAL,
}
OUTCOME_NAMES = {league_pb2.WIN: "win", league_pb2.DRAW: "draw", league_pb2.LOSS: "loss"}
OUTCOME_VALUES = {name: value for value, name in OUTCOME_NAMES.items()}
_KIND = {Role.HISTORICAL: league_pb2.Opponent.SNAPSHOT, Role.BOT: league_pb2.Opponent.BOT}


def _outcome(value: int) -> str:
    if value not in OUTCOME_NAMES:
        raise LeagueError("invalid", f"outcome must be WIN, DRAW or LOSS, got enum value {value}")
    return OUTCOME_NAMES[value]


def _rpc(method):
    """LeagueError -> its gRPC status; anything else -> INTERNAL (logged), never a dead server."""

    @functools.wraps(method)
    def handler(self, request, context):
        try:
            return method(self, request, context)
        except LeagueError as error:
            context.abort(_STATUS[error.code], str(error))
        except Exception as error:  # noqa: BLE001 - one bad request must not kill the league
            log.exception("league %s failed", method.__name__)
            self.league.store.count("internal_error")
            context.abort(grpc.StatusCode.INTERNAL, f"{type(error).__name__}: {error}")

    return handler


def match_message(assignment: Assignment) -> league_pb2.Match:
    match, opponent = assignment.match, assignment.opponent
    kind = _KIND.get(opponent.role, league_pb2.Opponent.LEARNING)
    return league_pb2.Match(
        match_id=match.match_id,
        player=common_pb2.PlayerRef(player_id=match.player_id, version=match.player_version),
        opponent=league_pb2.Opponent(
            kind=kind,
            player_id=opponent.player_id,
            snapshot_id=opponent.player_id if kind == league_pb2.Opponent.SNAPSHOT else "",
            version=match.opponent_version,
            bot_difficulty=opponent.bot_difficulty,
            learner_address=assignment.opponent_learner_address,
            race=opponent.race,
        ),
        map=match.map,
        seed=match.seed,
        save_replay=match.save_replay,
        player_race=assignment.player.race,
        player_learner_address=assignment.player_learner_address,
        role=assignment.player.role.value,
    )


def standings_message(store: LeagueStore) -> league_pb2.StandingsReply:
    standings = compute_standings(store)
    reply = league_pb2.StandingsReply(
        table=render(standings),
        matches_pending=standings.matches_pending,
        matches_reported=standings.matches_reported,
    )
    reply.counters.update(standings.counters)
    for row in standings.rows:
        reply.players.add(
            player_id=row.player_id, role=row.role, version=row.version, games=row.games, rating=row.rating,
            rating_uncertainty=row.deviation, parent=row.parent, race=row.race, learner_steps=row.learner_steps,
            vs_bots=[league_pb2.BotWinRate(bot=b.bot, win_rate=b.win_rate, games=b.games) for b in row.vs_bots],
        )
    for (home, away), stats in sorted(standings.payoff.items()):
        reply.payoff.add(player_id=home, opponent_id=away, wins=stats.wins, draws=stats.draws,
                         losses=stats.losses, games=stats.games, win_rate=stats.win_rate)
    return reply


class LeagueServicer(league_pb2_grpc.LeagueServicer):
    def __init__(self, league: League):
        self.league = league

    @_rpc
    def RequestMatch(self, request, context):
        return match_message(self.league.request_match(request.actor_id, request.player_id))

    @_rpc
    def ReportResult(self, request, context):
        try:
            outcome = _outcome(request.outcome)
        except LeagueError as error:
            self.league.store.count("report_rejected_invalid")
            raise error
        result = self.league.report_result(
            request.match_id, outcome, request.game_loops, request.player_version, request.replay_path
        )
        return league_pb2.Ack(accepted=result.accepted, duplicate=result.duplicate, message=result.message)

    @_rpc
    def ReportEvalResult(self, request, context):
        try:
            outcome = _outcome(request.outcome)
        except LeagueError as error:
            self.league.store.count("eval_report_rejected_invalid")
            raise error
        result = self.league.report_eval(
            request.player_id, request.bot_difficulty, outcome, version=request.version,
            game_loops=request.game_loops, map=request.map, seed=request.seed,
            replay_path=request.replay_path, eval_id=request.eval_id,
        )
        return league_pb2.Ack(accepted=result.accepted, duplicate=result.duplicate, message=result.message)

    @_rpc
    def Standings(self, request, context):
        return standings_message(self.league.store)

    @_rpc
    def LearnerCheckin(self, request, context):
        answer = self.league.checkin(request.player_id, request.version, request.learner_steps, request.learner_address)
        return league_pb2.CheckinReply(freeze=answer.freeze, reset=answer.reset, reason=answer.reason)

    @_rpc
    def PutSnapshot(self, request_iterator, context):
        iterator = iter(request_iterator)
        first = next(iterator, None)
        if first is None:
            self.league.store.count("snapshot_rejected_invalid")
            raise LeagueError("invalid", "PutSnapshot got no chunks")
        record, duplicate = self.league.put_snapshot(
            first.player_id, first.version, first.sha256, first.total_bytes, _chunks(first, iterator)
        )
        return league_pb2.SnapshotAck(snapshot_id=record.snapshot_id, sha256=record.sha256,
                                      total_bytes=record.total_bytes, duplicate=duplicate)

    def GetSnapshot(self, request, context):
        # A streaming handler: errors must be raised before the first chunk is sent.
        try:
            record, chunks = self.league.get_snapshot(request.snapshot_id)
        except LeagueError as error:
            context.abort(_STATUS[error.code], str(error))
        for offset, data in chunks:
            yield common_pb2.SnapshotChunk(
                player_id=record.parent, version=record.version, sha256=record.sha256,
                total_bytes=record.total_bytes, offset=offset, data=data,
            )


def _chunks(first: common_pb2.SnapshotChunk, rest: Iterator[common_pb2.SnapshotChunk]) -> Iterator[tuple[int, bytes]]:
    """(offset, data) of every chunk; later chunks must not name another snapshot."""
    yield first.offset, first.data
    for chunk in rest:
        other_player = chunk.player_id and chunk.player_id != first.player_id
        if other_player or (chunk.version and chunk.version != first.version):
            raise LeagueError("invalid", f"chunk for {chunk.player_id}@{chunk.version} in the upload of "
                              f"{first.player_id}@{first.version}: one snapshot per PutSnapshot call")
        yield chunk.offset, chunk.data


class LeagueServer:
    """A running league service: gRPC server + health service over one League."""

    def __init__(self, league: League, address: str, token: str, tls_cert: str = "", tls_key: str = "",
                 threads: int = 16):
        self.league = league
        interceptor = TokenCheck(token, on_reject=lambda reason: league.store.count(f"auth_rejected_{reason}"))
        self._server = grpc.server(
            concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="league"),
            interceptors=[interceptor],
            options=[("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)],
        )
        league_pb2_grpc.add_LeagueServicer_to_server(LeagueServicer(league), self._server)
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        host = address.rsplit(":", 1)[0]
        self.port = bind(self._server, address, tls_cert, tls_key)
        self.address = f"{host}:{self.port}"

    def start(self) -> "LeagueServer":
        self._server.start()
        for service in ("", SERVICE_NAME):
            self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        return self

    def stop(self, grace: float | None = 2.0) -> None:
        self.health.enter_graceful_shutdown()
        self._server.stop(grace).wait()

    def wait(self) -> None:
        self._server.wait_for_termination()


def default_paths(config: LeagueConfig, run_dir: str) -> tuple[str, str]:
    """(database, snapshot directory): the config's, else under <run_dir>/league/."""
    store_path = config.store_path or os.path.join(run_dir, "league", "league.sqlite")
    snapshot_dir = config.snapshot_dir or os.path.join(os.path.dirname(store_path), "snapshots")
    return store_path, snapshot_dir


def serve(config: LeagueConfig, store_path: str, snapshot_dir: str, token: str, ready=print) -> int:
    """Run the league service until SIGTERM / SIGINT; the store survives any stop."""
    store = LeagueStore(store_path)
    league = League(store, config, snapshot_dir)
    server = LeagueServer(league, config.address, token, config.tls_cert, config.tls_key, config.service_threads)
    server.start()
    pending, reported = store.match_counts()
    ready(f"league listening on {server.address} (store {store_path}, schema v{store.schema_version()}, "
          f"{reported} results, {pending} pending matches)")
    stopped = threading.Event()

    def on_signal(signum, frame):
        stopped.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    stopped.wait()
    server.stop()
    store.close()
    return 0
