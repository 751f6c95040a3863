"""Frozen parameters on the league's disk: written atomically, checked by sha256.

A snapshot arrives as ordered chunks (protos/common.proto SnapshotChunk). It is written
to a temporary file in the same directory, its size and sha256 are checked, the file is
fsynced and renamed into place, so a reader never sees half a snapshot and a crash leaves
at most a stray temporary file (cleaned on the next start).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from typing import Iterable, Iterator

from league.errors import LeagueError

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]+@[0-9]+$")
SUFFIX = ".safetensors"
_TMP_SUFFIX = ".tmp"


def file_sha256(path: str, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while data := f.read(block):
            digest.update(data)
    return digest.hexdigest()


class SnapshotFiles:
    def __init__(self, directory: str, max_bytes: int):
        self.directory = directory
        self.max_bytes = max_bytes
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(_TMP_SUFFIX):  # left by a crash mid-upload
                os.unlink(os.path.join(directory, name))

    def path_for(self, snapshot_id: str) -> str:
        if not _SAFE_ID.match(snapshot_id) or ".." in snapshot_id:
            raise LeagueError("invalid", f"snapshot id {snapshot_id!r} is not of the form <player>@<version>")
        return os.path.join(self.directory, snapshot_id.replace(":", "_") + SUFFIX)

    def write(self, snapshot_id: str, chunks: Iterable[tuple[int, bytes]], sha256: str, total_bytes: int) -> str:
        """Store the (offset, data) chunks as the snapshot's file; returns its path."""
        if total_bytes <= 0 or total_bytes > self.max_bytes:
            raise LeagueError("invalid", f"snapshot size {total_bytes} is not in (0, {self.max_bytes}] bytes")
        if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
            raise LeagueError("invalid", f"sha256 {sha256!r} is not 64 lower-case hex digits")
        final = self.path_for(snapshot_id)
        tmp = f"{final}.{uuid.uuid4().hex}{_TMP_SUFFIX}"
        digest = hashlib.sha256()
        written = 0
        try:
            with open(tmp, "wb") as f:
                for offset, data in chunks:
                    if offset != written:
                        raise LeagueError(
                            "invalid", f"snapshot chunk at offset {offset}, expected {written}: send chunks in order"
                        )
                    if written + len(data) > total_bytes:
                        raise LeagueError("invalid", f"snapshot chunks exceed the announced {total_bytes} bytes")
                    f.write(data)
                    digest.update(data)
                    written += len(data)
                if written != total_bytes:
                    raise LeagueError("invalid", f"snapshot ended after {written} of {total_bytes} bytes")
                if digest.hexdigest() != sha256:
                    raise LeagueError(
                        "invalid", f"snapshot sha256 {digest.hexdigest()} does not match the announced {sha256}"
                    )
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
            self._fsync_directory()
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return final

    def _fsync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def read(path: str, sha256: str, chunk_bytes: int) -> Iterator[tuple[int, bytes]]:
        """(offset, data) chunks of a stored snapshot, after checking it still has its checksum."""
        try:
            actual = file_sha256(path)
        except OSError as error:
            raise LeagueError("data_loss", f"snapshot file {path!r} cannot be read: {error}") from None
        if actual != sha256:
            raise LeagueError("data_loss", f"snapshot file {path!r} is corrupt: sha256 {actual}, recorded {sha256}")
        return _chunks(path, chunk_bytes)


def _chunks(path: str, chunk_bytes: int) -> Iterator[tuple[int, bytes]]:
    offset = 0
    with open(path, "rb") as f:
        while data := f.read(chunk_bytes):
            yield offset, data
            offset += len(data)
