"""The SC2 API layer's one exception type."""

from __future__ import annotations

from typing import Optional

from sc2env.env import EnvError


class SC2ApiError(EnvError):
    """Talking to a StarCraft II process (real or embedded) failed; the message names the cause.

    `kind` says which failure it was, so the owner of the game can decide to restart it:
      'binary'      no SC2 binary / unknown build under SC2PATH
      'launch'      the process could not start or died before answering
      'connection'  the websocket could not connect or was dropped
      'timeout'     a request got no answer in time (the process is killed)
      'garbage'     the answer was not a valid SC2 API Response
      'version'     the binary's build is not the one asked for
      'unknown_map' the map is not installed / not known to the game
      'game'        the game answered with an error (`codes` holds the SC2 error names)
      'state'       a request that the game's current status does not allow
    """

    def __init__(self, message: str, kind: str = "game", codes: tuple[str, ...] = (), request: Optional[str] = None):
        super().__init__(message)
        self.kind = kind
        self.codes = tuple(codes)
        self.request = request

    @property
    def restartable(self) -> bool:
        """True when relaunching the game is the fix (the process is gone or unusable)."""
        return self.kind in ("launch", "connection", "timeout", "garbage")
