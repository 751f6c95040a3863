"""The AlphaStar-style policy: features in, actions out.

What the runtime (actor, learner) codes against:

    from agent.features import FeatureSpec
    from agent.model import Policy, build_policy, SampleOutput, EvalOutput

    spec = FeatureSpec(config)                      # config: agent.model.config.ModelConfig
    policy = build_policy(config, spec)             # presets resolved from config.preset
    state = policy.initial_state(batch_size, device=None)   # (h, c), each [B, layers, hidden]

    # actor: one step for B envs
    obs = {k: torch.from_numpy(v) for k, v in spec.stack([spec.encode(o, game_info, last) ...]).items()}
    out = policy.sample(obs, state, deterministic=False)
    #   out.actions: head -> [B, ...] int64; out.logp: head -> [B] (0 where unused);
    #   out.baseline: [B]; out.state: the new core state
    commands = agent.actions.to_commands({h: a[i] for h, a in out.actions.items()}, o, game_info, spec)

    # learner: teacher-forced over an unroll
    ev = policy.evaluate(obs_TB, actions_TB, first_TB, state_at_start)
    #   ev.logp / ev.used / ev.entropy: head -> [T, B]; ev.baseline: [T, B]; ev.final_state
    #   the action's log-probability is sum(ev.logp.values()) (unused heads are 0)

Heads, in order: agent.actions.HEADS. Trajectory validation: spec.shapes(),
spec.action_shapes() (name -> (shape without batch axes, numpy dtype)).
Names are imported lazily so that `agent.features` can import `agent.model.config`.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Policy": "agent.model.policy",
    "SampleOutput": "agent.model.policy",
    "EvalOutput": "agent.model.policy",
    "build_policy": "agent.model.policy",
    "ModelConfig": "agent.model.config",
    "MODEL_PRESETS": "agent.model.presets",
    "preset_config": "agent.model.presets",
    "resolve_model_config": "agent.model.presets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'agent.model' has no attribute {name!r}")
