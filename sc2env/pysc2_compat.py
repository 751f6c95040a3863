"""Make pysc2 4.0 and the SC2 API protocol modules import on Python 3.11+ under upb.

Why this exists: the published packages break in a modern interpreter, in three ways.

1. `s2clientprotocol` 5.0.x ships old-style generated modules that build descriptors
   with `_descriptor.FileDescriptor(serialized_pb=...)` / `_descriptor.Descriptor(...)`.
   The fast protobuf runtimes (upb, cpp) refuse that ("Descriptors cannot be created
   directly"). `pys2clientprotocol` ships modern modules under the same import name,
   but both wheels install into the same folder, so which files are on disk depends on
   install order. A `sys.meta_path` finder recognises an old-style `*_pb2.py` and
   builds the module the modern way from its serialized FileDescriptorProto (read with
   `ast`, never executed); modern files load untouched.
2. pysc2's `lib/colors.py` calls `random.shuffle(palette, lambda: 0.5)`; the two-argument
   form was removed in Python 3.11. The finder loads that one module with the call
   routed to a shuffle that reproduces the old algorithm (same palette as before).
   Bytecode for the patched source is never cached, so an unpatched import stays sane.
3. pysc2 reads absl flags (`FLAGS.sc2_timeout`, ...) deep inside the library, which
   raises unless `FLAGS` was parsed by `absl.app.run`. Library use without `app.run`
   marks the flags parsed, so every flag has its default; `app.run` still parses argv.

`install()` is idempotent and called by `import sc2env`.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType
from typing import Callable, MutableSequence, Optional, Sequence

# Packages whose generated *_pb2 modules may be old-style on disk.
LEGACY_PROTO_PACKAGES = ("s2clientprotocol",)
COLORS_MODULE = "pysc2.lib.colors"
_COLORS_CALL = b"random.shuffle(palette, lambda: 0.5)"
_COLORS_REPLACEMENT = b"_compat_shuffle(palette, lambda: 0.5)"


class Pysc2CompatError(ImportError):
    """An SC2 API module on disk could not be loaded even with the compatibility fix."""


def legacy_shuffle(items: MutableSequence, random_fn: Callable[[], float]) -> None:
    """`random.shuffle(x, random)` as Python <= 3.10 implemented it (in place)."""
    for i in reversed(range(1, len(items))):
        j = int(random_fn() * (i + 1))
        items[i], items[j] = items[j], items[i]


def is_legacy_generated_source(source: bytes) -> bool:
    """True for a protoc output that builds descriptors directly (pre-3.20 style)."""
    return b"serialized_pb" in source and b"AddSerializedFile" not in source


def serialized_file_descriptor(source: bytes, filename: str = "<generated>") -> bytes:
    """The FileDescriptorProto bytes in an old-style module's `FileDescriptor(serialized_pb=...)`.

    Old protoc wrote either a bytes literal or `_b('...')` (a latin-1 str, for py2/py3).
    """
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg != "serialized_pb":
                continue
            value = keyword.value
            if isinstance(value, ast.Call) and len(value.args) == 1:  # _b('...')
                value = value.args[0]
            if isinstance(value, ast.Constant) and isinstance(value.value, bytes):
                return value.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value.encode("latin-1")
    raise Pysc2CompatError(f"{filename}: no literal serialized_pb=... found in the old-style generated module")


def _dependency_module_name(proto_path: str) -> str:
    # protoc maps "a/b/c.proto" to module "a.b.c_pb2".
    return proto_path[: -len(".proto")].replace("/", ".").replace("-", "_") + "_pb2"


class _LegacyProtoLoader(importlib.abc.Loader):
    """Builds an old-style generated module from its serialized descriptor."""

    def __init__(self, path: str, source: bytes):
        self._path = path
        self._source = source

    def create_module(self, spec):
        return None

    def exec_module(self, module: ModuleType) -> None:
        from google.protobuf import descriptor_pb2, descriptor_pool
        from google.protobuf.internal import builder

        serialized = serialized_file_descriptor(self._source, self._path)
        file_proto = descriptor_pb2.FileDescriptorProto.FromString(serialized)
        pool = descriptor_pool.Default()
        for dependency in file_proto.dependency:
            try:
                pool.FindFileByName(dependency)
            except KeyError:
                # Registers the dependency the same way (modern or rebuilt).
                importlib.import_module(_dependency_module_name(dependency))
        try:
            file_descriptor = pool.AddSerializedFile(serialized)
        except Exception as error:  # a conflicting definition already in the pool
            raise Pysc2CompatError(f"{self._path}: cannot register {file_proto.name}: {error}") from error
        namespace = module.__dict__
        namespace["DESCRIPTOR"] = file_descriptor
        builder.BuildMessageAndEnumDescriptors(file_descriptor, namespace)
        builder.BuildTopDescriptorsAndMessages(file_descriptor, module.__name__, namespace)


class _ColorsLoader(importlib.abc.Loader):
    """Runs pysc2/lib/colors.py with the removed two-argument shuffle routed to legacy_shuffle."""

    def __init__(self, path: str, source: bytes):
        self._path = path
        self._source = source

    def create_module(self, spec):
        return None

    def exec_module(self, module: ModuleType) -> None:
        # Same length and line numbers as the original; compiled here so no patched
        # bytecode lands in __pycache__.
        code = compile(self._source.replace(_COLORS_CALL, _COLORS_REPLACEMENT), self._path, "exec")
        module.__dict__["_compat_shuffle"] = legacy_shuffle
        exec(code, module.__dict__)


class Pysc2CompatFinder(importlib.abc.MetaPathFinder):
    """Intercepts only the modules that need the fix and only when the file needs it."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]], target=None):
        is_proto = fullname.endswith("_pb2") and fullname.split(".", 1)[0] in LEGACY_PROTO_PACKAGES
        if not is_proto and fullname != COLORS_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return None
        with open(spec.origin, "rb") as file:
            source = file.read()
        if is_proto:
            if not is_legacy_generated_source(source):
                return None
            loader: importlib.abc.Loader = _LegacyProtoLoader(spec.origin, source)
        else:
            if _COLORS_CALL not in source or sys.version_info < (3, 11):
                return None
            loader = _ColorsLoader(spec.origin, source)
        return importlib.util.spec_from_file_location(fullname, spec.origin, loader=loader)


def _mark_absl_flags_parsed() -> None:
    try:
        from absl import flags
    except ImportError:  # absl comes with pysc2; without it there is nothing to fix
        return
    if not flags.FLAGS.is_parsed():
        flags.FLAGS.mark_as_parsed()


def install() -> None:
    """Apply the fix to this process (idempotent)."""
    # pysc2 imports pygame (human renderer) which prints a banner into every library user's output.
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    if not any(isinstance(finder, Pysc2CompatFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, Pysc2CompatFinder())
    _mark_absl_flags_parsed()


def protobuf_implementation() -> str:
    """'upb', 'cpp' or 'python': which protobuf runtime this process uses."""
    from google.protobuf.internal import api_implementation

    return api_implementation.Type()
