"""Loss and replay settings for the learner (IMPALA / AlphaStar defaults)."""

import dataclasses


@dataclasses.dataclass
class RLConfig:
    discount: float = 0.99
    lambda_: float = 1.0
    clip_rho_threshold: float = 1.0
    clip_pg_rho_threshold: float = 1.0
    # vtrace | one_step | eps_correction | no_correction (IMPALA paper's ablation)
    correction: str = "vtrace"
    baseline_cost: float = 0.5
    entropy_cost: float = 0.01
    # Share of each learner batch drawn from the replay buffer (0 = no replay).
    replay_proportion: float = 0.0
    replay_capacity: int = 1000
