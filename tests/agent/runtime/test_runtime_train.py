"""`starleague train` end to end: league, learner and actors as real processes on localhost."""

import glob
import os
import re
import subprocess
import sys

import psutil
import pytest

import runtime_processes as procs


@pytest.mark.timeout(480)
def test_train_tiny_runs_learns_publishes_and_stops_cleanly(tmp_path):
    run_dir = str(tmp_path / "run")
    argv = [sys.executable, "-m", "starleague", "train", *procs.SMALL, "--run-dir", run_dir,
            "--set", "league.main_exploiters=0", "--set", "env.game_loop_limit=800",
            "--set", "learner.league_checkin_seconds=2", "--set", "learner.checkpoint_every_seconds=5",
            # 16 steps: more than the backlog a slow learner start lets the actor queue (~20
            # trajectories, trained on in one burst faster than the actor's snapshot poll), so
            # training outlasts it and new versions have to reach the actor.
            "--actors", "1", "--steps", "16", "--minutes", "6"]
    result = subprocess.run(argv, capture_output=True, text=True, env=procs.env(), timeout=450)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]

    steps = re.search(r"main_0: (\d+) learner steps, (\d+) frames, version (\d+)", output)
    assert steps and int(steps.group(1)) >= 4 and int(steps.group(2)) > 0, output[-3000:]
    assert re.search(r"league: \d+ players, [1-9]\d* results", output), output[-3000:]
    for where in ("checkpoints:", "logs:", "replays:"):
        assert where in output
    assert glob.glob(os.path.join(run_dir, "checkpoints", "main_0", "ckpt_*.pt"))

    actor_log = open(os.path.join(run_dir, "logs", "actor_0.log")).read()
    loaded = re.search(r"snapshots_loaded=(\d+)", actor_log)
    assert loaded and int(loaded.group(1)) >= 2, "new parameter versions must reach the actor"
    learner_log = open(os.path.join(run_dir, "logs", "learner_main_0.log")).read()
    assert "final checkpoint" in learner_log
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"]) if run_dir in " ".join(p.info["cmdline"] or [])]
    assert leftovers == [], f"processes left running: {leftovers}"


@pytest.mark.timeout(300)
def test_train_serial_runs_every_part_in_one_process(tmp_path):
    run_dir = str(tmp_path / "serial")
    argv = [sys.executable, "-m", "starleague", "train", "--serial", *procs.SMALL, "--run-dir", run_dir,
            "--set", "league.main_exploiters=0", "--set", "actor.num_actors=1", "--set", "actor.envs_per_actor=2",
            "--steps", "2", "--minutes", "4"]
    result = subprocess.run(argv, capture_output=True, text=True, env=procs.env(), timeout=280)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert re.search(r"serial run: 2 learner steps, [1-9]\d* frames", output), output[-3000:]
    assert glob.glob(os.path.join(run_dir, "checkpoints", "main_0", "ckpt_*.pt"))


def test_learner_addresses_by_player():
    from starleague.commands.train import learner_addresses

    players = ["main_0", "main_exploiter_0"]
    assert learner_addresses(["gpu:1"], players) == {"main_0": "gpu:1"}
    assert learner_addresses(["main_exploiter_0=gpu2:7", "main_0=gpu1:7"], players) == {
        "main_exploiter_0": "gpu2:7", "main_0": "gpu1:7"}
    for bad in (["nobody=gpu:1"], ["main_0=gpu"], ["gpu:1", "main_0=gpu:2"]):
        with pytest.raises(SystemExit):
            learner_addresses(bad, players)


@pytest.mark.timeout(480)
def test_train_uses_a_running_learner_for_one_player_and_starts_the_other(tmp_path):
    """`--learner main_exploiter_0=host:port`: that player's actors stream to the learner given
    (already running, e.g. on a GPU host), main_0 gets a learner process here; train stops only
    what it started."""
    run_dir = str(tmp_path / "run")
    os.makedirs(run_dir)
    league = procs.Process(["league", "serve", *procs.SMALL, "--run-dir", run_dir, "--address", "localhost:0"],
                           os.path.join(run_dir, "own-league.log"))
    remote = None
    try:
        league_port = league.wait_for(r"league listening on \S+?:(\d+)").group(1)
        remote = procs.Process(["learner", *procs.SMALL, "--run-dir", run_dir, "--player", "main_exploiter_0",
                                "--port", "0", "--league", f"localhost:{league_port}"],
                               os.path.join(run_dir, "own-learner.log"))
        remote_port = remote.wait_for(r"serving on port (\d+)").group(1)
        argv = [sys.executable, "-m", "starleague", "train", *procs.SMALL, "--run-dir", run_dir,
                "--set", "env.game_loop_limit=800", "--league", f"localhost:{league_port}",
                "--learner", f"main_exploiter_0=localhost:{remote_port}",
                "--actors", "2", "--steps", "2", "--minutes", "6"]
        result = subprocess.run(argv, capture_output=True, text=True, env=procs.env(), timeout=450)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-4000:]
        assert f"learner main_exploiter_0 on localhost:{remote_port} (already running)" in output
        assert os.path.exists(os.path.join(run_dir, "logs", "learner_main_0.log"))
        assert not os.path.exists(os.path.join(run_dir, "logs", "learner_main_exploiter_0.log"))
        assert re.search(r"main_exploiter_0: \d+ learner steps", output), output[-3000:]
        assert remote.popen.poll() is None, "train must not stop a learner it did not start"
        actor_log = open(os.path.join(run_dir, "logs", "actor_1.log")).read()
        sent = re.search(r"actor actor_1: done: .*?, sent=(\d+)", actor_log)
        assert sent and int(sent.group(1)) > 0, actor_log[-2000:]
        remote.wait_for(r"accepted [1-9]", timeout=60)  # the running learner got actor_1's trajectories
    finally:
        if remote is not None:
            remote.stop()
        league.stop()
