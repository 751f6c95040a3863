"""Read a real StarCraft II replay (.SC2Replay) without the game.

A .SC2Replay is an MPQ archive: the user-data header holds the build and the length in
game loops; `replay.details` (decoded with the protocol of that base build, from
Blizzard's s2protocol) holds the map and the players with their races and results.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import sys

# Game loops per second of game time at "Normal"; the game speed setting scales it.
LOOPS_PER_GAME_SECOND = 16.0
SPEED_FACTORS = {0: 0.6, 1: 0.8, 2: 1.0, 3: 1.2, 4: 1.4}  # Slower .. Faster
SPEED_NAMES = {0: "Slower", 1: "Slow", 2: "Normal", 3: "Fast", 4: "Faster"}
RESULT_NAMES = {0: "Undecided", 1: "Victory", 2: "Defeat", 3: "Tie"}
CONTROL_NAMES = {0: "Open", 1: "Closed", 2: "Human", 3: "Computer"}


class SC2ReplayError(ValueError):
    """The file is not a readable StarCraft II replay; the message names the file."""


@dataclasses.dataclass
class ReplayPlayer:
    name: str
    race: str
    result: str
    control: str


@dataclasses.dataclass
class SC2ReplayInfo:
    path: str
    base_build: int
    game_version: str
    map_name: str
    game_loops: int
    game_speed: str
    duration_seconds: float  # real time at the replay's game speed
    players: list[ReplayPlayer]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _protocol_dir() -> str:
    spec = importlib.util.find_spec("s2protocol")
    if spec is None or not spec.submodule_search_locations:
        raise SC2ReplayError("the s2protocol package is not installed (pip install s2protocol)")
    return os.path.join(list(spec.submodule_search_locations)[0], "versions")


def _load_protocol(base_build: int | None):
    """The s2protocol decoder module for a base build (None = the newest one).

    Loaded from its file directly: s2protocol.versions' own loader uses the `imp`
    module, which Python 3.12 removed.
    """
    directory = _protocol_dir()
    builds = sorted(int(m.group(1)) for f in os.listdir(directory) if (m := re.fullmatch(r"protocol(\d+)\.py", f)))
    build = builds[-1] if base_build is None else base_build
    if build not in builds:
        return None
    name = f"s2protocol.versions.protocol{build}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(directory, f"protocol{build}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def _text(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def read_replay_info(path: str) -> SC2ReplayInfo:
    """Header, map, duration and players of a .SC2Replay; SC2ReplayError when unreadable."""
    import mpyq

    if not os.path.isfile(path):
        raise SC2ReplayError(f"{path}: no such replay file")
    try:
        archive = mpyq.MPQArchive(path)
        header_bytes = archive.header["user_data_header"]["content"]
        header = _load_protocol(None).decode_replay_header(header_bytes)
    except Exception as error:  # mpyq and s2protocol raise many types on bad bytes
        raise SC2ReplayError(f"{path}: not a StarCraft II replay (MPQ header unreadable: {error})") from None
    version = header["m_version"]
    base_build = int(version["m_baseBuild"])
    protocol = _load_protocol(base_build)
    if protocol is None:
        raise SC2ReplayError(
            f"{path}: base build {base_build} is unknown to the installed s2protocol; upgrade s2protocol"
        )
    try:
        details_bytes = archive.read_file("replay.details")
        if details_bytes is None:
            raise KeyError("replay.details missing")
        details = protocol.decode_replay_details(details_bytes)
    except Exception as error:
        raise SC2ReplayError(f"{path}: replay.details unreadable ({error})") from None
    speed = int(details.get("m_gameSpeed", 4))
    loops = int(header["m_elapsedGameLoops"])
    players = [
        ReplayPlayer(
            name=_text(p["m_name"]),
            race=_text(p["m_race"]),
            result=RESULT_NAMES.get(int(p["m_result"]), str(p["m_result"])),
            control=CONTROL_NAMES.get(int(p.get("m_control", 2)), str(p.get("m_control"))),
        )
        for p in details["m_playerList"]
    ]
    return SC2ReplayInfo(
        path=path,
        base_build=base_build,
        game_version="{m_major}.{m_minor}.{m_revision}.{m_build}".format(**version),
        map_name=_text(details["m_title"]),
        game_loops=loops,
        game_speed=SPEED_NAMES.get(speed, str(speed)),
        duration_seconds=loops / LOOPS_PER_GAME_SECOND / SPEED_FACTORS.get(speed, 1.4),
        players=players,
    )
