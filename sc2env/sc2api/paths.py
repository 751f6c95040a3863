"""Where StarCraft II is installed: the binary under SC2PATH and its maps.

Layout (the Linux package and pysc2's run_configs): $SC2PATH/Versions/Base<build>/SC2_x64,
maps under $SC2PATH/Maps (e.g. Maps/Melee/Simple64.SC2Map, Maps/mini_games/...). The newest
build is used unless one is pinned.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
from typing import Optional

from sc2env.sc2api.errors import SC2ApiError

DEFAULT_SC2PATH = "~/StarCraftII"
BINARY_NAMES = ("SC2_x64", "SC2_x64.exe")
_BASE_DIR = re.compile(r"^Base(\d+)$")


@dataclasses.dataclass(frozen=True)
class SC2Install:
    """One usable StarCraft II build."""

    root: pathlib.Path  # SC2PATH, passed as -dataDir
    binary: pathlib.Path
    base_build: int
    # Passed as -dataVersion when an older build is pinned (the newest finds its own, as in pysc2).
    data_version: Optional[str] = None

    @property
    def maps_dir(self) -> pathlib.Path:
        return self.root / "Maps"

    @property
    def replay_dir(self) -> pathlib.Path:
        return self.root / "Replays"

    @property
    def cwd(self) -> Optional[pathlib.Path]:
        # The Windows client must start in Support64; the Linux one needs no cwd.
        support = self.root / "Support64"
        return support if self.binary.name.endswith(".exe") and support.is_dir() else None


def sc2_root(sc2_path: Optional[str] = None) -> pathlib.Path:
    """The install root: the argument, else $SC2PATH, else ~/StarCraftII."""
    return pathlib.Path(os.path.expanduser(sc2_path or os.environ.get("SC2PATH") or DEFAULT_SC2PATH))


def available_builds(sc2_path: Optional[str] = None) -> dict[int, pathlib.Path]:
    """{base_build: binary path} for every Versions/Base<N> holding an SC2 binary."""
    versions = sc2_root(sc2_path) / "Versions"
    builds: dict[int, pathlib.Path] = {}
    if not versions.is_dir():
        return builds
    for entry in versions.iterdir():
        match = _BASE_DIR.match(entry.name)
        if not match:
            continue
        for name in BINARY_NAMES:
            binary = entry / name
            if binary.is_file():
                builds[int(match.group(1))] = binary
                break
    return builds


def find_install(sc2_path: Optional[str] = None, build: Optional[int] = None) -> SC2Install:
    """The newest (or the pinned) build under SC2PATH; a clear error saying what to set otherwise."""
    root = sc2_root(sc2_path)
    builds = available_builds(sc2_path)
    if not builds:
        raise SC2ApiError(
            f"no StarCraft II binary under {root}/Versions/Base*/SC2_x64; install the Linux package "
            "(https://github.com/Blizzard/s2client-proto#downloads) and set SC2PATH to its folder, "
            "or point SC2PATH at a tree made by `starleague sc2-server --make-shim DIR`",
            kind="binary",
        )
    data_version = None
    if build is None:
        build = max(builds)
    elif build not in builds:
        raise SC2ApiError(
            f"StarCraft II build {build} is not installed under {root}/Versions (found {sorted(builds)})",
            kind="version",
        )
    else:
        data_version = known_data_version(build) if build != max(builds) else None
    binary = builds[build]
    if not os.access(binary, os.X_OK):
        raise SC2ApiError(f"{binary} is not executable (chmod +x it)", kind="binary")
    return SC2Install(root=root, binary=binary, base_build=build, data_version=data_version)


def known_data_version(build: int) -> Optional[str]:
    """The data version pysc2's table lists for a build (None when unknown or ambiguous-free lookup fails)."""
    try:
        from pysc2.run_configs import lib
    except Exception:  # pysc2 missing: the game then picks its data itself
        return None
    versions = [v.data_version for v in lib.VERSIONS.values() if v.build_version == build and v.data_version]
    return versions[-1].upper() if versions else None


def list_maps(install: SC2Install) -> dict[str, pathlib.Path]:
    """{map name: file} for every .SC2Map under the install's Maps folder."""
    if not install.maps_dir.is_dir():
        return {}
    return {path.stem: path for path in sorted(install.maps_dir.rglob("*.SC2Map"))}


def find_map(install: SC2Install, map_name: str) -> pathlib.Path:
    """The map file for a name ('Simple64') or a path relative to Maps ('Melee/Simple64.SC2Map')."""
    direct = install.maps_dir / map_name
    if direct.suffix == ".SC2Map" and direct.is_file():
        return direct
    maps = list_maps(install)
    if map_name in maps:
        return maps[map_name]
    raise SC2ApiError(
        f"map {map_name!r} is not installed under {install.maps_dir} (found {sorted(maps) or 'no maps'}); "
        "download the map packs into that folder",
        kind="unknown_map",
    )
