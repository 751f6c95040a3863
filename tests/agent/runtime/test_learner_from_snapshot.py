"""learner.initial_params: a league starts from a given snapshot (e.g. the behaviour-cloned
policy), keeps it as the parameters a `reset` returns to, and refuses a snapshot of another model;
rl.teacher_kl_cost pulls the policy towards that snapshot (AlphaStar's KL to the supervised policy)."""

from __future__ import annotations

import pytest
import torch

from agent import learning, snapshot
from agent.learner import Learner, LearnerError
from agent.model.measure import synthetic_learner_batch
from agent.model.policy import build_policy
from agent.model.presets import preset_config
from agent.rl.config import RLConfig
from agent.runtime_config import LearnerConfig

torch.set_num_threads(1)


def policy(seed: int, **model):
    torch.manual_seed(seed)
    return build_policy(preset_config("tiny", max_entities=16, spatial_size=16, **model))


def write(path, params) -> str:
    path.write_bytes(snapshot.encode_snapshot(params))
    return str(path)


def learner(tmp_path, initial_params: str) -> Learner:
    config = LearnerConfig(device="cpu", initial_params=initial_params)
    return Learner("main_0", policy(1), RLConfig(), config, str(tmp_path / "run"), "token", log=lambda line: None)


def test_the_learner_starts_from_the_snapshot_and_resets_to_it(tmp_path):
    start = policy(7).state_dict()
    made = learner(tmp_path, write(tmp_path / "cloned.safetensors", start))
    for name, value in made.policy.state_dict().items():
        assert torch.equal(value, start[name]), name
    with torch.no_grad():  # training moves the parameters; a league reset brings back the snapshot
        for p in made.policy.parameters():
            p.add_(1.0)
    made.reset_parameters()
    for name, value in made.policy.state_dict().items():
        assert torch.equal(value, start[name]), name
    version, data, _ = made.snapshots.get(None)  # what actors fetch first: the snapshot's parameters
    published = snapshot.decode_snapshot(data)
    assert version == 0 and all(torch.equal(published[name], start[name]) for name in start)

def test_a_snapshot_of_another_model_or_a_corrupt_file_is_refused(tmp_path):
    other = write(tmp_path / "other.safetensors", policy(7, max_selected_units=8, lstm_hidden=64).state_dict())
    with pytest.raises(LearnerError, match="not a snapshot of this model"):
        learner(tmp_path / "a", other)
    (tmp_path / "corrupt.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(LearnerError, match="learner.initial_params"):
        learner(tmp_path / "b", str(tmp_path / "corrupt.safetensors"))
    with pytest.raises(LearnerError, match="learner.initial_params"):
        learner(tmp_path / "c", str(tmp_path / "missing.safetensors"))


def test_teacher_kl_needs_a_starting_snapshot_and_is_zero_against_itself(tmp_path):
    with pytest.raises(LearnerError, match="teacher_kl_cost > 0 needs learner.initial_params"):
        Learner("main_0", policy(1), RLConfig(teacher_kl_cost=0.1), LearnerConfig(device="cpu"),
                str(tmp_path / "run"), "token", log=lambda line: None)
    start = write(tmp_path / "cloned.safetensors", policy(7).state_dict())
    made = Learner("main_0", policy(1), RLConfig(teacher_kl_cost=0.1), LearnerConfig(device="cpu", initial_params=start),
                   str(tmp_path / "run2"), "token", log=lambda line: None)
    assert made.teacher is not None and not any(p.requires_grad for p in made.teacher.parameters())
    batch = synthetic_learner_batch(made.policy, 4, 2)
    optimizer = torch.optim.SGD(made.policy.parameters(), lr=0.0)  # measure only
    metrics = learning.learn(batch, made.policy, optimizer, RLConfig(teacher_kl_cost=0.1), 40.0, teacher=made.teacher)
    assert metrics["teacher_kl/total"] == pytest.approx(0.0, abs=1e-5)


def test_the_kl_term_pulls_the_policy_towards_the_teacher():
    """Against another network's distributions the KL is positive on the heads actions use, and the
    same updates with the KL term end nearer the teacher than without it (measured, cost 0)."""
    teacher = policy(2).eval()
    ends = {}
    for cost in (0.0, 1.0):
        student = policy(1).train()
        batch = synthetic_learner_batch(student, 4, 2)
        optimizer = torch.optim.Adam(student.parameters(), lr=3e-3)
        config = RLConfig(teacher_kl_cost=cost, entropy_cost=0.0)
        first = learning.learn(batch, student, optimizer, config, 40.0, teacher=teacher)
        assert first["teacher_kl/total"] > 0.1
        assert all(first[f"teacher_kl/{h}"] >= 0.0 for h in ("action_type", "selected_units", "target_location"))
        for _ in range(15):
            ends[cost] = learning.learn(batch, student, optimizer, config, 40.0, teacher=teacher)["teacher_kl/total"]
    assert ends[1.0] < 0.5 * ends[0.0], ends
