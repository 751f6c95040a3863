"""The learner step's precision option: fp32 is the plain step, bf16 is refused off CUDA.

The bf16 step itself runs in tests/agent/gpu (CUDA only)."""

from __future__ import annotations

import pytest
import torch

from agent import learning
from agent.model.measure import synthetic_learner_batch
from agent.model.policy import build_policy
from agent.model.presets import preset_config
from agent.rl.config import RLConfig

torch.set_num_threads(1)


def small_policy():
    torch.manual_seed(0)
    return build_policy(preset_config("tiny", max_entities=16, spatial_size=16)).train()


def test_fp32_step_is_the_plain_step():
    """precision="fp32" gives exactly what the step gave before the option existed."""
    policies = [small_policy(), small_policy()]
    batch = synthetic_learner_batch(policies[0], 3, 2)
    optimizers = [torch.optim.Adam(p.parameters(), lr=1e-3) for p in policies]
    learning.learn(batch, policies[0], optimizers[0], RLConfig(), 40.0)
    learning.learn(batch, policies[1], optimizers[1], RLConfig(), 40.0, precision="fp32")
    for a, b in zip(policies[0].parameters(), policies[1].parameters()):
        assert torch.equal(a, b)


def test_bf16_needs_cuda_and_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="needs a CUDA device"):
        learning.forward_precision("bf16", "cpu")
    with pytest.raises(ValueError, match="unknown learner precision 'fp8'"):
        learning.forward_precision("fp8", "cpu")


def test_learner_refuses_bf16_on_cpu_at_start(tmp_path):
    from agent.learner import Learner, LearnerError
    from agent.runtime_config import LearnerConfig

    config = LearnerConfig(device="cpu", precision="bf16")
    with pytest.raises(LearnerError, match="bf16 needs a CUDA device"):
        Learner("main_0", small_policy(), RLConfig(), config, str(tmp_path), "token", log=lambda line: None)
