"""How the actor cuts unrolls: T+1 rows, overlap of one row, rewards closing each row, core state at row 0."""

import numpy as np
import torch

from agent.actor import Unroll, build_trajectory, record_decision


def _row(t, first=False):
    return ({"x": np.full(2, t, np.float32)}, {"a": np.array(t, np.int64)}, {"a": np.float32(-0.5)}, first)


def test_unrolls_overlap_by_one_row_and_carry_their_start_state():
    T = 3
    unroll, finished_list = Unroll(), []
    for t in range(8):
        state_before = (torch.full((1, 4), float(t)),)
        unroll.pending_reward = 10.0 * t  # the reward that followed row t-1's action
        unroll.pending_discount = 0.0 if t == 5 else 1.0  # the episode ended after row 4's action
        unroll, finished = record_decision(unroll, _row(t, first=(t in (0, 5))), state_before, version=t, unroll_length=T)
        if finished is not None:
            finished_list.append(build_trajectory(finished))
            assert finished.start_version == t - T
    first, second = finished_list
    np.testing.assert_array_equal(first.obs["x"][:, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(second.obs["x"][:, 0], [3, 4, 5, 6])  # row 3 is shared
    np.testing.assert_array_equal(first.reward, [10, 20, 30])
    np.testing.assert_array_equal(second.reward, [40, 50, 60])
    np.testing.assert_array_equal(second.discount, [1, 0, 1])  # the episode ended after row 4
    np.testing.assert_array_equal(second.first, [False, False, True, False])
    np.testing.assert_array_equal(first.state[0], np.zeros(4))
    np.testing.assert_array_equal(second.state[0], np.full(4, 3.0))  # core state before row 3
    assert first.unroll_length == second.unroll_length == T
