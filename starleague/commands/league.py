"""`starleague league serve | standings | check`: run the league service and read its table.

    starleague league serve --preset tiny --run-dir runs/x        # gRPC service, store under runs/x/league/
    starleague league standings --store runs/x/league/league.sqlite
    starleague league standings --address localhost:50061         # from a running service (token needed)
    starleague league check --store runs/x/league/league.sqlite   # consistency of payoff + ratings
"""

from __future__ import annotations

import argparse
import sys

from starleague.commands._common import add_config_arguments, resolve_config
from starleague.config import ConfigError, build_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("league", help="the league service: matchmaking, results, standings")
    actions = parser.add_subparsers(dest="league_command", metavar="ACTION")
    actions.required = True

    serve = actions.add_parser("serve", help="run the league gRPC service (until SIGTERM)")
    add_config_arguments(serve)
    serve.add_argument("--store", default="", help="SQLite database (default: <run-dir>/league/league.sqlite)")
    serve.add_argument("--snapshot-dir", default="", help="frozen snapshots (default: beside the database)")
    serve.add_argument("--address", default="", help="host:port to listen on, port 0 picks one (default: config)")
    serve.add_argument("--token-file", default="", help="file holding the auth token (else $STARLEAGUE_TOKEN)")
    serve.set_defaults(func=run_serve)

    standings = actions.add_parser("standings", help="print players, ratings, win rates vs bots, payoff matrix")
    where = standings.add_mutually_exclusive_group(required=True)
    where.add_argument("--store", help="read a league database directly")
    where.add_argument("--address", help="ask a running league service")
    standings.add_argument("--token-file", default="", help="auth token file for --address (else $STARLEAGUE_TOKEN)")
    standings.add_argument("--tls-ca", default="", help="CA certificate when the service uses TLS")
    standings.set_defaults(func=run_standings)

    check = actions.add_parser("check", help="verify a league database: integrity, payoff and ratings replay")
    add_config_arguments(check)
    check.add_argument("--store", required=True)
    check.set_defaults(func=run_check)


def run_serve(args: argparse.Namespace) -> int:
    from league.errors import LeagueError
    from league.service import default_paths, serve
    from league.transport import read_token

    config = resolve_config(args, save=False)
    league_config = config.league
    if args.address:
        league_config.address = args.address
    league_config.store_path = args.store or league_config.store_path
    league_config.snapshot_dir = args.snapshot_dir or league_config.snapshot_dir
    store_path, snapshot_dir = default_paths(league_config, config.run_dir)
    try:
        token = read_token(args.token_file or league_config.token_file)
        return serve(league_config, store_path, snapshot_dir, token, ready=lambda line: print(line, flush=True))
    except LeagueError as error:
        print(f"league error: {error}", file=sys.stderr)
        return 2


def run_standings(args: argparse.Namespace) -> int:
    import grpc

    from league.errors import LeagueError

    try:
        if args.store:
            from league.standings import compute_standings, render
            from league.store import LeagueStore

            with LeagueStore(args.store) as store:
                print(render(compute_standings(store)))
            return 0
        from league.client import LeagueClient
        from league.transport import read_token

        with LeagueClient(args.address, read_token(args.token_file), args.tls_ca) as client:
            print(client.standings().table)
        return 0
    except LeagueError as error:
        print(f"league error: {error}", file=sys.stderr)
        return 2
    except grpc.RpcError as error:
        print(f"league service error: {error.code().name}: {error.details()}", file=sys.stderr)
        return 2


def run_check(args: argparse.Namespace) -> int:
    from league.scoring import ScoringRules
    from league.store import LeagueStore

    try:
        config = build_config(args.preset, args.overrides)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    with LeagueStore(args.store) as store:
        problems = store.verify(ScoringRules.from_config(config.league))
        pending, reported = store.match_counts()
    for problem in problems:
        print(f"problem: {problem}")
    print(f"{args.store}: {reported} results, {pending} pending, {'consistent' if not problems else 'INCONSISTENT'}")
    return 1 if problems else 0
