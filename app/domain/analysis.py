"""Statistics for HR and examiners: rates, score distributions, item analysis.

All functions take plain numbers and return plain numbers, so each can be
checked by hand on a small table.

- participation rate (参考率) = sat / eligible; pass rate (及格率) = passed / sat.
- facility = share of candidates who got the item fully right.
- discrimination = point-biserial correlation between the item (1 right, 0
  not) and the candidate's total score on the rest of the paper.
- KR-20 reliability = k/(k-1) * (1 - sum(p*q) / variance of totals), over
  items scored right/wrong.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

TOO_EASY = 0.95
TOO_HARD = 0.20
WEAK_DISCRIMINATION = 0.10


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Participation:
    eligible: int
    sat: int
    passed: int
    score_sum: float

    @property
    def participation_rate(self) -> float | None:
        return rate(self.sat, self.eligible)

    @property
    def pass_rate(self) -> float | None:
        return rate(self.passed, self.sat)

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.sat if self.sat else None

    def __add__(self, other: Participation) -> Participation:
        return Participation(
            self.eligible + other.eligible,
            self.sat + other.sat,
            self.passed + other.passed,
            self.score_sum + other.score_sum,
        )


EMPTY = Participation(0, 0, 0, 0.0)


def histogram(scores: Sequence[float], width: float, maximum: float) -> list[tuple[float, int]]:
    """Counts per bin [start, start + width); the last bin includes the maximum."""
    if width <= 0:
        raise ValueError("width must be positive")
    bins = max(math.ceil(maximum / width), 1)
    # Rounded before flooring: 2 / 0.4 is 4.999… in floating point, yet 2 belongs in bin 5.
    counts = Counter(min(math.floor(round(score / width, 9)), bins - 1) for score in scores)
    return [(index * width, counts.get(index, 0)) for index in range(bins)]


@dataclass(frozen=True)
class Distribution:
    count: int
    mean: float | None
    stdev: float | None  # population standard deviation
    minimum: float | None
    maximum: float | None


def describe(scores: Sequence[float]) -> Distribution:
    if not scores:
        return Distribution(0, None, None, None, None)
    return Distribution(
        len(scores), statistics.fmean(scores), statistics.pstdev(scores), min(scores), max(scores)
    )


def point_biserial(item: Sequence[int], rest: Sequence[float]) -> float | None:
    """Correlation of a right/wrong item with the rest score; None when either is constant."""
    n = len(item)
    if n < 2 or n != len(rest):
        return None
    p = sum(item) / n
    if p in (0, 1):
        return None
    sd = statistics.pstdev(rest)
    if sd == 0:
        return None
    mean_right = statistics.fmean(r for r, i in zip(rest, item, strict=True) if i)
    mean_wrong = statistics.fmean(r for r, i in zip(rest, item, strict=True) if not i)
    return (mean_right - mean_wrong) / sd * math.sqrt(p * (1 - p))


def kr20(matrix: Sequence[Sequence[int]]) -> float | None:
    """KR-20 for a candidates x items table of 1/0; None when it is undefined."""
    if len(matrix) < 2:
        return None
    k = len(matrix[0])
    if k < 2:
        return None
    totals = [sum(row) for row in matrix]
    variance = statistics.pvariance(totals)
    if variance == 0:
        return None
    n = len(matrix)
    pq = 0.0
    for column in range(k):
        p = sum(row[column] for row in matrix) / n
        pq += p * (1 - p)
    return k / (k - 1) * (1 - pq / variance)


@dataclass(frozen=True)
class ItemStats:
    uses: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]


def item_stats(right: Sequence[int], totals: Sequence[float], earned: Sequence[float]) -> ItemStats:
    """Statistics of one item: `right` 1/0 per use, the paper totals, the item's points earned."""
    uses = len(right)
    facility = rate(sum(right), uses)
    rest = [total - points for total, points in zip(totals, earned, strict=True)]
    discrimination = point_biserial(right, rest)
    flags = []
    if facility is not None and facility > TOO_EASY:
        flags.append("too_easy")
    if facility is not None and facility < TOO_HARD:
        flags.append("too_hard")
    if discrimination is not None and discrimination < WEAK_DISCRIMINATION:
        flags.append("weak_discrimination")
    return ItemStats(uses, facility, discrimination, tuple(flags))
