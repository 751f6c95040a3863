"""`starleague experiment vs-bots`: a short league from scratch on Simple64, main agent vs the bot ladder.

The league, the learners (main agent + main exploiter) and the actors are started by
`starleague.launcher.Launcher`, exactly as `starleague train` starts them. Every
`eval_every_minutes` the main agent's newest checkpoint is copied aside and evaluated
against the built-in bot levels with `starleague.evaluate` (`play_all`, `summarize`: W/D/L,
win rate with 95% Wilson interval). The rows (wall minutes, learner frames and steps, win
rate per bot) form the win-rate curve. State is kept after every evaluation; `--resume`
restarts the learners from their checkpoints and the clock from the recorded minutes.
Results: bench/results/experiments/vs-bots/ (results.json, table.md, winrate.svg).
"""

from __future__ import annotations

import os
import shutil
import time
from typing import Any, Callable, Optional, Sequence

from starleague.experiments import plots, readme, records, tables
from starleague.experiments.training import latest_checkpoint

EXPERIMENT = "vs-bots"
DEFAULT_BOTS = ("VeryEasy", "Easy")
# A league aimed at the levels the goal names. Half the main agent's games go to the bots (the
# tiny preset's 20% spread over six levels left 3% for VeryEasy), picked by PFSP "hard" so the
# level it loses to comes up most. The discount: a win or loss arrives once, after 750-2,800
# agent steps; at the mini-games' 0.99 (a horizon of ~100 steps) it never reaches the decisions
# of the game's first minutes. 0.999 reaches ~1,000 steps back (AlphaStar does not discount).
DEFAULT_OVERRIDES = ("league.main_exploiters=1", "learner.checkpoint_every_seconds=60",
                     "league.bots=VeryEasy,Easy", "league.main_bot_share=0.5", "league.bot_weighting=hard",
                     "rl.discount=0.999")


def evaluate_checkpoint(checkpoint: str, bots: Sequence[str], games: int, env_config, seed: int,
                        greedy: bool = False) -> dict[str, Any]:
    """Win rate of the checkpoint against each bot level (starleague.evaluate, one worker process);
    `greedy` plays each head's most likely choice instead of sampling."""
    from starleague.evaluate import GameJob, play_all, resolve_snapshots, summarize

    sources = resolve_snapshots(checkpoint)
    opponents = [b.lower() for b in bots]
    jobs = [GameJob(0, opponent, g, seed + 1000 * i + g) for i, opponent in enumerate(opponents) for g in range(games)]
    env_settings = {"backend": env_config.backend, "map": env_config.map, "step_mul": env_config.step_mul,
                    "game_loop_limit": env_config.game_loop_limit, "greedy": greedy}
    results = play_all(sources, jobs, env_settings, workers=1, progress=lambda line: None)
    report = summarize(sources, results, opponents, anchors={})
    by_bot = {}
    for bot, opponent_report in zip(bots, report["snapshots"][0]["opponents"]):
        by_bot[bot] = {"win_rate": opponent_report["win_rate"], "ci_low": opponent_report["ci_low"],
                       "ci_high": opponent_report["ci_high"], "games": games,
                       "wins": opponent_report["wins"], "draws": opponent_report["draws"],
                       "losses": opponent_report["losses"]}
    return {"label": report["snapshots"][0]["label"], "bots": by_bot}


def run(minutes: float = 180.0, eval_every_minutes: float = 15.0, eval_games: int = 10,
        bots: Sequence[str] = DEFAULT_BOTS, actors: int = 2, overrides: Sequence[str] = DEFAULT_OVERRIDES,
        resume: bool = False, results_dir: Optional[str] = None, runs_dir: Optional[str] = None,
        greedy_eval: bool = False, argv: Optional[list[str]] = None,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    from starleague.commands.train import _learning_players
    from starleague.config import build_config
    from starleague.launcher import LaunchError, Launcher

    results_dir = results_dir or os.path.join(records.RESULTS_ROOT, EXPERIMENT)
    run_dir = os.path.abspath(runs_dir or os.path.join(records.RUNS_ROOT, EXPERIMENT))
    settings = {"minutes": minutes, "eval_every_minutes": eval_every_minutes, "eval_games": eval_games,
                "bots": list(bots), "actors": actors, "overrides": list(overrides), "preset": "tiny",
                "greedy_eval": greedy_eval}
    state = records.ExperimentState(results_dir, EXPERIMENT, settings, resume, fixed=("overrides", "preset", "bots"))
    state.begin(argv)
    league_cell = state.cell("league", run_dir=run_dir, seconds=0.0, evaluations=[])
    if not resume and os.path.exists(run_dir):
        shutil.rmtree(run_dir)
    config = build_config("tiny", list(overrides))
    config.run_dir = run_dir
    players = _learning_players(config)
    main = players[0]
    initial_label = (f"initial: {os.path.basename(config.learner.initial_params)}" if config.learner.initial_params
                     else "untrained (initial)")
    config_args = ["--preset", "tiny", *sum((["--set", o] for o in overrides), [])]
    already = float(league_cell["seconds"])
    if already >= minutes * 60:
        log(f"vs-bots: {already / 60:.1f} of {minutes} minutes done earlier; nothing to train")
        evaluate_untrained(state, league_cell, run_dir, main, bots, eval_games, config.env, log, initial_label,
                           greedy_eval)
        return write_report(state, bots, results_dir, echo=True)
    resume_learners = resume and latest_checkpoint(run_dir, main) is not None
    launcher = Launcher(run_dir, config_args, players, actors, resume=resume_learners, log=log)
    snapshots_dir = os.path.join(run_dir, "evaluated")
    os.makedirs(snapshots_dir, exist_ok=True)
    started = None  # the clock runs from the main learner's first trajectory, not from process start-up
    elapsed = already

    def evaluate(checkpoint: str, frames: int, steps: int) -> None:
        kept = shutil.copy(checkpoint, os.path.join(snapshots_dir, os.path.basename(checkpoint)))
        log(f"vs-bots: evaluating {os.path.basename(checkpoint)} ({elapsed / 60:.1f} min, {frames} frames) "
            f"against {', '.join(bots)} x {eval_games}")
        row = evaluate_row(kept, bots, eval_games, config.env, greedy_eval)
        row.update(seconds=elapsed, frames=frames, steps=steps, checkpoint=os.path.basename(checkpoint))
        league_cell["evaluations"].append(row)
        state.update("league", seconds=elapsed)
        write_report(state, bots, results_dir)
        log("vs-bots: " + _win_rates_line(row))

    try:
        launcher.start()
        if os.path.exists(os.path.join(run_dir, "config.json")):
            shutil.copyfile(os.path.join(run_dir, "config.json"), os.path.join(results_dir, "config.json"))
        log(f"vs-bots: league of {', '.join(players)} with {actors} actors; run dir {run_dir}")
        next_eval = already + eval_every_minutes * 60
        while True:
            time.sleep(2.0)
            for event in launcher.supervise():
                log(f"vs-bots: {event}")
            status = launcher.learner_status(main)
            if started is None:
                if status is None or status.accepted == 0:
                    continue
                started = time.time()
            elapsed = already + time.time() - started
            if elapsed >= minutes * 60:
                break
            checkpoint = latest_checkpoint(run_dir, main)
            if elapsed >= next_eval and checkpoint is not None and status is not None:
                evaluate(checkpoint, int(status.frames), int(status.learner_steps))
                next_eval = elapsed + eval_every_minutes * 60
    except LaunchError as error:
        raise records.ExperimentError(f"vs-bots: the league did not start: {error}") from None
    finally:
        launcher.stop()  # learners write their final checkpoints
        state.update("league", seconds=elapsed, status="stopped")
    final = latest_checkpoint(run_dir, main)
    evaluated = {row["checkpoint"] for row in league_cell["evaluations"]}
    if final is not None and os.path.basename(final) not in evaluated:
        import torch

        saved = torch.load(final, map_location="cpu", weights_only=True)
        evaluate(final, int(saved["frames"]), int(saved["step"]))
    evaluate_untrained(state, league_cell, run_dir, main, bots, eval_games, config.env, log, initial_label,
                       greedy_eval)
    return write_report(state, bots, results_dir, echo=True)


def _players_line(settings: dict[str, Any]) -> str:
    """"main agent + main exploiter", or as many exploiters as the run's config has."""
    from starleague.config import build_config

    exploiters = build_config(settings["preset"], list(settings["overrides"])).league.main_exploiters
    if exploiters == 0:
        return "main agent, no exploiter"
    return f"main agent + {'main exploiter' if exploiters == 1 else f'{exploiters} main exploiters'}"


def evaluate_row(checkpoint: str, bots: Sequence[str], games: int, env_config, greedy: bool) -> dict[str, Any]:
    """One evaluation row: sampled win rates, and with `greedy` the greedy ones under "greedy"
    (the same seeds, so the two differ only in how actions are picked)."""
    row = evaluate_checkpoint(checkpoint, bots, games, env_config, seed=700_000_000)
    if greedy:
        row["greedy"] = evaluate_checkpoint(checkpoint, bots, games, env_config, seed=700_000_000, greedy=True)["bots"]
    return row


def _win_rates_line(row: dict[str, Any]) -> str:
    line = ", ".join(f"{b} {r['win_rate']:.0%}" for b, r in row["bots"].items())
    if row.get("greedy"):
        line += "; greedy: " + ", ".join(f"{b} {r['win_rate']:.0%}" for b, r in row["greedy"].items())
    return line


def evaluate_untrained(state, league_cell: dict[str, Any], run_dir: str, main: str, bots: Sequence[str],
                       games: int, env_config, log: Callable[[str], None], label: str = "untrained (initial)",
                       greedy: bool = False) -> None:
    """The same games with the main agent's initial parameters: how much of the win rate is learned
    (random parameters, or learner.initial_params's when the league started from a snapshot)."""
    initial = os.path.join(run_dir, "checkpoints", main, "initial.safetensors")
    if league_cell.get("untrained") or not os.path.exists(initial):
        return
    log(f"vs-bots: evaluating the initial parameters ({label}) against {', '.join(bots)} x {games}")
    row = evaluate_row(initial, bots, games, env_config, greedy)
    row.update(seconds=0.0, frames=0, steps=0, checkpoint="initial.safetensors", label=label)
    state.update("league", untrained=row)
    log(f"vs-bots: {label}: " + _win_rates_line(row))


def write_report(state: records.ExperimentState, bots: Sequence[str], results_dir: str,
                 echo: bool = False) -> dict[str, Any]:
    run = state.data["cells"].get("league", {"evaluations": [], "seconds": 0.0})
    rows = run["evaluations"]
    table = tables.win_rate_table(([run["untrained"]] if run.get("untrained") else []) + rows, bots)
    if rows:
        series = [(f"vs {bot}", [r["seconds"] / 60 for r in rows], [r["bots"][bot]["win_rate"] for r in rows])
                  for bot in bots]
        greedy_rows = [r for r in rows if r.get("greedy")]
        if greedy_rows:
            series += [(f"vs {bot} (greedy)", [r["seconds"] / 60 for r in greedy_rows],
                        [r["greedy"][bot]["win_rate"] for r in greedy_rows]) for bot in bots]
        records.write_text(os.path.join(results_dir, "winrate.svg"), plots.line_chart(
            series, "main agent win rate vs the built-in bots", "wall minutes", "win rate",
            reference_lines=[("goal VeryEasy", 0.95), ("goal Easy", 0.6)]))
    text = (f"# League vs the built-in bots (Simple64, tiny preset, {_players_line(state.data['settings'])})\n\n"
            f"Wall time trained: {run['seconds'] / 60:.1f} min. Win rate of the main agent's checkpoint "
            f"[95% Wilson interval] per bot level (draws count half), sampling actions as an actor does"
            f"{' and, marked greedy, playing the most likely choice of every head' if state.data['settings'].get('greedy_eval') else ''}"
            f".\n\n{table}\n" +
            state.invocations_line())
    records.write_text(os.path.join(results_dir, "table.md"), text)
    summary = {"experiment": EXPERIMENT, "settings": state.data["settings"], "invocations": state.data["invocations"],
               "seconds": run["seconds"], "evaluations": rows, "untrained": run.get("untrained")}
    records.write_json(os.path.join(results_dir, "results.json"), summary)
    readme.write_readme(os.path.dirname(os.path.abspath(results_dir)))
    if echo:
        print(table)
    return summary
