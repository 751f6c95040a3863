"""`starleague sc2-server`: serve the embedded engine over the SC2 API websocket.

Clients written for the real game (pysc2, python-sc2, our SC2ApiEnv) connect to
ws://HOST:PORT/sc2api. `--make-shim DIR` instead writes a fake SC2PATH whose
Versions/Base*/SC2_x64 starts this server, so programs that launch the game themselves
(pysc2's run_configs) run against the engine with SC2PATH=DIR.
"""

from __future__ import annotations

import argparse
import logging
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sc2-server", help="serve the embedded engine over the SC2 API (ws://host:port/sc2api)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (0 = any free port)")
    parser.add_argument(
        "--game-loop-limit", type=int, default=None,
        help="end every game as a tie at this game loop (default: no limit, like the real game)",
    )
    parser.add_argument(
        "--make-shim", metavar="DIR", default=None,
        help="write a fake SC2PATH at DIR whose SC2_x64 starts this server, print how to use it, and exit",
    )
    parser.add_argument("--verbose", action="store_true", help="log every connection and game")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sc2env  # noqa: F401  (protobuf compatibility fix)
    from sc2env.sc2api import server, shim

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.make_shim:
        binary = shim.make_shim(args.make_shim)
        print(f"wrote {binary}")
        print(f"maps: {', '.join(sorted(server.embedded_map_paths()))}")
        print(f"use it with: SC2PATH={args.make_shim} (pysc2, `--set env.backend=sc2`)")
        print(f"optional: {shim.GAME_LOOP_LIMIT_ENV}=N ends games as a tie at game loop N")
        return 0
    limit = args.game_loop_limit if args.game_loop_limit is not None else server.DEFAULT_GAME_LOOP_LIMIT

    def ready(port: int) -> None:
        print(f"serving the embedded engine at ws://{args.host}:{port}/sc2api (Ctrl-C to stop)", flush=True)

    try:
        return server.run_server(args.host, args.port, game_loop_limit=limit, ready=ready)
    except OSError as error:
        print(f"sc2-server: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
