"""layout.sample_points draws its tries in a batch and checks them in numba; it must pick the same
points and leave the generator in the same state as the plain one-try-at-a-time loop below
(the definition the mini-games' layouts were made with), or every mini-game would change."""

from __future__ import annotations

import numpy as np
import pytest

from sc2env.engine.minigames.layout import MAP_SIZE, MARGIN, LayoutError, sample_points
from sc2env.engine.minigames.navigation import MARINE_SPAWN


def plain_sample_points(rng, n, avoid=None, min_avoid=0.0, min_gap=0.0, centre=None, ring=(0.0, float("inf")),
                        size=MAP_SIZE, margin=MARGIN, tries=20000, box=None):
    avoid = np.zeros((0, 2)) if avoid is None else np.asarray(avoid, dtype=np.float64).reshape(-1, 2)
    out: list[np.ndarray] = []
    for _ in range(tries):
        if len(out) == n:
            break
        p = rng.uniform(margin, size - margin, size=2) if box is None else rng.uniform(box[:2], box[2:], size=2)
        if len(avoid) and np.min(np.hypot(*(avoid - p).T)) < min_avoid:
            continue
        if out and np.min(np.hypot(*(np.array(out) - p).T)) < min_gap:
            continue
        if centre is not None:
            r = float(np.hypot(p[0] - centre[0], p[1] - centre[1]))
            if not (ring[0] <= r <= ring[1]):
                continue
        out.append(p)
    if len(out) < n:
        raise LayoutError(f"could place only {len(out)} of {n} points with the given distance rules")
    return np.array(out)


def _both(seed, **kwargs):
    fast_rng, plain_rng = np.random.Generator(np.random.PCG64(seed)), np.random.Generator(np.random.PCG64(seed))
    fast = sample_points(fast_rng, **kwargs)
    plain = plain_sample_points(plain_rng, **kwargs)
    return fast, plain, fast_rng, plain_rng


def _cases():
    rng = np.random.Generator(np.random.PCG64(2024))
    cases = [
        # the mini-games' own calls: shards, marines, beacons, zergling rings, roach waves
        dict(n=20, avoid=rng.uniform(22, 36, (2, 2)), min_avoid=2.0, box=(23.0, 21.0, 43.0, 35.0)),
        dict(n=2, min_gap=0.75, box=MARINE_SPAWN),
        dict(n=1, avoid=rng.uniform(22, 36, (1, 2)), min_avoid=5.0, centre=(33.0, 28.0), ring=(4.0, float("inf")),
             box=(23.5, 21.5, 42.5, 34.5)),
        dict(n=2, centre=(32.0, 32.0), ring=(7.5, 9.5), min_gap=5.0),
        dict(n=23, avoid=rng.uniform(10, 50, (2, 2)), min_avoid=5.0, centre=(32.0, 32.0), ring=(9.0, 30.0),
             min_gap=2.0),
        dict(n=0),
    ]
    for _ in range(40):  # random rule sets, dense ones included (many rejected tries, batches regrown)
        cases.append(dict(n=int(rng.integers(1, 60)), avoid=rng.uniform(0, 64, (int(rng.integers(0, 6)), 2)),
                          min_avoid=float(rng.uniform(0, 8)), min_gap=float(rng.uniform(0, 4)),
                          margin=float(rng.uniform(1, 20))))
    for _ in range(10):  # rectangles
        x0, y0 = rng.uniform(0, 30, 2)
        cases.append(dict(n=int(rng.integers(1, 30)), avoid=rng.uniform(0, 64, (int(rng.integers(0, 4)), 2)),
                          min_avoid=float(rng.uniform(0, 6)), min_gap=float(rng.uniform(0, 3)),
                          box=(float(x0), float(y0), float(x0 + rng.uniform(5, 30)), float(y0 + rng.uniform(5, 30)))))
    return cases


@pytest.mark.parametrize("case", range(len(_cases())))
def test_batched_sampling_matches_the_plain_loop(case):
    kwargs = _cases()[case]
    for seed in range(8):
        try:
            fast, plain, fast_rng, plain_rng = _both(seed, **kwargs)
        except LayoutError:
            with pytest.raises(LayoutError):
                sample_points(np.random.Generator(np.random.PCG64(seed)), **kwargs)
            continue
        assert fast.dtype == plain.dtype and fast.shape == plain.shape
        assert fast.tobytes() == plain.tobytes()
        assert fast_rng.bit_generator.state == plain_rng.bit_generator.state  # the next draw is the same too
        assert fast_rng.uniform() == plain_rng.uniform()


def test_impossible_rules_raise_after_drawing_every_try():
    fast_rng, plain_rng = np.random.Generator(np.random.PCG64(5)), np.random.Generator(np.random.PCG64(5))
    kwargs = dict(n=5, min_gap=40.0, tries=300)
    with pytest.raises(LayoutError):
        sample_points(fast_rng, **kwargs)
    with pytest.raises(LayoutError):
        plain_sample_points(plain_rng, **kwargs)
    assert fast_rng.bit_generator.state == plain_rng.bit_generator.state


def test_a_layout_that_needs_more_than_the_first_batch():
    """60 points 3 apart in a 30x30 square reject most tries: the batch is regrown from the same draws."""
    fast, plain, fast_rng, plain_rng = _both(1, n=60, min_gap=3.0, margin=17.0)
    assert fast.tobytes() == plain.tobytes()
    assert fast_rng.bit_generator.state == plain_rng.bit_generator.state
