"""numba's cache for the engine's kernels is keyed by the whole engine source: a change to a
helper in one file (inlined into a kernel in another) must not reuse the stale compiled kernel."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import sc2env

SHOW_CACHE_DIR = "import sc2env.engine, numba; print(numba.config.CACHE_DIR)"


def _cache_dir(root: pathlib.Path, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    environment.update(env, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", SHOW_CACHE_DIR], cwd=root, env=environment,
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip()


def test_editing_any_engine_file_moves_the_kernel_cache(tmp_path):
    source = pathlib.Path(sc2env.__file__).resolve().parent
    copy = tmp_path / "sc2env"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = _cache_dir(tmp_path)
    assert before.startswith(str(copy / "engine" / "__pycache__" / "numba-"))
    with open(copy / "engine" / "pathing.py", "a") as f:
        f.write("\n# an edit to a file whose helpers other kernels inline\n")
    after = _cache_dir(tmp_path)
    assert after != before
    assert _cache_dir(tmp_path, NUMBA_CACHE_DIR=str(tmp_path / "mine")) == str(tmp_path / "mine")
