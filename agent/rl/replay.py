"""A bounded, thread-safe buffer of compressed trajectories for replay reuse.

IMPALA's experience replay (Espeholt et al. 2018, Section 5.3 / Table 1 "replay"): a share of
each learner batch is drawn from recently seen trajectories; V-trace corrects for their
older behaviour policy. Bounds, all enforced on insert: `capacity` trajectories and
`max_bytes` compressed bytes (the oldest leave first), and `max_reuse` replays per
trajectory (then it leaves). Sampling is uniform, or prioritised by recency: a
trajectory's weight halves for every `recency_half_life` trajectories inserted after it.

Payloads are stored compressed and never pickled: either the caller's wire bytes as they
are (`add`), or named numeric arrays that the buffer saves as .npz and compresses with
zstd (`add_arrays`; read back with `ReplayItem.arrays()`). Every item keeps the policy
version it was acted with, so the learner can report the policy lag of replayed data.

Thread-safe: the learner's gRPC threads insert while its training thread samples.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import threading
from typing import Mapping

import numpy as np
import zstandard

from agent.rl.config import REPLAY_SAMPLING, RLConfig
from agent.rl.errors import RLInputError

ENCODING_BYTES = "bytes"  # the caller's own (already compressed) wire payload
ENCODING_ARRAYS = "npz+zstd"  # named arrays saved by add_arrays


@dataclasses.dataclass(frozen=True)
class ReplayItem:
    payload: bytes
    policy_version: int  # the policy version the trajectory was acted with
    sequence: int  # insertion order, 0, 1, 2, ...
    times_replayed: int  # including the sample that returned this item
    encoding: str

    def arrays(self) -> dict[str, np.ndarray]:
        """The named arrays given to `add_arrays` (RLInputError for other or corrupt payloads)."""
        if self.encoding != ENCODING_ARRAYS:
            raise RLInputError(f"replay item {self.sequence} holds caller bytes ({self.encoding}), not arrays")
        return decode_arrays(self.payload)


@dataclasses.dataclass
class ReplayStats:
    size: int = 0  # trajectories held now
    nbytes: int = 0  # their compressed bytes
    added: int = 0
    rejected: int = 0  # refused on insert (too large, wrong type)
    evicted_for_capacity: int = 0
    evicted_for_bytes: int = 0
    retired_after_reuse: int = 0  # left after max_reuse replays
    replayed: int = 0  # items handed out by sample()
    last_lag_mean: float = 0.0  # policy lag of the last sample(learner_version=...)
    last_lag_max: int = 0
    lag_mean: float = 0.0  # over every replayed item given a learner_version


def encode_arrays(arrays: Mapping[str, np.ndarray], level: int = 3) -> bytes:
    """Named numeric arrays -> zstd-compressed .npz bytes (object arrays refused: they would pickle)."""
    if not isinstance(arrays, Mapping) or not arrays:
        raise RLInputError(f"arrays: expected a non-empty dict {{name: numpy array}}, got {type(arrays).__name__}")
    clean = {}
    for name, array in arrays.items():
        if not isinstance(name, str) or not isinstance(array, np.ndarray):
            raise RLInputError(f"arrays[{name!r}]: expected a str name and a numpy array, got {type(array).__name__}")
        if array.dtype.hasobject:
            raise RLInputError(f"arrays[{name!r}]: dtype {array.dtype} holds Python objects; only numeric arrays")
        clean[name] = array
    buffer = io.BytesIO()
    np.savez(buffer, **clean)
    return zstandard.ZstdCompressor(level=level).compress(buffer.getvalue())


def decode_arrays(payload: bytes) -> dict[str, np.ndarray]:
    try:
        raw = zstandard.ZstdDecompressor().decompress(payload)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (zstandard.ZstdError, ValueError, OSError, EOFError) as error:
        raise RLInputError(f"replay payload is not zstd-compressed .npz arrays: {error}") from None


def replay_split(batch_size: int, replay_proportion: float, available: int) -> tuple[int, int]:
    """(fresh, replayed) for one learner batch: round(B * proportion), at most `available`, >= 1 fresh."""
    if batch_size < 1 or not 0.0 <= replay_proportion < 1.0:
        raise RLInputError(f"replay_split: expected batch_size >= 1 and proportion in [0, 1), "
                           f"got {batch_size}, {replay_proportion}")
    replayed = min(int(round(batch_size * replay_proportion)), max(available, 0), batch_size - 1)
    return batch_size - replayed, replayed


@dataclasses.dataclass
class _Entry:
    payload: bytes
    policy_version: int
    sequence: int
    encoding: str
    times_replayed: int = 0


class ReplayBuffer:
    def __init__(
        self,
        capacity: int,
        max_bytes: int,
        max_reuse: int = 4,
        sampling: str = "uniform",
        recency_half_life: float = 100.0,
        seed: int | None = None,
    ):
        if capacity < 1 or max_bytes < 1 or max_reuse < 1:
            raise RLInputError(f"ReplayBuffer: capacity, max_bytes and max_reuse must be >= 1, "
                               f"got {capacity}, {max_bytes}, {max_reuse}")
        if sampling not in REPLAY_SAMPLING:
            raise RLInputError(f"ReplayBuffer: sampling must be one of {REPLAY_SAMPLING}, got {sampling!r}")
        if not recency_half_life > 0.0:
            raise RLInputError(f"ReplayBuffer: recency_half_life must be > 0, got {recency_half_life!r}")
        self.capacity = int(capacity)
        self.max_bytes = int(max_bytes)
        self.max_reuse = int(max_reuse)
        self.sampling = sampling
        self.recency_half_life = float(recency_half_life)
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._entries: collections.OrderedDict[int, _Entry] = collections.OrderedDict()  # oldest first
        self._next_sequence = 0
        self._stats = ReplayStats()
        self._lag_sum = 0.0
        self._lag_count = 0

    @classmethod
    def from_config(cls, config: RLConfig, seed: int | None = None) -> "ReplayBuffer":
        return cls(
            capacity=config.replay_capacity,
            max_bytes=int(config.replay_max_mb * 2**20),
            max_reuse=config.replay_max_reuse,
            sampling=config.replay_sampling,
            recency_half_life=config.replay_recency_half_life,
            seed=seed,
        )

    # --- insert (any thread) -------------------------------------------------------

    def add(self, payload: bytes, policy_version: int, encoding: str = ENCODING_BYTES) -> int:
        """Store `payload` (already-compressed bytes) acted with `policy_version`; returns its sequence."""
        if not isinstance(payload, (bytes, bytearray, memoryview)) or isinstance(policy_version, bool) \
                or not isinstance(policy_version, (int, np.integer)):
            with self._lock:
                self._stats.rejected += 1
            raise RLInputError(f"replay add: expected (bytes, int version), got ({type(payload).__name__}, "
                               f"{type(policy_version).__name__})")
        payload = bytes(payload)
        with self._lock:
            if len(payload) > self.max_bytes:
                self._stats.rejected += 1
                raise RLInputError(f"replay add: payload of {len(payload)} bytes exceeds the buffer's "
                                   f"max_bytes {self.max_bytes}; raise rl.replay_max_mb")
            sequence = self._next_sequence
            self._next_sequence += 1
            self._entries[sequence] = _Entry(payload, int(policy_version), sequence, encoding)
            self._stats.nbytes += len(payload)
            self._stats.added += 1
            self._evict_over_bounds()
            return sequence

    def add_arrays(self, arrays: Mapping[str, np.ndarray], policy_version: int, level: int = 3) -> int:
        """Compress named numeric arrays (outside the lock) and store them."""
        try:
            payload = encode_arrays(arrays, level)
        except RLInputError:
            with self._lock:
                self._stats.rejected += 1
            raise
        return self.add(payload, policy_version, encoding=ENCODING_ARRAYS)

    def _evict_over_bounds(self) -> None:
        while len(self._entries) > self.capacity:
            self._drop_oldest()
            self._stats.evicted_for_capacity += 1
        while self._stats.nbytes > self.max_bytes:
            self._drop_oldest()
            self._stats.evicted_for_bytes += 1

    def _drop_oldest(self) -> None:
        _, entry = self._entries.popitem(last=False)
        self._stats.nbytes -= len(entry.payload)

    # --- sample (training thread) --------------------------------------------------

    def sample(self, n: int, learner_version: int | None = None) -> list[ReplayItem]:
        """Up to `n` distinct trajectories (fewer when the buffer holds fewer).

        Each returned item counts one replay; at `max_reuse` replays it leaves the buffer.
        With `learner_version`, the policy lag (learner_version - policy_version) of the
        items is recorded in `stats()`.
        """
        if n < 0:
            raise RLInputError(f"replay sample: n must be >= 0, got {n}")
        with self._lock:
            count = min(n, len(self._entries))
            if count == 0:
                return []
            sequences = np.fromiter(self._entries.keys(), dtype=np.int64, count=len(self._entries))
            weights = None
            if self.sampling == "recency":
                age = (self._next_sequence - 1 - sequences).astype(np.float64)
                # Floored so that very old items keep a non-zero chance (choice needs count non-zeros).
                weights = np.maximum(np.exp2(-age / self.recency_half_life), 1e-300)
                weights /= weights.sum()
            picked = self._rng.choice(len(sequences), size=count, replace=False, p=weights)
            items = []
            for index in picked:
                entry = self._entries[int(sequences[index])]
                entry.times_replayed += 1
                items.append(ReplayItem(entry.payload, entry.policy_version, entry.sequence,
                                        entry.times_replayed, entry.encoding))
                if entry.times_replayed >= self.max_reuse:
                    del self._entries[entry.sequence]
                    self._stats.nbytes -= len(entry.payload)
                    self._stats.retired_after_reuse += 1
            self._stats.replayed += len(items)
            if learner_version is not None:
                lags = [int(learner_version) - item.policy_version for item in items]
                self._stats.last_lag_mean = float(np.mean(lags))
                self._stats.last_lag_max = int(max(lags))
                self._lag_sum += float(sum(lags))
                self._lag_count += len(lags)
                self._stats.lag_mean = self._lag_sum / self._lag_count
            return items

    # --- inspection -----------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._stats.nbytes

    def stats(self) -> ReplayStats:
        with self._lock:
            return dataclasses.replace(self._stats, size=len(self._entries))


def policy_lags(items: list[ReplayItem], learner_version: int) -> list[int]:
    """learner_version - the version each item was acted with."""
    return [int(learner_version) - item.policy_version for item in items]


__all__ = ["ReplayBuffer", "ReplayItem", "ReplayStats", "encode_arrays", "decode_arrays", "replay_split",
           "policy_lags", "ENCODING_BYTES", "ENCODING_ARRAYS"]
