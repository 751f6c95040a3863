"""SC2ApiEnv: the `sc2env.env.Env` interface over the SC2 API (a real SC2_x64 or our server).

One process per agent seat; built-in bots are the game's Computer players. With two or
more agents the processes are joined like pysc2's multiplayer setup: the first creates
the game, every agent joins with the same server/client port set, and each step every
process is stepped in parallel (the game runs in lockstep). Any transport failure
(connection dropped, timeout, garbage answer) kills the processes and raises
SC2ApiError; the next reset() launches fresh ones.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import pathlib
import tempfile
from typing import Optional, Sequence

from s2clientprotocol import sc2api_pb2, score_pb2

from sc2env.sc2api.client import SC2Client
from sc2env.sc2api.conversion import game_info_from_proto, observation_from_proto, results_from_proto
from sc2env.sc2api.errors import SC2ApiError
from sc2env.sc2api.paths import SC2Install, find_install, find_map
from sc2env.sc2api.process import SC2Process, pick_unused_ports
from sc2env.types import Action, AgentPlayer, BotPlayer, GameInfo, Player, Result, StepType, TimeStep

log = logging.getLogger(__name__)

REWARDS = {Result.Victory: 1.0, Result.Defeat: -1.0, Result.Tie: 0.0, Result.Undecided: 0.0}


def interface_options() -> sc2api_pb2.InterfaceOptions:
    """The raw interface with score, the way our Observation reads it."""
    return sc2api_pb2.InterfaceOptions(raw=True, score=True, show_cloaked=True, raw_affects_selection=True)


def create_game_request(
    map_path: str, players: Sequence[Player], seed: int, map_data: bytes = b"", disable_fog: bool = False,
    realtime: bool = False,
) -> sc2api_pb2.RequestCreateGame:
    request = sc2api_pb2.RequestCreateGame(disable_fog=disable_fog, realtime=realtime, random_seed=seed & 0xFFFFFFFF)
    request.local_map.map_path = map_path
    if map_data:
        request.local_map.map_data = map_data
    for player in players:
        if isinstance(player, BotPlayer):
            request.player_setup.add(
                type=sc2api_pb2.Computer,
                race=int(player.race),
                difficulty=int(player.difficulty),
                ai_build=sc2api_pb2.AIBuild.Value(player.build),
            )
        else:
            request.player_setup.add(type=sc2api_pb2.Participant, race=int(player.race))
    return request


def join_game_requests(agents: Sequence[AgentPlayer], ports: Sequence[int]) -> list[sc2api_pb2.RequestJoinGame]:
    """One join per agent; with several agents all share the port set (pysc2's lan layout)."""
    requests = []
    for agent in agents:
        join = sc2api_pb2.RequestJoinGame(race=int(agent.race), player_name=agent.name, options=interface_options())
        if ports:
            join.shared_port = 0  # unused by the game, required to be set
            join.server_ports.game_port, join.server_ports.base_port = ports[0], ports[1]
            for i in range(len(agents) - 1):
                join.client_ports.add(game_port=ports[2 + 2 * i], base_port=ports[3 + 2 * i])
        requests.append(join)
    return requests


class SC2ApiEnv:
    """A game over the SC2 API; see the module docstring."""

    # save_replay() writes what the game's RequestSaveReplay returns.
    replay_suffix = ".SC2Replay"

    def __init__(
        self,
        map_name: str = "Simple64",
        players: Sequence[Player] = (),
        step_mul: int = 8,
        seed: int = 0,
        sc2_path: Optional[str] = None,
        build: Optional[int] = None,
        game_loop_limit: int = 22400,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 120.0,
        disable_fog: bool = False,
        realtime: bool = False,
        host: str = "127.0.0.1",
        refresh_grids: bool = True,
        observe_opponent: bool = False,
    ):
        if observe_opponent:
            raise SC2ApiError("observe_opponent needs the embedded engine: a real game shows each process only "
                              "its own player's view", kind="state")
        self.players = list(players) or [AgentPlayer(), BotPlayer()]
        self.agents = [p for p in self.players if isinstance(p, AgentPlayer)]
        if not self.agents:
            raise SC2ApiError("SC2ApiEnv needs at least one AgentPlayer seat", kind="state")
        if step_mul < 1:
            raise ValueError(f"step_mul must be >= 1, got {step_mul}")
        self.map_name = map_name
        self.step_mul = step_mul
        self.seed = seed
        self.game_loop_limit = game_loop_limit
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.disable_fog = disable_fog
        self.realtime = realtime
        self.host = host
        self.refresh_grids = refresh_grids
        self.install: SC2Install = find_install(sc2_path or None, build)
        self.map_file = find_map(self.install, map_name)
        self._processes: list[SC2Process] = []
        self._clients: list[SC2Client] = []
        self._game_infos: list[sc2api_pb2.ResponseGameInfo] = []
        self._game_info: Optional[GameInfo] = None
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._episode_over = True
        self._game_loop = 0
        self.episodes = 0

    # -------------------------------------------------------------- Env

    @property
    def game_info(self) -> GameInfo:
        if self._game_info is None:
            raise SC2ApiError("no game yet: call reset() first", kind="state")
        return self._game_info

    def reset(self) -> list[TimeStep]:
        try:
            if not self._clients:
                self._launch()
            elif self.episodes:
                self._parallel(lambda c: c.leave(), self._clients)
            self._create_and_join()
            self._episode_over = False
            self.episodes += 1
            return self._observe(first=True)
        except SC2ApiError as error:
            self._fail(error)
            raise
        except BaseException:  # Ctrl-C or a bug mid-handshake: no half-joined game survives
            self._abort()
            raise

    def step(self, actions: Sequence[Action]) -> list[TimeStep]:
        if self._episode_over:
            raise SC2ApiError("the episode is over (or never started): call reset()", kind="state")
        if len(actions) != len(self.agents):
            raise ValueError(f"step takes one action per agent seat ({len(self.agents)}), got {len(actions)}")
        try:
            self._parallel(lambda pair: pair[0].act(list(pair[1])), list(zip(self._clients, actions)))
            # Never past the limit: the embedded engine stops exactly there, so both backends agree.
            loops = max(1, min(self.step_mul, self.game_loop_limit - self._game_loop))
            self._parallel(lambda c: c.step(loops), self._clients)
            return self._observe(first=False)
        except SC2ApiError as error:
            self._fail(error)
            raise
        except BaseException:
            self._abort()
            raise

    def save_replay(self, path: str) -> str:
        """Write the host's replay of the current/last game to `path` (atomically); returns it."""
        if not self._clients:
            raise SC2ApiError("no game to save a replay of", kind="state")
        data = self._clients[0].save_replay()
        target = pathlib.Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, target)
        return str(target)

    def close(self) -> None:
        for client in self._clients:
            try:
                client.quit()
            except SC2ApiError as error:
                log.warning("quit: %s", error)
        self._clients = []
        for process in self._processes:
            process.close()
        self._processes = []
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        self._episode_over = True

    def __enter__(self) -> "SC2ApiEnv":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -------------------------------------------------------------- internals

    @property
    def processes(self) -> list[SC2Process]:
        return list(self._processes)

    def data(self) -> sc2api_pb2.ResponseData:
        """The game's ResponseData (units, abilities, upgrades, buffs, effects)."""
        return self._clients[0].data()

    def _parallel(self, fn, items: list):
        if len(items) == 1:
            return [fn(items[0])]
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(self.agents))
        futures = [self._pool.submit(fn, item) for item in items]
        results, errors = [], []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as error:  # wait for all, then raise the one that explains the rest
                errors.append(error)
                results.append(None)
        if errors:
            # A dead process makes its peers fail too ("player left"); report the dead one.
            restartable = [e for e in errors if isinstance(e, SC2ApiError) and e.restartable]
            raise (restartable or errors)[0]
        return results

    def _launch(self) -> None:
        for _ in self.agents:
            process = SC2Process(self.install, host=self.host)
            self._processes.append(process)
            try:
                client = SC2Client(self.host, process.port, self.timeout_s, self.connect_timeout_s,
                                   is_alive=lambda p=process: p.running)
            except SC2ApiError as error:
                raise SC2ApiError(f"{error}\nSC2 output:\n{process.log_tail()}", kind=error.kind) from error
            self._clients.append(client)
            ping = client.ping()
            if ping.base_build != self.install.base_build:
                raise SC2ApiError(
                    f"version mismatch: {process.install.binary} reports build {ping.base_build} "
                    f"({ping.game_version}) but was installed as Base{self.install.base_build}",
                    kind="version",
                )

    def _create_and_join(self) -> None:
        map_path = self.map_file.relative_to(self.install.maps_dir).as_posix()
        map_data = self.map_file.read_bytes()
        multi = len(self.agents) > 1
        if multi:
            # Every process needs the map in its own temp dir (pysc2 does the same).
            self._parallel(lambda c: c.save_map(map_path, map_data), self._clients)
        request = create_game_request(map_path, self.players, self.seed + self.episodes,
                                      b"" if multi else map_data, self.disable_fog, self.realtime)
        self._clients[0].create_game(request)
        ports = pick_unused_ports(2 * len(self.agents)) if multi else []
        joins = join_game_requests(self.agents, ports)
        self._player_ids = self._parallel(lambda pair: pair[0].join_game(pair[1]), list(zip(self._clients, joins)))
        self._last_score = [0] * len(self._clients)
        self._game_infos = self._parallel(lambda c: c.game_info(), self._clients)
        self._game_info = game_info_from_proto(self._game_infos[0])

    def _observe(self, first: bool) -> list[TimeStep]:
        def observe(index: int) -> sc2api_pb2.ResponseObservation:
            client = self._clients[index]
            response = client.observe()
            if not first and self.refresh_grids:
                # Pathing and placement change as structures go up and die; only game_info carries them.
                try:
                    self._game_infos[index] = client.game_info()
                except SC2ApiError as error:
                    if error.kind != "game" and error.kind != "state":
                        raise  # a game that refuses game_info after the end keeps the last grids
            return response

        responses = self._parallel(observe, list(range(len(self._clients))))
        steps = []
        for k, (player_id, response, info) in enumerate(zip(self._player_ids, responses, self._game_infos)):
            observation = observation_from_proto(response, info)
            results = results_from_proto(response.player_result)
            result = results.get(player_id, Result.Undecided)
            if result == Result.Undecided and observation.game_loop >= self.game_loop_limit:
                result = Result.Tie
            last = result != Result.Undecided and not first
            score = response.observation.score
            if score.score_type == score_pb2.Score.Curriculum:
                # Mini-game maps: the reward is the change of the map's curriculum score (as in pysc2).
                reward = 0.0 if first else float(score.score - self._last_score[k])
                self._last_score[k] = score.score
            else:
                reward = REWARDS[result] if last else 0.0
            steps.append(
                TimeStep(
                    step_type=StepType.FIRST if first else (StepType.LAST if last else StepType.MID),
                    reward=reward,
                    discount=0.0 if last else 1.0,
                    observation=observation,
                    result=result if last else Result.Undecided,
                )
            )
        self._game_loop = steps[0].observation.game_loop
        if any(step.last() for step in steps):
            self._episode_over = True
        return steps

    def _fail(self, error: SC2ApiError) -> None:
        """A broken transport means a broken game: kill it so reset() starts clean."""
        if error.restartable or error.kind in ("version", "unknown_map"):
            log.error("SC2 game failed (%s): %s; killing its processes", error.kind, error)
            self._abort()

    def _abort(self) -> None:
        """Kill every process at once (their sockets close, so no worker thread stays blocked)."""
        for process in self._processes:
            process.kill()
        for client in self._clients:
            client.close()
        for process in self._processes:
            process.close()
        self._clients, self._processes = [], []
        self._episode_over = True

