"""The embedded engine served over the SC2 API websocket (ws://host:port/sc2api).

It answers what a real StarCraft II answers for our maps: ping, available_maps,
save_map, create_game (Computer players are the engine's bots), join_game (raw
interface), restart_game, game_info, data (the real game's ResponseData from
sc2env/data/game_data.pb), observation, action, step, save_replay, leave_game and quit.
What the engine cannot do (replays of real games, feature layers, rendering, queries,
debug draw, observers) gets the SC2 API's own error code.

Multiplayer works like two real game processes: the process that got create_game hosts
the game and, when its agent joins with a port set, also listens on the set's
server game_port; a process that gets join_game without having created a game forwards
that join and all later game requests to the host over that port (same protocol).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import pathlib
import signal
from typing import Optional

import websockets
from google.protobuf.message import DecodeError
from s2clientprotocol import sc2api_pb2
from websockets.asyncio.server import ServerConnection, serve

from sc2env.sc2api.conversion import commands_from_action
from sc2env.sc2api.game_room import GameRoom, RoomError, players_from_setup
from sc2env.types import AgentPlayer

log = logging.getLogger(__name__)

Status = sc2api_pb2.Status
# What ping reports. A 5.0.x build number, since our ids and ResponseData are 5.0.x's.
BASE_BUILD = 87702
GAME_VERSION = "5.0.9.87702-starleague-embedded"
DATA_VERSION = "STARLEAGUE-EMBEDDED"
GAME_DATA_PATH = pathlib.Path(__file__).resolve().parents[1] / "data" / "game_data.pb"
DEFAULT_GAME_LOOP_LIMIT = 2**31 - 1  # like the real game: no limit unless asked
# Marker written into the shim's .SC2Map files (they are not MPQ archives).
MAP_MARKER = b"starleague embedded map\n"
MPQ_MAGIC = b"MPQ\x1a"

# Requests with their own ResponseX.Error enum, and the code for "not supported here".
_UNSUPPORTED_CODES = {
    "start_replay": ("start_replay", sc2api_pb2.ResponseStartReplay.LaunchError),
    "replay_info": ("replay_info", sc2api_pb2.ResponseReplayInfo.ParsingError),
}
_PLAIN_UNSUPPORTED = ("quick_save", "quick_load", "query", "debug", "map_command", "obs_action")
# Which statuses allow each request (the real game's rules).
_ALLOWED = {
    "create_game": {Status.launched, Status.ended, Status.in_game},
    "save_map": {Status.launched, Status.init_game},
    "join_game": {Status.launched, Status.init_game},
    "restart_game": {Status.ended, Status.in_game},
    "game_info": {Status.in_game, Status.ended},
    "data": {Status.in_game},
    "observation": {Status.in_game, Status.ended},
    "action": {Status.in_game},
    "step": {Status.in_game},
    "leave_game": {Status.in_game, Status.ended},
    "save_replay": {Status.in_game, Status.ended},
}


def embedded_map_paths() -> dict[str, str]:
    """{map name: local map path as pysc2 names it} for every map the engine plays."""
    from sc2env.engine import maps as engine_maps
    from sc2env.engine.scenario import scenario_names

    paths = {name: f"Melee/{name}.SC2Map" for name in engine_maps.MELEE_MAPS}
    for name in scenario_names():
        paths[name] = f"mini_games/{name}.SC2Map"
    return paths


@functools.lru_cache(maxsize=1)
def game_data() -> sc2api_pb2.ResponseData:
    return sc2api_pb2.Response.FromString(GAME_DATA_PATH.read_bytes()).data


def default_env_factory(**kwargs):
    from sc2env.engine.environment import EmbeddedEnv

    return EmbeddedEnv(**kwargs)


class _Session:
    """One websocket connection: its own status and seat, or a forward to the host process."""

    def __init__(self, connection: ServerConnection):
        self.connection = connection
        self.status = Status.launched
        self.player_id = 0
        self.upstream = None  # websockets client connection to the host, when forwarding


class EmbeddedSC2Server:
    """One 'game process'. Serve with `await server.serve()` or `run_server(...)`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        game_loop_limit: int = DEFAULT_GAME_LOOP_LIMIT,
        join_timeout_s: float = 120.0,
        env_factory=default_env_factory,
    ):
        self.host = host
        self.port = port
        self.game_loop_limit = game_loop_limit
        self.join_timeout_s = join_timeout_s
        self.env_factory = env_factory
        self.room: Optional[GameRoom] = None
        self.saved_maps: dict[str, bytes] = {}
        self.bad_requests = 0
        self.requests_served = 0
        self._servers: dict[int, object] = {}
        self._stop: Optional[asyncio.Event] = None
        self._last_create: Optional[sc2api_pb2.RequestCreateGame] = None

    # -------------------------------------------------------------- serving

    async def start(self) -> int:
        """Listen on host:port (0 = any free port); returns the port."""
        self._stop = asyncio.Event()
        server = await self._listen(self.port)
        self.port = server.sockets[0].getsockname()[1]
        return self.port

    async def _listen(self, port: int):
        server = await serve(self._handle_connection, self.host, port, process_request=self._check_path,
                             max_size=None, ping_interval=None, compression=None)
        self._servers[server.sockets[0].getsockname()[1]] = server
        return server

    async def serve(self, ready=None) -> None:
        """Run until a quit request (or stop())."""
        await self.start()
        if ready is not None:
            ready(self.port)
        log.info("embedded SC2 API server on ws://%s:%s/sc2api", self.host, self.port)
        await self._stop.wait()
        await self.aclose()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def aclose(self) -> None:
        for server in self._servers.values():
            server.close()
        for server in list(self._servers.values()):
            await server.wait_closed()
        self._servers.clear()
        if self.room is not None:
            self.room.close()
            self.room = None

    @staticmethod
    def _check_path(connection: ServerConnection, request):
        if request.path.split("?")[0] != "/sc2api":
            return connection.respond(404, "Not Found\n")
        return None

    async def _handle_connection(self, connection: ServerConnection) -> None:
        session = _Session(connection)
        try:
            while True:
                # pysc2 sends its protobuf bytes in text frames; take every frame as raw bytes.
                message = await connection.recv(decode=False)
                response = await self._answer(session, message)
                await connection.send(response.SerializeToString())
                if response.HasField("quit"):
                    self.stop()
                    break
        except websockets.ConnectionClosed:
            pass
        finally:
            if session.upstream is not None:
                await session.upstream.close()
            if session.player_id and self.room is not None and session.status in (Status.in_game, Status.ended):
                self.room.leave(session.player_id)

    # -------------------------------------------------------------- dispatch

    async def _answer(self, session: _Session, message) -> sc2api_pb2.Response:
        response = sc2api_pb2.Response()
        if isinstance(message, str):
            message = message.encode("utf-8", "replace")
        try:
            request = sc2api_pb2.Request.FromString(message)
        except (DecodeError, ValueError) as error:
            self.bad_requests += 1
            log.warning("unparseable request (%d bytes): %s", len(message), error)
            response.error.append(f"could not parse the request as SC2APIProtocol.Request: {error}")
            response.status = session.status
            return response
        response.id = request.id
        kind = request.WhichOneof("request")
        self.requests_served += 1
        try:
            if kind is None:
                self.bad_requests += 1
                response.error.append("request has no request field set")
            elif session.upstream is not None and kind not in ("ping", "available_maps", "data", "quit"):
                return await self._forward(session, request)
            elif kind in _ALLOWED and session.status not in _ALLOWED[kind]:
                response.error.append(f"{kind} is not valid in status {Status.Name(session.status)}")
            elif kind in _UNSUPPORTED_CODES:
                field, code = _UNSUPPORTED_CODES[kind]
                answer = getattr(response, field)
                answer.error = code
                answer.error_details = "the embedded engine cannot read real game replays"
            elif kind in _PLAIN_UNSUPPORTED:
                response.error.append(f"{kind} is not supported by the embedded engine")
            else:
                await getattr(self, f"_on_{kind}")(session, getattr(request, kind), response)
                if not response.error and response.WhichOneof("response") is None:
                    getattr(response, kind).SetInParent()  # an empty answer still names its request
        except RoomError as error:
            response.error.append(str(error))
        except Exception as error:  # the engine failed: say so, keep serving
            log.exception("request %s failed", kind)
            response.error.append(f"{kind} failed in the embedded engine: {type(error).__name__}: {error}")
        response.status = session.status
        return response

    async def _forward(self, session: _Session, request: sc2api_pb2.Request) -> sc2api_pb2.Response:
        try:
            await session.upstream.send(request.SerializeToString())
            response = sc2api_pb2.Response.FromString(await session.upstream.recv(decode=False))
        except (websockets.ConnectionClosed, OSError, DecodeError) as error:
            session.upstream = None
            session.status = Status.launched
            response = sc2api_pb2.Response(id=request.id, status=session.status)
            response.error.append(f"lost the connection to the host game: {error}")
            return response
        session.status = response.status
        if request.WhichOneof("request") == "leave_game":
            await session.upstream.close()
            session.upstream = None
            session.status = Status.launched
            response.status = session.status
        return response

    # -------------------------------------------------------------- requests

    async def _on_ping(self, session, request, response) -> None:
        response.ping.game_version = GAME_VERSION
        response.ping.data_version = DATA_VERSION
        response.ping.data_build = BASE_BUILD
        response.ping.base_build = BASE_BUILD

    async def _on_available_maps(self, session, request, response) -> None:
        response.available_maps.local_map_paths.extend(sorted(embedded_map_paths().values()))

    async def _on_save_map(self, session, request, response) -> None:
        if not self._map_name(request.map_path, request.map_data):
            response.save_map.error = sc2api_pb2.ResponseSaveMap.InvalidMapData
            return
        self.saved_maps[request.map_path] = request.map_data

    def _map_name(self, map_path: str, map_data: bytes) -> Optional[str]:
        """Our map for a path/data pair, or None. Real .SC2Map archives of our maps' names are
        accepted (the engine plays its own version of the map)."""
        name = pathlib.PurePosixPath(map_path.replace("\\", "/")).stem
        if name not in embedded_map_paths():
            return None
        if map_data and not (map_data.startswith(MAP_MARKER) or map_data.startswith(MPQ_MAGIC)):
            return None
        return name

    async def _on_create_game(self, session, request, response) -> None:
        answer = response.create_game
        if request.HasField("battlenet_map_name"):
            answer.error = sc2api_pb2.ResponseCreateGame.InvalidMapName
            answer.error_details = "no battle.net maps in the embedded engine; use a local map"
            return
        if not request.HasField("local_map"):
            answer.error = sc2api_pb2.ResponseCreateGame.MissingMap
            return
        map_path = request.local_map.map_path
        map_data = request.local_map.map_data or self.saved_maps.get(map_path, b"")
        name = self._map_name(map_path, map_data)
        if name is None:
            bad_data = pathlib.PurePosixPath(map_path).stem in embedded_map_paths()
            answer.error = (sc2api_pb2.ResponseCreateGame.InvalidMapData if bad_data
                            else sc2api_pb2.ResponseCreateGame.InvalidMapPath)
            answer.error_details = (f"map {map_path!r} is not one the embedded engine plays "
                                    f"({', '.join(sorted(embedded_map_paths()))})")
            return
        if not request.player_setup:
            answer.error = sc2api_pb2.ResponseCreateGame.MissingPlayerSetup
            return
        try:
            players = players_from_setup(request.player_setup)
        except RoomError as error:
            answer.error = sc2api_pb2.ResponseCreateGame.InvalidPlayerSetup
            answer.error_details = str(error)
            return
        if not any(isinstance(p, AgentPlayer) for p in players):
            answer.error = sc2api_pb2.ResponseCreateGame.InvalidPlayerSetup
            answer.error_details = "no Participant seat"
            return
        if request.realtime:
            answer.error = sc2api_pb2.ResponseCreateGame.InvalidPlayerSetup
            answer.error_details = "realtime games are not supported by the embedded engine"
            return
        if self.room is not None:
            self.room.close()
        self.room = GameRoom(name, map_path, players, request.random_seed, self.game_loop_limit, self.env_factory)
        self._last_create = request
        session.status = Status.init_game

    async def _on_join_game(self, session, request, response) -> None:
        answer = response.join_game
        options = request.options
        if not request.HasField("options"):
            answer.error = sc2api_pb2.ResponseJoinGame.MissingOptions
            return
        if options.HasField("feature_layer") or options.HasField("render"):
            answer.error = sc2api_pb2.ResponseJoinGame.FeatureUnsupported
            answer.error_details = "the embedded engine serves the raw interface only (no feature layers, no render)"
            return
        if not request.HasField("race"):
            answer.error = sc2api_pb2.ResponseJoinGame.MissingParticipation
            answer.error_details = "observers are not supported by the embedded engine"
            return
        if self.room is None:
            if request.HasField("server_ports"):
                await self._join_remote(session, request, response)
                return
            answer.error = sc2api_pb2.ResponseJoinGame.OtherError
            answer.error_details = "no game created on this process and no server ports to join another"
            return
        multiplayer = len(self.room.player_ids) > 1
        if multiplayer and not request.HasField("server_ports"):
            answer.error = sc2api_pb2.ResponseJoinGame.MissingPorts
            return
        try:  # the host takes its seat before the other processes can reach it
            player_id = self.room.claim_seat(request.race, request.player_name)
        except RoomError as error:
            answer.error = sc2api_pb2.ResponseJoinGame.Error.Value(error.code or "OtherError")
            answer.error_details = str(error)
            return
        if multiplayer and request.server_ports.game_port not in self._servers:
            await self._listen(request.server_ports.game_port)  # where the other processes' agents join
        session.player_id = player_id
        await self.room.wait_for_everyone(self.join_timeout_s)
        answer.player_id = player_id
        session.status = Status.in_game

    async def _join_remote(self, session, request, response) -> None:
        """This process did not create the game: join the host's over its game port."""
        host = request.host_ip or "127.0.0.1"
        url = f"ws://{host}:{request.server_ports.game_port}/sc2api"
        deadline = asyncio.get_running_loop().time() + self.join_timeout_s
        while True:
            try:
                upstream = await websockets.connect(url, max_size=None, ping_interval=None, compression=None)
                break
            except (OSError, websockets.InvalidHandshake, asyncio.TimeoutError):
                if asyncio.get_running_loop().time() > deadline:
                    response.join_game.error = sc2api_pb2.ResponseJoinGame.NetworkError
                    response.join_game.error_details = f"could not reach the host game at {url}"
                    return
                await asyncio.sleep(0.05)
        session.upstream = upstream
        forwarded = await self._forward(session, sc2api_pb2.Request(join_game=request))
        response.join_game.CopyFrom(forwarded.join_game)
        response.error.extend(forwarded.error)
        session.status = forwarded.status
        session.player_id = forwarded.join_game.player_id

    async def _on_restart_game(self, session, request, response) -> None:
        if self.room is None or len(self.room.player_ids) != 1 or self._last_create is None:
            response.restart_game.error = sc2api_pb2.ResponseRestartGame.LaunchError
            response.restart_game.error_details = "restart is for single-agent games hosted here"
            return
        joined = self.room.joined[self.room.player_ids[0]]
        old = self.room
        old.close()
        self.room = GameRoom(old.map_name, old.local_map_path, players_from_setup(self._last_create.player_setup),
                             old.seed, self.game_loop_limit, self.env_factory)
        session.player_id = self.room.claim_seat(int(joined.race), joined.name)
        session.status = Status.in_game

    async def _on_game_info(self, session, request, response) -> None:
        response.game_info.CopyFrom(self._room_for(session).game_info(session.player_id))

    async def _on_data(self, session, request, response) -> None:
        data = game_data()
        wanted = {"ability_id": "abilities", "unit_type_id": "units", "upgrade_id": "upgrades",
                  "buff_id": "buffs", "effect_id": "effects"}
        for flag, field in wanted.items():
            if getattr(request, flag):
                getattr(response.data, field).extend(getattr(data, field))

    def _room_for(self, session):
        if self.room is None or session.player_id not in self.room.joined:
            raise RoomError("no game joined on this connection")
        return self.room

    async def _on_observation(self, session, request, response) -> None:
        room = self._room_for(session)
        response.observation.CopyFrom(room.observation(session.player_id))
        if room.ended:
            session.status = Status.ended

    async def _on_action(self, session, request, response) -> None:
        room = self._room_for(session)
        response.action.result.extend(room.act(session.player_id, commands_from_action(request)))

    async def _on_step(self, session, request, response) -> None:
        room = self._room_for(session)
        response.step.simulation_loop = await room.step(session.player_id, request.count or 1)
        if room.ended:
            session.status = Status.ended

    async def _on_save_replay(self, session, request, response) -> None:
        response.save_replay.data = self._room_for(session).replay_bytes()

    async def _on_leave_game(self, session, request, response) -> None:
        room = self._room_for(session)
        room.leave(session.player_id)
        session.player_id = 0
        session.status = Status.launched
        if room.everyone_left and room is self.room:
            room.close()
            self.room = None

    async def _on_quit(self, session, request, response) -> None:
        response.quit.SetInParent()
        session.status = Status.quit


def run_server(host: str = "127.0.0.1", port: int = 0, game_loop_limit: int = DEFAULT_GAME_LOOP_LIMIT,
               join_timeout_s: float = 120.0, ready=None) -> int:
    """Serve until a quit request or SIGTERM/SIGINT; returns the exit code."""
    server = EmbeddedSC2Server(host, port, game_loop_limit, join_timeout_s)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, server.stop)
            except (NotImplementedError, RuntimeError):
                pass
        await server.serve(ready)

    asyncio.run(main())
    return 0


class ServerThread:
    """An EmbeddedSC2Server on a background thread (for embedding in a process and for tests).

    with ServerThread(game_loop_limit=400) as server:  client = SC2Client("127.0.0.1", server.port)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **server_kwargs):
        import threading

        self.server = EmbeddedSC2Server(host, port, **server_kwargs)
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread = threading.Thread(target=self._run, name="embedded-sc2-server", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            await self.server.serve(ready=lambda port: self._ready.set())

        try:
            asyncio.run(main())
        except BaseException as error:  # surfaced by start()
            self._error = error
            self._ready.set()

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> "ServerThread":
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.server.stop)
        self._thread.join(timeout_s)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
