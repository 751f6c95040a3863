"""Built-in bot ladder: each level against the one below it, seeded games on Simple64.

    .venv/bin/python -m bench.bot_ladder --games 50 --workers 2

Each game is `make_env(backend="embedded", players=[bot, bot])` at step_mul 8, both seats
played by built-in bots (sc2env.bots) that see only their own fogged observation, until a side has no
structures left (victory) or the game-loop limit (tie). The higher level takes seat 1 in
even-seeded games and seat 2 in odd ones, so neither start location is favoured. Work is
split over worker processes that each write JSON (nothing is pickled between processes).
Writes bench/results/bot_ladder.json and .md with the command, machine and commit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

LEVELS = ("VeryEasy", "Easy", "Medium", "MediumHard", "Hard", "Harder")
RESULTS = pathlib.Path(__file__).resolve().parent / "results"
REPO = pathlib.Path(__file__).resolve().parent.parent


def play_game(high: str, low: str, seed: int, map_name: str, step_mul: int, game_loop_limit: int) -> dict:
    """One bot-vs-bot game through make_env; returns the outcome from the higher level's side."""
    from sc2env.env import make_env
    from sc2env.types import BotPlayer, Difficulty, Race, Result

    high_seat = 1 if seed % 2 == 0 else 2
    names = {high_seat: high, 3 - high_seat: low}
    players = [BotPlayer(Race.Terran, Difficulty.parse(names[p])) for p in (1, 2)]
    env = make_env(backend="embedded", map=map_name, players=players, step_mul=step_mul, seed=seed,
                   game_loop_limit=game_loop_limit)
    start = time.perf_counter()
    env.reset()
    results = env.run_bots_until_end()
    game, bots = env.game, env.bots
    outcome = {Result.Victory: "win", Result.Defeat: "loss"}.get(results.get(high_seat), "tie")
    row = {
        "high": high, "low": low, "seed": seed, "high_seat": high_seat, "outcome": outcome,
        "game_loops": int(game.game_loop), "seconds": round(time.perf_counter() - start, 2),
        "high_army_supply": game.army_supply(high_seat), "low_army_supply": game.army_supply(3 - high_seat),
        "high_commands": bots[high_seat].commands_sent, "high_errors": bots[high_seat].errors_seen,
        "low_commands": bots[3 - high_seat].commands_sent, "low_errors": bots[3 - high_seat].errors_seen,
    }
    env.close()
    return row


def worker(args: argparse.Namespace) -> None:
    tasks = json.loads(pathlib.Path(args.tasks).read_text())
    out = pathlib.Path(args.out)
    rows = []
    for high, low, seed in tasks:
        rows.append(play_game(high, low, seed, args.map, args.step_mul, args.game_loop_limit))
        out.write_text(json.dumps(rows))  # partial results survive an interrupted run
        print(f"{high} vs {low} seed {seed}: {rows[-1]['outcome']} at loop {rows[-1]['game_loops']} "
              f"({rows[-1]['seconds']} s)", flush=True)


def summarize(rows: list[dict], pairs: list[tuple[str, str]]) -> list[dict]:
    table = []
    for high, low in pairs:
        games = [r for r in rows if r["high"] == high and r["low"] == low]
        n = len(games)
        wins = sum(r["outcome"] == "win" for r in games)
        losses = sum(r["outcome"] == "loss" for r in games)
        ties = n - wins - losses
        cmds = sum(r["high_commands"] + r["low_commands"] for r in games)
        errs = sum(r["high_errors"] + r["low_errors"] for r in games)
        table.append({
            "high": high, "low": low, "games": n, "wins": wins, "losses": losses, "ties": ties,
            "win_rate": round(wins / n, 3) if n else None,
            "mean_game_minutes": round(sum(r["game_loops"] for r in games) / max(n, 1) / 22.4 / 60, 2),
            "action_error_rate": round(errs / max(cmds, 1), 4),
            "mean_wall_seconds": round(sum(r["seconds"] for r in games) / max(n, 1), 2),
        })
    return table


def markdown(meta: dict, table: list[dict]) -> str:
    lines = [
        "# Built-in bot ladder (embedded engine)", "",
        f"- command: `{meta['command']}`",
        f"- machine: {meta['machine']}",
        f"- commit: {meta['commit']}",
        f"- date: {meta['date']}",
        f"- map {meta['map']}, step_mul {meta['step_mul']}, game-loop limit {meta['game_loop_limit']} "
        f"(a tie), {meta['games']} seeded games per pair, seats alternate",
        f"- wall time: {meta['wall_seconds']} s with {meta['workers']} worker processes; "
        f"{meta['finished_games']} of {meta['planned_games']} games finished"
        + ("" if meta["complete"] else " (PARTIAL: the run was still going or was cut short)"),
        "", "Goal: each level beats the one below it in >= 80% of games.", "",
        "| higher | lower | games | wins | losses | ties | win rate | goal met | mean game (min) | action errors / command |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        met = "yes" if r["win_rate"] is not None and r["win_rate"] >= 0.8 else "no"
        lines.append(f"| {r['high']} | {r['low']} | {r['games']} | {r['wins']} | {r['losses']} | {r['ties']} | "
                     f"{r['win_rate']} | {met} | {r['mean_game_minutes']} | {r['action_error_rate']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--map", default="Simple64")
    parser.add_argument("--step-mul", type=int, default=8)
    parser.add_argument("--game-loop-limit", type=int, default=22400)
    parser.add_argument("--levels", default=",".join(LEVELS), help="comma-separated, lowest first")
    parser.add_argument("--seed0", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "bot_ladder"), help="path prefix for .json/.md")
    parser.add_argument("--commit", default="", help="commit to report when run from an exported snapshot (no .git)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tasks", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return

    levels = args.levels.split(",")
    pairs = [(levels[k + 1], levels[k]) for k in range(len(levels) - 1)]
    # Interleave pairs so a run cut short still covers every pair.
    tasks = [(h, lo, args.seed0 + s) for s in range(args.games) for h, lo in pairs]
    start = time.perf_counter()
    commit = args.commit or subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                           text=True).stdout.strip() or "unknown"
    prefix = pathlib.Path(args.out)
    prefix.parent.mkdir(parents=True, exist_ok=True)

    def write(rows: list[dict], finished: bool) -> str:
        table = summarize(rows, pairs)
        meta = {
            "command": "python -m bench.bot_ladder " + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus (shared with other jobs), "
                       f"Python {platform.python_version()}",
            "commit": commit, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "map": args.map, "step_mul": args.step_mul, "game_loop_limit": args.game_loop_limit, "games": args.games,
            "workers": args.workers, "wall_seconds": round(time.perf_counter() - start, 1),
            "finished_games": len(rows), "planned_games": len(tasks), "complete": finished,
        }
        prefix.with_suffix(".json").write_text(json.dumps({"meta": meta, "table": table, "games": rows}, indent=1) + "\n")
        text = markdown(meta, table)
        prefix.with_suffix(".md").write_text(text)
        return text

    with tempfile.TemporaryDirectory() as tmp:
        procs, outs = [], []
        for w in range(args.workers):
            task_file = pathlib.Path(tmp) / f"tasks{w}.json"
            task_file.write_text(json.dumps(tasks[w :: args.workers]))
            out = pathlib.Path(tmp) / f"out{w}.json"
            outs.append(out)
            cmd = [sys.executable, "-m", "bench.bot_ladder", "--worker", "--tasks", str(task_file), "--out", str(out),
                   "--map", args.map, "--step-mul", str(args.step_mul), "--game-loop-limit", str(args.game_loop_limit)]
            procs.append(subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}))

        def collect() -> list[dict]:
            rows = []
            for out in outs:
                try:
                    rows.extend(json.loads(out.read_text()))
                except (FileNotFoundError, json.JSONDecodeError):
                    pass  # not written yet, or caught mid-write: read again next time
            return rows

        while any(p.poll() is None for p in procs):
            time.sleep(30)
            write(collect(), finished=False)  # partial table, kept current while the run goes on
        codes = [p.returncode for p in procs]
        rows = collect()
    if any(codes):
        print(f"warning: worker exit codes {codes}; summarising the {len(rows)} games that finished", file=sys.stderr)
    print(write(rows, finished=len(rows) == len(tasks)))


if __name__ == "__main__":
    main()
