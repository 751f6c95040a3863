"""A small client of the league service (the CLI and tests use it; other processes may
use the generated stubs in protos/league_pb2_grpc.py directly with the same metadata)."""

from __future__ import annotations

import hashlib

import grpc

from league.errors import LeagueError
from league.service import OUTCOME_VALUES
from league.transport import TOKEN_METADATA_KEY, channel
from protos import common_pb2, league_pb2, league_pb2_grpc


class LeagueClient:
    def __init__(self, address: str, token: str, tls_ca: str = "", timeout_s: float = 30.0):
        self._channel = channel(address, tls_ca)
        self.stub = league_pb2_grpc.LeagueStub(self._channel)
        self.metadata = ((TOKEN_METADATA_KEY, token),)
        self.timeout_s = timeout_s

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "LeagueClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method, request):
        return method(request, metadata=self.metadata, timeout=self.timeout_s)

    def request_match(self, actor_id: str, player_id: str = "") -> league_pb2.Match:
        return self._call(self.stub.RequestMatch, league_pb2.MatchRequest(actor_id=actor_id, player_id=player_id))

    def report_result(self, match_id: str, outcome: str, game_loops: int = 0, player_version: int = 0,
                      replay_path: str = "", actor_id: str = "") -> league_pb2.Ack:
        return self._call(self.stub.ReportResult, league_pb2.MatchResult(
            match_id=match_id, outcome=OUTCOME_VALUES[outcome], game_loops=game_loops,
            player_version=player_version, replay_path=replay_path, actor_id=actor_id))

    def report_eval_result(self, player_id: str, bot_difficulty: str, outcome: str, eval_id: str = "",
                           version: int = 0, game_loops: int = 0, map: str = "", seed: int = 0,
                           replay_path: str = "") -> league_pb2.Ack:
        return self._call(self.stub.ReportEvalResult, league_pb2.EvalResult(
            eval_id=eval_id, player_id=player_id, version=version, bot_difficulty=bot_difficulty,
            outcome=OUTCOME_VALUES[outcome], game_loops=game_loops, map=map, seed=seed, replay_path=replay_path))

    def standings(self) -> league_pb2.StandingsReply:
        return self._call(self.stub.Standings, league_pb2.StandingsRequest())

    def checkin(
        self, player_id: str, version: int, learner_steps: int, learner_address: str = ""
    ) -> league_pb2.CheckinReply:
        return self._call(self.stub.LearnerCheckin, league_pb2.CheckinRequest(
            player_id=player_id, version=version, learner_steps=learner_steps, learner_address=learner_address))

    def put_snapshot(
        self, player_id: str, version: int, data: bytes, chunk_bytes: int = 1 << 20
    ) -> league_pb2.SnapshotAck:
        sha = hashlib.sha256(data).hexdigest()

        def chunks():
            for offset in range(0, len(data), chunk_bytes):
                yield common_pb2.SnapshotChunk(player_id=player_id, version=version, sha256=sha,
                                               total_bytes=len(data), offset=offset,
                                               data=data[offset:offset + chunk_bytes])

        return self.stub.PutSnapshot(chunks(), metadata=self.metadata, timeout=self.timeout_s)

    def get_snapshot(self, snapshot_id: str) -> bytes:
        """The snapshot's bytes, checked against the sha256 the league sent with them."""
        parts, sha = [], ""
        for chunk in self.stub.GetSnapshot(league_pb2.SnapshotRequest(snapshot_id=snapshot_id),
                                           metadata=self.metadata, timeout=self.timeout_s):
            parts.append(chunk.data)
            sha = chunk.sha256
        data = b"".join(parts)
        if hashlib.sha256(data).hexdigest() != sha:
            raise LeagueError("data_loss", f"snapshot {snapshot_id} arrived with a wrong sha256")
        return data


def is_status(error: Exception, code: grpc.StatusCode) -> bool:
    return isinstance(error, grpc.RpcError) and error.code() == code
