"""Start and stop one headless StarCraft II process (real or the embedded server's shim).

Each process gets its own port and temp dir (like pysc2's sc_process) and is always
cleaned up: on close(), on exceptions and Ctrl-C in the `with` block, at interpreter exit
(atexit), and when it hangs (kill() by the owner after a request timeout). The process
runs in its own session so killing it also takes down anything it started.
"""

from __future__ import annotations

import atexit
import logging
import os
import pathlib
import platform
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import weakref
from typing import Optional, Sequence

from sc2env.sc2api.errors import SC2ApiError
from sc2env.sc2api.paths import SC2Install

log = logging.getLogger(__name__)

_LIVE: "weakref.WeakSet[SC2Process]" = weakref.WeakSet()
# Re-entrant: a Ctrl-C can land while this thread holds it, and the cleanup it
# triggers (close -> _stop) takes it again.
_LIVE_LOCK = threading.RLock()


def pick_unused_port() -> int:
    """A free TCP port on localhost (bound to 0 and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pick_unused_ports(count: int) -> list[int]:
    """`count` distinct free ports (held open together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SC2Process:
    """One SC2 process listening on ws://host:port/sc2api."""

    def __init__(
        self,
        install: SC2Install,
        host: str = "127.0.0.1",
        port: Optional[int] = None,
        extra_args: Sequence[str] = (),
        temp_root: Optional[str] = None,
    ):
        self.install = install
        self.host = host
        self.port = port or pick_unused_port()
        self.temp_dir = pathlib.Path(tempfile.mkdtemp(prefix="sc2-", dir=temp_root))
        self.log_path = self.temp_dir / "sc2.log"
        args = [
            str(install.binary),
            "-listen", host,
            "-port", str(self.port),
            "-dataDir", os.path.join(str(install.root), ""),
            "-tempDir", os.path.join(str(self.temp_dir), ""),
        ]
        if platform.system() != "Linux":  # the Linux build is headless; the others open a window
            args += ["-displayMode", "0", "-windowwidth", "640", "-windowheight", "480"]
        if install.data_version:
            args += ["-dataVersion", install.data_version]
        args += list(extra_args)
        self.args = args
        self._log_file = open(self.log_path, "wb")
        try:
            self._proc: Optional[subprocess.Popen] = subprocess.Popen(
                args,
                cwd=str(install.cwd) if install.cwd else None,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: kill() reaches its children
            )
        except OSError as error:
            self._cleanup_files()
            raise SC2ApiError(f"could not start {install.binary}: {error}", kind="launch") from error
        with _LIVE_LOCK:
            _LIVE.add(self)
        log.info("started SC2 pid %s on %s:%s (%s)", self._proc.pid, host, self.port, install.binary)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> Optional[int]:
        return self._proc.poll() if self._proc is not None else None

    def log_tail(self, max_bytes: int = 2000) -> str:
        """The end of the process's own output, for error messages."""
        try:
            self._log_file.flush()
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-max_bytes:].decode("utf-8", "replace").strip()

    def kill(self) -> None:
        """Stop at once (a hung or misbehaving game)."""
        self._stop(grace_s=0.0)

    def close(self, grace_s: float = 3.0) -> None:
        """Ask it to stop, kill it after grace_s, remove its temp dir (idempotent)."""
        self._stop(grace_s)
        self._cleanup_files()

    def _stop(self, grace_s: float) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal_group(proc, signal.SIGTERM if grace_s > 0 else signal.SIGKILL)
            try:
                proc.wait(timeout=grace_s if grace_s > 0 else 5.0)
            except subprocess.TimeoutExpired:
                log.warning("SC2 pid %s did not stop in %.1fs; killing it", proc.pid, grace_s)
                self._signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5.0)
        else:
            # The leader is gone; make sure nothing it started is left behind.
            self._signal_group(proc, signal.SIGKILL)
        self._proc = None
        with _LIVE_LOCK:
            _LIVE.discard(self)

    @staticmethod
    def _signal_group(proc: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _cleanup_files(self) -> None:
        try:
            self._log_file.close()
        except OSError:
            pass
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> "SC2Process":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close(grace_s=0.5)
        except Exception:  # interpreter shutdown: best effort only
            pass


@atexit.register
def _close_all() -> None:
    """No SC2 process outlives the program that started it."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for process in live:
        process.close(grace_s=1.0)

