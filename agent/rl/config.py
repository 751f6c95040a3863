"""Loss and replay settings for the learner (IMPALA / AlphaStar defaults)."""

from __future__ import annotations

import dataclasses

from agent.rl.errors import RLInputError

# The IMPALA paper's off-policy corrections (Espeholt et al. 2018, Section 5.2.1), for ablation.
CORRECTIONS = ("vtrace", "one_step", "eps_correction", "no_correction")
REPLAY_SAMPLING = ("uniform", "recency")


@dataclasses.dataclass
class RLConfig:
    discount: float = 0.99
    lambda_: float = 1.0
    clip_rho_threshold: float = 1.0
    clip_pg_rho_threshold: float = 1.0
    # vtrace | one_step | eps_correction | no_correction (IMPALA paper's ablation)
    correction: str = "vtrace"
    # epsilon added to pi inside the log of the policy gradient under correction=eps_correction.
    eps_correction_epsilon: float = 1e-6
    baseline_cost: float = 0.5
    entropy_cost: float = 0.01
    # Per-head entropy weights "head=w,head=w"; a head not named weighs 1.0.
    entropy_head_weights: str = ""
    # AlphaStar's UPGO policy-gradient term (self-imitation); 0 = off.
    upgo_cost: float = 0.0
    # Pseudo-reward added to the game's +1/-1 (the actor adds it each env step): this times the
    # step's increase of the observation's cumulative score (mined minerals and gas plus the
    # value of enemy units and structures killed), as pysc2's score reward; 0 = off. A win
    # arrives once after thousands of steps; the score rewards mining and fighting on the way.
    score_reward_scale: float = 0.0
    # KL(teacher || policy) per used head, the teacher being the policy at learner.initial_params
    # (AlphaStar: the supervised policy; here e.g. the behaviour-cloned one); 0 = off.
    teacher_kl_cost: float = 0.0
    # Share of each learner batch drawn from the replay buffer (0 = no replay).
    replay_proportion: float = 0.0
    replay_capacity: int = 1000
    # The buffer's compressed size bound; the oldest trajectories are evicted first.
    replay_max_mb: float = 256.0
    # A trajectory leaves the buffer after being replayed this many times.
    replay_max_reuse: int = 4
    # uniform | recency (weight halves every replay_recency_half_life newer trajectories)
    replay_sampling: str = "uniform"
    replay_recency_half_life: float = 100.0

    def entropy_weights(self) -> dict[str, float]:
        """{head: weight} parsed from entropy_head_weights ('action_type=1,queued=0.5')."""
        weights: dict[str, float] = {}
        for item in (part.strip() for part in self.entropy_head_weights.split(",")):
            if not item:
                continue
            head, sep, value = item.partition("=")
            try:
                weight = float(value)
            except ValueError:
                weight = -1.0
            if not sep or not head.strip() or not weight >= 0.0:
                raise RLInputError(f"rl.entropy_head_weights: expected 'head=weight,...' with weights >= 0, "
                                   f"got item {item!r}")
            weights[head.strip()] = weight
        return weights

    def validate(self) -> None:
        """Raise RLInputError naming the first field out of its range."""
        def require(ok: bool, field: str, expected: str) -> None:
            if not ok:
                raise RLInputError(f"rl.{field}: expected {expected}, got {getattr(self, field)!r}")

        require(0.0 <= self.discount <= 1.0, "discount", "a number in [0, 1]")
        require(0.0 <= self.lambda_ <= 1.0, "lambda_", "a number in [0, 1]")
        require(self.clip_rho_threshold > 0.0, "clip_rho_threshold", "a positive number")
        require(self.clip_pg_rho_threshold > 0.0, "clip_pg_rho_threshold", "a positive number")
        require(self.correction in CORRECTIONS, "correction", f"one of {CORRECTIONS}")
        require(self.eps_correction_epsilon > 0.0, "eps_correction_epsilon", "a positive number")
        for field in ("baseline_cost", "entropy_cost", "upgo_cost", "teacher_kl_cost", "score_reward_scale"):
            require(getattr(self, field) >= 0.0, field, "a number >= 0")
        require(0.0 <= self.replay_proportion < 1.0, "replay_proportion", "a number in [0, 1)")
        require(self.replay_capacity >= 1, "replay_capacity", "an int >= 1")
        require(self.replay_max_mb > 0.0, "replay_max_mb", "a positive number")
        require(self.replay_max_reuse >= 1, "replay_max_reuse", "an int >= 1")
        require(self.replay_sampling in REPLAY_SAMPLING, "replay_sampling", f"one of {REPLAY_SAMPLING}")
        require(self.replay_recency_half_life > 0.0, "replay_recency_half_life", "a positive number")
        self.entropy_weights()
