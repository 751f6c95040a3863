"""`starleague eval`: play a snapshot against the built-in bots and report its strength."""

from __future__ import annotations

import argparse
import json
import os
import time

from starleague.config import PRESETS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate snapshots against the built-in bot ladder (win rates, Wilson CIs, Elo, HTML report)",
    )
    parser.add_argument("--snapshot", required=True, action="append",
                        help="checkpoint .pt, snapshot .safetensors, run directory, or league id like main_0@12 "
                             "(repeatable: several give a curve over versions)")
    parser.add_argument("--vs", default="veryeasy,easy,medium,hard", help="comma-separated bot levels")
    parser.add_argument("--games", type=int, default=10, help="games per snapshot and bot level")
    parser.add_argument("--backend", default="embedded", choices=["embedded", "sc2"])
    parser.add_argument("--map", default="Simple64")
    parser.add_argument("--step-mul", type=int, default=8)
    parser.add_argument("--game-loop-limit", type=int, default=22400, help="tie after this many game loops")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel game processes")
    parser.add_argument("--seed", type=int, default=1000, help="first game seed")
    parser.add_argument("--store", default=None, help="league SQLite store: resolves ids and records the games")
    parser.add_argument("--out", default=None, help="output folder (default runs/eval-<time>)")
    parser.add_argument("--replay-fraction", type=float, default=0.1,
                        help="share of games whose replay is saved (losses are always saved)")
    parser.add_argument("--greedy", action="store_true",
                        help="play each head's most likely choice instead of sampling as an actor does")
    parser.add_argument("--ladder", default=os.path.join("bench", "results", "bot_ladder.json"),
                        help="bot ladder results anchoring the Elo scale")
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS),
                        help="model config for snapshots that carry none")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="config override for that model config (repeatable)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from starleague import evaluate
    from starleague.config import ConfigError, build_config, to_dict
    from starleague.eval_report import write_report
    from sc2env.types import Difficulty

    try:
        opponents = [Difficulty.parse(v).name.lower() for v in args.vs.split(",") if v.strip()]
        fallback_model = to_dict(build_config(args.preset, args.overrides).model)
        sources = [s for ref in args.snapshot for s in evaluate.resolve_snapshots(ref, args.store, fallback_model)]
    except (ValueError, ConfigError) as error:
        print(f"error: {error}")
        return 2
    out = args.out or os.path.join("runs", f"eval-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(out, exist_ok=True)
    env_settings = {
        "backend": args.backend, "map": args.map, "step_mul": args.step_mul,
        "game_loop_limit": args.game_loop_limit, "replay_dir": os.path.join(out, "replays"),
        "replay_fraction": args.replay_fraction, "greedy": args.greedy,
    }
    jobs = [
        evaluate.GameJob(s, opponent, g, args.seed + g)
        for s in range(len(sources)) for opponent in opponents for g in range(args.games)
    ]
    print(f"evaluating {len(sources)} snapshot(s) x {len(opponents)} bot level(s) x {args.games} games "
          f"on {args.map} ({args.backend}) with {args.workers} worker(s), "
          f"{'greedy' if args.greedy else 'sampled'} actions")
    results = evaluate.play_all(sources, jobs, env_settings, max(1, args.workers))
    summary = evaluate.summarize(sources, results, opponents, evaluate.bot_anchors(args.ladder))
    summary["summary"] = f"{len(jobs)} games on {args.map}, backend {args.backend}, step_mul {args.step_mul}"
    if args.store:
        added = evaluate.record_in_store(args.store, sources, results, args.map)
        print(f"recorded {added} new evaluation game(s) in {args.store}")
    json_path = os.path.join(out, "eval.json")
    with open(json_path + ".tmp", "w") as f:
        json.dump(summary, f, indent=2)
    os.replace(json_path + ".tmp", json_path)
    html_path = write_report(summary, os.path.join(out, "eval.html"))
    for snapshot in summary["snapshots"]:
        print(f"\n{snapshot['label']}")
        print(f"  {'opponent':<16} {'W':>4} {'D':>4} {'L':>4} {'win rate':>9} {'95% CI':>15} {'mean loops':>11}")
        for o in snapshot["opponents"]:
            print(f"  {o['opponent']:<16} {o['wins']:>4} {o['draws']:>4} {o['losses']:>4} {o['win_rate']:>9.3f} "
                  f"  [{o['ci_low']:.2f}, {o['ci_high']:.2f}] {o['mean_game_loops']:>11.0f}")
        if snapshot["elo"]:
            print(f"  Elo {snapshot['elo']['rating']:.0f} ± {snapshot['elo']['stderr']:.0f} (bot ladder anchors)")
    print(f"\nresults: {json_path}\nreport:  {html_path}")
    return 0
