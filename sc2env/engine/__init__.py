"""The embedded engine: a headless, deterministic Terran-vs-Terran StarCraft II-like game.

Real SC2 ids and numbers (sc2env/engine/data/units.json, generated from the real game's
ResponseData by sc2env/engine/data/generate.py). See README.md beside this file for the
state arrays, the simulation order and the scenario hook.

Engine-level API (what the SC2 API server, the env and the replay tools call)::

    from sc2env.engine.game import Game, EngineError, ENGINE_VERSION
    game = Game.melee_game(map_name: str, seed: int = 0, game_loop_limit: int = 22400) -> Game
    game = Game(map_spec: MapSpec, seed=0, races=(Race.Terran, Race.Terran), game_loop_limit=22400,
                melee=True, fog_of_war=True)                  # any map (maps.melee_map / maps.flat_map)
    game.command(player: int, cmd: RawCommand) -> list[ActionError]     # also queued for the next observation
    game.apply_commands(player: int, cmds: Sequence[RawCommand]) -> list[ActionError]
    game.step(n_loops: int) -> StepEvents                     # deaths, trained units, resources collected
    game.observe(player: int, observe_opponent: bool = False) -> Observation   # fogged, takes action errors
    game.game_info(player: int = 1) -> GameInfo               # map size, playable area, enemy start, races
    game.map -> MapSpec                                       # width, height, terrain_height/pathable/placeable
                                                              # grids [y, x], start_locations, bases
    game.game_loop -> int;  game.is_over() -> bool;  game.result(player) -> Result;  game.results
    game.state_hash() -> str                                  # sha256 over the state arrays
    game.add_unit(unit_type, owner, x, y, *, built=True, contents=0.0) -> slot
    game.remove_unit(slot); game.teleport(slot, x, y); game.units(owner, unit_type=None) -> slots
    game.position(slot) -> (x, y); game.tag(slot) -> int; game.unit_type(slot) -> int
    game.army_supply(player) -> float

    from sc2env.engine.environment import EmbeddedEnv        # the sc2env.env.Env implementation
    EmbeddedEnv(map_name, players, step_mul=8, seed=0, game_loop_limit=22400, observe_opponent=False)

    from sc2env.replay import save_replay, load_replay, verify_replay, iter_replay_frames, ReplayError

Players are ids 1 and 2; neutral units (minerals, geysers, markers) have owner 16.
"""

import hashlib
import os
import pathlib


def _cache_numba_by_engine_source() -> None:
    """Key numba's on-disk cache by the engine's whole source, not per file.

    numba revalidates a cached kernel against its own file only, and the kernels inline
    helpers from other files (pathing.blocked into kernel.simulate): after a change to
    pathing.py alone, kernel.py's cache would keep the old helper. A directory per source
    hash makes any engine edit recompile. NUMBA_CACHE_DIR, when set, is left to the user.
    """
    import numba

    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = pathlib.Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        digest.update(path.relative_to(here).as_posix().encode())
        digest.update(path.read_bytes())
    cache = here / "__pycache__" / f"numba-{digest.hexdigest()[:16]}"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only install: numba falls back to its own cache locations
    numba.config.CACHE_DIR = str(cache)


_cache_numba_by_engine_source()

from sc2env.engine.game import ENGINE_VERSION, EngineError, Game  # noqa: E402,F401
