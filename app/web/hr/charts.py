"""Chart geometry for inline SVG, computed here so templates only draw.

The CSP forbids inline script and style, so charts are plain SVG elements
with presentation attributes, sized in a viewBox and scaled by CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.analysis import Participation


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under or beside the bar
    value: str  # the figure written at the bar's end


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    peak: int


def histogram_chart(bins: Sequence[tuple[float, int]], bin_width: float) -> Histogram:
    """Vertical bars, one per score band, labelled with the band's start."""
    width, height, top, bottom, left = 600, 220, 16, 26, 8
    plot = height - top - bottom
    peak = max((count for _, count in bins), default=0)
    slot = (width - 2 * left) / max(len(bins), 1)
    bars = []
    for index, (start, count) in enumerate(bins):
        bar_height = plot * count / peak if peak else 0
        bars.append(
            Bar(
                x=round(left + index * slot + 2, 1),
                y=round(top + plot - bar_height, 1),
                width=round(slot - 4, 1),
                height=round(bar_height, 1),
                label=_number(start),
                value=str(count),
            )
        )
    return Histogram(width, height, top + plot, bars, peak)


@dataclass(frozen=True)
class RateRow:
    name: str
    y: float
    participation: Bar
    passing: Bar


@dataclass(frozen=True)
class RateChart:
    width: int
    height: int
    plot_left: int
    plot_width: int
    rows: list[RateRow]


def rate_chart(units: Sequence[tuple[str, Participation]]) -> RateChart:
    """Two horizontal bars per unit: participation rate and pass rate, 0-100%."""
    label_width, plot_width, row_height = 170, 340, 34
    rows = []
    for index, (name, figures) in enumerate(units):
        y = 8 + index * row_height
        rows.append(
            RateRow(
                name=name if len(name) <= 11 else name[:10] + "…",
                y=y,
                participation=_rate_bar(figures.participation_rate, label_width, y, plot_width),
                passing=_rate_bar(figures.pass_rate, label_width, y + 13, plot_width),
            )
        )
    return RateChart(
        label_width + plot_width + 60, 16 + len(units) * row_height, label_width, plot_width, rows
    )


def _rate_bar(rate: float | None, left: int, y: float, plot_width: int) -> Bar:
    value = "—" if rate is None else f"{rate * 100:.1f}%"
    return Bar(left, y, round(plot_width * (rate or 0), 1), 11, "", value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
