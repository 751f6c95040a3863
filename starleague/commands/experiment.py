"""`starleague experiment`: reproducible learning results, one command each, resumable.

    starleague experiment minigames [--minutes-per-game 120] [--games MoveToBeacon,...] [--eval-episodes 100]
    starleague experiment vs-bots [--minutes 180] [--eval-every 15] [--eval-games 10]
    starleague experiment replay-ablation [--tasks MoveToBeacon,...] [--seeds 3] [--frames 50000]
    starleague experiment imitation [--teacher Medium] [--games 40] [--steps 2000] [--eval-games 20]
        [--student policy.safetensors --student-share 0.5 --aggregate demos/ --initial-params policy.safetensors]

Each writes bench/results/experiments/<experiment>/ (state.json, results.json, table.md,
plots) with the command, config, git commit and machine; training runs live under
runs/experiments/<experiment>/. `--resume` continues from state.json: finished cells are
not rerun, an unfinished training resumes from its last checkpoint.
"""

from __future__ import annotations

import argparse
import sys


def _interrupt_on_sigterm() -> None:
    """SIGTERM stops an experiment as Ctrl-C does: its cells stop their processes and a
    later `--resume` continues (the default SIGTERM would leave the cells' processes running)."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("experiment", help="run a learning experiment (mini-games, vs bots, replay ablation)")
    which = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    which.required = True

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--resume", action="store_true", help="continue from the experiment's state.json")
        p.add_argument("--results-dir", default=None, help="default bench/results/experiments/<experiment>")
        p.add_argument("--runs-dir", default=None, help="training runs (default runs/experiments/<experiment>)")
        p.add_argument("--set", dest="overrides", action="append", default=None, metavar="KEY=VALUE",
                       help="config override for every training run (replaces the experiment's defaults)")

    from starleague.experiments.references import MINI_GAMES

    p = which.add_parser("minigames", help="train the tiny preset on each mini-game; table vs the pysc2 paper")
    p.add_argument("--games", type=_names, default=list(MINI_GAMES), help="comma-separated mini-games (default all 7)")
    p.add_argument("--minutes-per-game", type=float, default=120.0, help="wall-clock training minutes per game")
    p.add_argument("--eval-episodes", type=int, default=100, help="evaluation episodes of the final policy")
    p.add_argument("--untrained-episodes", type=int, default=None,
                   help="episodes of the untrained policy (default --eval-episodes; 0 = skip)")
    p.add_argument("--greedy-eval", action="store_true",
                   help="also evaluate the trained policy playing each head's most likely choice (with --resume, "
                        "finished games gain it without training)")
    common(p)
    p.set_defaults(func=run_minigames)

    p = which.add_parser("vs-bots", help="short league on Simple64; main agent's win rate vs bot levels over time")
    p.add_argument("--minutes", type=float, default=180.0, help="wall-clock minutes of league training")
    p.add_argument("--eval-every", type=float, default=15.0, help="minutes between snapshot evaluations")
    p.add_argument("--eval-games", type=int, default=10, help="games per bot level per evaluation")
    p.add_argument("--bots", type=_names, default=["VeryEasy", "Easy"], help="bot levels to evaluate against")
    p.add_argument("--actors", type=int, default=2, help="actor processes")
    p.add_argument("--greedy-eval", action="store_true",
                   help="also evaluate every snapshot playing each head's most likely choice")
    common(p)
    p.set_defaults(func=run_vs_bots)

    p = which.add_parser("replay-ablation", help="IMPALA table: corrections x replay, seeds, same frames per cell")
    p.add_argument("--tasks", type=_names, default=["MoveToBeacon", "CollectMineralShards", "DefeatRoaches"])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--frames", type=int, default=50_000, help="env frames each cell's learner trains on")
    p.add_argument("--final-episodes", type=int, default=20, help="final return = mean of the last N training episodes")
    p.add_argument("--parallel", type=int, default=1, help="cells trained at the same time")
    common(p)
    p.set_defaults(func=run_replay_ablation)

    p = which.add_parser("imitation", help="behaviour cloning from a built-in bot's games; win rate vs bot levels")
    p.add_argument("--teacher", default="Medium", help="bot level whose games are imitated")
    p.add_argument("--opponents", type=_names, default=["VeryEasy", "Easy"], help="levels the teacher plays")
    p.add_argument("--games", type=int, default=40, help="demonstration games per opponent level")
    p.add_argument("--steps", type=int, default=2000, help="behaviour-cloning steps")
    p.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints")
    p.add_argument("--batch-size", type=int, default=8, help="episodes trained side by side")
    p.add_argument("--unroll-length", type=int, default=32, help="decisions per truncated-BPTT window")
    p.add_argument("--learning-rate", type=float, default=5e-4)
    p.add_argument("--eval-games", type=int, default=20, help="games per bot level for the evaluation")
    p.add_argument("--bots", type=_names, default=["VeryEasy", "Easy"], help="bot levels to evaluate against")
    p.add_argument("--student", default=None,
                   help="DAgger: a cloned policy (safetensors) that plays part of each recorded game, the teacher "
                        "labelling every step")
    p.add_argument("--student-share", type=float, default=0.5,
                   help="DAgger: chance that each of the student's decisions is carried out (until its next one)")
    p.add_argument("--aggregate", type=_names, default=[],
                   help="DAgger: earlier demonstration folders, comma-separated, to train on as well")
    p.add_argument("--initial-params", default=None, help="start the cloning from this policy (safetensors)")
    p.add_argument("--seed", type=int, default=0,
                   help="game g against the i-th opponent level is seeded seed + 1000 i + g; also seeds the training")
    common(p)
    p.set_defaults(func=run_imitation)


def _argv() -> list[str]:
    return sys.argv[1:]


def _fail(error: Exception) -> int:
    print(f"experiment error: {error}", file=sys.stderr)
    return 2


def run_minigames(args: argparse.Namespace) -> int:
    from starleague.experiments import minigames, records
    from starleague.experiments.training import CellError

    _interrupt_on_sigterm()  # cells run one at a time in this thread: the interrupt stops the current one

    try:
        minigames.run(games=args.games, minutes_per_game=args.minutes_per_game, eval_episodes=args.eval_episodes,
                      untrained_episodes=args.untrained_episodes,
                      overrides=args.overrides if args.overrides is not None else minigames.DEFAULT_OVERRIDES,
                      game_overrides=minigames.GAME_OVERRIDES if args.overrides is None else {},
                      game_schedules=minigames.GAME_SCHEDULES if args.overrides is None else {},
                      resume=args.resume, results_dir=args.results_dir, runs_dir=args.runs_dir,
                      greedy_eval=args.greedy_eval, argv=_argv())
    except (records.ExperimentError, CellError) as error:
        return _fail(error)
    return 0


def run_vs_bots(args: argparse.Namespace) -> int:
    from starleague.experiments import records, vs_bots

    _interrupt_on_sigterm()
    try:
        vs_bots.run(minutes=args.minutes, eval_every_minutes=args.eval_every, eval_games=args.eval_games,
                    bots=args.bots, actors=args.actors,
                    overrides=args.overrides if args.overrides is not None else vs_bots.DEFAULT_OVERRIDES,
                    resume=args.resume, results_dir=args.results_dir, runs_dir=args.runs_dir,
                    greedy_eval=args.greedy_eval, argv=_argv())
    except records.ExperimentError as error:
        return _fail(error)
    return 0


def run_replay_ablation(args: argparse.Namespace) -> int:
    from starleague.experiments import records, replay_ablation
    from starleague.experiments.training import CellError

    _interrupt_on_sigterm()

    try:
        replay_ablation.run(tasks=args.tasks, seeds=args.seeds, frames=args.frames, final_episodes=args.final_episodes,
                            parallel=args.parallel,
                            overrides=args.overrides if args.overrides is not None else replay_ablation.DEFAULT_OVERRIDES,
                            resume=args.resume, results_dir=args.results_dir, runs_dir=args.runs_dir, argv=_argv())
    except (records.ExperimentError, CellError) as error:
        return _fail(error)
    return 0


def run_imitation(args: argparse.Namespace) -> int:
    from agent.wire import WireError
    from starleague.experiments import imitation, records

    _interrupt_on_sigterm()
    try:
        imitation.run(teacher=args.teacher, opponents=args.opponents, games=args.games, steps=args.steps,
                      checkpoint_every=args.checkpoint_every, batch_size=args.batch_size,
                      unroll_length=args.unroll_length, learning_rate=args.learning_rate, eval_games=args.eval_games,
                      bots=args.bots, student=args.student, student_share=args.student_share,
                      aggregate=args.aggregate, initial_params=args.initial_params, seed=args.seed,
                      overrides=args.overrides if args.overrides is not None else imitation.DEFAULT_OVERRIDES,
                      resume=args.resume, results_dir=args.results_dir, runs_dir=args.runs_dir, argv=_argv())
    except (records.ExperimentError, WireError, ValueError) as error:
        return _fail(error)
    return 0
