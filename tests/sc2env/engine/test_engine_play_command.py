"""`starleague play`: a headless bot game that prints its result, saves a replay, and repeats exactly."""

from __future__ import annotations

import os

import pytest

from sc2env.replay import verify_replay
from starleague.cli import main


@pytest.mark.timeout(240)
def test_play_twice_prints_the_same_result_and_replay_verifies(tmp_path, capsys):
    pytest.importorskip("sc2env.bots")
    argv = ["play", "--map", "Simple64", "--p1", "bot:easy", "--p2", "bot:hard", "--seed", "7",
            "--game-loop-limit", "1600", "--replay-dir", str(tmp_path)]
    outputs = []
    for _ in range(2):
        assert main(argv) == 0
        outputs.append([line for line in capsys.readouterr().out.splitlines() if "wall" not in line])
    assert outputs[0] == outputs[1]
    text = "\n".join(outputs[0])
    assert "winner:" in text and "game loops: 1600" in text and "P1:" in text and "army supply" in text
    replays = os.listdir(tmp_path)
    assert len(replays) == 1
    assert verify_replay(str(tmp_path / replays[0])).game_loop == 1600


def test_play_rejects_agent_seats_and_bad_specs(capsys):
    assert main(["play", "--p1", "agent"]) == 2
    assert main(["play", "--p1", "bot:godlike"]) == 2
    assert main(["play", "--map", "Nowhere"]) == 2
