"""Learner and actor settings (the distributed runtime)."""

import dataclasses


@dataclasses.dataclass
class LearnerConfig:
    address: str = "localhost:50051"
    batch_size: int = 8
    unroll_length: int = 32
    learning_rate: float = 3e-4
    max_grad_norm: float = 40.0
    queue_capacity: int = 64
    checkpoint_every_seconds: float = 120.0
    publish_every_steps: int = 1


@dataclasses.dataclass
class ActorConfig:
    num_actors: int = 2
    envs_per_actor: int = 4
    max_unsent_trajectories: int = 16
