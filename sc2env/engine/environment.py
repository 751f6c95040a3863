"""EmbeddedEnv: the embedded engine behind the `sc2env.env.Env` interface.

Melee maps (Simple64, Simple96) play a 1v1 with any mix of agent and bot seats; a map
name registered as a scenario (sc2env.engine.scenario, e.g. the mini-games) plays that
scenario. Bots (sc2env.bots.make_bot) see their own fogged Observation every agent step
and act through the same command path as agents. Each step: agent commands (seat order),
then bot commands (seat order), then `step_mul` game loops. Melee reward: +1 / -1 / 0
on the LAST step for win / loss / tie, 0 before.
"""

from __future__ import annotations

from typing import Optional, Sequence

from sc2env.engine.commands import command_from_dict, command_to_dict
from sc2env.engine.game import ENGINE_VERSION, Game
from sc2env.engine.maps import MELEE_MAPS, melee_map
from sc2env.engine.scenario import Scenario, get_scenario, is_scenario
from sc2env.env import EnvError
from sc2env.types import (Action, AgentPlayer, BotPlayer, GameInfo, Player, RawCommand, Result, StepType,
                          TimeStep)

MELEE_REWARD = {Result.Victory: 1.0, Result.Defeat: -1.0, Result.Tie: 0.0, Result.Undecided: 0.0}


def player_spec(player: Player) -> str:
    """The parse_player() string of a seat (stored in replays)."""
    if isinstance(player, BotPlayer):
        return f"bot:{player.difficulty.name.lower()}:{player.race.name.lower()}"
    return f"agent:{player.race.name.lower()}"


def _make_bot(player: BotPlayer, seed: int):
    try:
        from sc2env.bots import make_bot
    except ImportError as error:  # the bots package is another part of the project
        raise EnvError(f"bot seats need sc2env.bots.make_bot, which failed to import: {error}") from error
    return make_bot(player, seed=seed)


class EmbeddedEnv:
    """Env over the embedded engine. See the module docstring; kwargs: game_loop_limit, observe_opponent."""

    def __init__(self, map_name: str = "Simple64", players: Sequence[Player] = (), step_mul: int = 8,
                 seed: int = 0, game_loop_limit: int = 22400, observe_opponent: bool = False, **kwargs) -> None:
        unknown = set(kwargs) - {"realtime", "disable_fog", "record_actions"}
        if unknown:
            raise EnvError(f"EmbeddedEnv got unknown options {sorted(unknown)}")
        if step_mul < 1:
            raise EnvError(f"step_mul must be >= 1, got {step_mul}")
        self.map_name = map_name
        self.step_mul = int(step_mul)
        self.seed = int(seed)
        self.observe_opponent = observe_opponent
        # record_actions=False skips the action log (no replay); disable_fog shows every unit
        # (like the SC2 API's DisableFog); realtime is accepted and ignored (always headless, lockstep).
        self.record_actions = kwargs.get("record_actions", True)
        self.disable_fog = bool(kwargs.get("disable_fog", False))
        self.scenario: Optional[Scenario] = None
        if is_scenario(map_name):
            self.scenario = get_scenario(map_name)
            seats = list(players) or [AgentPlayer()]
            if len(seats) != len(self.scenario.agent_players):
                raise EnvError(f"scenario {map_name} has {len(self.scenario.agent_players)} agent seat(s), "
                               f"got {len(seats)} players")
            if any(not isinstance(p, AgentPlayer) for p in seats):
                raise EnvError(f"scenario {map_name} seats must be agents")
            self.game_loop_limit = int(self.scenario.game_loop_limit)
        elif map_name in MELEE_MAPS:
            seats = list(players)
            if len(seats) != 2:
                raise EnvError(f"a melee map needs exactly 2 players, got {len(seats)}")
            self.game_loop_limit = int(game_loop_limit)
        else:
            raise EnvError(f"unknown map {map_name!r}: melee maps {sorted(MELEE_MAPS)}, or a registered scenario")
        self.players = seats
        self.game: Optional[Game] = None
        self.bots: dict[int, object] = {}
        self.action_log: list[list[list[dict]]] = []
        self.hash_log: list[tuple[int, str]] = []
        self.steps_done = 0
        self._done = False

    # seat k (0-based) plays player id k+1 in melee; scenario seats map to scenario.agent_players
    @property
    def agent_player_ids(self) -> list[int]:
        if self.scenario is not None:
            return list(self.scenario.agent_players)
        return [k + 1 for k, p in enumerate(self.players) if isinstance(p, AgentPlayer)]

    @property
    def game_info(self) -> GameInfo:
        if self.game is None:
            self.reset()
        return self.game.game_info(self.agent_player_ids[0] if self.agent_player_ids else 1)

    def game_info_for(self, player: int) -> GameInfo:
        return self.game.game_info(player)

    def reset(self) -> list[TimeStep]:
        import numpy as np

        if self.scenario is not None:
            self.scenario = get_scenario(self.map_name)
            game = Game(self.scenario.make_map(), seed=self.seed, game_loop_limit=self.game_loop_limit, melee=False,
                        fog_of_war=getattr(self.scenario, "fog_of_war", True))
            for p in self.scenario.agent_players:
                game.state.pl[0, p] = self.scenario.start_minerals
                game.state.pl[1, p] = self.scenario.start_vespene
            self.scenario.setup(game, np.random.Generator(np.random.PCG64(self.seed)))
            game._update_food()
            game._update_visibility()
        else:
            game = Game(melee_map(self.map_name), seed=self.seed, game_loop_limit=self.game_loop_limit, melee=True,
                        races=tuple(p.race for p in self.players), fog_of_war=not self.disable_fog)
            self.bots = {k + 1: _make_bot(p, self.seed * 1000 + k + 1) for k, p in enumerate(self.players)
                         if isinstance(p, BotPlayer)}
        # The env keeps its own action log (replays re-run the bots), so the Game's command log (for
        # games driven directly, sc2env.replay.save_game_replay) would only cost a dict per command.
        game.record = False
        self.game = game
        self.action_log = []
        self.hash_log = []
        self.steps_done = 0
        self._done = False
        return [TimeStep(StepType.FIRST, 0.0, 1.0, self._observe(p)) for p in self.agent_player_ids]

    def _observe(self, player: int):
        return self.game.observe(player, observe_opponent=self.observe_opponent)

    def step(self, actions: Sequence[Action]) -> list[TimeStep]:
        if self.game is None or self._done:
            raise EnvError("call reset() before step() (the episode is over or not started)")
        ids = self.agent_player_ids
        if len(actions) != len(ids):
            raise EnvError(f"step() takes one action per agent seat ({len(ids)}), got {len(actions)}")
        game = self.game
        logged = []
        for player, action in zip(ids, actions):
            cmds = [c for c in action if isinstance(c, RawCommand)]
            game.apply_commands(player, cmds)
            if self.record_actions:
                logged.append([command_to_dict(c) for c in cmds])
        if self.record_actions:
            self.action_log.append(logged)
        for player, bot in self.bots.items():
            obs = game.observe(player)
            game.apply_commands(player, bot.act(obs, game.game_info(player)))
        events = game.step(self.step_mul)
        rewards = [0.0] * len(ids)
        if self.scenario is not None:
            rewards, done = self.scenario.reward_and_done(game, events)
            if game.game_loop >= self.game_loop_limit:
                done = True
            if done and not game.is_over():
                game.end_scenario()
        self.steps_done += 1
        if self.record_actions and self.steps_done % 64 == 0:
            self.hash_log.append((self.steps_done, game.state_hash()))
        over = game.is_over()
        steps = []
        for k, player in enumerate(ids):
            result = game.result(player) if over else Result.Undecided
            reward = float(rewards[k]) if self.scenario is not None else (MELEE_REWARD[result] if over else 0.0)
            steps.append(TimeStep(StepType.LAST if over else StepType.MID, reward, 0.0 if over else 1.0,
                                  self._observe(player), result))
        self._done = over
        return steps

    def run_bots_until_end(self, max_steps: int = 1_000_000) -> dict[int, Result]:
        """Bot-vs-bot: step until the game ends; returns the result per player id."""
        if self.game is None:
            self.reset()
        for _ in range(max_steps):
            self.step([])
            if self._done:
                break
        return dict(self.game.results)

    def save_replay(self, path: str) -> str:
        from sc2env.replay import save_replay

        return save_replay(self, path)

    def close(self) -> None:
        self.game = None
        self.bots = {}

    def __enter__(self) -> "EmbeddedEnv":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["EmbeddedEnv", "ENGINE_VERSION", "player_spec", "command_to_dict", "command_from_dict"]
