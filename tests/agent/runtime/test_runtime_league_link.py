"""The learner's league link and the actor's opponents against the real league service on localhost."""

import pytest
import torch

from agent.actor_matches import LeagueMatches, MatchPlan, OpponentPolicies
from agent.learner import Learner, LeagueLink
from agent.rl.config import RLConfig
from agent.runtime_config import LearnerConfig
from league.config import LeagueConfig
from league.league import League
from league.service import LeagueServer
from league.store import LeagueStore
from runtime_helpers import tiny_policy

TOKEN = "league-link-token"


@pytest.mark.timeout(120)
def test_freeze_uploads_a_snapshot_that_actors_play_against(tmp_path):
    store = LeagueStore(str(tmp_path / "league.sqlite"))
    league = League(store, LeagueConfig(main_exploiters=0), str(tmp_path / "snapshots"))
    server = LeagueServer(league, "localhost:0", TOKEN).start()
    learner = Learner("main_0", tiny_policy(), RLConfig(), LearnerConfig(batch_size=2, unroll_length=4),
                      str(tmp_path / "run"), TOKEN, log=lambda line: None)
    port = learner.serve("localhost:0")
    try:
        link = LeagueLink(server.address, TOKEN, f"localhost:{port}", every_seconds=0.0, log=lambda line: None)
        link.maybe_checkin(learner)
        assert link.failures == 0 and len(link.frozen) == 1, "a new main agent's first check-in freezes it"
        snapshot_id = link.frozen[0]

        matches = LeagueMatches(server.address, TOKEN, "actor_t", "main_0", log=lambda line: None)
        match = matches.next_match()
        assert match.player_id == "main_0" and match.opponent_kind in ("bot", "snapshot", "learning")
        opponents = OpponentPolicies(lambda: tiny_policy(seed=7), TOKEN, matches)
        frozen = opponents.get(MatchPlan("m", "main_0", "snapshot", snapshot_id, "Simple64", 0, snapshot_id=snapshot_id))
        for name, tensor in learner.policy.state_dict().items():
            assert torch.equal(frozen.state_dict()[name], tensor), name
        live = opponents.get(MatchPlan("m2", "main_0", "learning", "main_0", "Simple64", 0,
                                       learner_address=f"localhost:{port}"))
        assert all(torch.equal(live.state_dict()[k], v) for k, v in learner.policy.state_dict().items())
        matches.report(match, "WIN", 1234, 0, "")
        matches.flush()
        assert store.match_counts()[1] == 1, "the result reached the league"
    finally:
        learner.shutdown(grace=0)
        server.stop(0)
