import struct

import numpy as np
import pytest
import zstandard

from agent import wire


def _trajectory(T=5):
    rng = np.random.default_rng(0)
    return wire.Trajectory(
        obs={"entities": rng.normal(size=(T + 1, 7, 3)).astype(np.float32), "mask": np.ones((T + 1, 7), bool)},
        actions={"action_type": rng.integers(0, 9, size=(T + 1,)).astype(np.int64)},
        logp={"action_type": rng.normal(size=(T + 1,)).astype(np.float32)},
        first=np.zeros(T + 1, bool),
        reward=np.arange(T, dtype=np.float32),
        discount=np.full(T, 0.99, np.float32),
        state=[np.zeros(4, np.float32), np.ones(4, np.float32)],
    )


def test_trajectory_round_trip_keeps_names_dtypes_shapes_values():
    original = _trajectory()
    decoded = wire.decode_trajectory(wire.encode_trajectory(original))
    for name, array in original.to_arrays().items():
        got = decoded.to_arrays()[name]
        assert got.dtype == array.dtype and got.shape == array.shape
        np.testing.assert_array_equal(got, array)
    assert decoded.unroll_length == 5


def test_object_dtype_refused_on_encode():
    with pytest.raises(wire.WireError, match="dtype"):
        wire.encode_arrays({"x": np.array([object()], dtype=object)})


@pytest.mark.parametrize(
    "payload, match",
    [
        (b"not zstd at all", "zstd"),
        (zstandard.ZstdCompressor().compress(b"XXXX\x00\x00\x00\x00"), "magic"),
        (zstandard.ZstdCompressor().compress(wire.MAGIC + struct.pack("<I", 99) + b"{}"), "header length"),
        (zstandard.ZstdCompressor().compress(wire.MAGIC + struct.pack("<I", 2) + b"{]"), "JSON"),
    ],
)
def test_malformed_payloads_raise_wire_error(payload, match):
    with pytest.raises(wire.WireError, match=match):
        wire.decode_arrays(payload)


def test_header_that_lies_about_sizes_is_refused():
    packed = bytearray(wire.pack_arrays({"x": np.zeros(4, np.float32)}))
    lying = bytes(packed).replace(b'"nbytes":16', b'"nbytes":64')
    with pytest.raises(wire.WireError, match="does not match nbytes"):
        wire.decode_arrays(zstandard.ZstdCompressor().compress(lying))
    pickled_dtype = bytes(packed).replace(b'"<f4"', b'"|O8"')
    with pytest.raises(wire.WireError, match="not allowed"):
        wire.decode_arrays(zstandard.ZstdCompressor().compress(pickled_dtype))


def test_decompression_bomb_is_refused_before_inflating():
    bomb = wire.encode_arrays({"zeros": np.zeros(10_000_000, np.uint8)})
    assert len(bomb) < 10_000
    with pytest.raises(wire.WireError, match="over the limit"):
        wire.decode_arrays(bomb, max_decoded_bytes=1_000_000)
