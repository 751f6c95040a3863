"""`starleague experiment replay-ablation`: the IMPALA paper's off-policy-correction x replay table.

Cells: task x correction {vtrace, one_step, eps_correction, no_correction} (rl.correction)
x replay {0, 0.5} (rl.replay_proportion: half of every learner batch replayed, as in the
paper) x seed. Every cell trains the tiny preset with the real learner and actor processes
(starleague.experiments.training) until the learner has trained on the same number of
fresh env frames (replayed trajectories do not count), then scores the cell by the mean
return of its last `final_episodes` training episodes ("final return"). A table cell is
the mean ± standard error over seeds. Cells run seed-major (every configuration's first
seed before any second seed), so a partial run still fills the whole table.
Results: bench/results/experiments/replay-ablation/ (results.json, table.md, <task>_curves.svg).
"""

from __future__ import annotations

import concurrent.futures
import itertools
import os
import shutil
import threading
from typing import Any, Callable, Optional, Sequence

from starleague.experiments import minigames, plots, readme, records, tables
from starleague.experiments.references import (
    CORRECTION_LABELS, IMPALA_FINDING, IMPALA_PAPER, IMPALA_TASKS, REPLAY_SECTIONS,
)
from starleague.experiments.scoring import mean_and_stderr
from starleague.experiments.training import CellSpec, learning_curve, run_cell

EXPERIMENT = "replay-ablation"
DEFAULT_TASKS = ("MoveToBeacon", "CollectMineralShards", "DefeatRoaches")
# The mini-game experiment's settings (starleague.experiments.minigames): the agent acts every
# step, as the IMPALA and pysc2 papers' agents do. Not its policy-lag limit: the committed table
# ran without one, and how far behind the fresh data is belongs to what the corrections face.
DEFAULT_OVERRIDES = minigames.ACTING_OVERRIDES


def cell_name(task: str, correction: str, replay: float, seed: int) -> str:
    return f"{task}-{correction}-replay{replay:g}-seed{seed}"


def final_return(run_dir: str, final_episodes: int) -> Optional[float]:
    returns = [c["return"] for c in learning_curve(run_dir)]
    if not returns:
        return None
    tail = returns[-final_episodes:]
    return sum(tail) / len(tail)


def run(tasks: Sequence[str] = DEFAULT_TASKS, seeds: int = 3, frames: int = 50_000, final_episodes: int = 20,
        parallel: int = 1, overrides: Sequence[str] = DEFAULT_OVERRIDES, resume: bool = False,
        results_dir: Optional[str] = None, runs_dir: Optional[str] = None, argv: Optional[list[str]] = None,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    results_dir = results_dir or os.path.join(records.RESULTS_ROOT, EXPERIMENT)
    runs_dir = runs_dir or os.path.join(records.RUNS_ROOT, EXPERIMENT)
    settings = {"tasks": list(tasks), "seeds": seeds, "frames": frames, "final_episodes": final_episodes,
                "overrides": list(overrides), "preset": "tiny",
                "replay_proportions": [p for _, p in REPLAY_SECTIONS]}
    state = records.ExperimentState(results_dir, EXPERIMENT, settings, resume,
                                    fixed=("frames", "final_episodes", "overrides", "preset", "replay_proportions"))
    state.begin(argv)
    lock = threading.Lock()
    jobs = []
    for seed, task, (section, replay), correction in itertools.product(
            range(seeds), tasks, REPLAY_SECTIONS, CORRECTION_LABELS):
        name = cell_name(task, correction, replay, seed)
        run_dir = os.path.join(runs_dir, name)
        cell = state.cell(name, task=task, correction=correction, replay=replay, seed=seed, run_dir=run_dir)
        if cell["status"] == "done":
            continue
        if not resume and os.path.exists(run_dir):
            shutil.rmtree(run_dir)
        jobs.append((name, task, correction, replay, seed, run_dir))
    log(f"replay-ablation: {len(jobs)} cells to run, {len(state.data['cells']) - len(jobs)} done earlier")

    stop = threading.Event()

    def work(job) -> None:
        if stop.is_set():
            return
        name, task, correction, replay, seed, run_dir = job
        spec = CellSpec(name, run_dir, task, list(overrides) + [f"rl.correction={correction}",
                                                                f"rl.replay_proportion={replay}"],
                        frames=frames, actors=1, seed=seed)
        progress = run_cell(spec, log=log, stop=stop)
        value = final_return(run_dir, final_episodes)
        with lock:
            state.update(name, status="done", frames=progress.frames, train_seconds=progress.seconds,
                         learner_steps=progress.steps, final_return=value,
                         episodes=len(learning_curve(run_dir)))
            write_report(state, tasks, results_dir)
        log(f"[{name}] final return {value}")

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, parallel))
    try:
        for future in [pool.submit(work, job) for job in jobs]:
            future.result()
    except BaseException:
        # Ctrl-C / SIGTERM (or a failed cell): start no queued cell, stop the running ones
        # (their processes too: they run in sessions of their own, out of the terminal's reach).
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        log("replay-ablation: stopped; --resume continues it")
        raise
    pool.shutdown()
    return write_report(state, tasks, results_dir, echo=True)


def aggregate(state_cells: dict[str, dict[str, Any]], tasks: Sequence[str]):
    """{(section, correction): {task: (mean, stderr, seeds)}} over the finished cells."""
    table: dict[tuple[str, str], dict[str, tuple[float, float, int]]] = {}
    for section, replay in REPLAY_SECTIONS:
        for correction in CORRECTION_LABELS:
            for task in tasks:
                values = [c["final_return"] for c in state_cells.values()
                          if c.get("status") == "done" and c["task"] == task and c["correction"] == correction
                          and c["replay"] == replay and c.get("final_return") is not None]
                if values:
                    mean, stderr = mean_and_stderr(values)
                    table.setdefault((section, correction), {})[task] = (mean, stderr, len(values))
    return table


def write_curves(state_cells: dict[str, dict[str, Any]], tasks: Sequence[str], results_dir: str) -> None:
    for task in tasks:
        series = []
        for section, replay in REPLAY_SECTIONS:
            for correction, label in CORRECTION_LABELS.items():
                runs = [c for c in state_cells.values() if c.get("status") == "done" and c["task"] == task
                        and c["correction"] == correction and c["replay"] == replay]
                if not runs:
                    continue
                curve = learning_curve(runs[0]["run_dir"]) if os.path.isdir(runs[0]["run_dir"]) else []
                returns = plots.moving_average([p["return"] for p in curve], 20)
                series.append((f"{label}, {'replay' if replay else 'no replay'} (seed {runs[0]['seed']})",
                               [p["frames"] for p in curve], returns))
        if series:
            records.write_text(os.path.join(results_dir, f"{task}_curves.svg"), plots.line_chart(
                series, f"{task}: training-episode return (mean of 20)", "env frames trained on", "return"))


def write_report(state: records.ExperimentState, tasks: Sequence[str], results_dir: str,
                 echo: bool = False) -> dict[str, Any]:
    cells = state.data["cells"]
    table = tables.ablation_table(tasks, aggregate(cells, tasks))
    write_curves(cells, tasks, results_dir)
    settings = state.data["settings"]
    text = (f"# Replay x off-policy correction (IMPALA layout)\n\n"
            f"Layout of {IMPALA_PAPER} (there: tasks {', '.join(IMPALA_TASKS)}). Here: embedded-engine "
            f"mini-games, tiny preset, {settings['frames']:,} env frames per cell, final return = mean of the last "
            f"{settings['final_episodes']} training episodes, mean ± standard error over seeds.\n\n{table}\n"
            f"The paper's finding: {IMPALA_FINDING}\n\n" +
            state.invocations_line())
    records.write_text(os.path.join(results_dir, "table.md"), text)
    summary = {"experiment": EXPERIMENT, "reference": IMPALA_PAPER, "settings": settings,
               "invocations": state.data["invocations"],
               "cells": {n: {k: v for k, v in c.items() if k != "run_dir"} for n, c in cells.items()}}
    records.write_json(os.path.join(results_dir, "results.json"), summary)
    readme.write_readme(os.path.dirname(os.path.abspath(results_dir)))
    if echo:
        print(table)
    return summary
