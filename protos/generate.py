"""Regenerate the Python modules for every .proto in this folder.

    python -m protos.generate          # write protos/*_pb2.py, *_pb2_grpc.py
    python -m protos.generate --check  # exit 1 when a checked-in module is stale

The generated modules are checked in so that an installed package needs no protoc;
tests/protos/test_generated.py fails when they no longer match their .proto.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

PROTO_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(PROTO_DIR)


def proto_files() -> list[str]:
    return sorted(f for f in os.listdir(PROTO_DIR) if f.endswith(".proto"))


def generate(out_root: str) -> list[str]:
    """Run protoc (from grpcio-tools) for every .proto; returns the generated paths."""
    from grpc_tools import protoc
    import grpc_tools

    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = [os.path.join("protos", name) for name in proto_files()]
    if not files:
        return []
    os.makedirs(os.path.join(out_root, "protos"), exist_ok=True)
    args = ["protoc", f"-I{ROOT}", f"-I{include}", f"--python_out={out_root}", f"--grpc_python_out={out_root}", *files]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {files}")
    generated = []
    for name in proto_files():
        stem = name[: -len(".proto")]
        generated += [f"protos/{stem}_pb2.py", f"protos/{stem}_pb2_grpc.py"]
    return generated


def stale_modules() -> list[str]:
    """Generated modules that differ from what protoc makes of the .proto files now."""
    with tempfile.TemporaryDirectory() as tmp:
        stale = []
        for rel in generate(tmp):
            fresh = open(os.path.join(tmp, rel), "rb").read()
            path = os.path.join(ROOT, rel)
            if not os.path.exists(path) or open(path, "rb").read() != fresh:
                stale.append(rel)
        return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale modules")
    args = parser.parse_args()
    if args.check:
        stale = stale_modules()
        for rel in stale:
            print(f"stale: {rel} (run python -m protos.generate)")
        return 1 if stale else 0
    for rel in generate(ROOT):
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
