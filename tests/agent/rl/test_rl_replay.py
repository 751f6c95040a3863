"""Replay buffer: bounds in count and bytes, reuse cap, recency bias, policy lag, threads."""

import threading

import numpy as np
import pytest

from agent.rl.config import RLConfig
from agent.rl.errors import RLInputError
from agent.rl.replay import ReplayBuffer, decode_arrays, policy_lags, replay_split


def payload(i, size=100):
    return bytes([i % 256]) * size


def test_count_bound_evicts_the_oldest():
    buffer = ReplayBuffer(capacity=5, max_bytes=10**6, seed=0)
    for i in range(8):
        assert buffer.add(payload(i), policy_version=i) == i
    assert len(buffer) == 5
    items = buffer.sample(5)
    assert sorted(item.sequence for item in items) == [3, 4, 5, 6, 7]
    assert all(item.payload == payload(item.sequence) for item in items)
    assert buffer.stats().evicted_for_capacity == 3


def test_byte_bound_and_oversized_payloads():
    buffer = ReplayBuffer(capacity=100, max_bytes=1000, seed=0)
    for i in range(5):
        buffer.add(payload(i, 300), policy_version=0)
    assert len(buffer) == 3 and buffer.nbytes == 900
    assert buffer.stats().evicted_for_bytes == 2
    with pytest.raises(RLInputError, match="exceeds the buffer's max_bytes"):
        buffer.add(payload(9, 1001), policy_version=0)
    with pytest.raises(RLInputError, match="expected \\(bytes, int version\\)"):
        buffer.add("not bytes", policy_version=0)
    stats = buffer.stats()
    assert stats.rejected == 2 and stats.size == 3 and stats.nbytes == 900  # nothing stored was lost


def test_reuse_cap_retires_trajectories():
    buffer = ReplayBuffer(capacity=10, max_bytes=10**6, max_reuse=2, seed=1)
    for i in range(3):
        buffer.add(payload(i), policy_version=0)
    first = buffer.sample(3)
    assert len({item.sequence for item in first}) == 3  # distinct within one sample
    assert all(item.times_replayed == 1 for item in first)
    second = buffer.sample(10)
    assert len(second) == 3 and all(item.times_replayed == 2 for item in second)
    assert len(buffer) == 0 and buffer.nbytes == 0 and buffer.sample(4) == []
    assert buffer.stats().retired_after_reuse == 3 and buffer.stats().replayed == 6


def sampled_ages(sampling, draws=3000):
    buffer = ReplayBuffer(capacity=100, max_bytes=10**7, max_reuse=10**9, sampling=sampling,
                          recency_half_life=10.0, seed=2)
    for i in range(100):
        buffer.add(payload(i), policy_version=i)
    return np.array([99 - buffer.sample(1)[0].sequence for _ in range(draws)])


def test_recency_sampling_prefers_new_trajectories():
    recency, uniform = sampled_ages("recency"), sampled_ages("uniform")
    newest, oldest = (recency < 10).sum(), (recency >= 90).sum()
    assert newest > 20 * max(oldest, 1)
    # Half-life 10: about half the mass within the newest 10 trajectories.
    assert 0.4 < newest / len(recency) < 0.6
    assert 0.06 < (uniform < 10).mean() < 0.14 and 0.06 < (uniform >= 90).mean() < 0.14


def test_policy_lag_is_recorded():
    buffer = ReplayBuffer(capacity=10, max_bytes=10**6, seed=3)
    for version in range(10):
        buffer.add(payload(version), policy_version=version)
    items = buffer.sample(4, learner_version=12)
    lags = policy_lags(items, 12)
    assert lags == [12 - item.policy_version for item in items]
    stats = buffer.stats()
    assert stats.last_lag_mean == pytest.approx(np.mean(lags)) and stats.last_lag_max == max(lags)
    more = buffer.sample(2, learner_version=15)
    assert buffer.stats().lag_mean == pytest.approx(np.mean(lags + policy_lags(more, 15)))


def test_named_arrays_are_stored_compressed_and_without_pickle():
    buffer = ReplayBuffer(capacity=4, max_bytes=10**6, seed=4)
    arrays = {"reward": np.zeros((80, 1), np.float32), "actions": np.tile(np.arange(16, dtype=np.int64), 5000)}
    buffer.add_arrays(arrays, policy_version=7)
    assert buffer.nbytes < 0.1 * sum(a.nbytes for a in arrays.values())
    (item,) = buffer.sample(1)
    back = item.arrays()
    assert back.keys() == arrays.keys() and all(np.array_equal(back[k], arrays[k]) for k in arrays)
    with pytest.raises(RLInputError, match="only numeric arrays"):
        buffer.add_arrays({"bad": np.array([{"a": 1}], dtype=object)}, policy_version=0)
    with pytest.raises(RLInputError, match="not zstd-compressed"):
        decode_arrays(b"garbage")
    buffer.add(b"wire bytes", policy_version=1)
    (raw,) = [i for i in buffer.sample(2) if i.policy_version == 1]
    with pytest.raises(RLInputError, match="holds caller bytes"):
        raw.arrays()
    assert buffer.stats().rejected == 1


def test_replay_split_and_config():
    assert replay_split(8, 0.0, 100) == (8, 0)
    assert replay_split(8, 0.5, 100) == (4, 4)
    assert replay_split(8, 0.5, 2) == (6, 2)
    assert replay_split(1, 0.9, 100) == (1, 0)  # always at least one fresh trajectory
    buffer = ReplayBuffer.from_config(RLConfig(replay_capacity=7, replay_max_mb=1.0, replay_max_reuse=3,
                                               replay_sampling="recency"))
    assert (buffer.capacity, buffer.max_bytes, buffer.max_reuse, buffer.sampling) == (7, 2**20, 3, "recency")
    with pytest.raises(RLInputError, match="sampling"):
        ReplayBuffer(capacity=1, max_bytes=1, sampling="lifo")


@pytest.mark.timeout(60)
def test_concurrent_inserts_and_samples_keep_the_bounds():
    buffer = ReplayBuffer(capacity=50, max_bytes=4000, max_reuse=3, sampling="recency", recency_half_life=5, seed=5)
    errors, seen = [], {}
    stop = threading.Event()

    def insert(worker):
        try:
            for i in range(300):
                buffer.add(payload(i, 50 + (i * 7 + worker) % 100), policy_version=i)
                assert len(buffer) <= 50 and buffer.nbytes <= 4000
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def sample():
        while not stop.is_set():
            for item in buffer.sample(8, learner_version=300):
                seen[item.sequence] = seen.get(item.sequence, 0) + 1
                assert item.times_replayed == seen[item.sequence]

    sampler = threading.Thread(target=sample)
    sampler.start()
    inserters = [threading.Thread(target=insert, args=(w,)) for w in range(4)]
    for thread in inserters:
        thread.start()
    for thread in inserters:
        thread.join()
    stop.set()
    sampler.join()
    assert not errors
    stats = buffer.stats()
    assert stats.added == 1200 and max(seen.values()) <= 3 and stats.replayed == sum(seen.values())
    assert stats.size == stats.added - stats.evicted_for_capacity - stats.evicted_for_bytes - stats.retired_after_reuse
    assert stats.size <= 50 and stats.nbytes <= 4000
