"""Parameter snapshots: tensor-only bytes (safetensors), a sha256, and chunked streaming.

A snapshot is a policy's `state_dict` serialised with safetensors (no code, no pickle)
plus string metadata (player, version). It travels as a stream of
`protos.common_pb2.SnapshotChunk`; the receiver checks order, total size and the
sha256 of the whole file before it trusts a single byte.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Iterator

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save

from protos import common_pb2

DEFAULT_CHUNK_BYTES = 1 << 20  # 1 MiB: well under gRPC's default 4 MiB message limit
MAX_SNAPSHOT_BYTES = 4 << 30


class SnapshotError(ValueError):
    """A snapshot is corrupt, incomplete or does not fit the policy."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_snapshot(state_dict: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """state_dict -> safetensors bytes (tensors moved to CPU and made contiguous)."""
    tensors = {name: t.detach().to("cpu").contiguous() for name, t in state_dict.items()}
    return safetensors_save(tensors, metadata={k: str(v) for k, v in (metadata or {}).items()})


def decode_snapshot(data: bytes) -> dict[str, torch.Tensor]:
    """safetensors bytes -> state_dict; SnapshotError when the bytes are not safetensors."""
    try:
        return safetensors_load(data)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise SnapshotError(f"snapshot is not a valid safetensors file: {error}") from None


def chunk_snapshot(
    data: bytes, player_id: str, version: int, chunk_bytes: int = DEFAULT_CHUNK_BYTES, sha256: str | None = None
) -> Iterator[common_pb2.SnapshotChunk]:
    """Split snapshot bytes into SnapshotChunks; every chunk repeats the metadata."""
    digest = sha256 or sha256_hex(data)
    offsets = range(0, max(len(data), 1), chunk_bytes)
    for offset in offsets:
        yield common_pb2.SnapshotChunk(
            player_id=player_id,
            version=version,
            sha256=digest,
            total_bytes=len(data),
            offset=offset,
            data=data[offset : offset + chunk_bytes],
        )


def assemble_chunks(
    chunks: Iterable[common_pb2.SnapshotChunk], max_bytes: int = MAX_SNAPSHOT_BYTES
) -> tuple[bytes, common_pb2.SnapshotChunk]:
    """Join a chunk stream; returns (bytes, first chunk's metadata). Checks order, size, sha256."""
    parts: list[bytes] = []
    received = 0
    head = None
    for chunk in chunks:
        if head is None:
            head = chunk
            if chunk.total_bytes < 0 or chunk.total_bytes > max_bytes:
                raise SnapshotError(f"snapshot of {chunk.total_bytes} bytes is over the limit {max_bytes}")
        elif (chunk.sha256, chunk.version, chunk.total_bytes) != (head.sha256, head.version, head.total_bytes):
            raise SnapshotError("snapshot chunks disagree on version, size or checksum")
        if chunk.offset != received:
            raise SnapshotError(f"snapshot chunk at offset {chunk.offset}, expected {received}")
        received += len(chunk.data)
        if received > head.total_bytes:
            raise SnapshotError(f"snapshot stream longer than its declared {head.total_bytes} bytes")
        parts.append(chunk.data)
    if head is None:
        raise SnapshotError("empty snapshot stream")
    if received != head.total_bytes:
        raise SnapshotError(f"snapshot stream ended at {received} of {head.total_bytes} bytes")
    data = b"".join(parts)
    if sha256_hex(data) != head.sha256:
        raise SnapshotError("snapshot sha256 does not match its bytes")
    return data, head
