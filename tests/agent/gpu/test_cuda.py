"""The policy, V-trace and the learner step on a CUDA device, against the CPU.

Skipped where torch sees no CUDA device (CI and the 2-core dev machine); run on a GPU
machine with `python -m pytest tests/agent/gpu`.
"""

from __future__ import annotations

import copy

import pytest
import torch

from agent import learning
from agent.model.measure import synthetic_batch, synthetic_learner_batch, to_device
from agent.model.policy import build_policy
from agent.model.presets import preset_config
from agent.rl.config import RLConfig
from agent.rl.vtrace import vtrace

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch sees none here)")

T, B = 8, 4


def policy_pair():
    """The same tiny policy on the CPU and on CUDA."""
    torch.manual_seed(0)
    cpu = build_policy(preset_config("tiny", max_entities=32, spatial_size=16)).train()
    return cpu, copy.deepcopy(cpu).to("cuda")


def to(batch: learning.Batch, device) -> learning.Batch:
    move = lambda d: {k: v.to(device) for k, v in d.items()}  # noqa: E731
    return learning.Batch(move(batch.obs), move(batch.actions), move(batch.behaviour_logp), batch.first.to(device),
                          batch.reward.to(device), batch.discount.to(device), tuple(s.to(device) for s in batch.state),
                          batch.policy_version.to(device))


def test_deterministic_sample_on_cuda_matches_cpu():
    cpu, gpu = policy_pair()
    cpu.eval(), gpu.eval()
    obs = to_device(synthetic_batch(cpu.spec, 16), "cpu")
    a = cpu.sample(obs, cpu.initial_state(16), deterministic=True)
    b = gpu.sample(to_device(synthetic_batch(cpu.spec, 16), "cuda"), gpu.initial_state(16, "cuda"), deterministic=True)
    torch.testing.assert_close(b.baseline.cpu(), a.baseline, rtol=1e-3, atol=1e-3)
    for head in a.actions:
        agree = (a.actions[head] == b.actions[head].cpu()).float().mean().item()
        assert agree >= 0.9, f"{head}: CPU and CUDA argmax agree on only {agree:.0%} of rows"


def test_vtrace_on_cuda_matches_cpu():
    generator = torch.Generator().manual_seed(1)
    inputs = [torch.randn(32, 16, generator=generator) * s for s in (0.5, 0.0, 1.0, 1.0)]
    inputs[1] = torch.full((32, 16), 0.99)
    bootstrap = torch.randn(16, generator=generator)
    expected = vtrace(*inputs, bootstrap)
    got = vtrace(*[x.cuda() for x in inputs], bootstrap.cuda())
    torch.testing.assert_close(got.vs.cpu(), expected.vs, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got.pg_advantages.cpu(), expected.pg_advantages, rtol=1e-4, atol=1e-4)


def test_learner_step_on_cuda_matches_cpu():
    """Same loss, same gradients. (SGD, not Adam: Adam turns a gradient element that is
    ~0 on both devices into a full lr-sized step of either sign.)"""
    cpu, gpu = policy_pair()
    batch = synthetic_learner_batch(cpu, T, B)
    metrics = []
    for policy, device in ((cpu, "cpu"), (gpu, "cuda")):
        optimizer = torch.optim.SGD(policy.parameters(), lr=1e-2)
        metrics.append(learning.learn(to(batch, device), policy, optimizer, RLConfig(), 40.0))
    assert metrics[1]["loss/total"] == pytest.approx(metrics[0]["loss/total"], rel=1e-3, abs=1e-3)
    assert metrics[1]["grad_norm"] == pytest.approx(metrics[0]["grad_norm"], rel=1e-3)
    for p_cpu, p_gpu in zip(cpu.parameters(), gpu.parameters()):
        torch.testing.assert_close(p_gpu.detach().cpu(), p_cpu.detach(), rtol=1e-3, atol=1e-5)


def test_bf16_learner_step_on_cuda():
    """bf16 autocast: finite metrics, float32 parameters that move, log-probs close to fp32."""
    _, gpu = policy_pair()
    batch = to(synthetic_learner_batch(gpu, T, B, "cuda"), "cuda")
    with torch.no_grad():
        exact = gpu.evaluate(batch.obs, batch.actions, batch.first, batch.state)
        with learning.forward_precision("bf16", "cuda"):
            rounded = gpu.evaluate(batch.obs, batch.actions, batch.first, batch.state)
    for head in exact.logp:
        difference = (rounded.logp[head].float() - exact.logp[head]).abs().mean().item()
        assert difference < 0.05, f"{head}: bf16 log-probs differ from fp32 by {difference:.3f} on average"
    before = [p.detach().clone() for p in gpu.parameters()]
    optimizer = torch.optim.Adam(gpu.parameters(), lr=1e-3)
    metrics = learning.learn(batch, gpu, optimizer, RLConfig(), 40.0, precision="bf16")
    assert all(torch.isfinite(torch.tensor(v)) for v in metrics.values()), metrics
    assert all(p.dtype == torch.float32 for p in gpu.parameters())
    assert any(not torch.equal(a, p) for a, p in zip(before, gpu.parameters()))
