"""League composition and matchmaking settings (AlphaStar paper defaults).

The defaults are the values of the AlphaStar paper (Vinyals et al. 2019, Nature, and the
pseudocode in its supplementary material); presets scale the step counts down for small
machines. Composition counts are totals across `races`, dealt round-robin: the paper's
league is, per race, 1 main agent, 1 main exploiter and 2 league exploiters, i.e. 3 / 3 / 6
over the three races (the `full` preset).

Each learning player has its own learner process (one player id, one parameter set, one
optimizer): the learner serves exactly one player, so players scale out across machines
and a crashed learner stops only its own player.
"""

import dataclasses

# The built-in bots that take part in the league as fixed players "bot:<name>".
DEFAULT_BOTS = ["VeryEasy", "Easy", "Medium", "MediumHard", "Hard", "Harder"]


@dataclasses.dataclass
class LeagueConfig:
    address: str = "localhost:50061"
    # Where the league keeps its database and frozen snapshots; empty = <run_dir>/league/.
    store_path: str = ""
    snapshot_dir: str = ""
    # Auth and TLS for the service (token: $STARLEAGUE_TOKEN or this file).
    token_file: str = ""
    tls_cert: str = ""
    tls_key: str = ""

    # --- composition (totals, dealt round-robin over races) ---
    races: list[str] = dataclasses.field(default_factory=lambda: ["Terran"])
    main_agents: int = 1
    main_exploiters: int = 1
    league_exploiters: int = 0
    bots: list[str] = dataclasses.field(default_factory=lambda: list(DEFAULT_BOTS))
    bot_race: str = "Terran"
    maps: list[str] = dataclasses.field(default_factory=lambda: ["Simple64"])
    # Fraction of matches whose replay the actor saves.
    save_replay_fraction: float = 0.1
    # Seed of the league's random choices (matchmaking, resets, match seeds).
    seed: int = 0

    # --- main agents: shares of their matches (paper: 50% PFSP, 15% verification, 35% self-play) ---
    # Games against the built-in bots, taken before the paper's split (0 in the paper;
    # the tiny preset uses some to measure progress on the bot ladder).
    main_bot_share: float = 0.0
    main_pfsp_share: float = 0.5
    main_verification_share: float = 0.15
    # Self-play against a main agent only while beating it more often than this,
    # otherwise PFSP (variance) over its snapshots as a curriculum.
    selfplay_min_win_rate: float = 0.3
    # Verification: play main exploiters' snapshots while losing to one of them...
    verification_exploiter_win_rate: float = 0.3
    # ...and forgotten snapshots of the main agent while below this win rate.
    verification_forgotten_win_rate: float = 0.7
    # Main exploiters play a main agent while beating it more than this, else its snapshots.
    main_exploiter_min_win_rate: float = 0.1
    # f_hard(x) = (1 - x)^p; the paper's main agents use p = 2 ("squared").
    pfsp_hard_exponent: float = 2.0
    # League exploiters' PFSP weighting: "linear_capped" (min(0.5, 1 - x), the paper's), "hard", "variance", "linear".
    league_exploiter_weighting: str = "linear_capped"
    # How mains pick a bot level: "uniform" (measure every level) or a PFSP weighting.
    bot_weighting: str = "uniform"

    # --- snapshots and resets (learner steps = agent steps consumed, the paper's unit) ---
    snapshot_min_steps: int = 2_000_000_000
    snapshot_max_steps: int = 4_000_000_000
    # Freeze once the player beats every target at more than this rate (after min steps).
    snapshot_win_rate: float = 0.7
    main_reset_probability: float = 0.0
    main_exploiter_reset_probability: float = 1.0
    league_exploiter_reset_probability: float = 0.25

    # --- payoff and ratings ---
    # Each game multiplies the pair's W/D/L counts by this before adding (paper: 0.99).
    payoff_decay: float = 0.99
    # Glicko ratings on the Elo scale, anchored on the first bot at `anchor_rating`;
    # the other bots start `bot_rating_step` apart and are rated from their games.
    anchor_rating: float = 0.0
    bot_rating_step: float = 200.0
    # Measured ladder ratings, one per bot in `bots` order (e.g. from bench/results/bot_ladder.json);
    # empty = anchor + rank * bot_rating_step. The first bot stays the fixed anchor.
    bot_ratings: list[float] = dataclasses.field(default_factory=list)
    initial_rating_deviation: float = 350.0
    min_rating_deviation: float = 30.0
    # Learning players change between games: their deviation grows by this much per game.
    learning_rating_drift: float = 15.0

    # --- service limits ---
    snapshot_chunk_bytes: int = 1 << 20
    max_snapshot_bytes: int = 8 << 30
    service_threads: int = 16
