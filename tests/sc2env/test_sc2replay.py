import os

import pytest

from sc2env.sc2replay import SC2ReplayError, read_replay_info

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "sc2replays")


def test_reads_a_real_1v1_replay():
    info = read_replay_info(os.path.join(DATA, "short-1v1.SC2Replay"))
    assert info.base_build == 32283
    assert info.game_version == "2.1.8.33553"
    assert info.map_name == "Ohana LE"
    assert info.game_loops == 110
    assert info.game_speed == "Faster"
    assert info.duration_seconds == pytest.approx(110 / 22.4)
    assert [(p.name, p.race, p.result) for p in info.players] == [
        ("Eraser", "Terran", "Defeat"),
        ("[9KingS]<sp/>DakotaFannin", "Zerg", "Victory"),
    ]


def test_reads_a_replay_with_computer_players():
    info = read_replay_info(os.path.join(DATA, "computer.SC2Replay"))
    assert info.map_name == "Lost Temple"
    assert info.game_loops == 16430
    assert "Computer" in [p.control for p in info.players]


def test_corrupt_and_truncated_files_name_the_file(tmp_path):
    garbage = tmp_path / "garbage.SC2Replay"
    garbage.write_bytes(b"not an mpq archive at all" * 10)
    with pytest.raises(SC2ReplayError, match="garbage.SC2Replay"):
        read_replay_info(str(garbage))
    truncated = tmp_path / "truncated.SC2Replay"
    truncated.write_bytes(open(os.path.join(DATA, "short-1v1.SC2Replay"), "rb").read()[:2000])
    with pytest.raises(SC2ReplayError, match="truncated.SC2Replay"):
        read_replay_info(str(truncated))
    with pytest.raises(SC2ReplayError, match="missing.SC2Replay"):
        read_replay_info(str(tmp_path / "missing.SC2Replay"))


def test_replays_info_command_prints_json_and_rejects_garbage(tmp_path):
    import json
    import subprocess
    import sys

    path = os.path.join(DATA, "short-1v1.SC2Replay")
    out = subprocess.run([sys.executable, "-m", "starleague", "replays", "info", path, "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["map_name"] == "Ohana LE" and len(info["players"]) == 2
    bad = tmp_path / "bad.SC2Replay"
    bad.write_bytes(b"\0" * 64)
    out = subprocess.run([sys.executable, "-m", "starleague", "replays", "info", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "bad.SC2Replay" in out.stdout
