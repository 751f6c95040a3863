"""A fake SC2PATH whose `Versions/Base<N>/SC2_x64` starts the embedded SC2 API server.

Programs that launch StarCraft II from SC2PATH (pysc2's run_configs, our SC2Process)
start this instead, unchanged: the executable accepts the flags they pass (-listen,
-port, -dataDir, -tempDir, -displayMode, -windowwidth, -dataVersion, -verbose, ...) and
serves ws://listen:port/sc2api. Maps/ holds one small file per map the engine plays,
laid out like the real map packs (Maps/Melee/Simple64.SC2Map, Maps/mini_games/...), so
pysc2's maps.get(...).data(run_config) finds and sends them.
"""

from __future__ import annotations

import logging
import os
import pathlib
import stat
import sys
from typing import Optional, Sequence

from sc2env.sc2api.server import BASE_BUILD, DEFAULT_GAME_LOOP_LIMIT, MAP_MARKER, embedded_map_paths, run_server

GAME_LOOP_LIMIT_ENV = "STARLEAGUE_SC2_GAME_LOOP_LIMIT"
# SC2 flags that take a value; every other "-flag" is a switch (e.g. -verbose, -headlessNoRender).
_VALUE_FLAGS = {"-listen", "-port", "-dataDir", "-tempDir", "-displayMode", "-windowwidth", "-windowheight",
                "-windowx", "-windowy", "-dataVersion", "-eglpath", "-osmesapath"}
_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]


def parse_sc2_args(argv: Sequence[str]) -> dict[str, object]:
    """SC2_x64's command line -> {flag without dash: value or True}."""
    out: dict[str, object] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            raise SystemExit(f"SC2_x64 (embedded): unexpected argument {arg!r}")
        if arg in _VALUE_FLAGS:
            if i + 1 >= len(argv):
                raise SystemExit(f"SC2_x64 (embedded): {arg} needs a value")
            out[arg[1:]] = argv[i + 1]
            i += 2
        else:
            out[arg[1:]] = True
            i += 1
    return out


def shim_main(argv: Sequence[str]) -> int:
    """Entry point of the shim executable."""
    args = parse_sc2_args(argv)
    logging.basicConfig(level=logging.INFO if args.get("verbose") else logging.WARNING,
                        format="%(asctime)s embedded-sc2 %(levelname)s %(message)s")
    if "port" not in args:
        raise SystemExit("SC2_x64 (embedded): -port is required")
    limit = int(os.environ.get(GAME_LOOP_LIMIT_ENV) or DEFAULT_GAME_LOOP_LIMIT)
    return run_server(host=str(args.get("listen", "127.0.0.1")), port=int(args["port"]), game_loop_limit=limit)


def make_shim(root: str | os.PathLike, python: Optional[str] = None, build: int = BASE_BUILD) -> pathlib.Path:
    """Write the fake SC2PATH tree under `root`; returns the executable's path."""
    root = pathlib.Path(root)
    binary = root / "Versions" / f"Base{build}" / "SC2_x64"
    binary.parent.mkdir(parents=True, exist_ok=True)
    (root / "Replays").mkdir(exist_ok=True)
    script = (
        f"#!{python or sys.executable}\n"
        "# StarCraft II stand-in: the starleague embedded engine's SC2 API server.\n"
        "import sys\n"
        f"sys.path.insert(0, {str(_PACKAGE_ROOT)!r})\n"
        "from sc2env.sc2api.shim import shim_main\n"
        "sys.exit(shim_main(sys.argv[1:]))\n"
    )
    binary.write_text(script)
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    for name, relative in embedded_map_paths().items():
        path = root / "Maps" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(MAP_MARKER + name.encode() + b"\n")
    return binary
