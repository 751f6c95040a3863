"""Masked categorical distributions: the math every head shares.

Illegal choices get a logit of MASKED_LOGIT, so their probability is exactly 0 in
float32 and their share of the entropy is 0; a row with no legal choice (a head the
chosen action does not use) stays finite, and its log-probability is zeroed by the
caller's `used` mask instead of producing NaN.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import torch
from torch import Tensor

MASKED_LOGIT = -1e9


class Choice(NamedTuple):
    index: Tensor  # int64 [M]
    logp: Tensor  # [M]
    entropy: Tensor  # [M], over the legal choices
    log_probs: Optional[Tensor] = None  # [M, A]: the whole masked distribution (for a KL)


def choose(logits: Tensor, legal: Tensor, given: Optional[Tensor] = None, deterministic: bool = False) -> Choice:
    """Sample (Gumbel-max), take the argmax, or score `given` under the masked distribution."""
    logits = logits.float().masked_fill(~legal, MASKED_LOGIT)
    log_probs = torch.log_softmax(logits, dim=-1)
    if given is not None:
        index = given.long().clamp(0, logits.shape[-1] - 1)
    elif deterministic:
        index = logits.argmax(-1)
    else:
        uniform = torch.rand_like(logits).clamp_(1e-20, 1.0)
        index = (logits - torch.log(-torch.log(uniform))).argmax(-1)
    logp = log_probs.gather(-1, index.unsqueeze(-1)).squeeze(-1)
    entropy = -(log_probs.exp() * log_probs).sum(-1)
    return Choice(index, logp, entropy, log_probs)
