import json

import pytest
import zstandard

from sc2env.env import make_env
from sc2env.replay import MAGIC, ReplayError, load_replay, verify_replay
from sc2env.types import AgentPlayer, BotPlayer, Difficulty


def test_a_replay_with_other_bot_code_is_refused_clearly(tmp_path):
    env = make_env("embedded", map="Simple64", players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.Easy)],
                   seed=5, game_loop_limit=160)
    env.reset()
    for _ in range(20):
        if env.step([[]])[0].last():
            break
    path = env.save_replay(str(tmp_path / "game.slrp"))
    env.close()
    replay = load_replay(path)
    assert len(replay.bots_version) == 12
    verify_replay(path)  # reproduces with the same bots

    raw = open(path, "rb").read()
    data = json.loads(zstandard.ZstdDecompressor().decompress(raw[len(MAGIC):]))
    data["bots_version"] = "0123456789ab"
    (tmp_path / "other.slrp").write_bytes(MAGIC + zstandard.ZstdCompressor().compress(json.dumps(data).encode()))
    with pytest.raises(ReplayError, match="built-in bots are version 0123456789ab"):
        verify_replay(str(tmp_path / "other.slrp"))
