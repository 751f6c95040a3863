"""A client for the SC2 API websocket (ws://host:port/sc2api): one method per request.

Every request gets an id, a deadline and a checked answer. Failures become SC2ApiError
with the cause in `kind` (connection, timeout, garbage, game, state, unknown_map, version),
so the environment above can kill and restart the game. A request refused for the
game's status is caught here, before it is sent, like pysc2's remote_controller.
"""

from __future__ import annotations

import itertools
import logging
import socket
import time
from typing import Callable, Optional, Sequence

import websocket
from google.protobuf.message import DecodeError
from s2clientprotocol import sc2api_pb2

from sc2env.sc2api.conversion import action_to_proto
from sc2env.sc2api.errors import SC2ApiError
from sc2env.types import RawCommand

log = logging.getLogger(__name__)

Status = sc2api_pb2.Status
# Which statuses allow each request (the SC2 API's own rules, as pysc2 enforces them).
_ALLOWED = {
    "create_game": {Status.launched, Status.ended, Status.in_game, Status.in_replay},
    "save_map": {Status.launched, Status.init_game},
    "join_game": {Status.launched, Status.init_game},
    "restart_game": {Status.ended, Status.in_game},
    "game_info": {Status.in_game, Status.in_replay, Status.ended},
    "data": {Status.in_game, Status.in_replay},
    "observation": {Status.in_game, Status.in_replay, Status.ended},
    "action": {Status.in_game},
    "step": {Status.in_game, Status.in_replay},
    "leave_game": {Status.in_game, Status.ended},
    "save_replay": {Status.in_game, Status.in_replay, Status.ended},
}
_MAP_ERRORS = {"MissingMap", "InvalidMapPath", "InvalidMapData", "InvalidMapName", "InvalidMapHandle",
               "MapDoesNotExist", "CannotOpenMap"}


class SC2Client:
    """One websocket connection to one SC2 process."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 120.0,
        is_alive: Optional[Callable[[], bool]] = None,
    ):
        self.address = f"{host}:{port}"
        self.timeout_s = timeout_s
        self.status = Status.launched
        self._ids = itertools.count(1)
        self._sock = self._connect(host, port, connect_timeout_s, is_alive)

    # -------------------------------------------------------------- transport

    def _connect(self, host: str, port: int, timeout_s: float, is_alive) -> websocket.WebSocket:
        url = f"ws://{host}:{port}/sc2api"
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if is_alive is not None and not is_alive():
                raise SC2ApiError(f"SC2 at {self.address} exited before accepting a connection", kind="launch")
            try:
                return websocket.create_connection(url, timeout=max(1.0, min(timeout_s, self.timeout_s)))
            except websocket.WebSocketBadStatusException as error:
                if error.status_code != 404:  # 404: listening, /sc2api not up yet
                    raise SC2ApiError(f"{url} refused the websocket: {error}", kind="connection") from error
                last_error = error
            except (OSError, websocket.WebSocketException) as error:
                last_error = error  # not listening yet
            time.sleep(0.1)
        raise SC2ApiError(
            f"could not connect to {url} within {timeout_s:.0f}s ({last_error})", kind="connection"
        )

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except Exception:
                pass
            self._sock = None
        self.status = Status.quit

    def send(self, timeout_s: Optional[float] = None, **request_fields) -> sc2api_pb2.Response:
        """Send one Request (e.g. send(ping=RequestPing())) and return its checked Response."""
        (name,) = request_fields
        allowed = _ALLOWED.get(name)
        if allowed is not None and self.status not in allowed:
            raise SC2ApiError(
                f"{name} is not allowed while the game is {Status.Name(self.status)} "
                f"(allowed: {', '.join(sorted(Status.Name(s) for s in allowed))})",
                kind="state",
                request=name,
            )
        if self._sock is None:
            raise SC2ApiError(f"{name}: the connection to {self.address} is closed", kind="connection", request=name)
        request_id = next(self._ids)
        request = sc2api_pb2.Request(id=request_id, **request_fields)
        timeout = timeout_s if timeout_s is not None else self.timeout_s
        try:
            self._sock.settimeout(timeout)
            self._sock.send_binary(request.SerializeToString())
            data = self._sock.recv()
        except websocket.WebSocketTimeoutException as error:
            self.close()
            raise SC2ApiError(
                f"{name}: no answer from SC2 at {self.address} in {timeout:.0f}s; the game hangs", kind="timeout",
                request=name,
            ) from error
        except (websocket.WebSocketConnectionClosedException, OSError, socket.error) as error:
            self.close()
            raise SC2ApiError(
                f"{name}: connection to SC2 at {self.address} dropped ({error}); the game probably crashed",
                kind="connection",
                request=name,
            ) from error
        if not data:  # websocket-client hands back "" when the peer closes the connection
            self.close()
            raise SC2ApiError(f"{name}: SC2 at {self.address} closed the connection; the game probably crashed",
                              kind="connection", request=name)
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        try:
            response = sc2api_pb2.Response.FromString(data)
        except (DecodeError, ValueError) as error:
            self.close()
            raise SC2ApiError(
                f"{name}: SC2 at {self.address} answered {len(data)} bytes that are not an SC2 API Response "
                f"({error})",
                kind="garbage",
                request=name,
            ) from error
        if not response.HasField("status"):
            self.close()
            raise SC2ApiError(f"{name}: answer without a status from {self.address}", kind="garbage", request=name)
        if response.id and response.id != request_id:
            self.close()
            raise SC2ApiError(f"{name}: answer to request {response.id}, expected {request_id}", kind="garbage",
                              request=name)
        self.status = response.status
        if response.error:
            raise SC2ApiError(f"{name} failed: {'; '.join(response.error)}", kind="game", codes=tuple(response.error),
                              request=name)
        if response.WhichOneof("response") != name:
            raise SC2ApiError(
                f"{name}: SC2 answered {response.WhichOneof('response')!r} instead", kind="garbage", request=name
            )
        return response

    # -------------------------------------------------------------- requests

    def ping(self) -> sc2api_pb2.ResponsePing:
        return self.send(ping=sc2api_pb2.RequestPing()).ping

    def available_maps(self) -> sc2api_pb2.ResponseAvailableMaps:
        return self.send(available_maps=sc2api_pb2.RequestAvailableMaps()).available_maps

    def save_map(self, map_path: str, map_data: bytes) -> None:
        answer = self.send(save_map=sc2api_pb2.RequestSaveMap(map_path=map_path, map_data=map_data)).save_map
        if answer.HasField("error"):
            raise SC2ApiError(f"save_map {map_path}: {sc2api_pb2.ResponseSaveMap.Error.Name(answer.error)}",
                              kind="game", codes=(sc2api_pb2.ResponseSaveMap.Error.Name(answer.error),))

    def create_game(self, request: sc2api_pb2.RequestCreateGame) -> None:
        answer = self.send(create_game=request).create_game
        if answer.HasField("error"):
            code = sc2api_pb2.ResponseCreateGame.Error.Name(answer.error)
            kind = "unknown_map" if code in _MAP_ERRORS else "game"
            where = request.local_map.map_path or request.battlenet_map_name
            raise SC2ApiError(f"create_game on {where!r}: {code} {answer.error_details}".strip(), kind=kind,
                              codes=(code,), request="create_game")

    def join_game(self, request: sc2api_pb2.RequestJoinGame, timeout_s: Optional[float] = None) -> int:
        """Join; returns our player id. Blocks until every participant has joined."""
        answer = self.send(join_game=request, timeout_s=timeout_s).join_game
        if answer.HasField("error"):
            code = sc2api_pb2.ResponseJoinGame.Error.Name(answer.error)
            kind = "unknown_map" if code in _MAP_ERRORS else "game"
            raise SC2ApiError(f"join_game: {code} {answer.error_details}".strip(), kind=kind, codes=(code,),
                              request="join_game")
        return answer.player_id

    def restart_game(self) -> None:
        answer = self.send(restart_game=sc2api_pb2.RequestRestartGame()).restart_game
        if answer.HasField("error"):
            code = sc2api_pb2.ResponseRestartGame.Error.Name(answer.error)
            raise SC2ApiError(f"restart_game: {code} {answer.error_details}".strip(), codes=(code,))

    def game_info(self) -> sc2api_pb2.ResponseGameInfo:
        return self.send(game_info=sc2api_pb2.RequestGameInfo()).game_info

    def data(self) -> sc2api_pb2.ResponseData:
        request = sc2api_pb2.RequestData(ability_id=True, unit_type_id=True, upgrade_id=True, buff_id=True,
                                         effect_id=True)
        return self.send(data=request).data

    def observe(self, game_loop: int = 0, disable_fog: bool = False) -> sc2api_pb2.ResponseObservation:
        request = sc2api_pb2.RequestObservation(disable_fog=disable_fog)
        if game_loop:
            request.game_loop = game_loop
        return self.send(observation=request).observation

    def act(self, commands: Sequence[RawCommand]) -> list[int]:
        """Send one step's raw commands; returns one ActionResult per command."""
        if not commands:
            return []
        return list(self.send(action=action_to_proto(commands)).action.result)

    def step(self, count: int = 1) -> int:
        """Advance `count` game loops; returns the game loop reached."""
        return self.send(step=sc2api_pb2.RequestStep(count=count)).step.simulation_loop

    def save_replay(self) -> bytes:
        return self.send(save_replay=sc2api_pb2.RequestSaveReplay()).save_replay.data

    def leave(self) -> None:
        self.send(leave_game=sc2api_pb2.RequestLeaveGame())

    def quit(self) -> None:
        """Ask the process to exit; a connection closing on the way out is fine."""
        if self._sock is None:
            return
        try:
            self.send(quit=sc2api_pb2.RequestQuit(), timeout_s=min(self.timeout_s, 10.0))
        except SC2ApiError as error:
            if error.kind not in ("connection", "timeout", "garbage"):
                raise
        finally:
            self.close()

