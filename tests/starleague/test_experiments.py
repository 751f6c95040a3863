"""`starleague experiment`: each experiment end to end at a budget of seconds, resume, reference tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from starleague.experiments import minigames, plots, records, references, tables
from starleague.experiments.scoring import Score, mean_and_stderr

# A small model and short unrolls so that two busy cores train a few learner steps in seconds.
SMALL = ["model.max_entities=16", "model.spatial_size=16", "learner.unroll_length=8", "learner.batch_size=2",
         "actor.envs_per_actor=2", "learner.checkpoint_every_seconds=3", "learner.log_every_seconds=1",
         "actor.snapshot_poll_seconds=0.3"]


def _experiment(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "starleague", "experiment", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def _sets(items: list[str]) -> list[str]:
    return sum((["--set", item] for item in items), [])


def _processes_mentioning(text: str) -> list[int]:
    """Pids of the processes whose command line contains `text` (an experiment's runs dir)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(pid))
        except (OSError, ValueError):
            continue
    return found


# --- reference numbers and tables ---------------------------------------------------------


def test_reference_scores_are_the_papers_table_1():
    t = references.PYSC2_TABLE1
    assert set(t) == set(references.AGENTS) and all(set(row) == set(references.MINI_GAMES) for row in t.values())
    assert t["FullyConv LSTM"]["CollectMineralShards"] == (104, 137)
    assert t["FullyConv"]["CollectMineralsAndGas"] == (3978, 4130)
    assert t["StarCraft grandmaster"]["DefeatRoaches"] == (215, 363)
    assert t["DeepMind human player"]["DefeatZerglingsAndBanelings"] == (729, 757)
    assert t["Random policy"]["MoveToBeacon"] == (1, 6)
    # The goals of the issue: the best A3C agent's mean.
    assert references.best_learned("MoveToBeacon") == 26
    assert references.best_learned("CollectMineralShards") == 104
    assert references.best_learned("DefeatRoaches") == 101  # Atari-net
    assert references.best_learned("BuildMarines") == 6


def test_minigame_table_has_the_paper_layout_and_our_rows():
    results = {"MoveToBeacon": {"eval": {"mean": 3.5, "stderr": 0.25, "max": 6, "episodes": 100},
                                "train_seconds": 600, "frames": 12345}}
    text = tables.minigame_table(["MoveToBeacon", "BuildMarines"], results)
    lines = text.splitlines()
    assert lines[0] == "| Agent | MoveToBeacon | BuildMarines |"
    assert "| starleague tiny, trained (embedded engine) | **3.5** ± 0.2 (max 6, n=100) | not run |" in lines
    assert "| paper: StarCraft grandmaster | 28 (28) | 133 (133)† |" in lines
    assert "| paper: Random policy | 1 (6) | <1 (5) |" in lines
    goals = tables.minigame_goals(["MoveToBeacon"], results)
    assert "| MoveToBeacon | 3.5 | - | 1 | 26 | yes | no | 10 min | 12,345 |" in goals
    assert "greedy" not in text


def test_minigame_tables_show_a_greedy_evaluation_beside_the_sampled_one():
    results = {"MoveToBeacon": {"eval": {"mean": 25.5, "stderr": 0.2, "max": 30, "episodes": 100},
                                "greedy": {"mean": 26.5, "stderr": 0.2, "max": 31, "episodes": 100},
                                "train_seconds": 600, "frames": 12345}}
    assert "| starleague tiny, trained, greedy (embedded engine) | **26.5** ± 0.2 (max 31, n=100) |" in \
        tables.minigame_table(["MoveToBeacon"], results)
    # The verdict reads the sampled mean (25.5 < 26), not the greedy one.
    assert "| MoveToBeacon | 25.5 | 26.5 | 1 | 26 | yes | no | 10 min | 12,345 |" in \
        tables.minigame_goals(["MoveToBeacon"], results)


def test_greedy_evaluation_does_not_depend_on_the_sampling_seed():
    import torch

    from agent.model.policy import build_policy
    from agent.model.presets import preset_config
    from starleague.experiments.scoring import play_episodes

    torch.manual_seed(0)
    policy = build_policy(preset_config("tiny", max_delay=1)).eval()

    def returns(torch_seed: int, greedy: bool) -> list[float]:
        torch.manual_seed(torch_seed)
        return play_episodes(policy, "CollectMineralShards", 2, envs=2, greedy=greedy)

    assert returns(1, greedy=True) == returns(2, greedy=True)
    assert returns(1, greedy=False) != returns(2, greedy=False)


def test_minigame_table_shows_the_engines_scripted_agent_when_measured():
    results = {"MoveToBeacon": {"eval": {"mean": 3.5, "stderr": 0.25, "max": 6, "episodes": 100},
                                "scripted": {"mean": 9.0, "stderr": 0.2, "max": 12, "episodes": 100}}}
    assert "| scripted greedy, raw commands (embedded engine) | **9.0** ± 0.2 (max 12, n=100) |" in \
        tables.minigame_table(["MoveToBeacon"], results)
    assert "scripted" not in tables.minigame_table(["MoveToBeacon"], {"MoveToBeacon": {"eval": results["MoveToBeacon"]["eval"]}})


def test_minigames_default_agent_acts_every_step():
    from agent.model.presets import resolve_model_config
    from starleague.config import build_config

    from starleague.experiments import replay_ablation

    for overrides in (minigames.DEFAULT_OVERRIDES, replay_ablation.DEFAULT_OVERRIDES):
        config = build_config(preset="tiny", overrides=list(overrides))
        assert resolve_model_config(config.model).max_delay == 1
    # The mini-games bound the policy lag; the replay table keeps the setting it was measured with.
    assert build_config(preset="tiny", overrides=list(minigames.DEFAULT_OVERRIDES)).learner.max_policy_lag == 16
    assert build_config(preset="tiny", overrides=list(replay_ablation.DEFAULT_OVERRIDES)).learner.max_policy_lag == 0


def test_minigames_per_game_overrides_come_after_the_defaults():
    from agent.model.presets import resolve_model_config
    from starleague.config import build_config

    def config_of(game):
        overrides = minigames.cell_overrides(game, minigames.DEFAULT_OVERRIDES, minigames.GAME_OVERRIDES)
        return build_config(preset="tiny", overrides=overrides)

    def model_of(game):
        return resolve_model_config(config_of(game).model)

    assert model_of("BuildMarines").max_delay == 16  # the default's max_delay=1 is overridden
    assert config_of("BuildMarines").rl.discount == 0.999
    assert model_of("DefeatRoaches").max_selected_units == 16 and model_of("DefeatRoaches").max_delay == 1
    assert model_of("MoveToBeacon").max_selected_units == 4 and model_of("MoveToBeacon").max_delay == 1
    assert minigames.cell_overrides("BuildMarines", ["x=1"], {}) == ["x=1"]  # --set replaces both


def test_minigames_schedules_scale_with_the_training_budget():
    from starleague.config import build_config

    def learner_of(game, minutes):
        overrides = minigames.cell_overrides(game, minigames.DEFAULT_OVERRIDES, minigames.GAME_OVERRIDES,
                                             minigames.GAME_SCHEDULES, minutes)
        return build_config(preset="tiny", overrides=overrides).learner

    # The budgets they were measured with give the measured schedules.
    shards = learner_of("CollectMineralShards", 45)
    assert (shards.learning_rate_anneal_start_seconds, shards.learning_rate_anneal_seconds) == (2100, 2700)
    assert (shards.entropy_cost_anneal_start_seconds, shards.entropy_cost_anneal_seconds) == (600, 2100)
    beacon = learner_of("MoveToBeacon", 35)
    assert (beacon.entropy_cost_anneal_start_seconds, beacon.entropy_cost_anneal_seconds) == (600, 1800)
    assert (beacon.learning_rate_anneal_start_seconds, beacon.learning_rate_anneal_seconds) == (1800, 2100)
    # Twice the budget, twice the times; games without a schedule keep constant rates.
    assert learner_of("MoveToBeacon", 70).learning_rate_anneal_seconds == 4200
    roaches = learner_of("DefeatRoaches", 45)
    assert roaches.learning_rate_anneal_seconds == 0 and roaches.entropy_cost_anneal_seconds == 0
    with pytest.raises(records.ExperimentError, match="start < end"):
        minigames.schedule_overrides({"learning_rate": (0.9, 0.5)}, 45)
    assert minigames.cell_overrides("MoveToBeacon", ["x=1"], {}, {}, 35) == ["x=1"]  # --set replaces all


def test_minigames_report_keeps_the_columns_of_earlier_invocations(tmp_path):
    from starleague.experiments import records

    res = str(tmp_path / "res")
    state = records.ExperimentState(res, "minigames", {"overrides": []}, resume=False)
    score = {"mean": 2.0, "stderr": 0.1, "max": 3, "episodes": 10}
    state.data["cells"] = {"MoveToBeacon": {"status": "done", "eval": score},
                           "CollectMineralShards": {"status": "done", "eval": dict(score, mean=12.0)}}
    summary = minigames.write_report(state, ["CollectMineralShards"], res)
    assert set(summary["results"]) == {"MoveToBeacon", "CollectMineralShards"}
    assert "| Agent | MoveToBeacon | CollectMineralShards |" in open(os.path.join(res, "table.md")).read()


def test_ablation_table_has_the_impala_layout():
    cells = {("Without Replay", "vtrace"): {"A": (1.0, 0.5, 3)}, ("With Replay", "no_correction"): {"A": (0.25, 0.0, 1)}}
    lines = tables.ablation_table(["A", "B"], cells).splitlines()
    assert lines[0] == "|  | Correction | A | B |"
    assert lines[2] == "| **Without Replay** | V-trace | 1.00 ± 0.50 (3 seeds) | not run |"
    assert lines[6] == "| **With Replay** | V-trace | not run | not run |"
    assert lines[9] == "|  | No-correction | 0.25 ± 0.00 (1 seed) | not run |"
    assert len(lines) == 2 + 8


def test_score_statistics_and_svg_plot():
    score = Score.of([1.0, 2.0, 3.0, 4.0])
    assert score.mean == 2.5 and score.max == 4.0 and score.min == 1.0
    assert score.stderr == pytest.approx((5.0 / 3.0) ** 0.5 / 2.0)
    assert mean_and_stderr([7.0]) == (7.0, 0.0)
    assert plots.moving_average([0, 2, 4, 6], 2) == [0, 1, 3, 5]
    svg = plots.line_chart([("run", [0, 10, 20], [1, 2, 3])], "t <1>", "x", "y", [("paper", 2.5)])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and "t &lt;1&gt;" in svg
    assert svg.count("<polyline") == 1 and "paper (2.5)" in svg


# --- experiments end to end ---------------------------------------------------------------


@pytest.mark.timeout(400)
def test_minigames_runs_end_to_end_then_resumes_training_and_skips_finished(tmp_path):
    res, runs = str(tmp_path / "res"), str(tmp_path / "runs")
    base = ["minigames", "--games", "MoveToBeacon", "--eval-episodes", "2", "--untrained-episodes", "1",
            "--results-dir", res, "--runs-dir", runs, *_sets(SMALL)]
    first = _experiment(base + ["--minutes-per-game", "0.15"], timeout=180)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for name in ("state.json", "results.json", "table.md", "MoveToBeacon_curve.svg", "MoveToBeacon_curve.json",
                 "MoveToBeacon_config.json"):
        assert os.path.exists(os.path.join(res, name)), name
    summary = json.load(open(os.path.join(res, "results.json")))
    cell = summary["results"]["MoveToBeacon"]
    assert cell["status"] == "done" and cell["eval"]["episodes"] == 2 and cell["untrained"]["episodes"] == 1
    assert cell["learner_steps"] >= 1 and cell["frames"] > 0
    [invocation] = summary["invocations"]
    assert invocation["command"].startswith("starleague experiment minigames") and invocation["git_commit"]
    assert invocation["machine"]["cpus"] >= 1
    table = open(os.path.join(res, "table.md")).read()
    assert "n=2" in table and "paper: FullyConv LSTM" in table and "Vinyals et al. 2017" in table
    learner_log = os.path.join(runs, "MoveToBeacon", "logs", "learner.log")

    # A larger budget on --resume: the unfinished training continues from its last checkpoint
    # (in-process from here on: the same entry point the CLI calls, without another interpreter start).
    logged: list[str] = []
    kwargs = dict(games=["MoveToBeacon"], eval_episodes=2, untrained_episodes=1, overrides=SMALL, game_schedules={},
                  resume=True,
                  results_dir=res, runs_dir=runs, log=logged.append, argv=["experiment", "minigames", "--resume"])
    minigames.run(minutes_per_game=0.3, **kwargs)
    assert "learner: resumed main_0 at step" in open(learner_log).read()
    cell2 = json.load(open(os.path.join(res, "results.json")))["results"]["MoveToBeacon"]
    assert cell2["learner_steps"] >= cell["learner_steps"] and cell2["train_seconds"] > cell["train_seconds"]

    # Same budget again, asking for the greedy evaluation: the finished cell is not trained
    # again, only evaluated greedily, and the table gains the greedy row.
    size = os.path.getsize(learner_log)
    logged.clear()
    minigames.run(minutes_per_game=0.3, greedy_eval=True, **kwargs)
    assert any("skipped" in line for line in logged), logged
    assert os.path.getsize(learner_log) == size
    cell3 = json.load(open(os.path.join(res, "results.json")))["results"]["MoveToBeacon"]
    assert cell3["greedy"]["episodes"] == 2 and cell3["eval"] == cell2["eval"]
    assert "trained, greedy" in open(os.path.join(res, "table.md")).read()
    assert len(json.load(open(os.path.join(res, "state.json")))["invocations"]) == 3
    assert os.path.exists(os.path.join(str(tmp_path), "README.md"))


@pytest.mark.timeout(400)
def test_replay_ablation_fills_every_cell_then_resume_reruns_none(tmp_path):
    res, runs = str(tmp_path / "res"), str(tmp_path / "runs")
    args = ["replay-ablation", "--tasks", "MoveToBeacon", "--seeds", "1", "--frames", "64", "--final-episodes", "2",
            "--parallel", "8", "--results-dir", res, "--runs-dir", runs, *_sets(SMALL)]
    first = _experiment(args, timeout=300)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    summary = json.load(open(os.path.join(res, "results.json")))
    assert len(summary["cells"]) == 8
    for name, cell in summary["cells"].items():
        assert cell["status"] == "done" and cell["frames"] >= 64, (name, cell)
    configs = {(c["correction"], c["replay"]) for c in summary["cells"].values()}
    assert configs == {(k, r) for k in references.CORRECTION_LABELS for r in (0.0, 0.5)}
    table = open(os.path.join(res, "table.md")).read()
    assert table.count("(1 seed)") + table.count("not run") == 8 and "Espeholt et al. 2018" in table
    assert os.path.exists(os.path.join(res, "MoveToBeacon_curves.svg"))

    again = _experiment(args + ["--resume"], timeout=60)
    assert again.returncode == 0 and "0 cells to run, 8 done earlier" in again.stdout, again.stdout[-2000:]


@pytest.mark.timeout(400)
def test_vs_bots_default_league_plays_the_evaluated_levels():
    from starleague.config import build_config
    from starleague.experiments import vs_bots

    config = build_config(preset="tiny", overrides=list(vs_bots.DEFAULT_OVERRIDES))
    assert config.league.bots == list(vs_bots.DEFAULT_BOTS)
    assert config.league.main_bot_share == 0.5 and config.league.bot_weighting == "hard"
    assert config.league.main_exploiters == 1 and config.rl.discount == 0.999


def test_vs_bots_runs_a_league_and_evaluates_snapshots(tmp_path):
    res, runs = str(tmp_path / "res"), str(tmp_path / "runs")
    overrides = SMALL + ["env.game_loop_limit=400", "league.main_exploiters=1", "learner.league_checkin_seconds=2"]
    result = _experiment(["vs-bots", "--minutes", "0.6", "--eval-every", "0.2", "--eval-games", "1", "--bots",
                          "VeryEasy", "--actors", "1", "--greedy-eval", "--results-dir", res, "--runs-dir", runs,
                          *_sets(overrides)], timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.load(open(os.path.join(res, "results.json")))
    rows = summary["evaluations"]
    assert rows and all(set(r["bots"]) == {"VeryEasy"} for r in rows)
    assert all(r["bots"]["VeryEasy"]["games"] == 1 and 0.0 <= r["bots"]["VeryEasy"]["win_rate"] <= 1.0 for r in rows)
    assert [r["seconds"] for r in rows] == sorted(r["seconds"] for r in rows)
    assert all(r["greedy"]["VeryEasy"]["games"] == 1 for r in rows + [summary["untrained"]])
    for name in ("table.md", "winrate.svg", "state.json", "config.json"):
        assert os.path.exists(os.path.join(res, name)), name
    table = open(os.path.join(res, "table.md")).read()
    assert "vs VeryEasy" in table and "vs VeryEasy (greedy)" in table


@pytest.mark.timeout(200)
def test_vs_bots_stops_on_sigterm_and_records_where_it_stopped(tmp_path):
    """SIGTERM stops the league as Ctrl-C does: the learners write their checkpoints, the state
    records that it stopped and the minutes trained (for --resume), and no process of the run is
    left. Before, SIGTERM killed the experiment outright and the state kept the minutes of its
    last evaluation."""
    import signal
    import time

    res, runs = str(tmp_path / "res"), str(tmp_path / "runs")
    overrides = SMALL + ["env.game_loop_limit=400", "league.main_exploiters=0"]
    log_path = str(tmp_path / "experiment.log")
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    with open(log_path, "w") as log:
        experiment = subprocess.Popen([sys.executable, "-m", "starleague", "experiment", "vs-bots", "--minutes", "60",
                                       "--bots", "VeryEasy", "--actors", "1", "--results-dir", res, "--runs-dir", runs,
                                       *_sets(overrides)], stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 120
    while "vs-bots: league of" not in open(log_path).read() and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(5)
    experiment.send_signal(signal.SIGTERM)
    assert experiment.wait(timeout=120) != 0
    league = json.load(open(os.path.join(res, "state.json")))["cells"]["league"]
    assert league["status"] == "stopped", open(log_path).read()[-3000:]
    assert _processes_mentioning(runs) == []


@pytest.mark.timeout(200)
def test_replay_ablation_stops_on_sigterm_with_no_process_left(tmp_path):
    """SIGTERM (as Ctrl-C) starts no queued cell and stops the running cells' learners and actors,
    which run in sessions of their own. Before, the pool kept starting queued cells and the
    killed experiment left its cells' processes running."""
    import signal
    import time

    res, runs = str(tmp_path / "res"), str(tmp_path / "runs")
    args = ["replay-ablation", "--tasks", "MoveToBeacon", "--seeds", "1", "--frames", "10000000", "--parallel", "2",
            "--results-dir", res, "--runs-dir", runs, *_sets(SMALL)]
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    log_path = str(tmp_path / "experiment.log")
    with open(log_path, "w") as log:
        experiment = subprocess.Popen([sys.executable, "-m", "starleague", "experiment", *args], stdout=log,
                                      stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 120
    while open(log_path).read().count("learner on localhost") < 2 and time.time() < deadline:
        time.sleep(0.5)
    assert open(log_path).read().count("learner on localhost") == 2, open(log_path).read()[-3000:]

    assert len(_processes_mentioning(runs)) >= 4  # two learners, two actors
    experiment.send_signal(signal.SIGTERM)
    assert experiment.wait(timeout=150) != 0
    output = open(log_path).read()
    assert "stopped; --resume continues it" in output, output[-3000:]
    assert output.count("learner on localhost") == 2  # no queued cell started after the signal
    assert _processes_mentioning(runs) == []


@pytest.mark.timeout(400)
def test_imitation_records_clones_evaluates_then_resumes_the_cloning(tmp_path):
    """Demonstrations -> behaviour cloning -> evaluation; a longer --resume continues the cloning
    from its checkpoint (the demonstrations are not played again) and evaluates again."""
    res, runs = str(tmp_path / "res"), str(tmp_path / "runs")
    small = ["model.max_entities=16", "model.spatial_size=16", "model.max_selected_units=8", "env.game_loop_limit=800"]
    base = ["imitation", "--opponents", "VeryEasy", "--games", "2", "--checkpoint-every", "2", "--batch-size", "2",
            "--unroll-length", "8", "--eval-games", "1", "--bots", "VeryEasy", *_sets(small)]
    args = [*base, "--results-dir", res, "--runs-dir", runs]
    first = _experiment([*args, "--steps", "4"], timeout=300)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    summary = json.load(open(os.path.join(res, "results.json")))
    assert all(0 < g["decisions"] <= 100 for g in summary["games"])  # 800 loops at step_mul 8: 100 steps
    assert summary["training"]["steps"] == 4 and [v["step"] for v in summary["training"]["validation"]] == [0, 2, 4]
    assert summary["evaluation"]["cloned"]["bots"]["VeryEasy"]["games"] == 1
    assert summary["greedy_evaluation"]["cloned"]["bots"]["VeryEasy"]["games"] == 1
    assert os.path.exists(os.path.join(runs, "policy.safetensors"))
    for name in ("table.md", "loss.svg", "state.json"):
        assert os.path.exists(os.path.join(res, name)), name
    assert "cloned from Medium |" in open(os.path.join(res, "table.md")).read()
    assert "cloned from Medium, greedy |" in open(os.path.join(res, "table.md")).read()

    again = _experiment([*args, "--steps", "6", "--resume"], timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "resuming behaviour cloning at step 4" in again.stdout and "recording" not in again.stdout
    summary = json.load(open(os.path.join(res, "results.json")))
    assert summary["training"]["steps"] == 6 and [v["step"] for v in summary["training"]["validation"]][-1] == 6
    assert len(summary["invocations"]) == 2 and summary["evaluation"]["status"] == "done"
    assert summary["greedy_evaluation"]["status"] == "done"

    # A DAgger round: the clone plays part of each new game, the teacher labels; trained on both
    # rounds' games, starting from the clone.
    policy, demos = os.path.join(runs, "policy.safetensors"), os.path.join(runs, "demos")
    res2, runs2 = str(tmp_path / "res2"), str(tmp_path / "runs2")
    dagger = _experiment([*base, "--results-dir", res2, "--runs-dir", runs2, "--steps", "2", "--student", policy,
                          "--student-share", "0.5", "--aggregate", demos, "--initial-params", policy], timeout=300)
    assert dagger.returncode == 0, dagger.stdout[-3000:] + dagger.stderr[-3000:]
    assert f"training starts from {policy}" in dagger.stdout
    assert "imitation: 4 training episodes" in dagger.stdout  # 2 new + 2 earlier games (fewer than 10: none held out)
    summary = json.load(open(os.path.join(res2, "results.json")))
    assert summary["settings"]["student"] == policy and summary["settings"]["aggregate"] == [demos]
    assert "DAgger round" in open(os.path.join(res2, "table.md")).read()
