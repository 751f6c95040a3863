"""Evaluate policy snapshots against the built-in bot ladder.

`evaluate(...)` plays every (snapshot, bot level, game) in a pool of worker processes
(one policy copy per worker, loaded once), reports per opponent W/D/L, the win rate with
its 95% Wilson interval, mean game length and an Elo estimate anchored on the bot ladder,
writes JSON and a self-contained HTML report, and records each game in the league store
when one is given, so standings include evaluation games.

What can be evaluated (`resolve_snapshots`):
- a learner checkpoint `ckpt_*.pt` (parameters + the run's config);
- a snapshot `*.safetensors` (the model config comes from its metadata, else from the
  nearest config.json above it, else from --preset/--set);
- a run directory: every checkpoint under it, oldest first (a curve over versions);
- a league snapshot id such as `main_0@12`, looked up in the league store.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import glob
import json
import multiprocessing
import os
import re
import sys
import time
from typing import Any, Callable, Optional, Sequence

from league.evaluation import (
    DEFAULT_BOT_ELO,
    Record,
    estimate_elo,
    ladder_anchors,
    opponent_report,
)


class EvalError(ValueError):
    """What was asked cannot be evaluated; the message names the file or id."""


@dataclasses.dataclass
class SnapshotSource:
    label: str  # shown in reports ("main_0 v12", "ckpt_0000000400")
    player_id: str  # league player id for the store ("" = not a league player)
    version: int
    params_path: str
    model_config: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class GameJob:
    snapshot_index: int
    opponent: str  # difficulty name, lower case ("easy")
    game_index: int
    seed: int


@dataclasses.dataclass
class GameResult:
    job: GameJob
    outcome: str  # win / draw / loss from the snapshot's side
    game_loops: int
    replay_path: str


# --- what to evaluate -------------------------------------------------------------


def _config_json_above(path: str) -> Optional[dict[str, Any]]:
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        candidate = os.path.join(directory, "config.json")
        if os.path.isfile(candidate):
            with open(candidate) as f:
                return json.load(f).get("model")
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _from_checkpoint(path: str) -> SnapshotSource:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise EvalError(f"{path}: not a readable learner checkpoint ({error})") from None
    model = (state.get("config") or {}).get("model") or _config_json_above(path)
    if model is None:
        raise EvalError(f"{path}: the checkpoint names no model config and no config.json lies above it")
    player = str(state.get("player_id", ""))
    version = int(state.get("version", 0))
    return SnapshotSource(f"{player or os.path.basename(path)} v{version}", player, version, path, model)


def _from_safetensors(path: str, fallback_model: Optional[dict[str, Any]]) -> SnapshotSource:
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
    except Exception as error:
        raise EvalError(f"{path}: not a readable safetensors snapshot ({error})") from None
    model = json.loads(metadata["model_config"]) if "model_config" in metadata else None
    model = model or _config_json_above(path) or fallback_model
    if model is None:
        raise EvalError(f"{path}: no model config in its metadata or a config.json above it; pass --preset")
    version_text = metadata.get("version", "0")
    version = int(version_text) if version_text.isdigit() else 0
    player = metadata.get("player_id", "")
    return SnapshotSource(f"{player or os.path.basename(path)} v{version}", player, version, path, model)


def resolve_snapshots(
    ref: str, store_path: Optional[str] = None, fallback_model: Optional[dict[str, Any]] = None
) -> list[SnapshotSource]:
    """A path (checkpoint, safetensors, run directory) or a league snapshot id -> sources."""
    if os.path.isdir(ref):
        paths = sorted(glob.glob(os.path.join(ref, "**", "ckpt_*.pt"), recursive=True))
        if not paths:
            raise EvalError(f"{ref}: no learner checkpoints (ckpt_*.pt) under this directory")
        return [_from_checkpoint(p) for p in paths]
    if os.path.isfile(ref):
        if ref.endswith(".pt"):
            return [_from_checkpoint(ref)]
        return [_from_safetensors(ref, fallback_model)]
    if re.fullmatch(r"[\w.-]+@\d+", ref):
        if not store_path:
            raise EvalError(f"snapshot id {ref!r} needs --store (the league's SQLite store) to find its file")
        from league.store import LeagueStore

        with LeagueStore(store_path) as store:
            record = store.snapshot(ref)
        if record is None:
            raise EvalError(f"unknown snapshot id {ref!r} in {store_path}")
        source = _from_safetensors(record.path, fallback_model)
        return [dataclasses.replace(source, label=ref, player_id=ref, version=record.version)]
    raise EvalError(f"{ref!r} is neither a file, a directory nor a snapshot id like main_0@12")


# --- playing ------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _worker_init(sources: list[SnapshotSource], env_settings: dict[str, Any]) -> None:
    import torch

    torch.set_num_threads(1)
    _worker["sources"] = sources
    _worker["env"] = env_settings
    _worker["policies"] = {}


def load_policy(source: SnapshotSource):
    """The policy of a snapshot source, built from its model config, in eval mode."""
    import torch

    from agent.model.config import ModelConfig
    from agent.model.policy import build_policy
    from agent.snapshot import decode_snapshot

    policy = build_policy(ModelConfig(**source.model_config))
    if source.params_path.endswith(".pt"):
        params = torch.load(source.params_path, map_location="cpu", weights_only=True)["params"]
    else:
        with open(source.params_path, "rb") as f:
            params = decode_snapshot(f.read())
    policy.load_state_dict(params)
    return policy.eval()


def _policy(index: int):
    """The policy of snapshot `index`, built and loaded once per worker."""
    if index not in _worker["policies"]:
        _worker["policies"][index] = load_policy(_worker["sources"][index])
    return _worker["policies"][index]


def play_game(policy, job: GameJob, env_settings: dict[str, Any]) -> GameResult:
    """One game of `policy` (seat 0) against a built-in bot.

    Actions are sampled as an actor samples them, or with env_settings["greedy"] the most
    likely one of each head (how a cloned policy is often played: sampling adds the teacher's
    rare choices back at every step).
    """
    from agent.actions import to_commands
    from agent.actor import OUTCOME_BY_RESULT, SeatMemory, decide_when_due
    from sc2env.env import make_env
    from sc2env.types import AgentPlayer, BotPlayer, Difficulty

    env = make_env(
        backend=env_settings["backend"],
        map=env_settings["map"],
        players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.parse(job.opponent))],
        step_mul=env_settings["step_mul"],
        seed=job.seed,
        game_loop_limit=env_settings["game_loop_limit"],
    )
    try:
        memory = SeatMemory(state=policy.initial_state(1))
        timestep = env.reset()[0]
        while not timestep.last():
            actions = decide_when_due(policy, memory, timestep.observation, env.game_info,
                                      deterministic=bool(env_settings.get("greedy", False)))
            commands = [] if actions is None else to_commands(actions, timestep.observation, env.game_info, policy.spec)
            timestep = env.step([commands])[0]
        replay = ""
        directory = env_settings.get("replay_dir")
        outcome = OUTCOME_BY_RESULT.get(int(timestep.result), "DRAW").lower()
        fraction = env_settings.get("replay_fraction", 0.0)
        keep = outcome == "loss" or (job.game_index * fraction) % 1.0 + fraction >= 1.0
        if directory and keep:
            name = f"eval-{job.snapshot_index}-{job.opponent}-{job.game_index}-seed{job.seed}.slrp"
            replay = env.save_replay(os.path.join(directory, name))
        return GameResult(job, outcome, int(timestep.observation.game_loop), replay)
    finally:
        env.close()


def _run_job(job: GameJob) -> GameResult:
    return play_game(_policy(job.snapshot_index), job, _worker["env"])


def _progress_line(done: int, total: int, started: float) -> str:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.time() - started, 1e-9)
    eta = (total - done) / rate if rate > 0 else float("inf")
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} games  {rate:.2f} games/s  eta {eta:.0f}s"


def play_all(
    sources: list[SnapshotSource],
    jobs: Sequence[GameJob],
    env_settings: dict[str, Any],
    workers: int,
    progress: Callable[[str], None] = lambda line: print(line, end="", file=sys.stderr, flush=True),
) -> list[GameResult]:
    """Play every job over `workers` processes (spawned: safe with torch threads)."""
    results: list[GameResult] = []
    started = time.time()
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_init, initargs=(sources, env_settings)
    ) as pool:
        futures = [pool.submit(_run_job, job) for job in jobs]
        progress(_progress_line(0, len(jobs), started))
        for future in concurrent.futures.as_completed(futures):
            results.append(future.result())
            progress(_progress_line(len(results), len(jobs), started))
    progress("\n")
    return sorted(results, key=lambda r: (r.job.snapshot_index, r.job.opponent, r.job.game_index))


# --- reporting -------------------------------------------------------------------------


def bot_anchors(ladder_results_path: Optional[str]) -> dict[str, float]:
    """Bot Elo anchors from the measured ladder (bench/results/bot_ladder.json) or defaults."""
    if ladder_results_path and os.path.isfile(ladder_results_path):
        with open(ladder_results_path) as f:
            ladder = json.load(f)
        rates = ladder.get("adjacent_win_rates")
        levels = ladder.get("levels")
        if rates and levels:
            return ladder_anchors({k.lower(): v for k, v in rates.items()}, [l.lower() for l in levels])
    return dict(DEFAULT_BOT_ELO)


def summarize(
    sources: list[SnapshotSource], results: list[GameResult], opponents: Sequence[str], anchors: dict[str, float]
) -> dict[str, Any]:
    snapshots = []
    for index, source in enumerate(sources):
        mine = [r for r in results if r.job.snapshot_index == index]
        reports = []
        elo_games = []
        for opponent in opponents:
            games = [r for r in mine if r.job.opponent == opponent]
            record = Record()
            for r in games:
                record = record.add(r.outcome)
                if opponent in anchors:
                    elo_games.append((anchors[opponent], {"win": 1.0, "draw": 0.5, "loss": 0.0}[r.outcome]))
            reports.append(dataclasses.asdict(opponent_report(f"bot:{opponent}", record, [r.game_loops for r in games])))
        elo = dataclasses.asdict(estimate_elo(elo_games)) if elo_games else None
        snapshots.append(
            {
                "label": source.label,
                "player_id": source.player_id,
                "version": source.version,
                "path": source.params_path,
                "opponents": reports,
                "elo": elo,
                "replays": [r.replay_path for r in mine if r.replay_path],
            }
        )
    return {"snapshots": snapshots, "bot_elo_anchors": anchors}


def record_in_store(store_path: str, sources: list[SnapshotSource], results: list[GameResult], map_name: str) -> int:
    """Evaluation games into the league store (idempotent by game id); returns how many were new."""
    from league.config import LeagueConfig
    from league.scoring import ScoringRules
    from league.store import LeagueStore, MatchRecord

    rules = ScoringRules.from_config(LeagueConfig())
    added = 0
    with LeagueStore(store_path) as store:
        for r in results:
            source = sources[r.job.snapshot_index]
            if not source.player_id:
                continue
            match = MatchRecord(
                match_id=f"eval:{source.player_id}:v{source.version}:{r.job.opponent}:{r.job.seed}",
                kind="eval",
                player_id=source.player_id,
                opponent_id=f"bot:{r.job.opponent}",
                player_version=source.version,
                map=map_name,
                seed=r.job.seed,
                save_replay=bool(r.replay_path),
                created_at=time.time(),
                outcome=r.outcome,
                game_loops=r.game_loops,
                replay_path=r.replay_path or None,
            )
            added += store.record_eval(match, rules).accepted
    return added
