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


def test_a_decision_that_waits_is_discounted_for_every_env_step_it_covers():
    """Semi-MDP rows: with the delay head a decision covers k env steps. Its row earns the
    discounted rewards of those steps and bootstraps with gamma^k, so an episode's return
    seen through the rows equals the per-step discounted return, whatever the waits."""
    from agent.actor import add_env_step
    from agent.rl.vtrace import vtrace

    gamma = 0.9
    rewards = [1.0, 2.0, 4.0, 0.5, 0.0, 3.0, 1.0]  # one per env step; the episode ends after the last
    waits = [3, 1, 2, 1]  # env steps covered by each decision (sum = 7)
    unroll, rows, t = Unroll(), [], 0
    for d, k in enumerate(waits + [1]):  # the last row is the bootstrap row of the next episode
        unroll, _ = record_decision(unroll, _row(d, first=d in (0, len(waits))), (torch.zeros(1, 4),), 0, 10)
        if d == len(waits):
            break
        for _ in range(k):
            add_env_step(unroll, rewards[t], t == len(rewards) - 1, gamma)
            t += 1
    trajectory = build_trajectory(Unroll(rows=unroll.rows[:-1], rewards=unroll.rewards, discounts=unroll.discounts))
    np.testing.assert_allclose(trajectory.reward, [1 + 0.9 * 2 + 0.81 * 4, 0.5, 0.0 + 0.9 * 3, 1.0], rtol=1e-6)
    np.testing.assert_allclose(trajectory.discount, [0.81, 1.0, 0.9, 0.0], rtol=1e-6)

    # The learner multiplies each row's discount by gamma (gamma^k in all); with zero values
    # the V-trace target of the first row is then the episode's discounted return.
    reward = torch.tensor(trajectory.reward)[:, None]
    discounts = gamma * torch.tensor(trajectory.discount)[:, None]
    zeros = torch.zeros_like(reward)
    target = vtrace(zeros, discounts, reward, zeros, torch.zeros(1)).vs[0, 0].item()
    per_step = sum(gamma ** i * r for i, r in enumerate(rewards))
    assert abs(target - per_step) < 1e-5
