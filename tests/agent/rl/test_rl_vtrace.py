"""V-trace against a per-element reference written from IMPALA eq. (1), plus its properties."""

import pytest
import torch

from agent.rl import vtrace_numba
from agent.rl.errors import RLInputError
from agent.rl.vtrace import (
    discounted_reverse_scan,
    vtrace,
    vtrace_from_log_probs,
    vtrace_from_logits,
)
from agent.rl.vtrace_reference import vtrace_naive, vtrace_per_element_loop, vtrace_reverse_scan

IMPLS = ["torch", pytest.param("numba", marks=pytest.mark.skipif(not vtrace_numba.available(),
                                                                   reason="numba not installed"))]


def random_unroll(num_steps=9, batch=6, seed=0, dtype=torch.float64, end_prob=0.2, extra=()):
    """Random inputs with episode ends inside the unroll (discount 0 at a terminal step)."""
    g = torch.Generator().manual_seed(seed)
    shape = (num_steps, batch, *extra)
    log_rhos = torch.randn(shape, generator=g, dtype=dtype) * 0.8
    done = torch.rand(shape, generator=g, dtype=dtype) < end_prob
    discounts = 0.95 * (~done).to(dtype)
    rewards = torch.randn(shape, generator=g, dtype=dtype)
    values = torch.randn(shape, generator=g, dtype=dtype)
    bootstrap = torch.randn(shape[1:], generator=g, dtype=dtype)
    return log_rhos, discounts, rewards, values, bootstrap


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("clip_rho,clip_pg", [(1.0, 1.0), (0.5, 2.0), (None, None), (2.0, None), (None, 0.3)])
@pytest.mark.parametrize("lambda_", [1.0, 0.7, 0.0])
def test_matches_naive_reference(impl, clip_rho, clip_pg, lambda_):
    inputs = random_unroll(seed=int(100 * (clip_rho or 3) + 10 * (clip_pg or 7) + 10 * lambda_))
    assert (inputs[1] == 0).any(), "the unroll must contain an episode end"
    expected = vtrace_naive(*inputs, clip_rho, clip_pg, lambda_)
    got = vtrace(*inputs, clip_rho, clip_pg, lambda_, implementation=impl)
    torch.testing.assert_close(got.vs, expected.vs, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(got.pg_advantages, expected.pg_advantages, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("impl", IMPLS)
def test_float32_and_long_unroll_agree_with_reverse_scan(impl):
    inputs = random_unroll(num_steps=203, batch=33, dtype=torch.float32, end_prob=0.02, seed=3)
    expected = vtrace_reverse_scan(*[x.double() for x in inputs], 1.0, 1.0, 0.95)
    got = vtrace(*inputs, lambda_=0.95, implementation=impl)
    assert got.vs.dtype == torch.float32
    torch.testing.assert_close(got.vs.double(), expected.vs, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got.pg_advantages.double(), expected.pg_advantages, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("reference", [vtrace_reverse_scan, vtrace_per_element_loop])
def test_benchmark_references_match_naive(reference):
    inputs = random_unroll(seed=5)
    expected = vtrace_naive(*inputs, 1.5, 0.9, 0.8)
    got = reference(*inputs, 1.5, 0.9, 0.8)
    torch.testing.assert_close(got.vs, expected.vs)
    torch.testing.assert_close(got.pg_advantages, expected.pg_advantages)


@pytest.mark.parametrize("impl", IMPLS)
def test_trailing_batch_dims(impl):
    inputs = random_unroll(num_steps=6, batch=3, extra=(2,), seed=7)
    got = vtrace(*inputs, implementation=impl)
    assert got.vs.shape == (6, 3, 2)
    for k in range(2):
        expected = vtrace_naive(*[x[..., k] for x in inputs])
        torch.testing.assert_close(got.vs[..., k], expected.vs)
        torch.testing.assert_close(got.pg_advantages[..., k], expected.pg_advantages)


@pytest.mark.parametrize("num_steps", [1, 2, 3, 7, 8, 9, 16, 17])
def test_log_depth_scan_matches_loop(num_steps):
    g = torch.Generator().manual_seed(num_steps)
    decay = torch.rand(num_steps, 4, generator=g, dtype=torch.float64)
    decay[decay < 0.2] = 0.0
    increment = torch.randn(num_steps, 4, generator=g, dtype=torch.float64)
    expected, acc = torch.empty_like(increment), torch.zeros(4, dtype=torch.float64)
    for s in reversed(range(num_steps)):
        acc = increment[s] + decay[s] * acc
        expected[s] = acc
    torch.testing.assert_close(discounted_reverse_scan(decay, increment), expected)


def n_step_bellman_targets(discounts, rewards, bootstrap):
    """v_s = sum_{t=s}^{T-1} (prod_{i=s}^{t-1} gamma_i) r_t + (prod_{i=s}^{T-1} gamma_i) V(x_T)."""
    num_steps = rewards.shape[0]
    targets = torch.empty_like(rewards)
    for s in range(num_steps):
        total, weight = torch.zeros_like(bootstrap), torch.ones_like(bootstrap)
        for t in range(s, num_steps):
            total = total + weight * rewards[t]
            weight = weight * discounts[t]
        targets[s] = total + weight * bootstrap
    return targets


@pytest.mark.parametrize("impl", IMPLS)
def test_on_policy_equals_n_step_bellman_target(impl):
    _, discounts, rewards, values, bootstrap = random_unroll(num_steps=12, batch=5, seed=11)
    on_policy = torch.zeros_like(rewards)
    got = vtrace(on_policy, discounts, rewards, values, bootstrap, implementation=impl)
    targets = n_step_bellman_targets(discounts, rewards, bootstrap)
    torch.testing.assert_close(got.vs, targets)
    next_targets = torch.cat([targets[1:], bootstrap[None]])
    torch.testing.assert_close(got.pg_advantages, rewards + discounts * next_targets - values)


@pytest.mark.parametrize("impl", IMPLS)
def test_episode_end_cuts_the_bootstrap(impl):
    log_rhos, discounts, rewards, values, bootstrap = random_unroll(num_steps=10, batch=4, seed=2, end_prob=0.0)
    discounts[4] = 0.0  # episode ends at step 4 in every column
    before = vtrace(log_rhos, discounts, rewards, values, bootstrap, implementation=impl)
    later_values = values.clone()
    later_values[5:] += 100.0
    after = vtrace(log_rhos, discounts, rewards, later_values, bootstrap + 100.0, implementation=impl)
    torch.testing.assert_close(after.vs[:5], before.vs[:5])
    torch.testing.assert_close(after.pg_advantages[:5], before.pg_advantages[:5])
    assert not torch.allclose(after.vs[5:], before.vs[5:])


@pytest.mark.parametrize("impl", IMPLS)
def test_no_gradient_flows_into_the_returns(impl):
    log_rhos, discounts, rewards, values, bootstrap = random_unroll(seed=4)
    leaves = [x.clone().requires_grad_(True) for x in (log_rhos, discounts, rewards, values, bootstrap)]
    got = vtrace(*leaves, implementation=impl)
    assert not got.vs.requires_grad and not got.pg_advantages.requires_grad
    assert got.vs.grad_fn is None and got.pg_advantages.grad_fn is None
    # The usual baseline loss then sends gradient to V(x) only, never through the targets.
    loss = 0.5 * ((got.vs - leaves[3]) ** 2).sum()
    loss.backward()
    torch.testing.assert_close(leaves[3].grad, leaves[3].detach() - got.vs)
    assert all(leaf.grad is None for leaf in leaves[:3] + leaves[4:])


def test_low_precision_inputs_are_computed_in_float32():
    inputs = random_unroll(num_steps=40, batch=8, dtype=torch.float32, seed=9)
    reference = vtrace(*inputs)
    got = vtrace(*[x.bfloat16() for x in inputs])
    assert got.vs.dtype == torch.bfloat16
    torch.testing.assert_close(got.vs.float(), reference.vs, rtol=0.05, atol=0.1)


def test_from_log_probs_is_vtrace_of_their_difference():
    log_rhos, discounts, rewards, values, bootstrap = random_unroll(seed=6)
    behaviour = torch.randn_like(log_rhos).clamp(max=-0.01)
    target = (behaviour + log_rhos).requires_grad_(True)
    got = vtrace_from_log_probs(behaviour, target, discounts, rewards, values, bootstrap, 0.9, 1.1, 0.8)
    expected = vtrace_naive(log_rhos, discounts, rewards, values, bootstrap, 0.9, 1.1, 0.8)
    torch.testing.assert_close(got.vs, expected.vs)
    torch.testing.assert_close(got.pg_advantages, expected.pg_advantages)
    assert not got.vs.requires_grad


def test_from_logits_uses_legal_log_probs_and_keeps_target_gradient():
    _, discounts, rewards, values, bootstrap = random_unroll(num_steps=5, batch=3, seed=8)
    g = torch.Generator().manual_seed(1)
    behaviour_logits = torch.randn(5, 3, 4, generator=g, dtype=torch.float64)
    target_logits = torch.randn(5, 3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    legal = torch.ones(5, 3, 4, dtype=torch.bool)
    legal[..., 3] = False
    actions = torch.randint(0, 3, (5, 3), generator=g)
    got = vtrace_from_logits(behaviour_logits, target_logits, actions, discounts, rewards, values, bootstrap,
                             legal=legal)
    target_logp = torch.log_softmax(target_logits[..., :3], -1).gather(-1, actions[..., None])[..., 0]
    behaviour_logp = torch.log_softmax(behaviour_logits[..., :3], -1).gather(-1, actions[..., None])[..., 0]
    torch.testing.assert_close(got.target_action_log_probs, target_logp)
    torch.testing.assert_close(got.log_rhos, (target_logp - behaviour_logp).detach())
    expected = vtrace_naive(target_logp - behaviour_logp, discounts, rewards, values, bootstrap)
    torch.testing.assert_close(got.vs, expected.vs)
    assert got.target_action_log_probs.requires_grad and not got.vs.requires_grad


@pytest.mark.parametrize("mutate,message", [
    (lambda a: a.__setitem__(0, a[0][:-1]), "log_rhos: expected shape"),
    (lambda a: a.__setitem__(4, a[4][None]), "bootstrap_value: expected shape"),
    (lambda a: a.__setitem__(1, a[1].float()), "discounts: expected dtype torch.float64"),
    (lambda a: a.__setitem__(2, a[2].long()), "rewards: expected a floating-point tensor"),
    (lambda a: a.__setitem__(3, a[3][0]), "values: expected a time-major tensor"),
    (lambda a: a.__setitem__(2, a[2].tolist()), "rewards: expected a torch.Tensor"),
    (lambda a: a.__setitem__(3, a[3][:0]), "the unroll is empty"),
])
def test_bad_inputs_get_clear_errors(mutate, message):
    args = list(random_unroll(num_steps=4, batch=3))
    mutate(args)
    with pytest.raises(RLInputError, match=message):
        vtrace(*args)


def test_bad_settings_get_clear_errors():
    inputs = random_unroll(num_steps=4, batch=3)
    with pytest.raises(RLInputError, match="lambda_"):
        vtrace(*inputs, lambda_=1.5)
    with pytest.raises(RLInputError, match="clip_rho_threshold"):
        vtrace(*inputs, clip_rho_threshold=-1.0)
    with pytest.raises(RLInputError, match="implementation"):
        vtrace(*inputs, implementation="cuda-magic")


def test_empty_batch_is_fine():
    got = vtrace(*random_unroll(num_steps=4, batch=0))
    assert got.vs.shape == (4, 0)


def test_device_mismatch_gets_a_clear_error():
    log_rhos, discounts, rewards, values, bootstrap = random_unroll(num_steps=4, batch=3)
    with pytest.raises(RLInputError, match="bootstrap_value: expected device cpu"):
        vtrace(log_rhos, discounts, rewards, values, bootstrap.to("meta"))
