"""The league's one exception type."""

from __future__ import annotations


class LeagueError(Exception):
    """A league request could not be served; the message says what was wrong.

    `code` says what kind of problem it is, so the service maps it to a gRPC status:
    "not_found" (unknown match / player / snapshot), "invalid" (malformed input),
    "precondition" (valid but not now, e.g. a snapshot nobody asked for), "data_loss"
    (a stored file no longer matches its checksum), "internal".
    """

    CODES = ("not_found", "invalid", "precondition", "data_loss", "internal")

    def __init__(self, code: str, message: str):
        if code not in self.CODES:
            raise ValueError(f"unknown LeagueError code {code!r}")
        super().__init__(message)
        self.code = code
