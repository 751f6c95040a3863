"""`starleague sc2-server` and `starleague doctor`, run as a user runs them."""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys

import pytest

import sc2env  # noqa: F401
from sc2env.sc2api import shim
from sc2env.sc2api.client import SC2Client
from sc2env.sc2api.server import BASE_BUILD

REPO = pathlib.Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(120)


def starleague(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "starleague.cli", *args], capture_output=True, text=True,
                          cwd=str(REPO), timeout=100, **kwargs)


def test_sc2_server_serves_until_quit():
    server = subprocess.Popen([sys.executable, "-m", "starleague.cli", "sc2-server", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO))
    try:
        line = server.stdout.readline()
        match = re.search(r"ws://127\.0\.0\.1:(\d+)/sc2api", line)
        assert match, line + server.stderr.read()
        client = SC2Client("127.0.0.1", int(match.group(1)), timeout_s=30, connect_timeout_s=30)
        assert client.ping().base_build == BASE_BUILD
        assert "Melee/Simple64.SC2Map" in client.available_maps().local_map_paths
        client.quit()
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_doctor_on_the_shim_launches_it_and_reports_everything(tmp_path, capsys):
    from starleague.commands import doctor

    shim.make_shim(tmp_path)
    code = doctor.run(argparse.Namespace(sc2_path=str(tmp_path), launch=True, json=True))
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert checks["sc2 binary"]["status"] == "ok" and str(BASE_BUILD) in checks["sc2 binary"]["detail"]
    assert checks["sc2 launch"]["status"] == "ok" and "embedded" in checks["sc2 launch"]["detail"]
    assert checks["maps"]["status"] == "ok" and "Melee: 2" in checks["maps"]["detail"]
    assert checks["pysc2"]["status"] == "ok" and checks["s2clientprotocol"]["status"] == "ok"
    assert "implementation upb" in checks["protobuf"]["detail"] or "implementation cpp" in checks["protobuf"]["detail"]
    assert checks["torch"]["status"] == "ok" and "cuda" in checks
    assert code == 0


def test_doctor_without_sc2_says_what_to_fix(tmp_path, capsys):
    from starleague.commands import doctor

    code = doctor.run(argparse.Namespace(sc2_path=str(tmp_path / "none"), launch=False, json=False))
    out = capsys.readouterr().out
    assert code == 0  # the embedded engine needs no SC2: a warning, not a failure
    assert "warn  sc2 binary" in out and "fix: install the Linux package" in out
