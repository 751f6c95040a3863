"""`starleague doctor`: what is installed for playing and training, and what to fix.

Checks the Python, protobuf runtime, the SC2 API modules and pysc2 (with the
compatibility fix), the StarCraft II binary under SC2PATH (build, and with --launch its
reported version), the maps found, and torch with CUDA. Missing StarCraft II is a
warning, not a failure: the embedded engine is the default backend.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
from typing import Optional

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclasses.dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="report the SC2 binary, maps, pysc2, protobuf, torch/CUDA and fixes")
    parser.add_argument("--sc2-path", default=None, help="StarCraft II folder (default: $SC2PATH or ~/StarCraftII)")
    parser.add_argument("--launch", action="store_true", help="start the SC2 binary once and ask its version (ping)")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.set_defaults(func=run)


def check_python() -> Check:
    version = platform.python_version()
    if sys.version_info < (3, 10):
        return Check("python", FAIL, version, "use Python 3.10 or newer")
    return Check("python", OK, f"{version} ({sys.executable})")


def check_protobuf() -> Check:
    try:
        import google.protobuf

        import sc2env  # noqa: F401  (installs the compatibility fix)
        from sc2env.pysc2_compat import protobuf_implementation
    except Exception as error:
        return Check("protobuf", FAIL, f"{type(error).__name__}: {error}", "pip install 'protobuf>=7.35,<8'")
    implementation = protobuf_implementation()
    detail = f"{google.protobuf.__version__}, implementation {implementation}"
    if implementation == "python":
        return Check("protobuf", WARN, detail + " (slow pure-Python runtime)",
                     "unset PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION to use the fast upb runtime")
    return Check("protobuf", OK, detail)


def check_sc2_modules() -> list[Check]:
    checks = []
    imports = {
        "s2clientprotocol": "from s2clientprotocol import sc2api_pb2, raw_pb2",
        "pysc2": "import pysc2.env.sc2_env; from pysc2.lib import actions, features, units; "
        "from pysc2 import run_configs, maps",
    }
    for name, statement in imports.items():
        try:
            import sc2env  # noqa: F401

            exec(statement, {})
        except Exception as error:
            checks.append(Check(name, FAIL, f"{type(error).__name__}: {error}",
                                "pip install -e . (pysc2>=4,<5 and pys2clientprotocol); sc2env.pysc2_compat "
                                "must be importable"))
            continue
        module = sys.modules.get(name if name != "pysc2" else "pysc2")
        where = getattr(module, "__file__", "") or ""
        checks.append(Check(name, OK, f"imports under Python {platform.python_version()} ({where})"))
    return checks


def check_sc2_binary(sc2_path: Optional[str], launch: bool) -> tuple[list[Check], object]:
    import sc2env  # noqa: F401
    from sc2env.sc2api.errors import SC2ApiError
    from sc2env.sc2api.paths import available_builds, find_install, sc2_root

    root = sc2_root(sc2_path)
    try:
        install = find_install(sc2_path)
    except SC2ApiError as error:
        return [Check("sc2 binary", WARN, f"none under {root}",
                      "install the Linux package (https://github.com/Blizzard/s2client-proto#downloads) and set "
                      "SC2PATH, or `starleague sc2-server --make-shim DIR` and SC2PATH=DIR; the embedded engine "
                      f"needs neither ({error.kind})")], None
    builds = sorted(available_builds(sc2_path))
    detail = f"{install.binary} (build {install.base_build}{_known_version(install.base_build)}; builds found {builds})"
    checks = [Check("sc2 binary", OK, detail)]
    if launch:
        checks.append(_ping_binary(install))
    return checks, install


def _known_version(build: int) -> str:
    try:
        from pysc2.run_configs import lib

        names = [v.game_version for v in lib.VERSIONS.values() if v.build_version == build]
    except Exception:
        return ""
    return f" = {names[-1]}" if names else ""


def _ping_binary(install) -> Check:
    from sc2env.sc2api.client import SC2Client
    from sc2env.sc2api.errors import SC2ApiError
    from sc2env.sc2api.process import SC2Process

    try:
        with SC2Process(install) as process:
            client = SC2Client(process.host, process.port, timeout_s=60, connect_timeout_s=120,
                               is_alive=lambda: process.running)
            ping = client.ping()
            client.quit()
    except SC2ApiError as error:
        return Check("sc2 launch", FAIL, str(error), "see the SC2 output above; check the install is complete")
    status = OK if ping.base_build == install.base_build else FAIL
    fix = "" if status == OK else "the Versions/Base<N> folder does not match the binary inside it"
    return Check("sc2 launch", status, f"game {ping.game_version}, base build {ping.base_build}", fix)


def check_maps(install) -> Check:
    from sc2env.sc2api.paths import list_maps

    if install is None:
        return Check("maps", WARN, "no SC2 install to look in", "maps go under $SC2PATH/Maps")
    maps = list_maps(install)
    if not maps:
        return Check("maps", WARN, f"no .SC2Map under {install.maps_dir}",
                     "download the map packs (Melee, mini_games, Ladder) into $SC2PATH/Maps")
    folders: dict[str, int] = {}
    for path in maps.values():
        folder = path.parent.relative_to(install.maps_dir).as_posix()
        folders[folder] = folders.get(folder, 0) + 1
    wanted = [name for name in ("Simple64",) if name not in maps]
    detail = f"{len(maps)} maps ({', '.join(f'{k}: {v}' for k, v in sorted(folders.items()))})"
    if wanted:
        return Check("maps", WARN, detail + f"; missing {wanted}", "add the Melee map pack to $SC2PATH/Maps/Melee")
    return Check("maps", OK, detail)


def check_torch() -> list[Check]:
    try:
        import torch
    except Exception as error:
        return [Check("torch", FAIL, f"{type(error).__name__}: {error}", "pip install 'torch>=2.3,<3'")]
    checks = [Check("torch", OK, f"{torch.__version__}")]
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        checks.append(Check("cuda", OK, f"CUDA {torch.version.cuda}: {', '.join(names)}"))
    else:
        built = torch.version.cuda or "none (CPU build)"
        checks.append(Check("cuda", WARN, f"no GPU visible; torch CUDA build: {built}",
                            "training runs on CPU; for a GPU install the CUDA build of torch and check nvidia-smi"))
    return checks


def collect(sc2_path: Optional[str] = None, launch: bool = False) -> list[Check]:
    checks = [check_python(), check_protobuf(), *check_sc2_modules()]
    sc2_checks, install = check_sc2_binary(sc2_path, launch)
    checks += sc2_checks
    checks.append(check_maps(install))
    checks += check_torch()
    return checks


def run(args: argparse.Namespace) -> int:
    checks = collect(args.sc2_path, args.launch)
    if args.json:
        print(json.dumps([dataclasses.asdict(c) for c in checks], indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            print(f"{check.status:>4}  {check.name:<{width}}  {check.detail}")
            if check.fix:
                print(f"{'':>4}  {'':<{width}}  fix: {check.fix}")
    return 1 if any(c.status == FAIL for c in checks) else 0
