"""Scores are exact fractions in the core and two-decimal numbers in storage."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")


def to_decimal(value: Fraction) -> Decimal:
    """A score for storage and display, rounded half up to hundredths."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, ROUND_HALF_UP)
