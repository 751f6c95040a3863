"""Learner and actor settings (the distributed runtime).

One learner process trains one learning player; actors play that player's matches and
stream trajectories to it (see agent/learner.py, agent/actor.py).
"""

import dataclasses


@dataclasses.dataclass
class LearnerConfig:
    address: str = "localhost:50051"
    batch_size: int = 8
    unroll_length: int = 32
    learning_rate: float = 3e-4
    # When > 0 the learning rate falls linearly to 0 by this many seconds of training, summed
    # over resumes (a resume past it trains with rate 0). Late in a CollectMineralShards run at a
    # constant rate the return dropped from ~107 to ~10 for a minute at a time, and the final
    # checkpoint could land in such a dip; holding the rate for 35 minutes and annealing over the
    # last 10 ended it at 104.2 (bench/results/experiments/findings.md). 0 = constant.
    learning_rate_anneal_seconds: float = 0.0
    # The rate holds at learning_rate until this much training, then falls (0: from the start).
    learning_rate_anneal_start_seconds: float = 0.0
    # The same schedule for rl.entropy_cost (0 = constant). The bonus keeps the sampled policy
    # spread: a MoveToBeacon policy that scored 26.6 played greedily scored 25.3 sampled, with
    # 1 nat of action-type entropy left at a constant cost of 0.01.
    entropy_cost_anneal_seconds: float = 0.0
    entropy_cost_anneal_start_seconds: float = 0.0
    max_grad_norm: float = 40.0
    # Trajectories waiting for the learner; when full, actors' streams wait (backpressure).
    queue_capacity: int = 64
    # Drop (and count, as rejected "stale") a queued trajectory that started more than this many
    # parameter versions ago; 0 = keep all. Backpressure alone does not bound the lag: gRPC's
    # flow-control windows buffer hundreds of small trajectories behind a full queue, and a
    # mini-game learner sharing its cores trained on data ~100 versions old and fell apart.
    # The lag counts from an unroll's first step, so leave room for how long one unroll plays.
    max_policy_lag: int = 0
    # A safetensors snapshot to start from instead of random parameters (e.g. the behaviour-cloned
    # policy of `starleague experiment imitation`); it also becomes what a league `reset` returns
    # exploiters to, as AlphaStar resets them to the supervised policy. "" = random.
    initial_params: str = ""
    checkpoint_every_seconds: float = 120.0
    # Checkpoints kept on disk (oldest deleted first).
    checkpoint_keep: int = 3
    publish_every_steps: int = 1
    # Parameter versions kept for actors to fetch.
    snapshots_kept: int = 4
    # A trajectory message over this size is rejected (counted, the stream goes on).
    max_payload_mb: float = 16.0
    # Concurrent actor streams the server can hold (one thread each).
    max_streams: int = 64
    # How often the learner checks in with the league (freeze / reset decisions).
    league_checkin_seconds: float = 10.0
    # Progress line and TensorBoard scalars.
    log_every_seconds: float = 5.0
    # "auto": CUDA when present, else CPU.
    device: str = "auto"
    # CPU threads for torch in the learner; 0 = torch's default (all cores).
    torch_threads: int = 0
    # "fp32", or "bf16": the model's forward pass under bfloat16 autocast (CUDA only; the
    # parameters, optimizer state, V-trace and losses stay float32).
    precision: str = "fp32"


@dataclasses.dataclass
class ActorConfig:
    num_actors: int = 2
    envs_per_actor: int = 4
    # Unsent trajectories held while the learner is away; the oldest are dropped (counted).
    max_unsent_trajectories: int = 16
    # How often the actor asks the learner whether its version moved.
    snapshot_poll_seconds: float = 1.0
    # Reconnect backoff: doubles from 0.2 s up to this.
    reconnect_max_seconds: float = 5.0
    compression_level: int = 3
    # torch.compile the policy's sampling step: "" (eager), "default", "reduce-overhead",
    # "max-autotune-no-cudagraphs" (agent/policy_compile.py: ~1.5x less CPU per decision for
    # the tiny preset, 1.2-1.3x for a whole actor, after a 20-40 s compile in each actor process).
    compile_policy: str = ""
