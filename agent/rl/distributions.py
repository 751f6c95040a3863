"""Categorical action heads restricted to their legal choices: log-probs, entropy, KL.

The learner's model gives one logits tensor [T, B, A] per action head and a boolean mask
of the choices legal at each step. Illegal choices get probability exactly 0: they take no
part in a log-probability, an entropy or a KL, and never produce NaN (0 * -inf).
"""

from __future__ import annotations

import torch

from agent.rl.errors import RLInputError
from agent.rl.tensor_checks import check_tensor


def _check_logits(name: str, logits: object, legal: torch.Tensor | None) -> torch.Tensor:
    logits = check_tensor(name, logits)
    if logits.dim() < 1:
        raise RLInputError(f"{name}: expected logits [..., num_choices], got a scalar")
    if legal is not None:
        check_tensor(f"{name} legal mask", legal, shape=logits.shape, floating=False)
        if legal.dtype != torch.bool:
            raise RLInputError(f"{name} legal mask: expected dtype torch.bool, got {legal.dtype}")
        if legal.device != logits.device:
            raise RLInputError(f"{name} legal mask: expected device {logits.device}, got {legal.device}")
    return logits


def masked_log_softmax(logits: torch.Tensor, legal: torch.Tensor | None = None) -> torch.Tensor:
    """log pi over the last axis, renormalised over the legal choices (illegal ones ~ -inf)."""
    logits = _check_logits("logits", logits, legal)
    if legal is not None:
        # The dtype's lowest finite value, not -inf: a row with no legal choice stays finite.
        logits = logits.masked_fill(~legal, torch.finfo(logits.dtype).min)
    return torch.log_softmax(logits, dim=-1)


def action_log_prob(logits: torch.Tensor, actions: torch.Tensor, legal: torch.Tensor | None = None) -> torch.Tensor:
    """log pi(a | x) of the chosen `actions` ([...] int64 indices) under `logits` [..., A]."""
    log_pi = masked_log_softmax(logits, legal)
    if not isinstance(actions, torch.Tensor) or actions.dtype not in (torch.int64, torch.int32):
        raise RLInputError(f"actions: expected an integer tensor, got {getattr(actions, 'dtype', type(actions))}")
    if tuple(actions.shape) != tuple(logits.shape[:-1]):
        raise RLInputError(f"actions: expected shape {tuple(logits.shape[:-1])} (logits without the last axis), "
                           f"got {tuple(actions.shape)}")
    return log_pi.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)


def masked_entropy(logits: torch.Tensor, legal: torch.Tensor | None = None) -> torch.Tensor:
    """-sum_a pi(a) log pi(a) over the legal choices; 0 for a row with no legal choice."""
    log_pi = masked_log_softmax(logits, legal)
    terms = log_pi.exp() * log_pi
    if legal is not None:
        terms = torch.where(legal, terms, torch.zeros_like(terms))
    return -terms.sum(dim=-1)


def categorical_kl(p_logits: torch.Tensor, q_logits: torch.Tensor, legal: torch.Tensor | None = None) -> torch.Tensor:
    """KL(p || q) = sum_a p(a) (log p(a) - log q(a)) over the legal choices, per row."""
    if not isinstance(q_logits, torch.Tensor) or not isinstance(p_logits, torch.Tensor) \
            or q_logits.shape != p_logits.shape:
        raise RLInputError(f"categorical_kl: p and q logits must have the same shape, got "
                           f"{tuple(getattr(p_logits, 'shape', ()))} and {tuple(getattr(q_logits, 'shape', ()))}")
    log_p = masked_log_softmax(p_logits, legal)
    log_q = masked_log_softmax(q_logits, legal)
    terms = log_p.exp() * (log_p - log_q)
    if legal is not None:
        terms = torch.where(legal, terms, torch.zeros_like(terms))
    return terms.sum(dim=-1)
