import math

import pytest

from league.evaluation import (
    Record,
    estimate_elo,
    expected_score,
    ladder_anchors,
    opponent_report,
    wilson_interval,
)


def test_wilson_interval_matches_the_closed_form():
    # 8 wins in 10: p=0.8, z=1.96 -> (0.4902, 0.9433) (textbook values)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3)
    assert high == pytest.approx(0.9433, abs=1e-3)
    # stays inside [0, 1] at the extremes and is not degenerate
    low0, high0 = wilson_interval(0, 20)
    assert low0 == 0.0 and 0.1 < high0 < 0.2
    low1, high1 = wilson_interval(20, 20)
    assert high1 == 1.0 and 0.8 < low1 < 0.9
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_elo_estimate_recovers_a_known_rating():
    # Scores equal to the model's expectation against three anchors -> that rating.
    true_rating = 350.0
    anchors = [0.0, 200.0, 400.0]
    games = []
    for r in anchors:
        e = expected_score(true_rating, r)
        # 1000 games with the expected fraction of wins
        wins = round(1000 * e)
        games += [(r, 1.0)] * wins + [(r, 0.0)] * (1000 - wins)
    estimate = estimate_elo(games, prior_games=0.0)
    assert estimate.rating == pytest.approx(true_rating, abs=2.0)
    assert 0 < estimate.stderr < 15


def test_elo_estimate_stays_finite_on_a_sweep():
    estimate = estimate_elo([(0.0, 1.0)] * 50)
    assert math.isfinite(estimate.rating) and estimate.rating > 400
    losing = estimate_elo([(0.0, 0.0)] * 50)
    assert losing.rating < -400


def test_ladder_anchors_chain_adjacent_win_rates():
    anchors = ladder_anchors({"easy": 0.76, "medium": 0.5}, ["veryeasy", "easy", "medium"])
    assert anchors["veryeasy"] == 0.0
    assert anchors["easy"] == pytest.approx(400 * math.log10(0.76 / 0.24))
    assert anchors["medium"] == pytest.approx(anchors["easy"])
    sweep = ladder_anchors({"easy": 1.0}, ["veryeasy", "easy"])
    assert math.isfinite(sweep["easy"])


def test_records_and_reports():
    record = Record()
    for outcome in ["win", "win", "draw", "loss"]:
        record = record.add(outcome)
    assert (record.wins, record.draws, record.losses, record.games) == (2, 1, 1, 4)
    assert record.score == pytest.approx(0.625)
    report = opponent_report("bot:easy", record, [100, 300])
    assert report.mean_game_loops == 200
    assert report.ci_low < 0.625 < report.ci_high
    with pytest.raises(ValueError, match="outcome"):
        record.add("victory")
