"""One hosted embedded game as the SC2 API sees it: seats, joins, lockstep steps.

The SC2 API lets each participant send actions whenever it likes and advances the game
when every participant has asked to step (the real game's lockstep). This room collects
each agent's raw commands, and when all agents have sent `step(count)` it runs one
`EmbeddedEnv.step` of `count` game loops with everyone's commands, then caches every
agent's Observation for its `observation` requests. Computer players are the engine's
bots inside the EmbeddedEnv, exactly as with make_env(backend="embedded"), so the same
seed and commands give the same observations on both paths.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Callable, Optional, Sequence

from s2clientprotocol import error_pb2, sc2api_pb2, score_pb2

from sc2env.sc2api.conversion import game_info_to_proto, observation_to_proto
from sc2env.types import AgentPlayer, BotPlayer, Player, RawCommand, Result, TimeStep


class RoomError(Exception):
    """A request the hosted game cannot honour; `code` is the SC2 API error enum name."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


EnvFactory = Callable[..., object]


class GameRoom:
    """The game created by create_game; agents join it by seat order."""

    def __init__(self, map_name: str, local_map_path: str, players: Sequence[Player], seed: int,
                 game_loop_limit: int, env_factory: EnvFactory):
        self.map_name = map_name
        self.local_map_path = local_map_path
        self.players = list(players)
        self.seed = seed
        self.game_loop_limit = game_loop_limit
        self._env_factory = env_factory
        self.agent_seats = [i for i, p in enumerate(self.players) if isinstance(p, AgentPlayer)]
        self.joined: dict[int, AgentPlayer] = {}  # player id -> the seat as joined (race from join_game)
        self._all_joined = asyncio.Event()
        self.env = None
        self.timesteps: dict[int, TimeStep] = {}
        self.curriculum_score: dict[int, float] = {}  # scenario maps: cumulative reward per player
        self._pending: dict[int, list[RawCommand]] = {}
        self._step_requests: dict[int, int] = {}
        self._step_done: Optional[asyncio.Future] = None
        self.left: set[int] = set()

    # -------------------------------------------------------------- joining

    @property
    def player_ids(self) -> list[int]:
        """Player ids of the agent seats, in seat order (melee: seat k plays player k+1)."""
        return [seat + 1 for seat in self.agent_seats]

    def claim_seat(self, race: int, name: str) -> int:
        free = [pid for pid in self.player_ids if pid not in self.joined]
        if not free:
            raise RoomError("every participant seat is taken", code="GameFull")
        player_id = free[0]
        seat = self.players[player_id - 1]
        joined_race = race or int(seat.race)
        self.joined[player_id] = AgentPlayer(race=type(seat.race)(joined_race), name=name or seat.name)
        self.players[player_id - 1] = self.joined[player_id]
        if len(self.joined) == len(self.player_ids):
            self._start()
            self._all_joined.set()
        return player_id

    async def wait_for_everyone(self, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(self._all_joined.wait(), timeout_s)
        except asyncio.TimeoutError:
            raise RoomError(f"not every participant joined within {timeout_s:.0f}s", code="OtherError") from None

    def _start(self) -> None:
        self.env = self._env_factory(map_name=self.map_name, players=self.players, step_mul=1, seed=self.seed,
                                     game_loop_limit=self.game_loop_limit)
        steps = self.env.reset()
        self.timesteps = dict(zip(self.player_ids, steps))

    def game_info(self, player_id: int) -> sc2api_pb2.ResponseGameInfo:
        """This player's ResponseGameInfo. Pathing and placement grids are the current ones (as the
        real game answers a later game_info request): structures change them during the game."""
        info = self.env.game_info_for(player_id) if hasattr(self.env, "game_info_for") else self.env.game_info
        planes = self.timesteps[player_id].observation.map
        return game_info_to_proto(info, planes.height, planes.pathable, planes.placeable, self.players,
                                  self.local_map_path)

    # -------------------------------------------------------------- playing

    @property
    def ended(self) -> bool:
        return any(step.last() for step in self.timesteps.values())

    def results(self) -> list[tuple[int, Result]]:
        """player_result for every player once the game is over (bots included), else []."""
        if not self.ended:
            return []
        return [(player_id, self.env.game.result(player_id)) for player_id in range(1, len(self.players) + 1)]

    def observation(self, player_id: int) -> sc2api_pb2.ResponseObservation:
        response = observation_to_proto(self.timesteps[player_id].observation, self.results())
        if self.is_scenario:
            # Mini-game maps report their own cumulative reward as a Curriculum score (as the real
            # mini-game maps do; pysc2 turns its change into the step reward).
            response.observation.score.score_type = score_pb2.Score.Curriculum
            response.observation.score.score = int(round(self.curriculum_score.get(player_id, 0.0)))
        return response

    @property
    def is_scenario(self) -> bool:
        return getattr(self.env, "scenario", None) is not None

    def act(self, player_id: int, commands: Sequence[Optional[RawCommand]]) -> list[int]:
        """Queue commands for the next step; one ActionResult per action (Success, or NotSupported
        for non-raw actions). Rejections by the game come back in the next observation."""
        results = []
        for command in commands:
            if command is None:
                results.append(error_pb2.NotSupported)
            else:
                self._pending.setdefault(player_id, []).append(command)
                results.append(error_pb2.Success)
        return results

    async def step(self, player_id: int, count: int) -> int:
        """Wait for every agent to ask for a step, then advance `count` loops once for all."""
        if self.ended:
            return self.game_loop
        gone = sorted(set(self.player_ids) & self.left - {player_id})
        if gone:
            raise RoomError(f"player {gone[0]} left the game; it cannot go on", code="OtherError")
        if self._step_done is None or self._step_done.done():
            self._step_done = asyncio.get_running_loop().create_future()
        done = self._step_done
        self._step_requests[player_id] = max(1, count)
        if len(self._step_requests) == len(self.player_ids):
            loops = min(self._step_requests.values())
            actions = [self._pending.get(pid, []) for pid in self.player_ids]
            self._pending, self._step_requests = {}, {}
            try:
                self.env.step_mul = loops
                steps = self.env.step(actions)
                self.timesteps = dict(zip(self.player_ids, steps))
                for pid, timestep in self.timesteps.items():
                    self.curriculum_score[pid] = self.curriculum_score.get(pid, 0.0) + timestep.reward
                done.set_result(None)
            except Exception as error:  # every waiting player sees the failure
                done.set_exception(error)
        await done
        return self.game_loop

    @property
    def game_loop(self) -> int:
        return next(iter(self.timesteps.values())).observation.game_loop if self.timesteps else 0

    def replay_bytes(self) -> bytes:
        """The embedded engine's own replay file of this game."""
        with tempfile.TemporaryDirectory(prefix="sc2-replay-") as folder:
            path = self.env.save_replay(os.path.join(folder, "game.SC2Replay"))
            with open(path, "rb") as file:
                return file.read()

    def leave(self, player_id: int) -> None:
        """A player left (or its connection dropped): nobody waits for its step any more."""
        self.left.add(player_id)
        if self._step_done is not None and not self._step_done.done():
            self._step_done.set_exception(RoomError(f"player {player_id} left the game", code="OtherError"))
            self._step_requests = {}

    @property
    def everyone_left(self) -> bool:
        return set(self.player_ids) <= self.left

    def close(self) -> None:
        if self.env is not None:
            self.env.close()
            self.env = None


def players_from_setup(setups: Sequence[sc2api_pb2.PlayerSetup]) -> list[Player]:
    """RequestCreateGame.player_setup -> our seats (Computer -> BotPlayer, Participant -> AgentPlayer)."""
    from sc2env.types import Difficulty, Race

    players: list[Player] = []
    for setup in setups:
        if setup.type == sc2api_pb2.Computer:
            build = sc2api_pb2.AIBuild.Name(setup.ai_build) if setup.HasField("ai_build") else "RandomBuild"
            players.append(BotPlayer(race=Race(setup.race or Race.Terran),
                                     difficulty=Difficulty(setup.difficulty or Difficulty.Easy), build=build))
        elif setup.type == sc2api_pb2.Participant:
            players.append(AgentPlayer(race=Race(setup.race or Race.Terran)))
        else:
            raise RoomError("observer seats are not supported by the embedded engine", code="InvalidPlayerSetup")
    return players
