"""Same seed + same actions -> bit-identical games; replays reproduce them; bad files are refused."""

from __future__ import annotations

import json
import os

import pytest
import zstandard

from sc2env.engine.environment import EmbeddedEnv
from sc2env.replay import MAGIC, ReplayError, iter_replay_frames, load_replay, verify_replay
from sc2env.types import AgentPlayer, RawCommand


def scripted(obs, k):
    """A small deterministic agent: mine, train SCVs, wander with one SCV."""
    own = obs.own_units()
    scvs = own[own["unit_type"] == 45]
    cmds = []
    if k == 0:
        minerals = obs.neutral_units()
        minerals = minerals[minerals["mineral_contents"] > 0]
        cmds.append(RawCommand(295, tuple(int(t) for t in scvs["tag"][1:]), target_unit_tag=int(minerals["tag"][0])))
    cc = own[own["unit_type"] == 18]
    if len(cc) and 524 in obs.available_abilities and k % 10 == 0:
        cmds.append(RawCommand(524, (int(cc["tag"][0]),)))
    if k % 25 == 5 and len(scvs):
        cmds.append(RawCommand(16, (int(scvs["tag"][0]),), target_point=(20.0 + k % 17, 30.0 + k % 13)))
    return cmds


def play(seed, steps=120, perturb=False):
    env = EmbeddedEnv("Simple64", [AgentPlayer(), AgentPlayer()], step_mul=8, seed=seed, game_loop_limit=2000)
    ts = env.reset()
    hashes = []
    for k in range(steps):
        actions = [scripted(t.observation, k) for t in ts]
        if perturb and k == 50:
            own = ts[1].observation.own_units()
            scv = own[own["unit_type"] == 45]["tag"][0]
            actions[1] = actions[1] + [RawCommand(16, (int(scv),), target_point=(33.0, 12.0))]
        ts = env.step(actions)
        hashes.append(env.game.state_hash())
        if ts[0].last():
            break
    return env, hashes


def test_same_seed_same_actions_bit_identical():
    _, a = play(5)
    _, b = play(5)
    assert a == b
    _, c = play(5, perturb=True)
    assert c[:50] == a[:50] and c[60:] != a[60:]


def test_replay_reproduces_and_yields_frames(tmp_path):
    env, hashes = play(9, steps=60)
    path = env.save_replay(str(tmp_path / "g.slrp"))
    assert os.path.getsize(path) < 20_000
    replay = verify_replay(path)
    assert replay.final_hash == hashes[-1] and replay.seed == 9
    frames = list(iter_replay_frames(path))
    assert len(frames) == 61 and frames[-1].game_loop == env.game.game_loop
    last = frames[-1]
    assert len(last.units) >= len(last.observations[1].units) - 0  # full state covers each view
    assert set(last.observations) == {1, 2}


def _rewrite(path, mutate):
    raw = open(path, "rb").read()
    d = json.loads(zstandard.ZstdDecompressor().decompress(raw[len(MAGIC):]))
    mutate(d)
    with open(path, "wb") as f:
        f.write(MAGIC + zstandard.ZstdCompressor().compress(json.dumps(d).encode()))


def test_corrupt_and_mismatched_replays_raise_replay_error(tmp_path):
    env, _ = play(2, steps=70)
    good = env.save_replay(str(tmp_path / "good.slrp"))
    raw = open(good, "rb").read()
    cases = {
        "magic": b"NOTAREPLAY" + raw[10:],
        "truncated": raw[: len(raw) // 2],
        "flipped": raw[:40] + bytes([raw[40] ^ 0xFF]) + raw[41:],
        "empty": b"",
    }
    for name, data in cases.items():
        p = tmp_path / f"{name}.slrp"
        p.write_bytes(data)
        with pytest.raises(ReplayError):
            verify_replay(str(p))
    with pytest.raises(ReplayError, match="cannot read"):
        load_replay(str(tmp_path / "missing.slrp"))
    mutations = {
        "map": lambda d: d.update(map_name="Simple96"),  # a different game: hashes diverge
        "action": lambda d: d["actions"][5][0].append({"a": 16, "u": [d["actions"][0][0][0]["u"][0]], "p": [40, 40]}),
        "version": lambda d: d.update(engine_version="other-engine"),
        "format": lambda d: d.update(format=99),
        "players": lambda d: d.update(players=["robot"]),
        "schema": lambda d: d.pop("actions"),
    }
    for name, mutate in mutations.items():
        p = str(tmp_path / f"m_{name}.slrp")
        open(p, "wb").write(raw)
        _rewrite(p, mutate)
        with pytest.raises(ReplayError):
            verify_replay(p)


def test_game_level_replay_of_a_directly_driven_game(tmp_path):
    from sc2env.engine.game import Game
    from sc2env.replay import save_game_replay

    game = Game.melee_game("Simple64", seed=4, game_loop_limit=3000)
    for k in range(40):
        for p in (1, 2):
            obs = game.observe(p)
            game.apply_commands(p, scripted(obs, k))
        game.step(8 if k % 3 else 5)  # uneven steps, as an SC2 API client may ask
    path = save_game_replay(game, str(tmp_path / "direct.slrp"), players=["agent", "agent"])
    replay = verify_replay(path)
    assert replay.kind == "game" and replay.final_hash == game.state_hash()
    frames = list(iter_replay_frames(path))
    assert len(frames) == 41 and frames[-1].game_loop == game.game_loop
