"""`starleague learner`: the gRPC learner of one learning player (agent/learner.py)."""

from __future__ import annotations

import argparse

import torch

from starleague.commands._common import add_config_arguments, resolve_config
from starleague.commands._runtime import add_auth_arguments, auth_from, build_policy, stop_on_signals
from starleague.config import to_dict


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("learner", help="run the learner of one learning player (gRPC server + training)")
    add_config_arguments(parser)
    add_auth_arguments(parser)
    parser.add_argument("--player", default="main_0", help="the learning player this learner trains")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (0 = any free; default: learner.address)")
    parser.add_argument("--host", default="[::]", help="interface to bind")
    parser.add_argument("--advertise", default=None, help="host:port the league gives actors (default localhost:<port>)")
    parser.add_argument("--league", default=None, help="league host:port to check in with (freeze/reset)")
    parser.add_argument("--resume", action="store_true", help="continue from the newest good checkpoint")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many learner steps")
    parser.add_argument("--minutes", type=float, default=None, help="stop after this many minutes")
    parser.add_argument("--port-file", default=None, help="write the bound port here once serving (for launchers)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.learner import Learner, LeagueLink

    config = resolve_config(args)
    token, tls = auth_from(args)
    torch.manual_seed(config.seed)
    if config.learner.torch_threads > 0:
        torch.set_num_threads(config.learner.torch_threads)
    port = args.port if args.port is not None else int(config.learner.address.rsplit(":", 1)[1])
    learner = Learner(
        player_id=args.player,
        policy=build_policy(config.model),
        rl_config=config.rl,
        config=config.learner,
        run_dir=config.run_dir,
        token=token,
        run_config=to_dict(config),
        tls=tls,
        resume=args.resume,
        log=lambda line: print(line, flush=True),
    )
    bound = learner.serve(f"{args.host}:{port}")
    advertise = args.advertise or f"localhost:{bound}"
    if args.league:
        learner.league = LeagueLink(args.league, token, advertise, config.learner.league_checkin_seconds, tls)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(bound))
        import os

        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"learner {args.player} serving on port {bound} (device {learner.device}); "
          f"checkpoints in {learner.checkpoints.directory}, TensorBoard logs in {learner.log_dir}", flush=True)
    stop_on_signals(learner.stop)
    try:
        learner.train(max_steps=args.steps, max_seconds=args.minutes * 60 if args.minutes else None)
    finally:
        learner.shutdown()
    return 0
