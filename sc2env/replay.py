"""Embedded-engine replays: a small file from which a game is re-simulated exactly.

A replay holds the map, seed, seats (parse_player specs), step_mul, game-loop limit,
the engine version, every agent command per step, the result, and state hashes (every
64 steps and at the end) that prove a re-simulation is bit-identical. Bots are not
logged: they are deterministic given their seed, so they replay themselves.

File format: the magic line b"STARLEAGUE-REPLAY 1\\n" then zstd-compressed JSON (never
pickle). A corrupt, truncated, foreign or mismatched file raises `ReplayError`.

    save_replay(env, path) -> path               (EmbeddedEnv.save_replay calls this)
    save_game_replay(game, path, players) -> path   a Game driven directly (SC2 API server): its command log
    load_replay(path) -> Replay
    verify_replay(path) -> Replay                re-simulates, raises ReplayError on any hash mismatch
    iter_replay_frames(path, fog=True) -> Iterator[ReplayFrame]   full state + per-player views
    viewer_game_from_replay(path, every=4) -> sc2env.replay_viewer.ViewerGame
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Iterator, Optional

import numpy as np
import zstandard

from sc2env.types import Observation, Result, parse_player

MAGIC = b"STARLEAGUE-REPLAY 1\n"
FORMAT_VERSION = 1
MAX_JSON_BYTES = 256 * 1024 * 1024


class ReplayError(ValueError):
    """A replay file that cannot be read or does not reproduce; the message says which and why."""


@dataclasses.dataclass
class Replay:
    map_name: str
    seed: int
    players: list[str]
    step_mul: int
    game_loop_limit: int
    engine_version: str
    actions: list[list[list[dict]]]  # [step][agent seat] -> command dicts
    result: dict[int, str]  # player id -> Result name
    game_loop: int
    final_hash: str
    hashes: list[tuple[int, str]]  # (steps done, state hash)
    # "env": an EmbeddedEnv game (agent actions per step; bots replay themselves).
    # "game": a Game driven from outside (e.g. the SC2 API server): its full command/step log.
    kind: str = "env"
    game_log: list = dataclasses.field(default_factory=list)
    # Fingerprint of the built-in bots' code when a seat is a bot ("" otherwise): bots
    # are not logged but re-run from their seed, so other bot code cannot reproduce the game.
    bots_version: str = ""

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["format"] = FORMAT_VERSION
        d["result"] = {str(k): v for k, v in self.result.items()}
        return d


def replay_of(env) -> Replay:
    """The Replay of an EmbeddedEnv's current game."""
    from sc2env.engine.environment import player_spec

    game = env.game
    if game is None:
        raise ReplayError("no game to save: call reset() and play first")
    if not env.record_actions or env.disable_fog:
        raise ReplayError("this env was made with record_actions=False or disable_fog: it keeps no replayable log")
    return Replay(map_name=env.map_name, seed=env.seed, players=[player_spec(p) for p in env.players],
                  step_mul=env.step_mul, game_loop_limit=env.game_loop_limit,
                  engine_version=_engine_version(), actions=env.action_log,
                  result={p: r.name for p, r in game.results.items()}, game_loop=game.game_loop,
                  final_hash=game.state_hash(), hashes=list(env.hash_log),
                  bots_version=_bots_version() if env.bots else "")


def _bots_version() -> str:
    """sha256 (12 hex) of the built-in bots' source: changes whenever their behaviour may."""
    import glob
    import hashlib

    import sc2env.bots

    digest = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(os.path.dirname(sc2env.bots.__file__), "*.py"))):
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:12]


def _engine_version() -> str:
    from sc2env.engine.game import ENGINE_VERSION

    return ENGINE_VERSION


def game_replay_of(game, players) -> Replay:
    """The Replay of a melee `sc2env.engine.game.Game` driven directly (its command/step log)."""
    return Replay(map_name=game.map.name, seed=game.seed, players=list(players), step_mul=0,
                  game_loop_limit=game.game_loop_limit, engine_version=_engine_version(), actions=[],
                  result={p: r.name for p, r in game.results.items()}, game_loop=game.game_loop,
                  final_hash=game.state_hash(), hashes=[], kind="game", game_log=list(game.log))


def save_game_replay(game, path: str, players=("agent:terran", "agent:terran")) -> str:
    """Write a directly driven Game (melee map) as a replay file; `players` are parse_player specs."""
    return _write(game_replay_of(game, players), path)


def save_replay(env, path: str) -> str:
    """Write env's game as a replay file (atomically: temp file + rename); returns the path."""
    return _write(replay_of(env), path)


def _write(replay: Replay, path: str) -> str:
    data = MAGIC + zstandard.ZstdCompressor(level=10).compress(json.dumps(replay.to_json()).encode())
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".replay-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _require(d: dict, key: str, kind, path: str):
    if key not in d or not isinstance(d[key], kind):
        raise ReplayError(f"{path}: field {key!r} missing or not {getattr(kind, '__name__', kind)}")
    return d[key]


def load_replay(path: str) -> Replay:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as error:
        raise ReplayError(f"cannot read replay {path}: {error}") from error
    if not raw.startswith(MAGIC):
        raise ReplayError(f"{path} is not a starleague replay (bad magic header)")
    try:
        body = zstandard.ZstdDecompressor().decompress(raw[len(MAGIC):], max_output_size=MAX_JSON_BYTES)
        d = json.loads(body)
    except (zstandard.ZstdError, ValueError, UnicodeDecodeError) as error:
        raise ReplayError(f"{path} is corrupt (zstd/JSON): {error}") from error
    if not isinstance(d, dict):
        raise ReplayError(f"{path}: top level is not an object")
    if d.get("format") != FORMAT_VERSION:
        raise ReplayError(f"{path}: replay format {d.get('format')!r}, this reader knows {FORMAT_VERSION}")
    players = _require(d, "players", list, path)
    try:
        for spec in players:
            parse_player(spec)
    except (ValueError, KeyError, AttributeError) as error:
        raise ReplayError(f"{path}: bad player spec: {error}") from error
    actions = _require(d, "actions", list, path)
    for step in actions:
        if not isinstance(step, list) or not all(isinstance(seat, list) for seat in step):
            raise ReplayError(f"{path}: action log is malformed")
    return Replay(map_name=_require(d, "map_name", str, path), seed=_require(d, "seed", int, path), players=players,
                  step_mul=_require(d, "step_mul", int, path), game_loop_limit=_require(d, "game_loop_limit", int, path),
                  engine_version=_require(d, "engine_version", str, path), actions=actions,
                  result={int(k): v for k, v in _require(d, "result", dict, path).items()},
                  game_loop=_require(d, "game_loop", int, path), final_hash=_require(d, "final_hash", str, path),
                  hashes=[(int(a), str(b)) for a, b in _require(d, "hashes", list, path)],
                  kind=d.get("kind", "env"), game_log=d.get("game_log", []), bots_version=d.get("bots_version", ""))


def _env_for(replay: Replay):
    from sc2env.engine.environment import EmbeddedEnv

    if replay.engine_version != _engine_version():
        raise ReplayError(f"replay made by engine {replay.engine_version!r}, this is {_engine_version()!r}: "
                          "it cannot be reproduced exactly")
    if replay.bots_version and replay.bots_version != _bots_version():
        raise ReplayError(f"replay's built-in bots are version {replay.bots_version}, this install's are "
                          f"{_bots_version()}: the bots' moves, which replays re-run from their seed, would differ")
    try:
        return EmbeddedEnv(replay.map_name, [parse_player(p) for p in replay.players], replay.step_mul, replay.seed,
                           game_loop_limit=replay.game_loop_limit)
    except Exception as error:  # unknown map etc.
        raise ReplayError(f"cannot rebuild the replay's game: {error}") from error


@dataclasses.dataclass
class ReplayFrame:
    step: int
    game_loop: int
    units: np.ndarray  # UNIT_DTYPE: every unit (full state, alliance relative to player 1)
    observations: dict[int, Observation]  # player id -> that player's fogged observation
    state_hash: Optional[str] = None


def _frames(replay: Replay, fog: bool = True, check: bool = True) -> Iterator[ReplayFrame]:
    from sc2env.engine.environment import command_from_dict
    from sc2env.engine.observe import unit_table

    if replay.kind == "game":
        yield from _game_frames(replay, fog, check)
        return
    if replay.kind != "env":
        raise ReplayError(f"unknown replay kind {replay.kind!r}")
    env = _env_for(replay)
    env.reset()
    game = env.game
    players = (1, 2) if env.scenario is None else tuple(env.scenario.agent_players)
    checkpoints = dict(replay.hashes)

    def frame(step: int) -> ReplayFrame:
        obs = {p: game.observe(p) for p in players} if fog else {}
        return ReplayFrame(step, game.game_loop, unit_table(game, 1, fog=False), obs)

    yield frame(0)
    for step, seat_actions in enumerate(replay.actions, start=1):
        if env._done:
            raise ReplayError(f"replay has actions after the game ended (step {step})")
        try:
            actions = [[command_from_dict(c) for c in seat] for seat in seat_actions]
        except (KeyError, TypeError, ValueError) as error:
            raise ReplayError(f"malformed command at step {step}: {error}") from error
        env.step(actions)
        if check and step in checkpoints and checkpoints[step] != game.state_hash():
            raise ReplayError(f"re-simulation diverged at step {step} (state hash mismatch)")
        yield frame(step)
    if check:
        if game.state_hash() != replay.final_hash or game.game_loop != replay.game_loop:
            raise ReplayError("re-simulation does not end in the recorded state (final hash mismatch)")
        got = {p: r.name for p, r in game.results.items()}
        if got != replay.result:
            raise ReplayError(f"re-simulated result {got} differs from the recorded {replay.result}")


def _game_frames(replay: Replay, fog: bool, check: bool) -> Iterator[ReplayFrame]:
    from sc2env.engine.commands import command_from_dict
    from sc2env.engine.game import Game
    from sc2env.engine.observe import unit_table

    if replay.engine_version != _engine_version():
        raise ReplayError(f"replay made by engine {replay.engine_version!r}, this is {_engine_version()!r}")
    try:
        game = Game.melee_game(replay.map_name, seed=replay.seed, game_loop_limit=replay.game_loop_limit)
    except Exception as error:
        raise ReplayError(f"cannot rebuild the replay's game: {error}") from error

    def frame(step: int) -> ReplayFrame:
        obs = {p: game.observe(p) for p in (1, 2)} if fog else {}
        return ReplayFrame(step, game.game_loop, unit_table(game, 1, fog=False), obs)

    yield frame(0)
    step = 0
    for entry in replay.game_log:
        try:
            if entry[0] == "c":
                game.command(int(entry[1]), command_from_dict(entry[2]))
            elif entry[0] == "s":
                if game.is_over():
                    raise ReplayError("replay steps past the end of the game")
                game.step(int(entry[1]))
                step += 1
                yield frame(step)
            else:
                raise ReplayError(f"unknown game-log entry {entry[0]!r}")
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise ReplayError(f"malformed game-log entry {entry!r}: {error}") from error
    if check and (game.state_hash() != replay.final_hash or game.game_loop != replay.game_loop):
        raise ReplayError("re-simulation does not end in the recorded state (final hash mismatch)")


def iter_replay_frames(path: str, fog: bool = True) -> Iterator[ReplayFrame]:
    """Re-simulate a replay: one frame per agent step (step 0 = after reset), hashes checked."""
    yield from _frames(load_replay(path), fog=fog)


def verify_replay(path: str) -> Replay:
    """Re-simulate the replay and check every recorded hash and the result; returns the Replay."""
    replay = load_replay(path)
    for _ in _frames(replay, fog=False):
        pass
    return replay


def viewer_game_from_replay(path: str, every: int = 4):
    """A sc2env.replay_viewer.ViewerGame of the replay (every `every`-th step)."""
    from sc2env.engine.gamedata import load_unit_types
    from sc2env.engine.maps import melee_map
    from sc2env.replay_viewer import ViewerFrame, ViewerGame

    replay = load_replay(path)
    frames = []
    spec = None
    for f in _frames(replay, fog=True):
        if f.step % every and f.step != len(replay.actions):
            continue
        observed = []
        for p in sorted(f.observations):
            tags = f.observations[p].units["tag"]
            observed.append(np.isin(f.units["tag"], tags))
        frames.append(ViewerFrame(f.game_loop, f.units, observed,
                                  [f.observations[p].map.visibility for p in sorted(f.observations)],
                                  [f.observations[p].player for p in sorted(f.observations)]))
        spec = f.observations[1].map if f.observations else spec
    types = load_unit_types()
    try:
        terrain = melee_map(replay.map_name)
        height, pathable = terrain.terrain_height, terrain.pathable
    except Exception:
        height, pathable = spec.height, spec.pathable
    result = ", ".join(f"P{p}: {r}" for p, r in sorted(replay.result.items()))
    return ViewerGame(title=f"{replay.map_name} seed {replay.seed}", map_name=replay.map_name, height_map=height,
                      pathable=pathable, player_names=replay.players,
                      unit_names={int(u): n for u, n in zip(types.unit_id, types.names)}, frames=frames, result=result)


__all__ = ["Replay", "ReplayError", "ReplayFrame", "save_replay", "save_game_replay", "load_replay", "verify_replay",
           "iter_replay_frames", "viewer_game_from_replay", "Result"]
