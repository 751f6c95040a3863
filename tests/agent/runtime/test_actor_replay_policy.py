import types

from agent.actor import keep_replay, replay_path


def _match(kind, save):
    return types.SimpleNamespace(opponent_kind=kind, save_replay=save)


def test_losses_against_bots_are_always_kept():
    assert keep_replay(_match("bot", False), "LOSS")
    assert not keep_replay(_match("bot", False), "WIN")
    assert not keep_replay(_match("snapshot", False), "LOSS")
    assert keep_replay(_match("snapshot", True), "WIN")


def test_replay_file_names_are_safe_and_carry_the_backend_suffix(tmp_path):
    assert replay_path(str(tmp_path), "m/1:x").endswith("m_1_x.slrp")
    assert replay_path(str(tmp_path), "m1", ".SC2Replay").endswith("m1.SC2Replay")
