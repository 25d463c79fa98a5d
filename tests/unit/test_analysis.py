"""Statistics checked against hand-computed values."""

from __future__ import annotations

import math

import pytest

from app.domain import analysis


def test_rates_and_roll_up():
    bureau = analysis.Participation(eligible=40, sat=38, passed=37, score_sum=38 * 80)
    town = analysis.Participation(eligible=10, sat=9, passed=9, score_sum=9 * 70)
    city = bureau + town
    assert (city.eligible, city.sat, city.passed) == (50, 47, 46)
    assert city.participation_rate == pytest.approx(47 / 50)  # 94%
    assert city.pass_rate == pytest.approx(46 / 47)
    assert city.mean_score == pytest.approx((38 * 80 + 9 * 70) / 47)
    assert analysis.EMPTY.participation_rate is None
    assert analysis.EMPTY.pass_rate is None and analysis.EMPTY.mean_score is None


def test_histogram_bins_and_the_top_score():
    scores = [0, 9.5, 10, 55, 99, 100]
    assert analysis.histogram(scores, 10, 100) == [
        (0, 2),
        (10, 1),
        (20, 0),
        (30, 0),
        (40, 0),
        (50, 1),
        (60, 0),
        (70, 0),
        (80, 0),
        (90, 2),
    ]


def test_describe():
    result = analysis.describe([60, 70, 80, 90])
    assert result.mean == 75 and result.minimum == 60 and result.maximum == 90
    assert result.stdev == pytest.approx(math.sqrt(125))
    assert analysis.describe([]).mean is None


def test_point_biserial_by_hand():
    # Right: rest scores 8, 6; wrong: 4, 2. p = 0.5, mean rest 5, sd sqrt(5).
    value = analysis.point_biserial([1, 1, 0, 0], [8, 6, 4, 2])
    assert value == pytest.approx((7 - 3) / math.sqrt(5) * 0.5)
    assert analysis.point_biserial([1, 1, 1], [3, 2, 1]) is None  # no variance in the item


def test_kr20_by_hand():
    matrix = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]
    # p = .75, .5, .25 -> sum pq = .1875 + .25 + .1875 = .625; totals 3,2,1,0 variance 1.25
    assert analysis.kr20(matrix) == pytest.approx(3 / 2 * (1 - 0.625 / 1.25))
    assert analysis.kr20([[1, 0]]) is None


def test_item_flags():
    totals = [10.0] * 20
    easy = analysis.item_stats([1] * 20, totals, [1.0] * 20)
    assert easy.facility == 1 and "too_easy" in easy.flags
    hard = analysis.item_stats([1] + [0] * 19, [10.0] + [5.0] * 19, [1.0] + [0.0] * 19)
    assert hard.facility == pytest.approx(0.05) and "too_hard" in hard.flags
    # The strong candidates get it wrong: negative discrimination is flagged.
    upside_down = analysis.item_stats([0, 0, 1, 1], [9, 8, 3, 2], [0, 0, 1, 1])
    assert upside_down.discrimination < 0 and "weak_discrimination" in upside_down.flags


def test_histogram_with_fractional_bin_width():
    # 2 / 0.4 is 4.999… in floating point; the score still belongs to the bin starting at 2.0.
    assert analysis.histogram([2.0], 0.4, 4)[5] == (pytest.approx(2.0), 1)
