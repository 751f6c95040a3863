"""The embedded SC2 API server's protocol: answers, SC2 error codes, bad input, the shim tree."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import websocket

import sc2env  # noqa: F401
from s2clientprotocol import query_pb2, sc2api_pb2
from sc2env.sc2api import shim
from sc2env.sc2api.client import SC2Client
from sc2env.sc2api.environment import create_game_request, interface_options
from sc2env.sc2api.errors import SC2ApiError
from sc2env.sc2api.server import BASE_BUILD, MAP_MARKER, ServerThread, embedded_map_paths, game_data
from sc2env.types import AgentPlayer, BotPlayer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture()
def server():
    with ServerThread() as running:
        yield running


@pytest.fixture()
def client(server):
    connection = SC2Client("127.0.0.1", server.port, timeout_s=20, connect_timeout_s=10)
    yield connection
    connection.close()


def test_ping_and_available_maps(client):
    ping = client.ping()
    assert ping.base_build == BASE_BUILD and "embedded" in ping.game_version
    maps = client.available_maps().local_map_paths
    assert "Melee/Simple64.SC2Map" in maps
    assert "mini_games/MoveToBeacon.SC2Map" in maps


def test_unknown_map_gives_the_sc2_error_code(client):
    with pytest.raises(SC2ApiError, match="InvalidMapPath") as info:
        client.create_game(create_game_request("Ladder/AbyssalReefLE.SC2Map", [AgentPlayer(), BotPlayer()], 1))
    assert info.value.kind == "unknown_map" and info.value.codes == ("InvalidMapPath",)
    assert client.status == sc2api_pb2.launched  # nothing created; still usable


def test_battlenet_maps_and_bad_map_data_are_refused(client):
    request = sc2api_pb2.RequestCreateGame(battlenet_map_name="Simple64")
    request.player_setup.add(type=sc2api_pb2.Participant)
    with pytest.raises(SC2ApiError, match="InvalidMapName"):
        client.create_game(request)
    with pytest.raises(SC2ApiError, match="InvalidMapData"):
        client.create_game(create_game_request("Melee/Simple64.SC2Map", [AgentPlayer()], 1, map_data=b"junk"))
    with pytest.raises(SC2ApiError, match="MissingPlayerSetup"):
        client.create_game(create_game_request("Melee/Simple64.SC2Map", [], 1))


def test_unsupported_requests_get_sc2_error_answers(client):
    answer = client.send(replay_info=sc2api_pb2.RequestReplayInfo(replay_path="x.SC2Replay"))
    assert answer.replay_info.error == sc2api_pb2.ResponseReplayInfo.ParsingError
    answer = client.send(start_replay=sc2api_pb2.RequestStartReplay(replay_path="x.SC2Replay"))
    assert answer.start_replay.error == sc2api_pb2.ResponseStartReplay.LaunchError
    with pytest.raises(SC2ApiError, match="query is not supported") as info:
        client.send(query=query_pb2.RequestQuery())
    assert info.value.kind == "game"
    assert client.ping().base_build == BASE_BUILD  # still serving


def test_feature_layer_join_is_feature_unsupported(client):
    client.create_game(create_game_request("Melee/Simple64.SC2Map", [AgentPlayer(), BotPlayer()], 1,
                                           map_data=MAP_MARKER + b"Simple64\n"))
    assert client.status == sc2api_pb2.init_game
    join = sc2api_pb2.RequestJoinGame(race=1, options=interface_options())
    join.options.feature_layer.width = 24
    with pytest.raises(SC2ApiError, match="FeatureUnsupported"):
        client.join_game(join)


def test_status_rules_are_enforced_by_the_server(server):
    """Raw requests bypassing our client's own checks get the game's status error."""
    sock = websocket.create_connection(f"ws://127.0.0.1:{server.port}/sc2api", timeout=10)
    sock.send_binary(sc2api_pb2.Request(id=5, step=sc2api_pb2.RequestStep(count=8)).SerializeToString())
    answer = sc2api_pb2.Response.FromString(sock.recv())
    assert answer.id == 5 and answer.status == sc2api_pb2.launched
    assert "step is not valid in status launched" in answer.error[0]
    sock.close()


def test_garbage_requests_are_answered_and_counted(server):
    sock = websocket.create_connection(f"ws://127.0.0.1:{server.port}/sc2api", timeout=10)
    sock.send_binary(b"\xff\xff\xff\xff\xff not a request")
    answer = sc2api_pb2.Response.FromString(sock.recv())
    assert answer.error and "could not parse" in answer.error[0]
    assert answer.status == sc2api_pb2.launched
    sock.send_binary(sc2api_pb2.Request(id=9, ping=sc2api_pb2.RequestPing()).SerializeToString())
    assert sc2api_pb2.Response.FromString(sock.recv()).ping.base_build == BASE_BUILD
    assert server.server.bad_requests == 1
    sock.close()


def test_only_the_sc2api_path_is_served(server):
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(f"ws://127.0.0.1:{server.port}/other", timeout=10)
    assert info.value.status_code == 404


def test_data_is_the_real_games_response_data(client):
    client.create_game(create_game_request("Melee/Simple64.SC2Map", [AgentPlayer(), BotPlayer()], 1))
    # data needs a joined game; the content is checked straight from the server's source here.
    data = game_data()
    marine = next(u for u in data.units if u.unit_id == 48)
    assert marine.name == "Marine" and marine.mineral_cost == 50
    assert len(data.abilities) > 1000 and len(data.upgrades) > 50


def test_quit_stops_the_server(server):
    client = SC2Client("127.0.0.1", server.port, timeout_s=10, connect_timeout_s=10)
    client.quit()
    server._thread.join(10)
    assert not server._thread.is_alive()


def test_shim_tree_and_flags(tmp_path):
    binary = shim.make_shim(tmp_path)
    assert binary == tmp_path / "Versions" / f"Base{BASE_BUILD}" / "SC2_x64"
    assert os.access(binary, os.X_OK)
    for relative in embedded_map_paths().values():
        assert (tmp_path / "Maps" / relative).read_bytes().startswith(MAP_MARKER)
    args = shim.parse_sc2_args(["-listen", "127.0.0.1", "-port", "123", "-dataDir", "/x/", "-tempDir", "/t/",
                                "-displayMode", "0", "-headlessNoRender", "-verbose", "-dataVersion", "ABC"])
    assert args["port"] == "123" and args["headlessNoRender"] is True and args["dataVersion"] == "ABC"
    with pytest.raises(SystemExit):
        shim.parse_sc2_args(["-port"])


def test_pysc2_finds_the_shim_maps(tmp_path):
    """pysc2's run_configs + maps read the map bytes from the shim tree (what SC2Env sends)."""
    shim.make_shim(tmp_path)
    code = (
        "import sc2env\nfrom pysc2 import maps, run_configs\n"
        "rc = run_configs.get()\n"
        "print(rc.data_dir, maps.get('Simple64').data(rc)[:23], maps.get('MoveToBeacon').path)\n"
    )
    env = dict(os.environ, SC2PATH=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                         cwd=str(shim._PACKAGE_ROOT))
    assert out.returncode == 0, out.stderr[-2000:]
    assert str(tmp_path) in out.stdout and "starleague embedded map" in out.stdout
    assert "mini_games/MoveToBeacon.SC2Map" in out.stdout
