"""sc2env.pysc2_compat: pysc2 + SC2 API protos import on Python 3.11 under the fast protobuf.

Each import runs in a fresh interpreter so no earlier import in the test process hides a
failure. The legacy fixture is common_pb2.py from the s2clientprotocol 5.0.17 wheel (MIT),
exactly as protoc 3.x wrote it.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from sc2env import pysc2_compat

REPO = pathlib.Path(__file__).resolve().parents[2]
LEGACY_COMMON = pathlib.Path(__file__).resolve().parent / "sc2api" / "data" / "legacy_common_pb2.py"

pytestmark = pytest.mark.timeout(120)


def run_fresh(code: str) -> dict:
    """Run code in a new interpreter; it must print one JSON line last."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.pop("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=100
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


IMPORTS = {
    "sc2_env": "import pysc2.env.sc2_env as m; ok = hasattr(m, 'SC2Env')",
    "lib": "from pysc2.lib import actions, features, units; ok = bool(actions.RAW_FUNCTIONS) and units.Terran.Marine == 48",
    "run_configs_maps": "from pysc2 import run_configs, maps; ok = maps.get('Simple64').filename == 'Simple64'",
    "protos": "from s2clientprotocol import sc2api_pb2, raw_pb2; "
    "ok = sc2api_pb2.Request(ping=sc2api_pb2.RequestPing()).WhichOneof('request') == 'ping' and raw_pb2.Unit().tag == 0",
    # All of them in one process, flags read without absl.app.run, the patched shuffle called.
    "all_together": "import pysc2.env.sc2_env; from pysc2.lib import actions, features, units, remote_controller, colors; "
    "from pysc2 import run_configs, maps; from s2clientprotocol import sc2api_pb2, raw_pb2; "
    "ok = remote_controller.FLAGS.sc2_timeout == 360 and colors.unit_type(2000).shape == (2000, 3)",
}


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_import_works_under_fast_protobuf(name):
    result = run_fresh(
        f"""
        import json, sc2env
        {IMPORTS[name]}
        from google.protobuf.internal import api_implementation
        print(json.dumps({{"ok": ok, "impl": api_implementation.Type()}}))
        """
    )
    assert result["ok"]
    assert result["impl"] != "python"


def test_without_the_fix_pysc2_fails_here():
    """Guards the test above: the fix is what makes the difference on this interpreter."""
    if sys.version_info < (3, 11):
        pytest.skip("the two-argument shuffle still exists before Python 3.11")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-c", "from pysc2.lib import features"], capture_output=True, text=True, env=env, timeout=100
    )
    assert proc.returncode != 0
    assert "shuffle" in proc.stderr


def _legacy_package(tmp_path: pathlib.Path) -> pathlib.Path:
    """A temp `s2clientprotocol` package holding only old-style generated modules."""
    package = tmp_path / "s2clientprotocol"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "common_pb2.py").write_bytes(LEGACY_COMMON.read_bytes())
    return package


def _write_tiny_legacy_module(package: pathlib.Path) -> None:
    """An old-style module for a tiny .proto that depends on common.proto (dependency loading)."""
    from google.protobuf import descriptor_pb2

    file_proto = descriptor_pb2.FileDescriptorProto(
        name="s2clientprotocol/tiny.proto", package="SC2APIProtocol", syntax="proto2"
    )
    file_proto.dependency.append("s2clientprotocol/common.proto")
    message = file_proto.message_type.add(name="Tiny")
    message.field.add(
        name="where",
        number=1,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        type_name=".SC2APIProtocol.Point2D",
    )
    message.field.add(
        name="count",
        number=2,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    )
    serialized = file_proto.SerializeToString()
    # The shape protoc 3.x wrote: descriptors built directly, no AddSerializedFile.
    (package / "tiny_pb2.py").write_text(
        "from google.protobuf import descriptor as _descriptor\n"
        "from s2clientprotocol import common_pb2 as s2clientprotocol_dot_common__pb2\n"
        "DESCRIPTOR = _descriptor.FileDescriptor(\n"
        "  name='s2clientprotocol/tiny.proto',\n"
        "  package='SC2APIProtocol',\n"
        "  syntax='proto2',\n"
        f"  serialized_pb={serialized!r},\n"
        "  dependencies=[s2clientprotocol_dot_common__pb2.DESCRIPTOR,])\n"
    )


def test_legacy_generated_modules_fail_without_the_finder(tmp_path):
    _legacy_package(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-c", "from s2clientprotocol import common_pb2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=100,
    )
    assert proc.returncode != 0
    assert "Descriptors cannot be created directly" in proc.stderr


def test_legacy_generated_modules_load_through_the_finder(tmp_path):
    package = _legacy_package(tmp_path)
    _write_tiny_legacy_module(package)
    # tmp_path must come first on sys.path so the legacy package shadows the installed one.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    code = textwrap.dedent(
        """
        import json
        import sc2env
        from s2clientprotocol import tiny_pb2, common_pb2
        from google.protobuf.internal import api_implementation
        tiny = tiny_pb2.Tiny(where=common_pb2.Point2D(x=1.5, y=2.0), count=3)
        back = tiny_pb2.Tiny.FromString(tiny.SerializeToString())
        print(json.dumps({"impl": api_implementation.Type(), "file": common_pb2.__file__,
                          "x": back.where.x, "count": back.count, "terran": common_pb2.Terran,
                          "race_name": common_pb2.Race.Name(2),
                          "image_fields": sorted(common_pb2.ImageData.DESCRIPTOR.fields_by_name)}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=100)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["file"].startswith(str(package))
    assert result["impl"] != "python"
    assert result["x"] == 1.5 and result["count"] == 3
    assert result["terran"] == 1 and result["race_name"] == "Zerg"
    assert result["image_fields"] == ["bits_per_pixel", "data", "size"]


def test_serialized_descriptor_is_read_from_both_literal_forms():
    legacy = LEGACY_COMMON.read_bytes()
    assert pysc2_compat.is_legacy_generated_source(legacy)
    from_b_call = pysc2_compat.serialized_file_descriptor(legacy)
    assert from_b_call.startswith(b"\n\x1ds2clientprotocol/common.proto")
    as_bytes = pysc2_compat.serialized_file_descriptor(b"D = F(name='x', serialized_pb=b'\\n\\x01x')")
    assert as_bytes == b"\n\x01x"
    with pytest.raises(pysc2_compat.Pysc2CompatError):
        pysc2_compat.serialized_file_descriptor(b"D = F(name='x')")


def test_modern_generated_modules_are_left_alone():
    from s2clientprotocol import common_pb2

    source = pathlib.Path(common_pb2.__file__).read_bytes()
    if pysc2_compat.is_legacy_generated_source(source):
        pytest.skip("the installed s2clientprotocol files are the old-style ones")
    assert not isinstance(common_pb2.__loader__, pysc2_compat._LegacyProtoLoader)


def test_legacy_shuffle_matches_the_removed_python_310_algorithm():
    items = [0, 1, 2, 3, 4]
    pysc2_compat.legacy_shuffle(items, lambda: 0.5)
    # i=4: j=2; i=3: j=2; i=2: j=1; i=1: j=1 (Python 3.10's random.shuffle with random=).
    assert items == [0, 3, 1, 4, 2]
