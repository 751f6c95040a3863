"""DAgger's recorded games (agent.dagger) on the embedded engine's Simple64: real games, a real bot
teacher, a real (untrained) policy as the student.

The teacher labels every step; a student with share 0 changes nothing (the same game as the
teacher's alone), with share 1 it plays the whole game and the teacher sends nothing. A label
given while the student plays is an answer to the current state (the bot's queue is not kept).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agent.dagger import Student
from agent.demonstration import Teacher, record_episode
from agent.features import FeatureSpec
from agent.model import preset_config
from agent.model.policy import build_policy
from sc2env.bots import TerranBot, profile_for
from sc2env.env import make_env
from sc2env.types import AgentPlayer, BotPlayer, Difficulty

torch.set_num_threads(1)
MODEL = dict(max_entities=32, spatial_size=16, max_selected_units=4)
LOOPS = 2400  # 300 agent steps: the opening (SCVs, a depot, gathering)


@pytest.fixture(scope="module")
def spec():
    return FeatureSpec(preset_config("tiny", **MODEL))


@pytest.fixture(scope="module")
def student_policy():
    torch.manual_seed(0)
    return build_policy(preset_config("tiny", **MODEL)).eval()


def play(spec, student=None, seed: int = 3):
    env = make_env(players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.VeryEasy)], seed=seed,
                   game_loop_limit=LOOPS)
    try:
        teacher = Teacher(TerranBot(profile_for(Difficulty.Medium), seed=seed), spec)
        return record_episode(env, teacher, spec, student), teacher
    finally:
        env.close()


def test_a_student_that_never_takes_over_leaves_the_teachers_game_as_it_was(spec, student_policy):
    alone, _ = play(spec)
    student = Student(student_policy, share=0.0, seed=1)
    watched, teacher = play(spec, student)
    assert student.decisions > 10 and student.taken == 0 and teacher.stats.deferred == 0
    assert watched.length == alone.length
    for head, values in alone.actions.items():
        np.testing.assert_array_equal(watched.actions[head], values, err_msg=head)
    np.testing.assert_array_equal(watched.obs["entity_scalars"], alone.obs["entity_scalars"])


def test_a_student_with_the_whole_game_plays_it_and_the_teacher_only_labels(spec, student_policy):
    alone, _ = play(spec)
    student = Student(student_policy, share=1.0, seed=1)
    steered, teacher = play(spec, student)
    assert student.taken == student.decisions > 10
    assert teacher.stats.executed == 0 and teacher.stats.deferred > 10
    # The labels are the teacher's (its opening, e.g. training SCVs) in another game than its own.
    kinds = set(steered.actions["action_type"].tolist())
    assert set(alone.actions["action_type"].tolist()) & kinds
    assert not np.array_equal(steered.obs["entity_scalars"][-1], alone.obs["entity_scalars"][-1])


def test_labels_while_the_student_plays_answer_the_current_state(spec, student_policy):
    """The bot is asked afresh at every step the student plays: its queue is not carried over, so
    every label is a command of its own step. (Keeping the queue labelled a whole game with the
    same 13 stale commands.)"""
    student = Student(student_policy, share=1.0, seed=2)
    _, teacher = play(spec, student)
    assert teacher.stats.deferred > 10 and not teacher.pending
    assert teacher.stats.bot_commands >= teacher.stats.deferred  # each label a command of its own step


def test_a_mixed_game_hands_some_stretches_to_each(spec, student_policy):
    student = Student(student_policy, share=0.5, seed=4)
    _, teacher = play(spec, student)
    assert 0 < student.taken < student.decisions
    assert teacher.stats.executed > 0 and teacher.stats.deferred > 0


def test_the_share_must_be_a_probability(student_policy):
    for share in (-0.1, 1.5):
        with pytest.raises(ValueError, match="share"):
            Student(student_policy, share=share, seed=0)
