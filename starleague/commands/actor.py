"""`starleague actor`: K environments feeding one learner (agent/actor.py)."""

from __future__ import annotations

import argparse
import os
import socket

import torch

from starleague.commands._common import add_config_arguments, resolve_config
from starleague.commands._runtime import add_auth_arguments, auth_from, build_policy, env_factory, stop_on_signals


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("actor", help="play matches and stream trajectories to a learner")
    add_config_arguments(parser)
    add_auth_arguments(parser)
    parser.add_argument("--learner", default=None, help="learner host:port (default: learner.address)")
    parser.add_argument("--league", default=None, help="league host:port (omit to play --opponent forever)")
    parser.add_argument("--player", default="main_0", help="the learning player this actor plays")
    parser.add_argument("--opponent", default="bot:easy",
                        help="without a league: 'bot:<difficulty>' or 'self' (a mini-game map, e.g. --set "
                             "env.map=MoveToBeacon, has no opponent seat and ignores this)")
    parser.add_argument("--actor-id", default=None, help="name in logs and league reports (default host-pid)")
    parser.add_argument("--envs", type=int, default=None, help="environments in this process (default actor.envs_per_actor)")
    parser.add_argument("--minutes", type=float, default=None, help="stop after this many minutes")
    parser.add_argument("--frames", type=int, default=None, help="stop after this many env frames")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.actor import Actor
    from agent.actor_matches import FixedMatches, LeagueMatches, OpponentPolicies
    from agent import transport
    from protos import learner_pb2_grpc

    config = resolve_config(args, save=False)
    token, tls = auth_from(args)
    torch.set_num_threads(1)  # many actors share the cores; batching gives the speed
    if args.envs:
        config.actor.envs_per_actor = args.envs
    actor_id = args.actor_id or f"{socket.gethostname()}-{os.getpid()}"
    if args.league:
        matches = LeagueMatches(args.league, token, actor_id, args.player, tls)
    else:
        matches = FixedMatches(args.player, args.opponent, config.env.map, actor_id, seed=config.seed)
    channel = transport.open_channel(args.learner or config.learner.address, tls)
    actor = Actor(
        actor_id=actor_id,
        policy=build_policy(config.model),
        learner_stub=learner_pb2_grpc.LearnerStub(channel),
        token=token,
        matches=matches,
        opponents=OpponentPolicies(lambda: build_policy(config.model), token,
                                   matches if isinstance(matches, LeagueMatches) else None, tls),
        make_env=env_factory(config.env),
        config=config.actor,
        unroll_length=config.learner.unroll_length,
        replay_dir=os.path.join(config.run_dir, "replays"),
        log=lambda line: print(line, flush=True),
        discount=config.rl.discount,
        score_reward_scale=config.rl.score_reward_scale,
    )
    stop_on_signals(actor.stop)
    try:
        stats = actor.run(max_seconds=args.minutes * 60 if args.minutes else None, max_frames=args.frames)
    finally:
        # Close the channels (cancelling any call in flight), then let the follower thread end:
        # no gRPC call may outlive the interpreter (see Actor.join_threads).
        channel.close()
        matches.close()
        actor.join_threads()
    print(f"actor {actor_id}: done: {stats}", flush=True)
    return 0
