"""Demonstrations and behaviour cloning on the embedded engine's Simple64 (real games, real bots).

The teacher's commands become the policy's heads (and back into the same commands), every
recorded action is legal under the policy's masks (finite log-probability), episode files
round-trip and refuse corrupt or mismatched data, and cloning lowers the imitation loss.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agent import imitation, wire
from agent.actions import action_types, to_commands
from agent.demonstration import (
    DemonstrationError, Episode, Teacher, command_to_action, decision_steps, load_episode, no_op_action, record_episode,
    save_episode,
)
from agent.features import FeatureSpec
from agent.model import preset_config
from agent.model.policy import build_policy
from sc2env.bots import TerranBot, profile_for
from sc2env.env import make_env
from sc2env.types import AgentPlayer, BotPlayer, Difficulty, RawCommand

torch.set_num_threads(1)
MODEL = dict(max_entities=32, spatial_size=16, max_selected_units=4)


def index(name: str) -> int:
    return [k.name for k in action_types()].index(name)


@pytest.fixture(scope="module")
def spec():
    return FeatureSpec(preset_config("tiny", **MODEL))


def new_env(loops: int = 22400, seed: int = 3):
    return make_env(players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.VeryEasy)], seed=seed,
                    game_loop_limit=loops)


@pytest.fixture(scope="module")
def start(spec):
    env = new_env()
    obs = env.reset()[0].observation
    info = env.game_info
    env.close()
    features = spec.encode(obs, info)
    tags = obs.units["tag"][spec.entity_rows(obs)]
    return obs, info, features, tags


def own(obs, type_name: str):
    from sc2env.bots.ids import Unit

    units = obs.units
    keep = (units["alliance"] == 1) & (units["unit_type"] == int(getattr(Unit, type_name)))
    return [int(t) for t in units["tag"][keep]]


def test_train_command_round_trips(spec, start):
    obs, info, features, tags = start
    cc = own(obs, "CommandCenter")
    action, left = command_to_action(RawCommand(524, tuple(cc)), features, tags, spec, info)
    assert int(action["action_type"]) == index("train_scv") and left == ()
    assert to_commands(action, obs, info, spec) == [RawCommand(524, tuple(cc), queued=False)]


def test_a_big_selection_is_split_and_the_rest_comes_back(spec, start):
    obs, info, features, tags = start
    scvs = own(obs, "SCV")
    assert len(scvs) == 12
    command = RawCommand(3794, tuple(scvs), target_point=(30.0, 30.0))
    action, left = command_to_action(command, features, tags, spec, info)
    assert int(action["action_type"]) == index("move_point")
    (sent,) = to_commands(action, obs, info, spec)
    assert sent.unit_tags == tuple(scvs[:4]) and left == tuple(scvs[4:])
    # The point lands in the grid cell around it: the cell's centre is within half a cell.
    cell_w = (info.playable_max[0] - info.playable_min[0]) / spec.spatial_size
    assert abs(sent.target_point[0] - 30.0) <= cell_w / 2 + 1e-6


def test_commands_the_policy_cannot_express_are_refused_with_a_reason(spec, start):
    obs, info, features, tags = start
    scvs = own(obs, "SCV")
    cases = [
        (RawCommand(99999, (scvs[0],)), "ability_not_in_table"),
        (RawCommand(1, (scvs[0],), target_unit_tag=123456789), "target_not_entity"),
        (RawCommand(560, tuple(scvs)), "not_available"),  # train_marine without a barracks
        (RawCommand(3794, (987654,), target_point=(20.0, 20.0)), "no_selectable_unit"),
    ]
    for command, reason in cases:
        with pytest.raises(DemonstrationError) as caught:
            command_to_action(command, features, tags, spec, info)
        assert caught.value.reason == reason, (command, caught.value)


def record(spec, loops: int, seed: int = 3) -> tuple[Episode, Teacher]:
    env = new_env(loops, seed)
    try:
        teacher = Teacher(TerranBot(profile_for(Difficulty.Medium), seed=seed), spec)
        return record_episode(env, teacher, spec), teacher
    finally:
        env.close()


@pytest.fixture(scope="module")
def episode(spec):
    return record(spec, 2400)


def test_every_recorded_action_is_one_the_policy_can_take(spec, episode):
    recorded, teacher = episode
    steps = 2400 // 8
    delays = recorded.actions["delay"]
    # The decisions tile the game: each waits its delay, the last one reaches past the end.
    assert recorded.outcome == "DRAW" and recorded.length < steps
    assert int((delays[:-1] + 1).sum()) < steps <= int((delays + 1).sum())
    assert recorded.obs["last_delay"][1:].tolist() == delays[:-1].tolist()
    assert recorded.obs["last_action_type"][1:].tolist() == recorded.actions["action_type"][:-1].tolist()
    assert teacher.stats.executed > 20 and teacher.stats.bot_commands > 10
    kinds = {action_types()[int(a)].name for a in recorded.actions["action_type"]}
    assert {"train_scv", "build_supply_depot", "harvest_gather"} <= kinds, kinds
    torch.manual_seed(0)
    policy = build_policy(preset_config("tiny", **MODEL))
    obs = {k: torch.from_numpy(np.array(v[:, None])) for k, v in recorded.obs.items()}
    actions = {k: torch.from_numpy(np.array(v[:, None])) for k, v in recorded.actions.items()}
    first = torch.zeros(recorded.length, 1, dtype=torch.bool)
    first[0] = True
    with torch.no_grad():
        out = policy.evaluate(obs, actions, first, policy.initial_state(1))
    for head, logp in out.logp.items():
        assert torch.isfinite(logp).all(), f"{head}: a recorded action is illegal under the policy's masks"


def test_the_teacher_builds_through_the_interface(spec):
    """Medium's opening, one command a step: by 3 minutes it has a depot and a barracks going."""
    recorded, _ = record(spec, 22 * 180, seed=5)
    kinds = [action_types()[int(a)].name for a in recorded.actions["action_type"]]
    assert "build_barracks" in kinds and "train_scv" in kinds


def test_episode_files_round_trip_and_refuse_bad_data(spec, episode, tmp_path):
    recorded, _ = episode
    path = save_episode(str(tmp_path / "game.sldemo"), recorded)
    loaded = load_episode(path, spec)
    assert loaded.outcome == recorded.outcome and loaded.game_loops == recorded.game_loops
    for name, value in recorded.obs.items():
        assert np.array_equal(loaded.obs[name], value)
    for name, value in recorded.actions.items():
        assert np.array_equal(loaded.actions[name], value)
    corrupt = tmp_path / "corrupt.sldemo"
    corrupt.write_bytes(open(path, "rb").read()[:1000])
    with pytest.raises(wire.WireError):
        load_episode(str(corrupt), spec)
    other = FeatureSpec(preset_config("tiny", **{**MODEL, "max_selected_units": 8}))
    with pytest.raises(wire.WireError, match="selected_units"):
        load_episode(path, other)


def test_decision_steps_follow_the_commands_and_bridge_quiet_spells_with_no_ops():
    is_command = np.zeros(20, dtype=bool)
    is_command[[0, 1, 5, 19]] = True
    steps, delays = decision_steps(is_command, max_delay=4)
    # 0 -> 1 at once; 1 waits 3 for 5; 5 waits the most (3) to 9, a no-op waits 3 to 13, then
    # 13 -> 17 -> 19, and the last decision waits out the game.
    assert steps.tolist() == [0, 1, 5, 9, 13, 17, 19]
    assert delays.tolist() == [0, 3, 3, 3, 3, 1, 0]
    assert decision_steps(np.zeros(3, dtype=bool), 16)[0].tolist() == [0]


def synthetic(length: int, marker: int) -> Episode:
    return Episode(obs={"x": np.full((length, 2), marker, dtype=np.float32), "row": np.arange(length)},
                   actions={"action_type": np.full(length, marker, dtype=np.int64)}, outcome="WIN", game_loops=length)


def test_lanes_walk_through_whole_episodes_in_order():
    lanes = imitation.EpisodeLanes([synthetic(5, 1), synthetic(3, 2)], batch_size=1, seed=0)
    rows, firsts, markers = [], [], []
    for _ in range(4):  # 16 rows: two passes over both episodes (8 rows per pass)
        obs, actions, first = lanes.window(4)
        rows += obs["row"][:, 0].tolist()
        firsts += first[:, 0].tolist()
        markers += actions["action_type"][:, 0].tolist()
    starts = [i for i, f in enumerate(firsts) if f]
    assert starts[0] == 0 and len(starts) == 4
    for begin, end in zip(starts, starts[1:] + [len(rows)]):
        assert rows[begin:end] == list(range(end - begin))  # an episode's rows, consecutive, from 0
        assert len(set(markers[begin:end])) == 1
    assert lanes.epochs == 2


def test_cloning_lowers_the_imitation_loss(spec, episode):
    recorded, _ = episode
    torch.manual_seed(0)
    policy = build_policy(preset_config("tiny", **MODEL))
    before = imitation.evaluate_nll(policy, [recorded], 16)["loss/imitation"]
    trainer = imitation.BehaviourCloning(policy, [recorded], batch_size=2, unroll_length=16, learning_rate=3e-3)
    for _ in range(40):
        metrics = trainer.step()
    assert np.isfinite(metrics["loss/imitation"]) and metrics["epochs"] >= 1
    after = imitation.evaluate_nll(policy, [recorded], 16)
    assert after["loss/imitation"] < 0.7 * before, (before, after)
    assert after["accuracy/action_type>0.5"] > 0.3


def test_no_op_action_matches_what_the_policy_gives_unused_heads(spec, start):
    obs, info, _, _ = start
    action = no_op_action(spec)
    assert int(action["action_type"]) == 0
    assert action["selected_units"].tolist() == [spec.max_entities] * spec.max_selected_units
    assert to_commands(action, obs, info, spec) == []
