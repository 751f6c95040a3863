"""AlphaStar's league: who plays whom, what the results say, and what survives a crash.

Modules, from pure math up to the wire:
- players.py        roles (main agent, main exploiter, league exploiter, historical, bot), ids, composition
- pfsp.py           PFSP weightings f_hard(x) = (1 - x)^p, f_var(x) = x (1 - x), ... (pure)
- matchmaking.py    the paper's per-role opponent choice (pure given a random source)
- snapshot_rules.py when a learner freezes a snapshot and whether it resets (pure)
- payoff.py, ratings.py, scoring.py   decayed W/D/L per pair, Glicko ratings anchored on the weakest bot
- schema.py, store.py                 SQLite (WAL) store with forward migrations; one transaction per change
- snapshot_files.py frozen parameters on disk, written atomically and checked by sha256
- league.py         the league's logic over the store (no transport)
- standings.py      the table `starleague league standings` prints
- service.py, transport.py, client.py the gRPC service (protos/league.proto), token auth, TLS, health
- evaluation.py     statistics of evaluation games (the evaluation engineer's)

Each learning player has its own learner process. The learner checks in periodically
(`LearnerCheckin(player_id, version, learner_steps, learner_address)`); when the league
answers `freeze`, it uploads its current parameters (`PutSnapshot`), which become the
historical player "<player_id>@<version>", and resets to its initial parameters when the
answer also says `reset`. Actors ask `RequestMatch`, play, and `ReportResult` (idempotent
by match id); the evaluator reports games against bots with `ReportEvalResult`.
"""
