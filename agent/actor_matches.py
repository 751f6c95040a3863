"""Where an actor's matches come from and where their results go.

`LeagueMatches` asks the league (RequestMatch) and reports outcomes (ReportResult),
retrying reports that fail so a league restart loses none (bounded, oldest dropped).
`FixedMatches` serves one opponent forever, for running an actor without a league.
Opponent policies (frozen league snapshots, other learners' latest parameters) are
fetched and cached by `OpponentPolicies`.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
from typing import Callable, Optional

import grpc
import torch

from agent import snapshot, transport


@dataclasses.dataclass
class MatchPlan:
    """One match as the actor plays it (the league's Match, or a fixed one)."""

    match_id: str
    player_id: str
    opponent_kind: str  # "bot" | "snapshot" | "learning"
    opponent_id: str
    map: str
    seed: int
    bot_difficulty: str = "Easy"
    snapshot_id: str = ""
    learner_address: str = ""
    save_replay: bool = False
    player_race: str = "Terran"
    opponent_race: str = "Terran"


class FixedMatches:
    """Every match: the same opponent spec ('bot:easy' or 'self'), seeds counting up."""

    def __init__(self, player_id: str, opponent: str, map_name: str, actor_id: str, seed: int = 0):
        self.player_id = player_id
        self.opponent = opponent
        self.map = map_name
        self.actor_id = actor_id
        self._count = itertools.count()
        self._seed = seed
        self.reported: list[tuple[MatchPlan, str, int, str]] = []

    def next_match(self) -> MatchPlan:
        n = next(self._count)
        if self.opponent == "self":
            kind, opponent_id, difficulty = "learning", self.player_id, ""
        else:
            kind, opponent_id = "bot", self.opponent
            difficulty = self.opponent.split(":", 1)[1] if ":" in self.opponent else "Easy"
        return MatchPlan(f"{self.actor_id}-{n}", self.player_id, kind, opponent_id, self.map, self._seed + n,
                         bot_difficulty=difficulty)

    def report(self, match: MatchPlan, outcome: str, game_loops: int, player_version: int, replay_path: str) -> None:
        self.reported.append((match, outcome, game_loops, replay_path))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class LeagueMatches:
    """RequestMatch / ReportResult against the league service."""

    def __init__(self, address: str, token: str, actor_id: str, player_id: str = "",
                 tls: transport.TLSFiles | None = None, log: Callable[[str], None] = print, max_unreported: int = 256):
        from protos import league_pb2, league_pb2_grpc

        self._pb = league_pb2
        self.channel = transport.open_channel(address, tls)
        self.stub = league_pb2_grpc.LeagueStub(self.channel)
        self.metadata = transport.auth_metadata(token)
        self.actor_id = actor_id
        self.player_id = player_id
        self.log = log
        self._unreported: collections.deque = collections.deque(maxlen=max_unreported)
        self.failures = 0

    def next_match(self) -> MatchPlan:
        """Raises grpc.RpcError when the league is unreachable (the actor retries)."""
        reply = self.stub.RequestMatch(
            self._pb.MatchRequest(actor_id=self.actor_id, player_id=self.player_id), metadata=self.metadata, timeout=10
        )
        kinds = {self._pb.Opponent.LEARNING: "learning", self._pb.Opponent.SNAPSHOT: "snapshot",
                 self._pb.Opponent.BOT: "bot"}
        opponent = reply.opponent
        if opponent.kind not in kinds:
            raise ValueError(f"league match {reply.match_id} has an opponent of unknown kind {opponent.kind}")
        return MatchPlan(
            match_id=reply.match_id,
            player_id=reply.player.player_id,
            opponent_kind=kinds[opponent.kind],
            opponent_id=opponent.player_id,
            map=reply.map,
            seed=int(reply.seed),
            bot_difficulty=opponent.bot_difficulty or "Easy",
            snapshot_id=opponent.snapshot_id,
            learner_address=opponent.learner_address,
            save_replay=reply.save_replay,
            player_race=reply.player_race or "Terran",
            opponent_race=opponent.race or "Terran",
        )

    def report(self, match: MatchPlan, outcome: str, game_loops: int, player_version: int, replay_path: str) -> None:
        result = self._pb.MatchResult(
            match_id=match.match_id, outcome=getattr(self._pb, outcome), game_loops=game_loops,
            player_version=player_version, replay_path=replay_path, actor_id=self.actor_id,
        )
        self._unreported.append(result)
        self.flush()

    def close(self) -> None:
        self.channel.close()

    def flush(self) -> None:
        """Send every unreported result; keep the ones the league did not take (retried later)."""
        while self._unreported:
            result = self._unreported[0]
            try:
                self.stub.ReportResult(result, metadata=self.metadata, timeout=10)
            except grpc.RpcError as error:
                self.failures += 1
                self.log(f"actor: league ReportResult failed ({error.code().name}); will retry")
                return
            self._unreported.popleft()

    def fetch_snapshot(self, snapshot_id: str) -> dict[str, torch.Tensor]:
        request = self._pb.SnapshotRequest(snapshot_id=snapshot_id)
        data, _ = snapshot.assemble_chunks(self.stub.GetSnapshot(request, metadata=self.metadata, timeout=60))
        return snapshot.decode_snapshot(data)


class OpponentPolicies:
    """Opponent policies by id, built on demand from snapshots; a few kept (LRU)."""

    def __init__(self, build_policy: Callable[[], torch.nn.Module], token: str,
                 league: Optional[LeagueMatches], tls: transport.TLSFiles | None = None, keep: int = 4):
        self._build = build_policy
        self._token = token
        self._league = league
        self._tls = tls
        self._cache: collections.OrderedDict[str, torch.nn.Module] = collections.OrderedDict()
        self._keep = keep

    def get(self, match: MatchPlan) -> torch.nn.Module:
        key = match.snapshot_id if match.opponent_kind == "snapshot" else f"{match.opponent_id}@{match.learner_address}"
        if key in self._cache and match.opponent_kind == "snapshot":
            self._cache.move_to_end(key)
            return self._cache[key]
        if match.opponent_kind == "snapshot":
            if self._league is None:
                raise ValueError(f"match {match.match_id}: a snapshot opponent needs a league")
            params = self._league.fetch_snapshot(match.snapshot_id)
        else:
            from agent.actor import fetch_learner_snapshot
            from protos import learner_pb2_grpc

            channel = transport.open_channel(match.learner_address, self._tls)
            try:
                stub = learner_pb2_grpc.LearnerStub(channel)
                _, params = fetch_learner_snapshot(stub, transport.auth_metadata(self._token))
            finally:
                channel.close()
        policy = self._cache.pop(key, None) or self._build()
        policy.load_state_dict(params)
        policy.eval()
        self._cache[key] = policy
        while len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        return policy

