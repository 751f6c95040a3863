import pytest
import torch

from agent import snapshot


def _state():
    return {"w": torch.randn(300, 200), "b": torch.arange(7, dtype=torch.int64)}


def test_snapshot_round_trip_through_chunks():
    state = _state()
    data = snapshot.encode_snapshot(state, {"player_id": "main_0", "version": 3})
    chunks = list(snapshot.chunk_snapshot(data, "main_0", 3, chunk_bytes=10_000))
    assert len(chunks) > 1
    joined, head = snapshot.assemble_chunks(chunks)
    assert head.version == 3 and head.player_id == "main_0"
    loaded = snapshot.decode_snapshot(joined)
    for name, tensor in state.items():
        assert torch.equal(loaded[name], tensor)


def test_corrupt_reordered_or_short_streams_are_refused():
    data = snapshot.encode_snapshot(_state())
    chunks = list(snapshot.chunk_snapshot(data, "p", 1, chunk_bytes=10_000))
    flipped = chunks[1].__class__()
    flipped.CopyFrom(chunks[1])
    flipped.data = bytes([flipped.data[0] ^ 1]) + flipped.data[1:]
    with pytest.raises(snapshot.SnapshotError, match="sha256"):
        snapshot.assemble_chunks([chunks[0], flipped, *chunks[2:]])
    with pytest.raises(snapshot.SnapshotError, match="offset"):
        snapshot.assemble_chunks([chunks[0], chunks[2], chunks[1], *chunks[3:]])
    with pytest.raises(snapshot.SnapshotError, match="ended at"):
        snapshot.assemble_chunks(chunks[:-1])
    with pytest.raises(snapshot.SnapshotError, match="empty"):
        snapshot.assemble_chunks([])


def test_bytes_that_are_not_safetensors_are_refused():
    with pytest.raises(snapshot.SnapshotError, match="safetensors"):
        snapshot.decode_snapshot(b"\x80\x04\x95 pickle-ish garbage")
