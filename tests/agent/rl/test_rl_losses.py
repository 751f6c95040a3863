"""The learner loss: each term against a hand-written reference, masks, corrections, UPGO, KL."""

import dataclasses

import pytest
import torch

from agent.rl.config import CORRECTIONS, RLConfig
from agent.rl.distributions import categorical_kl
from agent.rl.errors import RLInputError
from agent.rl.losses import compute_loss, joint_log_prob
from agent.rl.upgo import upgo_returns
from agent.rl.vtrace_reference import vtrace_naive

T, B = 6, 4
HEADS = ("action_type", "target_unit", "location")


def make_batch(seed=0, dtype=torch.float64, off_policy=0.5):
    g = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.randn(*shape, generator=g, dtype=dtype)  # noqa: E731
    used = {"action_type": torch.ones(T, B, dtype=torch.bool),
            "target_unit": torch.rand(T, B, generator=g) < 0.5,
            "location": torch.rand(T, B, generator=g) < 0.5}
    target_logp = {h: (-rand(T, B).abs()).requires_grad_(True) for h in HEADS}
    behaviour_logp = {h: (target_logp[h].detach() + off_policy * rand(T, B)).clamp(max=0.0) for h in HEADS}
    entropies = {h: rand(T, B).abs().requires_grad_(True) for h in HEADS}
    done = torch.rand(T, B, generator=g) < 0.2
    done[2, 0] = True
    return dict(
        target_logp=target_logp, behaviour_logp=behaviour_logp, used=used, entropies=entropies,
        values=rand(T, B).requires_grad_(True), bootstrap_value=rand(B),
        rewards=rand(T, B), discounts=0.9 * (~done).to(dtype),
    )


def joint(logp, used):
    return sum(torch.where(used[h], logp[h], torch.zeros_like(logp[h])) for h in logp)


def test_total_matches_hand_written_terms_and_gradients():
    batch = make_batch()
    config = RLConfig(baseline_cost=0.5, entropy_cost=0.01, entropy_head_weights="location=0.25")
    out = compute_loss(**batch, config=config)
    logp = joint(batch["target_logp"], batch["used"])
    log_rhos = logp.detach() - joint(batch["behaviour_logp"], batch["used"])
    ref = vtrace_naive(log_rhos, batch["discounts"], batch["rewards"], batch["values"].detach(),
                       batch["bootstrap_value"])
    used, ent = batch["used"], batch["entropies"]
    weighted_entropy = sum(w * ent[h] * used[h] for h, w in (("action_type", 1.0), ("target_unit", 1.0),
                                                               ("location", 0.25)))
    policy = -(ref.pg_advantages * logp).mean()
    baseline = 0.5 * (0.5 * (ref.vs - batch["values"]) ** 2).mean()
    entropy = -0.01 * weighted_entropy.mean()
    torch.testing.assert_close(out.total, policy + baseline + entropy)
    for name, term in (("policy", policy), ("baseline", baseline), ("entropy", entropy)):
        assert out.metrics[f"loss/{name}"] == pytest.approx(term.item())
    out.total.backward()
    # The targets are constants: d/dV is baseline_cost * (V - v_s) / (T B), nothing through v_s.
    torch.testing.assert_close(batch["values"].grad, 0.5 * (batch["values"].detach() - ref.vs) / (T * B))
    torch.testing.assert_close(batch["entropies"]["location"].grad, -0.01 * 0.25 * used["location"].double() / (T * B))
    expected_logp_grad = -ref.pg_advantages / (T * B)
    for h in HEADS:
        torch.testing.assert_close(batch["target_logp"][h].grad, expected_logp_grad * used[h])


def test_unused_heads_contribute_nothing():
    batch = make_batch(seed=1)
    config = RLConfig(upgo_cost=0.3)
    base = compute_loss(**batch, config=config)
    poisoned = make_batch(seed=1)
    for group in ("target_logp", "behaviour_logp", "entropies"):
        for h in ("target_unit", "location"):
            tensor = poisoned[group][h]
            junk = torch.where(poisoned["used"][h], tensor.detach(), torch.full_like(tensor, -float("inf")))
            poisoned[group][h] = junk.requires_grad_(tensor.requires_grad)
    out = compute_loss(**poisoned, config=config)
    torch.testing.assert_close(out.total, base.total)
    assert out.metrics == pytest.approx(base.metrics)
    out.total.backward()
    for h in ("target_unit", "location"):
        grad = poisoned["target_logp"][h].grad
        assert torch.isfinite(grad).all() and (grad[~poisoned["used"][h]] == 0).all()


def test_joint_log_prob_sums_used_heads():
    batch = make_batch(seed=2)
    torch.testing.assert_close(joint_log_prob(batch["target_logp"], batch["used"]),
                               joint(batch["target_logp"], batch["used"]))


def test_single_tensor_action_and_no_used_mask():
    batch = make_batch(seed=3)
    one = {k: (v["action_type"] if k in ("target_logp", "behaviour_logp", "entropies") else v)
           for k, v in batch.items() if k != "used"}
    out = compute_loss(**one, used=None, config=RLConfig())
    two = compute_loss(**{**batch, "used": {h: torch.zeros(T, B, dtype=torch.bool) if h != "action_type"
                                             else batch["used"][h] for h in HEADS}}, config=RLConfig())
    torch.testing.assert_close(out.total, two.total)


def n_step_targets(discounts, rewards, bootstrap):
    out, acc = torch.empty_like(rewards), bootstrap.clone()
    for s in reversed(range(rewards.shape[0])):
        acc = rewards[s] + discounts[s] * acc
        out[s] = acc
    return out


@pytest.mark.parametrize("correction", CORRECTIONS)
def test_corrections_against_the_paper(correction):
    batch = make_batch(seed=4, off_policy=1.0)
    config = RLConfig(correction=correction, baseline_cost=1.0, entropy_cost=0.0, clip_pg_rho_threshold=1.5)
    out = compute_loss(**batch, config=config)
    logp = joint(batch["target_logp"], batch["used"]).detach()
    log_rhos = logp - joint(batch["behaviour_logp"], batch["used"])
    rhos = log_rhos.exp()
    values = batch["values"].detach()
    if correction == "vtrace":
        ref = vtrace_naive(log_rhos, batch["discounts"], batch["rewards"], values, batch["bootstrap_value"], 1.0, 1.5)
        vs, advantages, pg_logp = ref.vs, ref.pg_advantages, logp
    else:
        vs = n_step_targets(batch["discounts"], batch["rewards"], batch["bootstrap_value"])
        next_vs = torch.cat([vs[1:], batch["bootstrap_value"][None]])
        advantages = batch["rewards"] + batch["discounts"] * next_vs - values
        pg_logp = logp
        if correction == "one_step":
            advantages = rhos.clamp(max=1.5) * advantages
        if correction == "eps_correction":
            pg_logp = torch.log(logp.exp() + config.eps_correction_epsilon)
    assert out.metrics["loss/baseline"] == pytest.approx((0.5 * (vs - values) ** 2).mean().item())
    assert out.metrics["loss/policy"] == pytest.approx(-(advantages * pg_logp).mean().item())


def test_on_policy_all_corrections_agree():
    batch = make_batch(seed=5)
    batch["behaviour_logp"] = {h: t.detach().clone() for h, t in batch["target_logp"].items()}
    totals = [compute_loss(**batch, config=RLConfig(correction=c)).total.item() for c in CORRECTIONS]
    assert totals == pytest.approx([totals[0]] * len(CORRECTIONS), rel=1e-5)


def test_no_correction_ignores_the_behaviour_policy():
    batch = make_batch(seed=6)
    a = compute_loss(**batch, config=RLConfig(correction="no_correction"))
    batch["behaviour_logp"] = {h: t - 3.0 for h, t in batch["behaviour_logp"].items()}
    b = compute_loss(**batch, config=RLConfig(correction="no_correction"))
    torch.testing.assert_close(a.total, b.total)
    assert a.metrics["rho/mean"] != b.metrics["rho/mean"]


def test_rho_metrics():
    batch = make_batch(seed=7, off_policy=1.5)
    out = compute_loss(**batch, config=RLConfig(clip_rho_threshold=1.2))
    rhos = (joint(batch["target_logp"], batch["used"]) - joint(batch["behaviour_logp"], batch["used"])).exp()
    assert out.metrics["rho/mean"] == pytest.approx(rhos.mean().item())
    assert out.metrics["rho/max"] == pytest.approx(rhos.max().item())
    assert out.metrics["rho/clipped_fraction"] == pytest.approx((rhos > 1.2).double().mean().item())
    assert 0.0 < out.metrics["rho/clipped_fraction"] < 1.0
    assert all(isinstance(v, float) for v in out.metrics.values())
    assert {"advantage/mean", "advantage/std", "entropy/location", "used_fraction/target_unit"} <= set(out.metrics)


def upgo_reference(rewards, discounts, values, bootstrap):
    """Per element, straight from AlphaStar's definition."""
    num_steps, batch = rewards.shape
    out = torch.empty_like(rewards)
    v = lambda s, b: bootstrap[b] if s == num_steps else values[s, b]  # noqa: E731
    for b in range(batch):
        g_next = bootstrap[b]
        for s in reversed(range(num_steps)):
            if s == num_steps - 1:
                follow = v(s + 1, b)
            else:
                q_next = rewards[s + 1, b] + discounts[s + 1, b] * v(s + 2, b)
                follow = g_next if q_next >= values[s + 1, b] else values[s + 1, b]
            out[s, b] = rewards[s, b] + discounts[s, b] * follow
            g_next = out[s, b]
    return out


def test_upgo_returns_match_reference_and_reduce_to_n_step():
    batch = make_batch(seed=8)
    args = (batch["rewards"], batch["discounts"], batch["values"].detach(), batch["bootstrap_value"])
    got = upgo_returns(*args)
    torch.testing.assert_close(got, upgo_reference(*args))
    assert not got.requires_grad
    # Values far below every one-step Q: every action looks good, G is the n-step return.
    low = torch.full_like(batch["values"].detach(), -1e3)
    torch.testing.assert_close(upgo_returns(batch["rewards"], batch["discounts"], low, batch["bootstrap_value"]),
                               n_step_targets(batch["discounts"], batch["rewards"], batch["bootstrap_value"]))


def test_upgo_term_in_the_loss():
    batch = make_batch(seed=9)
    off = compute_loss(**batch, config=RLConfig(upgo_cost=0.0))
    on = compute_loss(**batch, config=RLConfig(upgo_cost=0.7, clip_pg_rho_threshold=1.0))
    logp = joint(batch["target_logp"], batch["used"]).detach()
    rhos = (logp - joint(batch["behaviour_logp"], batch["used"])).exp().clamp(max=1.0)
    g = upgo_reference(batch["rewards"], batch["discounts"], batch["values"].detach(), batch["bootstrap_value"])
    expected = -0.7 * (rhos * (g - batch["values"].detach()) * logp).mean()
    assert on.metrics["loss/upgo"] == pytest.approx(expected.item())
    assert "loss/upgo" not in off.metrics
    assert on.total.item() == pytest.approx(off.total.item() + expected.item())


def test_teacher_kl_term():
    batch = make_batch(seed=10)
    g = torch.Generator().manual_seed(0)
    target_logits = {h: torch.randn(T, B, 5, generator=g, dtype=torch.float64, requires_grad=True) for h in HEADS}
    teacher_logits = {h: torch.randn(T, B, 5, generator=g, dtype=torch.float64, requires_grad=True) for h in HEADS}
    legal = {h: torch.ones(T, B, 5, dtype=torch.bool) for h in HEADS}
    legal["location"][..., 4] = False
    config = RLConfig(teacher_kl_cost=2.0)
    out = compute_loss(**batch, config=config, teacher_logits=teacher_logits, target_logits=target_logits,
                       legal=legal)
    expected = sum(categorical_kl(teacher_logits[h], target_logits[h], legal[h]) * batch["used"][h]
                   for h in HEADS).mean()
    assert out.metrics["loss/teacher_kl"] == pytest.approx(2.0 * expected.item())
    out.total.backward()
    assert teacher_logits["action_type"].grad is None
    grad = target_logits["location"].grad
    assert (grad[~batch["used"]["location"]] == 0).all() and grad.abs().sum() > 0
    # The same policy as the teacher: no KL.
    same = compute_loss(**make_batch(seed=10), config=config,
                        teacher_logits={h: t.detach() for h, t in target_logits.items()},
                        target_logits=target_logits)
    assert same.metrics["teacher_kl/total"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(RLInputError, match="teacher_logits"):
        compute_loss(**make_batch(seed=10), config=config)
    with pytest.raises(RLInputError, match="teacher_logits: expected a non-empty dict"):
        compute_loss(**make_batch(seed=10), config=config, teacher_logits={}, target_logits=target_logits)


def test_float32_batch_runs():
    batch = make_batch(seed=11, dtype=torch.float32)
    out = compute_loss(**batch, config=RLConfig())
    assert out.total.dtype == torch.float32 and torch.isfinite(out.total)


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b["behaviour_logp"].pop("location"), "behaviour_logp: heads differ"),
    (lambda b: b["used"].__setitem__("location", b["used"]["location"].float()), "expected a torch.bool tensor"),
    (lambda b: b["entropies"].__setitem__("location", b["entropies"]["location"][:-1]), r"entropies\['location'\]"),
    (lambda b: b.__setitem__("bootstrap_value", b["bootstrap_value"][:-1]), "bootstrap_value: expected shape"),
    (lambda b: b.__setitem__("rewards", b["rewards"].float()), "rewards: expected dtype"),
    (lambda b: b["behaviour_logp"].__setitem__("location", b["behaviour_logp"]["location"].float()),
     r"behaviour_logp\['location'\]: expected dtype torch.float64"),
    (lambda b: b.__setitem__("target_logp", {}), "target_logp: expected a non-empty dict"),
])
def test_bad_inputs_get_clear_errors(mutate, message):
    batch = make_batch(seed=12)
    mutate(batch)
    with pytest.raises(RLInputError, match=message):
        compute_loss(**batch, config=RLConfig())


@pytest.mark.parametrize("field,value,message", [
    ("correction", "retrace", "rl.correction"),
    ("entropy_head_weights", "location=-1", "entropy_head_weights"),
    ("entropy_head_weights", "nonsense", "entropy_head_weights"),
    ("entropy_head_weights", "cloak=1", "names heads"),
    ("lambda_", 1.5, "rl.lambda_"),
    ("upgo_cost", -0.1, "rl.upgo_cost"),
])
def test_bad_config_gets_clear_errors(field, value, message):
    config = dataclasses.replace(RLConfig(), **{field: value})
    with pytest.raises(RLInputError, match=message):
        compute_loss(**make_batch(seed=13), config=config)


def test_config_fields_are_settable_from_the_command_line():
    from starleague.config import build_config

    config = build_config("tiny", ["rl.correction=one_step", "rl.entropy_head_weights=action_type=1,location=0.5",
                                   "rl.upgo_cost=1.0", "rl.replay_sampling=recency"])
    config.rl.validate()
    assert config.rl.entropy_weights() == {"action_type": 1.0, "location": 0.5}
    assert config.rl.correction == "one_step" and config.rl.replay_sampling == "recency"


def test_teacher_kl_of_a_pointer_head_sums_its_picks():
    """[T, B, K, A] (one distribution per pick of selected_units): the KL is the sum over the K picks."""
    from agent.rl.losses import teacher_kl

    g = torch.Generator().manual_seed(3)
    student = torch.randn(T, B, 3, 6, generator=g, dtype=torch.float64)
    teacher = torch.randn(T, B, 3, 6, generator=g, dtype=torch.float64)
    used = {"selected_units": torch.ones(T, B, dtype=torch.bool)}
    used["selected_units"][0, 0] = False
    kl = teacher_kl({"selected_units": teacher}, {"selected_units": student}, used)["selected_units"]
    expected = sum(categorical_kl(teacher[:, :, k], student[:, :, k]) for k in range(3))
    assert kl[0, 0] == 0 and torch.allclose(kl[used["selected_units"]], expected[used["selected_units"]])
    with pytest.raises(RLInputError, match="target_logits"):
        teacher_kl({"selected_units": teacher[0]}, {"selected_units": student[0]}, used)
