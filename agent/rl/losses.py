"""The off-policy actor-critic loss of the learner (IMPALA, Espeholt et al. 2018, Section 4.2),
with AlphaStar's extras (Vinyals et al. 2019): UPGO and a KL term towards a teacher policy.

All terms are means over the T x B steps of the batch:

    policy     -mean(A_s log pi(a_s|x_s))              A_s: corrected advantage, detached
    baseline    baseline_cost * mean(0.5 (v_s - V(x_s))^2)
    entropy    -entropy_cost * mean(sum_h w_h used_h H_h(x_s))
    upgo       -upgo_cost * mean(rho_s (G^U_s - V(x_s)) log pi(a_s|x_s))
    teacher_kl  teacher_kl_cost * mean(sum_h used_h KL(teacher_h || pi_h))

An autoregressive action's log pi is the sum over the heads the action uses; a head the
chosen action type does not use contributes nothing (not its log-prob, entropy or KL).
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

import torch

from agent.rl.config import RLConfig
from agent.rl.corrections import corrected_returns
from agent.rl.distributions import categorical_kl
from agent.rl.errors import RLInputError
from agent.rl.tensor_checks import check_heads, check_tensor, check_time_major
from agent.rl.upgo import upgo_returns

Heads = Mapping[str, torch.Tensor]


class LossOutput(NamedTuple):
    total: torch.Tensor  # scalar to backpropagate
    metrics: dict[str, float]  # loss terms, rho, advantage and per-head entropy statistics


def _as_heads(value: Heads | torch.Tensor) -> Heads:
    # A plain [T, B] tensor is a one-head action.
    return {"action": value} if isinstance(value, torch.Tensor) else value


def joint_log_prob(logp: Heads, used: Heads) -> torch.Tensor:
    """sum_h used_h log pi_h: the log-probability of an autoregressive action, [T, B]."""
    terms = [torch.where(used[h], logp[h], torch.zeros_like(logp[h])) for h in logp]
    return torch.stack(terms).sum(dim=0)


def policy_gradient_loss(logp: torch.Tensor, advantages: torch.Tensor) -> torch.Tensor:
    """-mean(A log pi); the advantages are constants here (IMPALA eq. 4)."""
    return -(advantages.detach() * logp).mean()


def baseline_loss(vs: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """mean(0.5 (v_s - V(x_s))^2); gradient flows into the values only."""
    return (0.5 * (vs.detach() - values) ** 2).mean()


def entropy_bonus(entropies: Heads, used: Heads, weights: Mapping[str, float]) -> torch.Tensor:
    """mean(sum_h w_h used_h H_h): to be maximised (the loss adds -entropy_cost times this)."""
    total = sum(weights.get(h, 1.0) * torch.where(used[h], entropies[h], torch.zeros_like(entropies[h]))
                for h in entropies)
    return total.mean()


def teacher_kl(teacher_logits: Heads, target_logits: Heads, used: Heads,
               legal: Heads | None = None) -> dict[str, torch.Tensor]:
    """{head: KL(teacher_h || pi_h) masked to the steps that use the head}, each [T, B].

    Logits are [T, B, A_h]; a pointer head that picks several times gives [T, B, K, A_h] (one
    distribution per pick) and its KL is the sum over the picks. Normalised log-probabilities
    serve as logits (the model's masked log-distributions, EvalOutput.log_probs).
    """
    check_heads("teacher_logits", teacher_logits, None)
    out = {}
    for head, teacher in teacher_logits.items():
        if head not in target_logits:
            raise RLInputError(f"teacher_logits: head {head!r} has no target_logits to compare with")
        if head not in used:
            raise RLInputError(f"teacher_logits: head {head!r} is not one of the action's heads {sorted(used)}")
        student = check_tensor(f"target_logits[{head!r}]", target_logits[head])
        steps = tuple(used[head].shape)
        if student.dim() < 3 or tuple(student.shape[:2]) != steps:
            raise RLInputError(f"target_logits[{head!r}]: expected [{steps[0]}, {steps[1]}, (picks,) choices], "
                               f"got {tuple(student.shape)}")
        check_tensor(f"teacher_logits[{head!r}]", teacher, tuple(student.shape), like=student)
        kl = categorical_kl(teacher.detach(), student, None if legal is None else legal.get(head))
        if kl.dim() > 2:  # the picks of a pointer head
            kl = kl.flatten(2).sum(-1)
        out[head] = torch.where(used[head], kl, torch.zeros_like(kl))
    return out


def _check_inputs(target_logp, behaviour_logp, used, entropies, values, bootstrap_value, rewards, discounts):
    values = check_time_major("values", values)
    shape = tuple(values.shape)
    if len(shape) != 2:
        raise RLInputError(f"values: expected [T, B], got {shape}")
    check_tensor("rewards", rewards, shape, like=values)
    check_tensor("discounts", discounts, shape, like=values)
    check_tensor("bootstrap_value", bootstrap_value, shape[1:], like=values)
    heads = list(check_heads("target_logp", target_logp, None))
    for name, group, floating in (("target_logp", target_logp, True), ("behaviour_logp", behaviour_logp, True),
                                  ("entropies", entropies, True), ("used", used, False)):
        check_heads(name, group, heads)
        for head, tensor in group.items():
            check_tensor(f"{name}[{head!r}]", tensor, shape, like=values if floating else None, floating=floating)
            if not floating and (tensor.dtype != torch.bool or tensor.device != values.device):
                raise RLInputError(f"{name}[{head!r}]: expected a torch.bool tensor on {values.device}, "
                                   f"got {tensor.dtype} on {tensor.device}")
    return heads


def compute_loss(
    target_logp: Heads | torch.Tensor,
    behaviour_logp: Heads | torch.Tensor,
    used: Heads | None,
    entropies: Heads | torch.Tensor,
    values: torch.Tensor,
    bootstrap_value: torch.Tensor,
    rewards: torch.Tensor,
    discounts: torch.Tensor,
    config: RLConfig,
    teacher_logits: Heads | None = None,
    target_logits: Heads | None = None,
    legal: Heads | None = None,
) -> LossOutput:
    """The learner's whole loss for one [T, B] batch (module docstring lists the terms).

    target_logp, behaviour_logp, entropies: {head: [T, B]} (or one [T, B] tensor for a
    one-head action); target_logp, entropies and values carry the model's gradient.
    used: {head: [T, B] bool}, None = every head always used. values [T, B] = V(x_s);
    bootstrap_value [B] = V(x_T); discounts = gamma * (1 - done). teacher_logits and
    target_logits: {head: [T, B, A_h]} for the KL term, legal: {head: [T, B, A_h] bool}.
    """
    config.validate()
    target_logp = _as_heads(target_logp)
    behaviour_logp = _as_heads(behaviour_logp)
    entropies = _as_heads(entropies)
    values = check_time_major("values", values)
    if used is None:
        used = {h: torch.ones(values.shape, dtype=torch.bool, device=values.device) for h in target_logp}
    heads = _check_inputs(target_logp, behaviour_logp, used, entropies, values, bootstrap_value, rewards, discounts)
    weights = config.entropy_weights()
    unknown = sorted(set(weights) - set(heads))
    if unknown:
        raise RLInputError(f"rl.entropy_head_weights names heads {unknown} the action does not have {heads}")
    if config.teacher_kl_cost > 0.0 and teacher_logits is None:
        raise RLInputError("rl.teacher_kl_cost > 0 needs teacher_logits (and target_logits) for the KL term")
    if teacher_logits is not None and target_logits is None:
        raise RLInputError("teacher_logits given without target_logits: the KL needs the policy's logits too")

    logp = joint_log_prob(target_logp, used)
    log_rhos = (logp - joint_log_prob(behaviour_logp, used)).detach()
    returns = corrected_returns(config.correction, log_rhos, discounts, rewards, values, bootstrap_value,
                                config.clip_rho_threshold, config.clip_pg_rho_threshold, config.lambda_)
    pg_logp = logp
    if config.correction == "eps_correction":
        # log(pi + eps), computed without leaving log space: pi may underflow to 0.
        pg_logp = torch.logaddexp(logp, torch.full_like(logp, config.eps_correction_epsilon).log())

    terms: dict[str, torch.Tensor] = {
        "policy": policy_gradient_loss(pg_logp, returns.pg_advantages),
        "baseline": config.baseline_cost * baseline_loss(returns.vs, values),
        "entropy": -config.entropy_cost * entropy_bonus(entropies, used, weights),
    }
    stats: dict[str, torch.Tensor] = {}
    if config.upgo_cost > 0.0:
        upgo_advantages = returns.pg_rhos * (upgo_returns(rewards, discounts, values, bootstrap_value) - values.detach())
        terms["upgo"] = config.upgo_cost * policy_gradient_loss(pg_logp, upgo_advantages)
        stats["upgo/advantage_mean"] = upgo_advantages.mean()
    if teacher_logits is not None:
        kls = teacher_kl(teacher_logits, target_logits, used, legal)
        kl_total = torch.stack(list(kls.values())).sum(dim=0).mean()
        if config.teacher_kl_cost > 0.0:
            terms["teacher_kl"] = config.teacher_kl_cost * kl_total
        stats["teacher_kl/total"] = kl_total
        stats.update({f"teacher_kl/{h}": kl.mean() for h, kl in kls.items()})
    total = torch.stack(list(terms.values())).sum()
    return LossOutput(total, _metrics(total, terms, stats, log_rhos, returns, values, entropies, used, config))


def _metrics(total, terms, stats, log_rhos, returns, values, entropies, used, config) -> dict[str, float]:
    with torch.no_grad():
        rhos = torch.exp(log_rhos)
        advantages = returns.pg_advantages
        named = {"loss/total": total, **{f"loss/{k}": v for k, v in terms.items()}, **stats}
        named.update({
            "rho/mean": rhos.mean(),
            "rho/min": rhos.min(),
            "rho/max": rhos.max(),
            "rho/clipped_fraction": (rhos > config.clip_rho_threshold).to(rhos.dtype).mean(),
            "rho/pg_clipped_fraction": (rhos > config.clip_pg_rho_threshold).to(rhos.dtype).mean(),
            "advantage/mean": advantages.mean(),
            "advantage/std": advantages.std(unbiased=False),
            "advantage/abs_max": advantages.abs().max(),
            "vs/mean": returns.vs.mean(),
            "values/mean": values.detach().mean(),
            "values/explained_variance": 1.0 - (returns.vs - values.detach()).var(unbiased=False)
            / returns.vs.var(unbiased=False).clamp(min=1e-8),
        })
        for head, entropy in entropies.items():
            mask = used[head]
            masked = torch.where(mask, entropy.detach(), torch.zeros_like(entropy))
            named[f"entropy/{head}"] = masked.sum() / mask.sum().clamp(min=1)
            named[f"used_fraction/{head}"] = mask.to(values.dtype).mean()
        # One device-to-host copy for all of them.
        numbers = torch.stack([v.detach().to(torch.float64).reshape(()) for v in named.values()]).tolist()
    return dict(zip(named, numbers))
