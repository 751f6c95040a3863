"""`starleague play`: one headless game on the embedded engine, bots in both seats.

    starleague play --map Simple64 --p1 bot:easy --p2 bot:hard --seed 7

Prints the winner, game loops, each side's final supply and army, and where the replay
was saved. The same arguments give the same game (the engine and bots are deterministic).
"""

from __future__ import annotations

import argparse
import os
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("play", help="play one headless embedded-engine game between two bots")
    parser.add_argument("--map", default="Simple64", help="Simple64, Simple96 (melee maps)")
    parser.add_argument("--p1", default="bot:easy", help="seat 1: bot:<difficulty>[:race]")
    parser.add_argument("--p2", default="bot:hard", help="seat 2: bot:<difficulty>[:race]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step-mul", type=int, default=8)
    parser.add_argument("--game-loop-limit", type=int, default=22400 * 2,
                        help="tie after this many game loops (22.4 per real second)")
    parser.add_argument("--replay-dir", default="runs/replays", help="where the replay file is written")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sc2env.engine.environment import EmbeddedEnv
    from sc2env.env import EnvError
    from sc2env.types import AgentPlayer, parse_player

    try:
        players = [parse_player(args.p1), parse_player(args.p2)]
    except ValueError as error:
        print(f"play: {error}")
        return 2
    if any(isinstance(p, AgentPlayer) for p in players):
        print("play: only bot seats are supported here (agents play through `starleague train` / make_env)")
        return 2
    try:
        env = EmbeddedEnv(args.map, players, args.step_mul, args.seed, game_loop_limit=args.game_loop_limit)
        start = time.perf_counter()
        results = env.run_bots_until_end()
    except EnvError as error:
        print(f"play: {error}")
        return 2
    elapsed = time.perf_counter() - start
    game = env.game
    winner = [p for p, r in results.items() if r.name == "Victory"]
    print(f"map {args.map} seed {args.seed}: {args.p1} (P1) vs {args.p2} (P2)")
    print(f"winner: {'P%d %s' % (winner[0], [args.p1, args.p2][winner[0] - 1]) if winner else 'none (tie)'}")
    print(f"game loops: {game.game_loop} ({game.game_loop / 22.4:.0f} s at Faster)")
    for p in (1, 2):
        obs = game.observe(p)
        print(f"P{p}: {results[p].name}, supply {obs.player.food_used}/{obs.player.food_cap}, "
              f"army supply {game.army_supply(p):g} ({obs.player.army_count} units), "
              f"workers {obs.player.food_workers}")
    print(f"state hash: {game.state_hash()[:16]}")
    name = f"{args.map}-{args.p1.replace(':', '_')}-vs-{args.p2.replace(':', '_')}-seed{args.seed}.slrp"
    path = env.save_replay(os.path.join(args.replay_dir, name))
    print(f"replay: {path}  ({elapsed:.1f} s wall)")
    return 0
