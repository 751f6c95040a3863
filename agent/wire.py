"""Trajectory codec: named numpy arrays <-> zstd-compressed bytes, never pickle.

Container (before compression), all integers little-endian:

    b"SLA1" | uint32 header_len | header JSON (utf-8) | raw array buffers, back to back

The header is `{"arrays": [{"name", "dtype", "shape", "nbytes"}, ...]}` in buffer
order. Only plain numeric/bool dtypes are accepted (no object, no structured), so
decoding never runs code from the payload. Decoding checks every size against the
header and the caller's limit before allocating, and raises WireError on anything else.

A `Trajectory` is one unroll of one environment seat, monobeast style: T+1 rows of
observations, actions and behaviour log-probabilities (row T is also row 0 of the
next unroll, so the learner gets the bootstrap value from a real step), T rows of
rewards and discounts, and the policy's core state before row 0.
"""

from __future__ import annotations

import dataclasses
import json
import struct

import numpy as np
import zstandard

MAGIC = b"SLA1"
CODEC = "zstd+sla1"
# Dtypes a payload may carry: plain numbers and bools.
ALLOWED_DTYPES = frozenset(
    np.dtype(t).str for t in (np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint16,
                              np.uint32, np.uint64, np.float16, np.float32, np.float64)
)
DEFAULT_MAX_DECODED_BYTES = 256 * 1024 * 1024


class WireError(ValueError):
    """A payload cannot be decoded; the message says which part is wrong."""


def pack_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    """Named arrays -> uncompressed container bytes."""
    entries, buffers = [], []
    for name, array in arrays.items():
        array = np.asarray(array)
        array = np.ascontiguousarray(array).reshape(array.shape)  # ascontiguousarray makes 0-d arrays 1-d
        if array.dtype.str not in ALLOWED_DTYPES:
            raise WireError(f"array {name!r}: dtype {array.dtype} is not a plain numeric dtype")
        entries.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape), "nbytes": array.nbytes})
        buffers.append(array.tobytes())
    header = json.dumps({"arrays": entries}, separators=(",", ":")).encode()
    return b"".join([MAGIC, struct.pack("<I", len(header)), header, *buffers])


def unpack_arrays(data: bytes) -> dict[str, np.ndarray]:
    """Uncompressed container bytes -> named arrays (read-only views of `data`)."""
    if len(data) < 8 or data[:4] != MAGIC:
        raise WireError("payload does not start with the SLA1 container magic")
    (header_len,) = struct.unpack_from("<I", data, 4)
    if 8 + header_len > len(data):
        raise WireError(f"header length {header_len} runs past the payload ({len(data)} bytes)")
    try:
        header = json.loads(data[8 : 8 + header_len].decode())
        entries = header["arrays"]
        if not isinstance(entries, list):
            raise TypeError("arrays is not a list")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise WireError(f"payload header is not valid JSON of the expected form: {error}") from None
    arrays: dict[str, np.ndarray] = {}
    offset = 8 + header_len
    for entry in entries:
        try:
            name, dtype_str, shape, nbytes = entry["name"], entry["dtype"], entry["shape"], entry["nbytes"]
            shape = tuple(int(d) for d in shape)
            nbytes = int(nbytes)
        except (KeyError, TypeError, ValueError):
            raise WireError(f"malformed array entry in header: {entry!r}") from None
        if not isinstance(name, str) or name in arrays:
            raise WireError(f"array name {name!r} is not a string or is repeated")
        if dtype_str not in ALLOWED_DTYPES:
            raise WireError(f"array {name!r}: dtype {dtype_str!r} is not allowed")
        dtype = np.dtype(dtype_str)
        if any(d < 0 for d in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != nbytes:
            raise WireError(f"array {name!r}: shape {shape} x {dtype} does not match nbytes {nbytes}")
        if offset + nbytes > len(data):
            raise WireError(f"array {name!r}: buffer runs past the end of the payload")
        arrays[name] = np.frombuffer(data, dtype=dtype, count=nbytes // dtype.itemsize, offset=offset).reshape(shape)
        offset += nbytes
    if offset != len(data):
        raise WireError(f"{len(data) - offset} trailing bytes after the last array")
    return arrays


def encode_arrays(arrays: dict[str, np.ndarray], level: int = 3) -> bytes:
    """Named arrays -> zstd-compressed container (the trajectory payload)."""
    return zstandard.ZstdCompressor(level=level).compress(pack_arrays(arrays))


def decode_arrays(payload: bytes, max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES) -> dict[str, np.ndarray]:
    """zstd-compressed container -> named arrays; refuses to inflate past the limit."""
    try:
        params = zstandard.get_frame_parameters(payload)
    except zstandard.ZstdError as error:
        raise WireError(f"payload is not a zstd frame: {error}") from None
    if params.content_size > max_decoded_bytes:
        raise WireError(f"payload inflates to {params.content_size} bytes, over the limit {max_decoded_bytes}")
    try:
        data = zstandard.ZstdDecompressor().decompress(payload, max_output_size=max_decoded_bytes)
    except zstandard.ZstdError as error:
        raise WireError(f"payload does not decompress: {error}") from None
    return unpack_arrays(data)


@dataclasses.dataclass
class Trajectory:
    """One unroll of length T of one environment seat (see module docstring).

    obs:       {feature: [T+1, ...]}  observations, row T starts the next unroll
    actions:   {head: [T+1, ...]}     actions sampled at each row
    logp:      {head: [T+1]}          behaviour log-probabilities of those actions
    first:     [T+1] bool             row t is the first step of an episode (reset core)
    reward:    [T] float32            reward after the action of row t (discounted sum over the
                                      k env steps it covered: agent.actor.add_env_step)
    discount:  [T] float32            gamma^(k-1) after row t, 0 where the episode ended (the
                                      learner applies the last gamma: gamma^k in all)
    state:     [core tensor, ...]     policy core state before row 0, each without batch dim
    """

    obs: dict[str, np.ndarray]
    actions: dict[str, np.ndarray]
    logp: dict[str, np.ndarray]
    first: np.ndarray
    reward: np.ndarray
    discount: np.ndarray
    state: list[np.ndarray]

    @property
    def unroll_length(self) -> int:
        return int(self.reward.shape[0])

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"obs/{k}": v for k, v in self.obs.items()}
        arrays.update({f"action/{k}": v for k, v in self.actions.items()})
        arrays.update({f"logp/{k}": v for k, v in self.logp.items()})
        arrays.update({f"state/{i}": s for i, s in enumerate(self.state)})
        arrays.update(first=self.first, reward=self.reward, discount=self.discount)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Trajectory":
        for name in ("first", "reward", "discount"):
            if name not in arrays:
                raise WireError(f"trajectory payload has no {name!r} array")

        def group(prefix: str) -> dict[str, np.ndarray]:
            return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}

        states = group("state/")
        try:
            state = [states[str(i)] for i in range(len(states))]
        except KeyError:
            raise WireError(f"state arrays are not numbered 0..{len(states) - 1}: {sorted(states)}") from None
        known = {"first", "reward", "discount"}
        unknown = [k for k in arrays if k not in known and k.split("/", 1)[0] not in ("obs", "action", "logp", "state")]
        if unknown:
            raise WireError(f"unknown arrays in trajectory payload: {unknown}")
        return cls(
            obs=group("obs/"),
            actions=group("action/"),
            logp=group("logp/"),
            first=arrays["first"],
            reward=arrays["reward"],
            discount=arrays["discount"],
            state=state,
        )


def encode_trajectory(trajectory: Trajectory, level: int = 3) -> bytes:
    return encode_arrays(trajectory.to_arrays(), level=level)


def decode_trajectory(payload: bytes, max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES) -> Trajectory:
    return Trajectory.from_arrays(decode_arrays(payload, max_decoded_bytes))
