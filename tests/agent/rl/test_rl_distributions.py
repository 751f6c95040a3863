"""Masked categorical heads: illegal choices take no part and never produce NaN."""

import math

import pytest
import torch

from agent.rl.distributions import action_log_prob, categorical_kl, masked_entropy, masked_log_softmax
from agent.rl.errors import RLInputError


def test_entropy_is_that_of_the_legal_choices_only():
    logits = torch.tensor([[0.3, -1.0, 2.0, 5.0]], dtype=torch.float64)
    legal = torch.tensor([[True, True, True, False]])
    p = torch.softmax(logits[:, :3], -1)
    torch.testing.assert_close(masked_entropy(logits, legal), -(p * p.log()).sum(-1))
    torch.testing.assert_close(masked_entropy(torch.zeros(2, 8)), torch.full((2,), math.log(8)))


def test_no_nan_from_minus_infinity_or_empty_rows():
    logits = torch.tensor([[0.0, -float("inf"), 1.0], [1.0, 2.0, 3.0]], requires_grad=True)
    legal = torch.tensor([[True, False, True], [False, False, False]])
    entropy = masked_entropy(logits, legal)
    assert entropy[1].item() == 0.0
    entropy.sum().backward()
    assert torch.isfinite(logits.grad).all()
    assert torch.isfinite(masked_log_softmax(logits, legal)).all()


def test_action_log_prob_and_kl():
    logits = torch.randn(3, 2, 5, dtype=torch.float64)
    actions = torch.randint(0, 5, (3, 2))
    expected = torch.log_softmax(logits, -1).gather(-1, actions[..., None])[..., 0]
    torch.testing.assert_close(action_log_prob(logits, actions), expected)
    q = torch.randn(3, 2, 5, dtype=torch.float64)
    p_probs = torch.softmax(logits, -1)
    expected_kl = (p_probs * (torch.log_softmax(logits, -1) - torch.log_softmax(q, -1))).sum(-1)
    torch.testing.assert_close(categorical_kl(logits, q), expected_kl)
    assert (categorical_kl(logits, logits).abs() < 1e-12).all()
    with pytest.raises(RLInputError, match="actions: expected shape"):
        action_log_prob(logits, actions[:1])
    with pytest.raises(RLInputError, match="legal mask"):
        masked_entropy(logits, torch.ones(3, 2, 4, dtype=torch.bool))
