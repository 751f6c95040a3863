"""`starleague train --serial`: league, learner and actors in one process, for debugging.

The same parts as the multi-process run (LeagueServer, Learner, Actor) talk over real
gRPC on localhost, but live in one process: a debugger or a profiler sees everything,
and a stack trace covers the whole pipeline. The learner trains in the main thread; each
actor runs in its own thread. Slower than separate processes (one GIL).
"""

from __future__ import annotations

import os
import threading
import time

import torch

from agent import transport
from agent.actor import Actor
from agent.actor_matches import LeagueMatches, OpponentPolicies
from agent.learner import LeagueLink, Learner
from protos import learner_pb2_grpc
from starleague.commands._runtime import build_policy, env_factory
from starleague.config import RunConfig, to_dict


def run_serial(config: RunConfig, player: str, token: str, minutes: float | None, steps: int | None,
               log=print) -> Learner:
    from league.league import League
    from league.service import LeagueServer, default_paths
    from league.store import LeagueStore

    torch.manual_seed(config.seed)
    store_path, snapshot_dir = default_paths(config.league, config.run_dir)
    os.makedirs(os.path.dirname(store_path), exist_ok=True)
    store = LeagueStore(store_path)
    league = LeagueServer(League(store, config.league, snapshot_dir), "localhost:0", token).start()
    learner = Learner(player, build_policy(config.model), config.rl, config.learner, config.run_dir, token,
                      run_config=to_dict(config), log=log)
    port = learner.serve("localhost:0")
    learner.league = LeagueLink(league.address, token, f"localhost:{port}", config.learner.league_checkin_seconds,
                                log=log)
    actors, threads = [], []
    for i in range(config.actor.num_actors):
        matches = LeagueMatches(league.address, token, f"serial_actor_{i}", player, log=log)
        actor = Actor(f"serial_actor_{i}", build_policy(config.model),
                      learner_pb2_grpc.LearnerStub(transport.open_channel(f"localhost:{port}")), token, matches,
                      OpponentPolicies(lambda: build_policy(config.model), token, matches),
                      env_factory(config.env), config.actor, config.learner.unroll_length,
                      os.path.join(config.run_dir, "replays"), log=log, discount=config.rl.discount,
                      score_reward_scale=config.rl.score_reward_scale)
        actors.append(actor)
        threads.append(threading.Thread(target=actor.run, name=f"actor_{i}", daemon=True))
    for thread in threads:
        thread.start()
    log(f"serial run: league {league.address}, learner localhost:{port}, {len(actors)} actor threads")
    start = time.time()
    try:
        learner.train(max_steps=steps, max_seconds=minutes * 60 if minutes else None)
    except KeyboardInterrupt:
        log("interrupted")
    finally:
        for actor in actors:
            actor.stop()
        for thread in threads:
            thread.join(timeout=30)
        learner.shutdown()
        league.stop()
        store.close()
    log(f"serial run: {learner.progress.steps} learner steps, {learner.progress.frames} frames in "
        f"{(time.time() - start) / 60:.1f} min; checkpoints in {learner.checkpoints.directory}")
    return learner
