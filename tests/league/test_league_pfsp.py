import random

import pytest

from league.pfsp import f_hard, f_var, pfsp_choice, pfsp_probabilities, remove_monotonic_suffix


def test_weight_functions_match_the_paper():
    assert f_hard(0.2) == pytest.approx(0.64)  # (1 - 0.2)^2
    assert f_hard(0.2, p=3) == pytest.approx(0.512)
    assert f_var(0.2) == pytest.approx(0.16)  # 0.2 * 0.8
    assert f_var(0.0) == 0.0 and f_var(1.0) == 0.0


def test_pfsp_probabilities_against_hand_computed_references():
    rates = [0.2, 0.5, 0.9]
    # hard, p=2: weights 0.64, 0.25, 0.01 (sum 0.90)
    assert pfsp_probabilities(rates, "hard") == pytest.approx([0.64 / 0.9, 0.25 / 0.9, 0.01 / 0.9])
    # variance: 0.16, 0.25, 0.09 (sum 0.5)
    assert pfsp_probabilities(rates, "variance") == pytest.approx([0.32, 0.50, 0.18])
    # linear_capped: min(0.5, 1 - x) = 0.5, 0.5, 0.1 (sum 1.1)
    assert pfsp_probabilities(rates, "linear_capped") == pytest.approx([0.5 / 1.1, 0.5 / 1.1, 0.1 / 1.1])
    # p = 1 is the linear weighting
    assert pfsp_probabilities(rates, "hard", p=1.0) == pytest.approx(pfsp_probabilities(rates, "linear"))


def test_pfsp_falls_back_to_uniform_when_every_weight_is_zero():
    assert pfsp_probabilities([1.0, 1.0, 1.0], "hard") == pytest.approx([1 / 3] * 3)
    assert pfsp_probabilities([0.0, 1.0], "variance") == pytest.approx([0.5, 0.5])


def test_pfsp_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        pfsp_probabilities([], "hard")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pfsp_probabilities([1.5], "hard")
    with pytest.raises(ValueError, match="unknown PFSP weighting"):
        pfsp_probabilities([0.5], "cubic")


def test_pfsp_choice_samples_the_probabilities():
    rng = random.Random(1)
    n = 20000
    counts = {"a": 0, "b": 0, "c": 0}
    for _ in range(n):
        counts[pfsp_choice(["a", "b", "c"], [0.2, 0.5, 0.9], rng, "variance")] += 1
    for name, p in zip("abc", [0.32, 0.50, 0.18]):
        sigma = (p * (1 - p) / n) ** 0.5
        assert abs(counts[name] / n - p) < 5 * sigma


def test_remove_monotonic_suffix_like_the_pseudocode():
    # oldest first; the suffix where win rates only fall with age is dropped
    assert remove_monotonic_suffix([0.4, 0.6], ["a", "b"]) == ([0.4, 0.6], ["a", "b"])
    assert remove_monotonic_suffix([0.8, 0.6], ["a", "b"]) == ([], [])
    assert remove_monotonic_suffix([0.5, 0.9, 0.7, 0.6], list("abcd")) == ([0.5, 0.9], ["a", "b"])
    assert remove_monotonic_suffix([0.3], ["a"]) == ([], [])
    assert remove_monotonic_suffix([], []) == ([], [])
