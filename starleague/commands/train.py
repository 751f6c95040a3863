"""`starleague train`: league, learners and actors as separate processes, with a live progress line.

    starleague train --preset tiny --minutes 10
    starleague train --preset tiny --steps 200 --set league.main_exploiters=0
    starleague train --learner gpu-host:50051 --league league-host:50061   # remote components
    starleague train --learner main_0=gpu1:50051 --learner main_exploiter_0=gpu2:50051
    starleague train --serial --steps 20        # everything in one process (debugging)

Stops at --minutes / --steps or on Ctrl-C: actors first, then learners (final
checkpoint), then the league; no process is left behind. Prints where checkpoints,
logs and replays are, and a summary from the learners' status and the league's standings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from starleague.commands._common import add_config_arguments, resolve_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train: league + one learner per learning player + actors")
    add_config_arguments(parser)
    parser.add_argument("--minutes", type=float, default=None, help="stop after this many minutes")
    parser.add_argument("--steps", type=int, default=None, help="stop once the first player's learner made this many steps")
    parser.add_argument("--learner", action="append", default=[], metavar="[PLAYER=]HOST:PORT",
                        help="use a running learner for PLAYER (default: the first learning player) instead of "
                             "starting one; repeat for several players")
    parser.add_argument("--league", default=None, help="use a running league (host:port) instead of starting one")
    parser.add_argument("--resume", action="store_true", help="learners continue from their newest checkpoints")
    parser.add_argument("--actors", type=int, default=None, help="actor processes (default actor.num_actors)")
    parser.add_argument("--token-file", default=None, help="shared token file (default $STARLEAGUE_TOKEN or a fresh one)")
    parser.add_argument("--serial", action="store_true",
                        help="debugging: league, the first player's learner and the actors in this one process")
    parser.set_defaults(func=run)


def _learning_players(config) -> list[str]:
    from league.players import Role, initial_players

    return [p.player_id for p in initial_players(config.league) if p.role != Role.BOT]


def learner_addresses(values: list[str], players: list[str]) -> dict[str, str]:
    """`--learner` values ("host:port" for the first player, or "player=host:port") by player."""
    addresses: dict[str, str] = {}
    for value in values:
        player, sep, address = value.rpartition("=")
        player = player if sep else players[0]
        if player not in players:
            raise SystemExit(f"--learner {value!r}: {player!r} is not a learning player; they are {players}")
        if ":" not in address:
            raise SystemExit(f"--learner {value!r}: expected host:port after the player")
        if player in addresses:
            raise SystemExit(f"--learner: {player!r} given twice")
        addresses[player] = address
    return addresses


def _win_rate(standings, player: str) -> tuple[float, int]:
    """Games-weighted win rate of `player` against the built-in bots."""
    if standings is None:
        return float("nan"), 0
    for p in standings.players:
        if p.player_id == player:
            games = sum(b.games for b in p.vs_bots)
            if games == 0:
                return float("nan"), 0
            return sum(b.win_rate * b.games for b in p.vs_bots) / games, games
    return float("nan"), 0


def run(args: argparse.Namespace) -> int:
    from agent import transport
    from starleague.launcher import LaunchError, Launcher

    config = resolve_config(args)
    players = _learning_players(config)
    token = transport.load_token(args.token_file) if (args.token_file or os.environ.get(transport.TOKEN_ENV)
                                                      or os.environ.get(transport.TOKEN_FILE_ENV)) else None
    if args.serial:
        import secrets

        from starleague.serial import run_serial

        learner = run_serial(config, players[0], token or secrets.token_hex(16), args.minutes, args.steps,
                             log=lambda line: print(line, flush=True))
        return 0 if learner.progress.steps > 0 else 1
    config_args = ["--preset", args.preset, *sum((["--set", o] for o in args.overrides), [])]
    launcher = Launcher(config.run_dir, config_args, players, args.actors or config.actor.num_actors, token=token,
                        league_address=args.league, learner_addresses=learner_addresses(args.learner, players),
                        resume=args.resume)
    interactive = sys.stdout.isatty()
    start = time.time()
    interrupted = False
    standings = None
    try:
        launcher.start()
        print(f"training {', '.join(players)} with {len(launcher.actors)} actors; logs in {launcher.logs_dir}", flush=True)
        last_line = last_standings = 0.0
        while True:
            time.sleep(0.5)
            for event in launcher.supervise():
                print(f"\n{event}", flush=True)
            now = time.time()
            statuses = {p: launcher.learner_status(p) for p in launcher.learners}
            main = statuses.get(players[0])
            if now - last_standings > 5:
                standings, last_standings = launcher.standings(), now
            if now - last_line >= (1.0 if interactive else 10.0):
                last_line = now
                line = _progress_line(now - start, statuses, standings, players[0])
                print(f"\r{line}" if interactive else line, end="" if interactive else "\n", flush=True)
            if args.minutes is not None and now - start >= args.minutes * 60:
                break
            if args.steps is not None and main is not None and main.learner_steps >= args.steps:
                break
    except KeyboardInterrupt:
        interrupted = True
    except LaunchError as error:
        print(f"\nlaunch error: {error}", file=sys.stderr)
        launcher.stop()
        return 2
    print("\nstopping: actors, then learners (final checkpoints), then the league ...", flush=True)
    statuses = {p: launcher.learner_status(p) for p in launcher.learners}
    standings = launcher.standings() or standings
    launcher.stop()
    orphans = launcher.orphans()
    _summary(config, launcher, statuses, standings, time.time() - start, players)
    if orphans:
        print(f"processes still running after stop: {orphans}", file=sys.stderr)
        return 1
    return 130 if interrupted else 0


def _progress_line(elapsed: float, statuses, standings, main_player: str) -> str:
    live = [s for s in statuses.values() if s is not None]
    frames = sum(s.frames for s in live)
    fps = sum(s.frames_per_second for s in live)
    steps = " ".join(f"{p}:{s.learner_steps if s else '?'}" for p, s in statuses.items())
    lag = max((s.mean_policy_lag for s in live), default=0.0)
    rejected = sum(sum(s.rejected_by_reason.values()) for s in live)
    rate, games = _win_rate(standings, main_player)
    win = f"{rate:.0%} of {games}" if games else "-"
    return (f"[{elapsed / 60:5.1f} min] frames {frames} ({fps:.0f}/s)  learner steps {steps}  "
            f"policy lag {lag:.1f}  win vs bots {win}  rejected {rejected}   ")


def _summary(config, launcher, statuses, standings, elapsed, players) -> None:
    print(f"ran {elapsed / 60:.1f} min")
    for player, status in statuses.items():
        if status is None:
            print(f"  {player}: learner unreachable at the end")
            continue
        rate, games = _win_rate(standings, player)
        print(f"  {player}: {status.learner_steps} learner steps, {status.frames} frames, version {status.version}, "
              f"win rate vs bots {rate:.0%} over {games} games" if games else
              f"  {player}: {status.learner_steps} learner steps, {status.frames} frames, version {status.version}")
    if standings is not None and standings.table:
        print(standings.table)
    run_dir = launcher.run_dir
    print(f"checkpoints: {os.path.join(run_dir, 'checkpoints')}")
    print(f"logs:        {launcher.logs_dir}  (TensorBoard: tensorboard --logdir {launcher.logs_dir})")
    print(f"replays:     {os.path.join(run_dir, 'replays')}")
    print(f"league:      {os.path.join(run_dir, 'league')}")
