"""Scenario hook: custom games (the pysc2 mini-games) on the embedded engine.

A scenario defines the map, the initial units of each player, a per-step reward and
termination rule, and (re)spawn logic. `EmbeddedEnv(map_name=NAME, ...)` plays the
scenario registered under NAME instead of a melee game; `sc2env.engine.minigames`
registers its scenarios on import (it is imported lazily by `get_scenario`).

Writing one::

    from sc2env.engine.scenario import Scenario, register_scenario
    from sc2env.engine.maps import flat_map

    class MoveToBeacon(Scenario):
        name = "MoveToBeacon"
        game_loop_limit = 120 * 16          # pysc2: 120 game seconds
        def make_map(self):
            return flat_map("MoveToBeacon", 64, 64)
        def setup(self, game, rng):
            game.add_unit(48, owner=1, x=..., y=...)            # SC2 UnitTypeId 48 = Marine
            self.beacon = game.add_unit(317, owner=16, x=..., y=...)  # neutral Beacon_Terran
        def reward_and_done(self, game, events):
            ... return [reward_for_player_1], done

    register_scenario("MoveToBeacon", MoveToBeacon)

`game` is an `sc2env.engine.game.Game`: `game.add_unit`, `game.remove_unit`,
`game.units(owner, unit_type)` (slots), `game.position(slot)`, `game.state` (arrays,
see sc2env/engine/state.py), `game.state.pl` (minerals, mined totals per player).
`events` is a `StepEvents`: units that died this step ((unit_type, owner, slot, tag)
tuples), and the minerals / vespene each player collected this step.
Scenario players that are not agents stay passive unless `setup` gives their units
orders (e.g. `game.command(2, RawCommand(...))`); the melee victory rule is off.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Callable

import numpy as np

from sc2env.engine.maps import MapSpec


@dataclasses.dataclass
class StepEvents:
    """What happened during one agent step (step_mul game loops)."""

    deaths: list[tuple[int, int, int, int]] = dataclasses.field(default_factory=list)  # (unit_type, owner, slot, tag)
    collected_minerals: dict[int, int] = dataclasses.field(default_factory=dict)  # player -> minerals this step
    collected_vespene: dict[int, int] = dataclasses.field(default_factory=dict)
    trained: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)  # (unit_type, owner, slot)


class Scenario:
    """Base class of a scenario. Subclasses override the methods below."""

    name: str = "Scenario"
    # Game loops after which the episode ends (pysc2 mini-games use a time limit).
    game_loop_limit: int = 22400
    # Player ids whose observations agents get (seats in order).
    agent_players: tuple[int, ...] = (1,)
    # Starting resources per player.
    start_minerals: int = 0
    start_vespene: int = 0

    def make_map(self) -> MapSpec:
        raise NotImplementedError

    def setup(self, game, rng: np.random.Generator) -> None:
        """Place the initial units (and anything the scenario tracks). Called on reset."""
        raise NotImplementedError

    def reward_and_done(self, game, events: StepEvents) -> tuple[list[float], bool]:
        """After each agent step: reward per agent seat, and whether the episode ends.

        Respawn logic goes here too (e.g. new zerglings when all are dead).
        """
        raise NotImplementedError


_REGISTRY: dict[str, Callable[[], Scenario]] = {}
_LOADED = False


class ScenarioError(KeyError):
    """No scenario of that name is registered."""


def register_scenario(name: str, factory: Callable[[], Scenario]) -> None:
    """Register a scenario factory (a class or a zero-argument function) under a map name."""
    _REGISTRY[name] = factory


def _load_builtin() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        try:
            importlib.import_module("sc2env.engine.minigames")
        except ModuleNotFoundError as error:
            if error.name != "sc2env.engine.minigames":
                raise


def scenario_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def is_scenario(name: str) -> bool:
    _load_builtin()
    return name in _REGISTRY


def get_scenario(name: str) -> Scenario:
    _load_builtin()
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ScenarioError(f"no scenario named {name!r}; registered: {sorted(_REGISTRY)}") from None
