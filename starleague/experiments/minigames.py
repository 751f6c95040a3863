"""`starleague experiment minigames`: train the tiny preset on each mini-game, score it, compare with pysc2.

Per mini-game: one training cell (learner + actor processes, starleague.experiments.training)
for `minutes_per_game` of wall time, then the final checkpoint and the untrained initial
parameters each play `eval_episodes` evaluation episodes. Results go to
bench/results/experiments/minigames/: results.json (scores, budgets, provenance),
table.md (pysc2 Table 1 layout plus a goals table), <Game>_curve.json and <Game>_curve.svg
(training-episode returns against wall time and frames). Every game trains with
DEFAULT_OVERRIDES plus its entries in GAME_OVERRIDES and GAME_SCHEDULES; `--set` replaces all three.
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Callable, Mapping, Optional, Sequence

from starleague.experiments import plots, readme, records, tables
from starleague.experiments.references import MINI_GAMES, PYSC2_PAPER, PYSC2_TABLE1, best_learned
from starleague.experiments.scoring import EVAL_SEED_BASE, Score, load_policy, play_episodes
from starleague.experiments.training import CellSpec, latest_checkpoint, learning_curve, run_cell

EXPERIMENT = "minigames"
# Many environments per actor, all deciding every agent step (batched inference).
# model.max_delay=1: the agent acts every step_mul=8 game loops, as the pysc2 paper's agents
# do. With the tiny preset's 16 delay choices the delay head stayed near uniform in training
# (MoveToBeacon, 390k frames: mean wait 7.5 steps), so after each beacon the marine stood idle
# for ~60 game loops; a scripted policy through the same action encoding with an 8-step wait
# scores 7.6 where acting every step scores 8.8 (bench/results/experiments/findings.md).
ACTING_OVERRIDES = ("actor.envs_per_actor=16", "learner.checkpoint_every_seconds=60", "model.max_delay=1")
# max_policy_lag: one actor with 16 envs outruns a learner that shares its cores, and the data
# it trained on fell ~100 versions behind (CollectMineralShards rose to 24 and fell to 9).
DEFAULT_OVERRIDES = ACTING_OVERRIDES + ("learner.max_policy_lag=16",)
# Per-game additions to DEFAULT_OVERRIDES (later values win); like the defaults, --set replaces
# them. Each was measured in bench/results/experiments/findings.md (sixth sitting).
GAME_OVERRIDES: dict[str, tuple[str, ...]] = {
    # 9 marines against 4 roaches. The tiny preset selects at most 4 units per command, so the
    # marines went in groups of 4 and lost: 30 minutes of training ended at -2.1, below a policy
    # that does nothing (0). With 16 one command sends them all, as pysc2's select_army does.
    "DefeatRoaches": ("model.max_selected_units=16",),
    # A depot, a barracks, then marines, in 15 game minutes. Acting every step, the untrained
    # policy's stop / move / hold commands keep the SCVs from mining and no marine was built in
    # 100 episodes, so there was nothing to learn from; with the delay head's 16 choices it acts
    # every ~8 steps and some episodes build marines from the start. The first marine comes
    # hundreds of agent steps after the depot that allows it: at 0.99 (a ~100-step horizon)
    # the return fell from 1.1 to 0.3-0.8 in 12 minutes; at 0.999 it rose to 2.5 by 18 minutes.
    "BuildMarines": ("model.max_delay=16", "rl.discount=0.999"),
}


# Per-game learner schedules as fractions of the game's training budget, so a run of any
# --minutes-per-game keeps their shape: {game: {name: (start, end)}} sets
# learner.<name>_anneal_start_seconds / learner.<name>_anneal_seconds (hold, then linear to 0).
# Only the games they were measured on have one; like the overrides, --set replaces them. A
# resume with a larger budget stretches the schedule (the learner's clock is its training time).
GAME_SCHEDULES: dict[str, dict[str, tuple[float, float]]] = {
    # The rate held for 35 of 45 minutes, then to 0: 104.2 where a constant rate gave 103.8 and
    # its later checkpoints fell into short collapses (thirteenth sitting); with the entropy cost
    # also annealed, from minute 10 to 35, 105.0 (fourteenth; findings.md).
    "CollectMineralShards": {"entropy_cost": (10 / 45, 35 / 45), "learning_rate": (35 / 45, 1.0)},
    # The entropy bonus kept the sampled policy 1.3 below its own greedy play (25.3 vs 26.6);
    # annealed from minute 10 to 30 of 35, then the rate over the last 5 (fourteenth sitting).
    "MoveToBeacon": {"entropy_cost": (10 / 35, 30 / 35), "learning_rate": (30 / 35, 1.0)},
}


def schedule_overrides(schedule: Mapping[str, tuple[float, float]], minutes: float) -> list[str]:
    """`schedule` ({name: (start, end)} as fractions of the budget) as learner overrides for `minutes`."""
    seconds = minutes * 60
    overrides = []
    for name, (start, end) in schedule.items():
        if not 0 <= start < end:
            raise records.ExperimentError(f"schedule {name}: expected 0 <= start < end, got ({start}, {end})")
        overrides += [f"learner.{name}_anneal_start_seconds={round(start * seconds, 1):g}",
                      f"learner.{name}_anneal_seconds={round(end * seconds, 1):g}"]
    return overrides


def cell_overrides(game: str, overrides: Sequence[str], game_overrides: Mapping[str, Sequence[str]],
                   game_schedules: Optional[Mapping[str, Mapping[str, tuple[float, float]]]] = None,
                   minutes_per_game: float = 0.0) -> list[str]:
    """The config overrides one mini-game's training cell runs with."""
    return [*overrides, *game_overrides.get(game, ()),
            *schedule_overrides((game_schedules or {}).get(game, {}), minutes_per_game)]


def _score_dict(score: Score) -> dict[str, Any]:
    return {"episodes": score.episodes, "mean": score.mean, "stderr": score.stderr, "max": score.max,
            "min": score.min, "returns": score.returns}


def write_curve(results_dir: str, game: str, run_dir: str, window: int = 20) -> dict[str, Any]:
    curve = learning_curve(run_dir)
    records.write_json(os.path.join(results_dir, f"{game}_curve.json"), {"game": game, "episodes": curve})
    returns = [c["return"] for c in curve]
    smooth = plots.moving_average(returns, window)
    svg = plots.line_chart(
        [(f"training episodes (mean of {window})", [c["frames"] for c in curve], smooth)],
        title=f"{game}: training-episode return", x_label="env frames trained on (learner)",
        y_label="episode return",
        reference_lines=[("paper random", PYSC2_TABLE1["Random policy"][game][0]),
                         ("paper best A3C", best_learned(game))])
    records.write_text(os.path.join(results_dir, f"{game}_curve.svg"), svg)
    return {"episodes": len(curve), "last_mean": sum(returns[-window:]) / max(1, len(returns[-window:]))}


def run(games: Sequence[str] = MINI_GAMES, minutes_per_game: float = 120.0, eval_episodes: int = 100,
        untrained_episodes: Optional[int] = None, overrides: Sequence[str] = DEFAULT_OVERRIDES,
        game_overrides: Mapping[str, Sequence[str]] = GAME_OVERRIDES,
        game_schedules: Mapping[str, Mapping[str, tuple[float, float]]] = GAME_SCHEDULES, resume: bool = False,
        results_dir: Optional[str] = None, runs_dir: Optional[str] = None,
        eval_envs: int = 8, greedy_eval: bool = False, argv: Optional[list[str]] = None,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    unknown = [g for g in games if g not in MINI_GAMES]
    if unknown:
        raise records.ExperimentError(f"unknown mini-games {unknown}; known: {list(MINI_GAMES)}")
    results_dir = results_dir or os.path.join(records.RESULTS_ROOT, EXPERIMENT)
    runs_dir = runs_dir or os.path.join(records.RUNS_ROOT, EXPERIMENT)
    untrained_episodes = eval_episodes if untrained_episodes is None else untrained_episodes
    settings = {"games": list(games), "minutes_per_game": minutes_per_game, "eval_episodes": eval_episodes,
                "untrained_episodes": untrained_episodes, "overrides": list(overrides), "preset": "tiny"}
    state = records.ExperimentState(results_dir, EXPERIMENT, settings, resume, fixed=("overrides", "preset"))
    state.begin(argv)
    for game in games:
        run_dir = os.path.join(runs_dir, game)
        cell = state.cell(game, run_dir=run_dir)
        if cell["status"] == "done" and cell.get("minutes_per_game") == minutes_per_game:
            log(f"[{game}] done earlier: {cell['eval']['mean']:.2f} over {cell['eval']['episodes']} episodes; skipped")
            if greedy_eval and not cell.get("greedy"):
                # A finished cell gains its greedy evaluation without training again.
                log(f"[{game}] evaluating {cell['checkpoint']}")
                state.update(game, greedy=_score_dict(_greedy_score(load_policy(cell["checkpoint"]), game,
                                                                    eval_episodes, eval_envs, log)))
            continue
        if not resume and os.path.exists(run_dir):
            shutil.rmtree(run_dir)
        this_cell = cell_overrides(game, overrides, game_overrides, game_schedules, minutes_per_game)
        spec = CellSpec(game, run_dir, game, this_cell, seconds=minutes_per_game * 60, actors=1, seed=0)
        progress = run_cell(spec, log=log)
        if os.path.exists(os.path.join(run_dir, "config.json")):
            shutil.copyfile(os.path.join(run_dir, "config.json"), os.path.join(results_dir, f"{game}_config.json"))
        state.update(game, status="trained", train_seconds=progress.seconds, frames=progress.frames,
                     learner_steps=progress.steps, minutes_per_game=minutes_per_game, overrides=this_cell)
        checkpoint = latest_checkpoint(run_dir)
        if checkpoint is None:
            raise records.ExperimentError(f"[{game}] training left no checkpoint in {run_dir}")
        log(f"[{game}] evaluating {checkpoint} over {eval_episodes} episodes")
        policy = load_policy(checkpoint)
        trained = Score.of(play_episodes(policy, game, eval_episodes, envs=eval_envs))
        log(f"[{game}] trained: {trained.mean:.2f} ± {trained.stderr:.2f} (max {trained.max:g})")
        greedy = _greedy_score(policy, game, eval_episodes, eval_envs, log) if greedy_eval else None
        untrained = None
        if untrained_episodes:
            initial = os.path.join(run_dir, "checkpoints", "main_0", "initial.safetensors")
            base = load_policy(initial, model_config=_model_config_of(checkpoint))
            untrained = Score.of(play_episodes(base, game, untrained_episodes, envs=eval_envs))
            log(f"[{game}] untrained: {untrained.mean:.2f} ± {untrained.stderr:.2f}")
        scripted = Score.of(scripted_returns(game, eval_episodes))
        log(f"[{game}] scripted (raw commands): {scripted.mean:.2f} ± {scripted.stderr:.2f}")
        curve = write_curve(results_dir, game, run_dir)
        state.update(game, status="done", checkpoint=checkpoint, eval=_score_dict(trained),
                     untrained=_score_dict(untrained) if untrained else None, scripted=_score_dict(scripted),
                     greedy=_score_dict(greedy) if greedy else None, curve=curve)
    return write_report(state, games, results_dir)


def _greedy_score(policy, game: str, episodes: int, envs: int, log: Callable[[str], None]) -> Score:
    """The trained policy on the same evaluation seeds, each head's most likely choice played."""
    log(f"[{game}] evaluating greedily over {episodes} episodes")
    greedy = Score.of(play_episodes(policy, game, episodes, envs=envs, greedy=True))
    log(f"[{game}] trained, greedy: {greedy.mean:.2f} ± {greedy.stderr:.2f} (max {greedy.max:g})")
    return greedy


def scripted_returns(game: str, episodes: int, seed: int = EVAL_SEED_BASE) -> list[float]:
    """The engine's simple scripted agent (sc2env.engine.minigames.agents, raw commands, every step)
    on the evaluation seeds: what this engine's version of the mini-game lets a plain greedy
    policy score, the yardstick for our agent on this engine (its arena and rules differ from
    the real maps the paper's numbers come from)."""
    from sc2env.engine.minigames.agents import ScriptedAgent, run_episode

    return [run_episode(game, ScriptedAgent(game), seed=seed + i) for i in range(episodes)]


def _model_config_of(checkpoint: str) -> dict[str, Any]:
    import torch

    return torch.load(checkpoint, map_location="cpu", weights_only=True)["config"]["model"]


def write_report(state: records.ExperimentState, games: Sequence[str], results_dir: str) -> dict[str, Any]:
    cells = state.data["cells"]
    # Every finished cell of the state, not only this invocation's games: a later
    # `--games X --resume` adds X's column instead of dropping the others.
    games = [g for g in MINI_GAMES if g in games or cells.get(g, {}).get("status") == "done"]
    done = {g: cells[g] for g in games if cells.get(g, {}).get("status") == "done"}
    table = tables.minigame_table(games, done)
    goals = tables.minigame_goals(games, done)
    text = (f"# Mini-games: starleague tiny vs the pysc2 paper\n\n"
            f"Reference rows: {PYSC2_PAPER} (mean (max) in the real game; † = cross-checked against a second "
            f"source). Ours: mean ± standard error (max) over n evaluation episodes of the final policy on the "
            f"embedded engine's re-implementation of each mini-game.\n\n{table}\n{goals}\n" +
            state.invocations_line())
    records.write_text(os.path.join(results_dir, "table.md"), text)
    summary = {"experiment": EXPERIMENT, "reference": PYSC2_PAPER, "settings": state.data["settings"],
               "invocations": state.data["invocations"],
               "configs": {g: f"{g}_config.json" for g in done},
               "results": {g: {k: v for k, v in c.items() if k != "run_dir"} for g, c in done.items()}}
    records.write_json(os.path.join(results_dir, "results.json"), summary)
    readme.write_readme(os.path.dirname(os.path.abspath(results_dir)))
    print(table)
    print(goals)
    return summary
