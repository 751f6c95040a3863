"""RL core: pure functions on time-major tensors [T, B] and a replay buffer.

No model classes, no game, no transport: tensors in, tensors out. One exception type,
`RLInputError` (a ValueError), for wrong shapes/dtypes/devices, dict heads or settings.
Index s = 0 .. T-1 is a step of the unroll; values[s] = V(x_s), bootstrap_value = V(x_T);
discounts[s] = gamma * (1 - done_s) (0 at a terminal step cuts bootstrap and trace).

V-trace (from agent.rl.vtrace import vtrace; `agent.rl.vtrace` is the module) -- no gradient
flows through the returns:
    vtrace(log_rhos, discounts, rewards, values, bootstrap_value, clip_rho_threshold=1.0,
           clip_pg_rho_threshold=1.0, lambda_=1.0, *, implementation="auto")
        -> VTraceReturns(vs, pg_advantages)                      # each [T, B, ...]
    vtrace_from_log_probs(behaviour_logp, target_logp, discounts, rewards, values,
           bootstrap_value, clip_rho_threshold=1.0, clip_pg_rho_threshold=1.0, lambda_=1.0)
        -> VTraceReturns
    vtrace_from_logits(behaviour_logits, target_logits, actions, discounts, rewards, values,
           bootstrap_value, clip_rho_threshold=1.0, clip_pg_rho_threshold=1.0, lambda_=1.0,
           legal=None) -> VTraceFromLogitsReturns(vs, pg_advantages, log_rhos,
           behaviour_action_log_probs, target_action_log_probs)
    Thresholds None = no clipping. implementation: "auto" (numba fused kernel on CPU when
    numba is installed, else "torch"), "torch" (log-depth scan, any device), "numba".

Loss (agent.rl.losses) -- the one entry point the learner calls:
    compute_loss(target_logp, behaviour_logp, used, entropies, values, bootstrap_value,
                 rewards, discounts, config: RLConfig, teacher_logits=None,
                 target_logits=None, legal=None) -> LossOutput(total, metrics)
      target_logp, behaviour_logp, entropies: {head: [T, B]} (or one [T, B] tensor);
      used: {head: [T, B] bool} or None (all used); values [T, B]; bootstrap_value [B];
      rewards, discounts [T, B]; teacher_logits, target_logits: {head: [T, B, A_h]},
      legal: {head: [T, B, A_h] bool} (for the KL only).
      total: scalar tensor to backward(); metrics: dict[str, float] with loss/total,
      loss/policy, loss/baseline, loss/entropy (+ loss/upgo, loss/teacher_kl when on),
      rho/mean, rho/min, rho/max, rho/clipped_fraction, rho/pg_clipped_fraction,
      advantage/mean, advantage/std, advantage/abs_max, vs/mean, values/mean,
      values/explained_variance, entropy/<head> (over steps using it), used_fraction/<head>,
      teacher_kl/total, teacher_kl/<head>, upgo/advantage_mean.
    Config (agent.rl.config.RLConfig): correction in vtrace | one_step | eps_correction |
    no_correction, upgo_cost, teacher_kl_cost, entropy_cost, entropy_head_weights
    ("head=w,..."), baseline_cost, discount, lambda_, clip thresholds, replay_*.
    Helpers: joint_log_prob(logp, used), policy_gradient_loss, baseline_loss,
    entropy_bonus, teacher_kl; agent.rl.distributions: masked_log_softmax(logits, legal),
    action_log_prob(logits, actions, legal), masked_entropy(logits, legal) -> [T, B],
    categorical_kl(p_logits, q_logits, legal); agent.rl.upgo.upgo_returns(rewards,
    discounts, values, bootstrap_value); agent.rl.corrections.corrected_returns(...).

Replay (agent.rl.replay):
    ReplayBuffer(capacity, max_bytes, max_reuse=4, sampling="uniform" | "recency",
                 recency_half_life=100.0, seed=None); ReplayBuffer.from_config(RLConfig)
      .add(payload: bytes, policy_version: int) -> sequence     # caller's compressed bytes
      .add_arrays(arrays: {name: np.ndarray}, policy_version) -> sequence   # npz + zstd
      .sample(n, learner_version=None) -> list[ReplayItem]  # distinct; counts a reuse
      .stats() -> ReplayStats (size, nbytes, added, rejected, evictions, replayed,
                               last_lag_mean, last_lag_max, lag_mean);  len(buffer)
    ReplayItem(payload, policy_version, sequence, times_replayed, encoding).arrays()
    replay_split(batch_size, replay_proportion, available) -> (n_fresh, n_replay)
    policy_lags(items, learner_version) -> list[int]
"""

from __future__ import annotations

import importlib

# Resolved on first use (PEP 562), so that importing agent.rl.config (as starleague.config
# does) does not import torch.
_EXPORTS = {
    "CORRECTIONS": "agent.rl.config", "RLConfig": "agent.rl.config", "RLInputError": "agent.rl.errors",
    "LossOutput": "agent.rl.losses", "compute_loss": "agent.rl.losses",
    "ReplayBuffer": "agent.rl.replay", "ReplayItem": "agent.rl.replay", "ReplayStats": "agent.rl.replay",
    "policy_lags": "agent.rl.replay", "replay_split": "agent.rl.replay",
    "VTraceReturns": "agent.rl.vtrace", "VTraceFromLogitsReturns": "agent.rl.vtrace",
    "vtrace_from_log_probs": "agent.rl.vtrace", "vtrace_from_logits": "agent.rl.vtrace",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'agent.rl' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
