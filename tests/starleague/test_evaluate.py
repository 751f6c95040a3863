"""starleague eval end to end: real policy, real engine games, real league store."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest
import torch

from agent.model.config import ModelConfig
from agent.model.policy import build_policy
from agent.snapshot import encode_snapshot
from league.config import LeagueConfig
from league.league import League
from league.store import LeagueStore
from starleague import evaluate


def _tiny_snapshot(path, player_id="main_0", version=3, with_config=True):
    config = ModelConfig()
    torch.manual_seed(0)
    policy = build_policy(config)
    metadata = {"player_id": player_id, "version": str(version)}
    if with_config:
        metadata["model_config"] = json.dumps(dataclasses.asdict(config))
    path.write_bytes(encode_snapshot(policy.state_dict(), metadata))
    return policy


def _eval_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "starleague", "eval", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.timeout(300)
def test_eval_plays_reports_and_records_games_once(tmp_path):
    snap = tmp_path / "snap.safetensors"
    _tiny_snapshot(snap)
    store_path = str(tmp_path / "league.db")
    with LeagueStore(store_path) as store:
        League(store, LeagueConfig(), str(tmp_path / "snapshots"))  # creates main_0 and the bots
    args = ["--snapshot", str(snap), "--vs", "veryeasy", "--games", "2", "--game-loop-limit", "400",
            "--workers", "1", "--store", store_path, "--out", str(tmp_path / "out"), "--replay-fraction", "1"]
    out = _eval_cli(*args)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.load(open(tmp_path / "out" / "eval.json"))
    (snapshot,) = result["snapshots"]
    (row,) = snapshot["opponents"]
    assert row["opponent"] == "bot:veryeasy"
    assert row["wins"] + row["draws"] + row["losses"] == 2
    assert 0.0 <= row["ci_low"] <= row["win_rate"] <= row["ci_high"] <= 1.0
    assert row["mean_game_loops"] > 0
    assert snapshot["elo"] is not None
    assert len(snapshot["replays"]) == 2 and all(os.path.isfile(p) for p in snapshot["replays"])
    html = open(tmp_path / "out" / "eval.html").read()
    assert "<svg" in html and "bot:veryeasy" in html
    assert "recorded 2 new evaluation game(s)" in out.stdout

    # The same games reported again (a retried eval) count once.
    sources = evaluate.resolve_snapshots(str(snap))
    retried = [evaluate.GameResult(evaluate.GameJob(0, "veryeasy", g, 1000 + g), "loss", 400, "") for g in range(2)]
    assert evaluate.record_in_store(store_path, sources, retried, "Simple64") == 0
    with LeagueStore(store_path) as store:
        evals = [m for m in store.matches() if m.kind == "eval"]
    assert len(evals) == 2 and all(m.opponent_id == "bot:veryeasy" for m in evals)


def test_unknown_ids_and_corrupt_files_are_clear_errors_and_change_nothing(tmp_path):
    store_path = str(tmp_path / "league.db")
    with LeagueStore(store_path) as store:
        League(store, LeagueConfig(), str(tmp_path / "snapshots"))
        before = store.match_counts()
    with pytest.raises(evaluate.EvalError, match="main_0@99"):
        evaluate.resolve_snapshots("main_0@99", store_path)
    with pytest.raises(evaluate.EvalError, match="needs --store"):
        evaluate.resolve_snapshots("main_0@99")
    corrupt = tmp_path / "broken.safetensors"
    corrupt.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(evaluate.EvalError, match="broken.safetensors"):
        evaluate.resolve_snapshots(str(corrupt))
    bad_ckpt = tmp_path / "ckpt_0000000001.pt"
    bad_ckpt.write_bytes(b"not a checkpoint")
    with pytest.raises(evaluate.EvalError, match="ckpt_0000000001.pt"):
        evaluate.resolve_snapshots(str(bad_ckpt))
    with pytest.raises(evaluate.EvalError, match="no learner checkpoints"):
        evaluate.resolve_snapshots(str(tmp_path / "snapshots"))
    out = _eval_cli("--snapshot", "main_0@99", "--store", store_path, "--games", "1")
    assert out.returncode == 2 and "main_0@99" in out.stdout
    with LeagueStore(store_path) as store:
        assert store.match_counts() == before


def test_run_directory_gives_one_entry_per_checkpoint_in_order(tmp_path):
    config = ModelConfig()
    policy = build_policy(config)
    run = tmp_path / "run" / "checkpoints" / "main_0"
    run.mkdir(parents=True)
    for step, version in [(10, 1), (20, 2)]:
        torch.save({"params": policy.state_dict(), "step": step, "version": version, "player_id": "main_0",
                    "config": {"model": dataclasses.asdict(config)}}, run / f"ckpt_{step:010d}.pt")
    sources = evaluate.resolve_snapshots(str(tmp_path / "run"))
    assert [(s.label, s.version) for s in sources] == [("main_0 v1", 1), ("main_0 v2", 2)]
    loaded = build_policy(ModelConfig(**sources[0].model_config))
    loaded.load_state_dict(torch.load(sources[0].params_path, weights_only=True)["params"])


def test_summary_with_several_versions_draws_curves():
    from starleague.eval_report import render_report

    sources = [evaluate.SnapshotSource(f"v{i}", "", i, "", {}) for i in range(3)]
    results = [
        evaluate.GameResult(evaluate.GameJob(i, "easy", g, g), "win" if g < i else "loss", 100, "")
        for i in range(3) for g in range(4)
    ]
    summary = evaluate.summarize(sources, results, ["easy"], {"easy": 200.0})
    rates = [s["opponents"][0]["win_rate"] for s in summary["snapshots"]]
    assert rates == [0.0, 0.25, 0.5]
    ratings = [s["elo"]["rating"] for s in summary["snapshots"]]
    assert ratings[0] < ratings[1] < ratings[2]
    html = render_report(summary)
    assert "Win rate over training versions" in html and "Elo over training versions" in html


@pytest.mark.timeout(200)
def test_greedy_games_do_not_depend_on_the_sampling_seed(tmp_path):
    """--greedy plays each head's most likely choice: the same game whatever torch's RNG holds,
    while sampled games (as an actor plays) differ with it."""
    from sc2env.replay import load_replay

    policy = _tiny_snapshot(tmp_path / "snap.safetensors").eval()
    job = evaluate.GameJob(0, "veryeasy", 0, 1000)

    def final_state(greedy: bool, torch_seed: int, name: str) -> str:
        settings = {"backend": "embedded", "map": "Simple64", "step_mul": 8, "game_loop_limit": 400,
                    "replay_dir": str(tmp_path / name), "replay_fraction": 1.0, "greedy": greedy}
        torch.manual_seed(torch_seed)
        result = evaluate.play_game(policy, job, settings)
        return load_replay(result.replay_path).final_hash

    assert final_state(True, 1, "g1") == final_state(True, 2, "g2")
    assert final_state(False, 1, "s1") != final_state(False, 2, "s2")
