"""SC2 API client, process and paths against misbehaving peers: real websockets, real processes.

The "games" here are small real programs speaking the protocol badly on purpose (garbage,
dropped connection, hang, crash, wrong build), laid out under a fake SC2PATH exactly like
the real install, so SC2ApiEnv launches them the way it launches SC2_x64.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

import sc2env  # noqa: F401
from s2clientprotocol import sc2api_pb2
from sc2env.sc2api import paths
from sc2env.sc2api.client import SC2Client
from sc2env.sc2api.environment import SC2ApiEnv
from sc2env.sc2api.errors import SC2ApiError
from sc2env.sc2api.process import SC2Process, pick_unused_port
from sc2env.types import AgentPlayer, BotPlayer

REPO = pathlib.Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(60)


class PeerThread:
    """A websocket server on /sc2api whose handler misbehaves as told."""

    def __init__(self, behaviour: str, delay_s: float = 0.0):
        self.behaviour = behaviour
        self.delay_s = delay_s
        self.port = pick_unused_port()
        self._stop = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _handler(self, connection):
        try:
            await self._misbehave(connection)
        except ConnectionClosed:  # the client gave up on us: expected here
            pass

    async def _misbehave(self, connection):
        async for message in connection:
            request = sc2api_pb2.Request.FromString(message)
            if self.behaviour == "garbage":
                await connection.send(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")
            elif self.behaviour == "drop":
                await connection.close()
                return
            elif self.behaviour == "hang":
                await asyncio.sleep(3600)
            elif self.behaviour == "wrong_id":
                await connection.send(sc2api_pb2.Response(id=request.id + 7, status=1, ping={}).SerializeToString())

    async def _main(self):
        await asyncio.sleep(self.delay_s)
        self._stop = asyncio.Event()
        async with serve(self._handler, "127.0.0.1", self.port):
            self._ready.set()
            await self._stop.wait()

    def __enter__(self):
        self._thread.start()
        if not self.delay_s:
            self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        pass  # daemon thread; dies with the test process


@pytest.mark.parametrize(
    "behaviour, kind",
    [("garbage", "garbage"), ("drop", "connection"), ("hang", "timeout"), ("wrong_id", "garbage")],
)
def test_bad_answers_are_clear_errors(behaviour, kind):
    with PeerThread(behaviour) as peer:
        client = SC2Client("127.0.0.1", peer.port, timeout_s=1.0, connect_timeout_s=10)
        started = time.monotonic()
        with pytest.raises(SC2ApiError) as info:
            client.ping()
        assert info.value.kind == kind
        assert info.value.restartable
        assert "ping" in str(info.value)
        assert time.monotonic() - started < 10
        # The connection is unusable afterwards and says so.
        with pytest.raises(SC2ApiError, match="closed"):
            client.ping()


def test_connect_retries_until_the_game_listens():
    with PeerThread("hang", delay_s=0.7) as peer:
        client = SC2Client("127.0.0.1", peer.port, timeout_s=1.0, connect_timeout_s=10)
        assert client.status == sc2api_pb2.launched
        client.close()


def test_connect_gives_up_with_a_clear_error():
    port = pick_unused_port()
    with pytest.raises(SC2ApiError, match="could not connect") as info:
        SC2Client("127.0.0.1", port, timeout_s=1.0, connect_timeout_s=1.0)
    assert info.value.kind == "connection"


def test_requests_in_the_wrong_status_are_refused_before_sending():
    with PeerThread("hang") as peer:
        client = SC2Client("127.0.0.1", peer.port, timeout_s=1.0, connect_timeout_s=10)
        with pytest.raises(SC2ApiError, match="step is not allowed while the game is launched") as info:
            client.step(8)
        assert info.value.kind == "state"


# ------------------------------------------------------------------ fake installs

FAKE_GAME = """\
#!{python}
import asyncio, os, sys
sys.path.insert(0, {repo!r})
import sc2env
from s2clientprotocol import sc2api_pb2
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
args = sys.argv[1:]
port = int(args[args.index("-port") + 1])
if os.environ.get("FAKE_SC2_PIDFILE"):
    open(os.environ["FAKE_SC2_PIDFILE"], "w").write(str(os.getpid()))
async def handler(connection):
    async for message in connection:
        request = sc2api_pb2.Request.FromString(message)
        if request.HasField("ping"):
            answer = sc2api_pb2.Response(id=request.id, status=sc2api_pb2.launched)
            answer.ping.base_build = {reported_build}
            answer.ping.game_version = "fake"
            await connection.send(answer.SerializeToString())
        elif {behaviour!r} == "crash":
            os._exit(3)
        else:
            await asyncio.sleep(3600)
async def main():
    async with serve(handler, "127.0.0.1", port):
        await asyncio.Future()
asyncio.run(main())
"""


def make_fake_install(root: pathlib.Path, behaviour: str, build: int = 80000, reported_build: int = 80000):
    binary = root / "Versions" / f"Base{build}" / "SC2_x64"
    binary.parent.mkdir(parents=True)
    binary.write_text(FAKE_GAME.format(python=sys.executable, repo=str(REPO), behaviour=behaviour,
                                       reported_build=reported_build))
    binary.chmod(0o755)
    map_file = root / "Maps" / "Melee" / "Simple64.SC2Map"
    map_file.parent.mkdir(parents=True)
    map_file.write_bytes(b"MPQ\x1a not really")
    return binary


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by a parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_find_install_newest_or_pinned(tmp_path):
    make_fake_install(tmp_path, "hang", build=81009)
    (tmp_path / "Versions" / "Base81102").mkdir()
    newer = tmp_path / "Versions" / "Base81102" / "SC2_x64"
    newer.write_text("#!/bin/sh\n")
    newer.chmod(0o755)
    (tmp_path / "Versions" / "Base99999").mkdir()  # no binary inside: ignored
    newest = paths.find_install(str(tmp_path))
    assert newest.base_build == 81102 and newest.data_version is None  # the newest finds its own data
    pinned = paths.find_install(str(tmp_path), build=81009)
    assert pinned.binary.parent.name == "Base81009"
    assert pinned.data_version == "44DED5AED024D23177C742FC227C615A"  # 5.0.1, from pysc2's table
    with pytest.raises(SC2ApiError, match="81010 is not installed") as info:
        paths.find_install(str(tmp_path), build=81010)
    assert info.value.kind == "version"
    assert paths.find_map(newest, "Simple64").name == "Simple64.SC2Map"
    assert paths.find_map(newest, "Melee/Simple64.SC2Map").name == "Simple64.SC2Map"
    with pytest.raises(SC2ApiError, match="not installed") as info:
        paths.find_map(newest, "AbyssalReefLE")
    assert info.value.kind == "unknown_map"


def test_missing_install_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("SC2PATH", str(tmp_path / "nowhere"))
    with pytest.raises(SC2ApiError, match="set SC2PATH") as info:
        paths.find_install()
    assert info.value.kind == "binary"


def test_version_mismatch_is_named_and_the_process_is_cleaned_up(tmp_path):
    make_fake_install(tmp_path, "hang", build=80000, reported_build=81102)
    env = SC2ApiEnv("Simple64", [AgentPlayer(), BotPlayer()], sc2_path=str(tmp_path), timeout_s=5,
                    connect_timeout_s=20)
    with pytest.raises(SC2ApiError, match="version mismatch.*81102.*Base80000") as info:
        env.reset()
    assert info.value.kind == "version"
    assert env.processes == []  # killed and removed
    env.close()


def test_hung_game_is_killed_after_the_request_timeout(tmp_path, monkeypatch):
    make_fake_install(tmp_path, "hang")
    pidfile = tmp_path / "pid"
    monkeypatch.setenv("FAKE_SC2_PIDFILE", str(pidfile))
    env = SC2ApiEnv("Simple64", [AgentPlayer(), BotPlayer()], sc2_path=str(tmp_path), timeout_s=1.5,
                    connect_timeout_s=20)
    with pytest.raises(SC2ApiError, match="create_game: no answer .* in 2s; the game hangs") as info:
        env.reset()
    assert info.value.kind == "timeout" and info.value.restartable
    pid = int(pidfile.read_text())
    assert not pid_alive(pid)
    # The owner restarts: reset() launches a fresh process (which hangs again here).
    with pytest.raises(SC2ApiError):
        env.reset()
    assert int(pidfile.read_text()) != pid
    env.close()


def test_crashed_game_is_a_connection_error(tmp_path):
    make_fake_install(tmp_path, "crash")
    with SC2ApiEnv("Simple64", [AgentPlayer(), BotPlayer()], sc2_path=str(tmp_path), timeout_s=5,
                   connect_timeout_s=20) as env:
        with pytest.raises(SC2ApiError, match="dropped") as info:
            env.reset()
        assert info.value.kind == "connection"


def test_process_is_removed_on_ctrl_c(tmp_path):
    make_fake_install(tmp_path, "hang")
    pidfile = tmp_path / "pid"
    script = textwrap.dedent(
        f"""
        import signal, sys
        # A user's Ctrl-C: the default handler, whatever disposition this test run passed down
        # (an ignored SIGINT is inherited through exec; in the full suite one sometimes is).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path.insert(0, {str(REPO)!r})
        from sc2env.sc2api.environment import SC2ApiEnv
        from sc2env.types import AgentPlayer, BotPlayer
        env = SC2ApiEnv("Simple64", [AgentPlayer(), BotPlayer()], sc2_path={str(tmp_path)!r}, timeout_s=120)
        print("resetting", flush=True)
        env.reset()
        """
    )
    env = dict(os.environ, FAKE_SC2_PIDFILE=str(pidfile))
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, text=True)
    assert owner.stdout.readline().strip() == "resetting"
    deadline = time.monotonic() + 20
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # connected and blocked in create_game
    game_pid = int(pidfile.read_text())
    assert pid_alive(game_pid)
    owner.send_signal(signal.SIGINT)
    try:
        _, stderr = owner.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        owner.kill()
        _, stderr = owner.communicate()
        pytest.fail(f"the owner did not exit within 30 s of Ctrl-C; its stderr:\n{stderr[-3000:]}")
    assert "KeyboardInterrupt" in stderr
    deadline = time.monotonic() + 10
    while pid_alive(game_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(game_pid)


def test_process_close_removes_temp_dir_and_is_idempotent(tmp_path):
    make_fake_install(tmp_path, "hang")
    process = SC2Process(paths.find_install(str(tmp_path)))
    temp_dir = process.temp_dir
    assert temp_dir.is_dir() and process.running
    client = SC2Client(process.host, process.port, timeout_s=5, connect_timeout_s=20, is_alive=lambda: process.running)
    assert client.ping().base_build == 80000
    assert "-tempDir" in process.args and "-dataDir" in process.args and "-listen" in process.args
    assert "-dataVersion" not in process.args  # newest build: the game finds its data itself
    process.close()
    process.close()
    assert not temp_dir.exists() and not process.running
