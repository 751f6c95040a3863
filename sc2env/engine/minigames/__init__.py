"""The seven pysc2 mini-games as embedded-engine scenarios (rules: pysc2 docs/mini_games.md).

Importing this package registers them with `sc2env.engine.scenario`, so
`make_env(backend="embedded", map="MoveToBeacon", players=[AgentPlayer()])` plays one.
"""

from sc2env.engine.minigames.combat import DefeatRoaches, DefeatZerglingsAndBanelings, FindAndDefeatZerglings
from sc2env.engine.minigames.economy import BuildMarines, CollectMineralsAndGas
from sc2env.engine.minigames.navigation import CollectMineralShards, MoveToBeacon
from sc2env.engine.scenario import register_scenario

MINI_GAMES = (
    MoveToBeacon,
    CollectMineralShards,
    FindAndDefeatZerglings,
    DefeatRoaches,
    DefeatZerglingsAndBanelings,
    CollectMineralsAndGas,
    BuildMarines,
)
for _game in MINI_GAMES:
    register_scenario(_game.name, _game)

__all__ = [g.__name__ for g in MINI_GAMES] + ["MINI_GAMES"]
