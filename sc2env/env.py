"""One environment interface for both backends.

`make_env(backend="embedded" | "sc2", ...)` returns an object satisfying `Env`. The
embedded engine lives in `sc2env.engine`, the real game's client in `sc2env.sc2api`;
both return the same `TimeStep`/`Observation` types (sc2env.types).
"""

from __future__ import annotations

from typing import Protocol, Sequence

from sc2env.types import Action, GameInfo, Player, TimeStep


class EnvError(RuntimeError):
    """The environment could not do what was asked; the message says why and what to do."""


class Env(Protocol):
    """A game with one or more agents (bots are driven inside the environment).

    `reset()` and `step()` return one TimeStep per agent seat, in seat order.
    `step(actions)` takes one action (a list of RawCommands) per agent seat and
    advances the game by `step_mul` game loops.
    """

    step_mul: int
    seed: int
    # File name ending of what save_replay() writes: ".slrp" for the embedded engine's
    # replays, ".SC2Replay" for real StarCraft II replays.
    replay_suffix: str

    @property
    def game_info(self) -> GameInfo: ...

    def reset(self) -> list[TimeStep]: ...

    def step(self, actions: Sequence[Action]) -> list[TimeStep]: ...

    def save_replay(self, path: str) -> str: ...

    def close(self) -> None: ...


BACKENDS = ("embedded", "sc2")


def make_env(
    backend: str = "embedded",
    map: str = "Simple64",
    players: Sequence[Player] = (),
    step_mul: int = 8,
    seed: int = 0,
    **kwargs,
) -> Env:
    """Build an environment. `players` lists every seat: AgentPlayer or BotPlayer.

    Extra keyword arguments go to the backend (e.g. game_loop_limit for the embedded
    engine, sc2_path / host / port for the sc2 backend).
    """
    if backend == "embedded":
        from sc2env.engine.environment import EmbeddedEnv

        return EmbeddedEnv(map_name=map, players=list(players), step_mul=step_mul, seed=seed, **kwargs)
    if backend == "sc2":
        from sc2env.sc2api.environment import SC2ApiEnv

        return SC2ApiEnv(map_name=map, players=list(players), step_mul=step_mul, seed=seed, **kwargs)
    raise EnvError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


import dataclasses


@dataclasses.dataclass
class EnvConfig:
    """Which game to play and how; passed to make_env."""

    backend: str = "embedded"
    map: str = "Simple64"
    step_mul: int = 8
    # Game loops after which a melee game is a tie (22.4 loops = 1 game second).
    game_loop_limit: int = 22400
    # Where the real StarCraft II is installed (sc2 backend); empty = $SC2PATH.
    sc2_path: str = ""
