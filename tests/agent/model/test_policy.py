"""Policy: sample/evaluate agreement, masking, gradients, resets, shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from agent_observation_factory import GAME_INFO, make_observation  # noqa: E402

from agent.actions import HEADS, Target  # noqa: E402
from agent.features import FeatureSpec  # noqa: E402
from agent.model import build_policy, preset_config  # noqa: E402
from agent.model.distributions import choose  # noqa: E402
from sc2env.types import Alliance  # noqa: E402

torch.set_num_threads(1)
T, B = 5, 3
# first[t, b]: env 0 starts at t=0 only; env 1 also at t=2; env 2 at t=1 and t=4.
FIRST = torch.tensor([[1, 1, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0], [0, 0, 1]], dtype=torch.bool)


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    config = preset_config("tiny", max_entities=24, spatial_size=16, privileged_baseline=True)
    spec = FeatureSpec(config)
    policy = build_policy(config, spec)
    return config, spec, policy


def as_torch(batch):
    return {k: torch.from_numpy(v) for k, v in batch.items()}


def play(spec, policy, seed=0):
    """Act like the actor: step-by-step sampling with state resets; returns everything it saw."""
    torch.manual_seed(seed)
    initial = tuple(s + 0.1 * torch.randn_like(s) for s in policy.initial_state(B))  # a mid-episode state
    state, last = initial, [None] * B
    steps = []
    for t in range(T):
        state = tuple(s * (~FIRST[t]).float()[:, None, None] for s in state)
        last = [None if FIRST[t, b] else last[b] for b in range(B)]
        obs = [make_observation(seed=100 * t + b, num_own=3 + b, upgrades=(1, 7)[: b], with_opponent=True) for b in range(B)]
        features = spec.stack([spec.encode(o, GAME_INFO, last[b]) for b, o in enumerate(obs)])
        out = policy.sample(as_torch(features), state)
        state = out.state
        last = [{h: out.actions[h][b].numpy() for h in HEADS} for b in range(B)]
        steps.append((features, out))
    obs_tb = as_torch({k: np.stack([f[k] for f, _ in steps]) for k in steps[0][0]})
    actions_tb = {h: torch.stack([o.actions[h] for _, o in steps]) for h in HEADS}
    return initial, obs_tb, actions_tb, steps, state


def test_evaluate_reproduces_sample_logp_over_resets(setup):
    _, spec, policy = setup
    initial, obs, actions, steps, final_state = play(spec, policy)
    ev = policy.evaluate(obs, actions, FIRST, initial)
    for head in HEADS:
        sampled = torch.stack([o.logp[head] for _, o in steps])
        torch.testing.assert_close(ev.logp[head], sampled, atol=1e-4, rtol=1e-4)
        assert bool((ev.logp[head][~ev.used[head]] == 0).all())
    torch.testing.assert_close(ev.baseline, torch.stack([o.baseline for _, o in steps]), atol=1e-4, rtol=1e-4)
    for got, want in zip(ev.final_state, final_state):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    assert any(bool(ev.used["selected_units"].any()) for _ in [0])  # the test exercised real actions


def test_sequence_with_resets_matches_step_by_step_evaluate(setup):
    _, spec, policy = setup
    initial, obs, actions, _, _ = play(spec, policy, seed=1)
    whole = policy.evaluate(obs, actions, FIRST, initial)
    state, per_step = initial, []
    for t in range(T):
        one = policy.evaluate({k: v[t : t + 1] for k, v in obs.items()}, {h: a[t : t + 1] for h, a in actions.items()}, FIRST[t : t + 1], state)
        state = one.final_state
        per_step.append(one)
    for head in HEADS:
        torch.testing.assert_close(whole.logp[head], torch.cat([o.logp[head] for o in per_step]), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(whole.entropy[head], torch.cat([o.entropy[head] for o in per_step]), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(whole.baseline, torch.cat([o.baseline for o in per_step]), atol=1e-4, rtol=1e-4)
    # A reset really cuts the memory: env 2 continues at t=0 and restarts at t=1, so the
    # initial state changes its step 0 and nothing after.
    changed = tuple(s.clone() for s in initial)
    changed[0][2] += 5.0
    ev_changed = policy.evaluate(obs, actions, FIRST, changed)
    torch.testing.assert_close(ev_changed.baseline[1:], whole.baseline[1:])
    assert not torch.allclose(ev_changed.baseline[0, 2], whole.baseline[0, 2])


def test_sampled_actions_are_legal_and_masked_choices_have_zero_probability(setup):
    _, spec, policy = setup
    obs = [make_observation(seed=s, num_own=5, num_enemy=3) for s in range(64)]
    features = spec.stack([spec.encode(o, GAME_INFO) for o in obs])
    out = policy.sample(as_torch(features), policy.initial_state(len(obs)))
    n = spec.max_entities
    for b in range(len(obs)):
        a = int(out.actions["action_type"][b])
        assert features["available_actions"][b, a]
        selected = out.actions["selected_units"][b].numpy()
        if spec.action_table[a].needs_units:
            chosen = selected[: np.argmax(selected == n)] if (selected == n).any() else selected
            assert len(chosen) >= 1 and len(set(chosen.tolist())) == len(chosen)
            assert (features["entity_alliance"][b, chosen] == Alliance.Self).all()
            assert spec.unit_type_can_do[features["entity_type"][b, chosen], a].all()
            assert (selected[len(chosen) :] == n).all()
        else:
            assert (selected == n).all()
        target = int(out.actions["target_unit"][b])
        assert features["entity_mask"][b, target]
        if spec.action_table[a].target is Target.UNIT:
            assert spec.target_alliance_ok[a, features["entity_alliance"][b, target]]
            assert spec.target_type_ok[features["entity_type"][b, target], a]
    # Teacher-forcing an illegal action type gives it zero probability.
    illegal = int(np.flatnonzero(~features["available_actions"][0])[0])
    actions = {h: v[:1].unsqueeze(0) for h, v in out.actions.items()}
    actions["action_type"] = torch.tensor([[illegal]])
    ev = policy.evaluate({k: torch.from_numpy(v[:1]).unsqueeze(0) for k, v in features.items()}, actions,
                         torch.ones(1, 1, dtype=torch.bool), policy.initial_state(1))
    assert float(ev.logp["action_type"].detach().exp()) == 0.0


def test_choose_gives_masked_entries_exactly_zero_probability():
    torch.manual_seed(0)
    logits = torch.randn(1000, 6) * 5
    legal = torch.rand(1000, 6) > 0.5
    legal[:, 0] = True
    choice = choose(logits, legal)
    assert bool(legal.gather(1, choice.index[:, None]).all())
    for index in range(6):
        scored = choose(logits, legal, given=torch.full((1000,), index))
        assert bool((scored.logp[~legal[:, index]].exp() == 0).all())
    # Entropy counts the legal choices only: uniform logits over k legal entries -> log k.
    uniform = choose(torch.zeros(1000, 6), legal)
    torch.testing.assert_close(uniform.entropy, legal.sum(1).float().log())
    # A row with nothing legal stays finite (the head is unused there; its logp is zeroed later).
    empty = choose(torch.zeros(1, 6), torch.zeros(1, 6, dtype=torch.bool))
    assert torch.isfinite(empty.logp).all() and torch.isfinite(empty.entropy).all()


def test_gradients_reach_every_parameter(setup):
    _, spec, policy = setup
    initial, obs, actions, _, _ = play(spec, policy, seed=2)
    # Make sure every head is used somewhere: smart_unit (units, queued, target unit) and
    # attack_point (target location) at fixed places, with a legal unit selected.
    names = [k.name for k in spec.action_table]
    obs["available_actions"][:] = True
    actions["action_type"][0, :] = names.index("smart_unit")
    actions["action_type"][1, :] = names.index("attack_point")
    for t in (0, 1):
        own = (obs["entity_alliance"][t] == Alliance.Self) & obs["entity_mask"][t]
        actions["selected_units"][t] = spec.max_entities
        actions["selected_units"][t, :, 0] = own.float().argmax(1)
        actions["target_unit"][t] = 0
    ev = policy.evaluate(obs, actions, FIRST, initial)
    loss = sum(v.sum() for v in ev.logp.values()) + sum(v.sum() for v in ev.entropy.values()) + ev.baseline.sum()
    loss.backward()
    missing = [name for name, p in policy.named_parameters() if p.grad is None or float(p.grad.abs().sum()) == 0.0]
    assert missing == [], missing
    policy.zero_grad()


def test_outputs_match_the_spec_shapes(setup):
    _, spec, policy = setup
    initial, obs, actions, steps, _ = play(spec, policy, seed=3)
    for head, (shape, dtype) in spec.action_shapes().items():
        sampled = steps[0][1].actions[head]
        assert tuple(sampled.shape) == (B, *shape) and sampled.dtype == torch.from_numpy(np.zeros(0, dtype)).dtype
        assert steps[0][1].logp[head].shape == (B,)
    ev = policy.evaluate(obs, actions, FIRST, initial)
    assert ev.baseline.shape == (T, B)
    assert all(ev.logp[h].shape == (T, B) and ev.used[h].dtype == torch.bool for h in HEADS)
    assert [tuple(s.shape) for s in policy.initial_state(7)] == [(7, 1, 128), (7, 1, 128)]


def test_policy_refuses_a_spec_from_another_config(setup):
    config, _, _ = setup
    with pytest.raises(ValueError, match="different ModelConfig"):
        build_policy(config, FeatureSpec(preset_config("tiny")))


def test_deterministic_sample_is_repeatable(setup):
    _, spec, policy = setup
    features = as_torch(spec.stack([spec.encode(make_observation(seed=s), GAME_INFO) for s in range(4)]))
    a = policy.sample(features, policy.initial_state(4), deterministic=True)
    b = policy.sample(features, policy.initial_state(4), deterministic=True)
    for head in HEADS:
        assert torch.equal(a.actions[head], b.actions[head])


def test_an_observation_without_units_gives_finite_outputs_and_a_no_op(setup):
    _, spec, policy = setup
    empty = make_observation(seed=0, num_own=0, num_enemy=0, num_neutral=0, abilities=np.zeros(0, np.int32), with_opponent=True)
    features = spec.stack([spec.encode(empty, GAME_INFO), spec.encode(make_observation(seed=1, with_opponent=True), GAME_INFO)])
    out = policy.sample(as_torch(features), policy.initial_state(2))
    assert int(out.actions["action_type"][0]) == 0
    assert all(bool(torch.isfinite(v).all()) for v in out.logp.values()) and bool(torch.isfinite(out.baseline).all())
    actions = {h: a.unsqueeze(0) for h, a in out.actions.items()}
    ev = policy.evaluate({k: v.unsqueeze(0) for k, v in as_torch(features).items()}, actions,
                         torch.ones(1, 2, dtype=torch.bool), policy.initial_state(2))
    assert all(bool(torch.isfinite(v).all()) for v in ev.entropy.values())


def test_core_state_is_batch_first_and_contiguous(setup):
    _, spec, policy = setup
    features = as_torch(spec.stack([spec.encode(make_observation(seed=s), GAME_INFO) for s in range(3)]))
    out = policy.sample(features, policy.initial_state(3))
    assert all(s.shape[0] == 3 and s.is_contiguous() for s in out.state)


def test_core_input_scale_does_not_saturate_the_lstm():
    """The core layer-normalises its input: embeddings 100x larger (behaviour cloning grew the
    spatial one from ~0.01 to ~130) give the same outputs, still varying over time."""
    from agent.model.core import Core

    torch.manual_seed(0)
    core = Core(preset_config("tiny"), 24)
    x = torch.randn(20, 3, 24)
    first = torch.zeros(20, 3, dtype=torch.bool)
    small, _ = core.unroll(x, first, core.initial_state(3))
    large, _ = core.unroll(100.0 * x + 5.0, first, core.initial_state(3))
    assert torch.allclose(small, large, atol=1e-4)
    assert float(large.std(0).mean()) > 0.05
