"""An actor process for single-seat scenario maps (the mini-games), logging every episode's return.

    STARLEAGUE_TOKEN=... python -m starleague.experiments.scenario_actor --preset tiny \
        --learner localhost:PORT --map MoveToBeacon --episodes-file run/episodes_actor_0.jsonl

It is `starleague actor` on a mini-game map (`agent.actor.Actor` fed by `FixedMatches`, no
league, the same env factory) plus an episode log: each finished episode appends one JSON line
{"time", "return", "steps", "version", "actor_id"} to --episodes-file, so the learning
curve is measured on the very episodes the learner trains on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Callable


class EpisodeLog:
    """Append-only JSON lines, one per finished episode (flushed: a killed actor loses nothing written)."""

    def __init__(self, path: str, actor_id: str):
        self.path = path
        self.actor_id = actor_id
        self.version: Callable[[], int] = lambda: -1
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def write(self, episode_return: float, steps: int) -> None:
        line = {"time": time.time(), "return": episode_return, "steps": steps,
                "version": int(self.version()), "actor_id": self.actor_id}
        with open(self.path, "a") as f:
            f.write(json.dumps(line) + "\n")


class RecordingEnv:
    """Passes everything to the wrapped env; sums the agent's reward and logs it at the episode's end."""

    def __init__(self, env: Any, log: EpisodeLog):
        self._env = env
        self._log = log
        self._return = 0.0
        self._steps = 0

    def reset(self):
        self._return, self._steps = 0.0, 0
        return self._env.reset()

    def step(self, actions):
        timesteps = self._env.step(actions)
        self._return += float(timesteps[0].reward)
        self._steps += 1
        if timesteps[0].last():
            self._log.write(self._return, self._steps)
        return timesteps

    def __getattr__(self, name: str):
        return getattr(self._env, name)


def scenario_env_factory(env_config, log: EpisodeLog | None = None):
    """MatchPlan -> the scenario env with its single agent seat (seeded by the match), as
    `starleague actor` makes it, with every episode's return logged."""
    from starleague.commands._runtime import env_factory

    make_env = env_factory(env_config)

    def make(match):
        env = make_env(match)
        return RecordingEnv(env, log) if log is not None else env

    return make


def main(argv: list[str] | None = None) -> int:
    import torch

    from agent import transport
    from agent.actor import Actor
    from agent.actor_matches import FixedMatches, OpponentPolicies
    from protos import learner_pb2_grpc
    from starleague.commands._common import add_config_arguments, resolve_config
    from starleague.commands._runtime import add_auth_arguments, auth_from, build_policy, stop_on_signals

    parser = argparse.ArgumentParser(prog="scenario_actor", description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    add_auth_arguments(parser)
    parser.add_argument("--learner", required=True, help="learner host:port")
    parser.add_argument("--map", required=True, help="scenario map name, e.g. MoveToBeacon")
    parser.add_argument("--player", default="main_0")
    parser.add_argument("--actor-id", default="actor_0")
    parser.add_argument("--episodes-file", required=True)
    parser.add_argument("--match-seed", type=int, default=0, help="env seed of the first episode (then +1 each)")
    args = parser.parse_args(argv)

    config = resolve_config(args, save=False)
    token, tls = auth_from(args)
    torch.set_num_threads(1)
    torch.manual_seed(args.match_seed)
    log = EpisodeLog(args.episodes_file, args.actor_id)
    matches = FixedMatches(args.player, "self", args.map, args.actor_id, seed=args.match_seed)
    channel = transport.open_channel(args.learner, tls)
    actor = Actor(
        actor_id=args.actor_id,
        policy=build_policy(config.model),
        learner_stub=learner_pb2_grpc.LearnerStub(channel),
        token=token,
        matches=matches,
        opponents=OpponentPolicies(lambda: build_policy(config.model), token, None, tls),
        make_env=scenario_env_factory(config.env, log),
        config=config.actor,
        unroll_length=config.learner.unroll_length,
        replay_dir=os.path.join(config.run_dir, "replays"),
        log=lambda line: print(line, flush=True),
        discount=config.rl.discount,
        score_reward_scale=config.rl.score_reward_scale,
    )
    log.version = lambda: actor.version
    stop_on_signals(actor.stop)
    try:
        stats = actor.run()
    finally:
        channel.close()  # as `starleague actor`: no gRPC call may outlive the interpreter
        actor.join_threads()
    print(f"scenario actor {args.actor_id}: done: {stats}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
